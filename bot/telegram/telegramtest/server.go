// Package telegramtest is a fake Telegram Bot API on httptest for tests.
//
// It answers the methods the bot uses in the shapes the real API uses, so
// tgbotapi decodes them; it long-polls getUpdates, validates HTML the way
// Telegram's parse mode does, records every call and can inject faults.
//
//	tg := telegramtest.New(t)
//	a, _ := telegram.New(ctx, telegram.Options{Token: tg.Token, APIURL: tg.URL})
//	tg.PushMessage(42, 42, "/start")
//	tg.WaitSent(t, func(s []telegramtest.Sent) bool { return len(s) > 0 }, 5*time.Second)
package telegramtest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Server is a fake Bot API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to pass as the adapter's APIURL; methods are served
	// at URL + "/bot<token>/<method>" for any token.
	URL string
	// Token is a well-formed token to use; the fake accepts any.
	Token string
	// BotUsername and BotID describe the bot getMe returns.
	BotUsername string
	BotID       int64

	srv       *httptest.Server
	done      chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every change
	nextUpdate  int
	nextMessage int
	nextQuery   int
	updates     []tgbotapi.Update // pushed and not yet confirmed by an offset
	pollGen     int               // the newest getUpdates; older ones answer 409
	webhook     string
	webhookSec  string
	deliveries  []Delivery
	chats       map[int64]tgbotapi.Chat
	messages    map[msgKey]*stored
	queries     map[string]int64 // callback query id → chat id
	members     map[msgKey]member
	commands    map[string][]tgbotapi.BotCommand // by language_code, "" = default
	sent        []Sent
	calls       []Call
	faults      []queuedFault
	hook        func(method string, params url.Values) *Fault
	files       map[string][]byte // file_id → content, for getFile and downloads
	documents   []Document        // sendDocument uploads
}

type msgKey struct {
	chat int64
	id   int64
}

type stored struct {
	html   string // as sent, with markup, to tell "not modified"
	plain  string
	markup string
	photo  bool
}

type member struct {
	status  string
	canPost bool
}

// Sent is one successful call that a person would see: sendMessage,
// sendPhoto, editMessageText, editMessageCaption or answerCallbackQuery.
type Sent struct {
	Method      string
	ChatID      int64  // for answerCallbackQuery, the chat of the pressed button
	Text        string // text, caption or callback answer as sent (HTML kept)
	Plain       string // Text as Telegram shows it: markup removed, entities decoded
	ParseMode   string
	Photo       string // sendPhoto's photo parameter
	ReplyMarkup string // raw JSON, "" when none
	MessageID   int    // the new message's id, or the edited one's
	Params      url.Values
	At          time.Time
}

// Buttons decodes ReplyMarkup's inline keyboard; nil when there is none.
func (s Sent) Buttons() [][]tgbotapi.InlineKeyboardButton {
	if s.ReplyMarkup == "" {
		return nil
	}
	var m tgbotapi.InlineKeyboardMarkup
	if json.Unmarshal([]byte(s.ReplyMarkup), &m) != nil {
		return nil
	}
	return m.InlineKeyboard
}

// Call is one request of any method, failed or not, in arrival order.
type Call struct {
	Method string
	ChatID int64 // 0 when the method has no chat_id
	Params url.Values
	// Code is the error_code answered; 0 for success or while in flight.
	Code int
	At   time.Time
}

// New starts a fake server that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Token:       "1234567890:AAFakeTokenForTests_newsbot-0123456789",
		BotUsername: "newsbot_test_bot",
		BotID:       1234567890,
		done:        make(chan struct{}),
		changed:     make(chan struct{}),
		nextUpdate:  100000,
		chats:       make(map[int64]tgbotapi.Chat),
		messages:    make(map[msgKey]*stored),
		queries:     make(map[string]int64),
		members:     make(map[msgKey]member),
		commands:    make(map[string][]tgbotapi.BotCommand),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server; later requests fail with a network error. Waiting
// long polls end at once. Close is called at the end of the test anyway.
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

// apiError is a failed answer; errAbandoned means the client went away and
// nothing is written.
type apiError struct {
	code   int
	desc   string
	params *tgbotapi.ResponseParameters
}

var errAbandoned = &apiError{code: -1}

