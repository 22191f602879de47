package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/newsbot-vn/newsbot/storage"
)

// ErrNotFeed is matched (with errors.Is) by the error Parse returns for a
// document that is not an RSS, Atom or JSON feed, such as an HTML page.
var ErrNotFeed = errors.New("feeds: not a feed")

// Parsed is a parsed feed document.
type Parsed struct {
	Title string         // the feed's own title, plain text
	Items []storage.Item // in the feed's order, summarised by a default Summarizer

	// texts holds, for each item, what its summary is made from, so that a
	// Poller with another budget, or the article's page, can redo it.
	texts []itemText
	// hash identifies the document parsed (bodyHash), "" when unknown.
	hash string
}

// itemText is an item's own text as the feed gave it.
type itemText struct {
	text         string // cleaned description and content, one paragraph a line
	title        string // the title to keep out of the summary; "" when the title was made from the text
	imageFromDoc bool   // the image is an <img> of the description, not an enclosure or media:content
}

// ictZone is Vietnam's time (UTC+7, no daylight saving). A fixed zone needs
// no tzdata on the host.
var ictZone = time.FixedZone("ICT", 7*3600)

// Parse parses a feed document fetched from feedURL (the base for relative
// links). Before gofeed sees it, the body is converted to UTF-8, invalid
// UTF-8 is replaced and characters XML forbids are dropped, since one bad
// byte would otherwise fail the whole feed. Item titles are plain text, links
// absolute, times UTC; a time more than an hour after now (a feed with a
// wrong clock or zone) is dropped, leaving the item undated. A zero now skips
// that check. A document that is not a feed gives an error matching ErrNotFeed.
func Parse(body []byte, feedURL string, now time.Time) (*Parsed, error) {
	return parse(body, feedURL, now, Summarizer{}, nil)
}

// knownFunc reports, for items carrying only their identity (guid, link,
// canonical link, title, date), which ones the feed has carried before.
type knownFunc func(heads []storage.Item) ([]bool, error)

// parse is Parse with the summarizer to use and, when known is not nil, a
// way to skip the costly part (cleaning the HTML, summarising, finding the
// image) for items the feed has carried before: those come out with their
// identity only, which is all that storing a known item reads. When known
// fails, every item is converted in full.
func parse(body []byte, feedURL string, now time.Time, sum Summarizer, known knownFunc) (*Parsed, error) {
	shown := feedURL
	base, err := url.Parse(strings.TrimSpace(feedURL))
	if err != nil {
		base = nil
	} else {
		shown = base.Redacted()
	}

	clean := sanitizeXML(toUTF8(body))
	// Before gofeed builds its tree: structure, not bytes, is what costs.
	if err := checkXMLStructure(clean, maxFeedDepth, maxFeedElements); err != nil {
		return nil, fmt.Errorf("%w: %s has %v", ErrTooComplex, shown, err)
	}
	parser := gofeed.NewParser()
	// Our own image scan skips tracking pixels and icons; gofeed's takes the
	// first <img> whatever it is.
	parser.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	feed, err := parser.Parse(bytes.NewReader(clean))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, fmt.Errorf("%w: %s %s", ErrNotFeed, shown, describeNonFeed(clean))
	}
	if err != nil {
		return nil, fmt.Errorf("feeds: parse %s: %w", shown, err)
	}

	out := &Parsed{Title: plainText(feed.Title)}
	items := make([]*gofeed.Item, 0, len(feed.Items))
	for _, it := range feed.Items {
		if it != nil {
			items = append(items, it)
		}
	}
	heads := make([]storage.Item, len(items))
	for i, it := range items {
		heads[i] = itemHead(it, base, now)
	}
	isKnown := knownHeads(heads, known)
	for i, it := range items {
		if isKnown[i] {
			out.Items = append(out.Items, heads[i])
			out.texts = append(out.texts, itemText{})
			continue
		}
		item, text, ok := convertItem(it, heads[i], base, sum)
		if !ok {
			continue
		}
		out.Items = append(out.Items, item)
		out.texts = append(out.texts, text)
	}
	return out, nil
}

