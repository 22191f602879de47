package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
)

// feedServer serves an RSS feed whose items a test can add to, with an ETag
// and 304 answers, and counts what it was asked.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	items       []string // rendered <item> elements, newest first
	full        int      // 200 answers
	notModified int      // 304 answers
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	f := &feedServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) add(title, link, description string, published time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	item := fmt.Sprintf("<item><title>%s</title><link>%s</link><guid>%s</guid><description>%s</description><pubDate>%s</pubDate></item>",
		html.EscapeString(title), link, link, html.EscapeString(description), published.Format(time.RFC1123Z))
	f.items = append([]string{item}, f.items...)
}

func (f *feedServer) counts() (full, notModified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.full, f.notModified
}

func (f *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/page.html":
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><html><body><p>Không phải RSS</p></body></html>")
		return
	case "/other.rss":
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Kinh tế</title><link>https://x.vn</link>
<item><title>Giá lúa tăng</title><link>https://x.vn/gia-lua</link></item></channel></rss>`)
		return
	}
	body := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Lào Cai</title><link>https://baolaocai.vn</link>` +
		strings.Join(f.items, "") + `</channel></rss>`
	etag := fmt.Sprintf(`"%x"`, sha1.Sum([]byte(body)))
	if r.Header.Get("If-None-Match") == etag {
		f.notModified++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.full++
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, body)
}

// syncBuffer collects the bot's logs, for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is one run of the bot, in this process.
type instance struct {
	cancel context.CancelFunc
	done   chan int
	logs   *syncBuffer
}

func start(t *testing.T, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	go func() { in.done <- run(ctx, args, strings.NewReader(""), in.logs, in.logs) }()
	t.Cleanup(func() {
		cancel()
		<-in.done
		if t.Failed() {
			t.Logf("bot logs:\n%s", in.logs.String())
		}
	})
	return in
}

