package feeds

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// clock is a settable time for a poller.
type clock struct{ t atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)     { c.t.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }
func (c *clock) now() time.Time      { return time.Unix(0, c.t.Load()).UTC() }

// notices records what a poller told the admins.
type notices struct {
	mu  sync.Mutex
	got []Notice
}

func (n *notices) notify(_ context.Context, x Notice) {
	n.mu.Lock()
	n.got = append(n.got, x)
	n.mu.Unlock()
}

func (n *notices) list() []Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notice(nil), n.got...)
}

// healthScheduler is a scheduler (not started) whose poller runs on c.
func healthScheduler(st *storage.Store, c *clock, n *notices, maxFailures int) *Scheduler {
	p := newPoller(st, time.Time{})
	p.Now = c.now
	p.MaxFailures = maxFailures
	if n != nil {
		p.Notify = n.notify
	}
	return NewScheduler(p, SchedulerOptions{Workers: 4, Log: quietLog()})
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	for i, w := range want {
		if got := backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := backoff(50); got != backoffMax {
		t.Errorf("backoff(50) = %v, want the cap %v", got, backoffMax)
	}
}

// A 503 with Retry-After: 3600 is fetched once, not on every tick, and the
// wait survives a restart; without Retry-After, failures back off.
func TestRetryAfterAndBackoffSurviveRestart(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.failWith("/busy", http.StatusServiceUnavailable, http.Header{"Retry-After": {"3600"}})
	srv.fail("/broken", http.StatusInternalServerError)
	busy := addFeed(t, st, srv.URL+"/busy", "")
	broken := addFeed(t, st, srv.URL+"/broken", "")
	start := time.Now().UTC().Truncate(time.Millisecond)
	c := newClock(start)
	s := healthScheduler(st, c, nil, 0)
	ctx := context.Background()

	s.handle(ctx, pollRequest{id: busy.ID})
	f := reload(t, st, busy.ID)
	if f.Failures != 1 || !f.NextAttempt.Equal(start.Add(time.Hour)) || !strings.Contains(f.LastError, "503") {
		t.Fatalf("after a 503: failures %d, next %v (want %v), error %q", f.Failures, f.NextAttempt, start.Add(time.Hour), f.LastError)
	}
	for range 20 { // ticks every 2 s for 40 s
		c.add(2 * time.Second)
		s.handle(ctx, pollRequest{id: busy.ID})
	}
	// A restart: a new scheduler over the same database.
	c.add(30 * time.Minute)
	healthScheduler(st, c, nil, 0).handle(ctx, pollRequest{id: busy.ID})
	if hits, _ := srv.count("/busy"); hits != 1 {
		t.Errorf("/busy fetched %d times within its Retry-After, want 1", hits)
	}
	c.set(start.Add(time.Hour + time.Second))
	s.handle(ctx, pollRequest{id: busy.ID})
	if hits, _ := srv.count("/busy"); hits != 2 {
		t.Errorf("/busy fetched %d times after its Retry-After, want 2", hits)
	}
	// An explicit PollNow polls even a feed that is backing off.
	s.handle(ctx, pollRequest{id: busy.ID, force: true})
	if hits, _ := srv.count("/busy"); hits != 3 {
		t.Errorf("/busy fetched %d times after a forced poll, want 3", hits)
	}

	c.set(start)
	for i := 1; i <= 4; i++ {
		s.handle(ctx, pollRequest{id: broken.ID})
		f := reload(t, st, broken.ID)
		if want := c.now().Add(backoff(i)); f.Failures != i || !f.NextAttempt.Equal(want) {
			t.Errorf("failure %d: failures %d, next %v, want %v", i, f.Failures, f.NextAttempt, want)
		}
		s.handle(ctx, pollRequest{id: broken.ID}) // too early: skipped
		c.set(f.NextAttempt)
	}
	if hits, _ := srv.count("/broken"); hits != 4 {
		t.Errorf("/broken fetched %d times, want 4", hits)
	}

	// A success forgets it all.
	srv.set("/broken", feedXML(start, "a"))
	s.handle(ctx, pollRequest{id: broken.ID})
	if f := reload(t, st, broken.ID); f.Failures != 0 || !f.NextAttempt.IsZero() || f.PolledAt.IsZero() {
		t.Errorf("after a success: %+v", f)
	}
}

// logCounter counts log records whose message contains a phrase.
type logCounter struct {
	phrase string
	n      atomic.Int32
}

func (h *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.phrase) {
		h.n.Add(1)
	}
	return nil
}
func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCounter) WithGroup(string) slog.Handler      { return h }

