package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BenchmarkMatchStory measures matchStory, what grouping adds to the save
// of each new article, on the search benchmark's store of realistic
// articles (real titles and leads recombined, published evenly over three
// years: about 900 a day at a million, some 2 700 in the 72 hours before
// a new article): 10 000 articles, and with NEWSBOT_BENCH_FULL=1 also
// 100 000 and 1 000 000 (the same 10 candidates at most, over a window 10
// times as full). Each new article is a real title and lead of the story set,
// published within the store's last day, as a poll's new articles are.
// cache=on runs with the options a store's EnableStories keeps (the
// matcher's bounded cache of word counts, folded forms and candidates'
// features, as a running bot has it); cache=off reads and computes
// everything on every call. cache-MB is the heap the cache holds at the end.
// Run it with
//
//	NEWSBOT_BENCH_FULL=1 go test -run '^$' -bench 'MatchStory$' -benchtime 2000x -timeout 60m ./storage
func BenchmarkMatchStory(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv(benchFullEnv) == "1" {
		sizes = append(sizes, 100_000, 1_000_000)
	}
	for _, n := range sizes {
		for _, cached := range []bool{true, false} {
			name := fmt.Sprintf("articles=%d/cache=off", n)
			if cached {
				name = fmt.Sprintf("articles=%d/cache=on", n)
			}
			b.Run(name, func(b *testing.B) { benchMatchStory(b, n, cached) })
		}
	}
}

func benchMatchStory(b *testing.B, n int, cached bool) {
	s := storyBenchStore(b, n)
	ctx := context.Background()
	arts := loadStoryEval(b)
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(12, uint64(n)))
	docs := make([]StoryDoc, 1000)
	for i := range docs {
		a := arts[rng.IntN(len(arts))]
		// A poll's new article: published within the store's last
		// day, its window the 72 hours before (and the hour after).
		docs[i] = StoryDoc{Title: a.Title, Summary: a.Sapo,
			Published: end.Add(-time.Duration(rng.Int64N(int64(24 * time.Hour))))}
	}
	opt := StoryOptions{}
	if cached {
		opt = opt.withDefaults()
	}
	for _, d := range docs[:100] { // warm the page cache (and the matcher's) as a running bot has them
		if _, err := matchStory(ctx, s.db, 0, d, opt); err != nil {
			b.Fatal(err)
		}
	}
	ds := make([]time.Duration, 0, b.N)
	joined := 0
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		m, err := matchStory(ctx, dbStmts{s}, 0, docs[i%len(docs)], opt)
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
		if m.StoryID != 0 {
			joined++
		}
	}
	cpu = cpuTime() - cpu
	percentiles(b, ds)
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(ds)), "cpu-ms/op")
	b.ReportMetric(float64(joined)/float64(len(ds)), "joined")
	if opt.cache != nil {
		b.ReportMetric(float64(opt.cache.docs.len()), "cached-articles")
		b.ReportMetric(float64(heldBy(func() { opt.cache = nil }))/1e6, "cache-MB")
	}
}

// heldBy is how many bytes of heap drop makes collectable.
func heldBy(drop func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	drop()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(before.HeapAlloc) - int64(after.HeapAlloc)
}

// storyBenchStore is the search benchmark's store of n articles, in a copy
// of its own: opening it adds story_terms (migration 0019, counted from
// the search index), which the search benchmark's copy, shared with other
// branches, should not get. The first run logs how long that took.
func storyBenchStore(b *testing.B, n int) *Store {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("newsbot-story-bench-%d-v%d.db", n, benchVersion))
	if _, err := os.Stat(path); err != nil {
		src := filepath.Join(os.TempDir(), fmt.Sprintf("newsbot-search-bench-%d-v%d.db", n, benchVersion))
		if _, err := os.Stat(src); err != nil {
			benchStore(b, n).Close() // builds it
		}
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		defer os.Remove(tmp)
		if err := copyFile(src, tmp); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		s, err := Open(ctx, tmp)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%d articles: migrations (story_terms counted from the search index) took %s", n, time.Since(start).Round(time.Millisecond))
		// A store the search benchmark built with this schema has its
		// articles indexed one by one, outside SaveItems: count them as
		// migration 0019 does.
		var counted, articles int64
		s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT df FROM story_terms WHERE term = ''), 0), (SELECT count(*) FROM articles)`).Scan(&counted, &articles)
		if counted != articles {
			for _, q := range []string{
				`DELETE FROM story_terms`,
				`CREATE VIRTUAL TABLE temp.story_vocab USING fts5vocab(main, articles_fts, col)`,
				`INSERT INTO story_terms(term, df) SELECT term, max(doc) FROM temp.story_vocab WHERE col IN ('title_f', 'summary_f') GROUP BY term`,
				`INSERT INTO story_terms(term, df) SELECT '', count(*) FROM articles`,
				`DROP TABLE temp.story_vocab`,
			} {
				if _, err := s.db.ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		}
		keepBuilt(b, s, tmp, path)
	}
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkMatchStoryFirst measures the first matcher's candidate query
// beside it, for the record (BENCHMARKS.md): every word of the title and
// lead ORed, ranked by bm25 over the whole index, then filtered to the
// window. bm25 counts each word's articles in the whole index, so its cost
// grows with the store.
//
//	NEWSBOT_BENCH_FULL=1 go test -run '^$' -bench MatchStoryFirst -benchtime 20x -timeout 60m ./storage
func BenchmarkMatchStoryFirst(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv(benchFullEnv) == "1" {
		sizes = append(sizes, 100_000, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("articles=%d", n), func(b *testing.B) {
			s := storyBenchStore(b, n)
			ctx := context.Background()
			arts := loadStoryEval(b)
			end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			ds := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				a := arts[i%len(arts)]
				pub := end.Add(-time.Duration(i%24) * time.Hour)
				var quoted []string
				seen := map[string]bool{}
				for _, w := range Words(Fold(a.Title + " " + a.Sapo)) {
					if !seen[w] {
						seen[w] = true
						quoted = append(quoted, `"`+w+`"`)
					}
				}
				start := time.Now()
				rows, err := s.db.QueryContext(ctx, `
					SELECT a.id, coalesce(a.story_id, a.id), a.title, a.summary
					FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
					WHERE articles_fts MATCH ? AND a.published_at BETWEEN ? AND ?
					ORDER BY rank LIMIT 20`,
					"{title_f summary_f}: ("+strings.Join(quoted, " OR ")+")",
					pub.Add(-DefaultStoryWindow).UnixMilli(), pub.Add(DefaultStoryWindow).UnixMilli())
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
				ds = append(ds, time.Since(start))
			}
			percentiles(b, ds)
		})
	}
}
