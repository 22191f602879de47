package bot_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/bot/zalo"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
	"github.com/newsbot-vn/newsbot/feeds"
	"github.com/newsbot-vn/newsbot/storage"

	_ "modernc.org/sqlite" // the driver storage uses, for simulating a crash
)

const wait = 10 * time.Second

const admin = 1 // the Telegram user id of the bot's admin in these tests

func openStore(t *testing.T) (*storage.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bot.db")
	store, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, s := range []storage.Section{{Key: "chinh-tri", Name: "Chính trị"}, {Key: "kinh-te", Name: "Kinh tế"}} {
		if err := store.UpsertSection(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	return store, path
}

// served is a Bot with its update pool serving one platform.
type served struct {
	bot    *bot.Bot
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// serve starts the pool's workers and p on it; the test's end stops them.
func serve(t *testing.T, store *storage.Store, fa bot.FeedAdmin, p bot.Platform, opts bot.UpdatesOptions) *served {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	b := bot.New(bot.Options{Store: store, Feeds: fa, Log: log,
		Admins: map[string]bool{"telegram:" + strconv.Itoa(admin): true, "zalo:admin": true}})
	opts.Store, opts.Log = store, log
	u := bot.NewUpdates(b, opts)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{bot: b, cancel: cancel}
	s.done.Add(2)
	go func() { defer s.done.Done(); u.Run(ctx) }()
	go func() {
		defer s.done.Done()
		if err := u.Serve(ctx, p); err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *served) stop() {
	s.cancel()
	s.done.Wait()
	s.bot.Wait()
}

func newTelegram(t *testing.T, tg *telegramtest.Server, edit ...func(*telegram.Options)) *telegram.Adapter {
	t.Helper()
	opts := telegram.Options{Token: tg.Token, APIURL: tg.URL, PollTimeout: time.Second}
	for _, e := range edit {
		e(&opts)
	}
	a, err := telegram.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func texts(sent []telegramtest.Sent, chat int64) []string {
	var out []string
	for _, s := range sent {
		if s.ChatID == chat && s.Method == "sendMessage" {
			out = append(out, s.Plain)
		}
	}
	return out
}

func count(list []string, part string) int {
	n := 0
	for _, s := range list {
		if strings.Contains(s, part) {
			n++
		}
	}
	return n
}

// otherShard returns a private chat id, from start on, whose updates go to
// another worker than chat's.
func otherShard(chat, start int64, workers int) int64 {
	ref := func(id int64) storage.ChatRef {
		return storage.ChatRef{Platform: "telegram", ID: strconv.FormatInt(id, 10)}
	}
	for id := start; ; id++ {
		if bot.ShardOf(ref(id), workers) != bot.ShardOf(ref(chat), workers) {
			return id
		}
	}
}

// A flood of 600 commands from one user: the user gets 20 answers and one
// notice, and another user is answered while the flood is being answered.
func TestFloodDoesNotStallOthers(t *testing.T) {
	store, _ := openStore(t)
	tg := telegramtest.New(t)
	const flooder = 1001
	other := otherShard(flooder, 2001, bot.DefaultWorkers)
	// The flooder's replies are slow, so their 20 answers take a while.
	tg.SetFault(func(method string, p url.Values) *telegramtest.Fault {
		if method == "sendMessage" && p.Get("chat_id") == strconv.Itoa(flooder) {
			return &telegramtest.Fault{Delay: 150 * time.Millisecond}
		}
		return nil
	})
	serve(t, store, nil, newTelegram(t, tg), bot.UpdatesOptions{PerMinute: 20})

	for i := range 600 {
		tg.PushMessage(flooder, flooder, "/search lũ lụt "+strconv.Itoa(i))
	}
	pushed := time.Now()
	tg.PushMessage(other, other, "/help")

	sent := tg.WaitSent(t, func(s []telegramtest.Sent) bool {
		return len(texts(s, flooder)) >= 21 && len(texts(s, other)) >= 1
	}, 30*time.Second)
	flood := texts(sent, flooder)
	if n := count(flood, "quá nhanh"); n != 1 {
		t.Errorf("the flooder got %d rate-limit notices, want 1", n)
	}
	if n := count(flood, "Không tìm thấy"); n != 20 {
		t.Errorf("the flooder got %d answers, want 20 (the budget)", n)
	}
	lastFlood, firstOther := -1, -1
	for i, s := range sent {
		switch {
		case s.ChatID == flooder:
			lastFlood = i
		case s.ChatID == other && firstOther < 0:
			firstOther = i
		}
	}
	t.Logf("the other user was answered %s after sending, during the flood (not asserted)", sent[firstOther].At.Sub(pushed).Round(time.Millisecond))
	if firstOther > lastFlood {
		t.Errorf("the other user was answered (message %d) only after the flood's last answer (message %d)", firstOther, lastFlood)
	}
	// Nothing more comes: the rest of the flood was dropped.
	if extra := len(texts(tg.Sent(), flooder)); extra != 21 {
		t.Errorf("the flooder got %d messages, want 21", extra)
	}
}

// A chat's replies come in its commands' order, while other chats are
// answered concurrently.
func TestChatOrderKept(t *testing.T) {
	store, _ := openStore(t)
	tg := telegramtest.New(t)
	serve(t, store, nil, newTelegram(t, tg), bot.UpdatesOptions{Workers: 4, ReplyRate: 1000})

	const n = 30
	for i := range n {
		for _, chat := range []int64{11, 12, 13} {
			tg.PushMessage(chat, chat, fmt.Sprintf("/search q%d", i))
		}
	}
	sent := tg.WaitSent(t, func(s []telegramtest.Sent) bool { return len(s) >= 3*n }, wait)
	for _, chat := range []int64{11, 12, 13} {
		got := texts(sent, chat)
		if len(got) != n {
			t.Fatalf("chat %d got %d replies, want %d", chat, len(got), n)
		}
		for i, s := range got {
			if want := fmt.Sprintf("“q%d”", i); !strings.Contains(s, want) {
				t.Errorf("chat %d reply %d = %q, want the answer to %s", chat, i, s, want)
			}
		}
	}
}

// schedulerAdmin is main's adapter of the real feed scheduler.
type schedulerAdmin struct{ s *feeds.Scheduler }

func (f schedulerAdmin) AddFeed(ctx context.Context, url, section string, _ bool) (storage.Feed, int, error) {
	feed, res, err := f.s.AddFeed(ctx, url, section)
	return feed, res.New, err
}
func (f schedulerAdmin) RemoveFeed(ctx context.Context, id int64) error {
	return f.s.RemoveFeed(ctx, id)
}
func (f schedulerAdmin) ResumeFeed(ctx context.Context, id int64) (storage.Feed, error) {
	return f.s.ResumeFeed(ctx, id)
}

const rss = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title><link>https://example.vn/</link>
<item><title>Tin một</title><link>https://example.vn/1</link><guid>https://example.vn/1</guid></item></channel></rss>`

// /addfeed of a server that hangs answers "checking" at once, other people
// are answered meanwhile, and the result follows when the server answers.
func TestAddFeedAnswersAtOnceAndReportsLater(t *testing.T) {
	store, _ := openStore(t)
	release := make(chan struct{})
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, rss)
	}))
	t.Cleanup(feedSrv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	fetcher := feeds.NewFetcher(feeds.FetcherOptions{Timeout: 30 * time.Second, AllowPrivate: true})
	sched := feeds.NewScheduler(&feeds.Poller{Store: store, Fetcher: fetcher, Log: slog.New(slog.DiscardHandler)},
		feeds.SchedulerOptions{DefaultSchedule: "@every 1h", Log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	if err := sched.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sched.Stop() })

	tg := telegramtest.New(t)
	serve(t, store, schedulerAdmin{sched}, newTelegram(t, tg), bot.UpdatesOptions{Workers: 1})

	tg.PushMessage(admin, admin, "/addfeed "+feedSrv.URL+"/rss chinh-tri")
	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, admin), "Đang kiểm tra nguồn tin") == 1 }, wait)
	// One worker only: were the probe in the handler, this would wait for it.
	tg.PushMessage(admin, admin, "/help")
	tg.PushMessage(77, 77, "/help")
	tg.WaitSent(t, func(s []telegramtest.Sent) bool {
		return count(texts(s, 77), "Các lệnh") == 1 && count(texts(s, admin), "Các lệnh") == 1
	}, wait)
	if n := count(texts(tg.Sent(), admin), "Đã thêm"); n != 0 {
		t.Fatalf("the result came before the feed server answered")
	}
	close(release)
	sent := tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, admin), "Đã thêm nguồn tin") == 1 }, wait)
	got := texts(sent, admin)
	if !strings.Contains(got[0], "Đang kiểm tra") || !strings.Contains(got[len(got)-1], "Báo Thử") {
		t.Errorf("admin's replies = %q, want checking first and the result last", got)
	}
}

