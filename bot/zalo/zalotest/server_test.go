package zalotest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const wait = 5 * time.Second

type answer struct {
	status int
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Code   int             `json:"error_code"`
	Desc   string          `json:"description"`
}

func call(t *testing.T, s *Server, token, method, body string) answer {
	t.Helper()
	resp, err := http.Post(s.URL+"/bot"+token+"/"+method, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s: decode: %v", method, err)
	}
	a.status = resp.StatusCode
	return a
}

func TestTokenChecked(t *testing.T) {
	s := New(t)
	if a := call(t, s, "1:wrong", "getMe", "{}"); a.OK || a.Code != 401 || a.status != 401 {
		t.Errorf("wrong token: %+v", a)
	}
	if a := call(t, s, s.Token, "getMe", "{}"); !a.OK || !strings.Contains(string(a.Result), s.BotID) {
		t.Errorf("getMe: %+v", a)
	}
	if a := call(t, s, s.Token, "editMessageText", "{}"); a.OK || a.Code != 404 {
		t.Errorf("unknown method: %+v", a)
	}
}

func TestGetUpdatesObjectArrayAndIdle(t *testing.T) {
	s := New(t)
	id1 := s.PushText("u1", "một")
	id2 := s.PushText("u2", "hai", InGroup("g1"), WithName("Hai"))

	a := call(t, s, s.Token, "getUpdates", `{"timeout":"30"}`)
	var one Update
	if err := json.Unmarshal(a.Result, &one); err != nil || one.Message.MessageID != id1 || one.EventName != EventText || one.Message.Chat.ChatType != "PRIVATE" {
		t.Fatalf("first poll = %s (%v)", a.Result, err)
	}
	s.SetArrayResults(true)
	a = call(t, s, s.Token, "getUpdates", `{"timeout":30}`)
	var many []Update
	if err := json.Unmarshal(a.Result, &many); err != nil || len(many) != 1 || many[0].Message.MessageID != id2 || many[0].Message.Chat.ID != "g1" || many[0].Message.From.DisplayName != "Hai" {
		t.Fatalf("second poll = %s (%v)", a.Result, err)
	}

	start := time.Now()
	a = call(t, s, s.Token, "getUpdates", `{"timeout":"0.2"}`)
	if a.OK || a.Code != 408 || a.status != 408 || time.Since(start) < 150*time.Millisecond {
		t.Errorf("idle poll = %+v after %s", a, time.Since(start))
	}
}

func TestGetUpdatesWakesOnPush(t *testing.T) {
	s := New(t)
	got := make(chan answer, 1)
	go func() { got <- call(t, s, s.Token, "getUpdates", `{"timeout":"30"}`) }()
	s.WaitCalls(t, func([]Call) bool { return s.Polling() == 1 }, wait)
	id := s.PushText("u1", "xin chào")
	select {
	case a := <-got:
		if !a.OK || !strings.Contains(string(a.Result), id) {
			t.Errorf("poll = %+v", a)
		}
	case <-time.After(wait):
		t.Fatal("long poll did not wake")
	}
}

func TestWebhookMode(t *testing.T) {
	s := New(t)
	if a := call(t, s, s.Token, "setWebhook", `{"url":"https://x.vn/h","secret_token":"short"}`); a.OK || a.Code != 400 {
		t.Errorf("short secret: %+v", a)
	}
	var gotSecret, gotBody string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotSecret = r.Header.Get(SecretHeader)
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
	}))
	defer hook.Close()
	if a := call(t, s, s.Token, "setWebhook", `{"url":"`+hook.URL+`","secret_token":"secret-123"}`); !a.OK {
		t.Fatalf("setWebhook: %+v", a)
	}
	if a := call(t, s, s.Token, "getUpdates", `{}`); a.OK {
		t.Errorf("getUpdates with a webhook set: %+v", a)
	}
	s.SetWrappedWebhook(true)
	id := s.PushText("u1", "hi")
	if gotSecret != "secret-123" || !strings.Contains(gotBody, `"ok":true`) || !strings.Contains(gotBody, id) {
		t.Errorf("delivery: secret %q body %s", gotSecret, gotBody)
	}
	if d := s.Deliveries(); len(d) != 1 || d[0].Status != 200 || d[0].MessageID != id {
		t.Errorf("deliveries = %+v", d)
	}
	if s.Pending() != 0 {
		t.Error("a webhook delivery was also queued for getUpdates")
	}
}

func TestSendValidatesAndRecords(t *testing.T) {
	s := New(t)
	for _, tc := range []struct {
		method, body string
		ok           bool
	}{
		{"sendMessage", `{"chat_id":"u1","text":"Xin chào"}`, true},
		{"sendMessage", `{"chat_id":"u1","text":""}`, false},
		{"sendMessage", `{"chat_id":"u1","text":"` + strings.Repeat("ữ", 2001) + `"}`, false},
		{"sendMessage", `{"chat_id":"u1","text":"` + strings.Repeat("ữ", 2000) + `"}`, true},
		{"sendMessage", `{"text":"no chat"}`, false},
		{"sendPhoto", `{"chat_id":"u1","photo":"https://x.vn/a.jpg","caption":"ảnh"}`, true},
		{"sendPhoto", `{"chat_id":"u1","photo":"not a url"}`, false},
		{"sendChatAction", `{"chat_id":"u1","action":"typing"}`, true},
	} {
		if a := call(t, s, s.Token, tc.method, tc.body); a.OK != tc.ok {
			t.Errorf("%s %.60s: ok=%v (%s), want %v", tc.method, tc.body, a.OK, a.Desc, tc.ok)
		}
	}
	sent := s.SentTo("u1")
	if len(sent) != 3 || sent[0].Text != "Xin chào" || sent[2].Caption != "ảnh" || sent[2].Photo != "https://x.vn/a.jpg" {
		t.Errorf("sent = %+v", sent)
	}
}

func TestFailNext(t *testing.T) {
	s := New(t)
	s.FailNext("sendMessage", "u2", Fault{HTTPStatus: 403})
	s.FailNext("sendMessage", "", Fault{ErrorCode: 429, OKFalseWith200: true})
	if a := call(t, s, s.Token, "sendMessage", `{"chat_id":"u1","text":"a"}`); a.OK || a.Code != 429 || a.status != 200 {
		t.Errorf("any-chat fault: %+v", a)
	}
	if a := call(t, s, s.Token, "sendMessage", `{"chat_id":"u2","text":"a"}`); a.OK || a.Code != 403 || a.status != 403 {
		t.Errorf("chat fault: %+v", a)
	}
	if a := call(t, s, s.Token, "sendMessage", `{"chat_id":"u2","text":"a"}`); !a.OK {
		t.Errorf("faults are used once: %+v", a)
	}
}

// WaitSent's condition may call the server: it runs without the lock.
func TestWaitSentConditionMayCallServer(t *testing.T) {
	s := New(t)
	go func() {
		PostWebhook(context.Background(), nil, s.URL+"/bot"+s.Token+"/sendMessage", "", []byte(`{"chat_id":"u1","text":"x"}`))
	}()
	s.WaitSent(t, func([]Sent) bool { return len(s.SentTo("u1")) == 1 && len(s.Calls()) == 1 }, wait)
}
