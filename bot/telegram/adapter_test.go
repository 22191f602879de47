package telegram

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
)

const wait = 5 * time.Second

var testCommands = []bot.Command{
	{Name: "start", Description: map[string]string{"vi": "Bắt đầu", "en": "Start"}},
	{Name: "sections", Description: map[string]string{"vi": "Chọn chuyên mục", "en": "Choose sections"}},
	{Name: "help", Description: map[string]string{"vi": "Hướng dẫn"}},
}

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

func newAdapter(t *testing.T, tg *telegramtest.Server, edit ...func(*Options)) (*Adapter, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	opts := Options{
		Token:       tg.Token,
		APIURL:      tg.URL,
		PollTimeout: 5 * time.Second,
		Commands:    testCommands,
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

func TestNewReadsBotAndRegistersCommands(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)

	if a.Username() != tg.BotUsername || a.ID() != tg.BotID {
		t.Errorf("Username, ID = %q, %d; want %q, %d", a.Username(), a.ID(), tg.BotUsername, tg.BotID)
	}
	if a.Name() != "telegram" || !a.Buttons() {
		t.Errorf("Name, Buttons = %q, %v", a.Name(), a.Buttons())
	}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"", []string{"start=Bắt đầu", "sections=Chọn chuyên mục", "help=Hướng dẫn"}},
		{"en", []string{"start=Start", "sections=Choose sections", "help=Hướng dẫn"}},
	} {
		var got []string
		for _, c := range tg.Commands(tc.lang) {
			got = append(got, c.Command+"="+c.Description)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("commands for %q = %v, want %v", tc.lang, got, tc.want)
		}
	}
}

func TestNewCommandFailureIsNotFatal(t *testing.T) {
	tg := telegramtest.New(t)
	tg.FailNext("setMyCommands", 0, telegramtest.Fault{Code: 400, Description: "Bad Request: BOT_COMMAND_INVALID"})
	_, logs := newAdapter(t, tg)
	if !strings.Contains(logs.String(), "unable to register commands") {
		t.Errorf("failure not logged: %s", logs)
	}
	if got := tg.Commands("en"); len(got) != len(testCommands) {
		t.Errorf("English commands = %v, want them registered despite the default list failing", got)
	}
}

func TestNewFailsOnBadToken(t *testing.T) {
	tg := telegramtest.New(t)
	tg.FailNext("getMe", 0, telegramtest.Fault{Code: 401, Description: "Unauthorized"})
	_, err := New(context.Background(), Options{Token: tg.Token, APIURL: tg.URL})
	if err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("New = %v, want an Unauthorized error", err)
	}
	if _, err := New(context.Background(), Options{APIURL: tg.URL}); err == nil {
		t.Error("New without a token succeeded")
	}
}

func TestNewHonoursContext(t *testing.T) {
	tg := telegramtest.New(t)
	tg.FailNext("getMe", 0, telegramtest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := New(ctx, Options{Token: tg.Token, APIURL: tg.URL})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("New = %v, want context.DeadlineExceeded", err)
	}
	if strings.Contains(err.Error(), tg.Token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestChatMember(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	tg.SetChatMember(-1001234567890, tg.BotID, "administrator", true)
	tg.SetChatMember(-1001234567891, tg.BotID, "administrator", false)

	for _, tc := range []struct {
		name       string
		chat       string
		wantStatus string
		wantPost   bool
	}{
		{"admin who may post", "-1001234567890", "administrator", true},
		{"admin who may not post", "-1001234567891", "administrator", false},
		{"default member", "-1001234567892", "member", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, canPost, err := a.ChatMember(context.Background(), tc.chat, tg.BotID)
			if err != nil || status != tc.wantStatus || canPost != tc.wantPost {
				t.Errorf("ChatMember = %q, %v, %v; want %q, %v", status, canPost, err, tc.wantStatus, tc.wantPost)
			}
		})
	}

	tg.FailNext("getChatMember", 0, telegramtest.Fault{Code: 400, Description: "Bad Request: chat not found"})
	if _, _, err := a.ChatMember(context.Background(), "-1009", tg.BotID); !errors.Is(err, bot.ErrChatGone) {
		t.Errorf("ChatMember on a missing chat = %v, want ErrChatGone", err)
	}
}
