package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// recorder is a platform that keeps what it was asked to send. fail, when
// set, decides the answer to each send.
type recorder struct {
	name    string
	buttons bool
	mu      sync.Mutex
	sent    []Message
	at      []time.Time // when each was sent
	fail    func(Message) error
	notify  chan struct{}
}

func newRecorder(name string) *recorder {
	return &recorder{name: name, buttons: true, notify: make(chan struct{}, 100)}
}

func (p *recorder) Name() string  { return p.name }
func (p *recorder) Buttons() bool { return p.buttons }
func (p *recorder) Run(ctx context.Context, _ func(context.Context, Update)) error {
	<-ctx.Done()
	return nil
}
func (p *recorder) AnswerCallback(context.Context, string, string) error { return nil }
func (p *recorder) Send(_ context.Context, m Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		if err := p.fail(m); err != nil {
			return "", err
		}
	}
	p.sent = append(p.sent, m)
	p.at = append(p.at, time.Now())
	select {
	case p.notify <- struct{}{}:
	default:
	}
	return "1", nil
}

func (p *recorder) messages() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Message(nil), p.sent...)
}

// replyTo has b handle u and returns its one reply; it fails the test
// when u gets no reply or several.
func (p *recorder) replyTo(t *testing.T, b *Bot, u Update) Message {
	t.Helper()
	before := len(p.messages())
	b.Handle(context.Background(), p, u)
	msgs := p.messages()[before:]
	if len(msgs) != 1 {
		t.Fatalf("%q: %d replies, want 1", u.Text, len(msgs))
	}
	return msgs[0]
}

// last returns the text of the last message sent.
func (p *recorder) last(t *testing.T) string {
	t.Helper()
	m := p.messages()
	if len(m) == 0 {
		t.Fatal("nothing was sent")
	}
	return m[len(m)-1].HTML
}

type env struct {
	store *storage.Store
	bot   *Bot
	p     *recorder
	feed  storage.Feed
}

// stubFeeds stands in for the feed scheduler (which fetches): adding
// pretends, removing deletes from the real store as the scheduler does.
type stubFeeds struct {
	store *storage.Store
	added []string
}

