package main

import (
	"context"
	"crypto/sha1"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
	"github.com/newsbot-vn/newsbot/storage"
)

// outletFeeds serves one RSS feed per outlet (/laocai.rss, /vov.rss,
// /nhandan.rss), each with its own title, items a test adds, an ETag and
// 304 answers.
type outletFeeds struct {
	*httptest.Server
	mu     sync.Mutex
	titles map[string]string   // by path
	items  map[string][]string // rendered <item>s by path, newest first
	polls  map[string]int      // 200 answers by path
}

func newOutletFeeds(t *testing.T) *outletFeeds {
	t.Helper()
	o := &outletFeeds{
		titles: map[string]string{"/laocai.rss": "Báo Lào Cai", "/vov.rss": "VOV", "/nhandan.rss": "Nhân Dân"},
		items:  map[string][]string{}, polls: map[string]int{},
	}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Close)
	return o
}

func (o *outletFeeds) add(path string, r report, published time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	item := fmt.Sprintf("<item><title>%s</title><link>%s</link><guid>%s</guid><description>%s</description><pubDate>%s</pubDate></item>",
		html.EscapeString(r.title), r.link, r.link, html.EscapeString(r.lead), published.Format(time.RFC1123Z))
	o.items[path] = append([]string{item}, o.items[path]...)
}

// polled reports whether every outlet's feed was read at least n times.
func (o *outletFeeds) polled(n int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for path := range o.titles {
		if o.polls[path] < n {
			return false
		}
	}
	return true
}

func (o *outletFeeds) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	title, ok := o.titles[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>https://example.vn</link>%s</channel></rss>`,
		title, strings.Join(o.items[r.URL.Path], ""))
	etag := fmt.Sprintf(`"%x"`, sha1.Sum([]byte(body)))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	o.polls[r.URL.Path]++
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, body)
}

// report is one outlet's article about the story.
type report struct{ title, link, lead string }

// The provincial conference as three outlets reported it, minutes apart:
// their own titles, nearly the same words.
var (
	laocaiReport = report{"Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026", "https://baolaocai.vn/xuc-tien-dau-tu",
		"Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 với hơn 300 doanh nghiệp tham dự."}
	vovReport = report{"Khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 tại Lào Cai", "https://vov.vn/xuc-tien-dau-tu",
		"Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026, hơn 300 doanh nghiệp tham dự."}
	nhandanReport = report{"Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 khai mạc tại Lào Cai", "https://nhandan.vn/xuc-tien-dau-tu",
		"Sáng 3/12, tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 với hơn 300 doanh nghiệp tham dự."}
)

func withMethod(sent []telegramtest.Sent, method string) []telegramtest.Sent {
	return keep(sent, func(s telegramtest.Sent) bool { return s.Method == method })
}

