package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/newsbot-vn/newsbot/storage"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startScheduler starts a scheduler over st and stops it when the test ends.
func startScheduler(t *testing.T, st *storage.Store, workers int) *Scheduler {
	t.Helper()
	s := NewScheduler(newPoller(st, time.Time{}), SchedulerOptions{Workers: workers, Log: quietLog()})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Scheduler) entryFor(id int64) (cron.Entry, bool) {
	s.mu.Lock()
	eid, ok := s.entries[id]
	s.mu.Unlock()
	if !ok {
		return cron.Entry{}, false
	}
	return s.cron.Entry(eid), true
}

// waitIdle waits until the feed is neither queued nor being polled.
func (s *Scheduler) waitIdle(t *testing.T, id int64) {
	t.Helper()
	waitFor(t, "the poll to finish", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.pending[id]
	})
}

func TestValidateSchedule(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"*/10 * * * *", true},
		{"0 7 * * *", true},
		{"@every 5m", true},
		{"@hourly", true},
		{"CRON_TZ=Asia/Ho_Chi_Minh 0 7 * * *", true},
		{"  @every 1h  ", true},
		{"", false},
		{"@every 30s", true},
		{"* * * * * *", false}, // six fields: seconds are not accepted
		{"bất kỳ", false},
		{"@every", false},
		{"61 * * * *", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			err := ValidateSchedule(tt.spec)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateSchedule(%q) = %v", tt.spec, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "feeds: ") {
				t.Errorf("error without prefix: %v", err)
			}
		})
	}
}

func TestSchedulerStartPollsEveryFeedOnce(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	now := time.Now()
	paths := []string{"/a", "/b", "/c"}
	var ids []int64
	for _, p := range paths {
		srv.set(p, feedXML(now, strings.TrimPrefix(p, "/")))
		ids = append(ids, addFeed(t, st, srv.URL+p, "").ID)
	}
	srv.fail("/b", http.StatusServiceUnavailable) // one failing feed does not stop the others
	custom := addFeed(t, st, srv.URL+"/custom", "@every 5m")
	bad := addFeed(t, st, srv.URL+"/bad", "không hợp lệ")
	srv.set("/custom", feedXML(now, "x"))
	srv.set("/bad", feedXML(now, "y"))

	s := startScheduler(t, st, 2)

	waitFor(t, "every feed polled", func() bool {
		a, b, c := reload(t, st, ids[0]), reload(t, st, ids[1]), reload(t, st, ids[2])
		return !a.PolledAt.IsZero() && b.LastError != "" && !c.PolledAt.IsZero() &&
			!reload(t, st, custom.ID).PolledAt.IsZero() && !reload(t, st, bad.ID).PolledAt.IsZero()
	})
	for _, p := range append(paths, "/custom", "/bad") {
		if hits, _ := srv.count(p); hits != 1 {
			t.Errorf("%s polled %d times at start, want 1", p, hits)
		}
	}
	if f := reload(t, st, ids[1]); !strings.Contains(f.LastError, "503") {
		t.Errorf("failing feed's error = %q", f.LastError)
	}

	// One cron entry per feed: its own schedule, else the default (also for an invalid one).
	if n := len(s.cron.Entries()); n != 5 {
		t.Errorf("%d cron entries, want 5", n)
	}
	e, ok := s.entryFor(custom.ID)
	if !ok || e.Schedule != (cron.ConstantDelaySchedule{Delay: 5 * time.Minute}) {
		t.Errorf("custom schedule entry = %+v", e)
	}
	e, ok = s.entryFor(bad.ID)
	if !ok || e.Schedule != (cron.ConstantDelaySchedule{Delay: 10 * time.Minute}) {
		t.Errorf("invalid schedule did not fall back to the default: %+v", e)
	}

	// A cron firing queues a poll, which uses the stored validators: 304.
	e, _ = s.entryFor(ids[0])
	e.Job.Run()
	srv.waitRequest(t, "/a")
	s.waitIdle(t, ids[0])
	if f := reload(t, st, ids[0]); f.Articles != 1 || f.LastError != "" {
		t.Errorf("feed after a 304 = %+v", f)
	}
	if hits, _ := srv.count("/a"); hits != 2 {
		t.Errorf("%d requests, want 2", hits)
	}
}

