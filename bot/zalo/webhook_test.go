package zalo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
)

const hookSecret = "s3cret-Hook_token"

// hooked returns an adapter in webhook mode whose handler is served at
// /hook/zalo on a local server, as main mounts it.
func hooked(t *testing.T, zs *zalotest.Server, edit ...func(*Options)) (*Adapter, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hook := srv.URL + "/hook/zalo"
	a, _ := newAdapter(t, zs, append([]func(*Options){func(o *Options) {
		o.WebhookURL, o.WebhookSecret = hook, hookSecret
	}}, edit...)...)
	mux.Handle("POST /hook/zalo", a.WebhookHandler())
	return a, hook
}

// runHooked runs the adapter and waits for its webhook to be set.
func runHooked(t *testing.T, zs *zalotest.Server, a *Adapter) *running {
	t.Helper()
	r := run(t, a)
	zs.WaitCalls(t, func([]zalotest.Call) bool { u, _ := zs.Webhook(); return u != "" }, wait)
	return r
}

func textUpdate(id, user, text string) zalotest.Update {
	return zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
		MessageID: id,
		From:      zalotest.User{ID: user, DisplayName: "Ted"},
		Chat:      zalotest.Chat{ID: user, ChatType: "PRIVATE"},
		Text:      text,
		Date:      time.Now().UnixMilli(),
	}}
}

func TestWebhookSetAtStartWithURLAndSecret(t *testing.T) {
	zs := zalotest.New(t)
	a, hook := hooked(t, zs)
	runHooked(t, zs, a)
	calls := zs.CallsOf("setWebhook")
	if len(calls) != 1 || calls[0].Params["url"] != hook || calls[0].Params["secret_token"] != hookSecret {
		t.Errorf("setWebhook calls = %+v, want url %s and the secret", calls, hook)
	}
	if n := len(zs.CallsOf("getUpdates")) + len(zs.CallsOf("deleteWebhook")); n != 0 {
		t.Errorf("%d getUpdates/deleteWebhook calls in webhook mode", n)
	}
}

func TestWebhookAcceptsBothBodyShapes(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := hooked(t, zs)
	r := runHooked(t, zs, a)

	for _, wrapped := range []bool{false, true} {
		zs.SetWrappedWebhook(wrapped)
		id := zs.PushText(userTed, "tin mới")
		if got := r.next(t); got.ID != id || got.Text != "/latest" || got.Chat.ID != userTed || got.UserID != userTed {
			t.Errorf("wrapped=%v: handled %+v", wrapped, got)
		}
	}
	for _, d := range zs.Deliveries() {
		if d.Status != http.StatusOK || d.Err != nil {
			t.Errorf("delivery %+v, want 200", d)
		}
	}
}

func TestWebhookRejectsWrongOrMissingSecret(t *testing.T) {
	zs := zalotest.New(t)
	a, hook := hooked(t, zs)
	r := runHooked(t, zs, a)
	ctx := context.Background()

	body := zalotest.WebhookBody(textUpdate("m-1", userTed, "/start"), false)
	for _, secret := range []string{"", "wrong-secret-123", hookSecret + "x", strings.ToUpper(hookSecret)} {
		status, err := zalotest.PostWebhook(ctx, nil, hook, secret, body)
		if err != nil || status != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, %v; want 401", secret, status, err)
		}
	}
	// Nothing was handled or even marked seen: the same message with the
	// right secret is new.
	if status, err := zalotest.PostWebhook(ctx, nil, hook, hookSecret, body); err != nil || status != http.StatusOK {
		t.Fatalf("right secret: status %d, %v", status, err)
	}
	if got := r.next(t); got.ID != "m-1" {
		t.Errorf("handled %+v, want m-1", got)
	}
	select {
	case u := <-r.updates:
		t.Errorf("handled more: %+v", u)
	default:
	}
}

