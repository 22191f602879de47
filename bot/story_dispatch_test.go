package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/bot/zalo"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
	"github.com/newsbot-vn/newsbot/storage"
)

// The same news from two outlets: titles and leads that share nearly
// every word.
var (
	firstReport = storage.Item{GUID: "https://baolaocai.vn/xuc-tien", Link: "https://baolaocai.vn/xuc-tien", Canonical: "https://baolaocai.vn/xuc-tien",
		Title:   "Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026",
		Summary: "Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 với hơn 300 doanh nghiệp tham dự."}
	secondReport = storage.Item{GUID: "https://vov.vn/xuc-tien", Link: "https://vov.vn/xuc-tien?a=1&b=2", Canonical: "https://vov.vn/xuc-tien",
		Title:   "Khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 tại Lào Cai",
		Summary: "Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026, hơn 300 doanh nghiệp tham dự."}
)

// storyEnv adds to a deliveryEnv story grouping and a second outlet, VOV,
// in kinh-te.
func storyEnv(t *testing.T) (*deliveryEnv, storage.Feed) {
	t.Helper()
	e := newDeliveryEnv(t)
	e.store.EnableStories(storage.StoryOptions{})
	ctx := context.Background()
	vov, err := e.store.AddFeed(ctx, "https://vov.vn/rss", "kinh-te", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SaveItems(ctx, vov.ID, nil, storage.SaveOptions{Title: "VOV"}); err != nil {
		t.Fatal(err)
	}
	return e, vov
}

func (e *deliveryEnv) save(feed storage.Feed, it storage.Item) storage.SaveResult {
	e.t.Helper()
	it.Published = time.Now()
	res, err := e.store.SaveItems(context.Background(), feed.ID, []storage.Item{it}, storage.SaveOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func methods(all []telegramtest.Sent, chat int64, method string) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, s := range all {
		if s.ChatID == chat && s.Method == method {
			out = append(out, s)
		}
	}
	return out
}

// TestDispatcherEditsAStoryAlert: the chat's alert goes out as one
// message; when another outlet's article joins its story, the dispatcher
// edits that message (editMessageText against the fake Bot API) to list
// the new source, linked and escaped, and sends nothing new.
func TestDispatcherEditsAStoryAlert(t *testing.T) {
	e, vov := storyEnv(t)
	chat := e.chats(100, 1, "private")[0]
	e.dispatch(bot.DispatcherOptions{})
	e.save(e.feed, firstReport)
	e.waitState(chat, "the alert sent", allIn(storage.StateSent))
	if res := e.save(vov, secondReport); res.Edits != 1 {
		t.Fatalf("join: %+v, want one edit", res)
	}
	st := e.waitState(chat, "the edit sent", func(st []storage.DeliveryState) bool { return len(st) == 2 && allIn(storage.StateSent)(st) })
	all := e.tg.Sent()
	sends, edits := sentTo(all, 100), methods(all, 100, "editMessageText")
	if len(sends) != 1 || len(edits) != 1 {
		t.Fatalf("chat got %d messages and %d edits, want 1 and 1", len(sends), len(edits))
	}
	if edits[0].MessageID != sends[0].MessageID || st[1].MessageID != strconv.Itoa(sends[0].MessageID) {
		t.Fatalf("edit of message %d (recorded %q), want the alert's %d", edits[0].MessageID, st[1].MessageID, sends[0].MessageID)
	}
	want := `Cũng đưa tin: <a href="https://vov.vn/xuc-tien?a=1&amp;b=2">VOV</a>`
	if !strings.Contains(edits[0].Text, want) || !strings.Contains(edits[0].Text, "Lào Cai khai mạc Hội nghị") {
		t.Fatalf("edited text lacks %s or the first report:\n%s", want, edits[0].Text)
	}
	if strings.Contains(sends[0].Text, "Cũng đưa tin") {
		t.Errorf("the first alert named sources it could not know:\n%s", sends[0].Text)
	}
}

// TestDispatcherEditRules: an edit of a message older than 48 hours when
// it comes due is finished unsent; on Zalo, which cannot edit, the edit
// row is finished unsent and the chat got its one message.
func TestDispatcherEditRules(t *testing.T) {
	t.Run("older than 48h", func(t *testing.T) {
		e, vov := storyEnv(t)
		chat := e.chats(100, 1, "private")[0]
		e.dispatch(bot.DispatcherOptions{})
		e.save(e.feed, firstReport)
		e.waitState(chat, "the alert sent", allIn(storage.StateSent))
		// The join is stored now; the dispatcher gets to it two days on.
		e.clock.Set(time.Now().Add(storage.StoryEditAge + time.Hour))
		e.save(vov, secondReport)
		st := e.waitState(chat, "the edit finished", func(st []storage.DeliveryState) bool {
			return len(st) == 2 && st[1].State == storage.StateDropped
		})
		if !strings.Contains(st[1].LastError, "older than") {
			t.Errorf("edit finished with %q", st[1].LastError)
		}
		if got := methods(e.tg.Sent(), 100, "editMessageText"); len(got) != 0 {
			t.Fatalf("an old message was edited: %+v", got)
		}
	})
	t.Run("zalo", func(t *testing.T) {
		e, vov := storyEnv(t)
		ctx := context.Background()
		zs := zalotest.New(t)
		za, err := zalo.New(ctx, zalo.Options{Token: zs.Token, APIURL: zs.URL})
		if err != nil {
			t.Fatal(err)
		}
		chat := storage.ChatRef{Platform: "zalo", ID: "u1"}
		if err := e.store.TouchChat(ctx, storage.Chat{ChatRef: chat, Type: "private"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Subscribe(ctx, chat, []string{"chinh-tri"}); err != nil {
			t.Fatal(err)
		}
		d := bot.NewDispatcher(bot.DispatcherOptions{Store: e.store, Platforms: map[string]bot.Platform{"zalo": za},
			ChatInterval: time.Millisecond, PollInterval: 20 * time.Millisecond})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { d.Run(runCtx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })

		e.save(e.feed, firstReport)
		e.waitState(chat, "the alert sent", allIn(storage.StateSent))
		if res := e.save(vov, secondReport); res.Edits != 1 {
			t.Fatalf("join: %+v, want an edit row (the store does not know what Zalo can do)", res)
		}
		st := e.waitState(chat, "the edit finished", func(st []storage.DeliveryState) bool {
			return len(st) == 2 && st[1].State == storage.StateDropped
		})
		if !strings.Contains(st[1].LastError, "cannot edit") {
			t.Errorf("edit finished with %q", st[1].LastError)
		}
		if got := zs.Sent(); len(got) != 1 || strings.Contains(got[0].Text, "Cũng đưa tin") {
			t.Fatalf("zalo got %+v, want the one alert", got)
		}
	})
}

// TestDispatcherEditWaitsForAConnectingPlatform: while a platform is still
// connecting, what it can do is unknown, so an edit waits (a Zalo adapter
// would send it as a new message); once connected, Zalo's edit is finished
// unsent.
func TestDispatcherEditWaitsForAConnectingPlatform(t *testing.T) {
	e, vov := storyEnv(t)
	ctx := context.Background()
	zs := zalotest.New(t)
	release := make(chan struct{})
	starting := bot.Starting(bot.StartOptions{Name: "zalo", Start: func(ctx context.Context) (bot.Platform, error) {
		<-release
		return zalo.New(ctx, zalo.Options{Token: zs.Token, APIURL: zs.URL})
	}})
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go starting.Run(runCtx, func(context.Context, bot.Update) {})

	chat := storage.ChatRef{Platform: "zalo", ID: "u1"}
	if err := e.store.TouchChat(ctx, storage.Chat{ChatRef: chat, Type: "private"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Subscribe(ctx, chat, []string{"chinh-tri"}); err != nil {
		t.Fatal(err)
	}
	e.save(e.feed, firstReport)
	st := e.states(chat)
	if err := e.store.MarkSentMessage(ctx, []int64{st[0].ID}, time.Now(), "zm-1"); err != nil { // sent before this run
		t.Fatal(err)
	}
	e.save(vov, secondReport)
	d := bot.NewDispatcher(bot.DispatcherOptions{Store: e.store, Platforms: map[string]bot.Platform{"zalo": starting},
		ChatInterval: time.Millisecond, PollInterval: 20 * time.Millisecond, Now: e.clock.Now})
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e.waitState(chat, "the edit postponed", func(st []storage.DeliveryState) bool {
		return len(st) == 2 && st[1].State == storage.StatePending && strings.Contains(st[1].LastError, "not connected")
	})
	close(release)
	<-starting.Ready()
	e.clock.Set(time.Now().Add(time.Minute))
	d.Wake()
	e.waitState(chat, "the edit finished", func(st []storage.DeliveryState) bool {
		return len(st) == 2 && st[1].State == storage.StateDropped && strings.Contains(st[1].LastError, "cannot edit")
	})
	if got := zs.Sent(); len(got) != 0 {
		t.Fatalf("zalo got %+v, want nothing", got)
	}
}
