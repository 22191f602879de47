package feeds

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// OPML limits: an OPML file is a list of subscriptions, not a document; a
// bigger one is refused, not cut.
const (
	MaxOPMLBytes = 1 << 20
	MaxOPMLFeeds = 1000
	maxOPMLDepth = 16
)

// ErrNotOPML means the document is not an OPML subscription list, or one
// beyond the limits (MaxOPMLBytes, MaxOPMLFeeds, nesting).
var ErrNotOPML = errors.New("feeds: not an OPML document")

// OPMLFeed is one feed of an OPML document.
type OPMLFeed struct {
	URL   string // xmlUrl
	Title string // text or title
	// Folders are the texts of the outlines it sits in, outermost first;
	// a feed outline's category attribute ("/thoi-su") comes last.
	Folders []string
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Category string        `xml:"category,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

type opmlDoc struct {
	XMLName xml.Name `xml:"opml"`
	Version string   `xml:"version,attr"`
	Head    struct {
		Title       string `xml:"title"`
		DateCreated string `xml:"dateCreated,omitempty"`
	} `xml:"head"`
	Body struct {
		Outlines []opmlOutline `xml:"outline"`
	} `xml:"body"`
}

// ParseOPML reads the feeds of an OPML document (at most MaxOPMLBytes and
// MaxOPMLFeeds, folders at most 16 deep), in document order.
func ParseOPML(r io.Reader) ([]OPMLFeed, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxOPMLBytes+1))
	if err != nil {
		return nil, fmt.Errorf("feeds: read OPML: %w", err)
	}
	if len(data) > MaxOPMLBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotOPML, MaxOPMLBytes)
	}
	data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	var doc opmlDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false // OPML exported by readers is often sloppy (bare &)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotOPML, err)
	}
	var out []OPMLFeed
	var walk func(list []opmlOutline, folders []string, depth int) error
	walk = func(list []opmlOutline, folders []string, depth int) error {
		if depth > maxOPMLDepth {
			return fmt.Errorf("%w: folders nested deeper than %d", ErrNotOPML, maxOPMLDepth)
		}
		for _, o := range list {
			name := strings.TrimSpace(o.Text)
			if name == "" {
				name = strings.TrimSpace(o.Title)
			}
			if u := strings.TrimSpace(o.XMLURL); u != "" {
				if len(out) == MaxOPMLFeeds {
					return fmt.Errorf("%w: lists more than %d feeds", ErrNotOPML, MaxOPMLFeeds)
				}
				f := OPMLFeed{URL: u, Title: name, Folders: append([]string(nil), folders...)}
				for _, c := range strings.Split(o.Category, ",") {
					if c = strings.Trim(strings.TrimSpace(c), "/"); c != "" {
						f.Folders = append(f.Folders, c)
					}
				}
				out = append(out, f)
				continue
			}
			if err := walk(o.Outlines, append(folders[:len(folders):len(folders)], name), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Body.Outlines, nil, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteOPML writes feeds as an OPML 2.0 document with one folder per
// section (named as the section, its key in category), in the order of
// sections; feeds of a section not listed get a folder named by its key.
func WriteOPML(w io.Writer, title string, sections []storage.Section, feeds []storage.Feed, now time.Time) error {
	doc := opmlDoc{Version: "2.0"}
	doc.Head.Title = title
	doc.Head.DateCreated = now.UTC().Format(time.RFC1123Z)
	folder := map[string]int{}
	add := func(key, name string) int {
		if i, ok := folder[key]; ok {
			return i
		}
		doc.Body.Outlines = append(doc.Body.Outlines, opmlOutline{Text: name, Title: name, Category: "/" + key})
		folder[key] = len(doc.Body.Outlines) - 1
		return folder[key]
	}
	for _, s := range sections {
		add(s.Key, s.Name)
	}
	for _, f := range feeds {
		i := add(f.Section, f.Section)
		name := f.Title
		if name == "" {
			name = f.URL
		}
		o := &doc.Body.Outlines[i]
		o.Outlines = append(o.Outlines, opmlOutline{Type: "rss", Text: name, Title: name, XMLURL: f.URL, Category: "/" + f.Section})
	}
	// Folders with no feed say nothing.
	kept := doc.Body.Outlines[:0]
	for _, o := range doc.Body.Outlines {
		if len(o.Outlines) > 0 {
			kept = append(kept, o)
		}
	}
	doc.Body.Outlines = kept
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("feeds: write OPML: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("feeds: write OPML: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("feeds: write OPML: %w", err)
	}
	return nil
}
