package feeds

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsbot-vn/newsbot/storage"
)

const section = "thoi-su"

// newStore opens a store in a temp dir with one section.
func newStore(t *testing.T) *storage.Store {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, filepath.Join(t.TempDir(), "news.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.UpsertSection(ctx, storage.Section{Key: section, Name: "Thời sự"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// subscribe adds a chat subscribed to the section, so that new articles are queued.
func subscribe(t *testing.T, s *storage.Store) {
	t.Helper()
	ctx := context.Background()
	chat := storage.Chat{ChatRef: storage.ChatRef{Platform: "telegram", ID: "42"}}
	if err := s.TouchChat(ctx, chat); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscribe(ctx, chat.ChatRef, []string{section}); err != nil {
		t.Fatal(err)
	}
}

// feedXML is an RSS document with one item per name, dated at base minus i hours.
func feedXML(base time.Time, names ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title>`)
	for i, n := range names {
		fmt.Fprintf(&b, `<item><title>Tin %s</title><link>/tin/%s.html</link><description><![CDATA[<p>(Dân trí) - Nội dung %s. Câu thứ hai dài hơn một chút để thử cắt.</p>]]></description><pubDate>%s</pubDate></item>`,
			n, n, n, base.Add(-time.Duration(i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// feedServer serves feeds by path, with ETags and 304s; a path can be made
// to fail or to hold its answers until released.
type feedServer struct {
	*httptest.Server
	requests chan string // the path of every request, in order

	mu       sync.Mutex
	bodies   map[string]string
	status   map[string]int
	headers  map[string]http.Header
	gates    map[string]chan struct{}
	hits     map[string]int
	inFlight map[string]int
	maxIn    map[string]int
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	fs := &feedServer{
		requests: make(chan string, 1000),
		bodies:   map[string]string{}, status: map[string]int{}, headers: map[string]http.Header{}, gates: map[string]chan struct{}{},
		hits: map[string]int{}, inFlight: map[string]int{}, maxIn: map[string]int{},
	}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	fs.mu.Lock()
	fs.hits[p]++
	fs.inFlight[p]++
	fs.maxIn[p] = max(fs.maxIn[p], fs.inFlight[p])
	gate, status := fs.gates[p], fs.status[p]
	body, known := fs.bodies[p]
	for k, v := range fs.headers[p] {
		w.Header()[k] = v
	}
	fs.mu.Unlock()
	defer func() {
		fs.mu.Lock()
		fs.inFlight[p]--
		fs.mu.Unlock()
	}()
	fs.requests <- p
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if !known && status == 0 {
		status = http.StatusNotFound
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	h := sha1.New()
	io.WriteString(h, body) // no copy of a large body
	etag := `"` + hex.EncodeToString(h.Sum(nil)[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	io.WriteString(w, body)
}

func (fs *feedServer) set(path, body string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.bodies[path] = body
	fs.status[path] = 0
}

func (fs *feedServer) fail(path string, status int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.status[path] = status
}

// failWith makes path answer status with the given headers.
func (fs *feedServer) failWith(path string, status int, header http.Header) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.status[path] = status
	fs.headers[path] = header
}

// hold makes requests for path wait until the returned function is called.
func (fs *feedServer) hold(path string) (release func()) {
	gate := make(chan struct{})
	fs.mu.Lock()
	fs.gates[path] = gate
	fs.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			fs.mu.Lock()
			delete(fs.gates, path)
			fs.mu.Unlock()
			close(gate)
		})
	}
}

func (fs *feedServer) count(path string) (hits, maxInFlight int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.hits[path], fs.maxIn[path]
}

// waitRequest waits for a request for path.
func (fs *feedServer) waitRequest(t *testing.T, path string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case p := <-fs.requests:
			if p == path {
				return
			}
		case <-deadline:
			t.Fatalf("no request for %s", path)
		}
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// newPoller returns a poller over s whose clock stands at now, or runs when now is zero.
func newPoller(s *storage.Store, now time.Time) *Poller {
	p := &Poller{
		Store:   s,
		Fetcher: NewFetcher(FetcherOptions{AllowPrivate: true, Timeout: 5 * time.Second}),
		MaxAge:  24 * time.Hour,
	}
	if !now.IsZero() {
		p.Now = func() time.Time { return now }
	}
	return p
}