// knownHeads asks known about the items whose identity needs no text
// (those with a title); false for the others, and for all when known is
// nil or fails.
func knownHeads(heads []storage.Item, known knownFunc) []bool {
	out := make([]bool, len(heads))
	if known == nil {
		return out
	}
	var ask []storage.Item
	var at []int
	for i, h := range heads {
		// An untitled item's title, and an item without guid or link's
		// identity, come from its text.
		if h.Title != "" && (h.GUID != "" || h.Canonical != "") {
			ask = append(ask, h)
			at = append(at, i)
		}
	}
	if len(ask) == 0 {
		return out
	}
	flags, err := known(ask)
	if err != nil || len(flags) != len(ask) {
		return out
	}
	for j, i := range at {
		out[i] = flags[j]
	}
	return out
}

// itemHead is what identifies an item: guid, link, canonical link, plain
// title and date, without reading its text.
func itemHead(it *gofeed.Item, base *url.URL, now time.Time) storage.Item {
	item := storage.Item{
		GUID:      strings.TrimSpace(it.GUID),
		Link:      itemLink(it, base),
		Title:     plainText(it.Title),
		Published: itemTime(it, now),
	}
	item.Canonical = CanonicalLink(item.Link)
	return item
}

// convertItem completes an item's head (itemHead) with its text, summary
// and image; ok is false for an item with nothing to show (no title, link
// or text).
func convertItem(it *gofeed.Item, head storage.Item, base *url.URL, sum Summarizer) (storage.Item, itemText, bool) {
	text := itemBody(it)
	item := head
	var fromDoc bool
	item.ImageURL, fromDoc = itemImage(it, base)
	summaryTitle := item.Title
	if item.Title == "" {
		// Some feeds (microblogs) have untitled items: their text's first words stand in.
		item.Title = pack(SplitSentences(text), 120, 1<<30)
	}
	if item.Title == "" && item.Link == "" {
		return storage.Item{}, itemText{}, false
	}
	item.Summary = sum.Summarize(summaryTitle, text)
	return item, itemText{text: text, title: summaryTitle, imageFromDoc: fromDoc}, true
}