// TestStoriesEndToEnd: three outlets' feeds carry one story minutes
// apart. A Telegram subscriber of their section gets one message, edited
// to list the other two outlets; a chat subscribed only to the second
// outlet's section gets one alert listing the first, edited to add the
// third; a Zalo subscriber gets one message; /latest lists the story once
// with its three sources and /nguon lists them.
func TestStoriesEndToEnd(t *testing.T) {
	tg := telegramtest.New(t)
	za := zalotest.New(t)
	feeds := newOutletFeeds(t)
	db := filepath.Join(t.TempDir(), "stories.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
zalo: {token: %q, api_url: %s}
poll: {schedule: "@every 1s", allow_private_addresses: true}
delivery: {chat_interval: 10ms}
sections:
  - {key: thoi-su, name: "Thời sự"}
  - {key: du-lich, name: "Du lịch"}
feeds:
  - {url: %[6]s/laocai.rss, section: thoi-su}
  - {url: %[6]s/vov.rss, section: du-lich}
  - {url: %[6]s/nhandan.rss, section: thoi-su}
`, db, tg.Token, tg.URL, za.Token, za.URL, feeds.URL))
	start(t, "-config", cfg)
	waitUntil(t, "the first polls", func() bool { return feeds.polled(1) })

	const traveller = 300 // du-lich only: VOV's section
	ask(t, tg, reader, "/subscribe thoi-su", "Đã đăng ký")
	ask(t, tg, traveller, "/subscribe du-lich", "Đã đăng ký")
	zbefore := len(za.SentTo("zu"))
	za.PushText("zu", "/subscribe thoi-su")
	za.WaitSent(t, func(all []zalotest.Sent) bool { return len(zaloTo(all, "zu")) > zbefore }, 15*time.Second)

	now := time.Now()
	feeds.add("/laocai.rss", laocaiReport, now.Add(-20*time.Minute))
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(containing(to(all, reader), "xúc tiến")) > 0 }, 15*time.Second)
	za.WaitSent(t, func(all []zalotest.Sent) bool { return len(zaloContaining(zaloTo(all, "zu"), "xúc tiến")) > 0 }, 15*time.Second)

	feeds.add("/vov.rss", vovReport, now.Add(-15*time.Minute))
	tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		return len(containing(withMethod(to(all, reader), "editMessageText"), ">VOV</a>")) > 0 &&
			len(containing(to(all, traveller), "xúc tiến")) > 0
	}, 15*time.Second)
	alone := containing(to(tg.Sent(), traveller), "xúc tiến")[0]
	if alone.Method != "sendMessage" || !strings.Contains(alone.Text, `Cũng đưa tin: <a href="https://baolaocai.vn/xuc-tien-dau-tu">Báo Lào Cai</a>`) ||
		!strings.Contains(alone.Text, "Khai mạc Hội nghị") {
		t.Fatalf("du-lich subscriber's alert should be VOV's, listing Báo Lào Cai:\n%s", alone.Text)
	}

	feeds.add("/nhandan.rss", nhandanReport, now.Add(-10*time.Minute))
	tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		return len(containing(withMethod(to(all, reader), "editMessageText"), ">Nhân Dân</a>")) > 0 &&
			len(containing(withMethod(to(all, traveller), "editMessageText"), ">Nhân Dân</a>")) > 0
	}, 15*time.Second)
	emptyOutbox(t, db)

	all := tg.Sent()
	for _, chat := range []int64{reader, traveller} {
		msgs := containing(to(all, chat), "xúc tiến")
		var sends []telegramtest.Sent
		for _, m := range msgs {
			if m.Method == "sendMessage" || m.Method == "sendPhoto" {
				sends = append(sends, m)
			} else if m.MessageID != msgs[0].MessageID {
				t.Errorf("chat %d: an edit of message %d, not of its alert %d", chat, m.MessageID, msgs[0].MessageID)
			}
		}
		if len(sends) != 1 {
			t.Fatalf("chat %d got %d messages of the story, want 1", chat, len(sends))
		}
	}
	last := withMethod(containing(to(all, reader), "xúc tiến"), "editMessageText")
	final := last[len(last)-1].Text
	want := `Cũng đưa tin: <a href="https://vov.vn/xuc-tien-dau-tu">VOV</a> · <a href="https://nhandan.vn/xuc-tien-dau-tu">Nhân Dân</a>`
	if !strings.Contains(final, want) || !strings.Contains(final, "Lào Cai khai mạc Hội nghị") {
		t.Fatalf("the reader's alert, edited, lacks %s:\n%s", want, final)
	}
	if got := zaloContaining(zaloTo(za.Sent(), "zu"), "xúc tiến"); len(got) != 1 {
		t.Fatalf("zalo got %d messages of the story, want 1", len(got))
	}

	latest := ask(t, tg, reader, "/latest", "Tin mới")
	if strings.Count(latest.Text, "xúc tiến") != 1 || !strings.Contains(latest.Text, "3 nguồn") {
		t.Fatalf("/latest should list the story once with 3 sources:\n%s", latest.Text)
	}
	number := strings.Fields(latest.Text[strings.Index(latest.Text, "/nguon ")+len("/nguon "):])[0]
	zbefore = len(za.SentTo("zu"))
	za.PushText("zu", "/nguon "+number)
	za.WaitSent(t, func(all []zalotest.Sent) bool {
		got := zaloTo(all, "zu")[zbefore:]
		return len(got) > 0 && strings.Contains(got[0].Text, "Nhân Dân")
	}, 15*time.Second)
	list := zaloTo(za.Sent(), "zu")[zbefore].Text
	for _, want := range []string{"1. Báo Lào Cai", "2. VOV", "3. Nhân Dân", "https://vov.vn/xuc-tien-dau-tu"} {
		if !strings.Contains(list, want) {
			t.Errorf("/nguon on Zalo lacks %q:\n%s", want, list)
		}
	}
}

func zaloTo(all []zalotest.Sent, chat string) []zalotest.Sent {
	return keep(all, func(s zalotest.Sent) bool { return s.ChatID == chat })
}

func zaloContaining(all []zalotest.Sent, s string) []zalotest.Sent {
	return keep(all, func(m zalotest.Sent) bool { return strings.Contains(m.Text+m.Caption, s) })
}

// TestStoryEditSurvivesSIGKILL: the bot is killed with SIGKILL as it edits
// a story alert for a source that joined (the joining article is saved,
// its edit in flight); after a restart the message is edited once, and
// the chat never gets a second message.
func TestStoryEditSurvivesSIGKILL(t *testing.T) {
	tg := telegramtest.New(t)
	feeds := newOutletFeeds(t)
	db := filepath.Join(t.TempDir(), "newsbot.db")
	const chat = 100
	// The state before: both outlets polled once, the story's first alert
	// sent to the chat as message 77.
	func() {
		ctx := context.Background()
		s, err := storage.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.EnableStories(storage.StoryOptions{})
		for _, sec := range []storage.Section{{Key: "thoi-su", Name: "Thời sự"}, {Key: "du-lich", Name: "Du lịch"}} {
			if err := s.UpsertSection(ctx, sec); err != nil {
				t.Fatal(err)
			}
		}
		laocai, err := s.AddFeed(ctx, feeds.URL+"/laocai.rss", "thoi-su", "")
		if err != nil {
			t.Fatal(err)
		}
		vov, err := s.AddFeed(ctx, feeds.URL+"/vov.rss", "du-lich", "")
		if err != nil {
			t.Fatal(err)
		}
		for feed, title := range map[int64]string{laocai.ID: "Báo Lào Cai", vov.ID: "VOV"} {
			if _, err := s.SaveItems(ctx, feed, nil, storage.SaveOptions{Title: title}); err != nil {
				t.Fatal(err)
			}
		}
		ref := storage.ChatRef{Platform: "telegram", ID: fmt.Sprint(chat)}
		if err := s.TouchChat(ctx, storage.Chat{ChatRef: ref, Type: "private"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, ref, []string{"thoi-su"}); err != nil {
			t.Fatal(err)
		}
		published := time.Now().Add(-20 * time.Minute)
		feeds.add("/laocai.rss", laocaiReport, published)
		if _, err := s.SaveItems(ctx, laocai.ID, []storage.Item{{GUID: laocaiReport.link, Link: laocaiReport.link, Canonical: laocaiReport.link,
			Title: laocaiReport.title, Summary: laocaiReport.lead, Published: published}}, storage.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		st, err := s.DeliveryStates(ctx, ref)
		if err != nil || len(st) != 1 {
			t.Fatalf("seeded deliveries %+v (%v), want 1", st, err)
		}
		if err := s.MarkSentMessage(ctx, []int64{st[0].ID}, time.Now(), "77"); err != nil {
			t.Fatal(err)
		}
	}()
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
poll: {schedule: "@every 1s", allow_private_addresses: true}
delivery: {chat_interval: 1ms}
sections: [{key: thoi-su, name: "Thời sự"}, {key: du-lich, name: "Du lịch"}]
feeds:
  - {url: %[4]s/laocai.rss, section: thoi-su}
  - {url: %[4]s/vov.rss, section: du-lich}
`, db, tg.Token, tg.URL, feeds.URL))

	first := startChild(t, cfg)
	var once sync.Once
	tg.SetFault(func(method string, _ url.Values) *telegramtest.Fault {
		if method == "editMessageText" {
			// The platform takes the edit; the bot dies before it hears so.
			once.Do(func() { first.cmd.Process.Signal(syscall.SIGKILL) })
		}
		return nil
	})
	// VOV carries the story: the bot saves it, with the edit, and edits.
	feeds.add("/vov.rss", vovReport, time.Now().Add(-10*time.Minute))
	select {
	case <-first.done:
		first.done <- nil
	case <-time.After(30 * time.Second):
		if s, err := storage.Open(context.Background(), db); err == nil {
			st, _ := s.DeliveryStates(context.Background(), storage.ChatRef{Platform: "telegram", ID: fmt.Sprint(chat)})
			t.Logf("deliveries: %+v; calls: %+v", st, tg.Calls())
			s.Close()
		}
		t.Fatal("the bot was not killed at the edit")
	}
	tg.SetFault(nil)

	second := startChild(t, cfg)
	emptyOutbox(t, db)
	var calls int
	for _, c := range tg.Calls() {
		if c.Method == "editMessageText" && c.ChatID == chat {
			calls++
		}
	}
	sent := to(tg.Sent(), chat)
	edits := withMethod(sent, "editMessageText")
	t.Logf("editMessageText called %d times (a repeat after the kill is answered 'not modified')", calls)
	if len(edits) != 1 || edits[0].MessageID != 77 || !strings.Contains(edits[0].Text, `Cũng đưa tin: <a href="https://vov.vn/xuc-tien-dau-tu">VOV</a>`) {
		t.Fatalf("chat %d: %d edits (%+v), want message 77 edited once to list VOV", chat, len(edits), edits)
	}
	if n := len(sent) - len(edits); n != 0 || calls > 2 {
		t.Fatalf("chat %d got %d new messages and %d edit calls; want none and at most one repeat", chat, n, calls)
	}
	second.stop(t)
}

// TestStoriesConfigCheck: -check names bad stories values; good ones and
// the defaults pass.
func TestStoriesConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		body string
		code int
		want []string
	}{
		{"stories: {enabled: false, window: 24h, threshold: 0.5}\n", 0, []string{"config ok"}},
		{"stories: {window: 10m, threshold: 1.5}\n", 1, []string{"stories.window", "stories.threshold"}},
		{"stories: {threshold: -0.2}\n", 1, []string{"stories.threshold"}},
		{"stories: {window: 1000h}\n", 1, []string{"stories.window"}},
	} {
		var out syncBuffer
		cfg := writeConfig(t, "database: x.db\n"+tc.body)
		if code := run(context.Background(), []string{"-config", cfg, "-check"}, strings.NewReader(""), &out, &out); code != tc.code {
			t.Errorf("%q: exit %d, want %d:\n%s", tc.body, code, tc.code, out.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: output lacks %q:\n%s", tc.body, w, out.String())
			}
		}
	}
	if d := defaultConfig().Stories; !d.Enabled || d.Window != 72*time.Hour || d.Threshold != storage.DefaultStoryThreshold {
		t.Errorf("defaults %+v", d)
	}
}
