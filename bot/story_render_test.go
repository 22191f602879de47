package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

func outlet(name, link string) storage.Article {
	return storage.Article{Source: name, Link: link, Title: "Bài của " + name}
}

func TestSourcesLine(t *testing.T) {
	own := outlet("Báo Lào Cai", "https://baolaocai.vn/a")
	seven := []storage.Article{own}
	for i := 1; i <= 7; i++ {
		seven = append(seven, outlet(fmt.Sprintf("Báo %d", i), fmt.Sprintf("https://b%d.vn/a", i)))
	}
	tests := []struct {
		name    string
		sources []storage.Article
		lg      string
		linked  bool
		want    string
	}{
		{"none", nil, "vi", true, ""},
		{"only the alert's own outlet", []storage.Article{outlet("Báo Lào Cai", "https://baolaocai.vn/b")}, "vi", true, ""},
		{"linked", []storage.Article{outlet("VOV", "https://vov.vn/a"), outlet("Nhân Dân", "https://nhandan.vn/a")}, "vi", true,
			`Cũng đưa tin: <a href="https://vov.vn/a">VOV</a> · <a href="https://nhandan.vn/a">Nhân Dân</a>`},
		{"english", []storage.Article{outlet("VOV", "https://vov.vn/a")}, "en", true, `Also reported by: <a href="https://vov.vn/a">VOV</a>`},
		{"plain", []storage.Article{outlet("VOV", "https://vov.vn/a"), outlet("Nhân Dân", "https://nhandan.vn/a")}, "vi", false,
			"Cũng đưa tin: VOV · Nhân Dân"},
		{"an outlet once", []storage.Article{outlet("VOV", "https://vov.vn/a"), outlet("VOV", "https://vov.vn/b")}, "vi", false, "Cũng đưa tin: VOV"},
		{"five then +N", seven, "vi", false, "Cũng đưa tin: Báo 1 · Báo 2 · Báo 3 · Báo 4 · Báo 5 · +2"},
		{"escaped", []storage.Article{outlet(`Tin <b>"A&B"</b>`, `https://x.vn/a?b=1&c="2"`)}, "vi", true,
			`Cũng đưa tin: <a href="https://x.vn/a?b=1&amp;c=&quot;2&quot;">Tin &lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;</a>`},
		{"escaped plain", []storage.Article{outlet("A<b>&", "https://x.vn")}, "vi", false, "Cũng đưa tin: A&lt;b&gt;&amp;"},
		{"host when the feed has no title", []storage.Article{{Link: "https://www.vietnamplus.vn/a", Source: "https://www.vietnamplus.vn/rss"}}, "vi", false,
			"Cũng đưa tin: vietnamplus.vn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SourcesLine(&own, tc.sources, tc.lg, tc.linked); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	// What Zalo shows: no markup, no address.
	plain := PlainText(SourcesLine(&own, seven[:3], "vi", false))
	if plain != "Cũng đưa tin: Báo 1 · Báo 2" {
		t.Errorf("plain text %q", plain)
	}
}

// TestStoryAlertFitsACaption: a story alert with a photo is cut to fit a
// caption, so that adding sources to a photo message later never makes a
// caption Telegram refuses; without a photo, or without sources, it is
// left alone.
func TestStoryAlertFitsACaption(t *testing.T) {
	a := &storage.Article{Title: strings.Repeat("Tiêu đề dài ", 20), Summary: strings.Repeat("Câu tóm tắt rất dài của bài. ", 30),
		Link: "https://baolaocai.vn/" + strings.Repeat("x", 100), Source: "Báo Lào Cai", ImageURL: "https://baolaocai.vn/a.jpg", Published: time.Now()}
	sources := []storage.Article{outlet("VOV", "https://vov.vn/a"), outlet("Nhân Dân", "https://nhandan.vn/a"), outlet("VietnamPlus", "https://vietnamplus.vn/a")}
	loc := VietnamTime()
	uncut := Alert(a, "vi", loc) + "\n\n" + SourcesLine(a, sources, "vi", true)
	if n := len([]rune(PlainText(uncut))); n <= captionLimit {
		t.Fatalf("the fixture's alert with its sources is %d characters; it must be over a caption to test the cut", n)
	}
	html := storyAlert(a, sources, "", "vi", loc, true)
	if n := len([]rune(PlainText(html))); n > captionLimit {
		t.Fatalf("story alert with a photo is %d characters, over a caption's %d:\n%s", n, captionLimit, html)
	}
	if !strings.Contains(html, `Cũng đưa tin: <a href="https://vov.vn/a">VOV</a>`) || !strings.Contains(html, "Câu tóm tắt") {
		t.Fatalf("story alert lost its sources or its summary:\n%s", html)
	}
	noPhoto := *a
	noPhoto.ImageURL = ""
	if got, want := storyAlert(&noPhoto, sources, "", "vi", loc, true), Alert(&noPhoto, "vi", loc); !strings.HasPrefix(got, want) {
		t.Errorf("without a photo the alert was cut:\n%s", got)
	}
	if got, want := storyAlert(a, nil, "", "vi", loc, true), Alert(a, "vi", loc); got != want {
		t.Errorf("without sources the alert changed:\n%s", got)
	}
}

func TestStoryNote(t *testing.T) {
	one := storage.Article{ID: 42, Sources: 1}
	three := storage.Article{ID: 42, Sources: 3}
	if got := storyNote(&one, "vi"); got != "" {
		t.Errorf("one source: %q", got)
	}
	if got := storyNote(&three, "vi"); !strings.Contains(got, "3 nguồn") || !strings.Contains(got, "/nguon 42") {
		t.Errorf("three sources: %q", got)
	}
	if got := storyNote(&three, "en"); !strings.Contains(got, "3 sources") {
		t.Errorf("english: %q", got)
	}
}

// TestDigestListsAStoryOnceWithItsSources: a digest entry of a story
// names its other outlets under its title.
func TestDigestListsAStoryOnceWithItsSources(t *testing.T) {
	a := &storage.Article{Title: "Hội nghị xúc tiến đầu tư", Link: "https://baolaocai.vn/a", Source: "Báo Lào Cai", SectionName: "Thời sự", Published: time.Now()}
	b := &storage.Article{Title: "Giá vàng giảm", Link: "https://nhandan.vn/g", Source: "Nhân Dân", SectionName: "Thời sự", Published: time.Now()}
	html := Digest([]DigestEntry{{Article: a, Sources: []storage.Article{outlet("VOV", "https://vov.vn/a")}}, {Article: b}}, "Bản tin", "vi", VietnamTime(), true)
	if strings.Count(html, "xúc tiến") != 1 || !strings.Contains(html, `Cũng đưa tin: <a href="https://vov.vn/a">VOV</a>`) || strings.Count(html, "Cũng đưa tin") != 1 {
		t.Fatalf("digest:\n%s", html)
	}
}

// TestStoryCommands: /latest and /search show a story once with "N nguồn"
// and its /nguon number; /nguon N and the story's button list its
// articles, oldest first, each outlet linked to its article; bad input
// gets a usage or not-found answer. Without buttons (Zalo), the number is
// the way.
func TestStoryCommands(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.EnableStories(storage.StoryOptions{})
	if err := store.UpsertSection(ctx, storage.Section{Key: "thoi-su", Name: "Thời sự"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	reports := []struct{ feed, title, host, lead string }{
		{"Báo Lào Cai", "Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026", "baolaocai.vn",
			"Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 với hơn 300 doanh nghiệp tham dự."},
		{"VOV", "Khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 tại Lào Cai", "vov.vn",
			"Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026, hơn 300 doanh nghiệp tham dự."},
		{"Nhân Dân", "Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 khai mạc tại Lào Cai", "nhandan.vn",
			"Sáng 3/12, tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 với hơn 300 doanh nghiệp tham dự."},
		{"Nhân Dân", "Giá vàng miếng giảm mạnh trong phiên chiều", "nhandan.vn",
			"Các doanh nghiệp kinh doanh vàng hạ giá vàng miếng thêm 500.000 đồng mỗi lượng."},
	}
	feeds := map[string]storage.Feed{}
	for i, r := range reports {
		feed, ok := feeds[r.feed]
		if !ok {
			if feed, err = store.AddFeed(ctx, "https://"+r.host+"/rss", "thoi-su", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := store.SaveItems(ctx, feed.ID, nil, storage.SaveOptions{Title: r.feed}); err != nil {
				t.Fatal(err)
			}
			feeds[r.feed] = feed
		}
		link := fmt.Sprintf("https://%s/bai-%d", r.host, i)
		if _, err := store.SaveItems(ctx, feed.ID, []storage.Item{{GUID: link, Link: link, Canonical: link, Title: r.title, Summary: r.lead,
			Published: now.Add(time.Duration(i) * time.Minute)}}, storage.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	b := New(Options{Store: store})
	p := newRecorder("test")
	chat := storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "c1"}, Type: "private"}
	ask := func(text string, callback bool) Message {
		t.Helper()
		u := Update{Chat: chat, UserID: "1", Text: text}
		if callback {
			u.Callback = &Callback{ID: "cb", MessageID: "9"}
		}
		return p.replyTo(t, b, u)
	}

	latest := ask("/latest", false)
	if strings.Count(latest.HTML, "xúc tiến") != 1 || !strings.Contains(latest.HTML, "📰 3 nguồn — /nguon ") || strings.Count(latest.HTML, "nguồn") != 1 {
		t.Fatalf("/latest:\n%s", latest.HTML)
	}
	if len(latest.Buttons) != 1 || !strings.HasPrefix(latest.Buttons[0][0].Data, "nguon:") || !strings.Contains(latest.Buttons[0][0].Text, "3 nguồn") {
		t.Fatalf("/latest buttons: %+v", latest.Buttons)
	}
	number := latest.HTML[strings.Index(latest.HTML, "/nguon ")+len("/nguon "):]
	number = strings.Fields(number)[0]

	check := func(m Message) {
		t.Helper()
		for i, want := range []string{`<b>Báo Lào Cai</b>`, `<b>VOV</b>`, `<b>Nhân Dân</b>`} {
			if !strings.Contains(m.HTML, fmt.Sprintf("%d. %s", i+1, want)) {
				t.Fatalf("story list lacks %d. %s:\n%s", i+1, want, m.HTML)
			}
		}
		if !strings.Contains(m.HTML, `<a href="https://vov.vn/bai-1">Khai mạc Hội nghị`) || strings.Contains(m.HTML, "Giá vàng") {
			t.Fatalf("story list:\n%s", m.HTML)
		}
	}
	check(ask("/nguon "+number, false))
	check(ask(latest.Buttons[0][0].Data, true))

	search := ask("/search xuc tien dau tu", false)
	if strings.Count(search.HTML, "xúc tiến") != 1 || !strings.Contains(search.HTML, "3 nguồn") {
		t.Fatalf("/search:\n%s", search.HTML)
	}
	for _, bad := range []string{"/nguon", "/nguon abc", "/nguon -3"} {
		if got := ask(bad, false); !strings.Contains(got.HTML, "Gõ /nguon") {
			t.Errorf("%q: %s", bad, got.HTML)
		}
	}
	if got := ask("/nguon 99999", false); !strings.Contains(got.HTML, "Không có bài số 99999") {
		t.Errorf("/nguon 99999: %s", got.HTML)
	}
	p.buttons = false
	if got := ask("/latest", false); len(got.Buttons) != 0 || !strings.Contains(got.HTML, "/nguon "+number) {
		t.Errorf("/latest without buttons: %+v", got)
	}
}