// stop ends the run as SIGTERM would and checks it exits 0 within 10 s.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.cancel()
	select {
	case code := <-in.done:
		in.done <- code // for the cleanup
		if code != 0 {
			t.Fatalf("exit code %d, want 0; logs:\n%s", code, in.logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not stop within 10 s")
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// keep returns the elements of all for which ok holds, in order.
func keep[T any](all []T, ok func(T) bool) []T {
	var out []T
	for _, x := range all {
		if ok(x) {
			out = append(out, x)
		}
	}
	return out
}

// containing returns the messages whose text contains s.
func containing(sent []telegramtest.Sent, s string) []telegramtest.Sent {
	return keep(sent, func(m telegramtest.Sent) bool { return strings.Contains(m.Text, s) })
}

// to returns the messages sent to chat (WaitSent's condition must not call
// back into the server).
func to(sent []telegramtest.Sent, chat int64) []telegramtest.Sent {
	return keep(sent, func(m telegramtest.Sent) bool { return m.ChatID == chat })
}

const (
	admin    = 1   // user and chat id of the admin
	reader   = 100 // subscribed to chinh-tri
	investor = 200 // subscribed to kinh-te
)

// ask pushes text from user (in the user's private chat) and waits for a
// reply containing want.
func ask(t *testing.T, tg *telegramtest.Server, user int64, text, want string) telegramtest.Sent {
	t.Helper()
	before := len(tg.SentTo(user))
	tg.PushMessage(user, user, text)
	var got telegramtest.Sent
	tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		for _, m := range to(all, user)[before:] {
			if strings.Contains(m.Text, want) {
				got = m
				return true
			}
		}
		return false
	}, 15*time.Second)
	return got
}

func TestEndToEndTelegram(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t)
	now := time.Now()
	feed.add("Đảng bộ tỉnh Lào Cai tổng kết 6 tháng", "https://baolaocai.vn/dang-bo", "<p>LCĐT - Sáng 5/7, Đảng bộ tỉnh họp.</p>", now.Add(-3*time.Hour))
	feed.add("Khai mạc lễ hội", "https://baolaocai.vn/le-hoi", "Lễ hội mùa xuân.", now.Add(-2*time.Hour))

	db := filepath.Join(t.TempDir(), "data", "newsbot.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram:
  token: %q
  api_url: %s
  admins: [%d]
poll:
  schedule: "@every 1s"
  timeout: 5s
  allow_private_addresses: true
delivery:
  chat_interval: 10ms
sections:
  - {key: chinh-tri, name: "Chính trị"}
  - {key: kinh-te, name: "Kinh tế"}
feeds:
  - url: %s/home.rss
    section: chinh-tri
`, db, tg.Token, tg.URL, admin, feed.URL))

	bot := start(t, "-config", cfg)
	waitUntil(t, "the first poll", func() bool { full, _ := feed.counts(); return full >= 1 })
	// The platform connects beside the first poll, not before it.
	waitUntil(t, "setMyCommands for both languages", func() bool { return len(tg.Commands("")) > 0 && len(tg.Commands("en")) > 0 })

	ask(t, tg, reader, "/start", "Xin chào")
	// In a group, a command addressed to another bot is not ours; ours with
	// its @suffix is answered once.
	tg.PushMessage(-300, reader, "/help@other_bot", telegramtest.WithChatType("group"))
	tg.PushMessage(-300, reader, "/help@"+tg.BotUsername, telegramtest.WithChatType("group"))
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(to(all, -300)) >= 1 }, 15*time.Second)
	ask(t, tg, reader, "/mysubs", "chưa đăng ký")
	if got := len(to(tg.Sent(), -300)); got != 1 {
		t.Errorf("group got %d replies to /help@other_bot and /help@ours, want 1", got)
	}
	ask(t, tg, reader, "/subscribe chinh tri", "Đã đăng ký")
	ask(t, tg, investor, "/subscribe kinh-te", "Đã đăng ký")

	// The next poll finds nothing new: the server answers 304.
	waitUntil(t, "a 304 on a later poll", func() bool { _, nm := feed.counts(); return nm >= 1 })

	// A new article reaches chinh-tri's subscriber once, and no one else.
	title := `Hội nghị giao ban công tác khoa giáo <6 tháng> & "định hướng"`
	feed.add(title, "https://baolaocai.vn/khoa-giao?utm_source=rss", "<p>LCĐT - Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị.</p>", now)
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(containing(to(all, reader), "khoa giáo")) > 0 }, 15*time.Second)
	alert := containing(tg.SentTo(reader), "khoa giáo")[0]
	for _, want := range []string{"<b>Hội nghị giao ban công tác khoa giáo &lt;6 tháng&gt; &amp; &#34;định hướng&#34;</b>", "Chính trị", "Ban Tuyên giáo Tỉnh ủy", "https://baolaocai.vn/khoa-giao"} {
		if !strings.Contains(alert.Text, want) && !strings.Contains(alert.Text, strings.ReplaceAll(want, "&#34;", "&quot;")) {
			t.Errorf("alert lacks %q:\n%s", want, alert.Text)
		}
	}
	if alert.ParseMode != "HTML" {
		t.Errorf("alert parse mode %q, want HTML", alert.ParseMode)
	}
	if strings.Contains(alert.Text, "LCĐT") {
		t.Errorf("outlet prefix left in the summary:\n%s", alert.Text)
	}
	// First-poll silence: the items that were there at the first poll were never pushed.
	for _, old := range []string{"Đảng bộ tỉnh", "Khai mạc lễ hội"} {
		if got := containing(tg.SentTo(reader), old); len(got) > 0 {
			t.Errorf("item from the first poll was pushed: %q", got[0].Text)
		}
	}
	if got := containing(tg.SentTo(investor), "khoa giáo"); len(got) > 0 {
		t.Errorf("kinh-te subscriber got a chinh-tri alert")
	}

	// Search, with and without diacritics, including đ/Đ; stored first-poll items are searchable.
	ask(t, tg, investor, "/search khoa giao", "Hội nghị giao ban")
	ask(t, tg, investor, "/search KHOA GIÁO", "Hội nghị giao ban")
	ask(t, tg, investor, "/search dang bo", "Đảng bộ tỉnh Lào Cai")
	ask(t, tg, investor, `/search "giao" OR ban* NEAR(`, "Không tìm thấy")

	// Admin commands.
	ask(t, tg, reader, "/addfeed "+feed.URL+"/other.rss kinh-te", "quản trị viên")
	ask(t, tg, admin, "/addfeed "+feed.URL+"/page.html kinh-te", "Không thêm được")
	ask(t, tg, admin, "/addfeed "+feed.URL+"/other.rss kinh-te", "Đã thêm nguồn tin")
	feeds := ask(t, tg, admin, "/feeds", "other.rss")
	if !strings.Contains(feeds.Text, "home.rss") {
		t.Errorf("/feeds lacks the config feed:\n%s", feeds.Text)
	}
	// The added feed's first poll is silent too.
	ask(t, tg, investor, "/search gia lua", "Giá lúa tăng")
	if got := containing(tg.SentTo(investor), "Giá lúa tăng"); len(got) != 1 {
		t.Errorf("added feed's items were pushed: %d messages", len(got))
	}

	// Restart: nothing already sent is sent again, and new items still flow.
	bot.stop(t)
	start(t, "-config", cfg)
	feed.add("Giá vàng hôm nay", "https://baolaocai.vn/gia-vang", "Giá vàng tăng.", time.Now())
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(containing(to(all, reader), "Giá vàng")) > 0 }, 15*time.Second)
	if got := containing(tg.SentTo(reader), "khoa giáo"); len(got) != 1 {
		t.Errorf("the alert was sent %d times across the restart, want 1", len(got))
	}
	if got := containing(tg.SentTo(reader), "Giá vàng"); len(got) != 1 {
		t.Errorf("the new alert was sent %d times, want 1", len(got))
	}
}

func TestCheckAndVersion(t *testing.T) {
	good := writeConfig(t, `
database: x.db
sections: [{key: chinh-tri, name: "Chính trị"}]
feeds: [{url: "https://baolaocai.vn/rss/home.rss", section: chinh-tri, schedule: "*/10 * * * *"}]
`)
	tests := []struct {
		name   string
		args   []string
		code   int
		output []string
	}{
		{"version", []string{"-version"}, 0, []string{"newsbot "}},
		{"good config", []string{"-config", good, "-check"}, 0, []string{"config ok", "1 sections", "1 feeds"}},
		{"example config", []string{"-config", "config.example.yaml", "-check"}, 0, []string{"config ok"}},
		{"missing file", []string{"-config", filepath.Join(t.TempDir(), "none.yaml"), "-check"}, 1, []string{"no such file"}},
		{"unknown key", []string{"-config", writeConfig(t, "poll:\n  shedule: \"@every 1m\"\n"), "-check"}, 1, []string{`unknown key "shedule"`}},
		{"bad values", []string{"-config", writeConfig(t, `
poll: {schedule: "every day", workers: 0}
telegram: {api_url: "ftp://x"}
sections: [{key: "Chính Trị", name: ""}]
feeds: [{url: "file:///etc/passwd", section: nope, schedule: "61 * * * *"}]
`), "-check"}, 1, []string{"poll.schedule", "poll.workers", "telegram.api_url", "sections[0].key", "sections[0].name", "feeds[0].url", "feeds[0].section", "feeds[0].schedule"}},
		{"bad duration", []string{"-config", writeConfig(t, "poll: {timeout: soon}\n"), "-check"}, 1, []string{"line 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &out, &out)
			if code != tc.code {
				t.Errorf("exit %d, want %d; output:\n%s", code, tc.code, out.String())
			}
			for _, want := range tc.output {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestRunWithoutTokenNeedsConsole(t *testing.T) {
	t.Setenv("TELEGRAM_BOT_TOKEN", "")
	cfg := writeConfig(t, "database: "+filepath.Join(t.TempDir(), "n.db")+"\n")
	var out syncBuffer
	if code := run(context.Background(), []string{"-config", cfg}, strings.NewReader(""), &out, &out); code != 1 {
		t.Fatalf("exit %d without a token, want 1", code)
	}
	if !strings.Contains(out.String(), "-console") {
		t.Errorf("the error should point to -console:\n%s", out.String())
	}
}

func TestConsole(t *testing.T) {
	feed := newFeedServer(t)
	feed.add("Đảng bộ tỉnh Lào Cai tổng kết", "https://baolaocai.vn/dang-bo", "Tổng kết 6 tháng.", time.Now())
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
poll: {schedule: "@every 1h", allow_private_addresses: true}
sections: [{key: chinh-tri, name: "Chính trị"}, {key: kinh-te, name: "Kinh tế"}]
feeds: [{url: %s/home.rss, section: chinh-tri}]
`, filepath.Join(t.TempDir(), "c.db"), feed.URL))
	// The first poll runs at start; once it is stored, /latest shows it.
	input := "/sections\n/subscribe chinh tri\n/mysubs\n/feeds\n/search dang bo\n/help\n"
	var out, logs syncBuffer
	code := run(context.Background(), []string{"-config", cfg, "-console"}, strings.NewReader(input), &out, &logs)
	if code != 0 {
		t.Fatalf("exit %d; logs:\n%s", code, logs.String())
	}
	got := out.String()
	for _, want := range []string{
		"Các chuyên mục", "/subscribe", // text equivalent of the buttons
		"Đã đăng ký: Chính trị",
		"Bạn đang nhận tin của:",
		"home.rss", // the console user is an admin
		"/addfeed",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"<b>", "<code>", "&lt;"} {
		if strings.Contains(got, bad) {
			t.Errorf("console output has markup %q:\n%s", bad, got)
		}
	}
}

