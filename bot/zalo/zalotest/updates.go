package zalotest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Option adjusts a pushed message.
type Option func(*Message)

// InGroup makes the message come from a group chat with groupID.
func InGroup(groupID string) Option {
	return func(m *Message) { m.Chat = Chat{ID: groupID, ChatType: "GROUP"} }
}

// WithName sets the sender's display name (default "User <id>").
func WithName(name string) Option { return func(m *Message) { m.From.DisplayName = name } }

// PushText delivers a text message from userID in their private chat with
// the bot and returns its message_id. Without a webhook it waits for
// getUpdates; with one it is POSTed to the webhook before PushText returns.
func (s *Server) PushText(userID, text string, opts ...Option) string {
	m := Message{
		From: User{ID: userID, DisplayName: "User " + userID},
		Chat: Chat{ID: userID, ChatType: "PRIVATE"},
		Text: text,
	}
	for _, o := range opts {
		o(&m)
	}
	return s.PushUpdate(Update{EventName: EventText, Message: m}).Message.MessageID
}

// PushUpdate delivers u as it is, except that the fake fills in an empty
// message_id and a zero date. Pushing an update again with the same
// message_id is a replay. It returns the update as delivered.
func (s *Server) PushUpdate(u Update) Update {
	s.mu.Lock()
	if u.Message.MessageID == "" {
		u.Message.MessageID = s.newID()
	}
	if u.Message.Date == 0 {
		u.Message.Date = time.Now().UnixMilli()
	}
	hook, secret, wrapped := s.webhookURL, s.webhookSec, s.wrapWebhook
	if hook == "" {
		s.updates = append(s.updates, u)
		s.notify()
	}
	s.mu.Unlock()
	if hook == "" {
		return u
	}

	d := Delivery{MessageID: u.Message.MessageID}
	d.Status, d.Err = s.post(hook, secret, WebhookBody(u, wrapped))
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.notify()
	s.mu.Unlock()
	return u
}

func (s *Server) post(hook, secret string, body []byte) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return PostWebhook(ctx, s.hooks, hook, secret, body)
}

// WebhookBody is the JSON Zalo POSTs to a webhook for u: the bare
// {"event_name","message"} or, wrapped, {"ok":true,"result":{…}}.
func WebhookBody(u Update, wrapped bool) []byte {
	var v any = u
	if wrapped {
		v = map[string]any{"ok": true, "result": u}
	}
	b, _ := json.Marshal(v) // plain structs of strings always marshal
	return b
}

// PostWebhook POSTs body to url as Zalo would, with secret in
// X-Bot-Api-Secret-Token (no header when secret is ""), and returns the
// response status. A nil client means http.DefaultClient.
func PostWebhook(ctx context.Context, client *http.Client, url, secret string, body []byte) (int, error) {
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