func (s *stubFeeds) AddFeed(_ context.Context, url, section string, fullText bool) (storage.Feed, int, error) {
	if strings.Contains(url, "notafeed") {
		return storage.Feed{}, 0, &FeedError{Reason: "not_feed", Err: errors.New("feeds: not a feed: text/html")}
	}
	if strings.Contains(url, "gone") {
		return storage.Feed{}, 0, &FeedError{Reason: "status", Status: 404, Err: errors.New("feeds: fetch: unexpected status 404 File not found")}
	}
	if strings.Contains(url, "intranet") {
		return storage.Feed{}, 0, &FeedError{Reason: "private", Err: errors.New("feeds: address 127.0.0.1 is private")}
	}
	if strings.Contains(url, "page-one") { // a web page announcing one feed
		return storage.Feed{}, 0, &FeedError{Reason: "not_feed", Err: errors.New("feeds: not a feed"),
			Alternates: []FeedLink{{URL: "https://x.vn/rss/home.rss", Title: "Trang chủ"}}}
	}
	if strings.Contains(url, "page-many") {
		return storage.Feed{}, 0, &FeedError{Reason: "not_feed", Err: errors.New("feeds: not a feed"),
			Alternates: []FeedLink{{URL: "https://x.vn/rss/a.rss", Title: "Thời sự"}, {URL: "https://x.vn/rss/b.rss", Title: "Thể thao"}}}
	}
	if strings.Contains(url, "page-known") {
		return storage.Feed{}, 0, &FeedError{Reason: "not_feed", Err: errors.New("feeds: not a feed"),
			Alternates: []FeedLink{{URL: "https://baolaocai.vn/rss/home.rss"}}}
	}
	s.added = append(s.added, fmt.Sprintf("%s %s %v", url, section, fullText))
	return storage.Feed{ID: 7, URL: url, Section: section}, 3, nil
}
func (s *stubFeeds) RemoveFeed(ctx context.Context, id int64) error {
	return s.store.DeleteFeed(ctx, id)
}
func (s *stubFeeds) ResumeFeed(ctx context.Context, id int64) (storage.Feed, error) {
	return s.store.ResumeFeed(ctx, id)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, s := range []storage.Section{{Key: "chinh-tri", Name: "Chính trị"}, {Key: "kinh-te", Name: "Kinh tế"}} {
		if err := store.UpsertSection(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	feed, err := store.AddFeed(ctx, "https://baolaocai.vn/rss/home.rss", "chinh-tri", "")
	if err != nil {
		t.Fatal(err)
	}
	b := New(Options{Store: store, Feeds: &stubFeeds{store: store}, Admins: map[string]bool{"test:1": true}})
	return &env{store: store, bot: b, p: newRecorder("test"), feed: feed}
}

// say sends text as user from a private chat and returns the reply.
func (e *env) say(t *testing.T, user, text string) string {
	t.Helper()
	return e.sayLang(t, user, "vi", text)
}

func (e *env) sayLang(t *testing.T, user, lg, text string) string {
	t.Helper()
	before := len(e.p.messages())
	e.bot.Handle(context.Background(), e.p, Update{
		Chat:   storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat" + user}, Type: "private"},
		UserID: user, Lang: lg, Text: text,
	})
	e.bot.Wait() // slow commands (/addfeed, /channel) answer in the background
	msgs := e.p.messages()[before:]
	if len(msgs) == 2 && strings.HasPrefix(msgs[0].HTML, "⏳") {
		msgs = msgs[1:] // "checking…", then the answer
	}
	if len(msgs) != 1 {
		t.Fatalf("%q: got %d replies, want 1", text, len(msgs))
	}
	return msgs[0].HTML
}

func TestCommands(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, user, text string
		want             []string
	}{
		{"start", "2", "/start", []string{"Xin chào", "/subscribe"}},
		{"help lists every command", "2", "/help", []string{"/sections", "/subscribe", "/unsubscribe", "/mysubs", "/latest", "/search"}},
		{"help for admin", "1", "/help", []string{"/addfeed", "/delfeed", "/feeds"}},
		{"botname suffix", "2", "/help@newsbot_bot", []string{"/sections"}},
		{"subscribe by key", "2", "/subscribe chinh-tri", []string{"Đã đăng ký", "Chính trị"}},
		{"subscribe again", "2", "/subscribe chinh-tri", []string{"đã đăng ký", "từ trước"}},
		{"subscribe by folded name", "3", "/subscribe kinh te", []string{"Đã đăng ký", "Kinh tế"}},
		{"subscribe by accented name", "4", "/subscribe Kinh tế", []string{"Đã đăng ký", "Kinh tế"}},
		{"subscribe all", "5", "/subscribe all", []string{"Chính trị", "Kinh tế"}},
		{"unknown section lists keys", "2", "/subscribe the-thao", []string{"Không có chuyên mục", "chinh-tri", "kinh-te"}},
		{"missing argument", "2", "/subscribe", []string{"Hãy cho biết chuyên mục", "chinh-tri"}},
		{"mysubs", "2", "/mysubs", []string{"Chính trị"}},
		{"unsubscribe", "2", "/unsubscribe chinh-tri", []string{"Đã hủy", "Chính trị"}},
		{"unsubscribe not subscribed", "2", "/unsubscribe chinh-tri", []string{"chưa đăng ký"}},
		{"mysubs empty", "2", "/mysubs", []string{"chưa đăng ký chuyên mục nào"}},
		{"sections", "5", "/sections", []string{"✅ Chính trị", "<code>kinh-te</code>"}},
		{"latest empty", "2", "/latest", []string{"Chưa có bài"}},
		{"latest unknown section", "2", "/latest xyz", []string{"Không có chuyên mục"}},
		{"search usage", "2", "/search", []string{"Hãy gõ từ khóa"}},
		{"search operators only", "2", `/search "" OR * NEAR()`, []string{"Không tìm thấy"}},
		{"search no match", "2", "/search xyzzy", []string{"Không tìm thấy", "xyzzy"}},
		{"search echo escaped", "2", "/search <b>x</b>", []string{"&lt;b&gt;x&lt;/b&gt;"}},
		{"unknown command", "2", "/frobnicate", []string{"/help"}},
		{"plain text", "2", "xin chào", []string{"/help"}},
		{"non-admin addfeed", "2", "/addfeed https://x.vn/rss chinh-tri", []string{"chỉ dành cho quản trị viên"}},
		{"non-admin feeds", "2", "/feeds", []string{"quản trị viên"}},
		{"addfeed usage", "1", "/addfeed", []string{"Cú pháp"}},
		{"addfeed bad scheme", "1", "/addfeed ftp://x.vn/rss chinh-tri", []string{"không phải địa chỉ http/https"}},
		{"addfeed unknown section", "1", "/addfeed https://x.vn/rss nope", []string{"Không có chuyên mục"}},
		{"addfeed not a feed", "1", "/addfeed https://x.vn/notafeed chinh-tri", []string{"Không thêm được", "là một trang web, không phải nguồn tin"}},
		{"addfeed ok", "1", "/addfeed https://x.vn/rss chinh tri", []string{"#7", "3 bài"}},
		{"addfeed full text", "1", "/addfeed https://x.vn/titles.rss kinh-te full_text", []string{"#7", "trang bài"}},
		{"delfeed unknown", "1", "/delfeed 999", []string{"Không có nguồn tin"}},
		{"delfeed usage", "1", "/delfeed", []string{"Cú pháp"}},
		{"feeds", "1", "/feeds", []string{"baolaocai.vn", "chinh-tri", "chưa"}},
		{"follow usage", "2", "/follow !!!", []string{"Cú pháp: /follow"}},
		{"follow", "2", "/follow Sa Pa", []string{"Đã theo dõi “Sa Pa”"}},
		{"follow again folded", "2", "/follow sa pa", []string{"từ trước"}},
		{"follows", "2", "/follows", []string{"• Sa Pa"}},
		{"unfollow unknown", "2", "/unfollow Hà Nội", []string{"không theo dõi"}},
		{"unfollow", "2", "/unfollow SA PA", []string{"Đã thôi theo dõi"}},
		{"follows empty", "2", "/follows", []string{"chưa theo dõi"}},
		{"a long broadcast is fine", "1", "/broadcast " + strings.Repeat("Thông báo. ", 200), []string{"Đã xếp hàng"}},
		{"too long even for a broadcast", "1", "/broadcast " + strings.Repeat("a", 4000), []string{"quá dài", "3500"}},
		{"too long", "2", "/search " + strings.Repeat("a", 5000), []string{"quá dài", "1000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.say(t, tc.user, tc.text)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q: reply %q lacks %q", tc.text, got, w)
				}
			}
		})
	}
	// In a group, someone else's command gets no hint.
	before := len(e.p.messages())
	group := storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "g1"}, Type: "group"}
	e.bot.Handle(context.Background(), e.p, Update{Chat: group, UserID: "2", Text: "/weather"})
	e.bot.Handle(context.Background(), e.p, Update{Chat: group, UserID: "2", Text: "hello all"})
	if n := len(e.p.messages()) - before; n != 0 {
		t.Errorf("the bot answered %d messages not meant for it in a group", n)
	}
	e.bot.Handle(context.Background(), e.p, Update{Chat: group, UserID: "2", Text: "/weather@newsbot"})
	if n := len(e.p.messages()) - before; n != 1 {
		t.Errorf("an unknown command naming the bot got %d replies, want 1", n)
	}
	if got := e.sayLang(t, "6", "en-US", "/subscribe nope"); !strings.Contains(got, "There is no section") {
		t.Errorf("English reply: %q", got)
	}
	if got := e.sayLang(t, "6", "en", "/start"); !strings.Contains(got, "Hello") {
		t.Errorf("English welcome: %q", got)
	}
}

