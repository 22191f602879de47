package telegramtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestWebhookDelivery(t *testing.T) {
	s := New(t)
	api := client(t, s)
	var gotSecret, gotBody string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotSecret = r.Header.Get(SecretHeader)
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
	}))
	defer hook.Close()

	bad := tgbotapi.Params{"url": hook.URL, "secret_token": "not allowed!"}
	if _, err := api.MakeRequest("setWebhook", bad); err == nil {
		t.Error("setWebhook accepted a secret with unallowed characters")
	}
	if _, err := api.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL, "secret_token": "s3cret_-X"}); err != nil {
		t.Fatalf("setWebhook: %v", err)
	}
	if u, sec := s.Webhook(); u != hook.URL || sec != "s3cret_-X" {
		t.Errorf("Webhook = %q, %q", u, sec)
	}
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err == nil {
		t.Error("getUpdates worked while a webhook is set")
	}

	u := s.PushMessage(5, 5, "/start")
	if gotSecret != "s3cret_-X" || !strings.Contains(gotBody, `"text":"/start"`) {
		t.Errorf("delivery: secret %q body %s", gotSecret, gotBody)
	}
	s.Redeliver(u)
	d := s.Deliveries()
	if len(d) != 2 || d[0].UpdateID != u.UpdateID || d[1].UpdateID != u.UpdateID || d[0].Status != 200 {
		t.Errorf("deliveries = %+v", d)
	}
	if s.Pending() != 0 {
		t.Error("a webhook delivery was also queued for getUpdates")
	}
}
