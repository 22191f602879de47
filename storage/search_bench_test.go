package storage

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// evalDir holds the project's shared evaluation texts, beside the clone.
const evalDir = "../../shared/eval"

// evalArticle is one real article of ../shared/eval.
type evalArticle struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Sapo    string `json:"sapo"`
	Body    string `json:"body"`
}

var (
	spaceBeforePunct = regexp.MustCompile(` ([,.:;?!)”%])`)
	spaceAfterOpen   = regexp.MustCompile(`([(“]) `)
)

// detok undoes the corpus's tokenisation spacing ("Nghệ An ." → "Nghệ An.").
func detok(s string) string {
	return spaceAfterOpen.ReplaceAllString(spaceBeforePunct.ReplaceAllString(strings.TrimSpace(s), "$1"), "$1")
}

// loadEval reads the articles of the named files of ../shared/eval (never
// the held-out test split), skipping the test when they are absent.
func loadEval(tb testing.TB, names ...string) []evalArticle {
	tb.Helper()
	var out []evalArticle
	for _, name := range names {
		f, err := os.Open(filepath.Join(evalDir, name))
		if err != nil {
			tb.Skipf("no evaluation texts (%v): they live in ../shared/eval beside the clone", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			var a evalArticle
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				f.Close()
				tb.Fatalf("%s: %v", name, err)
			}
			if a.Summary == "" {
				a.Summary = a.Sapo
			}
			a.Title, a.Summary, a.Body = detok(a.Title), detok(a.Summary), detok(a.Body)
			out = append(out, a)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

// benchVersion names the generated store's recipe: a change to the
// generator or the schema must change it, so that no stale cache is used.
const benchVersion = 1

// benchStore returns a store of n realistic articles: titles and summaries
// recombined from the real texts of ../shared/eval, published over three
// years, in three sections. It is built once and cached in the temporary
// folder (a million articles take minutes to write), and opened read-only
// in spirit: benchmarks do not write to it.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("newsbot-search-bench-%d-v%d.db", n, benchVersion))
	if _, err := os.Stat(path); err != nil {
		texts := loadEval(b, "vi-summaries-train.jsonl", "vi-summaries-dev.jsonl", "vi-stories-dev.jsonl")
		start := time.Now()
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid()) // another run may be building too
		defer os.Remove(tmp)
		if err := buildBenchStore(ctx, tmp, n, texts); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s in %s", path, time.Since(start).Round(time.Second))
	}
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func buildBenchStore(ctx context.Context, path string, n int, texts []evalArticle) error {
	os.Remove(path)
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	var titles, sentences []string
	for _, a := range texts {
		titles = append(titles, a.Title)
		sentences = append(sentences, a.Summary)
		for _, line := range strings.Split(a.Body, "\n") {
			if len(strings.Fields(line)) >= 8 {
				sentences = append(sentences, line)
			}
		}
	}
	var feeds []int64
	for _, sec := range []Section{{"thoi-su", "Thời sự"}, {"phap-luat", "Pháp luật"}, {"kinh-te", "Kinh tế"}} {
		if err := s.UpsertSection(ctx, sec); err != nil {
			return err
		}
		f, err := s.AddFeed(ctx, "https://bench.example/"+sec.Key+".rss", sec.Key, "")
		if err != nil {
			return err
		}
		feeds = append(feeds, f.ID)
	}
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	// A title is the start of one real title and the end of another, cut
	// at a word; a summary is one or two real sentences.
	title := func() string {
		a := strings.Fields(titles[rng.IntN(len(titles))])
		c := strings.Fields(titles[rng.IntN(len(titles))])
		i, j := 1+rng.IntN(max(len(a)-1, 1)), rng.IntN(max(len(c)-1, 1))
		return strings.Join(append(a[:min(i, len(a))], c[j:]...), " ")
	}
	summary := func() string {
		s := sentences[rng.IntN(len(sentences))]
		if rng.IntN(2) == 0 {
			s += " " + sentences[rng.IntN(len(sentences))]
		}
		return s
	}
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	span := 3 * 365 * 24 * time.Hour
	const batch = 20000
	for lo := 0; lo < n; lo += batch {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			art, err := tx.PrepareContext(ctx, `INSERT INTO articles(id, feed_id, canonical, link, title, summary, published_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer art.Close()
			fi, err := tx.PrepareContext(ctx, `INSERT INTO feed_items(feed_id, guid, article_id, seen_at) VALUES (?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer fi.Close()
			for i := lo; i < min(lo+batch, n); i++ {
				id := int64(i + 1)
				feed := feeds[i%len(feeds)]
				link := fmt.Sprintf("https://bench.example/a/%d", id)
				published := end.Add(-span + time.Duration(float64(span)*float64(i)/float64(n))).UnixMilli()
				it := Item{Title: title(), Summary: summary()}
				if _, err := art.ExecContext(ctx, id, feed, link, link, it.Title, it.Summary, published, published); err != nil {
					return err
				}
				if _, err := fi.ExecContext(ctx, feed, link, id, published); err != nil {
					return err
				}
				if err := indexArticle(ctx, tx, id, it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO articles_fts(articles_fts) VALUES ('optimize')`); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// benchQueries are what people type: one to three words, common and rare,
// with and without accents.
var benchQueries = []string{
	"người", "nguoi", "công an", "cong an", "bão", "bao", "Đảng", "dang", "tỉnh", "tinh",
	"Hà Nội", "ha noi", "tai nạn giao thông", "tai nan giao thong", "chuyển đổi số", "chuyen doi so",
	"Phú Thọ", "phu tho", "ma túy", "ma tuy", "xét xử", "xet xu", "giá vàng", "gia vang",
	"lũ quét", "lu quet", "Mù Cang Chải", "mu cang chai", "hiệp định thương mại", "hiep dinh thuong mai",
	"bắt giữ đối tượng", "bat giu doi tuong", "sân bay", "san bay", "học sinh", "hoc sinh",
	"vận động viên", "van dong vien", "nổ súng", "no sung",
}

// percentiles reports p50, p95 and p99 of ds as benchmark metrics.
func percentiles(b *testing.B, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkSearch measures a search's first page and its next page (what
// /search and the button run) on 100 000 and 1 000 000 generated articles,
// and /latest beside it. Run it with
//
//	NEWSBOT_BENCH_FULL=1 go test -run '^$' -bench 'Search|Latest' -benchtime 400x -timeout 60m ./storage
func BenchmarkSearch(b *testing.B) {
	sizes := []int{10_000} // the short form
	if os.Getenv("NEWSBOT_BENCH_FULL") != "" {
		sizes = []int{100_000, 1_000_000}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("articles=%d", n), func(b *testing.B) {
			s := benchStore(b, n)
			ctx := context.Background()
			for _, q := range benchQueries { // warm the page cache as a running bot has it
				if _, err := s.SearchFirst(ctx, q, "", 5); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("first", func(b *testing.B) {
				ds := make([]time.Duration, 0, b.N)
				for i := 0; b.Loop(); i++ {
					start := time.Now()
					if _, err := s.SearchFirst(ctx, benchQueries[i%len(benchQueries)], "", 5); err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(start))
				}
				percentiles(b, ds)
			})
			b.Run("section", func(b *testing.B) {
				ds := make([]time.Duration, 0, b.N)
				for i := 0; b.Loop(); i++ {
					start := time.Now()
					if _, err := s.SearchFirst(ctx, benchQueries[i%len(benchQueries)], "kinh-te", 5); err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(start))
				}
				percentiles(b, ds)
			})
			b.Run("next", func(b *testing.B) {
				cursors := map[string]string{}
				for _, q := range benchQueries {
					p, err := s.SearchFirst(ctx, q, "", 5)
					if err != nil {
						b.Fatal(err)
					}
					if p.Next != "" {
						if err := s.RememberSearch(ctx, ChatRef{"bench", q}, p); err != nil {
							b.Fatal(err)
						}
						cursors[q] = p.Next
					}
				}
				ds := make([]time.Duration, 0, b.N)
				for i := 0; b.Loop(); i++ {
					c := cursors[benchQueries[i%len(benchQueries)]]
					if c == "" {
						continue
					}
					start := time.Now()
					if _, err := s.SearchMore(ctx, c, 5); err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(start))
				}
				percentiles(b, ds)
			})
			b.Run("latest", func(b *testing.B) {
				secs := []string{"", "thoi-su", "phap-luat", "kinh-te"}
				ds := make([]time.Duration, 0, b.N)
				for i := 0; b.Loop(); i++ {
					start := time.Now()
					if _, err := s.Latest(ctx, secs[i%len(secs)], 5); err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(start))
				}
				percentiles(b, ds)
			})
			var pages, size int64
			s.db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages)
			s.db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size)
			var fts int64
			if err := s.db.QueryRowContext(ctx, `SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'`).Scan(&fts); err == nil {
				b.Logf("%d articles: database %.0f MB, of which the search index %.0f MB", n, float64(pages*size)/1e6, float64(fts)/1e6)
			} else {
				b.Logf("%d articles: database %.0f MB (index size unknown: %v)", n, float64(pages*size)/1e6, err)
			}
		})
	}
}
