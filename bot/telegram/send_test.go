package telegram

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

func ref(id int64) storage.ChatRef {
	return storage.ChatRef{Platform: "telegram", ID: strconv.FormatInt(id, 10)}
}

var twoButtons = [][]bot.Button{{{Text: "Thời sự", Data: "sub:thoi-su"}, {Text: "Thế giới", Data: "sub:the-gioi"}}}

func TestSend(t *testing.T) {
	const chatID = 42
	longCaption := strings.Repeat("Tin ", 300) // 1200 characters
	tests := []struct {
		name    string
		fault   func(*telegramtest.Server)
		msg     bot.Message
		methods []string // successful calls, in order
		failed  []string // calls the fake refused
		check   func(t *testing.T, sent []telegramtest.Sent)
	}{
		{
			name:    "html message",
			msg:     bot.Message{HTML: "<b>Tin mới</b> &amp; <a href=\"https://vnexpress.net/a\">đọc</a>"},
			methods: []string{"sendMessage"},
			check: func(t *testing.T, sent []telegramtest.Sent) {
				s := sent[0]
				if s.ParseMode != "HTML" || s.Text != "<b>Tin mới</b> &amp; <a href=\"https://vnexpress.net/a\">đọc</a>" || s.Plain != "Tin mới & đọc" {
					t.Errorf("sent %q in %q mode", s.Text, s.ParseMode)
				}
				if s.Params.Get("disable_web_page_preview") != "" || s.ReplyMarkup != "" {
					t.Errorf("preview disabled or markup set: %v", s.Params)
				}
			},
		},
		{
			name:    "buttons",
			msg:     bot.Message{HTML: "Chọn chuyên mục", Buttons: twoButtons},
			methods: []string{"sendMessage"},
			check: func(t *testing.T, sent []telegramtest.Sent) {
				rows := sent[0].Buttons()
				if len(rows) != 1 || len(rows[0]) != 2 || *rows[0][1].CallbackData != "sub:the-gioi" || rows[0][0].Text != "Thời sự" {
					t.Errorf("keyboard = %s", sent[0].ReplyMarkup)
				}
			},
		},
		{
			name:    "no buttons for channels",
			msg:     bot.Message{HTML: "Tin", Buttons: twoButtons, NoButtons: true},
			methods: []string{"sendMessage"},
			check: func(t *testing.T, sent []telegramtest.Sent) {
				if sent[0].ReplyMarkup != "" {
					t.Errorf("keyboard = %s, want none", sent[0].ReplyMarkup)
				}
			},
		},
		{
			name:    "photo",
			msg:     bot.Message{HTML: "<b>Ảnh</b>", PhotoURL: "https://img.example/a.jpg", Buttons: twoButtons},
			methods: []string{"sendPhoto"},
			check: func(t *testing.T, sent []telegramtest.Sent) {
				s := sent[0]
				if s.Photo != "https://img.example/a.jpg" || s.Text != "<b>Ảnh</b>" || s.ParseMode != "HTML" || len(s.Buttons()) != 1 {
					t.Errorf("sent %+v", s)
				}
			},
		},
		{
			name:    "photo with a caption too long goes as text",
			msg:     bot.Message{HTML: longCaption, PhotoURL: "https://img.example/a.jpg"},
			methods: []string{"sendMessage"},
		},
		{
			name: "photo Telegram cannot fetch falls back to text",
			fault: func(tg *telegramtest.Server) {
				tg.FailNext("sendPhoto", chatID, telegramtest.Fault{Code: 400, Description: "Bad Request: wrong file identifier/HTTP URL specified"})
			},
			msg:     bot.Message{HTML: "<b>Ảnh</b>", PhotoURL: "https://img.example/broken.jpg", Buttons: twoButtons},
			methods: []string{"sendMessage"},
			failed:  []string{"sendPhoto"},
			check: func(t *testing.T, sent []telegramtest.Sent) {
				if sent[0].Text != "<b>Ảnh</b>" || len(sent[0].Buttons()) != 1 {
					t.Errorf("fallback sent %+v", sent[0])
				}
			},
		},
		{
			name:    "long text is split at lines",
			msg:     bot.Message{HTML: strings.Repeat("<b>Đề mục</b> "+strings.Repeat("ệ", 1500)+"\n", 5), Buttons: twoButtons},
			methods: []string{"sendMessage", "sendMessage", "sendMessage"},
			check: func(t *testing.T, sent []telegramtest.Sent) {
				for i, s := range sent {
					if hasButtons := s.ReplyMarkup != ""; hasButtons != (i == len(sent)-1) {
						t.Errorf("message %d: buttons %v", i, hasButtons)
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := telegramtest.New(t)
			a, _ := newAdapter(t, tg)
			if tc.fault != nil {
				tc.fault(tg)
			}
			msg := tc.msg
			msg.Chat = ref(chatID)
			id, err := a.Send(context.Background(), msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := tg.SentTo(chatID)
			var methods []string
			for _, s := range sent {
				methods = append(methods, s.Method)
			}
			if strings.Join(methods, ",") != strings.Join(tc.methods, ",") {
				t.Fatalf("sent %v, want %v", methods, tc.methods)
			}
			if last := sent[len(sent)-1]; id != strconv.Itoa(last.MessageID) {
				t.Errorf("Send = %q, want the last message's id %d", id, last.MessageID)
			}
			var failed []string
			for _, c := range tg.Calls() {
				if c.Code != 0 {
					failed = append(failed, c.Method)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tc.failed, ",") {
				t.Errorf("refused calls %v, want %v", failed, tc.failed)
			}
			if tc.check != nil {
				tc.check(t, sent)
			}
		})
	}
}

func TestSendEdit(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	ctx := context.Background()

	id, err := a.Send(ctx, bot.Message{Chat: ref(7), HTML: "Trang 1", Buttons: twoButtons})
	if err != nil {
		t.Fatal(err)
	}
	edit := bot.Message{Chat: ref(7), HTML: "<i>Trang 2</i>", Buttons: [][]bot.Button{{{Text: "‹", Data: "page:1"}}}, EditID: id}
	got, err := a.Send(ctx, edit)
	if err != nil || got != id {
		t.Fatalf("edit = %q, %v; want %q", got, err, id)
	}
	s := tg.SentTo(7)[1]
	if s.Method != "editMessageText" || strconv.Itoa(s.MessageID) != id || s.Text != "<i>Trang 2</i>" || s.ParseMode != "HTML" || *s.Buttons()[0][0].CallbackData != "page:1" {
		t.Errorf("edit sent %+v", s)
	}

	// The same edit again: Telegram answers "message is not modified".
	if got, err := a.Send(ctx, edit); err != nil || got != id {
		t.Errorf("unchanged edit = %q, %v; want success", got, err)
	}

	// A photo message gets its caption edited.
	pid, err := a.Send(ctx, bot.Message{Chat: ref(7), HTML: "Ảnh", PhotoURL: "https://img.example/p.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(ctx, bot.Message{Chat: ref(7), HTML: "Ảnh mới", EditID: pid}); err != nil {
		t.Fatalf("caption edit: %v", err)
	}
	sent := tg.SentTo(7)
	if s := sent[len(sent)-1]; s.Method != "editMessageCaption" || strconv.Itoa(s.MessageID) != pid || s.Text != "Ảnh mới" {
		t.Errorf("caption edit sent %+v", s)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault telegramtest.Fault
		msg   bot.Message // Chat is set by the test
		check func(t *testing.T, err error)
	}{
		{
			name:  "429",
			fault: telegramtest.Fault{RetryAfter: 7},
			check: func(t *testing.T, err error) {
				var ra *bot.RetryAfterError
				if !errors.As(err, &ra) || ra.After != 7*time.Second {
					t.Errorf("err = %v, want RetryAfterError 7s", err)
				}
			},
		},
		{
			name:  "blocked",
			fault: telegramtest.Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"},
			check: isGone,
		},
		{
			name:  "chat not found",
			fault: telegramtest.Fault{Code: 400, Description: "Bad Request: chat not found"},
			check: isGone,
		},
		{
			name:  "deactivated",
			fault: telegramtest.Fault{Code: 400, Description: "Bad Request: user is deactivated"},
			check: isGone,
		},
		{
			name:  "migrated",
			fault: telegramtest.Fault{MigrateTo: -1001234567890},
			check: func(t *testing.T, err error) {
				var m *bot.MigratedError
				if !errors.As(err, &m) || m.NewID != "-1001234567890" {
					t.Errorf("err = %v, want MigratedError -1001234567890", err)
				}
			},
		},
		{
			name:  "other bad request",
			fault: telegramtest.Fault{Code: 400, Description: "Bad Request: can't parse entities: Unsupported start tag \"br\""},
			check: isPermanent,
		},
		{
			name:  "photo refused twice is permanent",
			fault: telegramtest.Fault{Code: 400, Description: "Bad Request: wrong type of the web page content"},
			msg:   bot.Message{HTML: "<b>Ảnh</b>", PhotoURL: "https://img.example/x.jpg"},
			check: isPermanent,
		},
		{
			name: "html the fake rejects",
			msg:  bot.Message{HTML: "a <br> b"},
			check: func(t *testing.T, err error) {
				isPermanent(t, err)
				if !strings.Contains(err.Error(), "can't parse entities") {
					t.Errorf("err = %v", err)
				}
			},
		},
		{
			name:  "server error is retryable",
			fault: telegramtest.Fault{Code: 502, Description: "Bad Gateway"},
			check: isRetryable,
		},
		{
			name:  "dropped connection is retryable",
			fault: telegramtest.Fault{Drop: true},
			check: func(t *testing.T, err error) {
				isRetryable(t, err)
				var ue *url.Error
				if !errors.As(err, &ue) || !strings.Contains(ue.URL, "/bot<token>/") {
					t.Errorf("err = %v, want a *url.Error with the token redacted", err)
				}
			},
		},
		{
			name:  "callback data too long",
			msg:   bot.Message{HTML: "x", Buttons: [][]bot.Button{{{Text: "x", Data: strings.Repeat("d", 65)}}}},
			check: isPermanent,
		},
		{
			name:  "not a telegram chat",
			msg:   bot.Message{Chat: storage.ChatRef{Platform: "zalo", ID: "42"}, HTML: "x"},
			check: isPermanent,
		},
		{
			name:  "empty",
			msg:   bot.Message{HTML: " \n"},
			check: isPermanent,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := telegramtest.New(t)
			a, _ := newAdapter(t, tg)
			msg := tc.msg
			if msg.Chat == (storage.ChatRef{}) {
				msg.Chat = ref(42)
			}
			if msg.HTML == "" {
				msg.HTML = "<b>Tin</b>"
			}
			if tc.fault != (telegramtest.Fault{}) {
				tg.SetFault(func(method string, _ url.Values) *telegramtest.Fault {
					if strings.HasPrefix(method, "send") {
						f := tc.fault
						return &f
					}
					return nil
				})
			}
			_, err := a.Send(context.Background(), msg)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if strings.Contains(err.Error(), tg.Token) {
				t.Errorf("error leaks the token: %v", err)
			}
			tc.check(t, err)
		})
	}
}

func isGone(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, bot.ErrChatGone) {
		t.Errorf("err = %v, want ErrChatGone", err)
	}
}

func isPermanent(t *testing.T, err error) {
	t.Helper()
	var p *bot.PermanentError
	if !errors.As(err, &p) {
		t.Errorf("err = %v, want PermanentError", err)
	}
}

// isRetryable checks that err is none of the errors a caller acts on.
func isRetryable(t *testing.T, err error) {
	t.Helper()
	var (
		p  *bot.PermanentError
		ra *bot.RetryAfterError
		m  *bot.MigratedError
	)
	if errors.As(err, &p) || errors.As(err, &ra) || errors.As(err, &m) || errors.Is(err, bot.ErrChatGone) {
		t.Errorf("err = %v (%T), want a plain error", err, err)
	}
}

func TestSendRedactsTokenWhenServerIsDown(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	tg.Close()
	_, err := a.Send(context.Background(), bot.Message{Chat: ref(1), HTML: "x"})
	if err == nil {
		t.Fatal("Send succeeded with the server down")
	}
	if strings.Contains(err.Error(), tg.Token) || !strings.Contains(err.Error(), "<token>") {
		t.Errorf("err = %q, want the token redacted", err)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), tg.Token) {
			t.Errorf("wrapped error %T leaks the token: %v", e, e)
		}
	}
}

func TestSendHonoursContext(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	tg.FailNext("sendMessage", 0, telegramtest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := a.Send(ctx, bot.Message{Chat: ref(1), HTML: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestAnswerCallback(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	r := run(t, a)

	tg.PushCallback(99, 99, 5, "sub:the-thao")
	u := r.next(t)
	if u.Callback == nil {
		t.Fatalf("update %+v has no callback", u)
	}
	if err := a.AnswerCallback(context.Background(), u.Callback.ID, strings.Repeat("đ", 250)); err != nil {
		t.Fatalf("AnswerCallback: %v", err)
	}
	s := tg.SentTo(99)
	if len(s) != 1 || s[0].Method != "answerCallbackQuery" || len([]rune(s[0].Text)) != 200 {
		t.Errorf("sent %+v, want one answer cut to 200 characters", s)
	}
	if err := a.AnswerCallback(context.Background(), "no-such-query", ""); err == nil {
		t.Error("answering an unknown query succeeded")
	}
}
