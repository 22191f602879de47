package feeds

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/newsbot-vn/newsbot/storage"
)

// DefaultMaxPages is how many article pages one poll of a full-text feed
// fetches at most, one after the other.
const DefaultMaxPages = 10

// Thin text: an item whose own text is shorter, or is a single sentence, is
// a title or a teaser, and a full-text feed fetches its page.
const thinChars = 160

// maxPageElements bounds the work readability does on one page; news pages
// have a few thousand.
const maxPageElements = 30000

// isThin reports whether a feed item's own text is too little to summarise:
// nothing, a one-line teaser, fewer than two sentences or thinChars runes.
func isThin(text string) bool {
	return utf8.RuneCountInString(text) < thinChars || len(SplitSentences(text)) < 2
}

// pageArticle is what an article page holds for an alert.
type pageArticle struct {
	text  string // the lead then the body, cleaned, one paragraph a line
	image string // the lead image, "" if none usable
}

// errNoArticle is returned for a page in which no article text was found.
var errNoArticle = errors.New("feeds: no article text in the page")

// extractArticle finds the article in an HTML page fetched from pageURL:
// readability picks the main text, which is then cleaned like feed HTML
// (captions, share buttons, related links…), and the lead is taken from the
// page's sapo (h2.sapo, .detail-sapo, p.description…) or, failing that, its
// meta description, because readability drops or demotes it. The image is
// the page's og:image, else the first image of the article, never a pixel
// or an icon.
//
// A meta description is the lead only when it is the article's own: not
// cut short ("…"), supported by the article's opening paragraphs, and not
// the text descriptions (nil: no memory) has seen on another article of the
// same host, which makes it the site's slogan.
func extractArticle(body []byte, contentType, pageURL string, descriptions *descriptionMemory) (pageArticle, error) {
	if ct := strings.ToLower(contentType); ct != "" && !strings.Contains(ct, "html") && !strings.Contains(ct, "xml") {
		return pageArticle{}, fmt.Errorf("feeds: %s is %s, not an HTML page", redact(pageURL), contentType)
	}
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return pageArticle{}, fmt.Errorf("feeds: page %s: %w", redact(pageURL), err)
	}
	decoded, err := io.ReadAll(r)
	if err != nil {
		return pageArticle{}, fmt.Errorf("feeds: page %s: %w", redact(pageURL), err)
	}
	if tooManyTags(string(decoded), maxPageTags) {
		return pageArticle{}, fmt.Errorf("%w: page %s has more than %d tags", ErrTooComplex, redact(pageURL), maxPageTags)
	}
	doc, err := html.Parse(bytes.NewReader(bytes.ToValidUTF8(decoded, []byte("\uFFFD"))))
	if err != nil {
		return pageArticle{}, fmt.Errorf("feeds: page %s: %w", redact(pageURL), err)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return pageArticle{}, fmt.Errorf("feeds: page URL %q: %w", redact(pageURL), err)
	}

	// Before readability rewrites the tree.
	lead := findSapo(doc)
	description := metaContent(doc, "og:description", "description", "twitter:description")
	metaImage := usableImage(base, metaContent(doc, "og:image", "og:image:url", "twitter:image", "twitter:image:src"))

	parser := readability.NewParser()
	parser.KeepClasses = true // the cleaner reads class names (caption, share, related…)
	parser.MaxElemsToParse = maxPageElements
	var paras []string
	var contentImage string
	if art, err := parser.ParseAndMutate(doc, base); err == nil && art.Node != nil {
		paras = nodeParagraphs(art.Node)
		contentImage = firstImageIn(art.Node, base)
		if metaImage == "" {
			metaImage = usableImage(base, art.ImageURL())
		}
	}
	slogan := description != "" && descriptions.seenElsewhere(base.Hostname(), pageURL, description)
	if lead == "" && !slogan && !strings.HasSuffix(description, "...") && !strings.HasSuffix(description, "…") &&
		(len(paras) == 0 || aboutTheSame(description, paras[:min(len(paras), openingParagraphs)])) {
		lead = stripOutletPrefix(description)
	}
	paras = withLead(lead, paras)
	if len(paras) == 0 {
		return pageArticle{}, errNoArticle
	}
	image := metaImage
	if image == "" {
		image = contentImage
	}
	return pageArticle{text: strings.Join(paras, "\n"), image: image}, nil
}

