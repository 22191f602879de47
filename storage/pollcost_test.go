package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestFeedToPollSkipsTheCountAndCarriesTheBodyHash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	items := []Item{item("g1", "https://a.example/1", "Tin một", now), item("g2", "https://a.example/2", "Tin hai", now)}
	if _, err := f.s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: now, ETag: `"e1"`, BodyHash: "abc"}); err != nil {
		t.Fatal(err)
	}
	full, err := f.s.Feed(ctx, f.politics.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.s.FeedToPoll(ctx, f.politics.ID)
	if err != nil {
		t.Fatal(err)
	}
	if full.Articles != 2 || got.Articles != 0 {
		t.Errorf("Articles: Feed %d (want 2), FeedToPoll %d (want 0: not counted)", full.Articles, got.Articles)
	}
	if got.BodyHash != "abc" {
		t.Errorf("BodyHash = %q, want abc", got.BodyHash)
	}
	// Everything else a poll reads is the same.
	full.Articles, full.BodyHash, got.BodyHash = 0, "", ""
	if got != full {
		t.Errorf("FeedToPoll = %+v\nFeed       = %+v", got, full)
	}
	if _, err := f.s.FeedToPoll(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown feed: err = %v, want ErrNotFound", err)
	}
}

func TestRecordUnchangedRecordsEveryPollInOneGo(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	if err := f.s.RecordFeedFailure(ctx, f.econ.ID, FeedFailure{At: at.Add(-time.Minute), Error: "lỗi", NextAttempt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	polls := []UnchangedPoll{
		{FeedID: f.politics.ID, At: at, ETag: `"p"`, LastModified: "Mon, 24 Aug 2026 01:00:00 GMT"},
		{FeedID: f.econ.ID, At: at, ETag: `"e"`},
		{FeedID: 999, At: at}, // deleted meanwhile: skipped
	}
	if err := f.s.RecordUnchanged(ctx, polls); err != nil {
		t.Fatal(err)
	}
	for _, p := range polls[:2] {
		feed, err := f.s.Feed(ctx, p.FeedID)
		if err != nil {
			t.Fatal(err)
		}
		if !feed.LastSuccess.Equal(at) || feed.ETag != p.ETag || feed.LastModified != p.LastModified ||
			feed.Failures != 0 || feed.LastError != "" || !feed.NextAttempt.IsZero() {
			t.Errorf("feed %d after RecordUnchanged: %+v", p.FeedID, feed)
		}
	}
	if err := f.s.RecordUnchanged(ctx, nil); err != nil {
		t.Errorf("no polls: %v", err)
	}
}

// Optimize gives the planner statistics (sqlite_stat1) and no STAT4
// samples.
func TestOptimizeKeepsStatisticsWithoutSamples(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	stats := func() int {
		var n int
		if err := f.s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return 0
		}
		if err := f.s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_stat1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	small := []Item{item("s", "https://a.example/s", "Tin nhỏ", now)}
	if _, err := f.s.SaveItems(ctx, f.politics.ID, small, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if n := stats(); n != 0 {
		t.Fatalf("statistics before Optimize: %d rows, want none", n)
	}
	var big []Item
	for i := range 1000 {
		big = append(big, item(fmt.Sprint("b", i), fmt.Sprintf("https://a.example/b/%d", i), fmt.Sprint("Tin lớn ", i), now))
	}
	res, err := f.s.SaveItems(ctx, f.politics.ID, big, SaveOptions{Now: now})
	if err != nil || res.New != len(big) {
		t.Fatalf("save = %+v, %v", res, err)
	}
	if err := f.s.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	if n := stats(); n == 0 {
		t.Error("no planner statistics after Optimize")
	}
	// No STAT4 samples: with them, prepared statements are compiled again
	// whenever their parameters change.
	var samples int
	f.s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'`).Scan(&samples)
	if samples > 0 {
		if err := f.s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_stat4`).Scan(&samples); err != nil {
			t.Fatal(err)
		}
	}
	if samples != 0 {
		t.Errorf("%d STAT4 samples kept", samples)
	}
}

// Articles written in one batch are all searchable, and the lookups of the
// next poll find every identity: the batched index and the one-statement
// lookup lose nothing.
func TestBatchedSaveIndexesAndFindsEveryItem(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var items []Item
	for i := range 30 {
		items = append(items, item(fmt.Sprint("g", i), fmt.Sprintf("https://a.example/%d", i), fmt.Sprintf("Đại hội Đảng lần %d", i), now))
	}
	if _, err := f.s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	found, err := f.s.Search(ctx, "dai hoi dang", "", 100, 0)
	if err != nil || len(found) != 30 {
		t.Fatalf("search found %d, %v; want 30", len(found), err)
	}
	// The same items under new guids (a rotating feed), one under a new
	// link with the same path and title, and one new.
	again := make([]Item, len(items))
	copy(again, items)
	for i := range again {
		again[i].GUID = fmt.Sprint("rotated-", i)
	}
	again[0].Link, again[0].Canonical = "https://a.example/0?utm=x", ""
	again = append(again, item("new", "https://a.example/new", "Tin mới", now))
	fresh, err := f.s.NewToFeed(ctx, f.politics.ID, again)
	if err != nil {
		t.Fatal(err)
	}
	for i, isNew := range fresh {
		if isNew != (i == len(again)-1) {
			t.Errorf("item %d (%s): new = %v", i, again[i].GUID, isNew)
		}
	}
	res, err := f.s.SaveItems(ctx, f.politics.ID, again, SaveOptions{Now: now})
	if err != nil || res.New != 1 || res.Enqueued != 2 {
		t.Errorf("second save = %+v, %v; want 1 new, queued for 2 chats", res, err)
	}
}
