package telegramtest

import (
	"errors"
	"net/url"
	"runtime"
	"strconv"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const wait = 5 * time.Second

func client(t *testing.T, s *Server) *tgbotapi.BotAPI {
	t.Helper()
	api, err := tgbotapi.NewBotAPIWithAPIEndpoint(s.Token, s.URL+"/bot%s/%s")
	if err != nil {
		t.Fatalf("getMe: %v", err)
	}
	if api.Self.UserName != "newsbot_test_bot" || !api.Self.IsBot {
		t.Errorf("getMe = %+v", api.Self)
	}
	return api
}

func TestGetUpdatesAnswersAtOnceWithoutTimeout(t *testing.T) {
	s := New(t)
	api := client(t, s)
	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 0 {
		t.Fatalf("GetUpdates = %v, %v; want none", ups, err)
	}
}

func TestGetUpdatesLongPollWakesOnPush(t *testing.T) {
	s := New(t)
	api := client(t, s)
	type result struct {
		ups []tgbotapi.Update
		err error
	}
	got := make(chan result, 1)
	go func() {
		ups, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		got <- result{ups, err}
	}()
	s.WaitCalls(t, func(c []Call) bool { return len(c) == 2 }, wait) // getMe, getUpdates
	u := s.PushMessage(5, 5, "/start now")

	select {
	case r := <-got:
		if r.err != nil || len(r.ups) != 1 {
			t.Fatalf("GetUpdates = %v, %v", r.ups, r.err)
		}
		m := r.ups[0].Message
		if r.ups[0].UpdateID != u.UpdateID || m.Text != "/start now" || !m.IsCommand() || m.Command() != "start" || m.CommandArguments() != "now" {
			t.Errorf("update = %+v", m)
		}
		if m.From.LanguageCode != "vi" || m.Chat.Type != "private" {
			t.Errorf("defaults: from %+v chat %+v", m.From, m.Chat)
		}
	case <-time.After(wait):
		t.Fatal("long poll did not wake on push")
	}
}

func TestGetUpdatesOffsetConfirms(t *testing.T) {
	s := New(t)
	api := client(t, s)
	a := s.PushMessage(1, 1, "a")
	b := s.PushMessage(-100, 2, "b")

	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{Limit: 1})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != a.UpdateID {
		t.Fatalf("first poll = %v, %v", ups, err)
	}
	if s.Pending() != 2 {
		t.Errorf("Pending = %d before confirming, want 2", s.Pending())
	}
	ups, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: a.UpdateID + 1})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != b.UpdateID || ups[0].Message.Chat.Type != "group" {
		t.Fatalf("second poll = %v, %v", ups, err)
	}
	if s.Pending() != 1 {
		t.Errorf("Pending = %d, want 1", s.Pending())
	}
}

func TestGetUpdatesNewerPollEndsOlder(t *testing.T) {
	s := New(t)
	api := client(t, s)
	errc := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		errc <- err
	}()
	s.WaitCalls(t, func(c []Call) bool { return len(c) == 2 }, wait)
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		var apiErr *tgbotapi.Error
		if !errors.As(err, &apiErr) || apiErr.Code != 409 {
			t.Errorf("older poll = %v, want 409", err)
		}
	case <-time.After(wait):
		t.Fatal("older poll still waiting")
	}
}

func TestSendValidatesLikeTelegram(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func() tgbotapi.Chattable
		wantErr string // "" for success
	}{
		{"html", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(1, `<b>Tin</b> &amp; <a href="https://x.vn">link</a>`)
			m.ParseMode = "HTML"
			return m
		}, ""},
		{"unsupported tag", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(1, "a<br>b")
			m.ParseMode = "HTML"
			return m
		}, `Bad Request: can't parse entities: Unsupported start tag "br" at byte offset 1`},
		{"unclosed", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(1, "<b>a")
			m.ParseMode = "HTML"
			return m
		}, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"empty", func() tgbotapi.Chattable { return tgbotapi.NewMessage(1, "") }, "Bad Request: message text is empty"},
		{"too long", func() tgbotapi.Chattable {
			return tgbotapi.NewMessage(1, string(make([]byte, 4097)))
		}, "Bad Request: message is too long"},
		{"callback data too long", func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(1, "x")
			m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("x", string(make([]byte, 65)))))
			return m
		}, "Bad Request: BUTTON_DATA_INVALID"},
		{"caption too long", func() tgbotapi.Chattable {
			p := tgbotapi.NewPhoto(1, tgbotapi.FileURL("https://img.example/a.jpg"))
			p.Caption = string(make([]byte, 1025))
			return p
		}, "Bad Request: message caption is too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t)
			api := client(t, s)
			_, err := api.Send(tc.cfg())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Send: %v", err)
			case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
				t.Errorf("Send = %v, want %q", err, tc.wantErr)
			case tc.wantErr != "" && len(s.Sent()) != 0:
				t.Errorf("refused message recorded as sent")
			}
		})
	}
}

