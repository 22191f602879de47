// Package zalotest is a fake Zalo Bot API on httptest for tests.
//
// It is written from what is publicly known about the API (see issue 5):
// POST /bot<token>/<method> with a JSON body, an {ok, result, error_code,
// description} envelope, getUpdates long polling without an offset that
// answers 408 when idle, one update per answer (an array on request),
// sendMessage text of 1–2000 characters, and webhooks that carry the secret
// in X-Bot-Api-Secret-Token. Where the real API is unknown (the answer to
// getUpdates while a webhook is set, the descriptions of errors) the fake
// makes a plausible choice and says so.
//
//	zs := zalotest.New(t)
//	a, _ := zalo.New(ctx, zalo.Options{Token: zs.Token, APIURL: zs.URL})
//	id := zs.PushText("6ede9afa66b88fe6d6a9", "tin mới")
//	zs.WaitSent(t, func(s []zalotest.Sent) bool { return len(s) > 0 }, 5*time.Second)
package zalotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// SecretHeader is the header a webhook request carries the secret in.
const SecretHeader = "X-Bot-Api-Secret-Token"

// Limits the fake enforces, as documented.
const (
	TextLimit     = 2000 // characters of sendMessage's text
	CaptionLimit  = 2000 // characters of sendPhoto's caption
	minSecret     = 8
	maxSecret     = 256
	defaultPoll   = 30 * time.Second
	arrayMaxBatch = 100
)

// Server is a fake Zalo Bot API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base to pass as the adapter's APIURL; methods are served at
	// URL + "/bot" + Token + "/<method>".
	URL string
	// Token is the only token the fake accepts; any other answers 401.
	Token string
	// BotID and BotName describe the bot getMe returns.
	BotID   string
	BotName string

	srv       *httptest.Server
	hooks     *http.Client // delivers webhook requests
	done      chan struct{}
	closeOnce sync.Once

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every change
	nextID       int
	updates      []Update // waiting for getUpdates
	arrayResults bool
	wrapWebhook  bool
	webhookURL   string
	webhookSec   string
	sent         []Sent
	calls        []Call
	deliveries   []Delivery
	faults       []queuedFault
	polling      int // getUpdates in flight
}

// Update is one event as Zalo sends it, by getUpdates or to a webhook.
type Update struct {
	EventName string  `json:"event_name"`
	Message   Message `json:"message"`
}

// Message is a message a person sent to the bot. Ids are strings; Date is
// in milliseconds since the epoch.
type Message struct {
	MessageID string `json:"message_id"`
	From      User   `json:"from"`
	Chat      Chat   `json:"chat"`
	Text      string `json:"text,omitempty"`
	Caption   string `json:"caption,omitempty"`
	Photo     string `json:"photo_url,omitempty"`
	Sticker   string `json:"sticker,omitempty"`
	Date      int64  `json:"date"`
}

// User is the sender.
type User struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	IsBot       bool   `json:"is_bot"`
}

// Chat is where the message was sent: ChatType is "PRIVATE" or "GROUP".
type Chat struct {
	ID       string `json:"id"`
	ChatType string `json:"chat_type"`
}

// Event names.
const (
	EventText    = "message.text.received"
	EventImage   = "message.image.received"
	EventSticker = "message.sticker.received"
)

// Sent is one successful sendMessage or sendPhoto: what a person would see.
type Sent struct {
	Method    string // "sendMessage" or "sendPhoto"
	ChatID    string
	Text      string // sendMessage's text
	Photo     string // sendPhoto's photo URL
	Caption   string // sendPhoto's caption
	MessageID string
	At        time.Time
}

// Call is one request of any method, failed or not, in arrival order.
type Call struct {
	Method string
	ChatID string
	Params map[string]string // the JSON body, values as text
	// Code is the error_code answered: 0 for success or while in flight.
	Code int
	At   time.Time
}

