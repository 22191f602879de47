package bot_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/storage"
)

// logCounter counts log records by message, so a test can wait for the
// dispatcher to have gone round a number of times.
type logCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCounter) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCounter) WithGroup(string) slog.Handler            { return c }
func (c *logCounter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[r.Message]++
	return nil
}

func (c *logCounter) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[msg]
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDispatcherFullDisk: with the database refusing writes, an alert goes
// out once and is not sent again however often the dispatcher looks, the
// rest wait, the admins hear of it once (in their language), and when
// writes work again everything is recorded and delivered exactly once.
func TestDispatcherFullDisk(t *testing.T) {
	e := newDeliveryEnv(t)
	ctx := context.Background()
	chats := e.chats(1101, 3, "private")
	adminVI := storage.ChatRef{Platform: "telegram", ID: "1"}
	adminEN := storage.ChatRef{Platform: "telegram", ID: "2"}
	for _, a := range []storage.Chat{{ChatRef: adminVI}, {ChatRef: adminEN, Lang: "en"}} {
		if err := e.store.TouchChat(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	titles := e.publish(1)
	if err := e.store.RefuseWrites(ctx, true); err != nil {
		t.Fatal(err)
	}
	logs := &logCounter{counts: map[string]int{}}
	e.dispatch(bot.DispatcherOptions{Workers: 1, Admins: []storage.ChatRef{adminVI, adminEN},
		RecordRetry: 10 * time.Millisecond, Log: slog.New(logs)})

	delivered := func() (n int) {
		for _, c := range []int64{1101, 1102, 1103} {
			n += len(containingText(sentTo(e.tg.Sent(), c), titles[0]))
		}
		return n
	}
	waitUntil(t, "the first alert went out", func() bool { return delivered() >= 1 })
	waitUntil(t, "the admins were told", func() bool {
		return len(sentTo(e.tg.Sent(), 1)) >= 1 && len(sentTo(e.tg.Sent(), 2)) >= 1
	})
	// Let the dispatcher go round several times while writes still fail.
	const stillPaused = "bot: outcomes still cannot be recorded; sending stays paused"
	waitUntil(t, "several tries to record", func() bool { return logs.count(stillPaused) >= 5 })
	if n := delivered(); n != 1 {
		t.Fatalf("%d alerts went out while the first could not be recorded, want exactly 1", n)
	}
	vi, en := sentTo(e.tg.Sent(), 1), sentTo(e.tg.Sent(), 2)
	if len(vi) != 1 || !strings.Contains(vi[0].Text, "newsbot không ghi được cơ sở dữ liệu (attempt to write a readonly database") ||
		!strings.Contains(vi[0].Text, "Tạm ngừng gửi tin") {
		t.Fatalf("Vietnamese admin was told: %+v", vi)
	}
	if len(en) != 1 || !strings.Contains(en[0].Text, "newsbot cannot write its database (attempt to write a readonly database") {
		t.Fatalf("English admin was told: %+v", en)
	}
	if herr, _ := e.store.WriteHealth(); herr == nil {
		t.Errorf("the store does not know it cannot write")
	}
	for _, c := range chats {
		if st := e.states(c); len(st) != 1 || st[0].State != storage.StatePending {
			t.Fatalf("while writes fail, %s: %+v", c, st)
		}
	}

	if err := e.store.RefuseWrites(ctx, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range chats {
		st := e.waitState(c, "sent once writes work", allIn(storage.StateSent))
		if st[0].Attempts != 1 {
			t.Errorf("%s: %+v", c, st)
		}
	}
	waitUntil(t, "the admins heard it resumed", func() bool {
		return len(sentTo(e.tg.Sent(), 1)) >= 2 && len(sentTo(e.tg.Sent(), 2)) >= 2
	})
	for _, c := range []int64{1101, 1102, 1103} {
		if got := sentTo(e.tg.Sent(), c); len(got) != 1 {
			t.Errorf("chat %d got %d messages, want 1", c, len(got))
		}
	}
	if vi := sentTo(e.tg.Sent(), 1); len(vi) != 2 || !strings.Contains(vi[1].Text, "✅ newsbot đã ghi lại được cơ sở dữ liệu, tiếp tục gửi tin.") {
		t.Errorf("Vietnamese admin: %+v", vi)
	}
	if en := sentTo(e.tg.Sent(), 2); len(en) != 2 || !strings.Contains(en[1].Text, "can write its database again") {
		t.Errorf("English admin: %+v", en)
	}
	if herr, _ := e.store.WriteHealth(); herr != nil {
		t.Errorf("write health after recovery: %v", herr)
	}
	// Sending goes on as usual afterwards.
	e.publish(1)
	for _, c := range chats {
		e.waitState(c, "the next alert sent", func(st []storage.DeliveryState) bool { return len(st) == 2 && allIn(storage.StateSent)(st) })
	}
	if n := len(sentTo(e.tg.Sent(), 1)); n != 2 {
		t.Errorf("the admin got %d messages, want the two notices only", n)
	}
}

// TestDispatcherRecordsHeldOutcomesWhenStopping: a send the database could
// not record is written on the way out, if the database takes it by then,
// so a restart does not send it again.
func TestDispatcherRecordsHeldOutcomesWhenStopping(t *testing.T) {
	e := newDeliveryEnv(t)
	ctx := context.Background()
	chat := e.chats(1301, 1, "private")[0]
	e.publish(1)
	if err := e.store.RefuseWrites(ctx, true); err != nil {
		t.Fatal(err)
	}
	logs := &logCounter{counts: map[string]int{}}
	d := bot.NewDispatcher(bot.DispatcherOptions{Store: e.store, Platforms: map[string]bot.Platform{"telegram": e.tga},
		RatePerSecond: 1000, ChatInterval: time.Millisecond, PollInterval: 20 * time.Millisecond,
		RecordRetry: time.Hour, Log: slog.New(logs)})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	waitUntil(t, "the send was held", func() bool {
		return logs.count("bot: cannot record delivery outcome; holding it and pausing sends") == 1
	})
	if err := e.store.RefuseWrites(ctx, false); err != nil {
		t.Fatal(err)
	}
	// The next try is an hour away; stopping writes it now.
	cancel()
	<-done
	if st := e.states(chat); st[0].State != storage.StateSent || len(sentTo(e.tg.Sent(), 1301)) != 1 {
		t.Fatalf("after stopping: %+v, %d messages", st, len(sentTo(e.tg.Sent(), 1301)))
	}
}
