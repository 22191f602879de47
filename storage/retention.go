package storage

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultRetention is how long articles and finished deliveries are kept
// when the configuration says nothing.
const DefaultRetention = 180 * 24 * time.Hour

// PruneResult reports what a retention pass removed.
type PruneResult struct {
	Articles   int // articles, with their search rows, feed items and finished deliveries
	Deliveries int // finished (sent, failed, dropped) deliveries older than the retention
	Forgotten  int // identities of pruned items no feed served for a retention period
	Other      int // handled updates, unused searches and old broadcasts
	FreedPages int // pages given back to the file system (incremental vacuum)
	Batches    int // write transactions the pass took
	// LongestBatch is how long the longest of them held the write lock.
	LongestBatch time.Duration
	Took         time.Duration // the whole pass, pauses included
}

// retention is the Store's retention setting and its last pass, for /stats.
type retention struct {
	mu     sync.Mutex
	keep   time.Duration // 0: retention is off
	lastAt time.Time     // when the last pass finished; zero before the first
	last   PruneResult
}

// Bounds of one retention batch. The batch size adapts so that a batch
// holds the write lock about pruneBatchTime (a poll or a command waits
// that long at most), and the pass pauses pruneYield between batches so
// that the writers queued behind it go first.
//
// The target is a quarter of the ~100 ms a batch may take at most: the time
// per row varies with the machine's load (a loaded 2-core machine showed a
// batch of 800 delivery rows take 40 ms and, minutes later, 230 ms), and
// the next batch is sized from the last one's pace.
var (
	pruneBatchTime  = 25 * time.Millisecond
	pruneBatchFirst = 50
	pruneBatchMax   = 5000
	pruneYield      = 5 * time.Millisecond
	// vacuumFirst and mergeFirst are the pages of the first
	// incremental_vacuum and search-index merge steps; later steps adapt
	// like the batches.
	vacuumFirst = 64
	mergeFirst  = 16
)

// smallStore is the size (pages) under which a file without incremental
// auto_vacuum is switched to it with a VACUUM during a retention pass: a
// VACUUM rewrites the whole file under the write lock, which a store of a
// few megabytes does in milliseconds and a large one does not.
const smallStore = 1024

// SetRetention sets how long articles and finished deliveries are kept (0:
// forever); Prune uses it and Stats reports it.
func (s *Store) SetRetention(keep time.Duration) {
	s.retention.mu.Lock()
	defer s.retention.mu.Unlock()
	s.retention.keep = max(keep, 0)
}

