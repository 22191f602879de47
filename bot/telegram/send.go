package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
)

const (
	textLimit         = 4096 // characters of a message once parsed
	captionLimit      = 1024 // characters of a photo caption once parsed
	callbackDataLimit = 64   // bytes of a button's callback data
	callbackTextLimit = 200  // characters of a callback answer
)

// Send delivers msg in HTML parse mode and returns the sent message's id.
//
// With EditID it edits that message's text (or caption) and buttons; an edit
// that changes nothing succeeds. With PhotoURL and a caption that fits, it
// sends a photo, and falls back to a text message when Telegram refuses the
// photo (it could not fetch it, or the group forbids photos). Text longer
// than a message is split at line breaks into several messages; the buttons
// go with the last, whose id is returned.
func (a *Adapter) Send(ctx context.Context, msg bot.Message) (string, error) {
	chatID, err := strconv.ParseInt(msg.Chat.ID, 10, 64)
	if err != nil || (msg.Chat.Platform != "" && msg.Chat.Platform != a.Name()) {
		return "", &bot.PermanentError{Err: fmt.Errorf("telegram: not a telegram chat: %s", msg.Chat)}
	}
	markup, err := keyboard(msg)
	if err != nil {
		return "", err
	}
	api := a.call(ctx)
	switch {
	case msg.EditID != "":
		return a.edit(api, chatID, msg, markup)
	case msg.PhotoURL != "" && textLen(msg.HTML) <= captionLimit:
		p := sendParams(chatID, markup, msg.PaidBroadcast)
		p["photo"] = msg.PhotoURL
		p["caption"] = msg.HTML
		m, err := post(api, "sendPhoto", p)
		if err == nil {
			return strconv.Itoa(m.MessageID), nil
		}
		err = a.mapError("sendPhoto", err)
		var perm *bot.PermanentError
		if !errors.As(err, &perm) {
			return "", err
		}
		a.log.Info("telegram: photo refused, sending text instead", slog.Int64("chat", chatID), slog.String("photo", msg.PhotoURL), slog.Any("err", err))
	}
	return a.sendText(api, chatID, msg.HTML, markup, msg.PaidBroadcast)
}

func (a *Adapter) sendText(api *tgbotapi.BotAPI, chatID int64, html string, markup *tgbotapi.InlineKeyboardMarkup, paid bool) (string, error) {
	if strings.TrimSpace(html) == "" {
		return "", &bot.PermanentError{Err: errors.New("telegram: empty message")}
	}
	chunks := splitHTML(html, textLimit)
	var id string
	for i, chunk := range chunks {
		var mk *tgbotapi.InlineKeyboardMarkup
		if i == len(chunks)-1 {
			mk = markup
		}
		p := sendParams(chatID, mk, paid)
		p["text"] = chunk
		m, err := post(api, "sendMessage", p)
		if err != nil {
			return "", a.mapError("sendMessage", err)
		}
		id = strconv.Itoa(m.MessageID)
	}
	return id, nil
}

// sendParams are the parameters sendMessage and sendPhoto share: the chat,
// HTML parse mode, the keyboard (nil: none) and, for a paid broadcast,
// allow_paid_broadcast. tgbotapi v5.5.1 (2021) predates that parameter
// (Bot API 7.11, 2024) and its configs build their parameters in unexported
// methods, so sends are made from parameters of our own (post).
func sendParams(chatID int64, markup *tgbotapi.InlineKeyboardMarkup, paid bool) tgbotapi.Params {
	p := tgbotapi.Params{"chat_id": strconv.FormatInt(chatID, 10), "parse_mode": tgbotapi.ModeHTML}
	if markup != nil {
		// A keyboard of strings always marshals.
		p.AddInterface("reply_markup", markup)
	}
	p.AddBool("allow_paid_broadcast", paid)
	return p
}

// post calls a sending method with params through the client's own request
// path (form-encoded, errors as *tgbotapi.Error) and decodes the message.
func post(api *tgbotapi.BotAPI, method string, params tgbotapi.Params) (tgbotapi.Message, error) {
	resp, err := api.MakeRequest(method, params)
	if err != nil {
		return tgbotapi.Message{}, err
	}
	var m tgbotapi.Message
	if err := json.Unmarshal(resp.Result, &m); err != nil {
		return tgbotapi.Message{}, fmt.Errorf("telegram: decode %s result: %w", method, err)
	}
	return m, nil
}

// edit replaces the text and buttons of a message; a photo message gets its
// caption replaced instead.
func (a *Adapter) edit(api *tgbotapi.BotAPI, chatID int64, msg bot.Message, markup *tgbotapi.InlineKeyboardMarkup) (string, error) {
	id, err := strconv.Atoi(msg.EditID)
	if err != nil {
		return "", &bot.PermanentError{Err: fmt.Errorf("telegram: bad message id %q", msg.EditID)}
	}
	cfg := tgbotapi.NewEditMessageText(chatID, id, msg.HTML)
	cfg.ParseMode = tgbotapi.ModeHTML
	cfg.ReplyMarkup = markup
	_, err = api.Send(cfg)
	method := "editMessageText"
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) && strings.Contains(apiErr.Message, "no text in the message to edit") {
		capCfg := tgbotapi.NewEditMessageCaption(chatID, id, msg.HTML)
		capCfg.ParseMode = tgbotapi.ModeHTML
		capCfg.ReplyMarkup = markup
		_, err = api.Send(capCfg)
		method = "editMessageCaption"
	}
	if err != nil && !notModified(err) {
		return "", a.mapError(method, err)
	}
	return msg.EditID, nil
}

// keyboard builds msg's inline keyboard, nil when it has none or must not.
func keyboard(msg bot.Message) (*tgbotapi.InlineKeyboardMarkup, error) {
	if msg.NoButtons {
		return nil, nil
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, row := range msg.Buttons {
		var r []tgbotapi.InlineKeyboardButton
		for _, b := range row {
			if len(b.Data) == 0 || len(b.Data) > callbackDataLimit {
				return nil, &bot.PermanentError{Err: fmt.Errorf("telegram: button %q: callback data must be 1-%d bytes, got %d", b.Text, callbackDataLimit, len(b.Data))}
			}
			r = append(r, tgbotapi.NewInlineKeyboardButtonData(b.Text, b.Data))
		}
		if len(r) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows}, nil
}

// AnswerCallback acknowledges a button press; text, if any, shows as a toast
// and is cut to Telegram's 200 characters.
func (a *Adapter) AnswerCallback(ctx context.Context, id, text string) error {
	if r := []rune(text); len(r) > callbackTextLimit {
		text = string(r[:callbackTextLimit-1]) + "…"
	}
	if _, err := a.call(ctx).Request(tgbotapi.NewCallback(id, text)); err != nil {
		return a.mapError("answerCallbackQuery", err)
	}
	return nil
}
