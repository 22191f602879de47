package telegramtest

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Fault is a failure the fake answers instead of doing the call.
type Fault struct {
	// Code is the error_code and HTTP status. Zero means 429 when RetryAfter
	// is set, 400 when MigrateTo is set, and otherwise no error (a pure Delay).
	Code int
	// Description defaults to what Telegram says for the code; a plain 400
	// is just "Bad Request", so set "Bad Request: chat not found" and the
	// like yourself.
	Description string
	RetryAfter  int   // seconds, sent as parameters.retry_after
	MigrateTo   int64 // sent as parameters.migrate_to_chat_id
	// Delay holds the answer back this long; the client may give up first.
	Delay time.Duration
	// Drop closes the connection without answering: a network error.
	Drop bool
}

type queuedFault struct {
	method string
	chatID int64
	fault  Fault
}

// FailNext makes the next call of method to chatID (0: any chat, or a method
// without a chat) answer with f. Faults queue up and are used once each.
func (s *Server) FailNext(method string, chatID int64, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, queuedFault{method: method, chatID: chatID, fault: f})
}

// SetFault installs a hook asked on every call not already failed by
// FailNext; a non-nil Fault is answered. nil removes the hook. The hook runs
// with the server's lock held: it must not call the Server.
func (s *Server) SetFault(hook func(method string, params url.Values) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// faultFor takes the fault for this call, if any. The caller holds mu.
func (s *Server) faultFor(method string, chatID int64, params url.Values) *Fault {
	for i, q := range s.faults {
		if q.method == method && (q.chatID == 0 || q.chatID == chatID) {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			f := q.fault
			return &f
		}
	}
	if s.hook != nil {
		return s.hook(method, params)
	}
	return nil
}

func (f *Fault) apiError() *apiError {
	code := f.Code
	switch {
	case code != 0:
	case f.RetryAfter > 0:
		code = http.StatusTooManyRequests
	case f.MigrateTo != 0:
		code = http.StatusBadRequest
	default:
		return nil
	}
	desc := f.Description
	if desc == "" {
		desc = defaultDescription(code, f)
	}
	e := &apiError{code: code, desc: desc}
	if f.RetryAfter > 0 || f.MigrateTo != 0 {
		e.params = &tgbotapi.ResponseParameters{RetryAfter: f.RetryAfter, MigrateToChatID: f.MigrateTo}
	}
	return e
}

func defaultDescription(code int, f *Fault) string {
	switch {
	case code == http.StatusTooManyRequests:
		return "Too Many Requests: retry after " + strconv.Itoa(f.RetryAfter)
	case f.MigrateTo != 0:
		return "Bad Request: group chat was upgraded to a supergroup chat"
	case code == http.StatusForbidden:
		return "Forbidden: bot was blocked by the user"
	case code == http.StatusBadRequest:
		return "Bad Request"
	case code == http.StatusConflict:
		return "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	}
	return http.StatusText(code)
}