// Prune removes, as of now, what the store no longer needs, in small
// batches so that a poll or a command never waits long for the write lock:
//   - finished deliveries (sent, failed, dropped) created before the
//     retention horizon; pending ones stay, however old;
//   - articles first stored (seen) before the horizon that no pending
//     delivery waits for, with their search rows, feed items, sections and
//     deliveries. Each feed's identities of the item are remembered, so a
//     feed still carrying it never alerts it again (SaveItems treats it as
//     known);
//   - remembered identities no feed served for a retention period;
//   - handled updates of the inbox older than a week, searches unused for
//     a month, broadcasts' dedupe rows older than the horizon.
//
// Articles are pruned by when they were stored, not published: it is what
// a row costs on disk, it follows the ids (batches walk one index in
// order), and an old item a feed adds late is kept as long as a fresh one.
// With retention off (SetRetention(0)) only the last group is pruned.
// Then, when the file has incremental auto_vacuum (files created since
// migration 0018, and small older ones, switched here), the freed pages
// are given back to the file system; otherwise SQLite reuses them, so the
// file stops growing but does not shrink.
func (s *Store) Prune(ctx context.Context, now time.Time) (PruneResult, error) {
	start := time.Now()
	s.retention.mu.Lock()
	keep := s.retention.keep
	s.retention.mu.Unlock()
	var res PruneResult
	p := pruner{s: s, res: &res}
	now = now.UTC()
	cut := now.Add(-keep).UnixMilli()
	if keep > 0 {
		if err := p.run(ctx, &res.Deliveries, func(tx *sql.Tx, limit int) (int, int, error) {
			return execCount(ctx, tx, "finished deliveries", `DELETE FROM deliveries WHERE id IN (
				SELECT id FROM deliveries INDEXED BY deliveries_created
				WHERE created_at < ? AND state <> 'pending' LIMIT ?)`, cut, limit)
		}); err != nil {
			return res, err
		}
		var after articleCursor
		if err := p.run(ctx, &res.Articles, func(tx *sql.Tx, limit int) (int, int, error) {
			return pruneArticles(ctx, tx, cut, now.UnixMilli(), limit, &after)
		}); err != nil {
			return res, err
		}
		if err := p.run(ctx, &res.Forgotten, func(tx *sql.Tx, limit int) (int, int, error) {
			return execCount(ctx, tx, "forget pruned items", `DELETE FROM pruned_items WHERE (feed_id, key) IN (
				SELECT feed_id, key FROM pruned_items WHERE seen_at < ? LIMIT ?)`, cut, limit)
		}); err != nil {
			return res, err
		}
	}
	for _, q := range []struct {
		what, query string
		before      int64
	}{
		{"handled updates", `DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE handled = 1 AND handled_at < ? LIMIT ?)`,
			now.Add(-inboxKeep).UnixMilli()},
		{"seen updates", `DELETE FROM seen_updates WHERE rowid IN (SELECT rowid FROM seen_updates WHERE seen_at < ? LIMIT ?)`,
			now.Add(-inboxKeep).UnixMilli()},
		{"unused searches", `DELETE FROM search_queries WHERE key IN (SELECT key FROM search_queries WHERE used_at < ? LIMIT ?)`,
			now.Add(-searchQueryAge).UnixMilli()},
		{"next pages", `DELETE FROM search_next WHERE rowid IN (SELECT rowid FROM search_next WHERE at < ? LIMIT ?)`,
			now.Add(-searchQueryAge).UnixMilli()},
	} {
		if err := p.run(ctx, &res.Other, func(tx *sql.Tx, limit int) (int, int, error) {
			return execCount(ctx, tx, q.what, q.query, q.before, limit)
		}); err != nil {
			return res, err
		}
	}
	if keep > 0 {
		if err := p.run(ctx, &res.Other, func(tx *sql.Tx, limit int) (int, int, error) {
			return execCount(ctx, tx, "old broadcasts", `DELETE FROM broadcasts WHERE rowid IN (
				SELECT rowid FROM broadcasts WHERE created_at < ? LIMIT ?)`, cut, limit)
		}); err != nil {
			return res, err
		}
	}
	if err := s.mergeSearchIndex(ctx, &p, res.Articles); err != nil {
		return res, err
	}
	if err := s.vacuum(ctx, &p); err != nil {
		return res, err
	}
	res.Took = time.Since(start)
	s.retention.mu.Lock()
	s.retention.lastAt, s.retention.last = now, res
	s.retention.mu.Unlock()
	return res, nil
}

// pruner runs the batches of a pass, adapting their size to pruneBatchTime.
type pruner struct {
	s   *Store
	res *PruneResult
}

// run calls step in write transactions of adapting size until a batch
// looks at fewer rows than it was allowed, adding what it removed to count.
// A step returns how many rows it removed and how many it looked at.
func (p *pruner) run(ctx context.Context, count *int, step func(tx *sql.Tx, limit int) (removed, walked int, err error)) error {
	limit := pruneBatchFirst
	for {
		var walked int
		n, took, err := p.batch(ctx, func(tx *sql.Tx) (int, error) {
			n, w, err := step(tx, limit)
			walked = w
			return n, err
		})
		if err != nil {
			return err
		}
		*count += n
		if walked < limit {
			return nil
		}
		limit = adapt(limit, took, pruneBatchMax)
		if err := pause(ctx, pruneYield); err != nil {
			return err
		}
	}
}

