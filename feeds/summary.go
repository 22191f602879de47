package feeds

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// DefaultSummaryChars is the summary length used when none is configured.
const DefaultSummaryChars = 300

// Summarize turns a feed item's description (HTML or plain text) into a
// plain-text lead of at most maxChars characters (runes): scripts, images,
// captions and related-links blocks are dropped, an outlet prefix such as
// "(Dân trí) -" is removed, and the text is cut after the last whole sentence
// that fits. When even the first sentence is longer, it is cut at a word
// boundary and ends with "…". maxChars <= 0 means no limit. The result is
// NFC-normalised, not escaped: it is data, and the renderer escapes it.
func Summarize(htmlText string, maxChars int) string {
	blocks := textBlocks(htmlText, true)
	if len(blocks) == 0 {
		return ""
	}
	blocks[0] = stripOutletPrefix(blocks[0])
	var sents []string
	for _, b := range blocks {
		sents = append(sents, splitSentences(b)...)
	}
	if len(sents) == 0 {
		return ""
	}
	if maxChars <= 0 {
		return strings.Join(sents, " ")
	}
	var out strings.Builder
	n := 0
	for _, s := range sents {
		l := utf8.RuneCountInString(s)
		if n > 0 {
			l++ // the joining space
		}
		if n+l > maxChars {
			break
		}
		if n > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(s)
		n += l
	}
	if n == 0 {
		return cutAtWord(sents[0], maxChars)
	}
	return out.String()
}

// plainText returns the text of an HTML fragment on one line: tags removed,
// entities decoded, whitespace collapsed, NFC. Unlike Summarize it keeps
// everything that is text (lists, captions) and does not cut.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return cleanText(s)
	}
	return strings.Join(textBlocks(s, false), " ")
}

// textBlocks parses s as an HTML fragment and returns the cleaned text of
// each block (paragraph, list item, line…) in order. With prose set it drops
// what is not part of the article's lead: figures and captions, lists of
// links and "related" blocks.
func textBlocks(s string, prose bool) []string {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		// The parser only fails on reader errors; a strings.Reader has none.
		return nil
	}
	w := blockWriter{prose: prose}
	for _, n := range nodes {
		w.walk(n)
	}
	w.flush()
	return w.blocks
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
	if neverText[n.DataAtom] || (w.prose && w.isClutter(n)) {
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
}

// isClutter reports whether n is something other than the lead: a figure or
// caption, the "clear: both" block Vietnamese CMSs put related links in, a
// block whose class says it is related content, or a list of links.
func (w *blockWriter) isClutter(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Figure, atom.Figcaption, atom.Nav:
		return true
	case atom.Ul, atom.Ol:
		return linksOnly(n)
	}
	style := strings.ToLower(strings.Join(strings.Fields(attr(n, "style")), ""))
	if strings.Contains(style, "clear:both") {
		return true
	}
	class := strings.ToLower(attr(n, "class"))
	return strings.Contains(class, "related") || strings.Contains(class, "lien-quan")
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

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// cleanText turns every kind of space into an ordinary one, drops
// zero-width and control characters, collapses runs of spaces, trims, and
// NFC-normalises.
func cleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\u200b' || r == '\u2060' || r == '\ufeff' || r == '\u00ad':
			continue // zero-width space, word joiner, BOM, soft hyphen
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
// "(Dân trí) -", "(Chinhphu.vn) - ", "(PLO)-", "VOV.VN -", "LCĐT - ", "TTO -".
// An upper-case token needs a space after the dash so that "COVID-19" stays.
var outletPrefix = regexp.MustCompile(`^(?:\([^()]{1,30}\)\s*[-–—]\s*|[\p{Lu}][\p{Lu}\p{N}]+(?:\.\p{L}{2,4})?\s*[-–—]\s+)`)

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

// abbreviations end with a dot that does not end a sentence (compared lower-cased).
var abbreviations = map[string]bool{
	"tp": true, "q": true, "p": true, "x": true, "gs": true, "pgs": true,
	"pgs.ts": true, "gs.ts": true, "ths": true, "ts": true, "bs": true, "ts.bs": true,
	"ths.bs": true, "bs.cki": true, "bs.ckii": true, "nxb": true, "ncs": true, "kts": true,
	"ls": true, "tt": true, "mr": true, "mrs": true, "ms": true, "dr": true, "st": true,
	"no": true, "vs": true,
}

func isTerminal(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '…' }

func isCloser(r rune) bool {
	return r == '"' || r == '\'' || r == '”' || r == '’' || r == '»' || r == ')' || r == ']'
}

func startsSentence(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsDigit(r) ||
		r == '"' || r == '“' || r == '\'' || r == '‘' || r == '«' || r == '('
}

// splitSentences splits one block of cleaned text (single spaces) at
// sentence ends: '.', '!', '?' or '…' (possibly repeated and followed by
// closing quotes) then a space and an upper-case letter, digit or opening
// quote — but not after an abbreviation such as "TP." or "PGS.TS.", and
// never inside a number like 1.000 or 1,5, which has no space.
func splitSentences(text string) []string {
	rs := []rune(text)
	var out []string
	start := 0
	for i := 0; i < len(rs); i++ {
		if !isTerminal(rs[i]) {
			continue
		}
		end := i
		for end+1 < len(rs) && isTerminal(rs[end+1]) {
			end++
		}
		for end+1 < len(rs) && isCloser(rs[end+1]) {
			end++
		}
		next := end + 1
		if next+1 >= len(rs) || rs[next] != ' ' || !startsSentence(rs[next+1]) {
			i = end
			continue
		}
		if rs[i] == '.' && end == i && isAbbreviation(rs[start:i]) {
			i = end
			continue
		}
		if s := strings.TrimSpace(string(rs[start:next])); s != "" {
			out = append(out, s)
		}
		start = next + 1
		i = next
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

// isAbbreviation reports whether the word just before a dot is a known
// abbreviation or a lone capital (an initial, or Q./P./X. for district, ward, commune).
func isAbbreviation(before []rune) bool {
	j := len(before)
	for j > 0 && before[j-1] != ' ' {
		j--
	}
	word := strings.TrimLeft(string(before[j:]), "(\"“‘'«[")
	if word == "" {
		return false
	}
	if r := []rune(word); len(r) == 1 && unicode.IsUpper(r[0]) {
		return true
	}
	return abbreviations[strings.ToLower(word)]
}

// cutAtWord shortens s to at most maxChars runes, "…" included, ending at a
// word boundary. Only a single word longer than the limit is cut inside.
func cutAtWord(s string, maxChars int) string {
	rs := []rune(s)
	if len(rs) <= maxChars {
		return s
	}
	if maxChars < 2 {
		return "…"
	}
	keep := maxChars - 1
	cut := keep
	if rs[keep] != ' ' {
		for cut > 0 && rs[cut-1] != ' ' {
			cut--
		}
		if cut == 0 { // one enormous word (a URL): nothing better to do
			cut = keep
		}
	}
	head := strings.TrimRightFunc(string(rs[:cut]), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—([{\"“‘'", r)
	})
	return head + "…"
}
