package bot_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// deliveryEnv is a real store, the real Telegram adapter against the fake
// Bot API, and a dispatcher between them.
type deliveryEnv struct {
	t     *testing.T
	store *storage.Store
	tg    *telegramtest.Server
	tga   *telegram.Adapter
	feed  storage.Feed
	items int
	clock *fakeClock
}

// fakeClock runs with real time from a moment a test moves it to.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(t)
}

func newDeliveryEnv(t *testing.T) *deliveryEnv {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
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
	if _, err := store.SaveItems(ctx, feed.ID, nil, storage.SaveOptions{}); err != nil { // the silent first poll
		t.Fatal(err)
	}
	tg := telegramtest.New(t)
	tga, err := telegram.New(ctx, telegram.Options{Token: tg.Token, APIURL: tg.URL, PollTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &deliveryEnv{t: t, store: store, tg: tg, tga: tga, feed: feed, clock: &fakeClock{}}
}

// chats adds n private chats (ids from first) subscribed to chinh-tri.
func (e *deliveryEnv) chats(first, n int, typ string) []storage.ChatRef {
	e.t.Helper()
	ctx := context.Background()
	var refs []storage.ChatRef
	for i := range n {
		ref := storage.ChatRef{Platform: "telegram", ID: strconv.Itoa(first + i)}
		if err := e.store.TouchChat(ctx, storage.Chat{ChatRef: ref, Type: typ}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.Subscribe(ctx, ref, []string{"chinh-tri"}); err != nil {
			e.t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	return refs
}

// publish stores n new articles in chinh-tri and returns their titles.
func (e *deliveryEnv) publish(n int) []string {
	e.t.Helper()
	var items []storage.Item
	var titles []string
	for range n {
		e.items++
		link := fmt.Sprintf("https://baolaocai.vn/bai-%d", e.items)
		title := fmt.Sprintf("Bài số %d", e.items)
		items = append(items, storage.Item{GUID: link, Link: link, Canonical: link, Title: title,
			Published: time.Now().Add(time.Duration(e.items) * time.Millisecond)})
		titles = append(titles, title)
	}
	if _, err := e.store.SaveItems(context.Background(), e.feed.ID, items, storage.SaveOptions{}); err != nil {
		e.t.Fatal(err)
	}
	return titles
}

func (e *deliveryEnv) dispatch(opts bot.DispatcherOptions) *bot.Dispatcher {
	e.t.Helper()
	opts.Store = e.store
	opts.Platforms = map[string]bot.Platform{"telegram": e.tga}
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = 1000
	}
	if opts.ChatInterval == 0 {
		opts.ChatInterval = time.Millisecond
	}
	if opts.GroupInterval == 0 {
		opts.GroupInterval = time.Millisecond
	}
	if opts.RetryBase == 0 {
		opts.RetryBase = 10 * time.Millisecond
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 20 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	d := bot.NewDispatcher(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
	return d
}

// states returns the chat's deliveries.
func (e *deliveryEnv) states(ref storage.ChatRef) []storage.DeliveryState {
	st, err := e.store.DeliveryStates(context.Background(), ref)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *deliveryEnv) waitState(ref storage.ChatRef, what string, ok func([]storage.DeliveryState) bool) []storage.DeliveryState {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.states(ref)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: deliveries of %s are %+v", what, ref, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func allIn(state string) func([]storage.DeliveryState) bool {
	return func(st []storage.DeliveryState) bool {
		for _, s := range st {
			if s.State != state {
				return false
			}
		}
		return len(st) > 0
	}
}

func sentTo(all []telegramtest.Sent, chat int64) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, s := range all {
		if s.ChatID == chat && (s.Method == "sendMessage" || s.Method == "sendPhoto") {
			out = append(out, s)
		}
	}
	return out
}

func TestDispatcherFaults(t *testing.T) {
	refused := telegramtest.Fault{Code: 400, Description: "Bad Request: message is too long"}
	tests := []struct {
		name      string
		faults    []telegramtest.Fault
		opts      bot.DispatcherOptions
		wantState string
		attempts  int  // of the delivery at the end
		transient int  // failures that used no attempt
		delivered bool // the chat got the alert
		inactive  bool
	}{
		{name: "429 then sent", faults: []telegramtest.Fault{{RetryAfter: 1}}, wantState: storage.StateSent, attempts: 1, delivered: true},
		{name: "5xx twice then sent", faults: []telegramtest.Fault{{Code: 502}, {Code: 500}}, wantState: storage.StateSent, attempts: 1, transient: 2, delivered: true},
		{name: "timeout then sent", faults: []telegramtest.Fault{{Delay: 2 * time.Second}}, opts: bot.DispatcherOptions{SendTimeout: 200 * time.Millisecond},
			wantState: storage.StateSent, attempts: 1, transient: 1, delivered: true},
		{name: "network error then sent", faults: []telegramtest.Fault{{Drop: true}}, wantState: storage.StateSent, attempts: 1, transient: 1, delivered: true},
		{name: "blocked", faults: []telegramtest.Fault{{Code: 403, Description: "Forbidden: bot was blocked by the user"}}, wantState: storage.StateDropped, inactive: true},
		{name: "chat not found", faults: []telegramtest.Fault{{Code: 400, Description: "Bad Request: chat not found"}}, wantState: storage.StateDropped, inactive: true},
		{name: "refused once then sent", faults: []telegramtest.Fault{refused}, wantState: storage.StateSent, attempts: 2, delivered: true},
		{name: "refused until out of attempts", faults: []telegramtest.Fault{refused, refused, refused}, opts: bot.DispatcherOptions{MaxAttempts: 3},
			wantState: storage.StateFailed, attempts: 3},
		{name: "5xx never uses up attempts", faults: []telegramtest.Fault{{Code: 502}, {Code: 503}, {Code: 500}, {Code: 502}}, opts: bot.DispatcherOptions{MaxAttempts: 2},
			wantState: storage.StateSent, attempts: 1, transient: 4, delivered: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newDeliveryEnv(t)
			chat := e.chats(501, 1, "private")[0]
			for _, f := range tc.faults {
				e.tg.FailNext("sendMessage", 501, f)
			}
			e.publish(1)
			e.dispatch(tc.opts)
			st := e.waitState(chat, "final state", allIn(tc.wantState))
			if st[0].Attempts != tc.attempts || st[0].TransientFailures != tc.transient {
				t.Errorf("attempts %d and transient failures %d, want %d and %d (%+v)", st[0].Attempts, st[0].TransientFailures, tc.attempts, tc.transient, st[0])
			}
			if got := len(sentTo(e.tg.Sent(), 501)); got != map[bool]int{true: 1}[tc.delivered] {
				t.Errorf("chat got %d messages, want delivered=%v", got, tc.delivered)
			}
			c, err := e.store.Chat(context.Background(), chat)
			if err != nil || c.Active == tc.inactive {
				t.Errorf("chat active=%v, want %v (%v)", c.Active, !tc.inactive, err)
			}
		})
	}
}

func TestDispatcherHonoursRetryAfter(t *testing.T) {
	e := newDeliveryEnv(t)
	chat := e.chats(601, 1, "private")[0]
	e.tg.FailNext("sendMessage", 601, telegramtest.Fault{RetryAfter: 1})
	e.publish(1)
	e.dispatch(bot.DispatcherOptions{})
	e.waitState(chat, "sent", allIn(storage.StateSent))
	var refused, sent time.Time
	for _, c := range e.tg.Calls() {
		if c.Method == "sendMessage" && c.Code == 429 {
			refused = c.At
		} else if c.Method == "sendMessage" {
			sent = c.At
		}
	}
	if gap := sent.Sub(refused); gap < time.Second {
		t.Fatalf("resent %s after a 429 with retry_after 1", gap)
	}
}

func TestDispatcherMigratedGroup(t *testing.T) {
	e := newDeliveryEnv(t)
	old := e.chats(-701, 1, "group")[0]
	e.tg.FailNext("sendMessage", -701, telegramtest.Fault{MigrateTo: -100701})
	e.publish(1)
	e.dispatch(bot.DispatcherOptions{})
	e.tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(sentTo(all, -100701)) == 1 }, 10*time.Second)
	moved := storage.ChatRef{Platform: "telegram", ID: "-100701"}
	e.waitState(moved, "sent to the new id", allIn(storage.StateSent))
	subs, _ := e.store.Subscriptions(context.Background(), moved)
	if len(subs) != 1 || subs[0].Key != "chinh-tri" {
		t.Errorf("subscriptions did not move: %v", subs)
	}
	if c, _ := e.store.Chat(context.Background(), old); c.Active {
		t.Errorf("the old group id is still active")
	}
	// New alerts go to the new id only.
	e.publish(1)
	e.tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(sentTo(all, -100701)) == 2 }, 10*time.Second)
}