// Delivery is one webhook request the fake made for a pushed update.
type Delivery struct {
	MessageID string
	Status    int   // the webhook's HTTP status, 0 on a network error
	Err       error // the network error, if any
}

// New starts a fake server that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Token:   "1234567890123456789:FakeZaloSecretForTestsNewsbot0123456789",
		BotID:   "1234567890123456789",
		BotName: "bot.NewsbotTest",
		hooks:   &http.Client{Timeout: 10 * time.Second},
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server; waiting long polls end at once. It is called at
// the end of the test anyway.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// notify wakes everything waiting for a change. The caller holds mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetArrayResults makes getUpdates answer every waiting update as an array
// instead of one update as an object (the documented shape).
func (s *Server) SetArrayResults(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrayResults = on
}

// SetWrappedWebhook makes webhook deliveries use {"ok":true,"result":{…}}
// instead of the bare {"event_name","message"} body.
func (s *Server) SetWrappedWebhook(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wrapWebhook = on
}

// Webhook returns the webhook url and secret last set, "" when none.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.webhookSec
}

// Polling returns how many getUpdates are in flight. A client that gave up
// on a long poll still counts until the fake notices, and an update pushed
// meanwhile may go to it and be lost, as it may with Zalo: wait for 0
// before pushing to a restarted adapter.
func (s *Server) Polling() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polling
}

// Pending returns how many updates wait for getUpdates.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// apiError is a failed answer; errAbandoned means nothing is written.
type apiError struct {
	code   int // error_code
	status int // HTTP status
	desc   string
	raw    string // a non-JSON body instead of the envelope
}

var errAbandoned = &apiError{code: -1}

func newError(code int, desc string) *apiError {
	return &apiError{code: code, status: code, desc: desc}
}

func badRequest(desc string) *apiError { return newError(http.StatusBadRequest, desc) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	token, method, ok := route(r.URL.Path)
	if !ok {
		writeEnvelope(w, newError(http.StatusNotFound, "Not Found"), nil)
		return
	}
	if token != s.Token {
		writeEnvelope(w, newError(http.StatusUnauthorized, "Unauthorized"), nil)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		writeEnvelope(w, newError(http.StatusMethodNotAllowed, "Method Not Allowed"), nil)
		return
	}
	params, err := parseParams(r)
	if err != nil {
		writeEnvelope(w, badRequest("Bad Request: "+err.Error()), nil)
		return
	}

	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{Method: method, ChatID: params["chat_id"], Params: params, At: time.Now()})
	fault := s.faultFor(method, params["chat_id"])
	s.notify()
	s.mu.Unlock()

	result, aerr := s.answer(w, r, method, params, fault)
	if aerr == errAbandoned {
		return
	}
	s.mu.Lock()
	if aerr != nil {
		s.calls[idx].Code = aerr.code
	}
	s.notify()
	s.mu.Unlock()
	writeEnvelope(w, aerr, result)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, method string, p map[string]string, fault *Fault) (any, *apiError) {
	if fault != nil {
		if fault.Delay > 0 {
			timer := time.NewTimer(fault.Delay)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-r.Context().Done():
				return nil, errAbandoned
			case <-s.done:
				return nil, errAbandoned
			}
		}
		if fault.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return nil, errAbandoned
		}
		if e := fault.apiError(); e != nil {
			return nil, e
		}
	}
	switch method {
	case "getMe":
		return map[string]any{"id": s.BotID, "account_name": s.BotName, "account_type": "BASIC", "can_join_groups": false}, nil
	case "getUpdates":
		return s.getUpdates(r, p)
	case "setWebhook":
		return s.setWebhook(p)
	case "deleteWebhook":
		s.mu.Lock()
		defer s.mu.Unlock()
		s.webhookURL, s.webhookSec = "", ""
		s.notify()
		return map[string]any{"url": "", "updated_at": time.Now().UnixMilli()}, nil
	case "getWebhookInfo":
		s.mu.Lock()
		defer s.mu.Unlock()
		return map[string]any{"url": s.webhookURL, "updated_at": time.Now().UnixMilli()}, nil
	case "sendMessage":
		return s.sendMessage(p)
	case "sendPhoto":
		return s.sendPhoto(p)
	case "sendChatAction":
		if p["chat_id"] == "" {
			return nil, badRequest("Bad Request: chat_id is required")
		}
		if a := p["action"]; a != "typing" && a != "upload_photo" {
			return nil, badRequest("Bad Request: action must be typing or upload_photo")
		}
		return true, nil
	}
	return nil, newError(http.StatusNotFound, "Not Found")
}

