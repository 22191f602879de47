package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// sends returns the fake's sendMessage and sendPhoto calls, as they arrived.
func sends(tg *telegramtest.Server) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range tg.Calls() {
		if c.Method == "sendMessage" || c.Method == "sendPhoto" {
			out = append(out, c)
		}
	}
	return out
}

// TestDispatcherPacedWindowAtPlatform fans an alert out at 200/s and
// checks, by the times the fake Bot API received the sends, that no
// one-second window held more than 200, and that every chat got it once.
func TestDispatcherPacedWindowAtPlatform(t *testing.T) {
	const rate, chats = 200, 600
	e := newDeliveryEnv(t)
	e.chats(10000, chats, "private")
	e.publish(1)
	e.dispatch(bot.DispatcherOptions{RatePerSecond: rate, ChatInterval: time.Second})
	e.tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(all) >= chats }, 30*time.Second)
	calls := sends(e.tg)
	var times []time.Time
	seen := map[int64]int{}
	for _, c := range calls {
		times = append(times, c.At)
		seen[c.ChatID]++
	}
	if most := bot.MostInASecond(times); most > rate {
		t.Errorf("the platform got %d sends within one second, rate %d", most, rate)
	}
	for chat, n := range seen {
		if n != 1 {
			t.Errorf("chat %d got %d sends", chat, n)
		}
	}
	if len(seen) != chats {
		t.Errorf("%d chats got the alert, want %d", len(seen), chats)
	}
	span := times[len(times)-1].Sub(times[0])
	t.Logf("%d sends in %s: %.1f/s, %.1f %% of the rate", len(times), span.Round(time.Millisecond),
		float64(len(times)-1)/span.Seconds(), 100*float64(len(times)-1)/span.Seconds()/rate)
}

// TestDispatcherPacedOrderAndFairness queues four alerts for each of 20
// chats and checks that each chat gets its alerts in order, and that the
// chats take turns: no chat gets its k+2nd alert before every chat has had
// its kth.
func TestDispatcherPacedOrderAndFairness(t *testing.T) {
	const chats, perChat = 20, 4
	e := newDeliveryEnv(t)
	e.chats(3000, chats, "private")
	titles := e.publish(perChat)
	e.dispatch(bot.DispatcherOptions{RatePerSecond: 200, ChatInterval: 30 * time.Millisecond})
	all := e.tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(all) >= chats*perChat }, 30*time.Second)
	got := map[int64]int{}            // alerts each chat has had so far
	firstAt := make([]int, perChat+1) // how many chats have had k alerts
	for i, s := range all {
		k := got[s.ChatID]
		if k >= perChat {
			t.Fatalf("chat %d got a %dth message", s.ChatID, k+1)
		}
		if !strings.Contains(s.Text, titles[k]+"<") && !strings.Contains(s.Text, titles[k]+"\n") {
			t.Fatalf("chat %d's message %d is not %q:\n%s", s.ChatID, k+1, titles[k], s.Text)
		}
		if k >= 2 && firstAt[k-1] < chats {
			t.Fatalf("message %d: chat %d got its alert %d while only %d of %d chats had had %d", i, s.ChatID, k+1, firstAt[k-1], chats, k-1)
		}
		got[s.ChatID] = k + 1
		firstAt[k+1]++
	}
}

// TestDispatcherIdleDoesNotPoll checks that a dispatcher with nothing due
// reads the outbox once and then sleeps: until Wake when nothing is
// pending, and until the next delivery falls due when one is.
func TestDispatcherIdleDoesNotPoll(t *testing.T) {
	e := newDeliveryEnv(t)
	chat := e.chats(4000, 1, "private")[0]
	// PollInterval at its default (a minute): the dispatcher must not
	// need it to find work.
	d := e.dispatch(bot.DispatcherOptions{PollInterval: -1, Now: time.Now})
	waitFor(t, func() bool { return d.Looks() >= 1 })
	idle := time.Now()
	// An observation window, not a wait for something: an idle dispatcher
	// must do nothing during it (the old one read the outbox every second).
	time.Sleep(1500 * time.Millisecond)
	if n := d.Looks(); n != 1 {
		t.Fatalf("the idle dispatcher read the empty outbox %d times in %s", n, time.Since(idle).Round(time.Millisecond))
	}
	// Work that comes with a Wake is sent at once.
	e.publish(1)
	d.Wake()
	e.waitState(chat, "sent after Wake", allIn(storage.StateSent))
	// Work due later is sent when due, with no Wake.
	e.publish(1)
	due := time.Now().Add(time.Second)
	if err := e.store.PostponeChat(context.Background(), chat, due); err != nil {
		t.Fatal(err)
	}
	before := d.Looks()
	d.Wake() // it reads the outbox once, finds nothing due, and sleeps until then
	waitFor(t, func() bool { return d.Looks() > before })
	woke := d.Looks()
	time.Sleep(time.Until(due.Add(-200 * time.Millisecond))) // another observation window
	if n := d.Looks() - woke; n != 0 {
		t.Fatalf("the dispatcher read the outbox %d more times while waiting for the next due delivery", n)
	}
	e.waitState(chat, "sent when due", allIn(storage.StateSent))
	got := sentTo(e.tg.Sent(), 4000)
	if early := due.Truncate(time.Millisecond).Sub(got[len(got)-1].At); len(got) != 2 || early > 0 {
		t.Fatalf("%d messages; the second sent %s before it was due", len(got), early)
	}
}

// TestDispatcherGroupCommit fans an alert out with several sends at once
// and checks that the "sent" marks shared transactions, and that each
// delivery was marked sent once, with the id of the message that carried
// it.
func TestDispatcherGroupCommit(t *testing.T) {
	const chats = 300
	e := newDeliveryEnv(t)
	refs := e.chats(20000, chats, "private")
	e.publish(1)
	d := e.dispatch(bot.DispatcherOptions{RatePerSecond: 1000, ChatInterval: time.Second, Workers: 8})
	for _, ref := range refs {
		e.waitState(ref, "sent", allIn(storage.StateSent))
	}
	ids := map[string]bool{}
	for _, ref := range refs {
		chatID, _ := strconv.ParseInt(ref.ID, 10, 64)
		sent := sentTo(e.tg.Sent(), chatID)
		st := e.states(ref)
		if len(sent) != 1 || len(st) != 1 {
			t.Fatalf("chat %s: %d messages, %d deliveries", ref, len(sent), len(st))
		}
		if want := strconv.Itoa(sent[0].MessageID); st[0].MessageID != want || st[0].Attempts != 1 {
			t.Errorf("chat %s: delivery %+v, want sent once with message id %s", ref, st[0], want)
		}
		ids[st[0].MessageID] = true
	}
	if len(ids) != chats {
		t.Errorf("%d distinct message ids for %d chats", len(ids), chats)
	}
	commits, marks := d.MarkCommits()
	t.Logf("%d marks in %d transactions", marks, commits)
	if marks != chats || commits >= marks {
		t.Errorf("%d marks in %d transactions, want %d marks sharing transactions", marks, commits, chats)
	}
}