func TestMigrationKeepsSettingsAndFollows(t *testing.T) {
	e := newDeliveryEnv(t)
	ctx := context.Background()
	old := e.chats(-702, 1, "group")[0]
	e.store.SetQuiet(ctx, old, 60, 120)
	e.store.Follow(ctx, old, "Sa Pa")
	if err := e.store.MigrateChat(ctx, old, "-100702"); err != nil {
		t.Fatal(err)
	}
	moved := storage.ChatRef{Platform: "telegram", ID: "-100702"}
	c, err := e.store.Chat(ctx, moved)
	if err != nil || c.QuietStart != 60 || c.QuietEnd != 120 || !c.Active {
		t.Fatalf("migrated chat: %+v, %v", c, err)
	}
	if f, _ := e.store.Follows(ctx, moved); len(f) != 1 {
		t.Fatalf("follows did not move: %v", f)
	}
}

func TestDispatcherRates(t *testing.T) {
	const rate, chats, perChat = 30, 20, 4
	interval := 300 * time.Millisecond
	e := newDeliveryEnv(t)
	e.chats(1000, chats, "private")
	groups := e.chats(-2000, 2, "group")
	e.publish(perChat)
	e.dispatch(bot.DispatcherOptions{RatePerSecond: rate, ChatInterval: interval, GroupInterval: 2 * interval, Workers: 4})
	total := (chats + len(groups)) * perChat
	all := e.tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(all) >= total }, 30*time.Second)
	for i := range all {
		n := 0
		for j := i; j < len(all) && all[j].At.Sub(all[i].At) < time.Second; j++ {
			n++
		}
		if n > rate {
			t.Fatalf("%d messages within one second from %s, limit %d", n, all[i].At.Format("15:04:05.000"), rate)
		}
	}
	last := map[int64]time.Time{}
	for _, s := range all {
		gap := interval
		if s.ChatID < 0 {
			gap = 2 * interval
		}
		if prev, ok := last[s.ChatID]; ok && s.At.Sub(prev) < gap {
			t.Fatalf("chat %d got two messages %s apart, least gap %s", s.ChatID, s.At.Sub(prev), gap)
		}
		last[s.ChatID] = s.At
	}
}