func TestSectionsButtonToggles(t *testing.T) {
	e := newEnv(t)
	e.say(t, "2", "/sections")
	msgs := e.p.messages()
	buttons := msgs[len(msgs)-1].Buttons
	if len(buttons) != 2 || buttons[0][0].Data != "t:chinh-tri" || !strings.HasPrefix(buttons[0][0].Text, "➕") {
		t.Fatalf("buttons: %+v", buttons)
	}
	press := func() Message {
		e.bot.Handle(context.Background(), e.p, Update{
			Chat:   storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat2"}, Type: "private"},
			UserID: "2", Text: "t:chinh-tri", Callback: &Callback{ID: "cb", MessageID: "42"},
		})
		m := e.p.messages()
		return m[len(m)-1]
	}
	edit := press()
	if edit.EditID != "42" || !strings.HasPrefix(edit.Buttons[0][0].Text, "✅") {
		t.Fatalf("after press: %+v", edit)
	}
	subs, _ := e.store.Subscriptions(context.Background(), storage.ChatRef{Platform: "test", ID: "chat2"})
	if len(subs) != 1 || subs[0].Key != "chinh-tri" {
		t.Fatalf("subscriptions after press: %v", subs)
	}
	if edit = press(); !strings.HasPrefix(edit.Buttons[0][0].Text, "➕") {
		t.Fatalf("second press did not unsubscribe: %+v", edit.Buttons)
	}
	e.p.buttons = false
	if got := e.say(t, "2", "/sections"); !strings.Contains(got, "/subscribe") {
		t.Fatalf("without buttons the reply must say which command to use: %q", got)
	}
	if m := e.p.messages(); m[len(m)-1].Buttons != nil {
		t.Fatal("buttons sent to a platform without them")
	}
}