// batch runs fn in one write transaction and records how long it held the
// write lock.
func (p *pruner) batch(ctx context.Context, fn func(tx *sql.Tx) (int, error)) (int, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	var n int
	var took time.Duration
	err := p.s.inTx(ctx, func(tx *sql.Tx) error {
		start := time.Now()
		defer func() { took = time.Since(start) }()
		var err error
		n, err = fn(tx)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	p.res.Batches++
	p.res.LongestBatch = max(p.res.LongestBatch, took)
	return n, took, nil
}

// adapt sizes the next batch from this one's pace (limit rows in took) to
// take pruneBatchTime: it shrinks at once, to a quarter at most, and grows
// by half at most, so that one fast batch on an idle moment does not make
// the next one long.
func adapt(limit int, took time.Duration, most int) int {
	next := max(limit*3/2, limit+1)
	if took > 0 {
		next = min(next, int(float64(limit)*float64(pruneBatchTime)/float64(took)))
	}
	return min(max(next, limit/4, 1), most)
}

func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// articleCursor is where the walk over old articles is: articles skipped
// because a delivery still waits for them are not looked at again.
type articleCursor struct{ seen, id int64 }

// pruneArticles removes up to limit articles stored before cut that no
// pending delivery waits for, remembering their items' identities.
func pruneArticles(ctx context.Context, tx *sql.Tx, cut, now int64, limit int, after *articleCursor) (removed, walked int, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT a.id, a.seen_at, NOT EXISTS (
			SELECT 1 FROM deliveries d INDEXED BY deliveries_article WHERE d.article_id = a.id AND d.state = 'pending')
		FROM articles a INDEXED BY articles_seen
		WHERE a.seen_at < ? AND (a.seen_at, a.id) > (?, ?)
		ORDER BY a.seen_at, a.id LIMIT ?`, cut, after.seen, after.id, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("storage: prune: find old articles: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id, seen int64
		var free bool
		if err := rows.Scan(&id, &seen, &free); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("storage: prune: find old articles: %w", err)
		}
		walked++
		*after = articleCursor{seen, id}
		if free {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("storage: prune: find old articles: %w", err)
	}
	if len(ids) == 0 {
		return 0, walked, nil
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	if err := rememberPruned(ctx, tx, in, ids, now); err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM articles_fts WHERE rowid IN `+in, ids...); err != nil {
		return 0, 0, fmt.Errorf("storage: prune: search rows: %w", err)
	}
	// Feed items, sections and (finished) deliveries go with their article:
	// ON DELETE CASCADE, through their article indexes. The counters'
	// triggers count the articles out.
	if _, err := tx.ExecContext(ctx, `DELETE FROM articles WHERE id IN `+in, ids...); err != nil {
		return 0, 0, fmt.Errorf("storage: prune: articles: %w", err)
	}
	return len(ids), walked, nil
}

// rememberPruned records, for each feed that carried the articles, the
// identities it knew their items by.
func rememberPruned(ctx context.Context, tx *sql.Tx, in string, ids []any, now int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT fi.feed_id, fi.guid, coalesce(a.canonical, ''), coalesce(fi.link_key, ''), coalesce(fi.title_key, '')
		FROM feed_items fi JOIN articles a ON a.id = fi.article_id WHERE fi.article_id IN `+in, ids...)
	if err != nil {
		return fmt.Errorf("storage: prune: read identities: %w", err)
	}
	type ident struct{ feed, key int64 }
	var keys []ident
	for rows.Next() {
		var feed int64
		var guid, canonical, link, title string
		if err := rows.Scan(&feed, &guid, &canonical, &link, &title); err != nil {
			rows.Close()
			return fmt.Errorf("storage: prune: read identities: %w", err)
		}
		for _, k := range identityKeys(guid, canonical, link, title) {
			keys = append(keys, ident{feed, k})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: prune: read identities: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pruned_items(feed_id, key, seen_at) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`, k.feed, k.key, now); err != nil {
			return fmt.Errorf("storage: prune: remember identity: %w", err)
		}
	}
	return nil
}

