package zalo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
	"github.com/newsbot-vn/newsbot/storage"
)

func to(id string) storage.ChatRef { return storage.ChatRef{Platform: "zalo", ID: id} }

func TestSendPlainText(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	html := `<b>Bão số 3</b> &amp; mưa lớn` + "\n" + `<a href="https://vnexpress.net/bao-so-3.html">Đọc tiếp</a>`
	id, err := a.Send(context.Background(), bot.Message{
		Chat:    to(userTed),
		HTML:    html,
		Buttons: [][]bot.Button{{{Text: "Thêm", Data: "more"}}},
		EditID:  "old-message",
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := zs.SentTo(userTed)
	if len(sent) != 1 || sent[0].MessageID != id || sent[0].Method != "sendMessage" {
		t.Fatalf("sent = %+v, id %q", sent, id)
	}
	want := "Bão số 3 & mưa lớn\nĐọc tiếp\nhttps://vnexpress.net/bao-so-3.html"
	if sent[0].Text != want {
		t.Errorf("text = %q, want %q", sent[0].Text, want)
	}
}

func TestSendRefusesOtherChats(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	for _, msg := range []bot.Message{
		{Chat: storage.ChatRef{Platform: "telegram", ID: "1"}, HTML: "x"},
		{Chat: to(""), HTML: "x"},
		{Chat: to(userTed), HTML: "  <b></b> "},
	} {
		var perm *bot.PermanentError
		if _, err := a.Send(context.Background(), msg); !errors.As(err, &perm) {
			t.Errorf("Send(%+v) = %v, want a PermanentError", msg, err)
		}
	}
	if len(zs.Sent()) != 0 {
		t.Errorf("sent %+v", zs.Sent())
	}
}

// A long alert is split under 2000 characters without breaking a word or
// its link, which stays on its own line.
func TestSendSplitsLongText(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	link := "https://baolaocai.vn/khoa-giao/mot-duong-dan-rat-dai-" + strings.Repeat("x", 60) + ".html"
	sentence := "Tỉnh Lào Cai đẩy mạnh ứng dụng khoa học công nghệ vào sản xuất nông nghiệp. "
	body := strings.TrimSpace(strings.Repeat(sentence, 50)) // ~3 900 characters, no line breaks
	html := "<b>Khoa giáo</b>\n" + body + "\n" + `<a href="` + link + `">` + link + `</a>`

	if _, err := a.Send(context.Background(), bot.Message{Chat: to(userTed), HTML: html}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := zs.SentTo(userTed)
	if len(sent) < 2 {
		t.Fatalf("sent %d messages, want the text split", len(sent))
	}
	var joined []string
	for i, m := range sent {
		if n := utf8.RuneCountInString(m.Text); n > 2000 || n == 0 {
			t.Errorf("message %d has %d characters", i, n)
		}
		if i < len(sent)-1 && !strings.HasSuffix(m.Text, ".") && !strings.HasSuffix(m.Text, "Khoa giáo") {
			t.Errorf("message %d ends mid-sentence: …%q", i, m.Text[max(0, len(m.Text)-40):])
		}
		joined = append(joined, m.Text)
	}
	last := sent[len(sent)-1].Text
	if !strings.HasSuffix(last, "\n"+link) {
		t.Errorf("the link is not whole on its own line at the end: …%q", last[max(0, len(last)-200):])
	}
	if got, want := strings.Join(strings.Fields(strings.Join(joined, " ")), " "), strings.Join(strings.Fields("Khoa giáo "+body+" "+link), " "); got != want {
		t.Errorf("words lost or changed in the split")
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"fits", "một hai", 10, []string{"một hai"}},
		{"paragraph before line", "aaaa\nbb.\n\ncc\ndddd eeee", 14, []string{"aaaa\nbb.", "cc\ndddd eeee"}},
		{"at a paragraph", "aaaa bbbb\ncc.\n\ndddd eeee", 18, []string{"aaaa bbbb\ncc.", "dddd eeee"}},
		{"at a line", "aaaa bbbb. cc\ndddd eeee", 18, []string{"aaaa bbbb. cc", "dddd eeee"}},
		{"at a sentence", "Một hai ba. Bốn năm sáu", 18, []string{"Một hai ba.", "Bốn năm sáu"}},
		{"not after TP.", "Ở TP. HCM mưa lớn kéo dài", 12, []string{"Ở TP. HCM", "mưa lớn kéo", "dài"}},
		{"at a word", "aaaa bbbb cccc", 11, []string{"aaaa bbbb", "cccc"}},
		{"the limit between two words", "aaaa bbbb cccc", 9, []string{"aaaa bbbb", "cccc"}},
		{"a word longer than the limit", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"emoji count double", "😀😀😀", 4, []string{"😀😀", "😀"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := splitText(tc.in, tc.limit)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("splitText(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
		})
	}
}

func TestSendPhoto(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	photo := "https://i.vnecdn.net/bao.jpg"
	msg := bot.Message{Chat: to(userTed), HTML: "<b>Bão</b>\nhttps://vnexpress.net/bao.html", PhotoURL: photo}

	id, err := a.Send(context.Background(), msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := zs.SentTo(userTed)
	if len(sent) != 1 || sent[0].Method != "sendPhoto" || sent[0].Photo != photo || sent[0].Caption != "Bão\nhttps://vnexpress.net/bao.html" || sent[0].MessageID != id {
		t.Fatalf("sent = %+v", sent)
	}

	// Refused photo: the text goes alone.
	zs.FailNext("sendPhoto", userTed, zalotest.Fault{HTTPStatus: 400, Description: "Bad Request: cannot download photo"})
	if _, err := a.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send after a refused photo: %v", err)
	}
	// Rate limited photo: no fallback, the dispatcher waits.
	zs.FailNext("sendPhoto", userTed, zalotest.Fault{HTTPStatus: 429})
	var ra *bot.RetryAfterError
	if _, err := a.Send(context.Background(), msg); !errors.As(err, &ra) {
		t.Errorf("Send on a 429 = %v, want RetryAfterError", err)
	}
	// A caption over the limit: the text alone.
	long := msg
	long.HTML = strings.Repeat("chữ ", 600) // 2 400 characters
	if _, err := a.Send(context.Background(), long); err != nil {
		t.Fatalf("Send with a long caption: %v", err)
	}

	sent = zs.SentTo(userTed)
	var methods []string
	for _, m := range sent {
		methods = append(methods, m.Method)
	}
	if got := strings.Join(methods, ","); got != "sendPhoto,sendMessage,sendMessage,sendMessage" {
		t.Errorf("methods = %s", got)
	}
	if sent[1].Text != "Bão\nhttps://vnexpress.net/bao.html" {
		t.Errorf("fallback text = %q", sent[1].Text)
	}
}

func TestSendMapsErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault zalotest.Fault
		check func(error) bool
		want  string
	}{
		{"429 quota", zalotest.Fault{HTTPStatus: 429},
			func(err error) bool {
				var ra *bot.RetryAfterError
				return errors.As(err, &ra) && ra.After == DefaultRetryAfter && ra.Global
			}, "RetryAfterError of 5s"},
		{"429 as ok:false with 200", zalotest.Fault{ErrorCode: 429, OKFalseWith200: true},
			func(err error) bool { var ra *bot.RetryAfterError; return errors.As(err, &ra) }, "RetryAfterError"},
		{"403 blocked", zalotest.Fault{HTTPStatus: 403, Description: "User has blocked the bot"},
			func(err error) bool { return errors.Is(err, bot.ErrChatGone) }, "ErrChatGone"},
		{"403 the bot is blocked", zalotest.Fault{HTTPStatus: 403, Description: "The bot is blocked by this user"},
			func(err error) bool { return errors.Is(err, bot.ErrChatGone) }, "ErrChatGone"},
		{"bare 403", zalotest.Fault{HTTPStatus: 403, Description: "Forbidden"},
			func(err error) bool { return errors.Is(err, bot.ErrChatGone) }, "ErrChatGone"},
		{"404 user not found under 200", zalotest.Fault{ErrorCode: 404, Description: "User not found", OKFalseWith200: true},
			func(err error) bool { return errors.Is(err, bot.ErrChatGone) }, "ErrChatGone"},
		{"bare 404 is not a gone chat", zalotest.Fault{HTTPStatus: 404, Description: "Not Found"},
			func(err error) bool {
				var perm *bot.PermanentError
				return errors.As(err, &perm) && !errors.Is(err, bot.ErrChatGone)
			}, "PermanentError"},
		{"403 about the bot is not a gone chat", zalotest.Fault{HTTPStatus: 403, Description: "Bot is disabled"},
			func(err error) bool {
				var perm *bot.PermanentError
				return errors.As(err, &perm) && !errors.Is(err, bot.ErrChatGone)
			}, "PermanentError"},
		{"400", zalotest.Fault{HTTPStatus: 400, Description: "Bad Request: text too long"},
			func(err error) bool { var perm *bot.PermanentError; return errors.As(err, &perm) }, "PermanentError"},
		{"401", zalotest.Fault{HTTPStatus: 401},
			func(err error) bool {
				var perm *bot.PermanentError
				return errors.Is(err, ErrUnauthorized) && !errors.As(err, &perm)
			}, "ErrUnauthorized, retryable"},
		{"500", zalotest.Fault{HTTPStatus: 500},
			func(err error) bool { return retryable(err) }, "a plain error"},
		{"500 as ok:false with 200", zalotest.Fault{ErrorCode: 500, OKFalseWith200: true, Description: "Internal"},
			func(err error) bool { return retryable(err) }, "a plain error"},
		{"network", zalotest.Fault{Drop: true},
			func(err error) bool { return retryable(err) }, "a plain error"},
	}
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zs.FailNext("sendMessage", userLan, tc.fault)
			_, err := a.Send(context.Background(), bot.Message{Chat: to(userLan), HTML: "tin"})
			if err == nil || !tc.check(err) {
				t.Fatalf("Send = %v (%T), want %s", err, err, tc.want)
			}
			if strings.Contains(err.Error(), zs.Token) || strings.Contains(err.Error(), "FakeZaloSecret") {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
	if n := len(zs.SentTo(userLan)); n != 0 {
		t.Errorf("%d messages got through", n)
	}
}

func retryable(err error) bool {
	var ra *bot.RetryAfterError
	var perm *bot.PermanentError
	return err != nil && !errors.As(err, &ra) && !errors.As(err, &perm) && !errors.Is(err, bot.ErrChatGone)
}

func TestSendHonoursContext(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	zs.FailNext("sendMessage", "", zalotest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := a.Send(ctx, bot.Message{Chat: to(userTed), HTML: "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want DeadlineExceeded", err)
	}
}
