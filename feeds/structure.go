package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Limits on the structure of what is parsed. The body cap bounds bytes, but
// a few megabytes of "<m:x>" make gofeed and the HTML parser build trees of a
// million nodes: a 4.8 MB feed of nested elements once cost 1.3 GB. Real
// feeds nest fewer than 20 levels; a feed of 100 000 tiny items has about
// 300 000 elements; a news page has a few thousand.
const (
	maxFeedDepth    = 256
	maxFeedElements = 500_000
	// maxFragmentTags is the most tags a description or content:encoded is
	// parsed into a tree with; a longer one is read as flat text.
	maxFragmentTags = 10_000
	// maxPageTags is the most tags an article page may have; the HTML
	// parser itself refuses more than 512 open elements.
	maxPageTags = 100_000
)

// ErrTooComplex is matched (with errors.Is) by the error Parse returns for a
// document nested deeper, or holding more elements, than any real feed.
var ErrTooComplex = errors.New("feeds: document too complex")

// checkXMLStructure scans doc's tags, without building anything, and
// returns an error saying which limit was passed when elements nest deeper
// than maxDepth or there are more than maxElements. It is a tokenizer's view, not
// a validator's: comments, CDATA, processing instructions and the doctype
// are skipped, quoted attribute values may hold '>', a stray '<' is text,
// and an end tag closes one level whatever its name (so unclosed elements
// count as nested, which is how a lenient parser treats them).
func checkXMLStructure(doc []byte, maxDepth, maxElements int) error {
	depth, elements := 0, 0
	for i := 0; i < len(doc); {
		lt := bytes.IndexByte(doc[i:], '<')
		if lt < 0 {
			break
		}
		i += lt + 1
		if i >= len(doc) {
			break
		}
		rest := doc[i:]
		switch c := rest[0]; {
		case bytes.HasPrefix(rest, []byte("!--")):
			i = skipPast(doc, i+3, "-->")
		case bytes.HasPrefix(rest, []byte("![CDATA[")):
			i = skipPast(doc, i+8, "]]>")
		case c == '!':
			i = skipDoctype(doc, i)
		case c == '?':
			i = skipPast(doc, i+1, "?>")
		case c == '/':
			i = skipPast(doc, i+1, ">")
			depth = max(depth-1, 0)
		case isNameStart(c):
			end, selfClosing := tagEnd(doc, i)
			i = end
			elements++
			if elements > maxElements {
				return fmt.Errorf("more than %d elements", maxElements)
			}
			if !selfClosing {
				depth++
				if depth > maxDepth {
					return fmt.Errorf("elements nested more than %d deep", maxDepth)
				}
			}
		}
	}
	return nil
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

// skipPast returns the index just after the first end at or after i, or
// len(doc) when there is none.
func skipPast(doc []byte, i int, end string) int {
	j := bytes.Index(doc[i:], []byte(end))
	if j < 0 {
		return len(doc)
	}
	return i + j + len(end)
}

// skipDoctype skips a <!DOCTYPE …> whose internal subset, in brackets, may
// hold '>' characters.
func skipDoctype(doc []byte, i int) int {
	gt := bytes.IndexByte(doc[i:], '>')
	br := bytes.IndexByte(doc[i:], '[')
	if gt < 0 {
		return len(doc)
	}
	if br >= 0 && br < gt {
		return skipPast(doc, i+br, "]>")
	}
	return i + gt + 1
}

// tagEnd returns the index after the '>' closing the tag whose name starts at
// i, skipping quoted attribute values, and whether the tag closes itself.
func tagEnd(doc []byte, i int) (int, bool) {
	var quote byte
	for ; i < len(doc); i++ {
		c := doc[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, doc[i-1] == '/'
		}
	}
	return len(doc), false
}

// tooManyTags reports whether the HTML s has more than limit tags, counting
// '<' followed by a letter, which is what becomes an element.
func tooManyTags(s string, limit int) bool {
	n := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 || i+j+1 >= len(s) {
			return false
		}
		i += j + 1
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			n++
			if n > limit {
				return true
			}
		}
	}
	return false
}

// flatTextBlocks is the text of HTML s read token by token, without building
// a tree: a block tag ends a line, scripts and styles are skipped. It is the
// fallback for markup too big or too deep to parse, so that an item's text
// is kept rather than lost.
func flatTextBlocks(s string) []string {
	z := html.NewTokenizer(strings.NewReader(s))
	var blocks []string
	var cur strings.Builder
	flush := func() {
		if t := cleanText(cur.String()); t != "" {
			blocks = append(blocks, t)
		}
		cur.Reset()
	}
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			return blocks
		case html.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				if tt == html.StartTagToken {
					skip++
				} else {
					skip = max(skip-1, 0)
				}
			case atom.P, atom.Div, atom.Br, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
				atom.Tr, atom.Table, atom.Blockquote, atom.Section, atom.Article, atom.Ul, atom.Ol,
				atom.Figure, atom.Figcaption, atom.Header, atom.Footer, atom.Pre, atom.Hr:
				flush()
			}
		}
	}
}