func TestDispatcherCombinesLongQueueAndStaysFair(t *testing.T) {
	e := newDeliveryEnv(t)
	busy := e.chats(801, 1, "private")[0]
	e.publish(200)
	quiet := e.chats(802, 1, "private")[0]
	// Only the quiet chat is subscribed when this one arrives.
	ctx := context.Background()
	e.store.Unsubscribe(ctx, busy, []string{"chinh-tri"})
	titles := e.publish(1)
	e.store.Subscribe(ctx, busy, []string{"chinh-tri"})
	e.dispatch(bot.DispatcherOptions{ChatInterval: 50 * time.Millisecond})
	e.waitState(busy, "all 200 sent", allIn(storage.StateSent))
	e.waitState(quiet, "the other chat's alert sent", allIn(storage.StateSent))
	got := sentTo(e.tg.Sent(), 801)
	if len(got) != 5 {
		t.Fatalf("200 waiting alerts went as %d messages, want 5 combined messages of 40", len(got))
	}
	if !strings.Contains(got[0].Text, "40 bài mới") || !strings.Contains(got[0].Text, "Bài số 1<") || !strings.Contains(got[0].Text, `href="https://baolaocai.vn/bai-1"`) {
		t.Errorf("combined message:\n%s", got[0].Text)
	}
	first := sentTo(e.tg.Sent(), 802)[0]
	if !strings.Contains(first.Text, titles[0]) || !first.At.Before(got[1].At) {
		t.Errorf("the other chat waited behind the long queue")
	}
}

