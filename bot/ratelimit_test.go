package bot

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

func TestUserLimiter(t *testing.T) {
	l := newUserLimiter(3, time.Minute, 100)
	t0 := time.Date(2026, 8, 22, 7, 0, 0, 0, time.UTC)
	steps := []struct {
		name       string
		user       string
		at         time.Duration
		ok, notice bool
	}{
		{"first", "a", 0, true, false},
		{"second", "a", time.Second, true, false},
		{"third", "a", 2 * time.Second, true, false},
		{"over: told once", "a", 3 * time.Second, false, true},
		{"over again: dropped quietly", "a", 4 * time.Second, false, false},
		{"another user is not affected", "b", 4 * time.Second, true, false},
		{"the window slides: the first left it", "a", time.Minute, true, false},
		{"full again: told again", "a", time.Minute + 500*time.Millisecond, false, true},
	}
	for _, s := range steps {
		ok, notice := l.allow(s.user, t0.Add(s.at))
		if ok != s.ok || notice != s.notice {
			t.Errorf("%s: allow = %v, %v; want %v, %v", s.name, ok, notice, s.ok, s.notice)
		}
	}
}

// The limiter forgets users, idle ones first, to stay within its bound.
func TestUserLimiterMemoryIsBounded(t *testing.T) {
	l := newUserLimiter(2, time.Minute, 50)
	t0 := time.Date(2026, 8, 22, 7, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.allow("u"+strconv.Itoa(i), t0.Add(time.Duration(i)*time.Second))
		if n := l.size(); n > 50 {
			t.Fatalf("%d users remembered, bound 50", n)
		}
	}
}

func TestPacer(t *testing.T) {
	p := &pacer{rate: 10, burst: 2}
	t0 := time.Date(2026, 8, 22, 7, 0, 0, 0, time.UTC)
	want := []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond}
	for i, w := range want {
		if got := p.reserve(t0).Sub(t0); got != w {
			t.Errorf("reservation %d at +%s, want +%s", i, got, w)
		}
	}
	// After a pause the burst is back.
	later := t0.Add(time.Minute)
	if got := p.reserve(later); !got.Equal(later) {
		t.Errorf("after a pause: +%s, want at once", got.Sub(later))
	}
}

// A broadcast handled twice with one update id queues once; without an id
// (the console) each is its own.
func TestBroadcastOncePerUpdate(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.say(t, "2", "/start")
	send := func(id string) string {
		e.bot.Handle(ctx, e.p, Update{ID: id, UserID: "1", Text: "/broadcast Thông báo",
			Chat: storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat1"}, Type: "private"}})
		return e.p.last(t)
	}
	if got := send("500"); !strings.Contains(got, "Đã xếp hàng gửi tới 2") {
		t.Fatalf("first = %q", got)
	}
	if got := send("500"); !strings.Contains(got, "từ trước") || !strings.Contains(got, "2") {
		t.Errorf("again = %q, want already queued for 2", got)
	}
	if n, _ := e.store.PendingCount(ctx); n != 2 {
		t.Errorf("pending = %d, want 2", n)
	}
	send("501")
	if n, _ := e.store.PendingCount(ctx); n != 4 {
		t.Errorf("pending = %d after another update's broadcast, want 4", n)
	}
}
