package feeds

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"

	"github.com/newsbot-vn/newsbot/storage"
)

// Clean returns the readable text of an HTML fragment (a feed's description
// or content:encoded) or of a whole page, one paragraph per line. It drops
// what a reader of the alert does not want: scripts and styles, images and
// image-only links, figure captions (figcaption, caption classes, short
// italic or centred lines next to an image, short caption-like lines
// between paragraphs), related-link blocks (lists of links, "Tin liên quan",
// the "clear: both" block), share and social widgets, navigation, sidebars,
// hotline, contact and footer lines, date bars, and the outlet's prefix at
// the start ("LCĐT -", "(Dân trí) -", "VOV.VN -"). Entities are decoded,
// every kind of space is an ordinary one, zero-width characters are gone and
// the text is NFC. Text without tags is taken as plain text whose line breaks
// separate paragraphs. The result is data, not markup: a "<" in it was
// written as text.
func Clean(htmlText string) string {
	return strings.Join(cleanParagraphs(htmlText), "\n")
}

// cleanParagraphs is Clean before the paragraphs are joined.
func cleanParagraphs(s string) []string {
	s = validUTF8(s)
	var blocks []string
	if !strings.Contains(s, "<") {
		for _, line := range strings.FieldsFunc(html.UnescapeString(s), isLineBreak) {
			if t := cleanText(line); t != "" {
				blocks = append(blocks, t)
			}
		}
	} else {
		blocks = textBlocks(s, true)
	}
	return tidyParagraphs(blocks)
}

// nodeParagraphs is cleanParagraphs for an already parsed tree, such as the
// content readability extracted from a page.
func nodeParagraphs(n *html.Node) []string {
	w := blockWriter{prose: true}
	w.walk(n)
	w.flush()
	return tidyParagraphs(w.blocks)
}

// tidyParagraphs drops the lines that are chrome or captions and the
// outlet's prefix before the first one.
func tidyParagraphs(blocks []string) []string {
	out := make([]string, 0, len(blocks))
	for i, b := range blocks {
		if isChromeLine(b) || isCaptionLine(blocks, i) || isCreditLine(b) {
			continue
		}
		if b = dropCredits(b); b != "" {
			out = append(out, b)
		}
	}
	// The prefix opens the lead, which a page's title or a site name may precede.
	for i := range out[:min(len(out), 3)] {
		if p := stripOutletPrefix(out[i]); p != out[i] {
			out[i] = p
			break
		}
	}
	return out
}

// plainText returns the text of an HTML fragment on one line: tags removed,
// entities decoded, whitespace collapsed, NFC. Unlike Clean it keeps
// everything that is text (lists, captions): it is for titles.
//
// Only real markup is removed: a "<" that does not open a known HTML
// element ("<tôn giáo>", "<10 triệu", "a<b", "<Mắt biếc>") is text, because
// feeds escape such titles in their XML and the reader must see them.
func plainText(s string) string {
	s = validUTF8(s)
	if !strings.ContainsAny(s, "<&") {
		return cleanText(s)
	}
	return strings.Join(textBlocks(escapeNonMarkup(s), false), " ")
}