func TestEndToEndZalo(t *testing.T) {
	t.Setenv("TELEGRAM_BOT_TOKEN", "")
	za := zalotest.New(t)
	feed := newFeedServer(t)
	feed.add("Đảng bộ tỉnh Lào Cai tổng kết 6 tháng", "https://baolaocai.vn/dang-bo", "Tổng kết.", time.Now().Add(-time.Hour))
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
zalo:
  token: %q
  api_url: %s
  admins: ["zadmin"]
poll: {schedule: "@every 1s", allow_private_addresses: true}
delivery: {chat_interval: 10ms}
sections:
  - {key: chinh-tri, name: "Chính trị"}
  - {key: kinh-te, name: "Kinh tế"}
feeds: [{url: %s/home.rss, section: chinh-tri}]
`, filepath.Join(t.TempDir(), "z.db"), za.Token, za.URL, feed.URL))
	start(t, "-config", cfg)
	waitUntil(t, "the first poll", func() bool { full, _ := feed.counts(); return full >= 1 })

	waitZalo := func(user string, before int, want string) zalotest.Sent {
		t.Helper()
		var got zalotest.Sent
		za.WaitSent(t, func(all []zalotest.Sent) bool {
			var mine []zalotest.Sent
			for _, s := range all {
				if s.ChatID == user {
					mine = append(mine, s)
				}
			}
			for _, s := range mine[min(before, len(mine)):] {
				if strings.Contains(s.Text+s.Caption, want) {
					got = s
					return true
				}
			}
			return false
		}, 15*time.Second)
		return got
	}
	askZalo := func(user, text, want string) zalotest.Sent {
		t.Helper()
		before := len(za.SentTo(user))
		za.PushText(user, text)
		return waitZalo(user, before, want)
	}
	sections := askZalo("zuser", "/sections", "Các chuyên mục")
	if strings.Contains(sections.Text, "<") {
		t.Errorf("HTML reached a Zalo user:\n%s", sections.Text)
	}
	askZalo("zuser", "đăng ký chinh tri", "Đã đăng ký: Chính trị")
	waitUntil(t, "a 304", func() bool { _, nm := feed.counts(); return nm >= 1 })

	before := len(za.SentTo("zuser"))
	feed.add("Hội nghị giao ban công tác khoa giáo <b>6 tháng</b>", "https://baolaocai.vn/khoa-giao", "Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị.", time.Now())
	alert := waitZalo("zuser", before, "khoa giáo")
	text := alert.Text + alert.Caption
	if strings.Contains(text, "<b>") || !strings.Contains(text, "\nhttps://baolaocai.vn/khoa-giao") && !strings.Contains(text, ": https://baolaocai.vn/khoa-giao") {
		t.Errorf("Zalo alert is not plain text with its link:\n%s", text)
	}
	askZalo("zuser", "tìm khoa giao", "Hội nghị giao ban")
	askZalo("zuser", "/addfeed "+feed.URL+"/other.rss kinh-te", "quản trị viên")
	askZalo("zadmin", "/addfeed "+feed.URL+"/other.rss kinh-te", "Đã thêm nguồn tin")
	n := 0
	for _, s := range za.SentTo("zuser") {
		if strings.Contains(s.Text+s.Caption, "khoa giáo 6 tháng") && !strings.Contains(s.Text, "Kết quả") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the alert reached the Zalo user %d times, want 1", n)
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestWebhooksOnListener(t *testing.T) {
	tg := telegramtest.New(t)
	za := zalotest.New(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s, webhook: {url: "https://bot.example.vn/hook/telegram", secret: "tg_secret-1"}}
zalo: {token: %q, api_url: %s, webhook: {url: "https://bot.example.vn/hook/zalo", secret: "zalo-secret-1"}}
http: {listen: %q}
sections: [{key: chinh-tri, name: "Chính trị"}]
`, filepath.Join(t.TempDir(), "w.db"), tg.Token, tg.URL, za.Token, za.URL, addr))
	start(t, "-config", cfg)
	ctx := context.Background()
	waitUntil(t, "setWebhook on both platforms", func() bool {
		u1, s1 := tg.Webhook()
		u2, s2 := za.Webhook()
		return u1 == "https://bot.example.vn/hook/telegram" && s1 == "tg_secret-1" && u2 == "https://bot.example.vn/hook/zalo" && s2 == "zalo-secret-1"
	})
	base := "http://" + addr
	if code, err := (&http.Client{}).Get(base + "/healthz"); err != nil || code.StatusCode != 200 {
		t.Fatalf("/healthz: %v %v", code, err)
	}

	update := func(id int, text string) tgbotapi.Update {
		return tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{MessageID: id, Date: int(time.Now().Unix()), Text: text,
			From: &tgbotapi.User{ID: 42, FirstName: "An"}, Chat: &tgbotapi.Chat{ID: 42, Type: "private"},
			Entities: []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: len(strings.Fields(text)[0])}}}}
	}
	for _, secret := range []string{"", "wrong"} {
		if code, _ := telegramtest.PostWebhook(ctx, nil, base+"/hook/telegram", secret, update(1, "/start")); code != http.StatusUnauthorized {
			t.Errorf("telegram webhook with secret %q: %d, want 401", secret, code)
		}
	}
	for range 2 { // a replay is handled once
		if code, err := telegramtest.PostWebhook(ctx, nil, base+"/hook/telegram", "tg_secret-1", update(2, "/help")); code != 200 {
			t.Fatalf("telegram webhook: %d %v", code, err)
		}
	}
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(to(all, 42)) >= 1 }, 10*time.Second)

	zu := func(id, text string) zalotest.Update {
		return zalotest.Update{EventName: "message.text.received", Message: zalotest.Message{MessageID: id, Text: text,
			From: zalotest.User{ID: "zu1", DisplayName: "Lan"}, Chat: zalotest.Chat{ID: "zu1", ChatType: "PRIVATE"}, Date: time.Now().UnixMilli()}}
	}
	if code, _ := zalotest.PostWebhook(ctx, nil, base+"/hook/zalo", "nope-nope", zalotest.WebhookBody(zu("m0", "/start"), false)); code != http.StatusUnauthorized {
		t.Errorf("zalo webhook with a wrong secret: %d, want 401", code)
	}
	for i, wrapped := range []bool{false, true, true} { // both shapes; the last is a replay of the second
		id := []string{"m1", "m2", "m2"}[i]
		if code, err := zalotest.PostWebhook(ctx, nil, base+"/hook/zalo", "zalo-secret-1", zalotest.WebhookBody(zu(id, "/help"), wrapped)); code != 200 {
			t.Fatalf("zalo webhook: %d %v", code, err)
		}
	}
	// A last update after the replays: updates are handled in order, so once
	// its answer is out, a replay's answer would be too.
	zalotest.PostWebhook(ctx, nil, base+"/hook/zalo", "zalo-secret-1", zalotest.WebhookBody(zu("m3", "/start"), false))
	za.WaitSent(t, func(all []zalotest.Sent) bool { return len(all) >= 3 }, 10*time.Second)
	telegramtest.PostWebhook(ctx, nil, base+"/hook/telegram", "tg_secret-1", update(3, "/start"))
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(to(all, 42)) >= 2 }, 10*time.Second)
	if got := len(containing(to(tg.Sent(), 42), "Các lệnh")); got != 1 {
		t.Errorf("telegram chat got %d help replies, want 1 (wrong secrets refused, replay ignored)", got)
	}
	help := 0
	for _, s := range za.SentTo("zu1") {
		if strings.Contains(s.Text, "Các lệnh") {
			help++
		}
	}
	if help != 2 {
		t.Errorf("zalo user got %d help replies, want 2 (one per body shape, replay ignored)", help)
	}
}

