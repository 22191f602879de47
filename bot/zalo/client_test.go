package zalo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
)

// canned serves one fixed answer for every request and records the bodies.
func canned(t *testing.T, status int, body string) (*Client, func() []string) {
	t.Helper()
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, r.URL.Path+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	requests := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}
	return NewClient("77:tok", srv.URL, srv.Client()), requests
}

func TestGetUpdatesResultShapes(t *testing.T) {
	const msg = `{"event_name":"message.text.received","message":{"from":{"id":"6ede9afa66b88fe6d6a9","display_name":"Ted","is_bot":false},"chat":{"id":"6ede9afa66b88fe6d6a9","chat_type":"PRIVATE"},"text":"Xin chào","message_id":"2d758cb5e222177a4e35","date":1750316131602}}`
	tests := []struct {
		name   string
		body   string
		wantID []string
	}{
		{"one object", `{"ok":true,"result":` + msg + `}`, []string{"2d758cb5e222177a4e35"}},
		{"an array", `{"ok":true,"result":[` + msg + `,` + strings.Replace(msg, "2d758cb5e222177a4e35", "second", 1) + `]}`, []string{"2d758cb5e222177a4e35", "second"}},
		{"without event_name, first_name and numeric ids", `{"ok":true,"result":{"message":{"chat":{"id":123,"chat_type":"PRIVATE"},"text":"hi","message_id":456,"date":"1750316131602","from":{"id":123,"first_name":"A"}}}}`, []string{"456"}},
		{"null result", `{"ok":true,"result":null}`, nil},
		{"empty object", `{"ok":true,"result":{}}`, nil},
		{"empty array", `{"ok":true,"result":[]}`, nil},
		{"idle as ok:false with 200", `{"ok":false,"error_code":408,"description":"Request timeout"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, requests := canned(t, http.StatusOK, tc.body)
			ups, err := c.GetUpdates(context.Background(), 30*time.Second)
			if err != nil {
				t.Fatalf("GetUpdates: %v", err)
			}
			var ids []string
			for _, u := range ups {
				ids = append(ids, u.Message.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantID, ",") {
				t.Errorf("ids = %v, want %v", ids, tc.wantID)
			}
			if got := requests()[0]; got != `/bot77:tok/getUpdates {"timeout":"30"}` {
				t.Errorf("request = %s", got)
			}
		})
	}

	c, _ := canned(t, http.StatusOK, `{"ok":true,"result":`+msg+`}`)
	ups, _ := c.GetUpdates(context.Background(), time.Second)
	want := Update{EventName: EventText, Message: Message{
		ID:   "2d758cb5e222177a4e35",
		From: User{ID: "6ede9afa66b88fe6d6a9", DisplayName: "Ted"},
		Chat: Chat{ID: "6ede9afa66b88fe6d6a9", Type: "PRIVATE"},
		Text: "Xin chào",
		Date: time.UnixMilli(1750316131602),
	}}
	if len(ups) != 1 || ups[0].EventName != want.EventName || ups[0].Message.From != want.Message.From || ups[0].Message.Chat != want.Message.Chat || !ups[0].Message.Date.Equal(want.Message.Date) {
		t.Errorf("update = %+v\nwant     %+v", ups, want)
	}
}

func TestCallErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode int
		wantText string
	}{
		{"ok:false under HTTP 200", 200, `{"ok":false,"error_code":404,"description":"User not found"}`, 404, "404 User not found"},
		{"ok:false without a code", 200, `{"ok":false,"description":"Something"}`, 200, "Something"},
		{"HTTP error with an envelope", 429, `{"ok":false,"error_code":429,"description":"Quota exceeded","parameters":{"retry_after":7}}`, 429, "Quota exceeded"},
		{"HTTP error without an envelope", 502, `<html><body>Bad Gateway</body></html>`, 502, "502 Bad Gateway: <html><body>Bad Gateway</body></html>"},
		{"no ok field", 200, `{"result":{}}`, 200, "200 OK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := canned(t, tc.status, tc.body)
			_, err := c.SendMessage(context.Background(), "u1", "hi")
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tc.wantCode || apiErr.HTTPStatus != tc.status || apiErr.Method != "sendMessage" {
				t.Fatalf("SendMessage = %#v, want an APIError with code %d", err, tc.wantCode)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q lacks %q", err, tc.wantText)
			}
		})
	}
	c, _ := canned(t, 429, `{"ok":false,"error_code":429,"description":"Quota exceeded","parameters":{"retry_after":7}}`)
	_, err := c.SendMessage(context.Background(), "u1", "hi")
	var apiErr *APIError
	if errors.As(err, &apiErr); apiErr == nil || apiErr.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter of %v, want 7s", err)
	}
}

func TestClientMethodsAgainstFake(t *testing.T) {
	zs := zalotest.New(t)
	c := NewClient(zs.Token, zs.URL, nil)
	ctx := context.Background()

	me, err := c.GetMe(ctx)
	if err != nil || me.ID != zs.BotID {
		t.Fatalf("GetMe = %+v, %v", me, err)
	}
	if err := c.SetWebhook(ctx, "https://bot.example.vn/hook/zalo", "secret-of-16char"); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	if info, err := c.GetWebhookInfo(ctx); err != nil || info.URL != "https://bot.example.vn/hook/zalo" || info.UpdatedAt.IsZero() {
		t.Errorf("GetWebhookInfo = %+v, %v", info, err)
	}
	if _, err := c.GetUpdates(ctx, time.Second); err == nil {
		t.Error("GetUpdates worked while a webhook is set")
	}
	if err := c.DeleteWebhook(ctx); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if info, _ := c.GetWebhookInfo(ctx); info.URL != "" {
		t.Errorf("webhook still %q", info.URL)
	}
	if err := c.SendChatAction(ctx, "u1", "typing"); err != nil {
		t.Errorf("SendChatAction: %v", err)
	}
	m, err := c.SendMessage(ctx, "u1", "Xin chào")
	if err != nil || m.MessageID == "" || m.Date.IsZero() {
		t.Errorf("SendMessage = %+v, %v", m, err)
	}
	p, err := c.SendPhoto(ctx, "u1", "https://example.vn/a.jpg", "")
	if err != nil || p.MessageID == "" || p.MessageID == m.MessageID {
		t.Errorf("SendPhoto = %+v, %v", p, err)
	}
	sent := zs.Sent()
	if len(sent) != 2 || sent[0].Text != "Xin chào" || sent[1].Photo != "https://example.vn/a.jpg" || sent[1].Caption != "" {
		t.Errorf("sent = %+v", sent)
	}

	// An idle poll answered with HTTP 408.
	start := time.Now()
	ups, err := c.GetUpdates(ctx, time.Second)
	if err != nil || len(ups) != 0 {
		t.Errorf("idle GetUpdates = %v, %v; want none and no error", ups, err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("idle poll returned after %s, before its timeout", d)
	}
	if calls := zs.CallsOf("getUpdates"); calls[len(calls)-1].Code != 408 {
		t.Errorf("last poll answered %d, want 408", calls[len(calls)-1].Code)
	}
}
