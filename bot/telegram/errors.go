package telegram

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
)

// goneReasons are 400 descriptions that mean the chat will not take messages
// again; every 403 means the same.
var goneReasons = []string{
	"chat not found",
	"user is deactivated",
	"peer_id_invalid",
	"bot was kicked",
	"bot was blocked",
	"group chat was deleted",
}

// mapError turns a tgbotapi error into the bot package's typed errors, with
// the token removed from any text.
func (a *Adapter) mapError(method string, err error) error {
	var apiErr *tgbotapi.Error
	if !errors.As(err, &apiErr) {
		return a.redactError(method, err)
	}
	desc := a.redact(apiErr.Message)
	switch {
	case apiErr.RetryAfter > 0 || apiErr.Code == http.StatusTooManyRequests:
		return &bot.RetryAfterError{After: time.Duration(max(apiErr.RetryAfter, 1)) * time.Second}
	case apiErr.MigrateToChatID != 0:
		return &bot.MigratedError{NewID: strconv.FormatInt(apiErr.MigrateToChatID, 10)}
	case apiErr.Code == http.StatusForbidden || apiErr.Code == http.StatusBadRequest && chatGone(desc):
		return fmt.Errorf("telegram: %s: %w", desc, bot.ErrChatGone)
	case apiErr.Code == http.StatusBadRequest:
		return &bot.PermanentError{Err: fmt.Errorf("telegram: %s: %s", method, desc)}
	case apiErr.Code == http.StatusUnauthorized:
		return fmt.Errorf("telegram: %s: %s: check telegram.token or TELEGRAM_BOT_TOKEN: %w", method, desc, bot.ErrUnauthorized)
	}
	return fmt.Errorf("telegram: %s: %d %s", method, apiErr.Code, desc)
}

func chatGone(desc string) bool {
	desc = strings.ToLower(desc)
	for _, r := range goneReasons {
		if strings.Contains(desc, r) {
			return true
		}
	}
	return false
}

// notModified reports an edit that changed nothing, which is no failure.
func notModified(err error) bool {
	var apiErr *tgbotapi.Error
	return errors.As(err, &apiErr) && strings.Contains(apiErr.Message, "message is not modified")
}

// redact replaces the token, which net/http puts in every error about a
// request URL, with "<token>".
func (a *Adapter) redact(s string) string {
	if a.token == "" {
		return s
	}
	s = strings.ReplaceAll(s, a.token, "<token>")
	if esc := url.PathEscape(a.token); esc != a.token {
		s = strings.ReplaceAll(s, esc, "<token>")
	}
	return s
}

// redactedError carries a network or decoding error whose text no longer
// holds the token; it unwraps to the cause (context.Canceled, a timeout).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (a *Adapter) redactError(method string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		// A copy without the token, so that unwrapping cannot leak it.
		err = &url.Error{Op: ue.Op, URL: a.redact(ue.URL), Err: ue.Err}
	}
	return &redactedError{msg: "telegram: " + method + ": " + a.redact(err.Error()), err: err}
}