// route splits "/bot<token>/<method>".
func route(path string) (token, method string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		return "", "", false
	}
	token, method, ok = strings.Cut(rest, "/")
	if !ok || token == "" || method == "" || strings.Contains(method, "/") {
		return "", "", false
	}
	return token, method, true
}

// parseParams reads a JSON object body (empty is {}), keeping every value
// as text: "timeout" may come as "30" or 30.
func parseParams(r *http.Request) (map[string]string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %w", err)
	}
	for k, v := range raw {
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = str
			continue
		}
		out[k] = string(v)
	}
	return out, nil
}

func writeEnvelope(w http.ResponseWriter, aerr *apiError, result any) {
	w.Header().Set("Content-Type", "application/json")
	if aerr != nil && aerr.raw != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(aerr.status)
		io.WriteString(w, aerr.raw)
		return
	}
	status := http.StatusOK
	var body map[string]any
	if aerr != nil {
		status = aerr.status
		body = map[string]any{"ok": false, "error_code": aerr.code, "description": aerr.desc}
	} else {
		body = map[string]any{"ok": true, "result": result}
	}
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = fmt.Appendf(nil, `{"ok":false,"error_code":500,"description":%q}`, err.Error())
	}
	w.WriteHeader(status)
	w.Write(b)
}

// getUpdates answers the waiting updates at once, or waits up to the
// "timeout" seconds (30 by default; fractions allowed, to keep tests short)
// and then answers 408. Updates are consumed by the answer: there is no
// offset to confirm them.
func (s *Server) getUpdates(r *http.Request, p map[string]string) (any, *apiError) {
	timeout := defaultPoll
	if v, ok := p["timeout"]; ok {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs < 0 {
			return nil, badRequest("Bad Request: timeout must be a number of seconds")
		}
		timeout = time.Duration(secs * float64(time.Second))
	}
	s.mu.Lock()
	s.polling++
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling--
		s.notify()
		s.mu.Unlock()
	}()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhookURL != "" {
			s.mu.Unlock()
			// Not verified against Zalo: only that getUpdates does not work
			// while a webhook is set.
			return nil, newError(http.StatusConflict, "Conflict: webhook is active; use deleteWebhook before getUpdates")
		}
		if len(s.updates) > 0 {
			var out any
			if s.arrayResults {
				n := min(len(s.updates), arrayMaxBatch)
				out = append([]Update(nil), s.updates[:n]...)
				s.updates = s.updates[n:]
			} else {
				out = s.updates[0]
				s.updates = s.updates[1:]
			}
			s.notify()
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return nil, newError(http.StatusRequestTimeout, "Request timeout")
		case <-r.Context().Done():
			return nil, errAbandoned
		case <-s.done:
			return nil, errAbandoned
		}
	}
}