func badRequest(desc string) *apiError {
	return &apiError{code: http.StatusBadRequest, desc: "Bad Request: " + desc}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/file/bot") {
		s.serveFile(w, r)
		return
	}
	method, ok := route(r.URL.Path)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
		return
	}
	params, err := parseParams(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: " + err.Error()})
		return
	}
	chatID, _ := strconv.ParseInt(params.Get("chat_id"), 10, 64)

	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{Method: method, ChatID: chatID, Params: params, At: time.Now()})
	fault := s.faultFor(method, chatID, params)
	s.notify()
	s.mu.Unlock()

	result, aerr := s.answer(w, r, method, params, fault)
	if aerr == errAbandoned {
		return
	}
	code := 0
	if aerr != nil {
		code = aerr.code
	}
	s.mu.Lock()
	s.calls[idx].Code = code
	s.notify()
	s.mu.Unlock()

	if aerr != nil {
		body := map[string]any{"ok": false, "error_code": aerr.code, "description": aerr.desc}
		if aerr.params != nil {
			body["parameters"] = aerr.params
		}
		writeJSON(w, aerr.code, body)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// answer applies fault, then runs the method.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, method string, p url.Values, fault *Fault) (any, *apiError) {
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
		return s.me(), nil
	case "getUpdates":
		return s.getUpdates(r, p)
	case "sendMessage":
		return s.sendMessage(p)
	case "sendPhoto":
		return s.sendPhoto(p)
	case "editMessageText":
		return s.editMessage(p, method, "text")
	case "editMessageCaption":
		return s.editMessage(p, method, "caption")
	case "answerCallbackQuery":
		return s.answerCallback(p)
	case "setMyCommands":
		return s.setCommands(p)
	case "getMyCommands":
		s.mu.Lock()
		defer s.mu.Unlock()
		return append([]tgbotapi.BotCommand{}, s.commands[p.Get("language_code")]...), nil
	case "deleteMyCommands":
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.commands, p.Get("language_code"))
		return true, nil
	case "getChatMember":
		return s.chatMember(p)
	case "getChat":
		return s.getChat(p)
	case "getFile":
		return s.getFile(p)
	case "sendDocument":
		return s.sendDocument(r, p)
	case "setWebhook":
		s.mu.Lock()
		defer s.mu.Unlock()
		if p.Get("url") == "" {
			return nil, badRequest("bad webhook: HTTPS url must be provided for webhook")
		}
		if sec := p.Get("secret_token"); sec != "" && !validSecret(sec) {
			return nil, badRequest("bad webhook: secret token contains unallowed characters")
		}
		s.webhook, s.webhookSec = p.Get("url"), p.Get("secret_token")
		s.notify()
		return true, nil
	case "deleteWebhook":
		s.mu.Lock()
		defer s.mu.Unlock()
		s.webhook, s.webhookSec = "", ""
		if p.Get("drop_pending_updates") == "true" {
			s.updates = nil
		}
		s.notify()
		return true, nil
	case "getWebhookInfo":
		s.mu.Lock()
		defer s.mu.Unlock()
		return tgbotapi.WebhookInfo{URL: s.webhook, PendingUpdateCount: len(s.updates)}, nil
	}
	return nil, &apiError{code: http.StatusNotFound, desc: "Not Found"}
}

func (s *Server) me() tgbotapi.User {
	return tgbotapi.User{ID: s.BotID, IsBot: true, FirstName: "NewsBot Test", UserName: s.BotUsername, CanJoinGroups: true}
}

// route returns the method of a "/bot<token>/<method>" path.
func route(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		return "", false
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok || token == "" || method == "" || strings.Contains(method, "/") {
		return "", false
	}
	return method, true
}

// parseParams reads a form-encoded or multipart body and the query string.
func parseParams(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, err
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.Form, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = fmt.Appendf(nil, `{"ok":false,"error_code":500,"description":%q}`, err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// Sent returns the successful visible calls so far, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns the successful visible calls for one chat, oldest first.
func (s *Server) SentTo(chatID int64) []Sent {
	return filterChat(s.Sent(), chatID)
}

func filterChat(all []Sent, chatID int64) []Sent {
	var out []Sent
	for _, m := range all {
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

// Commands returns the commands last set for a language_code ("" for the
// default list), or nil.
func (s *Server) Commands(lang string) []tgbotapi.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tgbotapi.BotCommand(nil), s.commands[lang]...)
}

// Pending returns how many pushed updates no getUpdates offset has confirmed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// WaitSent waits until ok accepts the sent list and returns that list; it
// fails the test after timeout. Call it from the test's goroutine.
func (s *Server) WaitSent(t testing.TB, ok func([]Sent) bool, timeout time.Duration) []Sent {
	t.Helper()
	var last []Sent
	if s.wait(func() bool { last = s.Sent(); return ok(last) }, timeout) {
		return last
	}
	t.Fatalf("telegramtest: condition on sent messages not met within %s; sent:\n%s", timeout, describe(last))
	return nil
}

// WaitCalls is WaitSent for every request, getUpdates and failures included.
func (s *Server) WaitCalls(t testing.TB, ok func([]Call) bool, timeout time.Duration) []Call {
	t.Helper()
	var last []Call
	if s.wait(func() bool { last = s.Calls(); return ok(last) }, timeout) {
		return last
	}
	t.Fatalf("telegramtest: condition on calls not met within %s; %d calls", timeout, len(last))
	return nil
}

// wait evaluates cond on every change until it holds or timeout. cond runs
// without the lock held, so it may call the Server's methods.
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
		fmt.Fprintf(&b, "  %s chat=%d msg=%d %q\n", m.Method, m.ChatID, m.MessageID, m.Text)
	}
	return b.String()
}

// SetChatMember sets what getChatMember answers for userID in chatID.
// Without it the answer is status "member" and no posting right.
func (s *Server) SetChatMember(chatID, userID int64, status string, canPost bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[msgKey{chatID, userID}] = member{status: status, canPost: canPost}
}

func (s *Server) chatMember(p url.Values) (any, *apiError) {
	chatID, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil {
		return nil, badRequest("chat not found")
	}
	userID, err := strconv.ParseInt(p.Get("user_id"), 10, 64)
	if err != nil {
		return nil, badRequest("invalid user_id specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[msgKey{chatID, userID}]
	if !ok {
		m = member{status: "member"}
	}
	u := tgbotapi.User{ID: userID, FirstName: "User " + strconv.FormatInt(userID, 10)}
	if userID == s.BotID {
		u = s.me()
	}
	return tgbotapi.ChatMember{User: &u, Status: m.status, CanPostMessages: m.canPost}, nil
}

func (s *Server) setCommands(p url.Values) (any, *apiError) {
	var cmds []tgbotapi.BotCommand
	if err := json.Unmarshal([]byte(p.Get("commands")), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := len([]rune(c.Description)); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	if scope := p.Get("scope"); scope != "" {
		var sc tgbotapi.BotCommandScope
		if json.Unmarshal([]byte(scope), &sc) != nil || sc.Type != "default" {
			return nil, badRequest("the fake only supports the default scope")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[p.Get("language_code")] = cmds
	s.notify()
	return true, nil
}

func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
