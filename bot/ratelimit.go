package bot

import (
	"sync"
	"time"
)

// userLimiter is each user's command budget: at most per commands in any
// window (a sliding window over the times of the last per accepted). Its
// memory is bounded: users whose window has emptied are forgotten first,
// and past maxUsers some are forgotten anyway (they get a fresh budget).
type userLimiter struct {
	per      int
	window   time.Duration
	maxUsers int

	mu    sync.Mutex
	users map[string]*userWindow
}

// userWindow holds the times of a user's last accepted commands, a ring
// whose next slot is the oldest, and whether the user was told to slow down
// since the last accepted one.
type userWindow struct {
	times   []time.Time
	next    int
	noticed bool
}

func newUserLimiter(per int, window time.Duration, maxUsers int) *userLimiter {
	return &userLimiter{per: per, window: window, maxUsers: maxUsers, users: map[string]*userWindow{}}
}

// allow reports whether the user may send a command at now; when not,
// notice is true the first time since the last accepted command, so the
// user is told once and the rest are dropped quietly.
func (l *userLimiter) allow(user string, now time.Time) (ok, notice bool) {
	if l == nil || l.per <= 0 {
		return true, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w, known := l.users[user]
	if !known {
		if len(l.users) >= l.maxUsers {
			l.evict(now)
		}
		w = &userWindow{times: make([]time.Time, l.per)}
		l.users[user] = w
	}
	if oldest := w.times[w.next]; !oldest.IsZero() && now.Sub(oldest) < l.window {
		notice = !w.noticed
		w.noticed = true
		return false, notice
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % len(w.times)
	w.noticed = false
	return true, false
}

// evict forgets users whose newest command left the window, then, if that
// freed too little, about a tenth of the rest. The caller holds mu.
func (l *userLimiter) evict(now time.Time) {
	for k, w := range l.users {
		newest := w.times[(w.next+len(w.times)-1)%len(w.times)]
		if now.Sub(newest) >= l.window {
			delete(l.users, k)
		}
	}
	for k := range l.users {
		if len(l.users) < l.maxUsers-l.maxUsers/10 {
			break
		}
		delete(l.users, k)
	}
}

// size returns how many users are remembered.
func (l *userLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.users)
}
