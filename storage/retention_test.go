package storage

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

const testRetention = 180 * 24 * time.Hour

// smallBatches makes every retention step start with batches of one row
// (growing from there), without pauses, for the length of the test.
func smallBatches(t *testing.T) {
	t.Helper()
	first, yield := pruneBatchFirst, pruneYield
	pruneBatchFirst, pruneYield = 1, 0
	t.Cleanup(func() { pruneBatchFirst, pruneYield = first, yield })
}

func count(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func markAll(t *testing.T, s *Store, state string) {
	t.Helper()
	if _, err := s.db.Exec(`UPDATE deliveries SET state = ? WHERE state = 'pending'`, state); err != nil {
		t.Fatal(err)
	}
}

// TestPruneRemovesOldKeepsRecentAndPending: retention removes old articles
// with their search rows, feed items and deliveries, and old finished
// deliveries; it keeps recent articles, every pending delivery (and the
// article it waits for), and the counters /stats reads stay right.
func TestPruneRemovesOldKeepsRecentAndPending(t *testing.T) {
	ctx := context.Background()
	smallBatches(t)
	f := newFixture(t)
	s := f.s
	s.SetRetention(testRetention)
	now := time.Date(2026, 8, 20, 10, 0, 0, 0, time.UTC)
	t0 := now.Add(-200 * 24 * time.Hour)

	old := item("a", "https://a.example/a", "Lũ quét ở Lào Cai", t0)
	undated := Item{GUID: "u", Link: "https://a.example/u", Canonical: "https://a.example/u", Title: "Thông báo không ngày", Summary: "Không có ngày đăng"}
	if _, err := s.SaveItems(ctx, f.politics.ID, []Item{old, undated}, SaveOptions{Now: t0}); err != nil {
		t.Fatal(err)
	}
	sent := item("s", "https://a.example/s", "Bão số 3 đổ bộ", t0.Add(time.Hour))
	if res, err := s.SaveItems(ctx, f.politics.ID, []Item{old, undated, sent}, SaveOptions{Now: t0.Add(time.Hour)}); err != nil || res.Enqueued != 2 {
		t.Fatalf("second poll: %+v %v", res, err)
	}
	markAll(t, s, "sent")
	waiting := item("w", "https://a.example/w", "Giá xăng giảm", t0.Add(2*time.Hour))
	if res, err := s.SaveItems(ctx, f.politics.ID, []Item{waiting}, SaveOptions{Now: t0.Add(2 * time.Hour)}); err != nil || res.Enqueued != 2 {
		t.Fatalf("third poll: %+v %v", res, err)
	}
	// An old broadcast, sent: a finished delivery with no article.
	if _, err := s.EnqueueBroadcast(ctx, "Thông báo bảo trì"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE deliveries SET state = 'sent', created_at = ? WHERE article_id IS NULL`, t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	recent := item("r", "https://a.example/r", "Khai mạc hội chợ", now.Add(-time.Hour))
	if res, err := s.SaveItems(ctx, f.econ.ID, []Item{recent}, SaveOptions{Now: now.Add(-2 * time.Hour)}); err != nil || !res.First {
		t.Fatal(err)
	}
	if res, err := s.SaveItems(ctx, f.econ.ID, []Item{item("r2", "https://b.example/r2", "Xuất khẩu gạo tăng", now.Add(-time.Hour))},
		SaveOptions{Now: now.Add(-time.Hour)}); err != nil || res.Enqueued != 2 {
		t.Fatalf("recent poll: %+v %v", res, err)
	}
	// A recent sent delivery stays too.
	if _, err := s.db.Exec(`UPDATE deliveries SET state = 'sent' WHERE id = (SELECT max(id) FROM deliveries)`); err != nil {
		t.Fatal(err)
	}
	checkOutbox(t, s, now, "before prune")
	pendingBefore, _ := s.PendingCount(ctx)

	res, err := s.Prune(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	// Gone: the three old articles no delivery waits for (with their two
	// sent deliveries), the two old sent deliveries and the old broadcast's three rows.
	if res.Articles != 3 || res.Deliveries != 5 {
		t.Errorf("prune: %+v; want 3 articles and 5 old finished deliveries (2 sent alerts, 3 broadcast rows)", res)
	}
	if res.Batches < 10 {
		t.Errorf("prune took %d batches, starting with batches of one; want several per step", res.Batches)
	}
	checkOutbox(t, s, now, "after prune")
	if n, _ := s.PendingCount(ctx); n != pendingBefore || n != 3 {
		t.Errorf("pending after prune: %d, want %d (the waiting article's two, the recent one's)", n, pendingBefore)
	}
	latest, err := s.Latest(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range latest {
		got = append(got, a.Title)
	}
	if want := []string{"Xuất khẩu gạo tăng", "Khai mạc hội chợ", "Giá xăng giảm"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("articles after prune: %q, want %q", got, want)
	}
	if hits, err := s.Search(ctx, "lũ quét", "", 10, 0); err != nil || len(hits) != 0 {
		t.Errorf("a pruned article is still found: %+v %v", hits, err)
	}
	if hits, err := s.Search(ctx, "giá xăng", "", 10, 0); err != nil || len(hits) != 1 {
		t.Errorf("a kept article is not found: %+v %v", hits, err)
	}
	for what, q := range map[string]string{
		"search rows":      `SELECT count(*) FROM articles_fts`,
		"feed items":       `SELECT count(*) FROM feed_items`,
		"article sections": `SELECT count(DISTINCT article_id) FROM article_sections`,
	} {
		if n := count(t, s, q); n != 3 {
			t.Errorf("%s after prune: %d, want 3 (one per kept article)", what, n)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM deliveries WHERE state = 'sent'`); n != 1 {
		t.Errorf("sent deliveries after prune: %d, want the recent one", n)
	}
	st, err := s.Stats(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if st.Articles != 3 || st.QueueDepth != 3 || st.DBBytes <= 0 || st.Retention != testRetention || !st.LastPrune.Equal(now) || st.LastPruned.Articles != 3 {
		t.Errorf("stats after prune: %+v", st)
	}

	// A second pass finds nothing more.
	if res, err := s.Prune(ctx, now); err != nil || res.Articles+res.Deliveries != 0 {
		t.Errorf("second prune: %+v %v", res, err)
	}
	// Once its delivery is sent and old, the waiting article goes too.
	markAll(t, s, "sent")
	if res, err := s.Prune(ctx, now); err != nil || res.Articles != 1 || res.Deliveries != 2 {
		t.Errorf("prune after the waiting article was sent: %+v %v", res, err)
	}
	checkOutbox(t, s, now, "after the last prune")
}

// TestPrunedItemNeverAlertedAgain: a feed that still serves items whose
// articles were pruned — dated or undated, under the same guid or a
// rotated one with tracking parameters, with no max age at all — alerts
// none of them again, stores none again, and NewToFeed calls them known.
func TestPrunedItemNeverAlertedAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	s.SetRetention(testRetention)
	now := time.Date(2026, 8, 20, 10, 0, 0, 0, time.UTC)
	t0 := now.Add(-200 * 24 * time.Hour)

	dated := item("https://a.example/d", "https://a.example/d", "Khánh thành cầu mới", t0)
	undated := Item{GUID: "u-1", Link: "https://a.example/u", Canonical: "https://a.example/u", Title: "Lịch cắt điện", Summary: "Không ngày"}
	if _, err := s.SaveItems(ctx, f.politics.ID, []Item{dated}, SaveOptions{Now: t0}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.SaveItems(ctx, f.politics.ID, []Item{dated, undated}, SaveOptions{Now: t0.Add(time.Hour)}); err != nil || res.Enqueued != 2 {
		t.Fatalf("undated item: %+v %v", res, err)
	}
	markAll(t, s, "sent")
	if res, err := s.Prune(ctx, now); err != nil || res.Articles != 2 {
		t.Fatalf("prune: %+v %v", res, err)
	}

	// The same items, and the same items under rotated guids with a
	// tracking parameter on their links (their canonical links and link
	// keys are unchanged).
	rotated := dated
	rotated.GUID, rotated.Link = "https://a.example/d?utm_source=rss#1", "https://a.example/d?utm_source=rss"
	rotatedUndated := undated
	rotatedUndated.GUID, rotatedUndated.Link, rotatedUndated.Canonical = "u-2", "https://a.example/u?ref=home", ""
	again := []Item{dated, undated, rotated, rotatedUndated}
	known, err := s.NewToFeed(ctx, f.politics.ID, again)
	if err != nil {
		t.Fatal(err)
	}
	for i, isNew := range known {
		if isNew {
			t.Errorf("NewToFeed calls pruned item %d (%s) new", i, again[i].GUID)
		}
	}
	articles := count(t, s, `SELECT count(*) FROM articles`)
	res, err := s.SaveItems(ctx, f.politics.ID, again, SaveOptions{Now: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 0 || res.Enqueued != 0 {
		t.Errorf("pruned items came back as new: %+v", res)
	}
	if n := count(t, s, `SELECT count(*) FROM articles`); n != articles {
		t.Errorf("pruned items stored again: %d articles, was %d", n, articles)
	}
	if n, _ := s.PendingCount(ctx); n != 0 {
		t.Errorf("%d deliveries queued for pruned items", n)
	}

	// A new item after all that is alerted as usual.
	fresh := item("z", "https://a.example/z", "Tin mới nhất", now.Add(2*time.Minute))
	if res, err := s.SaveItems(ctx, f.politics.ID, append(again, fresh), SaveOptions{Now: now.Add(2 * time.Minute)}); err != nil || res.New != 1 || res.Enqueued != 2 {
		t.Errorf("a new item beside pruned ones: %+v %v", res, err)
	}
	checkOutbox(t, s, now.Add(time.Hour), "after the pruned items came back")
}

// TestPrunedIdentityLivesWhileServed: a pruned item's identity is kept as
// long as its feed keeps serving it, and forgotten a retention period after
// the feed last did.
func TestPrunedIdentityLivesWhileServed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	s.SetRetention(testRetention)
	now := time.Date(2026, 8, 20, 10, 0, 0, 0, time.UTC)
	t0 := now.Add(-200 * 24 * time.Hour)
	served := item("kept", "https://a.example/kept", "Vẫn còn trong nguồn", t0)
	gone := item("gone", "https://a.example/gone", "Đã rời nguồn", t0)
	if _, err := s.SaveItems(ctx, f.politics.ID, []Item{served, gone}, SaveOptions{Now: t0}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Prune(ctx, now); err != nil || res.Articles != 2 {
		t.Fatalf("prune: %+v %v", res, err)
	}
	// The feed serves one of them, now and then, for another 200 days.
	for day := 30; day <= 200; day += 30 {
		at := now.Add(time.Duration(day) * 24 * time.Hour)
		if res, err := s.SaveItems(ctx, f.politics.ID, []Item{served}, SaveOptions{Now: at}); err != nil || res.New != 0 {
			t.Fatalf("day %d: %+v %v", day, res, err)
		}
	}
	later := now.Add(200 * 24 * time.Hour)
	res, err := s.Prune(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	// Three keys (guid, canonical link, link and title) of the item that left.
	if res.Forgotten != 3 {
		t.Errorf("forgotten identities: %d, want the 3 of the item no longer served (%+v)", res.Forgotten, res)
	}
	if isNew, err := s.NewToFeed(ctx, f.politics.ID, []Item{served, gone}); err != nil || isNew[0] || !isNew[1] {
		t.Errorf("after forgetting: new = %v (%v); want the served item known, the one that left new", isNew, err)
	}
	// Deleting the feed forgets its identities.
	if err := s.DeleteFeed(ctx, f.politics.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM pruned_items`); n != 0 {
		t.Errorf("%d identities outlive their feed", n)
	}
}

// TestPruneOff: with retention off nothing is pruned but housekeeping
// (handled updates, unused searches).
func TestPruneOff(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	now := time.Now().UTC()
	t0 := now.Add(-400 * 24 * time.Hour)
	if _, err := s.SaveItems(ctx, f.politics.ID, []Item{item("a", "https://a.example/a", "Cũ lắm rồi", t0)}, SaveOptions{Now: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordUpdate(ctx, InboxUpdate{Platform: "telegram", ID: "1", Body: []byte("{}"), Received: t0}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE inbox SET handled_at = ?`, t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO search_queries(key, query, section, used_at) VALUES (1, 'lũ', '', ?)`, t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	s.SetRetention(0)
	res, err := s.Prune(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Articles != 0 || res.Other != 2 {
		t.Errorf("prune with retention off: %+v; want no article, the handled update and the old search", res)
	}
	if st, err := s.Stats(ctx, now); err != nil || st.Articles != 1 || st.Retention != 0 {
		t.Errorf("stats: %+v %v", st, err)
	}
}

// TestSmallStoreSwitchedToIncrementalVacuum: a file created without
// incremental auto_vacuum (every file: SQLite sets it before the first
// table only) is switched by the first retention pass while it is small,
// and the pass gives freed pages back.
func TestSmallStoreSwitchedToIncrementalVacuum(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	if n := count(t, s, `PRAGMA auto_vacuum`); n != 0 {
		t.Fatalf("auto_vacuum of a new store = %d, want 0 before the first pass", n)
	}
	s.SetRetention(testRetention)
	if _, err := s.Prune(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `PRAGMA auto_vacuum`); n != 2 {
		t.Fatalf("auto_vacuum after a pass over a small store = %d, want 2 (incremental)", n)
	}
	t0 := time.Now().Add(-400 * 24 * time.Hour)
	items := make([]Item, 300)
	for i := range items {
		link := fmt.Sprintf("https://a.example/%d", i)
		items[i] = item(link, link, fmt.Sprintf("Bài %d", i), t0)
		items[i].Summary = strings.Repeat("Nội dung dài. ", 50)
	}
	if _, err := s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: t0}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(ctx, time.Now())
	if err != nil || res.Articles != 300 || res.FreedPages == 0 {
		t.Fatalf("prune: %+v %v; want 300 articles and pages given back", res, err)
	}
	if free := count(t, s, `PRAGMA freelist_count`); free != 0 {
		t.Errorf("%d free pages left after the pass", free)
	}
}

// TestFileSizeLevelsOff: under a steady load (articles a day, delivered to
// a few chats), daily retention keeps the file from growing: once the
// retention period is full, the size stays where it is.
func TestFileSizeLevelsOff(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	const days, perDay, keepDays = 10, 120, 3
	s.SetRetention(keepDays * 24 * time.Hour)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	body := strings.Repeat("Tỉnh Lào Cai tổ chức hội nghị tổng kết công tác năm. ", 12)
	var path string
	if err := s.db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	var longest time.Duration
	for day := range days {
		at := start.Add(time.Duration(day) * 24 * time.Hour)
		items := make([]Item, perDay)
		for i := range items {
			link := fmt.Sprintf("https://a.example/%d/%d", day, i)
			items[i] = item(link, link, fmt.Sprintf("Bài %d ngày %d", i, day), at)
			items[i].Summary = body
		}
		if _, err := s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: at}); err != nil {
			t.Fatal(err)
		}
		markAll(t, s, "sent")
		res, err := s.Prune(ctx, at.Add(23*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		longest = max(longest, res.LongestBatch)
		if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, info.Size())
		if free := count(t, s, `PRAGMA freelist_count`); free != 0 {
			t.Errorf("day %d: %d free pages left after the pass", day, free)
		}
	}
	t.Logf("file size by day (KB): %v; longest batch %s", kb(sizes), longest)
	// From day keepDays+1 the store holds keepDays days. Steady state: no
	// later day is more than 5 % above the first full one (without the
	// search index's merges it grew by a third before FTS5 folded its
	// tombstones; without retention it grows by a day's size a day).
	steady := sizes[keepDays+1]
	for day := keepDays + 2; day < days; day++ {
		if float64(sizes[day]) > 1.05*float64(steady) {
			t.Errorf("day %d: file %d KB, above the steady %d KB: it keeps growing (%v)", day, sizes[day]/1024, steady/1024, kb(sizes))
		}
	}
}

func kb(sizes []int64) []int64 {
	out := make([]int64, len(sizes))
	for i, s := range sizes {
		out[i] = s / 1024
	}
	return out
}

func TestAdaptBatch(t *testing.T) {
	for _, tc := range []struct {
		name        string
		limit       int
		took        time.Duration
		most, least int // bounds of the answer
	}{
		{"fast grows by half", 100, time.Millisecond, 150, 150},
		{"one row grows", 1, time.Millisecond, 2, 2},
		{"on target stays", 100, pruneBatchTime, 100, 100},
		{"twice too slow halves", 100, 2 * pruneBatchTime, 50, 50},
		{"far too slow quarters", 100, 40 * pruneBatchTime, 25, 25},
		{"never below one", 2, time.Second, 1, 1},
		{"capped", 4000, time.Microsecond, 5000, 5000},
	} {
		if got := adapt(tc.limit, tc.took, 5000); got < tc.least || got > tc.most {
			t.Errorf("%s: adapt(%d, %s) = %d, want %d–%d", tc.name, tc.limit, tc.took, got, tc.least, tc.most)
		}
	}
}
