package telegramtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Option adjusts a pushed message or callback.
type Option func(*pushOptions)

type pushOptions struct {
	lang      string
	chatType  string
	title     string
	firstName string
	username  string
}

// WithLang sets the sender's language_code (default "vi"; "" for none).
func WithLang(code string) Option { return func(o *pushOptions) { o.lang = code } }

// WithChatType sets the chat type: "private", "group", "supergroup" or
// "channel". The default follows the id: positive is private, -100… is a
// supergroup, other negatives are groups.
func WithChatType(t string) Option { return func(o *pushOptions) { o.chatType = t } }

// WithTitle sets a group's title (default "Test group <id>").
func WithTitle(title string) Option { return func(o *pushOptions) { o.title = title } }

// WithUser sets the sender's first name and username.
func WithUser(firstName, username string) Option {
	return func(o *pushOptions) { o.firstName, o.username = firstName, username }
}

func (s *Server) pushOptions(chatID, userID int64, opts []Option) pushOptions {
	o := pushOptions{lang: "vi", firstName: "User " + strconv.FormatInt(userID, 10)}
	switch {
	case chatID > 0:
		o.chatType = "private"
	case chatID <= -1000000000000:
		o.chatType = "supergroup"
	default:
		o.chatType = "group"
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.chatType != "private" && o.title == "" {
		o.title = "Test group " + strconv.FormatInt(chatID, 10)
	}
	return o
}

func (o pushOptions) user(id int64) *tgbotapi.User {
	return &tgbotapi.User{ID: id, FirstName: o.firstName, UserName: o.username, LanguageCode: o.lang}
}

func (o pushOptions) chat(id int64) *tgbotapi.Chat {
	c := &tgbotapi.Chat{ID: id, Type: o.chatType, Title: o.title}
	if o.chatType == "private" {
		c.Title = ""
		c.FirstName, c.UserName = o.firstName, o.username
	}
	return c
}

// PushMessage queues a text message from userID in chatID and returns the
// update with its update_id and message_id filled in. A text starting with
// "/" carries a bot_command entity, as Telegram sends it.
func (s *Server) PushMessage(chatID, userID int64, text string, opts ...Option) tgbotapi.Update {
	o := s.pushOptions(chatID, userID, opts)
	m := &tgbotapi.Message{
		From: o.user(userID),
		Date: int(time.Now().Unix()),
		Chat: o.chat(chatID),
		Text: text,
	}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m.Entities = []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: len(utf16.Encode([]rune(cmd)))}}
	}
	return s.PushUpdate(tgbotapi.Update{Message: m})
}

// PushMessageLang is PushMessage with the sender's language_code.
func (s *Server) PushMessageLang(chatID, userID int64, lang, text string) tgbotapi.Update {
	return s.PushMessage(chatID, userID, text, WithLang(lang))
}

// PushCallback queues a press on a button with data under messageID in
// chatID and returns the update; its CallbackQuery.ID is what
// answerCallbackQuery accepts.
func (s *Server) PushCallback(chatID, userID int64, messageID int, data string, opts ...Option) tgbotapi.Update {
	o := s.pushOptions(chatID, userID, opts)
	me := s.me()
	s.mu.Lock()
	text := ""
	if m, ok := s.messages[msgKey{chatID, int64(messageID)}]; ok {
		text = m.plain
	}
	s.mu.Unlock()
	cq := &tgbotapi.CallbackQuery{
		From:         o.user(userID),
		Message:      &tgbotapi.Message{MessageID: messageID, From: &me, Date: int(time.Now().Unix()), Chat: o.chat(chatID), Text: text},
		ChatInstance: "ci" + strconv.FormatInt(chatID, 10),
		Data:         data,
	}
	return s.PushUpdate(tgbotapi.Update{CallbackQuery: cq})
}

// PushUpdate queues u as it is, except that the fake assigns the update_id,
// a message_id when the message has none, and a callback query id when the
// query has none. While a webhook is set, u is POSTed to it instead, before
// PushUpdate returns (see Deliveries).
func (s *Server) PushUpdate(u tgbotapi.Update) tgbotapi.Update {
	s.mu.Lock()
	s.nextUpdate++
	u.UpdateID = s.nextUpdate
	if m := u.Message; m != nil {
		if m.MessageID == 0 {
			s.nextMessage++
			m.MessageID = s.nextMessage
		}
		if m.Chat != nil {
			s.chats[m.Chat.ID] = *m.Chat
		}
	}
	if cq := u.CallbackQuery; cq != nil {
		if cq.ID == "" {
			s.nextQuery++
			cq.ID = strconv.Itoa(4000000000000000000 + s.nextQuery)
		}
		if cq.Message != nil && cq.Message.Chat != nil {
			s.queries[cq.ID] = cq.Message.Chat.ID
			s.chats[cq.Message.Chat.ID] = *cq.Message.Chat
		} else {
			s.queries[cq.ID] = 0
		}
	}
	hook, secret := s.webhook, s.webhookSec
	if hook == "" {
		s.updates = append(s.updates, u)
	}
	s.notify()
	s.mu.Unlock()
	if hook != "" {
		s.deliver(hook, secret, u)
	}
	return u
}

// getUpdates confirms updates below offset, then answers the pending ones at
// once or waits up to timeout seconds for one. A newer getUpdates ends a
// waiting one with 409, as Telegram does.
func (s *Server) getUpdates(r *http.Request, p url.Values) (any, *apiError) {
	offset, _ := strconv.Atoi(p.Get("offset"))
	timeout, _ := strconv.Atoi(p.Get("timeout"))
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}

	s.mu.Lock()
	if s.webhook != "" {
		s.mu.Unlock()
		return nil, &apiError{code: http.StatusConflict, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	if offset > 0 {
		kept := s.updates[:0:0]
		for _, u := range s.updates {
			if u.UpdateID >= offset {
				kept = append(kept, u)
			}
		}
		s.updates = kept
	}
	s.pollGen++
	gen := s.pollGen
	s.notify()
	s.mu.Unlock()

	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if gen != s.pollGen {
			s.mu.Unlock()
			return nil, &apiError{code: http.StatusConflict, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		}
		out := make([]tgbotapi.Update, 0, limit)
		for _, u := range s.updates {
			if len(out) == limit {
				break
			}
			if u.UpdateID >= offset {
				out = append(out, u)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			return out, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return []tgbotapi.Update{}, nil
		case <-r.Context().Done():
			return nil, errAbandoned
		case <-s.done:
			return nil, errAbandoned
		}
	}
}
