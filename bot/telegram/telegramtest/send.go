package telegramtest

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const (
	textLimit     = 4096
	captionLimit  = 1024
	callbackLimit = 200
)

// content is a text or caption checked the way Telegram checks it.
type content struct {
	html   string
	plain  string
	markup string
}

func (s *Server) content(p url.Values, field string, limit int) (content, *apiError) {
	c := content{html: p.Get(field), plain: p.Get(field), markup: p.Get("reply_markup")}
	if strings.EqualFold(p.Get("parse_mode"), "HTML") {
		plain, err := parseHTML(c.html)
		if err != nil {
			return c, badRequest("can't parse entities: " + err.Error())
		}
		c.plain = plain
	} else if pm := p.Get("parse_mode"); pm != "" {
		return c, badRequest("the fake only supports parse_mode HTML, got " + pm)
	}
	if field == "text" && strings.TrimSpace(c.plain) == "" {
		return c, badRequest("message text is empty")
	}
	if n := len(utf16.Encode([]rune(c.plain))); n > limit {
		if field == "caption" {
			return c, badRequest("message caption is too long")
		}
		return c, badRequest("message is too long")
	}
	if c.markup != "" {
		if err := checkMarkup(c.markup); err != nil {
			return c, err
		}
	}
	return c, nil
}

func checkMarkup(raw string) *apiError {
	var m tgbotapi.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return badRequest("can't parse reply keyboard markup JSON object")
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return badRequest("text buttons are unallowed in the inline keyboard")
			}
			if b.CallbackData != nil && (len(*b.CallbackData) < 1 || len(*b.CallbackData) > 64) {
				return badRequest("BUTTON_DATA_INVALID")
			}
		}
	}
	return nil
}

func chatParam(p url.Values) (int64, *apiError) {
	id, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil || id == 0 {
		if p.Get("chat_id") == "" {
			return 0, badRequest("chat_id is empty")
		}
		return 0, badRequest("chat not found")
	}
	return id, nil
}

// chat returns the chat as known from pushes, or one made up from its id.
// The caller holds mu.
func (s *Server) chat(id int64) *tgbotapi.Chat {
	if c, ok := s.chats[id]; ok {
		return &c
	}
	o := s.pushOptions(id, id, nil)
	return o.chat(id)
}

// store keeps a new or edited message and records it as sent. The caller
// holds mu.
func (s *Server) store(method string, chatID int64, id int, c content, photo string, p url.Values) *tgbotapi.Message {
	me := s.me()
	m := &tgbotapi.Message{MessageID: id, From: &me, Date: int(time.Now().Unix()), Chat: s.chat(chatID)}
	if photo != "" || method == "editMessageCaption" {
		m.Caption = c.plain
		m.Photo = []tgbotapi.PhotoSize{{FileID: "photo" + strconv.Itoa(id), FileUniqueID: "u" + strconv.Itoa(id), Width: 800, Height: 450}}
	} else {
		m.Text = c.plain
	}
	if c.markup != "" {
		var mk tgbotapi.InlineKeyboardMarkup
		if json.Unmarshal([]byte(c.markup), &mk) == nil {
			m.ReplyMarkup = &mk
		}
	}
	s.messages[msgKey{chatID, int64(id)}] = &stored{html: c.html, plain: c.plain, markup: c.markup, photo: m.Photo != nil}
	s.sent = append(s.sent, Sent{
		Method:      method,
		ChatID:      chatID,
		Text:        c.html,
		Plain:       c.plain,
		ParseMode:   p.Get("parse_mode"),
		Photo:       photo,
		ReplyMarkup: c.markup,
		MessageID:   id,
		Params:      p,
		At:          time.Now(),
	})
	s.notify()
	return m
}

func (s *Server) sendMessage(p url.Values) (any, *apiError) {
	chatID, aerr := chatParam(p)
	if aerr != nil {
		return nil, aerr
	}
	c, aerr := s.content(p, "text", textLimit)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMessage++
	return s.store("sendMessage", chatID, s.nextMessage, c, "", p), nil
}

func (s *Server) sendPhoto(p url.Values) (any, *apiError) {
	chatID, aerr := chatParam(p)
	if aerr != nil {
		return nil, aerr
	}
	photo := p.Get("photo")
	if photo == "" {
		return nil, badRequest("there is no photo in the request")
	}
	c, aerr := s.content(p, "caption", captionLimit)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMessage++
	return s.store("sendPhoto", chatID, s.nextMessage, c, photo, p), nil
}

// editMessage edits the text or the caption of a message. A message the fake
// has not seen is accepted as if it existed.
func (s *Server) editMessage(p url.Values, method, field string) (any, *apiError) {
	if p.Get("inline_message_id") != "" {
		return nil, badRequest("the fake does not support inline_message_id")
	}
	chatID, aerr := chatParam(p)
	if aerr != nil {
		return nil, aerr
	}
	id, err := strconv.Atoi(p.Get("message_id"))
	if err != nil || id <= 0 {
		return nil, badRequest("message identifier is not specified")
	}
	limit := textLimit
	if field == "caption" {
		limit = captionLimit
	}
	c, aerr := s.content(p, field, limit)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.messages[msgKey{chatID, int64(id)}]; ok {
		switch {
		case field == "text" && old.photo:
			return nil, badRequest("there is no text in the message to edit")
		case field == "caption" && !old.photo:
			return nil, badRequest("there is no caption in the message to edit")
		case old.html == c.html && old.markup == c.markup:
			return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
		}
	}
	return s.store(method, chatID, id, c, "", p), nil
}

func (s *Server) answerCallback(p url.Values) (any, *apiError) {
	id := p.Get("callback_query_id")
	if utf8.RuneCountInString(p.Get("text")) > callbackLimit {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chatID, ok := s.queries[id]
	if !ok {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	s.sent = append(s.sent, Sent{Method: "answerCallbackQuery", ChatID: chatID, Text: p.Get("text"), Plain: p.Get("text"), Params: p, At: time.Now()})
	s.notify()
	return true, nil
}