// itemBody is the cleaned text of an item's description followed by the
// paragraphs of its content (content:encoded) that the description does not
// already hold: the description is usually the outlet's lead, the content
// the article.
func itemBody(it *gofeed.Item) string {
	desc := cleanParagraphs(it.Description)
	if strings.TrimSpace(it.Content) == "" || it.Content == it.Description {
		return strings.Join(desc, "\n")
	}
	seen := make(map[string]bool, len(desc))
	for _, p := range desc {
		seen[storage.FoldedWords(p)] = true
	}
	out := desc
	for _, p := range cleanParagraphs(it.Content) {
		if !seen[storage.FoldedWords(p)] {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

// itemLink is the item's link made absolute, else its guid when that is an
// absolute URL (RSS guids are permalinks by default). Only http(s) links are
// kept: a javascript: or data: link must never reach a chat.
func itemLink(it *gofeed.Item, base *url.URL) string {
	candidates := append([]string{it.Link}, it.Links...)
	for _, c := range candidates {
		if l := resolveHTTP(base, c); l != "" {
			return l
		}
	}
	return resolveHTTP(nil, it.GUID)
}

// resolveHTTP resolves ref against base (which may be nil) and returns the
// result if it is an http(s) URL with a host, else "".
func resolveHTTP(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// itemImage picks the item's picture, never a tracking pixel or an icon: an
// explicit image (iTunes, media:content or an image enclosure, which gofeed
// puts in Item.Image), else an image enclosure, else a media:content or
// media:thumbnail whose URL names an image file, else the first <img> of the
// description or content. fromDoc says it is the last kind, which an
// article page's own lead image beats.
func itemImage(it *gofeed.Item, base *url.URL) (image string, fromDoc bool) {
	if it.Image != nil {
		if u := usableImage(base, it.Image.URL); u != "" {
			return u, false
		}
	}
	for _, enc := range it.Enclosures {
		if enc != nil && strings.HasPrefix(strings.ToLower(enc.Type), "image/") {
			if u := usableImage(base, enc.URL); u != "" {
				return u, false
			}
		}
	}
	for _, name := range []string{"content", "thumbnail"} {
		for _, ext := range it.Extensions["media"][name] {
			if isTiny(ext.Attrs["width"]) || isTiny(ext.Attrs["height"]) {
				continue
			}
			medium := strings.ToLower(ext.Attrs["medium"] + ext.Attrs["type"])
			if medium != "" && !strings.Contains(medium, "image") {
				continue
			}
			if u := usableImage(base, ext.Attrs["url"]); u != "" && (medium != "" || imageFileName(u)) {
				return u, false
			}
		}
	}
	for _, doc := range []string{it.Description, it.Content} {
		if u := firstImage(doc, base); u != "" {
			return u, true
		}
	}
	return "", false
}

// usableImage resolves an image URL, or returns "" for pixels and icons.
func usableImage(base *url.URL, raw string) string {
	u := resolveHTTP(base, raw)
	if u == "" || looksLikeIcon(u) {
		return ""
	}
	return u
}

// imageFileName reports whether a URL's path ends like an image file.
func imageFileName(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	p := strings.ToLower(u.Path)
	for _, ext := range []string{".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// firstImage returns the first usable <img> source in an HTML fragment.
func firstImage(doc string, base *url.URL) string {
	if !strings.Contains(doc, "<") || tooManyTags(doc, maxFragmentTags) {
		return ""
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(doc), ctx)
	if err != nil {
		return ""
	}
	var find func(*html.Node) string
	find = func(n *html.Node) string {
		if n.Type == html.ElementNode && n.DataAtom == atom.Img {
			if u := imageSource(n, base); u != "" {
				return u
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if u := find(c); u != "" {
				return u
			}
		}
		return ""
	}
	for _, n := range nodes {
		if u := find(n); u != "" {
			return u
		}
	}
	return ""
}

// imageSource returns an <img>'s absolute source, preferring the lazy-load
// attributes when src is a placeholder, or "" for pixels and icons.
func imageSource(n *html.Node, base *url.URL) string {
	if isTiny(attr(n, "width")) || isTiny(attr(n, "height")) {
		return ""
	}
	src := strings.TrimSpace(attr(n, "src"))
	if src == "" || strings.HasPrefix(strings.ToLower(src), "data:") {
		for _, k := range []string{"data-src", "data-original", "data-lazy-src"} {
			if v := strings.TrimSpace(attr(n, k)); v != "" {
				src = v
				break
			}
		}
	}
	return usableImage(base, src)
}

// isTiny reports whether a width or height attribute is 0 or 1 pixel.
func isTiny(v string) bool {
	v = strings.TrimSuffix(strings.TrimSpace(v), "px")
	n, err := strconv.Atoi(v)
	return err == nil && n <= 1
}

// iconWords are path words that mark an image as a pixel, spacer or icon.
var iconWords = map[string]bool{
	"pixel": true, "spacer": true, "blank": true, "1x1": true, "icon": true, "icons": true,
	"favicon": true, "emoji": true, "emoticons": true, "smilies": true, "tracker": true,
	"tracking": true, "beacon": true, "feedburner": true, "avatar": true, "gravatar": true,
}

func looksLikeIcon(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return true
	}
	path := strings.ToLower(u.Path)
	if strings.HasSuffix(path, ".ico") || strings.HasSuffix(path, ".svg") {
		return true
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, "feedburner") || strings.Contains(host, "gravatar") || strings.Contains(host, "pixel") {
		return true
	}
	words := strings.FieldsFunc(path, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		if iconWords[w] {
			return true
		}
	}
	return false
}

// itemTime is the item's publication (else update) time in UTC, or zero.
// Zone-less US-style dates are read as Vietnam time; gofeed reads them as
// UTC, or not at all when a narrow no-break space precedes AM/PM.
func itemTime(it *gofeed.Item, now time.Time) time.Time {
	var t time.Time
	switch {
	case vietnamClock(it.Published, &t):
	case it.PublishedParsed != nil:
		t = *it.PublishedParsed
	case vietnamClock(it.Updated, &t):
	case it.UpdatedParsed != nil:
		t = *it.UpdatedParsed
	}
	if t.IsZero() || (!now.IsZero() && t.After(now.Add(time.Hour))) {
		return time.Time{}
	}
	return t.UTC()
}

// usClock matches "8/23/2026 5:20:00 AM" and "8/22/2026 23:00" once spaces
// are normalised: M/D/YYYY, a clock, an optional AM/PM, and no zone.
var usClock = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp])\.?[Mm]\.?)?$`)

// vietnamClock parses raw as a zone-less M/D/YYYY h:mm[:ss] [AM|PM] time in
// Vietnam's zone and stores it in *t. Day and month are swapped when only
// D/M makes sense (23/8/2026).
func vietnamClock(raw string, t *time.Time) bool {
	m := usClock.FindStringSubmatch(cleanText(raw))
	if m == nil {
		return false
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	month, day, year := num(m[1]), num(m[2]), num(m[3])
	hour, minute, second := num(m[4]), num(m[5]), num(m[6])
	if month > 12 && day <= 12 {
		month, day = day, month
	}
	if m[7] != "" {
		if hour < 1 || hour > 12 {
			return false
		}
		hour %= 12
		if m[7] == "P" || m[7] == "p" {
			hour += 12
		}
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 {
		return false
	}
	v := time.Date(year, time.Month(month), day, hour, minute, second, 0, ictZone)
	if v.Day() != day { // 2/30 rolled over
		return false
	}
	*t = v
	return true
}

// describeNonFeed says what a document that is not a feed looks like.
func describeNonFeed(doc []byte) string {
	head := bytes.ToLower(doc[:min(len(doc), 1024)])
	if bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html")) {
		return "is an HTML page, not an RSS, Atom or JSON feed"
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return "is empty"
	}
	return "has no RSS, Atom or JSON feed at its start"
}

// xmlEncoding finds the encoding named in an XML declaration.
var xmlEncoding = regexp.MustCompile(`^(<\?xml[^>]*?\sencoding\s*=\s*["'])([A-Za-z0-9._:-]+)(["'])`)

// toUTF8 returns the document in UTF-8 with any XML declaration saying so.
// A body that is already valid UTF-8 is taken as UTF-8 whatever it declares
// (servers often label UTF-8 feeds ISO-8859-1, and text in a legacy
// encoding is almost never valid UTF-8); otherwise the declared encoding, or
// a UTF-16 byte-order mark, decides.
func toUTF8(body []byte) []byte {
	switch {
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}), bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		dec := xunicode.BOMOverride(xunicode.UTF8.NewDecoder())
		if b, _, err := transform.Bytes(dec, body); err == nil {
			body = b
		}
	case bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}):
		body = body[3:]
	}
	body = bytes.TrimLeft(body, " \t\r\n")
	m := xmlEncoding.FindSubmatchIndex(body)
	if m == nil {
		return body
	}
	label := strings.ToLower(string(body[m[4]:m[5]]))
	if string(body[m[4]:m[5]]) == "UTF-8" {
		return body // already says so: no copy of a large body
	}
	if label != "utf-8" && label != "utf8" && !utf8.Valid(body) {
		if enc, _ := charset.Lookup(label); enc != nil {
			if b, err := enc.NewDecoder().Bytes(body); err == nil {
				body = b
				m = xmlEncoding.FindSubmatchIndex(body)
				if m == nil {
					return body
				}
			}
		}
	}
	out := make([]byte, 0, len(body))
	out = append(out, body[:m[4]]...)
	out = append(out, "UTF-8"...)
	return append(out, body[m[5]:]...)
}

// sanitizeXML replaces invalid UTF-8 and drops the characters XML 1.0
// forbids (C0 controls other than tab, newline and carriage return, U+FFFE,
// U+FFFF).
func sanitizeXML(b []byte) []byte {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	clean := true
	for _, r := range string(b) {
		if !xmlChar(r) {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	return bytes.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return -1
	}, b)
}

func xmlChar(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return true
	case r < 0x20, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return true
}