// A handler past its deadline gets its person a "took too long" reply, and
// the chat's next command is answered.
func TestHandlerDeadline(t *testing.T) {
	store, _ := openStore(t)
	tg := telegramtest.New(t)
	const group, member = -4001, 55
	// Checking whether the member administers the group hangs.
	tg.SetFault(func(method string, _ url.Values) *telegramtest.Fault {
		if method == "getChatMember" {
			return &telegramtest.Fault{Delay: time.Minute}
		}
		return nil
	})
	serve(t, store, nil, newTelegram(t, tg), bot.UpdatesOptions{Timeout: 300 * time.Millisecond})

	tg.PushMessage(group, member, "/subscribe chinh-tri")
	tg.PushMessage(group, member, "/help")
	sent := tg.WaitSent(t, func(s []telegramtest.Sent) bool { return len(texts(s, group)) >= 2 }, wait)
	got := texts(sent, group)
	if !strings.Contains(got[0], "quá nhiều thời gian") {
		t.Errorf("first reply = %q, want the timeout notice", got[0])
	}
	if !strings.Contains(got[1], "Các lệnh") {
		t.Errorf("second reply = %q, want /help's answer", got[1])
	}
	if subs, _ := store.Subscriptions(context.Background(), storage.ChatRef{Platform: "telegram", ID: strconv.Itoa(group)}); len(subs) != 0 {
		t.Errorf("the timed-out command still subscribed: %v", subs)
	}
}

