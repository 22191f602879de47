package bot_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/newsbot-vn/newsbot/bot"
)

// TestDispatcherPaidBroadcast: with delivery.paid_broadcast on, the
// alerts the dispatcher sends to Telegram carry allow_paid_broadcast=true,
// while a message the bot sends directly (an answer) does not; with it
// off, no alert carries it.
func TestDispatcherPaidBroadcast(t *testing.T) {
	for _, paid := range []bool{true, false} {
		t.Run(fmt.Sprintf("paid=%v", paid), func(t *testing.T) {
			e := newDeliveryEnv(t)
			chats := e.chats(100, 3, "private")
			e.publish(2)
			e.dispatch(bot.DispatcherOptions{PaidBroadcast: paid})
			for _, ref := range chats {
				e.waitState(ref, "alerts sent", allIn("sent"))
			}
			for _, ref := range chats {
				id, _ := strconv.ParseInt(ref.ID, 10, 64)
				sent := sentTo(e.tg.Sent(), id)
				if len(sent) != 2 {
					t.Fatalf("chat %s got %d messages, want 2", ref.ID, len(sent))
				}
				for _, s := range sent {
					if got := s.Params.Get("allow_paid_broadcast"); (got == "true") != paid || (!paid && s.Params.Has("allow_paid_broadcast")) {
						t.Errorf("chat %s: alert with allow_paid_broadcast=%q, paid broadcasts %v", ref.ID, got, paid)
					}
				}
			}
			// An answer goes through the adapter itself: never paid.
			if _, err := e.tga.Send(context.Background(), bot.Message{Chat: chats[0], HTML: "Đã đăng ký."}); err != nil {
				t.Fatal(err)
			}
			sent := sentTo(e.tg.Sent(), 100)
			if last := sent[len(sent)-1]; last.Params.Has("allow_paid_broadcast") {
				t.Errorf("an answer carries allow_paid_broadcast: %v", last.Params)
			}
		})
	}
}
