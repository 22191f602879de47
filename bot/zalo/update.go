package zalo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event names Zalo sends; others exist (message.sticker.received, …).
const (
	EventText  = "message.text.received"
	EventImage = "message.image.received"
)

// Update is one event from Zalo, by getUpdates or a webhook.
type Update struct {
	EventName string // "message.text.received", …; may be empty
	Message   Message
}

// Message is a message a person sent to the bot.
type Message struct {
	ID      string // message_id, the only key to deduplicate on
	From    User
	Chat    Chat
	Text    string
	Caption string // of an image, when Zalo sends one
	Date    time.Time
}

// User is a message's sender.
type User struct {
	ID          string
	DisplayName string
	IsBot       bool
}

// Chat is where a message was sent.
type Chat struct {
	ID    string
	Type  string // "PRIVATE" or "GROUP"
	Title string // when Zalo names the chat; often empty
}

// wireUpdate is Update as sent, decoded tolerantly: ids may be numbers,
// names come under several keys depending on the source.
type wireUpdate struct {
	EventName string       `json:"event_name"`
	Message   *wireMessage `json:"message"`
}

type wireMessage struct {
	MessageID flexString `json:"message_id"`
	From      struct {
		ID          flexString `json:"id"`
		DisplayName string     `json:"display_name"`
		FirstName   string     `json:"first_name"`
		Name        string     `json:"name"`
		IsBot       bool       `json:"is_bot"`
	} `json:"from"`
	Chat struct {
		ID          flexString `json:"id"`
		ChatType    string     `json:"chat_type"`
		Title       string     `json:"title"`
		DisplayName string     `json:"display_name"`
	} `json:"chat"`
	Text    string    `json:"text"`
	Caption string    `json:"caption"`
	Date    flexInt64 `json:"date"`
}

func (w wireUpdate) update() Update {
	m := w.Message
	u := Update{EventName: w.EventName, Message: Message{
		ID:      string(m.MessageID),
		From:    User{ID: string(m.From.ID), DisplayName: firstNonEmpty(m.From.DisplayName, m.From.FirstName, m.From.Name), IsBot: m.From.IsBot},
		Chat:    Chat{ID: string(m.Chat.ID), Type: m.Chat.ChatType, Title: firstNonEmpty(m.Chat.Title, m.Chat.DisplayName)},
		Text:    m.Text,
		Caption: m.Caption,
	}}
	if m.Date > 0 {
		u.Message.Date = time.UnixMilli(int64(m.Date))
	}
	return u
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// decodeUpdates reads getUpdates' result: documented as one update, seen
// as an array too; null or {} is none.
func decodeUpdates(raw json.RawMessage) ([]Update, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var wires []wireUpdate
	switch raw[0] {
	case '[':
		if err := json.Unmarshal(raw, &wires); err != nil {
			return nil, fmt.Errorf("decode updates: %w", err)
		}
	case '{':
		var w wireUpdate
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("decode update: %w", err)
		}
		wires = []wireUpdate{w}
	default:
		return nil, fmt.Errorf("decode updates: want an object or an array, got %.20s", raw)
	}
	var out []Update
	for _, w := range wires {
		if w.Message != nil {
			out = append(out, w.update())
		}
	}
	return out, nil
}

// decodeWebhook reads a webhook body: {"ok":true,"result":{…}} or the bare
// {"event_name","message"}.
func decodeWebhook(body []byte) ([]Update, error) {
	var probe struct {
		Result  json.RawMessage `json:"result"`
		Message json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, fmt.Errorf("decode webhook body: %w", err)
	}
	switch {
	case len(probe.Result) > 0 && !bytes.Equal(probe.Result, []byte("null")):
		return decodeUpdates(probe.Result)
	case len(probe.Message) > 0:
		return decodeUpdates(body)
	}
	return nil, errors.New("decode webhook body: neither result nor message")
}