func addFeed(t *testing.T, s *storage.Store, url, schedule string) storage.Feed {
	t.Helper()
	f, err := s.AddFeed(context.Background(), url, section, schedule)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func reload(t *testing.T, s *storage.Store, id int64) storage.Feed {
	t.Helper()
	f, err := s.Feed(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPollLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	st := newStore(t)
	subscribe(t, st)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(now, "a", "b"))
	p := newPoller(st, now)
	feed := addFeed(t, st, srv.URL+"/rss", "")

	steps := []struct {
		name    string
		change  func()
		want    storage.SaveResult
		wantErr bool
		check   func(t *testing.T, f storage.Feed)
	}{
		{
			name: "first poll stores silently",
			want: storage.SaveResult{New: 2, First: true},
			check: func(t *testing.T, f storage.Feed) {
				if f.Title != "Báo Thử" || f.ETag == "" || f.PolledAt.IsZero() || f.Articles != 2 {
					t.Errorf("feed after first poll = %+v", f)
				}
			},
		},
		{
			name: "unchanged feed answers 304",
			want: storage.SaveResult{Unchanged: true},
		},
		{
			name:   "a new item is queued for the subscriber",
			change: func() { srv.set("/rss", feedXML(now, "c", "a", "b")) },
			want:   storage.SaveResult{New: 1, Enqueued: 1},
		},
		{
			name:   "an item older than MaxAge is stored but not queued",
			change: func() { srv.set("/rss", feedXML(now.Add(-48*time.Hour), "old")) },
			want:   storage.SaveResult{New: 1},
		},
		{
			name:    "a server error is recorded on the feed",
			change:  func() { srv.fail("/rss", http.StatusInternalServerError) },
			wantErr: true,
			check: func(t *testing.T, f storage.Feed) {
				if !strings.Contains(f.LastError, "500 Internal Server Error") || f.LastErrorAt.IsZero() {
					t.Errorf("last error = %q at %v", f.LastError, f.LastErrorAt)
				}
			},
		},
		{
			name:    "an HTML page is recorded as not a feed",
			change:  func() { srv.set("/rss", "<!doctype html><html><body>Bảo trì</body></html>") },
			wantErr: true,
			check: func(t *testing.T, f storage.Feed) {
				if !strings.HasPrefix(f.LastError, "feeds: not a feed: ") {
					t.Errorf("last error = %q", f.LastError)
				}
			},
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.change != nil {
				step.change()
			}
			res, err := p.Poll(ctx, reload(t, st, feed.ID))
			if (err != nil) != step.wantErr {
				t.Fatalf("Poll err = %v", err)
			}
			if counts(res) != step.want {
				t.Errorf("result = %+v, want %+v", res, step.want)
			}
			if step.check != nil {
				step.check(t, reload(t, st, feed.ID))
			}
		})
	}

	due, err := st.DueDeliveries(ctx, now.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Article == nil {
		t.Fatalf("due deliveries = %+v, want the one new article", due)
	}
	a := due[0].Article
	if a.Title != "Tin c" || a.Link != srv.URL+"/tin/c.html" || a.Summary != "Nội dung c. Câu thứ hai dài hơn một chút để thử cắt." {
		t.Errorf("queued article = %+v", a)
	}
}

func TestPollSummaryLength(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(now, "a"))
	p := newPoller(st, now)
	p.SummaryChars = 30
	parsed, _, err := p.Probe(ctx, srv.URL+"/rss")
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Items[0].Summary; got != "Nội dung a." {
		t.Errorf("summary = %q", got)
	}
	if n := utf8.RuneCountInString(parsed.Items[0].Summary); n > 30 {
		t.Errorf("summary of %d characters", n)
	}
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	srv := newFeedServer(t)
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	srv.set("/rss", feedXML(now, "a", "b"))
	srv.set("/page", "<!DOCTYPE html><html><head><title>Báo</title></head><body></body></html>")
	srv.fail("/gone", http.StatusGone)
	p := newPoller(st, now)

	parsed, resp, err := p.Probe(ctx, srv.URL+"/rss")
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Title != "Báo Thử" || len(parsed.Items) != 2 || resp.ETag == "" {
		t.Errorf("probe = %+v, %+v", parsed, resp)
	}
	feeds, err := st.Feeds(ctx)
	if err != nil || len(feeds) != 0 {
		t.Errorf("probe stored something: %v %v", feeds, err)
	}

	tests := []struct {
		path  string
		check func(error) bool
	}{
		{"/page", func(err error) bool { return errors.Is(err, ErrNotFeed) }},
		{"/gone", func(err error) bool { return err != nil && strings.Contains(err.Error(), "410 Gone") }},
	}
	for _, tt := range tests {
		if _, _, err := p.Probe(ctx, srv.URL+tt.path); !tt.check(err) {
			t.Errorf("Probe(%s) err = %v", tt.path, err)
		}
	}
}

// A poll cut short by shutdown is not the feed's fault and is not recorded.
func TestPollCancelledIsNotRecorded(t *testing.T) {
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(time.Now(), "a"))
	release := srv.hold("/rss")
	defer release()
	feed := addFeed(t, st, srv.URL+"/rss", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := newPoller(st, time.Now()).Poll(ctx, feed)
		done <- err
	}()
	srv.waitRequest(t, "/rss")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if f := reload(t, st, feed.ID); f.LastError != "" {
		t.Errorf("recorded %q", f.LastError)
	}
}

// counts is a save result without its timing (batches, longest batch),
// for comparing what was saved.
func counts(res storage.SaveResult) storage.SaveResult {
	res.Batches, res.LongestBatch = 0, 0
	return res
}