// openingParagraphs are where an article's own description is supported:
// a slogan's words ("tin tức", "mới nhất", "cập nhật") turn up somewhere in
// any long body, rarely in its first paragraphs together.
const openingParagraphs = 3

// aboutTheSame reports whether most of the words of a page's description
// are in paras, the article's opening paragraphs: the article's own lead,
// not the site's slogan.
func aboutTheSame(description string, paras []string) bool {
	body := map[string]bool{}
	for _, p := range paras {
		for _, w := range storage.Words(storage.Fold(p)) {
			body[w] = true
		}
	}
	words := storage.Words(storage.Fold(description))
	shared := 0
	for _, w := range words {
		if body[w] {
			shared++
		}
	}
	return len(words) > 0 && shared*2 >= len(words)
}

// withLead puts lead before the paragraphs unless one of the first few
// already says it; a paragraph that only repeats it is dropped.
func withLead(lead string, paras []string) []string {
	if lead == "" {
		return paras
	}
	l := storage.FoldedWords(lead)
	if l == "" {
		return paras
	}
	out := make([]string, 0, len(paras)+1)
	out = append(out, lead)
	for i, p := range paras {
		f := storage.FoldedWords(p)
		switch {
		case i < 3 && strings.Contains(l, f):
			continue // the sapo again, or a piece of it
		case i < 3 && strings.HasPrefix(f, l):
			out[0] = p // the body opens with the lead and goes on: keep the body's
			continue
		}
		out = append(out, p)
	}
	return out
}

// sapoClassWords name the lead paragraph in Vietnamese CMSs (h2.sapo,
// h2.detail-sapo, h2.singular-sapo, div.article__sapo, p.description…).
var sapoClassWords = map[string]bool{
	"sapo": true, "chapeau": true, "lead": true, "summary": true, "description": true,
	"excerpt": true, "standfirst": true, "intro": true, "teaser": true,
}

// findSapo returns the cleaned text of the page's lead paragraph, or "".
func findSapo(doc *html.Node) string {
	var found string
	var visit func(*html.Node) bool
	visit = func(n *html.Node) bool {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Head, atom.Script, atom.Style, atom.Nav, atom.Footer, atom.Aside, atom.Form, atom.Meta:
				return false
			}
			if isSapo(n) {
				// A lead is a paragraph: 40 to 800 characters.
				if t := strings.Join(nodeParagraphs(n), " "); utf8.RuneCountInString(t) >= 40 && utf8.RuneCountInString(t) <= 800 {
					found = t
					return true
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if visit(c) {
				return true
			}
		}
		return false
	}
	visit(doc)
	return found
}

func isSapo(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.H2, atom.H3, atom.Div, atom.Strong, atom.Span, atom.Section:
	default:
		return false
	}
	cls := strings.ToLower(attr(n, "class"))
	if strings.Contains(cls, "sapo") {
		return true
	}
	for _, p := range strings.FieldsFunc(cls, notAlnum) {
		if sapoClassWords[p] {
			return !hasClutterClass(n)
		}
	}
	return false
}

