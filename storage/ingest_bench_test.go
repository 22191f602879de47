package storage

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchFullEnv set to 1 runs the benchmarks at every size, building (once,
// then kept in the temp folder) a store of 1 000 000 articles; without it
// only the smallest sizes run, cheaply enough for CI (-benchtime=1x).
const benchFullEnv = "NEWSBOT_BENCH_FULL"

// ingestBatch is the items one SaveItems of the ingest benchmark stores:
// a feed's poll of new items.
const ingestBatch = 100

// BenchmarkIngest stores new items, ingestBatch per poll, into a store of
// 0 (and, in full, 1 000 000) articles with one subscribed chat: each new
// item is an article, its feed item, its search entry and one delivery.
// Reported: items a second.
func BenchmarkIngest(b *testing.B) {
	sizes := []int{0}
	if os.Getenv(benchFullEnv) == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, stored := range sizes {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) { benchIngest(b, stored) })
	}
}

// openBenchStore opens a new store, or the kept store of stored articles
// (bigStore), closed when the benchmark ends.
func openBenchStore(b *testing.B, stored int) *Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "news.db")
	if stored > 0 {
		path = bigStore(b, stored)
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchIngest(b *testing.B, stored int) {
	ctx := context.Background()
	s := openBenchStore(b, stored)
	feeds := benchFeeds(b, s)
	// Unique across runs on the kept big store.
	run := time.Now().UnixNano()
	now := time.Now().UTC()
	var items int
	cpu := cpuTime()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		batch := make([]Item, ingestBatch)
		for k := range batch {
			n := i*ingestBatch + k
			link := fmt.Sprintf("https://bao.example/r%d/tin-%d.html", run, n)
			batch[k] = Item{
				GUID: link, Link: link, Canonical: link,
				Title:     fmt.Sprintf("Tỉnh triển khai kế hoạch số %d về phát triển kinh tế - xã hội", n),
				Summary:   "Sáng 1/8, UBND tỉnh tổ chức hội nghị triển khai kế hoạch. Theo báo cáo, 6 tháng đầu năm tổng sản phẩm trên địa bàn tăng 7,5% so với cùng kỳ.",
				Published: now.Add(-time.Duration(ingestBatch-k) * time.Second),
			}
		}
		res, err := s.SaveItems(ctx, feeds[i%len(feeds)], batch, SaveOptions{Now: now})
		if err != nil {
			b.Fatal(err)
		}
		if res.New != ingestBatch || res.Enqueued != ingestBatch {
			b.Fatalf("save = %+v, want %d new and enqueued", res, ingestBatch)
		}
		items += res.New
		i++
	}
	cpu = cpuTime() - cpu
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
	// On a shared machine the wall clock counts other processes' turns;
	// CPU time counts this one's work only.
	b.ReportMetric(float64(items)/cpu.Seconds(), "items/cpu-s")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchFeeds makes sure the store has the benchmark's section, ten feeds
// already polled once, and one subscribed chat, and returns the feeds.
func benchFeeds(b *testing.B, s *Store) []int64 {
	b.Helper()
	ctx := context.Background()
	if err := s.UpsertSection(ctx, Section{Key: "thoi-su", Name: "Thời sự"}); err != nil {
		b.Fatal(err)
	}
	chat := ChatRef{Platform: "telegram", ID: "42"}
	if err := s.TouchChat(ctx, Chat{ChatRef: chat}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Subscribe(ctx, chat, []string{"thoi-su"}); err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for i := range 10 {
		f, err := s.AddFeed(ctx, fmt.Sprintf("https://bao.example/%d.rss", i), "thoi-su", "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.SaveItems(ctx, f.ID, nil, SaveOptions{}); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	return ids
}

// bigStore returns the path of a store holding n articles spread over
// the ten benchmark feeds, each with its feed item and search entry; it is
// built with bulk SQL the first time and kept in the temp folder, under a
// name that changes with the schema, for later runs.
func bigStore(b *testing.B, n int) string {
	b.Helper()
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	dir := filepath.Join(os.TempDir(), "newsbot-bench")
	path := filepath.Join(dir, fmt.Sprintf("store-%d-m%d-v2.db", n, len(names)))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	ctx := context.Background()
	tmp := path + ".building"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	start := time.Now()
	s, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	feeds := benchFeeds(b, s)
	base := time.Now().Add(-365 * 24 * time.Hour).UnixMilli()
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
			INSERT INTO articles(id, feed_id, canonical, link, title, summary, published_at, seen_at)
			SELECT i, %d + i %% 10, 'https://bao.example/cu/' || i || '.html', 'https://bao.example/cu/' || i || '.html',
				'Tin cũ số ' || i || ' về ' || (CASE i %% 4 WHEN 0 THEN 'giáo dục' WHEN 1 THEN 'kinh tế' WHEN 2 THEN 'thời sự' ELSE 'văn hóa' END),
				'Tóm tắt của tin số ' || i || ', đủ dài để giống một sapo của báo điện tử Việt Nam hôm nay.',
				%d + i * 30000, %d + i * 30000 FROM seq`, n, feeds[0], base, base),
		`INSERT INTO feed_items(feed_id, guid, article_id, seen_at, link_key, title_key)
			SELECT feed_id, link, id, seen_at, substr(link, 9), lower(title) FROM articles`,
		// Lower-cased text stands for both the exact and the folded
		// columns: SQL cannot fold accents, and ingest only needs the index
		// to be as big as a real one.
		`INSERT INTO articles_fts(rowid, title, summary, body, title_f, summary_f, body_f)
			SELECT id, lower(title), lower(summary), '', lower(title), lower(summary), '' FROM articles`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			b.Fatalf("build big store: %v\n%s", err, strings.TrimSpace(q[:min(len(q), 200)]))
		}
	}
	if err := s.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	keepBuilt(b, s, tmp, path)
	b.Logf("built a store of %d articles in %v: %s", n, time.Since(start).Round(time.Second), path)
	return path
}

// keepBuilt finishes a benchmark store built at tmp: its WAL folded in, it
// is closed and renamed to path, where later runs find it.
func keepBuilt(b *testing.B, s *Store, tmp, path string) {
	b.Helper()
	if _, err := s.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
}