// The cron schedule keeps ticking; the ticks before the next attempt are
// skipped without a request.
func TestSchedulerTicksSkipABackingOffFeed(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.failWith("/busy", http.StatusServiceUnavailable, http.Header{"Retry-After": {"3600"}})
	feed := addFeed(t, st, srv.URL+"/busy", "@every 1s")
	skipped := &logCounter{phrase: "backing off"}
	s := NewScheduler(newPoller(st, time.Time{}), SchedulerOptions{Workers: 2, Log: slog.New(skipped)})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	waitFor(t, "two skipped ticks", func() bool { return skipped.n.Load() >= 2 })
	if hits, _ := srv.count("/busy"); hits != 1 {
		t.Errorf("fetched %d times, want 1", hits)
	}
	if f := reload(t, st, feed.ID); f.Failures != 1 {
		t.Errorf("failures = %d", f.Failures)
	}
}

func TestFeedPausedAfterMaxFailuresNotifiesOnceAndResumes(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.fail("/rss", http.StatusInternalServerError)
	feedURL := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/rss"
	feed := addFeed(t, st, feedURL, "")
	c := newClock(time.Now())
	n := &notices{}
	s := healthScheduler(st, c, n, 3)
	ctx := context.Background()
	for range 6 {
		s.handle(ctx, pollRequest{id: feed.ID})
		c.add(backoffMax + time.Minute)
	}
	if hits, _ := srv.count("/rss"); hits != 3 {
		t.Errorf("fetched %d times, want 3 then paused", hits)
	}
	f := reload(t, st, feed.ID)
	if !f.Paused || f.Failures != 3 {
		t.Errorf("paused %v, failures %d", f.Paused, f.Failures)
	}
	got := n.list()
	if len(got) != 1 {
		t.Fatalf("%d notices, want 1: %+v", len(got), got)
	}
	if g := got[0]; g.Kind != NoticePaused || g.FeedID != feed.ID || g.Failures != 3 || !strings.Contains(g.Error, "500") ||
		strings.Contains(g.URL, "hunter2") || !strings.Contains(g.URL, "/rss") || strings.Contains(g.Error, "hunter2") {
		t.Errorf("notice = %+v", g)
	}

	// Resumed, it is polled at once by a running scheduler.
	srv.set("/rss", feedXML(time.Now(), "a"))
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	resumed, err := s.ResumeFeed(ctx, feed.ID)
	if err != nil || resumed.Paused || resumed.Failures != 0 {
		t.Fatalf("ResumeFeed = %+v, %v", resumed, err)
	}
	waitFor(t, "the resumed feed polled", func() bool { return !reload(t, st, feed.ID).PolledAt.IsZero() })
	if _, err := s.ResumeFeed(ctx, 999); err == nil {
		t.Error("ResumeFeed of an unknown feed succeeded")
	}
	if len(n.list()) != 1 {
		t.Errorf("notices after resume: %+v", n.list())
	}
}

func TestFloodPushesTheNewestAndNotifiesOnce(t *testing.T) {
	st := newStore(t)
	subscribe(t, st)
	srv := newFeedServer(t)
	now := time.Now()
	srv.set("/rss", feedXML(now, "a"))
	feed := addFeed(t, st, srv.URL+"/rss", "")
	p := newPoller(st, now)
	p.MaxNewPerPoll = 5
	n := &notices{}
	p.Notify = n.notify
	ctx := context.Background()
	if _, err := p.Poll(ctx, reload(t, st, feed.ID)); err != nil { // silent first poll
		t.Fatal(err)
	}
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprint("lu", i)
	}
	srv.set("/rss", feedXML(now, append(names, "a")...))
	res, err := p.Poll(ctx, reload(t, st, feed.ID))
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 20 || res.Enqueued != 5 || res.Withheld != 15 {
		t.Errorf("result %+v, want 20 new, 5 pushed, 15 withheld", res)
	}
	pending, _ := st.PendingFor(ctx, storage.ChatRef{Platform: "telegram", ID: "42"}, 100)
	var titles []string
	for _, d := range pending {
		titles = append(titles, d.Article.Title)
	}
	if want := "Tin lu4 Tin lu3 Tin lu2 Tin lu1 Tin lu0"; strings.Join(titles, " ") != want {
		t.Errorf("pushed %q, want the newest five oldest first: %q", titles, want)
	}
	if _, err := p.Poll(ctx, reload(t, st, feed.ID)); err != nil { // 304
		t.Fatal(err)
	}
	got := n.list()
	if len(got) != 1 || got[0].Kind != NoticeFlood || got[0].New != 20 || got[0].Pushed != 5 || got[0].Withheld != 15 {
		t.Errorf("notices = %+v, want one flood notice", got)
	}
}