func TestSchedulerNeverOverlapsAFeed(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/slow", feedXML(time.Now(), "a"))
	release := srv.hold("/slow")
	defer release()
	feed := addFeed(t, st, srv.URL+"/slow", "")
	s := startScheduler(t, st, 4)
	ctx := context.Background()

	srv.waitRequest(t, "/slow") // the start-up poll is in flight
	e, _ := s.entryFor(feed.ID)
	for range 20 {
		e.Job.Run() // cron firing
		if err := s.PollNow(ctx, feed.ID); err != nil {
			t.Fatal(err)
		}
	}
	release()
	s.waitIdle(t, feed.ID)
	if hits, maxIn := srv.count("/slow"); hits != 1 || maxIn != 1 {
		t.Errorf("%d requests, %d at once; want 1 and 1", hits, maxIn)
	}

	// Once it is done, the feed can be queued again.
	if err := s.PollNow(ctx, feed.ID); err != nil {
		t.Fatal(err)
	}
	srv.waitRequest(t, "/slow")
}

func TestSchedulerSkipsAFeedDeletedWhileQueued(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/first", feedXML(time.Now(), "a"))
	srv.set("/second", feedXML(time.Now(), "b"))
	release := srv.hold("/first")
	defer release()
	first := addFeed(t, st, srv.URL+"/first", "")
	second := addFeed(t, st, srv.URL+"/second", "")
	s := startScheduler(t, st, 1) // one worker: /second waits behind /first

	srv.waitRequest(t, "/first")
	if err := st.DeleteFeed(context.Background(), second.ID); err != nil {
		t.Fatal(err)
	}
	release()
	waitFor(t, "the deleted feed to be dropped", func() bool {
		_, scheduled := s.entryFor(second.ID)
		return !scheduled
	})
	if hits, _ := srv.count("/second"); hits != 0 {
		t.Errorf("deleted feed fetched %d times", hits)
	}
	if f := reload(t, st, first.ID); f.PolledAt.IsZero() {
		t.Errorf("first feed not polled")
	}
}

func TestSchedulerAddFeed(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	subscribe(t, st)
	srv := newFeedServer(t)
	now := time.Now()
	srv.set("/rss", feedXML(now, "a", "b"))
	srv.set("/page", "<!DOCTYPE html><html><body>Trang chủ</body></html>")
	s := startScheduler(t, st, 2)
	saved := make(chan storage.SaveResult, 10)
	s.OnSaved(func(res storage.SaveResult) { saved <- res })

	refusals := []struct {
		name, url, sec string
		is             error
		contains       string
	}{
		{"not http", "ftp://example.vn/rss", section, nil, "only http and https"},
		{"HTML page", srv.URL + "/page", section, ErrNotFeed, "is an HTML page"},
		{"missing", srv.URL + "/missing", section, nil, "404"},
		{"unknown section", srv.URL + "/rss", "khong-co", storage.ErrUnknownSection, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.AddFeed(ctx, tt.url, tt.sec)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("err = %v", err)
			}
			if feeds, _ := st.Feeds(ctx); len(feeds) != 0 {
				t.Errorf("stored %+v", feeds)
			}
		})
	}

	hitsBefore, _ := srv.count("/rss")
	feed, res, err := s.AddFeed(ctx, srv.URL+"/rss", section)
	if err != nil {
		t.Fatal(err)
	}
	if counts(res) != (storage.SaveResult{New: 2, First: true}) {
		t.Errorf("first save = %+v, want 2 new and nothing queued", res)
	}
	if feed.Title != "Báo Thử" || feed.ETag == "" || feed.PolledAt.IsZero() {
		t.Errorf("added feed = %+v", feed)
	}
	if _, ok := s.entryFor(feed.ID); !ok {
		t.Errorf("added feed not scheduled")
	}
	if hits, _ := srv.count("/rss"); hits != hitsBefore+1 {
		t.Errorf("%d fetches to add a feed, want 1", hits-hitsBefore)
	}

	// Its next poll pushes what is new.
	srv.set("/rss", feedXML(now, "c", "a", "b"))
	if err := s.PollNow(ctx, feed.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-saved: // from AddFeed
		if !res.First {
			t.Errorf("OnSaved after AddFeed got %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnSaved not called after AddFeed")
	}
	select {
	case res := <-saved: // from the poll
		if counts(res) != (storage.SaveResult{New: 1, Enqueued: 1}) {
			t.Errorf("OnSaved after the poll got %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnSaved not called after the poll")
	}
	due, err := st.DueDeliveries(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Article.Title != "Tin c" {
		t.Errorf("due = %+v, %v", due, err)
	}

	// Adding it again keeps its schedule and changes nothing else.
	again, res, err := s.AddFeed(ctx, srv.URL+"/rss", section)
	if err != nil || again.ID != feed.ID || res.New != 0 {
		t.Errorf("re-add = %+v %+v %v", again, res, err)
	}
}

func TestSchedulerRemoveFeed(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(time.Now(), "a"))
	feed := addFeed(t, st, srv.URL+"/rss", "")
	s := startScheduler(t, st, 1)
	srv.waitRequest(t, "/rss")

	if err := s.RemoveFeed(ctx, feed.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.entryFor(feed.ID); ok {
		t.Errorf("still scheduled")
	}
	if _, err := st.Feed(ctx, feed.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("still stored: %v", err)
	}
	if err := s.RemoveFeed(ctx, feed.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second remove = %v, want ErrNotFound", err)
	}
	if err := s.PollNow(ctx, feed.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("PollNow of a removed feed = %v, want ErrNotFound", err)
	}
}

func TestSchedulerStopWaitsForPollsInFlight(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(time.Now(), "a"))
	release := srv.hold("/rss")
	feed := addFeed(t, st, srv.URL+"/rss", "")
	s := NewScheduler(newPoller(st, time.Time{}), SchedulerOptions{Log: quietLog()})
	saved := make(chan storage.SaveResult, 10)
	s.OnSaved(func(res storage.SaveResult) { saved <- res })
	if err := s.PollNow(context.Background(), feed.ID); err == nil {
		t.Errorf("PollNow before Start succeeded")
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Errorf("second Start succeeded")
	}
	srv.waitRequest(t, "/rss")

	stopped := make(chan struct{})
	go func() {
		s.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a poll was in flight")
	default:
	}
	release()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return")
	}
	// Stop waited for the poll, so its result is already stored and reported.
	if f := reload(t, st, feed.ID); f.PolledAt.IsZero() {
		t.Errorf("poll in flight was not completed before Stop returned")
	}
	select {
	case res := <-saved:
		if counts(res) != (storage.SaveResult{New: 1, First: true}) {
			t.Errorf("OnSaved got %+v", res)
		}
	default:
		t.Errorf("OnSaved not called before Stop returned")
	}
	s.Stop() // idempotent
	if err := s.PollNow(context.Background(), feed.ID); err == nil {
		t.Errorf("PollNow after Stop succeeded")
	}
}