func TestDigestAndQuietHours(t *testing.T) {
	e := newDeliveryEnv(t)
	ctx := context.Background()
	digest := e.chats(901, 1, "private")[0]
	quiet := e.chats(902, 1, "private")[0]
	loc := bot.VietnamTime()
	now := time.Now().In(loc)
	minuteOf := func(t time.Time) int { return t.Hour()*60 + t.Minute() }
	quietStart, quietEnd := now.Add(-time.Hour), now.Add(time.Hour).Truncate(time.Minute)
	digestAt := now.Add(3 * time.Hour).Truncate(time.Minute)
	if err := e.store.SetDigest(ctx, digest, "daily", minuteOf(digestAt)); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetQuiet(ctx, quiet, minuteOf(quietStart), minuteOf(quietEnd)); err != nil {
		t.Fatal(err)
	}
	d := e.dispatch(bot.DispatcherOptions{})
	e.publish(3)
	// Both are held: nothing is sent, and the rows wait for 07:00 and 06:30.
	e.waitState(digest, "held", func(st []storage.DeliveryState) bool { return len(st) == 3 })
	held := func(ref storage.ChatRef, until time.Time) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			due, _ := e.store.DueDeliveries(ctx, until.Add(-time.Minute), 10)
			later, _ := e.store.DueDeliveries(ctx, until, 10)
			if !containsChat(due, ref) && containsChat(later, ref) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not held until %s", ref, until)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	held(digest, digestAt)
	held(quiet, quietEnd)
	if n := len(e.tg.Sent()); n != 0 {
		t.Fatalf("%d messages sent during quiet hours / before the digest", n)
	}
	e.clock.Set(quietEnd.Add(time.Minute))
	d.Wake()
	e.waitState(quiet, "quiet digest sent", allIn(storage.StateSent))
	if got := sentTo(e.tg.Sent(), 902); len(got) != 1 || !strings.Contains(got[0].Text, "3 bài mới trong giờ yên lặng") {
		t.Fatalf("quiet hours ended with %d messages: %+v", len(got), got)
	}
	if got := sentTo(e.tg.Sent(), 901); len(got) != 0 {
		t.Fatalf("digest chat got %d messages before its time", len(got))
	}
	e.clock.Set(digestAt.Add(time.Second))
	d.Wake()
	e.waitState(digest, "digest sent", allIn(storage.StateSent))
	got := sentTo(e.tg.Sent(), 901)
	if len(got) != 1 || !strings.Contains(got[0].Text, "Bản tin: 3 bài mới") || !strings.Contains(got[0].Text, "<b>Chính trị</b>") {
		t.Fatalf("digest: %+v", got)
	}
}

func containsChat(ds []storage.Delivery, ref storage.ChatRef) bool {
	for _, d := range ds {
		if d.Chat.ChatRef == ref {
			return true
		}
	}
	return false
}

// say pushes a message through the real adapter into the bot core and waits for a reply containing want.
func say(t *testing.T, e *deliveryEnv, b *bot.Bot, chat, user int64, text, want string, opts ...telegramtest.Option) telegramtest.Sent {
	t.Helper()
	before := len(sentTo(e.tg.Sent(), chat))
	e.tg.PushMessage(chat, user, text, opts...)
	var got telegramtest.Sent
	e.tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		for _, s := range sentTo(all, chat)[before:] {
			if strings.Contains(s.Text, want) {
				got = s
				return true
			}
		}
		return false
	}, 10*time.Second)
	return got
}

func TestChannelsGroupsStatsBroadcast(t *testing.T) {
	e := newDeliveryEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	b := bot.New(bot.Options{Store: e.store, Admins: map[string]bool{"telegram:1": true}})
	done := make(chan struct{})
	go func() {
		e.tga.Run(ctx, func(ctx context.Context, u bot.Update) { b.Handle(ctx, e.tga, u) })
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })

	e.tg.AddChat(tgbotapi.Chat{ID: -1001234, Type: "channel", Title: "Tin Lào Cai", UserName: "tinlaocai"})
	say(t, e, b, 2, 2, "/channel add @tinlaocai chinh-tri", "quản trị viên của bot")
	say(t, e, b, 1, 1, "/channel add @nosuch chinh-tri", "Không tìm thấy")
	say(t, e, b, 1, 1, "/channel add @tinlaocai chinh-tri", "quản trị viên có quyền đăng tin")
	e.tg.SetChatMember(-1001234, e.tg.BotID, "administrator", true)
	say(t, e, b, 1, 1, "/channel add @tinlaocai chinh-tri", "Đã gắn Tin Lào Cai")
	say(t, e, b, 1, 1, "/channels", "-1001234")

	// In a group only its administrators change subscriptions.
	group := telegramtest.WithChatType("supergroup")
	say(t, e, b, -1005, 7, "/subscribe chinh-tri", "chỉ quản trị viên của nhóm", group)
	e.tg.SetChatMember(-1005, 8, "administrator", false)
	say(t, e, b, -1005, 8, "/subscribe chinh-tri", "Đã đăng ký", group)
	say(t, e, b, -1005, 8, "/digest daily 7:30", "hằng ngày lúc 07:30", group)
	say(t, e, b, -1005, 8, "/mysubs", "07:30", group)
	say(t, e, b, 3, 3, "/quiet 22:00-06:00", "22:00–06:00")
	say(t, e, b, 3, 3, "/quiet 25:00-06:00", "Cú pháp")
	say(t, e, b, 3, 3, "/digest weekly", "Cú pháp")

	d := e.dispatch(bot.DispatcherOptions{Now: time.Now})
	e.publish(1)
	post := e.tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(sentTo(all, -1001234)) == 1 }, 10*time.Second)
	if p := sentTo(post, -1001234)[0]; p.ReplyMarkup != "" || !strings.Contains(p.Text, "Bài số 1") {
		t.Errorf("channel post: %+v", p)
	}
	stats := say(t, e, b, 1, 1, "/stats", "Tình trạng bot")
	for _, want := range []string{"Nguồn tin: 1 (1 tốt, 0 lỗi, 0 chưa lấy lần nào)", "Bài: 1", "telegram — cuộc trò chuyện:", "Hàng đợi:"} {
		if !strings.Contains(stats.Text, want) {
			t.Errorf("/stats lacks %q:\n%s", want, stats.Text)
		}
	}
	say(t, e, b, 2, 2, "/broadcast xin chào", "quản trị viên")
	say(t, e, b, 1, 1, "/broadcast Bảo trì lúc 23:00 <b>", "Đã xếp hàng")
	d.Wake()
	// Chats 1, 2 and the channel take it now; the group's digest and chat
	// 3's quiet hours (if it is night) hold it with their alerts.
	e.tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		for _, chat := range []int64{1, 2, -1001234} {
			if len(containingText(sentTo(all, chat), "Bảo trì lúc 23:00 &lt;b&gt;")) != 1 {
				return false
			}
		}
		return true
	}, 10*time.Second)
	say(t, e, b, 1, 1, "/channel del @tinlaocai", "Đã gỡ")
	if bs, _ := e.store.Bindings(context.Background(), "telegram"); len(bs) != 0 {
		t.Errorf("bindings after del: %+v", bs)
	}
}

