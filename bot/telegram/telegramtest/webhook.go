package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// SecretHeader is the header a webhook request carries the secret in.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Delivery is one webhook request the fake made.
type Delivery struct {
	UpdateID int
	Status   int   // the webhook's HTTP status, 0 on a network error
	Err      error // the network error, if any
}

// Webhook returns the url and secret_token last set, "" when none.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook, s.webhookSec
}

// Deliveries returns the webhook requests made so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Redeliver POSTs u to the webhook again, as Telegram does when an answer
// did not come; u keeps its update_id. It does nothing without a webhook.
func (s *Server) Redeliver(u tgbotapi.Update) {
	hook, secret := s.Webhook()
	if hook != "" {
		s.deliver(hook, secret, u)
	}
}

func (s *Server) deliver(hook, secret string, u tgbotapi.Update) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	d := Delivery{UpdateID: u.UpdateID}
	d.Status, d.Err = PostWebhook(ctx, nil, hook, secret, u)
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.notify()
	s.mu.Unlock()
}

// PostWebhook POSTs u as JSON to url as Telegram would, with secret in
// X-Telegram-Bot-Api-Secret-Token (no header when secret is ""), and returns
// the response status. A nil client means http.DefaultClient.
func PostWebhook(ctx context.Context, client *http.Client, url, secret string, u tgbotapi.Update) (int, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return 0, err
	}
	return PostWebhookBody(ctx, client, url, secret, body)
}

// PostWebhookBody is PostWebhook with a body of your own.
func PostWebhookBody(ctx context.Context, client *http.Client, url, secret string, body []byte) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(SecretHeader, secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// validSecret is Telegram's rule for secret_token: 1–256 of A-Z a-z 0-9 _ -.
func validSecret(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
