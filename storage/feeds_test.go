package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestNormalizeFeedURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://vnexpress.net/rss/thoi-su.rss", "https://vnexpress.net/rss/thoi-su.rss"},
		{"https://vnexpress.net/rss/thoi-su.rss#top", "https://vnexpress.net/rss/thoi-su.rss"},
		{"https://vnexpress.net/rss/thoi-su.rss?", "https://vnexpress.net/rss/thoi-su.rss"},
		{"https://vnexpress.net//rss//thoi-su.rss", "https://vnexpress.net/rss/thoi-su.rss"},
		{"  HTTPS://VnExpress.NET.:443/rss/thoi-su.rss  ", "https://vnexpress.net/rss/thoi-su.rss"},
		{"http://example.com", "http://example.com/"},
		{"http://example.com:8080/a?b=1&a=2", "http://example.com:8080/a?b=1&a=2"}, // a feed's query is kept, in order
		{"http://user:pw@example.com/feed", "http://user:pw@example.com/feed"},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		if got := NormalizeFeedURL(tt.in); got != tt.want {
			t.Errorf("NormalizeFeedURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAddFeedSpellingsAreOneFeed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, spelling := range []string{"https://a.example/rss#x", "https://a.example/rss?", "https://a.example//rss", "HTTPS://A.EXAMPLE/rss"} {
		feed, err := f.s.AddFeed(ctx, spelling, "chinh-tri", "")
		if err != nil {
			t.Fatal(err)
		}
		if feed.ID != f.politics.ID {
			t.Errorf("AddFeed(%q) made feed %d, want the existing %d", spelling, feed.ID, f.politics.ID)
		}
		if got, err := f.s.FeedByURL(ctx, spelling); err != nil || got.ID != f.politics.ID {
			t.Errorf("FeedByURL(%q) = %d, %v", spelling, got.ID, err)
		}
	}
	feeds, _ := f.s.Feeds(ctx)
	if len(feeds) != 2 {
		t.Errorf("%d feeds, want 2", len(feeds))
	}
}

func TestFeedFailuresBackoffPauseAndResume(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := f.politics.ID
	for i := 1; i <= 3; i++ {
		err := f.s.RecordFeedFailure(ctx, id, FeedFailure{At: now, Error: fmt.Sprintf("lỗi %d", i),
			NextAttempt: now.Add(time.Duration(i) * time.Minute), Pause: i == 3})
		if err != nil {
			t.Fatal(err)
		}
	}
	feed, _ := f.s.Feed(ctx, id)
	if feed.Failures != 3 || !feed.NextAttempt.Equal(now.Add(3*time.Minute)) || !feed.Paused || feed.LastError != "lỗi 3" {
		t.Errorf("after 3 failures: failures %d, next %v, paused %v, error %q", feed.Failures, feed.NextAttempt, feed.Paused, feed.LastError)
	}
	// A failure recorded later does not un-pause.
	f.s.RecordFeedFailure(ctx, id, FeedFailure{At: now, Error: "x"})
	if feed, _ = f.s.Feed(ctx, id); !feed.Paused {
		t.Error("a later failure un-paused the feed")
	}

	resumed, err := f.s.ResumeFeed(ctx, id)
	if err != nil || resumed.Paused || resumed.Failures != 0 || !resumed.NextAttempt.IsZero() {
		t.Errorf("ResumeFeed = %+v, %v", resumed, err)
	}
	if _, err := f.s.ResumeFeed(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("ResumeFeed(999) = %v, want ErrNotFound", err)
	}
	if err := f.s.RecordFeedFailure(ctx, 999, FeedFailure{At: now}); !errors.Is(err, ErrNotFound) {
		t.Errorf("RecordFeedFailure(999) = %v, want ErrNotFound", err)
	}

	// A success, polled or 304, forgets the failures.
	for name, succeed := range map[string]func() error{
		"poll": func() error { _, err := f.s.SaveItems(ctx, id, nil, SaveOptions{Now: now}); return err },
		"304":  func() error { return f.s.RecordNotModified(ctx, id, now) },
	} {
		f.s.RecordFeedFailure(ctx, id, FeedFailure{At: now, Error: "x", NextAttempt: now.Add(time.Hour)})
		if err := succeed(); err != nil {
			t.Fatal(err)
		}
		if feed, _ = f.s.Feed(ctx, id); feed.Failures != 0 || !feed.NextAttempt.IsZero() || feed.LastError != "" {
			t.Errorf("after a %s: failures %d, next %v, error %q", name, feed.Failures, feed.NextAttempt, feed.LastError)
		}
	}
}

// floodItems returns n items of the feed at host, item i published i
// minutes before now.
func floodItems(host string, n int, now time.Time) []Item {
	items := make([]Item, n)
	for i := range items {
		link := fmt.Sprintf("https://%s/tin-%d.html", host, i)
		items[i] = item(link, link, fmt.Sprintf("Tin số %d", i), now.Add(-time.Duration(i)*time.Minute))
	}
	return items
}