func containingText(all []telegramtest.Sent, s string) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, m := range all {
		if strings.Contains(m.Text, s) {
			out = append(out, m)
		}
	}
	return out
}

// BenchmarkDispatcher fans one article out to b.N chats through the real
// Telegram adapter against the fake Bot API on loopback, with the rate
// limits lifted, and reports messages a second and CPU time per message
// (the fake's share included: it runs in this process, as small as a Bot
// API answer can be).
func BenchmarkDispatcher(b *testing.B) {
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	store.UpsertSection(ctx, storage.Section{Key: "x", Name: "X"})
	feed, _ := store.AddFeed(ctx, "https://x.vn/rss", "x", "")
	store.SaveItems(ctx, feed.ID, nil, storage.SaveOptions{})
	for i := range b.N {
		ref := storage.ChatRef{Platform: "telegram", ID: strconv.Itoa(100000 + i)}
		store.TouchChat(ctx, storage.Chat{ChatRef: ref, Type: "private"})
		store.Subscribe(ctx, ref, []string{"x"})
	}
	// A minimal Bot API: the benchmark measures the pipeline, not a fake
	// that validates HTML and records every call.
	var sent atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/getMe") {
			io.WriteString(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Bench","username":"bench_bot"}}`)
			return
		}
		r.ParseForm()
		sent.Add(1)
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":0,"chat":{"id":%s,"type":"private"},"text":"ok"}}`, sent.Load(), r.Form.Get("chat_id"))
	}))
	defer api.Close()
	tga, err := telegram.New(ctx, telegram.Options{Token: "1:bench", APIURL: api.URL})
	if err != nil {
		b.Fatal(err)
	}
	link := "https://x.vn/a"
	if _, err := store.SaveItems(ctx, feed.ID, []storage.Item{{GUID: link, Link: link, Canonical: link, Title: "Tin <mới> & nóng",
		Summary: strings.Repeat("Tóm tắt bài báo. ", 15), Published: time.Now()}}, storage.SaveOptions{}); err != nil {
		b.Fatal(err)
	}
	d := bot.NewDispatcher(bot.DispatcherOptions{Store: store, Platforms: map[string]bot.Platform{"telegram": tga},
		RatePerSecond: 1e9, ChatInterval: time.Nanosecond, GroupInterval: time.Nanosecond, Workers: 8,
		PollInterval: time.Millisecond})
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	start := time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	for {
		n, err := store.PendingCount(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	if got := int(sent.Load()); got != b.N {
		b.Fatalf("sent %d messages, want %d", got, b.N)
	}
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Microseconds()), "cpu-µs/msg")
}