func TestEditAndCallback(t *testing.T) {
	s := New(t)
	api := client(t, s)
	m, err := api.Send(tgbotapi.NewMessage(3, "menu"))
	if err != nil {
		t.Fatal(err)
	}
	edit := tgbotapi.NewEditMessageText(3, m.MessageID, "menu 2")
	if _, err := api.Send(edit); err != nil {
		t.Fatalf("edit: %v", err)
	}
	if _, err := api.Send(edit); err == nil || err.Error()[:40] != "Bad Request: message is not modified: sp" {
		t.Errorf("same edit again = %v, want not modified", err)
	}

	u := s.PushCallback(3, 3, m.MessageID, "page:2")
	if u.CallbackQuery.Message.Text != "menu 2" {
		t.Errorf("callback message text = %q", u.CallbackQuery.Message.Text)
	}
	if _, err := api.Request(tgbotapi.NewCallback(u.CallbackQuery.ID, "ok")); err != nil {
		t.Fatalf("answer: %v", err)
	}
	sent := s.SentTo(3)
	if len(sent) != 3 || sent[1].Method != "editMessageText" || sent[1].MessageID != m.MessageID || sent[2].Method != "answerCallbackQuery" || sent[2].Text != "ok" || sent[1].Plain != "menu 2" {
		t.Errorf("sent = %+v", sent)
	}
}

func TestFaults(t *testing.T) {
	s := New(t)
	api := client(t, s)
	s.FailNext("sendMessage", 9, Fault{RetryAfter: 3})
	s.SetFault(func(method string, p url.Values) *Fault {
		if p.Get("chat_id") == "13" {
			return &Fault{Code: 403}
		}
		return nil
	})

	_, err := api.Send(tgbotapi.NewMessage(8, "other chat"))
	if err != nil {
		t.Fatalf("chat 8: %v", err)
	}
	var apiErr *tgbotapi.Error
	_, err = api.Send(tgbotapi.NewMessage(9, "x"))
	if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.RetryAfter != 3 || apiErr.Message != "Too Many Requests: retry after 3" {
		t.Errorf("first to 9 = %#v", err)
	}
	if _, err := api.Send(tgbotapi.NewMessage(9, "x")); err != nil {
		t.Errorf("second to 9 = %v, want the fault used up", err)
	}
	_, err = api.Send(tgbotapi.NewMessage(13, "x"))
	if !errors.As(err, &apiErr) || apiErr.Code != 403 || apiErr.Message != "Forbidden: bot was blocked by the user" {
		t.Errorf("to 13 = %#v", err)
	}

	s.SetFault(nil)
	s.FailNext("sendMessage", 0, Fault{MigrateTo: -1009})
	_, err = api.Send(tgbotapi.NewMessage(-9, "x"))
	if !errors.As(err, &apiErr) || apiErr.Code != 400 || apiErr.MigrateToChatID != -1009 {
		t.Errorf("migrate = %#v", err)
	}

	var codes []string
	for _, c := range s.Calls() {
		if c.Method == "sendMessage" {
			codes = append(codes, strconv.FormatInt(c.ChatID, 10)+":"+strconv.Itoa(c.Code))
		}
	}
	if got, want := len(codes), 5; got != want {
		t.Errorf("calls = %v", codes)
	}
	if len(s.Sent()) != 2 {
		t.Errorf("sent = %+v, want the two that succeeded", s.Sent())
	}
}

func TestCommandsAndChatMember(t *testing.T) {
	s := New(t)
	api := client(t, s)
	cfg := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeDefault(), "en", tgbotapi.BotCommand{Command: "start", Description: "Start"})
	if _, err := api.Request(cfg); err != nil {
		t.Fatal(err)
	}
	if got := s.Commands("en"); len(got) != 1 || got[0].Description != "Start" || s.Commands("") != nil {
		t.Errorf("commands en=%v default=%v", got, s.Commands(""))
	}
	bad := tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Start", Description: "x"})
	if _, err := api.Request(bad); err == nil {
		t.Error("upper-case command accepted")
	}

	s.SetChatMember(-1001, s.BotID, "administrator", true)
	m, err := api.GetChatMember(tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{ChatID: -1001, UserID: s.BotID}})
	if err != nil || m.Status != "administrator" || !m.CanPostMessages || m.User.ID != s.BotID {
		t.Errorf("getChatMember = %+v, %v", m, err)
	}
}

func TestWaitSentFailsAfterTimeout(t *testing.T) {
	s := New(t)
	ft := &fakeT{TB: t}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WaitSent(ft, func([]Sent) bool { return false }, 50*time.Millisecond)
	}()
	<-done
	if !ft.failed || time.Since(start) > wait {
		t.Errorf("WaitSent failed=%v after %s", ft.failed, time.Since(start))
	}
}

// fakeT records Fatalf instead of stopping the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	runtime.Goexit()
}

func TestParseHTML(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: `<b>a</b> <i>b <u>c</u></i>`, want: "a b c"},
		{in: `<a href="https://x.vn/?a=1&amp;b=2">x</a> &lt;&gt;&amp;&quot;&#39;&#x1F4F0;`, want: "x <>&\"'📰"},
		{in: "&nbsp; & ; a>b", want: "&nbsp; & ; a>b"},
		{in: `<span class="tg-spoiler">s</span><blockquote>q</blockquote><pre><code class="language-go">x</code></pre>`, want: "sqx"},
		{in: "<p>x</p>", err: `Unsupported start tag "p" at byte offset 0`},
		{in: "a < b > c", err: `Unsupported start tag "" at byte offset 2`},
		{in: "a < b", err: "Unclosed start tag at byte offset 2"},
		{in: "<b>x</i>", err: `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{in: "x</b>", err: "Unexpected end tag at byte offset 1"},
		{in: "<b x", err: "Unclosed start tag at byte offset 0"},
	}
	for _, tc := range tests {
		got, err := parseHTML(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("parseHTML(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseHTML(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
