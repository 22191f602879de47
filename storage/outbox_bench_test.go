package storage

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// outboxSize is one size of the /stats and outbox benchmarks' store.
type outboxSize struct {
	articles, deliveries, pending, chats int
}

// outboxSizes are the small size (CI's short form) and, with
// NEWSBOT_BENCH_FULL=1, the size of issue 10's targets: 1 000 000
// articles, 10 000 000 delivery rows of which 1 000 000 pending.
func outboxSizes() []outboxSize {
	sizes := []outboxSize{{articles: 1_000, deliveries: 10_000, pending: 1_000, chats: 100}}
	if os.Getenv(benchFullEnv) == "1" {
		sizes = append(sizes, outboxSize{articles: 1_000_000, deliveries: 10_000_000, pending: 1_000_000, chats: 10_000})
	}
	return sizes
}

// BenchmarkStats reads /stats from a store of articles and delivery rows,
// as of a minute after the newest article (so the last 24 h hold a day's
// worth of rows). Reported: time per call.
func BenchmarkStats(b *testing.B) {
	for _, size := range outboxSizes() {
		b.Run(fmt.Sprintf("articles=%d/deliveries=%d", size.articles, size.deliveries), func(b *testing.B) {
			s, now := openOutboxStore(b, size)
			ctx := context.Background()
			for b.Loop() {
				st, err := s.Stats(ctx, now)
				if err != nil {
					b.Fatal(err)
				}
				if st.Articles != size.articles || st.QueueDepth != size.pending {
					b.Fatalf("stats = %d articles, %d pending; want %d, %d", st.Articles, st.QueueDepth, size.articles, size.pending)
				}
			}
		})
	}
}

// BenchmarkDueDeliveries reads what the dispatcher reads after every batch:
// up to 200 chats' oldest due deliveries, with their chats and articles,
// from a store whose pending rows are all due.
func BenchmarkDueDeliveries(b *testing.B) {
	for _, size := range outboxSizes() {
		b.Run(fmt.Sprintf("pending=%d/deliveries=%d", size.pending, size.deliveries), func(b *testing.B) {
			s, now := openOutboxStore(b, size)
			ctx := context.Background()
			for b.Loop() {
				due, err := s.DueDeliveries(ctx, now, 200)
				if err != nil {
					b.Fatal(err)
				}
				if want := min(200, size.chats); len(due) != want || due[0].Article == nil {
					b.Fatalf("due = %d rows, want %d with their articles", len(due), want)
				}
			}
		})
	}
}

// openOutboxStore opens the benchmark store of that size and returns it
// with the time a minute after its newest article.
func openOutboxStore(b *testing.B, size outboxSize) (*Store, time.Time) {
	b.Helper()
	ctx := context.Background()
	s, err := Open(ctx, outboxStore(b, size))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var newest int64
	if err := s.db.QueryRowContext(ctx, `SELECT max(seen_at) FROM articles`).Scan(&newest); err != nil {
		b.Fatal(err)
	}
	return s, time.UnixMilli(newest).Add(time.Minute)
}

// outboxStore returns the path of a store of the articles of bigStore,
// size.chats active chats, and size.deliveries delivery rows, ten per
// article to ten different chats, of which the newest size.pending are
// pending (and due) and the rest sent. Like bigStore it is built once with
// bulk SQL and kept in the temp folder under a name that changes with the
// schema.
func outboxStore(b *testing.B, size outboxSize) string {
	b.Helper()
	articles := bigStore(b, size.articles)
	path := strings.TrimSuffix(articles, ".db") + fmt.Sprintf("-outbox-%d-%d-%d.db", size.deliveries, size.pending, size.chats)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".building"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	if err := copyFile(articles, tmp); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	var first int64
	if err := s.db.QueryRowContext(ctx, `SELECT min(id) FROM articles`).Scan(&first); err != nil {
		b.Fatal(err)
	}
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < %d - 1)
			INSERT OR IGNORE INTO chats(platform, id, created_at, updated_at) SELECT 'telegram', 'c' || i, 0, 0 FROM seq`, size.chats),
		// Row i goes to article i / 10 and chat (i / 10 * 10 + i %% 10) %% chats:
		// ten different chats an article.
		fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < %[1]d - 1)
			INSERT INTO deliveries(id, platform, chat_id, article_id, state, attempts, next_attempt_at, created_at, sent_at)
			SELECT i + 1, 'telegram', 'c' || ((i / 10 * 10 + i %% 10) %% %[2]d), a.id,
				CASE WHEN i >= %[1]d - %[3]d THEN 'pending' ELSE 'sent' END,
				CASE WHEN i >= %[1]d - %[3]d THEN 0 ELSE 1 END,
				a.seen_at + i %% 10, a.seen_at + i %% 10,
				CASE WHEN i >= %[1]d - %[3]d THEN NULL ELSE a.seen_at + 1000 END
			FROM seq JOIN articles a ON a.id = %[4]d + i / 10`, size.deliveries, size.chats, size.pending, first),
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			b.Fatalf("build outbox store: %v\n%s", err, strings.TrimSpace(q[:min(len(q), 200)]))
		}
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA analysis_limit = 1000; ANALYZE`); err != nil {
		b.Fatal(err)
	}
	keepBuilt(b, s, tmp, path)
	b.Logf("built a store of %d deliveries in %v: %s", size.deliveries, time.Since(start).Round(time.Second), path)
	return path
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