// unhandle marks every recorded update not handled, as a crash between an
// effect and the mark leaves it.
func unhandle(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE inbox SET handled = 0, handled_at = NULL`); err != nil {
		t.Fatal(err)
	}
}

// A broadcast handled again with the same update id (a crash after its
// deliveries were queued, before the update was marked handled) queues
// nothing more, and says so.
func TestBroadcastHandledTwiceQueuesOnce(t *testing.T) {
	ctx := context.Background()
	store, path := openStore(t)
	for i := range 5 {
		if err := store.TouchChat(ctx, storage.Chat{ChatRef: storage.ChatRef{Platform: "telegram", ID: strconv.Itoa(100 + i)}}); err != nil {
			t.Fatal(err)
		}
	}
	tg := telegramtest.New(t)
	first := serve(t, store, nil, newTelegram(t, tg), bot.UpdatesOptions{})
	tg.PushMessage(admin, admin, "/broadcast Bảo trì hệ thống lúc 22:00")
	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, admin), "Đã xếp hàng gửi tới 6") == 1 }, wait)
	queued, err := store.PendingCount(ctx)
	if err != nil || queued != 6 {
		t.Fatalf("pending deliveries = %d, %v; want 6 (5 chats and the admin's)", queued, err)
	}
	waitFor(t, func() bool { p, _ := store.PendingUpdates(ctx, "telegram", 0, 10); return len(p) == 0 })
	first.stop()

	unhandle(t, path)
	serve(t, store, nil, newTelegram(t, tg), bot.UpdatesOptions{})
	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, admin), "từ trước") == 1 }, wait)
	if n, _ := store.PendingCount(ctx); n != queued {
		t.Errorf("pending deliveries = %d after the replay, want %d", n, queued)
	}
	waitFor(t, func() bool { p, _ := store.PendingUpdates(ctx, "telegram", 0, 10); return len(p) == 0 })
}

// waitFor polls cond until it holds, failing the test after wait.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recordPending writes u to the inbox as a crash leaves an update that was
// confirmed to the platform but not handled.
func recordPending(t *testing.T, store *storage.Store, platform string, u bot.Update) {
	t.Helper()
	body, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.RecordUpdate(context.Background(), storage.InboxUpdate{Platform: platform, ID: u.ID, Body: body}, false); err != nil {
		t.Fatal(err)
	}
}

const hookSecret = "hook-Secret_123"

// mountHook serves handler on a local server and returns its URL.
func mountHook(t *testing.T) (*http.ServeMux, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return mux, srv.URL + "/hook"
}

// The Telegram webhook answers 200 only once the update is in the inbox,
// drops Telegram's retry of it, and a start handles what a crash left
// recorded but not handled.
func TestTelegramWebhookRecordsBeforeAnswering(t *testing.T) {
	ctx := context.Background()
	store, _ := openStore(t)
	recordPending(t, store, "telegram", bot.Update{ID: "99", Text: "/help", UserID: "9",
		Chat: storage.Chat{ChatRef: storage.ChatRef{Platform: "telegram", ID: "9"}, Type: "private"}})

	tg := telegramtest.New(t)
	mux, hook := mountHook(t)
	a := newTelegram(t, tg, func(o *telegram.Options) { o.WebhookURL, o.WebhookSecret = hook, hookSecret })
	mux.Handle("POST /hook", a.WebhookHandler())
	serve(t, store, nil, a, bot.UpdatesOptions{})

	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, 9), "Các lệnh") == 1 }, wait)
	tg.WaitCalls(t, func([]telegramtest.Call) bool { u, _ := tg.Webhook(); return u != "" }, wait)

	u := tg.PushMessage(5, 5, "/start") // returns once the webhook answered
	d := tg.Deliveries()
	if last := d[len(d)-1]; last.UpdateID != u.UpdateID || last.Status != http.StatusOK {
		t.Fatalf("delivery %+v, want 200 for update %d", last, u.UpdateID)
	}
	if has, err := store.InboxHas(ctx, "telegram", strconv.Itoa(u.UpdateID)); err != nil || !has {
		t.Errorf("update answered 200 but not in the inbox: %v, %v", has, err)
	}
	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, 5), "Xin chào") == 1 }, wait)
	tg.Redeliver(u)
	tg.PushMessage(5, 5, "/help")
	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, 5), "Các lệnh") == 1 }, wait)
	if n := count(texts(tg.Sent(), 5), "Xin chào"); n != 1 {
		t.Errorf("/start answered %d times, want once", n)
	}
	waitFor(t, func() bool { p, _ := store.PendingUpdates(ctx, "telegram", 0, 10); return len(p) == 0 })
}

// The same for Zalo: the webhook answers once the message is in the inbox,
// a replay is dropped, a start handles what a crash left.
func TestZaloWebhookRecordsBeforeAnswering(t *testing.T) {
	ctx := context.Background()
	store, _ := openStore(t)
	recordPending(t, store, "zalo", bot.Update{ID: "left-1", Text: "/help", UserID: "u9",
		Chat: storage.Chat{ChatRef: storage.ChatRef{Platform: "zalo", ID: "u9"}, Type: "private"}})

	zs := zalotest.New(t)
	mux, hook := mountHook(t)
	a, err := zalo.New(ctx, zalo.Options{Token: zs.Token, APIURL: zs.URL, WebhookURL: hook, WebhookSecret: hookSecret})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("POST /hook", a.WebhookHandler())
	serve(t, store, nil, a, bot.UpdatesOptions{})

	zs.WaitSent(t, func(s []zalotest.Sent) bool { return len(zalotexts(s, "u9")) == 1 }, wait)
	zs.WaitCalls(t, func([]zalotest.Call) bool { u, _ := zs.Webhook(); return u != "" }, wait)

	first := zs.PushUpdate(zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
		From: zalotest.User{ID: "u5"}, Chat: zalotest.Chat{ID: "u5", ChatType: "PRIVATE"}, Text: "/start"}})
	d := zs.Deliveries()
	if last := d[len(d)-1]; last.MessageID != first.Message.MessageID || last.Status != http.StatusOK {
		t.Fatalf("delivery %+v, want 200", last)
	}
	if has, err := store.InboxHas(ctx, "zalo", first.Message.MessageID); err != nil || !has {
		t.Errorf("message answered 200 but not in the inbox: %v, %v", has, err)
	}
	zs.PushUpdate(first) // Zalo retrying
	zs.PushText("u5", "/help")
	zs.WaitSent(t, func(s []zalotest.Sent) bool { return count(zalotexts(s, "u5"), "Các lệnh") == 1 }, wait)
	if n := count(zalotexts(zs.Sent(), "u5"), "Xin chào"); n != 1 {
		t.Errorf("/start answered %d times, want once", n)
	}
	waitFor(t, func() bool { p, _ := store.PendingUpdates(ctx, "zalo", 0, 10); return len(p) == 0 })
}

func zalotexts(sent []zalotest.Sent, chat string) []string {
	var out []string
	for _, s := range sent {
		if s.ChatID == chat {
			out = append(out, s.Text)
		}
	}
	return out
}

// A reply Telegram refuses with 429 is sent again after the wait it asks for.
func TestReplyHonoursRetryAfter(t *testing.T) {
	store, _ := openStore(t)
	tg := telegramtest.New(t)
	tg.FailNext("sendMessage", 21, telegramtest.Fault{RetryAfter: 1})
	serve(t, store, nil, newTelegram(t, tg), bot.UpdatesOptions{})
	tg.PushMessage(21, 21, "/help")
	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return count(texts(s, 21), "Các lệnh") == 1 }, wait)
	var tries []telegramtest.Call
	for _, c := range tg.Calls() {
		if c.Method == "sendMessage" && c.ChatID == 21 {
			tries = append(tries, c)
		}
	}
	if len(tries) != 2 || tries[0].Code != http.StatusTooManyRequests {
		t.Fatalf("sendMessage calls = %+v, want a 429 then the reply", tries)
	}
	if gap := tries[1].At.Sub(tries[0].At); gap < time.Second {
		t.Errorf("retried after %s, before the 1 s Telegram asked for", gap)
	}
}