// escapeNonMarkup escapes each "<" in s that does not start real markup, so
// that the HTML parser keeps it as text. Real markup is a comment, CDATA or
// doctype ("<!"), a closing tag of a known element ("</b>"), or an opening
// tag of a known element that is void ("<br>"), has attributes
// ("<span class=x>") or is closed later ("<b>…</b>"). "<Em>" alone, the
// title of a work, stays text.
func escapeNonMarkup(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	lower := strings.ToLower(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '<' || isMarkupAt(s, lower, i) {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString("&lt;")
		last = i + 1
	}
	b.WriteString(s[last:])
	return b.String()
}

// isMarkupAt reports whether the "<" at s[i] opens real markup (see
// escapeNonMarkup); lower is s lower-cased (ASCII positions unchanged).
func isMarkupAt(s, lower string, i int) bool {
	j := i + 1
	if j < len(s) && s[j] == '!' {
		return true
	}
	closing := j < len(s) && s[j] == '/'
	if closing {
		j++
	}
	k := j
	for k < len(s) && (s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || k > j && s[k] >= '0' && s[k] <= '9') {
		k++
	}
	name := lower[j:k]
	if name == "" || !htmlElements[name] {
		return false
	}
	end := strings.IndexByte(s[k:], '>')
	if end < 0 || strings.IndexByte(s[k:k+end], '<') >= 0 {
		return false // never closed: "a<b"
	}
	if closing {
		return true
	}
	rest := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s[k:k+end]), "/"))
	if k < len(s) && s[k] != '>' && s[k] != '/' && s[k] != ' ' && s[k] != '\t' && s[k] != '\n' {
		return false // "<tôn": the name runs on into letters no element has
	}
	switch {
	case voidElements[name]:
		return true
	case rest != "":
		return strings.Contains(rest, "=") // attributes, not words: "<b và c>" is text
	}
	return strings.Contains(lower[k+end:], "</"+name)
}

// htmlElements are the element names a feed's title or description may
// carry as markup.
var htmlElements = map[string]bool{
	"a": true, "abbr": true, "b": true, "big": true, "blockquote": true, "br": true, "center": true,
	"cite": true, "code": true, "del": true, "div": true, "em": true, "font": true, "h1": true,
	"h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "hr": true, "i": true, "img": true,
	"ins": true, "kbd": true, "li": true, "mark": true, "ol": true, "p": true, "pre": true, "q": true,
	"s": true, "script": true, "small": true, "span": true, "strike": true, "strong": true,
	"style": true, "sub": true, "sup": true, "table": true, "tbody": true, "td": true, "th": true,
	"tr": true, "tt": true, "u": true, "ul": true, "wbr": true, "iframe": true, "noscript": true,
	"figure": true, "figcaption": true, "picture": true, "source": true, "video": true,
	"audio": true, "section": true, "article": true, "header": true, "footer": true, "time": true,
	"label": true, "dl": true, "dt": true, "dd": true, "caption": true, "svg": true,
}

// voidElements have no closing tag, or one that is often left out.
var voidElements = map[string]bool{
	"br": true, "hr": true, "img": true, "wbr": true, "source": true,
	"p": true, "li": true, "dt": true, "dd": true, "tr": true, "td": true, "th": true,
}

// textBlocks parses s as an HTML fragment, or as a document when it is one,
// and returns the cleaned text of each block (paragraph, list item, line…)
// in order. With prose set it drops what is not the article's text.
//
// Markup with more than maxFragmentTags tags, or nested deeper than the
// parser accepts, is read as flat text instead: its text is kept, its
// structure (and the cleaning that needs it) is not worth the memory.
func textBlocks(s string, prose bool) []string {
	if tooManyTags(s, maxFragmentTags) {
		return flatTextBlocks(s)
	}
	var nodes []*html.Node
	if looksLikeDocument(s) {
		doc, err := html.Parse(strings.NewReader(s))
		if err != nil {
			return flatTextBlocks(s) // too deep: the parser's stack is bounded
		}
		nodes = []*html.Node{doc}
	} else {
		ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
		frag, err := html.ParseFragment(strings.NewReader(s), ctx)
		if err != nil {
			return flatTextBlocks(s)
		}
		// The fragment's nodes come back detached; under one parent again
		// they have their siblings, which caption detection looks at.
		body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
		for _, n := range frag {
			body.AppendChild(n)
		}
		nodes = []*html.Node{body}
	}
	w := blockWriter{prose: prose}
	for _, n := range nodes {
		w.walk(n)
	}
	w.flush()
	return w.blocks
}