// slowServer never answers until the test ends; it reports each request's
// start, and when one ends (timed out).
type slowServer struct {
	*httptest.Server
	started  chan string
	ended    atomic.Int32
	inFlight atomic.Int32
	maxIn    atomic.Int32
}

func newSlowServer(t *testing.T) *slowServer {
	s := &slowServer{started: make(chan string, 100)}
	stop := make(chan struct{})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.inFlight.Add(1)
		for {
			m := s.maxIn.Load()
			if n <= m || s.maxIn.CompareAndSwap(m, n) {
				break
			}
		}
		s.started <- r.URL.Path
		select {
		case <-r.Context().Done():
		case <-stop:
		}
		s.inFlight.Add(-1)
		s.ended.Add(1)
	}))
	t.Cleanup(func() { close(stop); s.Close() })
	return s
}

// With a worker's worth of feeds on a host that never answers, a feed on
// another host is polled before any of them times out, and the slow host
// never has more than PerHost requests at once.
func TestSchedulerSlowHostDoesNotStarveOthers(t *testing.T) {
	st := newStore(t)
	slow := newSlowServer(t)
	good := newFeedServer(t)
	good.set("/rss", feedXML(time.Now(), "a"))
	const workers = 4
	for i := range workers + 2 {
		addFeed(t, st, fmt.Sprintf("%s/slow%d", slow.URL, i), "@every 1h")
	}
	goodFeed := addFeed(t, st, good.URL+"/rss", "@every 1h") // queued last
	p := newPoller(st, time.Time{})
	p.Fetcher = NewFetcher(FetcherOptions{AllowPrivate: true, Timeout: 20 * time.Second})
	s := NewScheduler(p, SchedulerOptions{Workers: workers, PerHost: 2, Log: quietLog()})
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	defer cancel() // first: the slow polls end at once
	waitFor(t, "the good feed polled", func() bool { return !reload(t, st, goodFeed.ID).PolledAt.IsZero() })
	if n := slow.ended.Load(); n != 0 {
		t.Errorf("%d slow requests ended before the good feed was polled", n)
	}
	if n := slow.maxIn.Load(); n > 2 {
		t.Errorf("%d requests to the slow host at once, want at most 2", n)
	}
}

// Feeds waiting for a busy host are all polled, PerHost at a time, as the
// host's polls finish.
func TestSchedulerHostLineDrains(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	var ids []int64
	var releases []func()
	for i := range 6 {
		path := fmt.Sprintf("/f%d", i)
		srv.set(path, feedXML(time.Now(), "a"))
		ids = append(ids, addFeed(t, st, srv.URL+path, "@every 1h").ID)
		releases = append(releases, srv.hold(path))
	}
	s := startScheduler(t, st, 4)
	host := hostKey(srv.URL)
	requests := func() int {
		hits := 0
		for i := range 6 {
			n, _ := srv.count(fmt.Sprintf("/f%d", i))
			hits += n
		}
		return hits
	}
	// The two polls holding the host's slots have their requests at the
	// server (they may arrive a moment after the slots are taken).
	waitFor(t, "two requests at the host and four feeds in its line", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		line := s.hosts[host]
		return line != nil && line.busy == 2 && len(line.waiting) == 4 && requests() >= 2
	})
	if hits := requests(); hits != 2 {
		t.Errorf("%d requests to a host with two slots", hits)
	}
	for _, r := range releases {
		r()
	}
	for _, id := range ids {
		waitFor(t, "every feed polled", func() bool { return !reload(t, st, id).PolledAt.IsZero() })
	}
	for i := range 6 {
		if n, _ := srv.count(fmt.Sprintf("/f%d", i)); n != 1 {
			t.Errorf("/f%d fetched %d times", i, n)
		}
	}
}
