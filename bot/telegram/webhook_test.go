package telegram

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
)

const hookSecret = "s3cret-Hook_token"

// hooked returns an adapter in webhook mode whose handler is served at
// /hook/telegram on a local server, as main mounts it.
func hooked(t *testing.T, tg *telegramtest.Server) (*Adapter, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hook := srv.URL + "/hook/telegram"
	a, _ := newAdapter(t, tg, func(o *Options) { o.WebhookURL, o.WebhookSecret = hook, hookSecret })
	mux.Handle("POST /hook/telegram", a.WebhookHandler())
	return a, hook
}

// runHooked runs the adapter and waits for its webhook to be set.
func runHooked(t *testing.T, tg *telegramtest.Server, a *Adapter) *running {
	t.Helper()
	r := run(t, a)
	tg.WaitCalls(t, func([]telegramtest.Call) bool { u, _ := tg.Webhook(); return u != "" }, wait)
	return r
}

func TestWebhookSetAtStartWithURLAndSecret(t *testing.T) {
	tg := telegramtest.New(t)
	a, hook := hooked(t, tg)
	runHooked(t, tg, a)
	var set []telegramtest.Call
	for _, c := range tg.Calls() {
		switch c.Method {
		case "setWebhook":
			set = append(set, c)
		case "getUpdates", "deleteWebhook":
			t.Errorf("%s called in webhook mode", c.Method)
		}
	}
	if len(set) != 1 {
		t.Fatalf("setWebhook called %d times", len(set))
	}
	p := set[0].Params
	if p.Get("url") != hook || p.Get("secret_token") != hookSecret || p.Get("allowed_updates") != `["message","callback_query"]` {
		t.Errorf("setWebhook params = %v", p)
	}
}

func TestWebhookHandlesUpdates(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := hooked(t, tg)
	r := runHooked(t, tg, a)

	m := tg.PushMessage(111, 111, "/start", telegramtest.WithUser("Lan", "lan_nguyen"))
	got := r.next(t)
	if got.ID != strconv.Itoa(m.UpdateID) || got.Text != "/start" || got.Chat != chat("111", "private", "Lan", "vi") || got.UserID != "111" {
		t.Errorf("message = %+v", got)
	}
	cb := tg.PushCallback(-1005550001, 555, 77, "sub:thoi-su", telegramtest.WithChatType("supergroup"))
	got = r.next(t)
	if got.ID != strconv.Itoa(cb.UpdateID) || got.Callback == nil || got.Callback.ID != cb.CallbackQuery.ID || got.Text != "sub:thoi-su" {
		t.Errorf("callback = %+v", got)
	}
	for _, d := range tg.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %+v, want 200", d)
		}
	}
	if tg.Pending() != 0 {
		t.Errorf("%d updates queued for getUpdates while a webhook is set", tg.Pending())
	}
}

func TestWebhookRejectsWrongOrMissingSecret(t *testing.T) {
	tg := telegramtest.New(t)
	a, hook := hooked(t, tg)
	r := runHooked(t, tg, a)
	ctx := context.Background()

	u := tgbotapi.Update{UpdateID: 900001, Message: &tgbotapi.Message{
		MessageID: 1, Text: "/start",
		From: &tgbotapi.User{ID: 7, FirstName: "Mai"},
		Chat: &tgbotapi.Chat{ID: 7, Type: "private", FirstName: "Mai"},
	}}
	for _, secret := range []string{"", "wrong", hookSecret + "x", strings.ToUpper(hookSecret)} {
		if status, err := telegramtest.PostWebhook(ctx, nil, hook, secret, u); err != nil || status != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, %v; want 401", secret, status, err)
		}
	}
	// Nothing was handled or remembered: the same update with the right
	// secret is new.
	if status, err := telegramtest.PostWebhook(ctx, nil, hook, hookSecret, u); err != nil || status != http.StatusOK {
		t.Fatalf("right secret: status %d, %v", status, err)
	}
	if got := r.next(t); got.ID != "900001" {
		t.Errorf("handled %+v", got)
	}
	select {
	case u := <-r.updates:
		t.Errorf("handled more: %+v", u)
	default:
	}
}