// validUTF8 replaces each run of invalid bytes with U+FFFD before parsing:
// the parser drops NUL characters, and two broken halves on either side of
// one must not join into a character that was never there.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// looksLikeDocument reports whether s starts as a whole HTML page.
func looksLikeDocument(s string) bool {
	head := strings.ToLower(strings.TrimSpace(s[:min(len(s), 512)]))
	head = strings.TrimPrefix(head, "\ufeff")
	return strings.HasPrefix(head, "<!doctype") || strings.HasPrefix(head, "<html") || strings.HasPrefix(head, "<?xml")
}

type blockWriter struct {
	prose  bool
	cur    strings.Builder
	blocks []string
}

func (w *blockWriter) flush() {
	if t := cleanText(w.cur.String()); t != "" {
		w.blocks = append(w.blocks, t)
	}
	w.cur.Reset()
}

func (w *blockWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.cur.WriteString(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.walk(c)
		}
		return
	default: // comments, doctypes
		return
	}
	if neverText[n.DataAtom] || (w.prose && (isHidden(n) || isClutter(n) || isCaption(n))) {
		return
	}
	block := blockElements[n.DataAtom]
	if block {
		w.flush()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if block {
		w.flush()
	}
}

// neverText are elements whose content is never reader-visible text.
var neverText = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Embed: true, atom.Svg: true, atom.Math: true,
	atom.Head: true, atom.Title: true, atom.Textarea: true, atom.Select: true, atom.Button: true,
	atom.Canvas: true, atom.Video: true, atom.Audio: true, atom.Picture: true, atom.Img: true,
}

// blockElements end the text before them and start a new block after.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Td: true,
	atom.Th: true, atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Aside: true, atom.Hr: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Figure: true, atom.Figcaption: true, atom.Address: true, atom.Main: true, atom.Nav: true,
	atom.Caption: true, atom.Form: true, atom.Menu: true, atom.Dialog: true, atom.Details: true,
}

// isHidden reports whether n is not rendered.
func isHidden(n *html.Node) bool {
	if _, ok := attrOK(n, "hidden"); ok || strings.EqualFold(attr(n, "aria-hidden"), "true") {
		return true
	}
	style := compactStyle(n)
	return strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden")
}

// isClutter reports whether n is something other than the article's text:
// a figure, navigation, a sidebar or footer, a form, a header outside the
// article, a list of links, the "clear: both" block Vietnamese CMSs put
// related links in, a "Tin liên quan" box, or a block whose class or id says
// it is a share, social, related, advertising, menu or similar widget.
func isClutter(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Figure, atom.Figcaption, atom.Nav, atom.Aside, atom.Footer, atom.Form,
		atom.Dialog, atom.Menu:
		return true
	case atom.Header:
		return !hasAncestor(n, atom.Article)
	case atom.Ul, atom.Ol:
		if linksOnly(n) {
			return true
		}
	case atom.A:
		return false
	}
	if strings.Contains(compactStyle(n), "clear:both") {
		return true
	}
	if relatedBox(n) {
		return true
	}
	if !hasClutterClass(n) {
		return false
	}
	// A class is a hint, not proof: a wrapper named "has-sidebar" that holds
	// the article's paragraphs must not take them along.
	text, links := textAndLinkLength(n)
	return links*2 > text || proseParagraphs(n, 2) < 2
}