// identityKeys hashes an item's identities as SaveItems matches them: its
// guid (itemIdentity), its canonical link, and its link's host and path
// with its folded title. Empty ones are left out.
func identityKeys(guid, canonical, link, title string) []int64 {
	out := make([]int64, 0, 3)
	if guid != "" {
		out = append(out, identityKey('g', guid))
	}
	if canonical != "" {
		out = append(out, identityKey('c', canonical))
	}
	if link != "" && title != "" {
		out = append(out, identityKey('l', link+"\x00"+title))
	}
	return out
}

// identityKey is 64 bits of a hash of one identity: two different items
// of one feed share a key once in about 10^19 pairs.
func identityKey(kind byte, s string) int64 {
	h := sha1.New()
	h.Write([]byte{kind, 0})
	h.Write([]byte(s))
	return int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]))
}

// prunedArgs are the query arguments for an item's identity keys: the
// feed, then three keys, NULL (matching nothing) where it has fewer.
func prunedArgs(feedID int64, it Item, k *keys) []any {
	k.withFallback(it)
	str := func(v any) string {
		s, _ := v.(string)
		return s
	}
	args := []any{feedID, nil, nil, nil}
	for i, key := range identityKeys(k.guid, str(k.canonical), str(k.link), str(k.title)) {
		args[1+i] = key
	}
	return args
}

const prunedSQL = `SELECT max(seen_at) FROM pruned_items WHERE feed_id = ? AND key IN (?, ?, ?)`

// wasPruned reports whether the feed carried the item before retention
// pruned its article: such an item is known, never new again.
func wasPruned(ctx context.Context, q querier, feedID int64, it Item, k *keys) (bool, error) {
	var seen sql.NullInt64
	if err := q.QueryRowContext(ctx, prunedSQL, prunedArgs(feedID, it, k)...).Scan(&seen); err != nil {
		return false, fmt.Errorf("storage: look up pruned item: %w", err)
	}
	return seen.Valid, nil
}

// servedPruned is wasPruned for a poll's save: it also records that the
// feed still serves the item (at most once a day per item), so that its
// identity outlives the retention period for as long as the feed carries it.
func servedPruned(ctx context.Context, tx *txStmts, feedID int64, it Item, k *keys, now time.Time) (bool, error) {
	args := prunedArgs(feedID, it, k)
	var seen sql.NullInt64
	if err := tx.QueryRowContext(ctx, prunedSQL, args...).Scan(&seen); err != nil {
		return false, fmt.Errorf("storage: look up pruned item: %w", err)
	}
	if !seen.Valid {
		return false, nil
	}
	if seen.Int64 < now.Add(-24*time.Hour).UnixMilli() {
		if _, err := tx.ExecContext(ctx, `UPDATE pruned_items SET seen_at = ? WHERE feed_id = ? AND key IN (?, ?, ?)`,
			append([]any{now.UnixMilli()}, args...)...); err != nil {
			return false, fmt.Errorf("storage: refresh pruned item: %w", err)
		}
	}
	return true, nil
}

// execCount runs a batch's DELETE and returns how many rows went, twice:
// removed and looked at are the same rows.
func execCount(ctx context.Context, tx *sql.Tx, what, query string, args ...any) (int, int, error) {
	r, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("storage: prune %s: %w", what, err)
	}
	n, _ := r.RowsAffected()
	return int(n), int(n), nil
}

// mergePagesPerArticle is how many pages of search-index merging a pass
// does per article it pruned: a few times what an article's entries take
// (about a third of a page with a summary, a page or two with a body).
const mergePagesPerArticle = 2

