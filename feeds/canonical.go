package feeds

import (
	"net/url"
	"strings"

	"github.com/newsbot-vn/newsbot/storage"
)

// trackingParams are query parameters that only say how a reader arrived;
// dropping them makes the same article from two feeds one link.
var trackingParams = map[string]bool{
	"fbclid":      true,
	"gclid":       true,
	"dclid":       true,
	"gbraid":      true,
	"wbraid":      true,
	"msclkid":     true,
	"yclid":       true,
	"igshid":      true,
	"mc_cid":      true,
	"mc_eid":      true,
	"_ga":         true,
	"_hsenc":      true,
	"_hsmi":       true,
	"at_medium":   true, // BBC
	"at_campaign": true, // BBC
	"zarsrc":      true, // Zalo shares of Vietnamese outlets
	"gidzl":       true, // Zalo
}

// CanonicalLink returns the form of an absolute link used to recognise the
// same article across feeds: scheme and host lower-cased, default port,
// fragment and tracking parameters (utm_*, fbclid, gclid, Zalo's zarsrc
// and gidzl, the BBC's at_medium…) removed, the other parameters kept in their order, an empty
// path written "/". It returns the trimmed input when raw is not an absolute
// http(s) URL, and "" for an empty input.
func CanonicalLink(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || !storage.NormalizeHTTP(u) {
		return s
	}
	u.RawQuery = stripTracking(u.RawQuery)
	u.ForceQuery = false
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	return u.String()
}

// stripTracking removes tracking parameters from a raw query, keeping the
// others byte for byte and in order (url.Values would sort them).
func stripTracking(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	kept := make([]string, 0, 4)
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		key = strings.ToLower(key)
		if strings.HasPrefix(key, "utm_") || trackingParams[key] {
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&")
}