// TestSeedArticleAlert serves the seed page (a Báo Lào Cai conference report
// in its site's chrome) behind a title-only feed with full_text: the alert
// must lead with the conference and carry none of the page's chrome.
func TestSeedArticleAlert(t *testing.T) {
	page, err := os.ReadFile("feeds/testdata/seed/baolaocai-khoa-giao.html")
	if err != nil {
		t.Fatalf("the seed page is read from testdata: %v", err)
	}
	tg := telegramtest.New(t)
	var mu sync.Mutex
	items, polls := "", 0
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/rss" {
			polls++
		}
		if r.URL.Path == "/khoa-giao.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
			return
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Lào Cai</title><link>%s</link>%s</channel></rss>`, "http://"+r.Host, items)
	}))
	t.Cleanup(site.Close)
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
poll: {schedule: "@every 1s", allow_private_addresses: true}
sections: [{key: dia-phuong, name: "Địa phương"}]
feeds: [{url: %s/rss, section: dia-phuong, full_text: true}]
`, filepath.Join(t.TempDir(), "s.db"), tg.Token, tg.URL, site.URL))
	start(t, "-config", cfg)
	ask(t, tg, reader, "/subscribe dia-phuong", "Đã đăng ký")
	// The item appears after the feed's first (silent) poll.
	waitUntil(t, "the first poll", func() bool { mu.Lock(); defer mu.Unlock(); return polls >= 1 })
	mu.Lock()
	items = fmt.Sprintf(`<item><title>Ban Tuyên giáo Tỉnh ủy định hướng nhiệm vụ công tác khoa giáo 6 tháng cuối năm 2022</title><link>%s/khoa-giao.html</link><pubDate>%s</pubDate></item>`,
		site.URL, time.Now().Format(time.RFC1123Z))
	mu.Unlock()
	tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		return len(containing(to(all, reader), "định hướng nhiệm vụ")) > 0
	}, 20*time.Second)
	alert := containing(to(tg.Sent(), reader), "định hướng nhiệm vụ")[0].Plain
	for _, want := range []string{"Sáng 5/7", "Dương Đức Huy", "Ban Tuyên giáo Tỉnh ủy tổ chức Hội nghị giao ban công tác khoa giáo"} {
		if !strings.Contains(alert, want) {
			t.Errorf("alert lacks %q:\n%s", want, alert)
		}
	}
	for _, chrome := range []string{"Quảng cảnh hội nghị", "Đại biểu dự hội nghị", "Zalo", "Hotline", "Video - Clips", "Thời tiết Lào Cai", "Tin liên quan", "LCĐT"} {
		if strings.Contains(alert, chrome) {
			t.Errorf("alert carries %q:\n%s", chrome, alert)
		}
	}
	t.Logf("alert:\n%s", alert)
}

// TestConsoleNoBudget: commands piped into the console are all answered,
// however many: the per-person budget is for chat platforms.
func TestConsoleNoBudget(t *testing.T) {
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
commands: {per_minute: 5}
sections: [{key: chinh-tri, name: "Chính trị"}]
`, filepath.Join(t.TempDir(), "c.db")))
	input := strings.Repeat("/help\n", 12)
	var out, logs syncBuffer
	if code := run(context.Background(), []string{"-config", cfg, "-console"}, strings.NewReader(input), &out, &logs); code != 0 {
		t.Fatalf("exit %d; logs:\n%s", code, logs.String())
	}
	if n := strings.Count(out.String(), "Các lệnh"); n != 12 {
		t.Errorf("%d of 12 piped commands were answered:\n%s", n, out.String())
	}
}
