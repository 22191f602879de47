package bot_test

import (
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
)

// TestRepliesShareTheRateWithAlerts: people's commands answered during a
// fan-out take their turns in the same rate as the alerts, so the two
// together never go over it in any one second, and every command is still
// answered.
func TestRepliesShareTheRateWithAlerts(t *testing.T) {
	const rate, chats, perChat, askers = 15, 20, 2, 6
	e := newDeliveryEnv(t)
	e.chats(1000, chats, "private")
	e.publish(perChat)
	d := e.dispatch(bot.DispatcherOptions{RatePerSecond: rate, Workers: 4})
	serve(t, e.store, nil, e.tga, bot.UpdatesOptions{Pace: d.Turn, PerMinute: 0})
	for i := range askers {
		for range 3 {
			e.tg.PushMessage(int64(500+i), int64(500+i), "/help")
		}
	}
	total := chats*perChat + askers*3
	all := e.tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		n := 0
		for _, s := range all {
			if s.Method == "sendMessage" || s.Method == "sendPhoto" {
				n++
			}
		}
		return n >= total
	}, 30*time.Second)
	var sends []telegramtest.Sent
	replies := 0
	for _, s := range all {
		if s.Method == "sendMessage" || s.Method == "sendPhoto" {
			sends = append(sends, s)
			if s.ChatID >= 500 && s.ChatID < 500+askers {
				replies++
			}
		}
	}
	if replies != askers*3 {
		t.Errorf("%d replies, want %d", replies, askers*3)
	}
	for i := range sends {
		n := 0
		for j := i; j < len(sends) && sends[j].At.Sub(sends[i].At) < time.Second; j++ {
			n++
		}
		if n > rate {
			t.Fatalf("%d messages (alerts and replies) within one second from %s, limit %d",
				n, sends[i].At.Format("15:04:05.000"), rate)
		}
	}
}