// mergeSearchIndex merges the search index's segments, about
// mergePagesPerArticle pages per article pruned, in steps that hold the
// write lock about pruneBatchTime each.
//
// Deleting a row from an FTS5 index writes a tombstone that stays until a
// merge reaches the segment holding the row, and its own merges reach the
// oldest segments rarely: under retention, which deletes as much as is
// added, the index grew by a sawtooth of tombstones (a third more before a
// merge folded them). FTS5 merges incrementally, so a merge cut off by the
// budget goes on at the next pass; a budget a few times what was deleted
// folds tombstones in faster than they come.
func (s *Store) mergeSearchIndex(ctx context.Context, p *pruner, pruned int) error {
	budget := pruned * mergePagesPerArticle
	step := mergeFirst
	for budget > 0 {
		n := min(step, budget)
		var changes int64
		_, took, err := p.batch(ctx, func(tx *sql.Tx) (int, error) {
			var before, after int64
			if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
				return 0, err
			}
			// A negative amount merges whenever there are two segments.
			if _, err := tx.ExecContext(ctx, `INSERT INTO articles_fts(articles_fts, rank) VALUES ('merge', ?)`, -n); err != nil {
				return 0, err
			}
			if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
				return 0, err
			}
			changes = after - before
			return 0, nil
		})
		if err != nil {
			return fmt.Errorf("storage: merge search index: %w", err)
		}
		// FTS5 documents fewer than two changes as "nothing to merge".
		if changes < 2 {
			return nil
		}
		budget -= n
		step = adapt(step, took, 4096)
		if err := pause(ctx, pruneYield); err != nil {
			return err
		}
	}
	return nil
}

// vacuum gives free pages back to the file system when the file has
// incremental auto_vacuum, in steps that hold the write lock about
// pruneBatchTime each. A small file without it is switched to it first
// (one VACUUM); a large one keeps its free pages for new rows.
func (s *Store) vacuum(ctx context.Context, p *pruner) error {
	var mode, pages int
	if err := s.db.QueryRowContext(ctx, `SELECT auto_vacuum, page_count FROM pragma_auto_vacuum, pragma_page_count`).Scan(&mode, &pages); err != nil {
		return fmt.Errorf("storage: read auto_vacuum: %w", err)
	}
	if mode == 0 && pages <= smallStore {
		// auto_vacuum takes on an existing file only through a VACUUM,
		// which cannot run in a transaction: on its own connection.
		if err := s.switchToIncremental(ctx); err != nil {
			return err
		}
		mode = 2
	}
	if mode != 2 {
		return nil
	}
	step := vacuumFirst
	for {
		var free int
		if err := s.db.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return fmt.Errorf("storage: read free pages: %w", err)
		}
		if free == 0 {
			return nil
		}
		n := min(free, step)
		_, took, err := p.batch(ctx, func(tx *sql.Tx) (int, error) {
			// incremental_vacuum returns a row per page moved; Exec
			// steps through them all.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", n))
			return n, err
		})
		if err != nil {
			return fmt.Errorf("storage: incremental vacuum: %w", err)
		}
		p.res.FreedPages += n
		step = adapt(step, took, 1<<16)
		if err := pause(ctx, pruneYield); err != nil {
			return err
		}
	}
}

// switchToIncremental turns incremental auto_vacuum on for a file created
// without it.
func (s *Store) switchToIncremental(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	c, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("storage: take connection: %w", err)
	}
	defer c.Close()
	for _, stmt := range []string{`PRAGMA auto_vacuum = INCREMENTAL`, `VACUUM`} {
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return s.noteWrite(fmt.Errorf("storage: switch to incremental vacuum: %s: %w", stmt, err))
		}
	}
	return s.noteWrite(nil)
}

// dbSize is the size on disk of the database file and its write-ahead log.
func (s *Store) dbSize(ctx context.Context) (int64, error) {
	var path string
	if err := s.db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		return 0, fmt.Errorf("storage: database file: %w", err)
	}
	var total int64
	for _, p := range []string{path, path + "-wal"} {
		info, err := os.Stat(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return 0, fmt.Errorf("storage: database size: %w", err)
		}
		total += info.Size()
	}
	return total, nil
}
