package feeds

import (
	"context"
	"errors"
	"html"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileFeed is an RSS document of about size bytes whose one item holds
// unit repeated (then closer repeated), the shapes that made one parse
// allocate over a gigabyte.
func hostileFeed(unit, closer string, size int) []byte {
	n := size / (len(unit) + len(closer))
	var b strings.Builder
	b.Grow(size + 256)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:m="http://example.com/m"><channel><title>t</title><item><title>a</title><link>http://example.com/a</link>`)
	b.WriteString(strings.Repeat(unit, n))
	b.WriteString(strings.Repeat(closer, n))
	b.WriteString(`</item></channel></rss>`)
	return []byte(b.String())
}

// hostileShapes are 4.8 MB documents of ~950 000 nested or flat elements.
var hostileShapes = []struct {
	name, unit, closer string
}{
	{"nested unclosed", "<m:x>", ""},
	{"nested closed", "<m:x>", "</m:x>"},
	{"nested plain", "<x>", ""},
	{"flat", "<m:x/>", ""},
}

const hostileSize = 4_800_000

// allocated returns the bytes allocated while fn ran (all goroutines).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestCheckXMLStructure(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("<a>", n) + strings.Repeat("</a>", n) }
	tests := []struct {
		name string
		doc  string
		err  string // "" when accepted
	}{
		{"real feed", feedXML(time.Now(), "a"), ""},
		{"at the depth limit", deep(8), ""},
		{"past the depth limit", deep(9), "nested more than 8 deep"},
		{"unclosed", strings.Repeat("<a>", 9), "nested more than 8 deep"},
		{"self-closing siblings are not depth", "<r>" + strings.Repeat("<a/>", 20) + "</r>", "more than 16 elements"},
		{"at the element limit", "<r>" + strings.Repeat("<a/>", 15) + "</r>", ""},
		{"comments, CDATA and PIs are not elements", `<?xml version="1.0"?><!-- <a><a><a><a><a><a><a><a><a> --><r><![CDATA[<a><a><a><a><a><a><a><a><a>]]></r>`, ""},
		{"a doctype's subset is skipped", `<!DOCTYPE r [<!ENTITY e "<a><a><a><a><a><a><a><a><a>">]><r/>`, ""},
		{"quoted > in an attribute", `<r t="a>b" u='<a>'>` + deep(7) + `</r>`, ""},
		{"stray < is text", "<r>1 < 2 <3 </r>", ""},
		{"truncated tag", "<r><a href=\"x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkXMLStructure([]byte(tt.doc), 8, 16)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error = %v, want %q", err, tt.err)
			}
		})
	}
}

// TestParseHostileMemory: each hostile shape is refused with ErrTooComplex
// before gofeed builds anything, allocating a bounded amount. Before the
// check, the nested-unclosed document allocated 1.26 GB in one parse.
func TestParseHostileMemory(t *testing.T) {
	for _, sh := range hostileShapes {
		t.Run(sh.name, func(t *testing.T) {
			doc := hostileFeed(sh.unit, sh.closer, hostileSize)
			var err error
			n := allocated(func() { _, err = Parse(doc, "http://user:secret@example.com/rss", time.Now()) })
			if !errors.Is(err, ErrTooComplex) {
				t.Fatalf("Parse = %v, want ErrTooComplex", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
			t.Logf("%s: %d bytes, %.1f MB allocated, %v", sh.name, len(doc), float64(n)/(1<<20), err)
			if n > 100<<20 {
				t.Errorf("parsing a %d-byte hostile document allocated %d MB, want < 100 MB", len(doc), n>>20)
			}
		})
	}
}

// TestParseHugeDescription: escaped HTML in a description is text to the
// XML check; its own tag count sends it to the flat reader, which keeps the
// text, within a bounded allocation.
func TestParseHugeDescription(t *testing.T) {
	for _, unit := range []string{"<div>", "<b>", "<table>", "<i>x</i>"} {
		t.Run(unit, func(t *testing.T) {
			inner := "<p>Lời mở đầu của bài.</p>" + strings.Repeat(unit, (hostileSize/2)/len(unit)) + "Đoạn cuối."
			doc := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Tin</title><link>http://example.com/a</link><description>` +
				html.EscapeString(inner) + `</description></item></channel></rss>`)
			var p *Parsed
			var err error
			n := allocated(func() { p, err = Parse(doc, "http://example.com/rss", time.Now()) })
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 1 || !strings.Contains(p.Items[0].Summary, "Lời mở đầu") {
				t.Errorf("items = %+v", p.Items)
			}
			t.Logf("%s: %d bytes, %.1f MB allocated", unit, len(doc), float64(n)/(1<<20))
			if n > 150<<20 {
				t.Errorf("allocated %d MB, want < 150 MB", n>>20)
			}
		})
	}
}

func TestCleanKeepsTextOfMarkupTooBigToParse(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// Deeper than the HTML parser's 512 open elements: it fails, and
		// the text used to be lost.
		{"too deep", "<p>Mở đầu.</p>" + strings.Repeat("<div>", 600) + "Đoạn sâu." + strings.Repeat("</div>", 600), "Mở đầu.\nĐoạn sâu."},
		{"too many tags", "<p>Một.</p><script>bỏ()</script>" + strings.Repeat("<i></i>", maxFragmentTags) + "<p>Hai <b>đậm</b>.</p>", "Một.\nHai đậm."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExtractArticleRefusesAHugePage(t *testing.T) {
	page := "<html><body><article><p>" + strings.Repeat("<span>x</span>", maxPageTags) + "</p></article></body></html>"
	_, err := extractArticle([]byte(page), "text/html", "http://example.com/a", nil)
	if !errors.Is(err, ErrTooComplex) {
		t.Errorf("extractArticle = %v, want ErrTooComplex", err)
	}
}

// TestSchedulerHostileFeedsConcurrently polls four 4.8 MB hostile feeds at
// once: each is refused with a clear error recorded on the feed, and the
// whole round allocates far less than one unguarded parse did (1.1–1.3 GB).
func TestSchedulerHostileFeedsConcurrently(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	var ids []int64
	for i, sh := range hostileShapes {
		path := "/hostile" + string(rune('a'+i))
		srv.set(path, string(hostileFeed(sh.unit, sh.closer, hostileSize)))
		ids = append(ids, addFeed(t, st, srv.URL+path, "@every 1h").ID)
	}
	var s *Scheduler
	n := allocated(func() {
		s = NewScheduler(newPoller(st, time.Time{}), SchedulerOptions{Workers: 4, Log: quietLog()})
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				waitFor(t, "the hostile feed's error", func() bool { return reload(t, st, id).LastError != "" })
			}()
		}
		wg.Wait()
	})
	s.Stop()
	for _, id := range ids {
		f := reload(t, st, id)
		if !strings.Contains(f.LastError, "too complex") || !strings.Contains(f.LastError, "hostile") {
			t.Errorf("feed %d error = %q, want one saying the document is too complex", id, f.LastError)
		}
	}
	t.Logf("four hostile feeds polled at once: %.1f MB allocated in all", float64(n)/(1<<20))
	if n > 200<<20 {
		t.Errorf("allocated %d MB, want < 200 MB", n>>20)
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM") {
				t.Logf("process peak RSS so far: %s", strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")))
			}
		}
	}
}