func TestAlertEscapesFeedText(t *testing.T) {
	a := &storage.Article{
		Title:       `<script>alert("x")</script> Giá & "lúa"`,
		Summary:     "Tóm tắt <b>không</b> phải HTML",
		Link:        "https://example.vn/a?x=1&y=2",
		Published:   time.Date(2026, 8, 23, 1, 30, 0, 0, time.UTC),
		SectionName: "Kinh tế",
		Source:      "Báo <Test>",
	}
	got := Alert(a, "vi", VietnamTime())
	for _, bad := range []string{"<script>", "<b>không</b>", "<Test>"} {
		if strings.Contains(got, bad) {
			t.Errorf("alert contains raw %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{"<b>&lt;script&gt;", "08:30 23/08/2026", "Kinh tế", `href="https://example.vn/a?x=1&amp;y=2"`} {
		if !strings.Contains(got, want) {
			t.Errorf("alert lacks %q:\n%s", want, got)
		}
	}
	plain := PlainText(got)
	for _, want := range []string{`<script>alert("x")</script> Giá & "lúa"`, "https://example.vn/a?x=1&y=2"} {
		if !strings.Contains(plain, want) {
			t.Errorf("plain text lacks %q:\n%s", want, plain)
		}
	}
}

func TestPlainTextLinkOnItsOwnLine(t *testing.T) {
	got := PlainText(`<b>A &amp; B</b> <a href="https://x.vn/1">đọc</a>`)
	if got != "A & B đọc\nhttps://x.vn/1" {
		t.Fatalf("PlainText = %q", got)
	}
}

// pending saves a first (silent) poll and then n new articles for chat.
func (e *env) pending(t *testing.T, chat storage.ChatRef, n int) {
	t.Helper()
	ctx := context.Background()
	if err := e.store.TouchChat(ctx, storage.Chat{ChatRef: chat, Type: "private"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Subscribe(ctx, chat, []string{"chinh-tri"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SaveItems(ctx, e.feed.ID, nil, storage.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	var items []storage.Item
	for i := range n {
		link := "https://baolaocai.vn/" + chat.ID + "/" + string(rune('a'+i))
		items = append(items, storage.Item{GUID: link, Link: link, Canonical: link, Title: "Tin " + string(rune('A'+i)), Published: time.Now()})
	}
	if _, err := e.store.SaveItems(ctx, e.feed.ID, items, storage.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
}

func runDispatcher(t *testing.T, e *env, rates ...map[string]float64) context.CancelFunc {
	t.Helper()
	opts := DispatcherOptions{Store: e.store, Platforms: map[string]Platform{"test": e.p},
		ChatInterval: time.Millisecond, PollInterval: 10 * time.Millisecond, RatePerSecond: 1000}
	if len(rates) > 0 {
		opts.PlatformRates = rates[0]
	}
	d := NewDispatcher(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDispatcherSendsEachOnceAndMarksSent(t *testing.T) {
	e := newEnv(t)
	chat := storage.ChatRef{Platform: "test", ID: "c1"}
	e.pending(t, chat, 3)
	runDispatcher(t, e)
	waitFor(t, "3 alerts", func() bool { return len(e.p.messages()) == 3 })
	waitFor(t, "outbox empty", func() bool { n, _ := e.store.PendingCount(context.Background()); return n == 0 })
	msgs := e.p.messages()
	for i, want := range []string{"Tin A", "Tin B", "Tin C"} {
		if !strings.Contains(msgs[i].HTML, want) {
			t.Errorf("message %d = %q, want %s (in order)", i, msgs[i].HTML, want)
		}
	}
}

func TestDispatcherOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantState string // of the delivery afterwards
		active    bool   // chat still active
	}{
		{"chat gone", ErrChatGone, storage.StateDropped, false},
		{"refused", &PermanentError{Err: errors.New("bad request")}, storage.StatePending, true}, // retried until max_attempts
		{"rate limited", &RetryAfterError{After: time.Hour}, storage.StatePending, true},
		{"server error", errors.New("502"), storage.StatePending, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			chat := storage.ChatRef{Platform: "test", ID: "c1"}
			e.pending(t, chat, 1)
			calls := make(chan struct{}, 10)
			e.p.fail = func(Message) error { calls <- struct{}{}; return tc.err }
			runDispatcher(t, e)
			<-calls
			waitFor(t, "outcome recorded", func() bool {
				st, err := e.store.DeliveryStates(context.Background(), chat)
				return err == nil && len(st) == 1 && st[0].State == tc.wantState && (tc.wantState != storage.StatePending || st[0].LastError != "")
			})
			chats, _ := e.store.DeliveryStates(context.Background(), chat)
			if tc.name == "rate limited" && chats[0].Attempts != 0 {
				t.Errorf("a 429 used up an attempt: %+v", chats[0])
			}
		})
	}
}

func TestSearchPagesAndSection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var items []storage.Item
	for i := range 7 {
		link := "https://baolaocai.vn/hoi-nghi-" + string(rune('a'+i))
		items = append(items, storage.Item{GUID: link, Link: link, Canonical: link,
			Title: "Hội nghị số " + string(rune('A'+i)), Published: time.Now().Add(time.Duration(i) * time.Minute)})
	}
	if _, err := e.store.SaveItems(ctx, e.feed.ID, items, storage.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	first := e.say(t, "2", "/search hoi nghi")
	if n := strings.Count(first, "• "); n != 5 {
		t.Fatalf("first page has %d results, want 5:\n%s", n, first)
	}
	if !strings.Contains(first, "Hội nghị số G") {
		t.Errorf("newest first among equals: page 1 lacks the newest:\n%s", first)
	}
	msgs := e.p.messages()
	if b := msgs[len(msgs)-1].Buttons; len(b) != 1 || !strings.HasPrefix(b[0][0].Data, "more:") || len(b[0][0].Data) > 64 {
		t.Fatalf("no next-page button: %+v", b)
	}
	second := e.say(t, "2", "/more")
	if n := strings.Count(second, "• "); n != 2 || !strings.Contains(second, "trang 2") {
		t.Fatalf("second page:\n%s", second)
	}
	if got := e.say(t, "2", "/more"); !strings.Contains(got, "Chưa có kết quả nào để xem tiếp") {
		t.Fatalf("/more after the last page: %q", got)
	}
	if got := e.say(t, "2", "/search hoi nghi kinh-te"); !strings.Contains(got, "Không tìm thấy") || !strings.Contains(got, "chuyên mục <b>Kinh tế</b>") {
		t.Fatalf("section filter: %q", got)
	}
	if got := e.say(t, "2", "/search hoi nghi chinh-tri"); strings.Count(got, "• ") != 5 {
		t.Fatalf("section filter dropped matches: %q", got)
	}

	// Without buttons: a text hint, and sections by number.
	e.p.buttons = false
	if got := e.say(t, "3", "/search hội nghị"); !strings.Contains(got, "Gõ /more để xem tiếp") {
		t.Fatalf("no text hint for /more: %q", got)
	}
	if got := e.say(t, "3", "/sections"); !strings.Contains(got, "2. ▫️ Kinh tế") {
		t.Fatalf("sections are not numbered: %q", got)
	}
	if got := e.say(t, "3", "/subscribe 2"); !strings.Contains(got, "Kinh tế") || !strings.Contains(got, "Đã đăng ký") {
		t.Fatalf("/subscribe 2: %q", got)
	}
	if got := e.say(t, "3", "/subscribe 9"); !strings.Contains(got, "Không có chuyên mục") {
		t.Fatalf("/subscribe 9: %q", got)
	}
}

func TestDispatcherUsesThePlatformsOwnRate(t *testing.T) {
	e := newEnv(t)
	for i := range 4 {
		e.pending(t, storage.ChatRef{Platform: "test", ID: fmt.Sprintf("r%d", i)}, 1)
	}
	runDispatcher(t, e, map[string]float64{"test": 5}) // over the 1000/s of RatePerSecond
	waitFor(t, "4 alerts", func() bool { return len(e.p.messages()) == 4 })
	e.p.mu.Lock()
	defer e.p.mu.Unlock()
	for i := 1; i < len(e.p.at); i++ {
		if gap := e.p.at[i].Sub(e.p.at[i-1]); gap < 190*time.Millisecond {
			t.Fatalf("sends %d and %d were %s apart; the platform's rate of 5/s wants 200ms", i-1, i, gap)
		}
	}
}

func TestLatestAndDelfeed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var items []storage.Item
	for i := range 6 {
		link := fmt.Sprintf("https://baolaocai.vn/tin-%d", i)
		items = append(items, storage.Item{GUID: link, Link: link, Canonical: link, Title: fmt.Sprintf("Tin số %d", i),
			Published: time.Now().Add(time.Duration(i) * time.Minute)})
	}
	if _, err := e.store.SaveItems(ctx, e.feed.ID, items, storage.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	got := e.say(t, "2", "/latest chinh tri")
	if strings.Count(got, "• ") != 5 || !strings.Contains(got, "Chính trị") || strings.Index(got, "Tin số 5") > strings.Index(got, "Tin số 4") || strings.Contains(got, "Tin số 0") {
		t.Fatalf("/latest chinh tri: want the 5 newest, newest first:\n%s", got)
	}
	if got := e.say(t, "2", "/latest kinh-te"); !strings.Contains(got, "Chưa có bài") {
		t.Fatalf("/latest kinh-te: %q", got)
	}
	if got := e.say(t, "1", fmt.Sprintf("/delfeed %d", e.feed.ID)); !strings.Contains(got, "Đã xóa nguồn tin") {
		t.Fatalf("/delfeed: %q", got)
	}
	if got := e.say(t, "1", "/delfeed "+e.feed.URL); !strings.Contains(got, "Không có nguồn tin") {
		t.Fatalf("/delfeed after delete: %q", got)
	}
}