func (s *Server) setWebhook(p map[string]string) (any, *apiError) {
	u, err := url.Parse(p["url"])
	if p["url"] == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("Bad Request: url must be an HTTPS URL")
	}
	if n := len(p["secret_token"]); n < minSecret || n > maxSecret {
		return nil, badRequest("Bad Request: secret_token must be 8-256 characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL, s.webhookSec = p["url"], p["secret_token"]
	s.notify()
	return map[string]any{"url": s.webhookURL, "updated_at": time.Now().UnixMilli()}, nil
}

func (s *Server) sendMessage(p map[string]string) (any, *apiError) {
	if p["chat_id"] == "" {
		return nil, badRequest("Bad Request: chat_id is required")
	}
	if n := utf8.RuneCountInString(p["text"]); n < 1 || n > TextLimit {
		return nil, badRequest(fmt.Sprintf("Bad Request: text must be 1-%d characters, got %d", TextLimit, n))
	}
	return s.record(Sent{Method: "sendMessage", ChatID: p["chat_id"], Text: p["text"]}), nil
}

func (s *Server) sendPhoto(p map[string]string) (any, *apiError) {
	if p["chat_id"] == "" {
		return nil, badRequest("Bad Request: chat_id is required")
	}
	if u, err := url.Parse(p["photo"]); p["photo"] == "" || err != nil || u.Host == "" {
		return nil, badRequest("Bad Request: photo must be a URL")
	}
	if n := utf8.RuneCountInString(p["caption"]); n > CaptionLimit {
		return nil, badRequest(fmt.Sprintf("Bad Request: caption must be at most %d characters, got %d", CaptionLimit, n))
	}
	return s.record(Sent{Method: "sendPhoto", ChatID: p["chat_id"], Photo: p["photo"], Caption: p["caption"]}), nil
}

// record keeps a sent message and returns sendMessage's result.
func (s *Server) record(m Sent) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.MessageID = s.newID()
	m.At = time.Now()
	s.sent = append(s.sent, m)
	s.notify()
	return map[string]any{"message_id": m.MessageID, "date": m.At.UnixMilli()}
}

// newID returns a fresh 20-hex-digit id, the shape Zalo's ids have. The
// caller holds mu.
func (s *Server) newID() string {
	s.nextID++
	return fmt.Sprintf("2d758cb5%012x", s.nextID)
}

// Sent returns the successful sendMessage and sendPhoto calls, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns what was sent to one chat, oldest first.
func (s *Server) SentTo(chatID string) []Sent {
	var out []Sent
	for _, m := range s.Sent() {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// Calls returns every request so far, failed ones and getUpdates included.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsOf returns the requests of one method.
func (s *Server) CallsOf(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Deliveries returns the webhook requests made for pushed updates.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitSent waits until ok accepts the sent list and returns that list; it
// fails the test after timeout. ok runs without the server's lock held, so
// it may call the Server.
func (s *Server) WaitSent(t testing.TB, ok func([]Sent) bool, timeout time.Duration) []Sent {
	t.Helper()
	var last []Sent
	if s.wait(func() bool { last = s.Sent(); return ok(last) }, timeout) {
		return last
	}
	t.Fatalf("zalotest: condition on sent messages not met within %s; sent:\n%s", timeout, describe(last))
	return nil
}

// WaitCalls is WaitSent for every request, getUpdates and failures included.
func (s *Server) WaitCalls(t testing.TB, ok func([]Call) bool, timeout time.Duration) []Call {
	t.Helper()
	var last []Call
	if s.wait(func() bool { last = s.Calls(); return ok(last) }, timeout) {
		return last
	}
	t.Fatalf("zalotest: condition on calls not met within %s; %d calls", timeout, len(last))
	return nil
}

// wait evaluates cond on every change until it holds or timeout.
func (s *Server) wait(cond func() bool, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ch := s.changed // taken before cond, so no change is missed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return cond()
		}
	}
}

func describe(sent []Sent) string {
	if len(sent) == 0 {
		return "  (nothing)"
	}
	var b strings.Builder
	for _, m := range sent {
		fmt.Fprintf(&b, "  %s chat=%s text=%q photo=%q caption=%q\n", m.Method, m.ChatID, m.Text, m.Photo, m.Caption)
	}
	return b.String()
}
