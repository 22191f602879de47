package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// A server that answers 200 with the same document, without validators,
// costs no parse: the poll is recorded as unchanged. A changed document is
// parsed and its new item stored.
func TestPollSameBodyIsUnchanged(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	body := feedXML(now, "a", "b")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		io.WriteString(w, body) // no ETag, no Last-Modified: never a 304
	}))
	defer srv.Close()
	st := newStore(t)
	subscribe(t, st)
	feed := addFeed(t, st, srv.URL+"/rss", "")
	p := newPoller(st, now)

	poll := func() storage.SaveResult {
		t.Helper()
		f, err := st.FeedToPoll(ctx, feed.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Poll(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return counts(res)
	}
	if res := poll(); !res.First || res.New != 2 {
		t.Fatalf("first poll = %+v", res)
	}
	if res := poll(); res != (storage.SaveResult{Unchanged: true}) {
		t.Errorf("same body: %+v, want unchanged", res)
	}
	mu.Lock()
	body = feedXML(now, "c", "a", "b")
	mu.Unlock()
	if res := poll(); res != (storage.SaveResult{New: 1, Enqueued: 1}) {
		t.Errorf("changed body: %+v, want one new item queued", res)
	}
	if res := poll(); res != (storage.SaveResult{Unchanged: true}) {
		t.Errorf("same body again: %+v, want unchanged", res)
	}
}

// Items the feed has carried before are not cleaned or summarised again:
// they come out of the parse with their identity only. When the store
// cannot say, every item is converted in full.
func TestParseSkipsKnownItems(t *testing.T) {
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	doc := []byte(feedXML(now, "new", "old"))
	askedFor := 0
	known := func(heads []storage.Item) ([]bool, error) {
		askedFor = len(heads)
		out := make([]bool, len(heads))
		for i, h := range heads {
			out[i] = strings.Contains(h.Link, "/old.")
		}
		return out, nil
	}
	parsed, err := parse(doc, "https://bao.example/rss", now, Summarizer{}, known)
	if err != nil {
		t.Fatal(err)
	}
	if askedFor != 2 || len(parsed.Items) != 2 {
		t.Fatalf("asked about %d items, parsed %d; want 2 and 2", askedFor, len(parsed.Items))
	}
	fresh, old := parsed.Items[0], parsed.Items[1]
	if fresh.Summary == "" || fresh.Title != "Tin new" {
		t.Errorf("new item not converted in full: %+v", fresh)
	}
	if old.Summary != "" || old.Title != "Tin old" || old.Link != "https://bao.example/tin/old.html" ||
		old.Canonical == "" || old.Published.IsZero() {
		t.Errorf("known item: %+v, want its identity (title, link, canonical, date) and no summary", old)
	}

	failing := func([]storage.Item) ([]bool, error) { return nil, errors.New("database is locked") }
	parsed, err = parse(doc, "https://bao.example/rss", now, Summarizer{}, failing)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range parsed.Items {
		if it.Summary == "" {
			t.Errorf("lookup failed, item %q not converted in full", it.Title)
		}
	}
}

// A healthy feed's 304s are recorded together: nothing is written until
// the batch is flushed. A feed recovering from failures is recorded at
// once, and a failure after a pending 304 is not overwritten by it.
func TestUnchangedPollsBatched(t *testing.T) {
	ctx := context.Background()
	first := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	srv := newFeedServer(t)
	st := newStore(t)
	var clock atomic.Int64
	clock.Store(first.UnixMilli())
	p := newPoller(st, time.Time{})
	p.Now = func() time.Time { return time.UnixMilli(clock.Load()) }
	var feeds []storage.Feed
	for i := range 3 {
		path := fmt.Sprintf("/rss%d", i)
		srv.set(path, feedXML(first, "a"))
		feeds = append(feeds, addFeed(t, st, srv.URL+path, ""))
	}
	pollAll := func() {
		t.Helper()
		for _, f := range feeds {
			f, err := st.FeedToPoll(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Poll(ctx, f); err != nil && f.ID != feeds[2].ID {
				t.Fatal(err)
			}
		}
	}
	pollAll() // first polls, written at once
	later := first.Add(10 * time.Minute)
	clock.Store(later.UnixMilli())
	// Feed 1 failed in between: its 304 must clear that at once.
	if err := st.RecordFeedFailure(ctx, feeds[1].ID, storage.FeedFailure{At: first, Error: "lỗi", NextAttempt: first.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	pollAll() // 304s
	if f := reload(t, st, feeds[0].ID); !f.LastSuccess.Equal(first) {
		t.Errorf("healthy feed's 304 written before the flush: last success %v", f.LastSuccess)
	}
	if f := reload(t, st, feeds[1].ID); !f.LastSuccess.Equal(later) || f.Failures != 0 || !f.NextAttempt.IsZero() {
		t.Errorf("recovering feed's 304 not written at once: %+v", f)
	}
	// Feed 2's 304 is pending; then it fails.
	srv.fail("/rss2", http.StatusInternalServerError)
	f2, _ := st.FeedToPoll(ctx, feeds[2].ID)
	if _, err := p.Poll(ctx, f2); err == nil {
		t.Fatal("want the 500 as an error")
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if f := reload(t, st, feeds[0].ID); !f.LastSuccess.Equal(later) {
		t.Errorf("after the flush: last success %v, want %v", f.LastSuccess, later)
	}
	if f := reload(t, st, feeds[2].ID); f.Failures != 1 || f.LastError == "" {
		t.Errorf("failure after a pending 304 overwritten by it: %+v", f)
	}
}

// Stopping the scheduler writes the unchanged polls not yet recorded.
func TestSchedulerStopFlushesUnchangedPolls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(first, "a"))
	st := newStore(t)
	feed := addFeed(t, st, srv.URL+"/rss", "@every 24h")
	p := newPoller(st, first)
	if _, err := p.Poll(ctx, feed); err != nil { // the first poll
		t.Fatal(err)
	}
	later := first.Add(time.Hour)
	p.Now = func() time.Time { return later }
	s := NewScheduler(p, SchedulerOptions{})
	saved := make(chan storage.SaveResult, 1)
	s.OnSaved(func(res storage.SaveResult) { saved <- res })
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-saved:
		if !res.Unchanged {
			t.Fatalf("poll = %+v, want a 304", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no poll")
	}
	s.Stop()
	if f := reload(t, st, feed.ID); !f.LastSuccess.Equal(later) {
		t.Errorf("after Stop: last success %v, want %v", f.LastSuccess, later)
	}
}

// Keep-alive connections are reused across cycles when several workers
// poll feeds of one host at once.
func TestFetcherReusesConnectionsAcrossCycles(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A slow answer keeps every worker's request in flight at once,
		// as polls of real servers are.
		time.Sleep(2 * time.Millisecond)
		io.WriteString(w, `<rss version="2.0"><channel><title>x</title></channel></rss>`)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	cycle := func() {
		t.Helper()
		work := make(chan int)
		var wg sync.WaitGroup
		for range DefaultWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					if _, err := f.Fetch(context.Background(), fmt.Sprintf("%s/%d.rss", srv.URL, i), "", ""); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		for i := range 100 {
			work <- i
		}
		close(work)
		wg.Wait()
	}
	cycle()
	cycle()
	before := conns.Load()
	cycle()
	// With two idle connections per host, as before, every cycle opened
	// eight here (two of the four closed at each return); one or two may
	// still race a connection's return to the pool.
	if n := conns.Load() - before; n > 2 {
		t.Errorf("%d new connections in a cycle of 100 fetches by %d workers (opened %d in all)", n, DefaultWorkers, conns.Load())
	}
}
