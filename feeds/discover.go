package feeds

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// FeedLink is a feed a web page announces with <link rel="alternate">.
type FeedLink struct {
	URL   string // absolute
	Title string // the link's title attribute; "" if none
}

// feedTypes are the <link type> values that announce a feed.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      false, // too vague: pages announce APIs with it
}

// maxAlternates bounds what one page may announce.
const maxAlternates = 20

// Alternates returns the feeds an HTML page announces with <link
// rel="alternate" type="application/rss+xml|atom+xml|feed+json">, in page
// order, each once, resolved against base (the page's URL). Links to
// anything but http(s) are left out. A page announcing none gives nil.
func Alternates(page []byte, base string) []FeedLink {
	baseURL, err := url.Parse(base)
	if err != nil {
		return nil
	}
	var out []FeedLink
	seen := map[string]bool{}
	z := html.NewTokenizer(bytes.NewReader(page))
	for len(out) < maxAlternates {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		switch string(name) {
		case "base":
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "href" {
					if u, err := baseURL.Parse(strings.TrimSpace(string(v))); err == nil {
						baseURL = u
					}
				}
			}
			continue
		case "link":
		case "body":
			// Feeds are announced in the head; a body's links are content.
			return out
		default:
			continue
		}
		var rel, typ, href, title string
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			switch string(k) {
			case "rel":
				rel = strings.ToLower(string(v))
			case "type":
				typ = strings.ToLower(strings.TrimSpace(string(v)))
			case "href":
				href = strings.TrimSpace(string(v))
			case "title":
				title = strings.TrimSpace(string(v))
			}
		}
		if typ, _, _ = strings.Cut(typ, ";"); !feedTypes[strings.TrimSpace(typ)] || href == "" || !hasWord(rel, "alternate") {
			continue
		}
		u, err := baseURL.Parse(href)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		u.Fragment = ""
		if seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		out = append(out, FeedLink{URL: u.String(), Title: title})
	}
	return out
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}

// Discover fetches the web page at pageURL (with the fetcher's limits and
// address guard) and returns the feeds it announces (see Alternates).
func Discover(ctx context.Context, f *Fetcher, pageURL string) ([]FeedLink, error) {
	resp, err := f.fetchPage(ctx, pageURL)
	if err != nil {
		return nil, err
	}
	if resp.NotModified {
		return nil, fmt.Errorf("feeds: discover feeds of %s: answered 304 to an unconditional request", redact(pageURL))
	}
	return Alternates(resp.Body, resp.URL), nil
}