// proseParagraphs counts the paragraphs under n that read as article text
// (80 runes or more, mostly not links), stopping at limit.
func proseParagraphs(n *html.Node, limit int) int {
	count := 0
	var visit func(*html.Node)
	visit = func(m *html.Node) {
		if count >= limit {
			return
		}
		if m.Type == html.ElementNode && m.DataAtom == atom.P {
			if text, links := textAndLinkLength(m); text >= 80 && links*2 < text {
				count++
			}
			return
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return count
}

// clutterWords are words of a class or id that name a widget, not the text.
var clutterWords = map[string]bool{
	"share": true, "sharing": true, "social": true, "socials": true, "zalo": true, "facebook": true,
	"fb": true, "twitter": true, "tweet": true, "comment": true, "comments": true, "binhluan": true,
	"breadcrumb": true, "breadcrumbs": true, "sidebar": true, "banner": true, "ads": true,
	"adv": true, "advert": true, "advertisement": true, "quangcao": true, "hotline": true,
	"weather": true, "thoitiet": true, "menu": true, "navbar": true, "navigation": true,
	"tags": true, "tag": true, "keywords": true, "print": true, "rating": true, "toolbar": true,
	"footer": true, "related": true, "relate": true, "lienquan": true, "tinlienquan": true,
	"readmore": true, "xemthem": true, "newsletter": true, "subscribe": true, "popup": true,
	"modal": true, "cookie": true, "widget": true, "social-share": true, "bookmark": true,
}

func hasClutterClass(n *html.Node) bool {
	cls := strings.ToLower(attr(n, "class") + " " + attr(n, "id"))
	if strings.Contains(cls, "related") || strings.Contains(cls, "lien-quan") || strings.Contains(cls, "lienquan") {
		return true
	}
	for _, w := range strings.FieldsFunc(cls, notAlnum) {
		if clutterWords[w] {
			return true
		}
	}
	return false
}

func notAlnum(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// classParts returns the lower-cased words of n's class and id.
func classParts(n *html.Node) []string {
	return strings.FieldsFunc(strings.ToLower(attr(n, "class")+" "+attr(n, "id")), notAlnum)
}

// isCaption reports whether n is a photo's caption: a figcaption, an
// element whose class says caption (PhotoCMS_Caption, tplCaption,
// image-caption, VnExpress's p.Image), a table holding an image and a line
// of text, or a short italic or centred line with or next to an image. A
// plain paragraph with an image and text is not one: feeds put the lead
// there.
func isCaption(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Figcaption, atom.Caption:
		return true
	case atom.P, atom.Div, atom.Span, atom.Td, atom.Table, atom.Em, atom.I, atom.Small, atom.Center:
	default:
		return false
	}
	cls := strings.ToLower(attr(n, "class"))
	const short = 300 // runes; captions are a line or two
	if strings.Contains(cls, "caption") || strings.Contains(cls, "chuthich") || strings.Contains(cls, "chu-thich") {
		return textLength(n) < 2*short
	}
	for _, p := range classParts(n) {
		if p == "image" || p == "photo" || p == "img" || p == "picture" {
			return textLength(n) < short
		}
	}
	length := textLength(n)
	if length == 0 || length >= short {
		return false
	}
	if (n.DataAtom == atom.Table || n.DataAtom == atom.Td) && containsImage(n) && length < 200 {
		return true // a layout table of a photo and its line
	}
	return length < 200 && (isItalicOnly(n) || isCentred(n)) && (containsImage(n) || nextToImage(n))
}

// nextToImage reports whether n's previous or next element sibling, or its
// parent's when n is the only child, holds an image.
func nextToImage(n *html.Node) bool {
	for m := n; m != nil && m.Type == html.ElementNode; m = m.Parent {
		if s := elementSibling(m, -1); s != nil && containsImage(s) {
			return true
		}
		if s := elementSibling(m, +1); s != nil && containsImage(s) {
			return true
		}
		if onlyElementChild(m) {
			continue // <p><em>caption</em></p> after <p><img></p>
		}
		break
	}
	return false
}

// elementSibling returns the nearest element before (dir < 0) or after n,
// skipping white space and comments, or nil when text is in between.
func elementSibling(n *html.Node, dir int) *html.Node {
	next := func(m *html.Node) *html.Node {
		if dir < 0 {
			return m.PrevSibling
		}
		return m.NextSibling
	}
	for s := next(n); s != nil; s = next(s) {
		switch s.Type {
		case html.ElementNode:
			return s
		case html.TextNode:
			if strings.TrimSpace(s.Data) != "" {
				return nil
			}
		}
	}
	return nil
}

func onlyElementChild(n *html.Node) bool {
	p := n.Parent
	if p == nil {
		return false
	}
	return elementSibling(n, -1) == nil && elementSibling(n, +1) == nil &&
		strings.TrimSpace(directText(p)) == ""
}

// directText is the text of n's own text children.
func directText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func containsImage(n *html.Node) bool {
	if n.Type == html.ElementNode && (n.DataAtom == atom.Img || n.DataAtom == atom.Picture || n.DataAtom == atom.Figure) {
		return true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if containsImage(c) {
			return true
		}
	}
	return false
}

// isItalicOnly reports whether all of n's text is inside <em> or <i> (or n is one).
func isItalicOnly(n *html.Node) bool {
	found := false
	var visit func(*html.Node, bool) bool
	visit = func(m *html.Node, italic bool) bool {
		if m.Type == html.ElementNode && (m.DataAtom == atom.Em || m.DataAtom == atom.I ||
			strings.Contains(compactStyle(m), "font-style:italic")) {
			italic = true
		}
		if m.Type == html.TextNode && strings.TrimSpace(m.Data) != "" {
			if !italic {
				return false
			}
			found = true
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			if !visit(c, italic) {
				return false
			}
		}
		return true
	}
	return visit(n, false) && found
}

func isCentred(n *html.Node) bool {
	if n.DataAtom == atom.Center || strings.EqualFold(attr(n, "align"), "center") ||
		strings.Contains(compactStyle(n), "text-align:center") {
		return true
	}
	for _, p := range classParts(n) {
		if p == "center" || p == "centered" || p == "aligncenter" {
			return true
		}
	}
	return false
}

// relatedHeadings start a box of links to other articles (folded).
var relatedHeadings = []string{
	"tin lien quan", "bai lien quan", "bai viet lien quan", "tin cung chuyen muc",
	"cung chuyen muc", "xem them", "doc them", "tin khac", "co the ban quan tam",
	"tin moi", "tin moi nhat", "tin noi bat", "doc nhieu", "tin doc nhieu", "tin xem nhieu",
}

// isRelatedHeading reports whether a line is the heading of a related box.
func isRelatedHeading(s string) bool {
	f := strings.Join(storage.Words(storage.Fold(s)), " ")
	for _, h := range relatedHeadings {
		if f == h {
			return true
		}
	}
	return false
}

// relatedBox reports whether n is a block whose text is links only, apart
// from a heading such as "Tin liên quan" or "Xem thêm:".
func relatedBox(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Div, atom.Section, atom.Table, atom.P, atom.Dl:
	default:
		return false
	}
	var outside strings.Builder
	found := false
	var visit func(*html.Node, bool)
	visit = func(m *html.Node, inLink bool) {
		if m.Type == html.ElementNode && neverText[m.DataAtom] {
			return
		}
		if m.Type == html.ElementNode && m.DataAtom == atom.A {
			inLink = true
		}
		if m.Type == html.TextNode && strings.TrimSpace(m.Data) != "" {
			if inLink {
				found = true
			} else {
				outside.WriteString(m.Data)
				outside.WriteByte(' ')
			}
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			visit(c, inLink)
		}
	}
	visit(n, false)
	if !found {
		return false
	}
	rest := strings.TrimSpace(outside.String())
	if n.DataAtom == atom.P {
		// A paragraph that is one link may be the article's own text; only
		// "Xem thêm: <a>…</a>" and the like are links to elsewhere.
		return rest != "" && isRelatedHeading(rest)
	}
	return strings.IndexFunc(rest, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 ||
		isRelatedHeading(rest)
}

// linksOnly reports whether every piece of text under n is inside a link
// (and there is some): a list of related articles rather than prose.
func linksOnly(n *html.Node) bool {
	found := false
	var visit func(*html.Node, bool) bool
	visit = func(n *html.Node, inLink bool) bool {
		if n.Type == html.TextNode && strings.TrimSpace(n.Data) != "" {
			if !inLink {
				return false
			}
			found = true
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			inLink = true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if !visit(c, inLink) {
				return false
			}
		}
		return true
	}
	return visit(n, false) && found
}

// textLength is the number of non-space runes of text under n.
func textLength(n *html.Node) int {
	t, _ := textAndLinkLength(n)
	return t
}

// textAndLinkLength counts the non-space runes of text under n, and of those
// inside links.
func textAndLinkLength(n *html.Node) (text, links int) {
	var visit func(*html.Node, bool)
	visit = func(m *html.Node, inLink bool) {
		switch m.Type {
		case html.TextNode:
			k := 0
			for _, r := range m.Data {
				if !unicode.IsSpace(r) {
					k++
				}
			}
			text += k
			if inLink {
				links += k
			}
			return
		case html.ElementNode:
			if neverText[m.DataAtom] {
				return
			}
			if m.DataAtom == atom.A {
				inLink = true
			}
		}
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			visit(c, inLink)
		}
	}
	visit(n, false)
	return text, links
}

func hasAncestor(n *html.Node, a atom.Atom) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.DataAtom == a {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// compactStyle is n's style attribute lower-cased without spaces.
func compactStyle(n *html.Node) string {
	s := attr(n, "style")
	if s == "" {
		return ""
	}
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// cleanText turns every kind of space into an ordinary one, drops
// zero-width and control characters, collapses runs of spaces, trims, and
// NFC-normalises. Tone placement ("hoá" or "hóa") is left as written: both
// spellings are correct, and folding makes them match.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff' || r == '\u00ad':
			continue // zero-width space and joiners, word joiner, BOM, soft hyphen
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			space = true
			continue
		case unicode.IsControl(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// outletPrefix matches the byline Vietnamese outlets put before the lead:
// "(Dân trí) -", "(Chinhphu.vn) - ", "(PLO)-", "VOV.VN -", "LCĐT - ", "TTO -",
// and the dateline some put there instead, a place in capitals of two to
// four words ("HÀ NỘI —", "TP. HỒ CHÍ MINH -"). An upper-case token needs a
// space after the dash so that "COVID-19" stays; a place in ordinary case
// ("Việt Nam – Hàn Quốc ký…") may be the sentence's subject and stays too.
// It runs on plain text, never on HTML.
var outletPrefix = regexp.MustCompile(`^(?:\([^()]{1,30}\)\s*[-–—]\s*|[\p{Lu}][\p{Lu}\p{N}]+(?:\.\p{L}{2,4})?\s*[-–—]\s+|[\p{Lu}][\p{Lu}.]+(?:\s[\p{Lu}][\p{Lu}.]*){1,3}\s*[-–—]\s+)`)

// stripOutletPrefix removes the byline, twice over if the outlet's CMS
// doubled it ("(Chinhphu.vn) - (Chinhphu.vn) - …" is in the samples).
func stripOutletPrefix(s string) string {
	for range 3 {
		loc := outletPrefix.FindStringIndex(s)
		if loc == nil || loc[1] >= len(s) {
			break
		}
		s = s[loc[1]:]
	}
	return s
}

// chromeLines are whole lines of page furniture (folded, punctuation gone).
var chromeLines = map[string]bool{
	"zalo": true, "facebook": true, "twitter": true, "chia se": true, "share": true,
	"in bai": true, "in": true, "binh luan": true, "gui binh luan": true, "theo doi": true,
	"video clips": true, "video": true, "clips": true, "clip": true, "len dau trang": true,
	"ve dau trang": true, "tro ve": true, "quay lai": true, "trang chu": true, "ban in": true,
	"copy link": true, "sao chep lien ket": true, "email": true, "lien he": true,
	"quang cao": true, "tin lien quan": true, "bai lien quan": true, "xem them": true,
	"doc them": true, "tin khac": true, "tin cung chuyen muc": true, "du bao thoi tiet": true,
	"thoi tiet": true, "nghe bai viet": true, "luu bai viet": true, "tu khoa": true,
}

// contactPrefixes start hotline, contact and footer lines (folded).
var contactPrefixes = []string{
	"hotline:", "hotline :", "duong day nong:", "dien thoai:", "dt:", "fax:", "email:", "e-mail:",
	"lien he:", "lien he quang cao", "dia chi:", "toa soan:", "giay phep so", "giay phep:",
	"ban quyen thuoc", "ban quyen ©", "copyright", "©", "chiu trach nhiem xuat ban",
	"chiu trach nhiem noi dung", "tong bien tap:", "co quan chu quan:", "xem them:", "doc them:",
	"tin lien quan:", "video:", "clip:", ">>",
}

// weekdayWords make up the date bars and "cập nhật lúc" lines of a page header.
var weekdayWords = map[string]bool{
	"thu": true, "chu": true, "nhat": true, "hai": true, "ba": true, "tu": true, "nam": true,
	"sau": true, "bay": true, "gmt": true, "utc": true, "ngay": true, "luc": true, "cap": true,
	"sa": true, "ch": true, "am": true, "pm": true, "h": true,
}

// isChromeLine reports whether a paragraph is page furniture rather than
// text: a share button, a section name of the sidebar, a date bar, a
// hotline, contact or copyright line.
func isChromeLine(s string) bool {
	if utf8.RuneCountInString(s) > 200 {
		return false
	}
	folded := storage.Fold(s)
	words := storage.Words(folded)
	if len(words) == 0 {
		return true // punctuation only: "|", "•", "-"
	}
	joined := strings.Join(words, " ")
	if chromeLines[joined] || isRelatedHeading(s) {
		return true
	}
	if len(words) <= 6 && (strings.HasPrefix(joined, "thoi tiet ") || strings.Contains(joined, "du bao thoi tiet")) {
		return true // "Thời tiết Lào Cai", "Lào Cai Dự báo thời tiết"
	}
	if len(words) <= 4 && strings.HasPrefix(joined, "bao ") && !endsSentence(s) {
		return true // the site's name: "Báo Lào Cai"
	}
	for _, p := range contactPrefixes {
		if strings.HasPrefix(folded, p) {
			return true
		}
	}
	if (strings.Contains(folded, "hotline:") || strings.Contains(folded, "hotline :") ||
		strings.Contains(folded, "email:") || strings.Contains(folded, "dien thoai:")) && countDigits(s) >= 8 {
		return true // "Báo Lào Cai - Cơ quan của Đảng bộ tỉnh. Hotline: 0986575708"
	}
	// A date bar: "Thứ 7, 13/8/2022, 09:25 [UTC-0]", "Cập nhật lúc 10:15 ngày 5/7/2022".
	digits := false
	for _, w := range words {
		switch {
		case allDigits([]rune(w)):
			digits = true
		case !weekdayWords[w]:
			return false
		}
	}
	return digits
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// isCaptionLine reports whether paragraph i reads as a photo caption left
// without its markup: one short sentence ("Quảng cảnh hội nghị.", "Đại biểu
// dự hội nghị.") standing between two paragraphs of text, or a line that
// credits a photo ("Ảnh: TTXVN").
func isCaptionLine(blocks []string, i int) bool {
	s := blocks[i]
	if utf8.RuneCountInString(s) > 150 {
		return false
	}
	// "Ảnh" (photo), not "Anh" (a name, England): compared unfolded.
	lower := strings.ToLower(s)
	for _, p := range []string{"ảnh:", "ảnh :", "(ảnh", "ảnh minh họa", "ảnh minh hoạ", "nguồn ảnh"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	folded := storage.Fold(s)
	if i == 0 || i == len(blocks)-1 {
		return false
	}
	const long = 120 // runes: the paragraphs around a caption are text
	if utf8.RuneCountInString(blocks[i-1]) < long || utf8.RuneCountInString(blocks[i+1]) < long {
		return false
	}
	if len(storage.Words(folded)) > 16 || strings.ContainsAny(s, ",;:?!…\"“”") ||
		!strings.HasSuffix(s, ".") || strings.HasSuffix(s, "..") {
		return false
	}
	return len(SplitSentences(s)) == 1
}

// creditPrefixes start a line or sentence that credits a photo or a source,
// or points elsewhere, rather than saying anything (lower-cased, unfolded:
// "Ảnh" is a photo, "Anh" a name).
var creditPrefixes = []string{
	"ảnh:", "ảnh :", "(ảnh:", "(ảnh :", "ảnh minh họa", "ảnh minh hoạ", "(ảnh minh", "nguồn:",
	"nguồn :", "(nguồn:", "(nguồn :", "nguồn ảnh", "(theo ", "theo:", "đồ họa:", "đồ hoạ:",
	"(đồ họa", "video:", "clip:", "xem thêm", "đọc thêm", "xem tiếp", ">>", "»", "tin, ảnh:",
	"bài, ảnh:", "bài và ảnh:", "bài, ảnh :", "tin và ảnh:",
}

// isCreditLine reports whether s is a credit or a pointer, not text: "Ảnh:
// TTXVN", "(Nguồn: Bộ Y tế)", "Theo VnExpress", "Xem thêm >>".
func isCreditLine(s string) bool {
	if utf8.RuneCountInString(s) > 120 {
		return false
	}
	lower := strings.ToLower(s)
	for _, p := range creditPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	if strings.HasSuffix(lower, ">>") || strings.HasSuffix(lower, "»") && !strings.Contains(lower, "«") {
		return true // "Mời xem thêm >>"
	}
	// "Theo VnExpress", "Theo Báo Tin tức (TTXVN)": a source, not a sentence.
	if strings.HasPrefix(lower, "theo ") && !strings.ContainsAny(s, ",;:") {
		words := strings.Fields(strings.TrimRight(s, "."))
		return len(words) <= 5 && !endsSentence(strings.TrimRight(s, "."))
	}
	return false
}

// photoCredit is "Ảnh: …" or "(Ảnh: …)", which ends a caption; capitalised,
// as credits are ("cuộc thi ảnh: …" is text).
var photoCredit = regexp.MustCompile(`(?:^|[\s.])\(?(?:Ảnh|ẢNH)\s?:`)

// endsWithPhotoCredit reports whether s ends with a photo's credit of a
// few words: "Bộ trưởng phát biểu (Ảnh: VGP/Nhật Bắc)", "… Ảnh: Minh Anh".
func endsWithPhotoCredit(s string) bool {
	locs := photoCredit.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return false
	}
	return len(strings.Fields(s[locs[len(locs)-1][1]:])) <= 6
}

// dropCredits removes from a paragraph the sentences that credit a photo
// or a source or point elsewhere ("… khai mạc. Xem thêm >>"), and a photo's
// caption left in the text before its credit ("Đại biểu dự hội nghị. Ảnh:
// TTXVN"). It returns "" when nothing is left.
func dropCredits(p string) string {
	lower := strings.ToLower(p)
	if !strings.Contains(lower, "ảnh") && !strings.Contains(lower, "»") && !strings.Contains(lower, ">>") &&
		!strings.Contains(lower, "nguồn") && !strings.Contains(lower, "xem thêm") && !strings.Contains(lower, "đọc thêm") &&
		!strings.Contains(lower, "theo") {
		return p // the usual case: nothing to look at
	}
	sents := SplitSentences(p)
	keep := make([]bool, len(sents))
	changed := false
	for i, st := range sents {
		keep[i] = true
		credit := isCreditLine(st)
		caption := !credit && endsWithPhotoCredit(st) && utf8.RuneCountInString(st) <= 250
		if credit || caption {
			keep[i], changed = false, true
		}
		// The caption before its credit: a short sentence, the credit
		// being a photo's. A lead ends with its own full stop and goes on.
		if credit && i > 0 && keep[i-1] && photoCredit.MatchString(st) && utf8.RuneCountInString(sents[i-1]) <= 200 &&
			(i == 1 || !keep[i-2]) {
			keep[i-1] = false
		}
	}
	if !changed {
		return p
	}
	var out []string
	for i, st := range sents {
		if keep[i] {
			out = append(out, st)
		}
	}
	return strings.Join(out, " ")
}
