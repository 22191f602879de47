package zalo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
)

const wait = 5 * time.Second

// syncBuffer is a log sink safe to write from Run's goroutine.
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

func newAdapter(t *testing.T, zs *zalotest.Server, edit ...func(*Options)) (*Adapter, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	opts := Options{
		Token:       zs.Token,
		APIURL:      zs.URL,
		PollTimeout: 5 * time.Second,
		Log:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, e := range edit {
		e(&opts)
	}
	a, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.backoffMin, a.backoffMax = 10*time.Millisecond, 50*time.Millisecond
	return a, logs
}

// running is an adapter's Run in a goroutine, feeding a channel.
type running struct {
	updates chan bot.Update
	cancel  context.CancelFunc
	done    chan error
	stopped sync.Once
	err     error
}

func run(t *testing.T, a *Adapter) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{updates: make(chan bot.Update, 100), cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- a.Run(ctx, func(_ context.Context, u bot.Update) { r.updates <- u })
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and waits for it to return nil.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.stopped.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(wait):
			t.Errorf("Run did not return within %s of cancel", wait)
		}
	})
}

func (r *running) next(t *testing.T) bot.Update {
	t.Helper()
	select {
	case u := <-r.updates:
		return u
	case <-time.After(wait):
		t.Fatalf("no update handled within %s", wait)
		return bot.Update{}
	}
}

// none checks that nothing more was handled once the fake has no update
// left to give and the adapter polls again, which it does only after
// handling all it got.
func (r *running) none(t *testing.T, zs *zalotest.Server) {
	t.Helper()
	zs.WaitCalls(t, func([]zalotest.Call) bool { return zs.Pending() == 0 && zs.Polling() > 0 }, wait)
	select {
	case u := <-r.updates:
		t.Errorf("unexpected update handled: %+v", u)
	default:
	}
}

func TestNewReadsBot(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	if a.Name() != "zalo" || a.Buttons() {
		t.Errorf("Name, Buttons = %q, %v; want zalo, false", a.Name(), a.Buttons())
	}
	if b := a.Bot(); b.ID != zs.BotID || b.AccountName != zs.BotName {
		t.Errorf("Bot = %+v", b)
	}
	if err := a.AnswerCallback(context.Background(), "x", "y"); err != nil {
		t.Errorf("AnswerCallback = %v, want a no-op", err)
	}
	calls := zs.Calls()
	if len(calls) != 1 || calls[0].Method != "getMe" {
		t.Errorf("calls = %+v, want only getMe", calls)
	}
}

func TestNewRefusedToken(t *testing.T) {
	zs := zalotest.New(t)
	_, err := New(context.Background(), Options{Token: "999:wrong-secret-token", APIURL: zs.URL})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("New = %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "zalo.token") {
		t.Errorf("error %q does not name the config key", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-token") {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestNewChecksOptions(t *testing.T) {
	zs := zalotest.New(t)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"empty token", Options{APIURL: zs.URL}},
		{"webhook without a secret", Options{Token: zs.Token, APIURL: zs.URL, WebhookURL: "https://bot.example.vn/hook/zalo"}},
		{"webhook secret too short", Options{Token: zs.Token, APIURL: zs.URL, WebhookURL: "https://bot.example.vn/hook/zalo", WebhookSecret: "short"}},
		{"webhook url not absolute", Options{Token: zs.Token, APIURL: zs.URL, WebhookURL: "/hook/zalo", WebhookSecret: "long-enough-secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(context.Background(), tc.opts); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

func TestNewNetworkErrorIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close() // nothing listens any more
	token := "4242:SecretPartOfTheToken"
	_, err := New(context.Background(), Options{Token: token, APIURL: url})
	if err == nil {
		t.Fatal("New succeeded against a closed server")
	}
	if strings.Contains(err.Error(), "SecretPartOfTheToken") {
		t.Errorf("error leaks the token: %v", err)
	}
	if !strings.Contains(err.Error(), "<token>") {
		t.Errorf("error %q lacks the redacted URL", err)
	}
}

func TestNewHonoursContext(t *testing.T) {
	zs := zalotest.New(t)
	zs.FailNext("getMe", "", zalotest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := New(ctx, Options{Token: zs.Token, APIURL: zs.URL})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("New = %v, want context.DeadlineExceeded", err)
	}
	if strings.Contains(err.Error(), zs.Token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestMemorySeenForgetsOldest(t *testing.T) {
	ctx := context.Background()
	m := NewMemorySeen(2)
	for _, id := range []string{"a", "b", "b", "c"} {
		if err := m.MarkSeen(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]bool{"a": false, "b": true, "c": true, "d": false} {
		if got, _ := m.Seen(ctx, id); got != want {
			t.Errorf("Seen(%q) = %v, want %v", id, got, want)
		}
	}
}