func TestWebhookHandlesReplaysOnce(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := hooked(t, tg)
	r := runHooked(t, tg, a)

	first := tg.PushMessage(10, 10, "/start")
	tg.Redeliver(first)
	tg.Redeliver(first)
	second := tg.PushMessage(10, 10, "/help")

	if got := r.next(t); got.ID != strconv.Itoa(first.UpdateID) {
		t.Errorf("first = %+v", got)
	}
	if got := r.next(t); got.ID != strconv.Itoa(second.UpdateID) {
		t.Errorf("second = %+v, want update %d (the replays dropped)", got, second.UpdateID)
	}
	for _, d := range tg.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %+v, want 200 for replays too", d)
		}
	}
}

func TestWebhookBadRequests(t *testing.T) {
	tg := telegramtest.New(t)
	a, hook := hooked(t, tg)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"not JSON", "<xml/>", http.StatusBadRequest},
		{"no update_id", `{"message":{"text":"hi"}}`, http.StatusBadRequest},
		{"an update it skips", `{"update_id":5,"edited_message":{"message_id":1,"text":"x","chat":{"id":1,"type":"private"}}}`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, err := telegramtest.PostWebhookBody(ctx, nil, hook, hookSecret, []byte(tc.body))
			if err != nil || status != tc.want {
				t.Errorf("status %d, %v; want %d", status, err, tc.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	a.WebhookHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hook/telegram", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET answered %d, want 405", rec.Code)
	}
	if n := a.hook.Len(); n != 0 {
		t.Errorf("%d updates queued", n)
	}
}

func TestWebhookHandlerOffWhenPolling(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/hook/telegram", strings.NewReader(`{"update_id":1}`))
	a.WebhookHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", rec.Code)
	}
}

func TestWebhookOptionsChecked(t *testing.T) {
	tg := telegramtest.New(t)
	for _, tc := range []struct{ name, url, secret string }{
		{"no secret", "https://bot.example.vn/hook/telegram", ""},
		{"a secret with a space", "https://bot.example.vn/hook/telegram", "two words"},
		{"a secret too long", "https://bot.example.vn/hook/telegram", strings.Repeat("a", 257)},
		{"a relative url", "/hook/telegram", hookSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(context.Background(), Options{Token: tg.Token, APIURL: tg.URL, WebhookURL: tc.url, WebhookSecret: tc.secret}); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

func TestWebhookSetupErrors(t *testing.T) {
	t.Run("refused for good", func(t *testing.T) {
		tg := telegramtest.New(t)
		a, _ := hooked(t, tg)
		tg.FailNext("setWebhook", 0, telegramtest.Fault{Code: 400, Description: "Bad Request: bad webhook: HTTPS url must be provided for webhook"})
		err := a.Run(context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), "HTTPS url must be provided") {
			t.Errorf("Run = %v, want the refusal", err)
		}
	})
	t.Run("retried while it may pass", func(t *testing.T) {
		tg := telegramtest.New(t)
		a, _ := hooked(t, tg)
		tg.FailNext("setWebhook", 0, telegramtest.Fault{Code: 502})
		tg.FailNext("setWebhook", 0, telegramtest.Fault{Drop: true})
		runHooked(t, tg, a)
		n := 0
		for _, c := range tg.Calls() {
			if c.Method == "setWebhook" {
				n++
			}
		}
		if n != 3 {
			t.Errorf("setWebhook called %d times, want 3", n)
		}
	})
}

// Polling after a webhook was set removes it first; pending updates stay.
func TestRunRemovesWebhookBeforePolling(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	wh, err := tgbotapi.NewWebhook("https://old.example.vn/hook")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.call(context.Background()).Request(wh); err != nil {
		t.Fatal(err)
	}
	r := run(t, a)
	tg.WaitCalls(t, func(calls []telegramtest.Call) bool {
		return calls[len(calls)-1].Method == "getUpdates"
	}, wait)
	m := tg.PushMessage(10, 10, "hi")
	if got := r.next(t); got.ID != strconv.Itoa(m.UpdateID) {
		t.Errorf("got %+v", got)
	}
	if u, _ := tg.Webhook(); u != "" {
		t.Errorf("webhook still %q", u)
	}
}
