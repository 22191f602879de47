package zalotest

import (
	"net/http"
	"time"
)

// Fault is a failure the fake answers instead of doing the call.
type Fault struct {
	// HTTPStatus is the response status; zero means ErrorCode (or 200 with
	// OKFalseWith200).
	HTTPStatus int
	// ErrorCode is the envelope's error_code; zero means HTTPStatus.
	ErrorCode int
	// Description defaults to a plausible text for the code.
	Description string
	// OKFalseWith200 answers {"ok":false,…} with HTTP 200, which Zalo does.
	OKFalseWith200 bool
	// RawBody replaces the JSON envelope, as a proxy's error page would.
	RawBody string
	// Delay holds the answer back this long; the client may give up first.
	// A fault with only a Delay then does the call as usual.
	Delay time.Duration
	// Drop closes the connection without answering: a network error.
	Drop bool
}

type queuedFault struct {
	method string
	chatID string
	fault  Fault
}

// FailNext makes the next call of method to chatID ("" for any chat, or a
// method without a chat) answer with f. Faults queue up and are used once
// each, in order.
func (s *Server) FailNext(method, chatID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, queuedFault{method: method, chatID: chatID, fault: f})
}

// faultFor takes the fault for this call, if any. The caller holds mu.
func (s *Server) faultFor(method, chatID string) *Fault {
	for i, q := range s.faults {
		if q.method == method && (q.chatID == "" || q.chatID == chatID) {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			f := q.fault
			return &f
		}
	}
	return nil
}

func (f *Fault) apiError() *apiError {
	code := f.ErrorCode
	if code == 0 {
		code = f.HTTPStatus
	}
	if code == 0 {
		if f.RawBody == "" {
			return nil
		}
		code = http.StatusBadGateway
	}
	status := f.HTTPStatus
	if status == 0 {
		status = code
	}
	if f.OKFalseWith200 {
		status = http.StatusOK
	}
	desc := f.Description
	if desc == "" {
		desc = defaultDescription(code)
	}
	return &apiError{code: code, status: status, desc: desc, raw: f.RawBody}
}

// defaultDescription is the fake's wording; Zalo's own is not documented.
func defaultDescription(code int) string {
	switch code {
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusForbidden:
		return "Forbidden: user has blocked the bot"
	case http.StatusNotFound:
		return "Not Found: user not found"
	case http.StatusRequestTimeout:
		return "Request timeout"
	case http.StatusTooManyRequests:
		return "Too Many Requests: quota exceeded"
	case http.StatusBadRequest:
		return "Bad Request"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}
