package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkPrune runs a retention pass that removes the oldest tenth of a
// store of articles and delivery rows (ten per article, the newest tenth
// pending): what turning retention on does to a store that never pruned.
// Reported: the longest time one batch held the write lock (the bound a
// poll or a command waits), the batches, and articles pruned per second.
// Each op prunes a fresh copy of the store; copying is not timed.
func BenchmarkPrune(b *testing.B) {
	sizes := []outboxSize{{articles: 1_000, deliveries: 10_000, pending: 1_000, chats: 100}}
	if os.Getenv(benchFullEnv) == "1" {
		sizes = append(sizes, outboxSize{articles: 100_000, deliveries: 1_000_000, pending: 100_000, chats: 1_000})
	}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("articles=%d/deliveries=%d", size.articles, size.deliveries), func(b *testing.B) {
			src := outboxStore(b, size)
			ctx := context.Background()
			var longest time.Duration
			var batches, pruned int
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "prune.db")
				if err := copyFile(src, path); err != nil {
					b.Fatal(err)
				}
				s, err := Open(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				var cut int64
				if err := s.db.QueryRowContext(ctx, `SELECT seen_at FROM articles ORDER BY seen_at LIMIT 1 OFFSET ?`, size.articles/10).Scan(&cut); err != nil {
					b.Fatal(err)
				}
				now := time.Now()
				s.SetRetention(now.Sub(time.UnixMilli(cut)))
				b.StartTimer()
				res, err := s.Prune(ctx, now)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if res.Articles != size.articles/10 {
					b.Fatalf("pruned %d articles, want %d: %+v", res.Articles, size.articles/10, res)
				}
				longest = max(longest, res.LongestBatch)
				batches += res.Batches
				pruned += res.Articles
				took += res.Took
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(longest.Microseconds())/1000, "longest-batch-ms")
			b.ReportMetric(float64(batches)/float64(b.N), "batches/op")
			b.ReportMetric(float64(pruned)/took.Seconds(), "articles/s")
		})
	}
}