func TestWebhookHandlesReplaysOnce(t *testing.T) {
	zs := zalotest.New(t)
	a, hook := hooked(t, zs)
	r := runHooked(t, zs, a)
	ctx := context.Background()

	first := zs.PushUpdate(textUpdate("", userTed, "/start"))
	zs.PushUpdate(first) // Zalo retrying
	wrapped := zalotest.WebhookBody(first, true)
	if status, _ := zalotest.PostWebhook(ctx, nil, hook, hookSecret, wrapped); status != http.StatusOK {
		t.Errorf("replay in the other shape answered %d, want 200", status)
	}
	second := zs.PushText(userTed, "/help")

	if got := r.next(t); got.ID != first.Message.MessageID {
		t.Errorf("first handled = %+v", got)
	}
	if got := r.next(t); got.ID != second {
		t.Errorf("second handled = %+v, want %s (the replays dropped)", got, second)
	}
}

func TestWebhookBadRequests(t *testing.T) {
	zs := zalotest.New(t)
	a, hook := hooked(t, zs)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"not JSON", "<xml/>", http.StatusBadRequest},
		{"no update", `{"ok":true}`, http.StatusBadRequest},
		{"an event it skips", `{"event_name":"message.sticker.received","message":{"message_id":"s1","from":{"id":"u"},"chat":{"id":"u","chat_type":"PRIVATE"},"sticker":"x"}}`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, err := zalotest.PostWebhook(ctx, nil, hook, hookSecret, []byte(tc.body))
			if err != nil || status != tc.want {
				t.Errorf("status %d, %v; want %d", status, err, tc.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	a.WebhookHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hook/zalo", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET answered %d, want 405", rec.Code)
	}
	if a.queue.Len() != 0 {
		t.Errorf("%d updates queued", a.queue.Len())
	}
}

// Updates that arrive before Run starts wait for it, and the webhook
// answers only once Run handed them over.
func TestWebhookQueuesBeforeRun(t *testing.T) {
	zs := zalotest.New(t)
	a, hook := hooked(t, zs)
	body := zalotest.WebhookBody(textUpdate("early", userTed, "/start"), false)
	status := make(chan int, 1)
	go func() {
		s, _ := zalotest.PostWebhook(context.Background(), nil, hook, hookSecret, body)
		status <- s
	}()
	deadline := time.Now().Add(wait)
	for a.queue.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling for the request to arrive, not timing it
	}
	select {
	case s := <-status:
		t.Fatalf("answered %d before Run took the update", s)
	default:
	}
	r := run(t, a)
	if got := r.next(t); got.ID != "early" {
		t.Errorf("handled %+v", got)
	}
	select {
	case s := <-status:
		if s != http.StatusOK {
			t.Errorf("status %d, want 200", s)
		}
	case <-time.After(wait):
		t.Fatal("no answer after Run handled the update")
	}
}

func TestWebhookHandlerOffWhenPolling(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/hook/zalo", strings.NewReader(string(zalotest.WebhookBody(textUpdate("x", userTed, "hi"), false))))
	req.Header.Set(SecretHeader, "")
	a.WebhookHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", rec.Code)
	}
}

func TestWebhookSetupErrors(t *testing.T) {
	t.Run("refused for good", func(t *testing.T) {
		zs := zalotest.New(t)
		a, _ := hooked(t, zs)
		zs.FailNext("setWebhook", "", zalotest.Fault{HTTPStatus: 400, Description: "Bad Request: url must be HTTPS"})
		err := a.Run(context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), "url must be HTTPS") {
			t.Errorf("Run = %v, want the refusal", err)
		}
	})
	t.Run("retried while it may pass", func(t *testing.T) {
		zs := zalotest.New(t)
		a, _ := hooked(t, zs)
		zs.FailNext("setWebhook", "", zalotest.Fault{HTTPStatus: 502})
		zs.FailNext("setWebhook", "", zalotest.Fault{Drop: true})
		runHooked(t, zs, a)
		if n := len(zs.CallsOf("setWebhook")); n != 3 {
			t.Errorf("setWebhook called %d times, want 3", n)
		}
	})
}