func TestSchedulerStartRefusesABadDefault(t *testing.T) {
	s := NewScheduler(newPoller(newStore(t), time.Time{}), SchedulerOptions{DefaultSchedule: "every minute", Log: quietLog()})
	if err := s.Start(context.Background()); err == nil {
		s.Stop()
		t.Fatal("Start accepted an invalid default schedule")
	}
}

// TestSchedulerQueueingNeverBlocks: while every worker is busy, queueing
// polls of more feeds than any fixed queue would hold returns at once. A
// cron tick of thousands of feeds used to leave a goroutine per feed beyond
// a channel of 1 024 blocked, each holding a stack, until a worker took it.
func TestSchedulerQueueingNeverBlocks(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(time.Now(), "a"))
	release := srv.hold("/rss")
	defer release()
	addFeed(t, st, srv.URL+"/rss", "")
	// A fetch timeout longer than the test's deadline: the held poll ends
	// only when released.
	p := newPoller(st, time.Time{})
	p.Fetcher = NewFetcher(FetcherOptions{AllowPrivate: true, Timeout: time.Minute})
	s := NewScheduler(p, SchedulerOptions{Workers: 1, Log: quietLog()})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	srv.waitRequest(t, "/rss") // the only worker is now held

	others := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(others.Close)
	const n = 1100
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = addFeed(t, st, fmt.Sprintf("%s/%d.rss", others.URL, i), "").ID
	}
	queued := make(chan error, 1)
	go func() {
		for _, id := range ids {
			if err := s.PollNow(context.Background(), id); err != nil {
				queued <- err
				return
			}
		}
		queued <- nil
	}()
	select {
	case err := <-queued:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("queueing polls blocked while the worker was busy")
	}
	s.mu.Lock()
	waiting := len(s.due)
	s.mu.Unlock()
	if waiting != n {
		t.Errorf("%d polls queued, want %d", waiting, n)
	}
	release()
	// The queue drains once the worker is free.
	for _, id := range ids[:3] {
		s.waitIdle(t, id)
	}
}