// metaContent returns the content of the first <meta> whose property or
// name is one of keys, in the order of keys, cleaned.
func metaContent(doc *html.Node, keys ...string) string {
	found := map[string]string{}
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Meta {
			k := strings.ToLower(attr(n, "property"))
			if k == "" {
				k = strings.ToLower(attr(n, "name"))
			}
			if _, ok := found[k]; !ok && k != "" {
				found[k] = attr(n, "content")
			}
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Body {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	for _, k := range keys {
		if v := cleanText(found[k]); v != "" {
			return v
		}
	}
	return ""
}

// firstImageIn returns the first usable <img> under n.
func firstImageIn(n *html.Node, base *url.URL) string {
	if n.Type == html.ElementNode && n.DataAtom == atom.Img {
		if u := imageSource(n, base); u != "" {
			return u
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if u := firstImageIn(c, base); u != "" {
			return u
		}
	}
	return ""
}

// fillFromPages gives the new items of a full-text feed whose own text is
// thin the summary, body (for search) and image of their article page. Pages are fetched one
// at a time, at most MaxPages a poll, and only for items that can still be
// alerted: none on the feed's first (silent) poll, none older than MaxAge,
// none the feed has carried before. A page that fails leaves the item as
// the feed gave it; it never fails the poll.
func (p *Poller) fillFromPages(ctx context.Context, feed storage.Feed, parsed *Parsed, now time.Time) {
	if feed.PolledAt.IsZero() {
		return
	}
	fresh, err := p.Store.NewToFeed(ctx, feed.ID, parsed.Items)
	if err != nil {
		p.log().Warn("article pages not read", slog.Int64("feed_id", feed.ID), slog.Any("err", err))
		return
	}
	budget := p.maxPages()
	for i := range parsed.Items {
		it := &parsed.Items[i]
		if !fresh[i] || it.Link == "" || i >= len(parsed.texts) {
			continue
		}
		if p.MaxAge > 0 && !it.Published.IsZero() && it.Published.Before(now.Add(-p.MaxAge)) {
			continue
		}
		if !isThin(parsed.texts[i].text) || budget <= 0 || ctx.Err() != nil {
			continue
		}
		budget--
		page, err := p.fetchArticle(ctx, it.Link)
		if err != nil && ctx.Err() != nil {
			return // shutting down: the save that follows fails too
		}
		if err != nil {
			p.log().Warn("article page not used", slog.Int64("feed_id", feed.ID),
				slog.String("url", redact(it.Link)), slog.Any("err", err))
			continue
		}
		if s := p.summarizer().Summarize(parsed.texts[i].title, page.text); s != "" {
			it.Summary = s
		}
		it.Body = page.text
		if page.image != "" && (it.ImageURL == "" || parsed.texts[i].imageFromDoc) {
			it.ImageURL = page.image
		}
	}
}

// fetchArticle fetches and extracts one article page.
func (p *Poller) fetchArticle(ctx context.Context, link string) (pageArticle, error) {
	resp, err := p.Fetcher.fetchPage(ctx, link)
	if err != nil {
		return pageArticle{}, err
	}
	return extractArticle(resp.Body, resp.ContentType, resp.URL, &p.descriptions)
}

func (p *Poller) maxPages() int {
	if p.MaxPages != 0 {
		return p.MaxPages
	}
	return DefaultMaxPages
}

// Bounds of descriptionMemory: hosts remembered, and descriptions per host.
const (
	descriptionHosts   = 512
	descriptionsByHost = 8
)

// descriptionMemory remembers the meta descriptions recently seen on each
// host's article pages, so that a site's slogan, which every page carries,
// is told from an article's own description. It holds at most
// descriptionHosts hosts (least recently used go first) and
// descriptionsByHost descriptions each (a recurring one stays, the others
// age out). Its zero value is ready; it is safe for concurrent use.
type descriptionMemory struct {
	mu    sync.Mutex
	hosts map[string]*list.Element // of *hostDescriptions
	order list.List                // most recently used host first
}

type hostDescriptions struct {
	host    string
	entries []describedPage // most recent first
}

type describedPage struct {
	text   string // folded words
	page   string // the first article it was seen on
	shared bool   // seen on another article too: the site's, not the article's
}

// seenElsewhere records that page on host carries description and reports
// whether two pages of the host (this one or others) were seen with the
// same one (compared folded). A nil memory remembers nothing.
func (m *descriptionMemory) seenElsewhere(host, page, description string) bool {
	if m == nil {
		return false
	}
	text := storage.FoldedWords(description)
	if text == "" {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hosts == nil {
		m.hosts = map[string]*list.Element{}
	}
	el, ok := m.hosts[host]
	if ok {
		m.order.MoveToFront(el)
	} else {
		if m.order.Len() >= descriptionHosts {
			oldest := m.order.Back()
			delete(m.hosts, oldest.Value.(*hostDescriptions).host)
			m.order.Remove(oldest)
		}
		el = m.order.PushFront(&hostDescriptions{host: host})
		m.hosts[host] = el
	}
	h := el.Value.(*hostDescriptions)
	for i, e := range h.entries {
		if e.text != text {
			continue
		}
		e.shared = e.shared || e.page != page
		copy(h.entries[1:i+1], h.entries[:i]) // to the front: a slogan recurs and stays
		h.entries[0] = e
		return e.shared
	}
	if len(h.entries) < descriptionsByHost {
		h.entries = append(h.entries, describedPage{})
	}
	copy(h.entries[1:], h.entries[:len(h.entries)-1])
	h.entries[0] = describedPage{text: text, page: page}
	return false
}