func TestSaveItemsFloodPushesOnlyTheNewest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	f.s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{Now: now}) // the silent first poll
	items := floodItems("a.example", 2000, now)
	res, err := f.s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: now, MaxAge: 7 * 24 * time.Hour, MaxPush: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 2000 || res.Withheld != 1950 || res.Enqueued != 100 { // 50 items × 2 chats
		t.Errorf("result %+v, want 2000 new, 1950 withheld, 100 enqueued", res)
	}
	got := pendingTitles(t, f.s, f.a)
	if len(got) != 50 {
		t.Fatalf("chat a has %d alerts, want 50", len(got))
	}
	// The newest 50 (items 0–49), sent oldest first.
	for i, title := range got {
		if want := fmt.Sprintf("Tin số %d", 49-i); title != want {
			t.Errorf("alert %d = %q, want %q", i, title, want)
			break
		}
	}
	// The rest are stored and searchable.
	found, err := f.s.Search(ctx, "Tin số 1999", "", 5, 0)
	if err != nil || len(found) == 0 {
		t.Errorf("the oldest item is not searchable: %v, %v", found, err)
	}

	// A small poll is not held back.
	res, _ = f.s.SaveItems(ctx, f.politics.ID, floodItems("a.example", 2003, now)[2000:], SaveOptions{Now: now, MaxPush: 50})
	if res.New != 3 || res.Withheld != 0 || res.Enqueued != 6 {
		t.Errorf("small poll: %+v", res)
	}
}

func TestSaveItemsLargePollIsWrittenInBatches(t *testing.T) {
	old := saveBatchItems
	saveBatchItems = 100
	t.Cleanup(func() { saveBatchItems = old })

	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	f.s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{Now: now})
	items := floodItems("a.example", 3000, now)

	done := make(chan SaveResult, 1)
	finished := make(chan struct{})
	t.Cleanup(func() { <-finished }) // the store closes only after the save
	go func() {
		defer close(finished)
		res, err := f.s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: now, MaxPush: 50})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	// Once the first batch is in, another writer gets the lock between
	// batches, long before the poll is written.
	deadline := time.Now().Add(60 * time.Second) // generous: -race on a busy machine
	for {
		var n int
		f.s.db.QueryRow(`SELECT count(*) FROM feed_items WHERE feed_id = ?`, f.politics.ID).Scan(&n)
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no batch committed")
		}
		time.Sleep(time.Millisecond)
	}
	if err := f.s.TouchChat(ctx, Chat{ChatRef: ChatRef{"telegram", "99"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Error("a write waited for the whole poll")
	default:
	}
	res := <-done
	if res.Batches < 30 || res.New != 3000 || res.Enqueued != 100 {
		t.Errorf("result %+v, want ≥ 30 batches, 3000 new, 100 enqueued", res)
	}
	t.Logf("3000 items: %d batches, longest %v", res.Batches, res.LongestBatch)
}

func TestSaveItemsRecognisesRotatingGUIDsAndTracking(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	f.s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{Now: now})
	first := Item{GUID: "g-1", Link: "https://a.example/tin.html?utm_source=rss&ref=abc", Canonical: "https://a.example/tin.html?ref=abc",
		Title: "Đà Nẵng mở tuyến buýt mới", Published: now}
	res, err := f.s.SaveItems(ctx, f.politics.ID, []Item{first}, SaveOptions{Now: now})
	if err != nil || res.New != 1 {
		t.Fatalf("first sight: %+v, %v", res, err)
	}
	tests := []struct {
		name string
		it   Item
		new  bool
	}{
		{"new guid, same canonical link", Item{GUID: "g-2", Link: first.Link, Canonical: first.Canonical, Title: "Tiêu đề đã sửa"}, false},
		{"new guid and tracking, same path and title", Item{GUID: "g-3", Link: "https://A.example/tin.html?ref=xyz", Canonical: "https://a.example/tin.html?ref=xyz",
			Title: "  đà nẵng MỞ tuyến buýt mới "}, false},
		{"same path, other title", Item{GUID: "g-4", Link: "https://a.example/tin.html?id=2", Canonical: "https://a.example/tin.html?id=2", Title: "Tin khác hẳn"}, true},
		{"same title, other path", Item{GUID: "g-5", Link: "https://a.example/tin-2.html", Canonical: "https://a.example/tin-2.html", Title: first.Title}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.it.Published = now
			fresh, err := f.s.NewToFeed(ctx, f.politics.ID, []Item{tt.it})
			if err != nil || fresh[0] != tt.new {
				t.Errorf("NewToFeed = %v, %v, want %v", fresh, err, tt.new)
			}
			res, err := f.s.SaveItems(ctx, f.politics.ID, []Item{tt.it}, SaveOptions{Now: now})
			if err != nil || (res.New == 1) != tt.new {
				t.Errorf("SaveItems = %+v, %v, want new %v", res, err, tt.new)
			}
			// Seen again under its new guid: never new a second time.
			if res, _ := f.s.SaveItems(ctx, f.politics.ID, []Item{tt.it}, SaveOptions{Now: now}); res.New != 0 {
				t.Errorf("second sight is new: %+v", res)
			}
		})
	}
	if got := len(pendingTitles(t, f.s, f.a)); got != 3 { // the first and the two really new ones
		t.Errorf("chat a has %d alerts, want 3", got)
	}
}

// pendingTitles lists the titles of the chat's pending alerts, in order.
func pendingTitles(t *testing.T, s *Store, chat ChatRef) []string {
	t.Helper()
	ds, err := s.PendingFor(context.Background(), chat, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Article.Title)
	}
	return out
}
