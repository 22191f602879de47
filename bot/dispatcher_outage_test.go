package bot_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// stepClock is a clock that moves only when the test moves it.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// outage makes the fake Bot API fail every send while the clock is before
// end, with each of faults by turns, and notes the (simulated) time of
// every send.
type outage struct {
	mu     sync.Mutex
	failed []time.Time // sends refused by the outage
	served []time.Time // sends answered normally
}

func (o *outage) install(tg *telegramtest.Server, clock *stepClock, end time.Time, faults ...telegramtest.Fault) {
	tg.SetFault(func(method string, _ url.Values) *telegramtest.Fault {
		if method != "sendMessage" && method != "sendPhoto" {
			return nil
		}
		now := clock.Now()
		o.mu.Lock()
		defer o.mu.Unlock()
		if !now.Before(end) {
			o.served = append(o.served, now)
			return nil
		}
		o.failed = append(o.failed, now)
		f := faults[(len(o.failed)-1)%len(faults)]
		return &f
	})
}

func (o *outage) times() (failed, served []time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Time(nil), o.failed...), append([]time.Time(nil), o.served...)
}

// advance moves the clock step by step, letting the dispatcher deal with
// whatever is due at each, until done says so or the clock passes limit.
func advance(t *testing.T, e *deliveryEnv, d *bot.Dispatcher, clock *stepClock, step time.Duration, limit time.Time, done func() bool) {
	t.Helper()
	ctx := context.Background()
	for {
		waitUntil(t, "the dispatcher dealt with what is due at "+clock.Now().Format("15:04:05"), func() bool {
			due, err := e.store.DueDeliveries(ctx, clock.Now(), 10)
			return err == nil && len(due) == 0
		})
		if done() {
			return
		}
		if clock.Now().After(limit) {
			t.Fatalf("still not done at %s (simulated)", clock.Now().Format(time.TimeOnly))
		}
		clock.Advance(step)
		d.Wake()
	}
}

// TestDispatcherRidesOutAnOutage: 30 (simulated) minutes of 5xx, dropped
// connections and timeouts use no attempt; the retries back off to at most
// 5 minutes apart, and the alert goes out once soon after the API is back.
func TestDispatcherRidesOutAnOutage(t *testing.T) {
	e := newDeliveryEnv(t)
	chat := e.chats(1201, 1, "private")[0]
	clock := &stepClock{now: time.Now()}
	start := clock.Now()
	end := start.Add(30 * time.Minute)
	var o outage
	// The send timeout is far above a loopback answer, even on a busy
	// machine, so that only the fault's delay times out.
	o.install(e.tg, clock, end, telegramtest.Fault{Code: 502}, telegramtest.Fault{Code: 503}, telegramtest.Fault{Drop: true},
		telegramtest.Fault{Code: 500}, telegramtest.Fault{Delay: 5 * time.Second})
	titles := e.publish(1)
	d := e.dispatch(bot.DispatcherOptions{Now: clock.Now, RetryBase: 2 * time.Second, MaxAttempts: 8, SendTimeout: 700 * time.Millisecond})

	const step = 15 * time.Second
	advance(t, e, d, clock, step, end.Add(10*time.Minute), func() bool { return e.states(chat)[0].State != storage.StatePending })

	st := e.states(chat)
	failed, served := o.times()
	if st[0].State != storage.StateSent || st[0].Attempts != 1 || st[0].TransientFailures != len(failed) {
		t.Fatalf("after the outage: %+v, %d failed sends", st[0], len(failed))
	}
	t.Logf("%d failed sends over the outage; sent at %v, the outage ended at %s", len(failed), served, end.Format(time.TimeOnly))
	// The old dispatcher gave up after 8 attempts in about 4 minutes.
	if len(failed) <= 8 || len(failed) > 40 {
		t.Errorf("%d sends during a 30-minute outage: want more than 8 (no giving up) and few (backing off)", len(failed))
	}
	if last := failed[len(failed)-1]; last.Sub(start) < 25*time.Minute {
		t.Errorf("the last try during the outage was at +%s: it gave up early", last.Sub(start))
	}
	for i := 1; i < len(failed); i++ {
		if gap := failed[i].Sub(failed[i-1]); gap > 5*time.Minute+step {
			t.Errorf("%s between tries %d and %d, more than the 5-minute cap", gap, i, i+1)
		}
	}
	if len(served) != 1 || served[0].Sub(end) > 5*time.Minute+step {
		t.Errorf("sent at %v, the outage ended at %s", served, end.Format(time.TimeOnly))
	}
	if got := sentTo(e.tg.Sent(), 1201); len(got) != 1 || !strings.Contains(got[0].Text, titles[0]) {
		t.Errorf("the chat got %+v, want the alert once", got)
	}
}

// TestDispatcherExpiresAfterMaxAge: an outage that outlasts delivery max
// age fails the delivery as expired, without using attempts.
func TestDispatcherExpiresAfterMaxAge(t *testing.T) {
	e := newDeliveryEnv(t)
	chat := e.chats(1202, 1, "private")[0]
	clock := &stepClock{now: time.Now()}
	start := clock.Now()
	var o outage
	o.install(e.tg, clock, start.Add(100*time.Hour), telegramtest.Fault{Code: 502}, telegramtest.Fault{Drop: true})
	e.publish(1)
	d := e.dispatch(bot.DispatcherOptions{Now: clock.Now, RetryBase: 2 * time.Second, MaxAge: time.Hour})

	const step = time.Minute
	advance(t, e, d, clock, step, start.Add(2*time.Hour), func() bool { return e.states(chat)[0].State != storage.StatePending })

	st := e.states(chat)[0]
	if st.State != storage.StateFailed || st.Attempts != 0 || !strings.Contains(st.LastError, "expired") {
		t.Fatalf("after max age: %+v", st)
	}
	if at := clock.Now().Sub(start); at < time.Hour || at > time.Hour+5*time.Minute+step {
		t.Errorf("expired at +%s, max age 1h", at)
	}
	failed, served := o.times()
	if len(served) != 0 || len(sentTo(e.tg.Sent(), 1202)) != 0 || st.TransientFailures != len(failed) {
		t.Errorf("served %d, failed %d, delivery %+v", len(served), len(failed), st)
	}
}
