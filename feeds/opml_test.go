package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

func TestParseOPML(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Export</title></head><body>
  <outline title="Tin tức">
    <outline text="Kinh tế">
      <outline type="rss" text="VnExpress &amp; Kinh doanh" xmlUrl=" https://vnexpress.net/rss/kinh-doanh.rss "/>
    </outline>
    <outline type="rss" title="Tuổi Trẻ" xmlUrl="https://tuoitre.vn/rss/thoi-su.rss" category="/thoi-su,/tin-nong"/>
  </outline>
  <outline text="Không có nguồn"/>
  <outline type="rss" text="Gốc" xmlUrl="https://baolaocai.vn/rss/home.rss"/>
</body></opml>`
	got, err := ParseOPML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []OPMLFeed{
		{URL: "https://vnexpress.net/rss/kinh-doanh.rss", Title: "VnExpress & Kinh doanh", Folders: []string{"Tin tức", "Kinh tế"}},
		{URL: "https://tuoitre.vn/rss/thoi-su.rss", Title: "Tuổi Trẻ", Folders: []string{"Tin tức", "thoi-su", "tin-nong"}},
		{URL: "https://baolaocai.vn/rss/home.rss", Title: "Gốc"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseOPML:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseOPMLRefuses(t *testing.T) {
	deep := strings.Repeat(`<outline text="x">`, 20) + `<outline xmlUrl="https://a.vn/rss"/>` + strings.Repeat(`</outline>`, 20)
	var many strings.Builder
	for i := range MaxOPMLFeeds + 1 {
		fmt.Fprintf(&many, `<outline xmlUrl="https://a.vn/%d.rss"/>`, i)
	}
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"html page", `<!doctype html><html><body>hi</body></html>`, "not an OPML"},
		{"rss feed", `<rss version="2.0"><channel><title>x</title></channel></rss>`, "not an OPML"},
		{"too deep", `<opml><body>` + deep + `</body></opml>`, "deeper than"},
		{"too many", `<opml><body>` + many.String() + `</body></opml>`, "more than 1000 feeds"},
		{"too big", `<opml><body>` + strings.Repeat(" ", MaxOPMLBytes) + `</body></opml>`, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseOPML(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseOPML: %v, want an error with %q", err, tc.want)
			}
			if tc.want == "not an OPML" && !errors.Is(err, ErrNotOPML) {
				t.Fatalf("error %v is not ErrNotOPML", err)
			}
		})
	}
}

// What WriteOPML writes, ParseOPML reads back with each feed in its
// section's folder; titles are escaped, empty folders left out.
func TestWriteOPMLRoundTrip(t *testing.T) {
	sections := []storage.Section{{Key: "chinh-tri", Name: "Chính trị"}, {Key: "the-thao", Name: "Thể thao"}, {Key: "kinh-te", Name: "Kinh tế"}}
	list := []storage.Feed{
		{URL: "https://vnexpress.net/rss/kinh-doanh.rss", Section: "kinh-te", Title: `Kinh doanh <"VnExpress"> & co`},
		{URL: "https://baolaocai.vn/rss/home.rss?a=1&b=2", Section: "chinh-tri"},
		{URL: "https://x.vn/rss", Section: "mat-tich"},
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "newsbot", sections, list, time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) || strings.Contains(out, "Thể thao") {
		t.Errorf("document:\n%s", out)
	}
	got, err := ParseOPML(&buf)
	if err != nil {
		t.Fatalf("ParseOPML of WriteOPML: %v\n%s", err, out)
	}
	want := []OPMLFeed{
		{URL: "https://baolaocai.vn/rss/home.rss?a=1&b=2", Title: "https://baolaocai.vn/rss/home.rss?a=1&b=2", Folders: []string{"Chính trị", "chinh-tri"}},
		{URL: "https://vnexpress.net/rss/kinh-doanh.rss", Title: `Kinh doanh <"VnExpress"> & co`, Folders: []string{"Kinh tế", "kinh-te"}},
		{URL: "https://x.vn/rss", Title: "https://x.vn/rss", Folders: []string{"mat-tich", "mat-tich"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v\n%s", got, want, out)
	}
}

func FuzzParseOPML(f *testing.F) {
	f.Add(`<opml><body><outline text="a"><outline xmlUrl="https://a.vn/rss"/></outline></body></opml>`)
	f.Add(`<opml><body><outline`)
	f.Fuzz(func(t *testing.T, doc string) {
		feeds, err := ParseOPML(strings.NewReader(doc))
		if err == nil && len(feeds) > MaxOPMLFeeds {
			t.Fatalf("%d feeds", len(feeds))
		}
	})
}
