package telegram

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
)

// TestSendPaidBroadcast: a message marked as a paid broadcast carries
// allow_paid_broadcast=true on every call that sends it (a text, each part
// of a long text, a photo); an unmarked one carries no such parameter.
func TestSendPaidBroadcast(t *testing.T) {
	const chatID = 42
	long := strings.Repeat("Tin dài.\n", 600) // two messages
	for _, tc := range []struct {
		name    string
		msg     bot.Message
		methods int
	}{
		{"text", bot.Message{HTML: "<b>Tin mới</b>", Buttons: twoButtons}, 1},
		{"long text", bot.Message{HTML: long}, 2},
		{"photo", bot.Message{HTML: "<b>Ảnh</b>", PhotoURL: "https://img.example/a.jpg", Buttons: twoButtons}, 1},
	} {
		for _, paid := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/paid=%v", tc.name, paid), func(t *testing.T) {
				tg := telegramtest.New(t)
				a, _ := newAdapter(t, tg)
				msg := tc.msg
				msg.Chat, msg.PaidBroadcast = ref(chatID), paid
				if _, err := a.Send(context.Background(), msg); err != nil {
					t.Fatal(err)
				}
				sent := tg.SentTo(chatID)
				if len(sent) != tc.methods {
					t.Fatalf("%d calls, want %d", len(sent), tc.methods)
				}
				for _, s := range sent {
					v, set := s.Params["allow_paid_broadcast"]
					switch {
					case paid && (len(v) != 1 || v[0] != "true"):
						t.Errorf("paid %s: allow_paid_broadcast = %q, want true", s.Method, v)
					case !paid && set:
						t.Errorf("unpaid %s carries allow_paid_broadcast = %q", s.Method, v)
					}
					if s.ParseMode != "HTML" {
						t.Errorf("%s in %q mode", s.Method, s.ParseMode)
					}
				}
				if tc.msg.Buttons != nil && len(sent[len(sent)-1].Buttons()) != 1 {
					t.Errorf("buttons lost: %s", sent[len(sent)-1].ReplyMarkup)
				}
			})
		}
	}
}
