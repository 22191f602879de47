package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PlatformStats counts one platform's chats and deliveries.
type PlatformStats struct {
	ChatsActive, ChatsInactive     int
	Sent, Pending, Failed, Dropped int // deliveries created in the last 24 h, by state
}

// Stats is the bot's health for /stats.
type Stats struct {
	FeedsOK, FeedsFailing int // the last poll succeeded / failed
	FeedsNew              int // not polled yet
	Articles, Articles24h int
	Platforms             map[string]*PlatformStats
	QueueDepth            int           // pending deliveries, any age
	OldestPending         time.Duration // age of the oldest pending delivery; 0 when none
	// DBBytes is the size on disk of the database file and its WAL.
	DBBytes int64
	// Retention is how long articles are kept (0: forever), and LastPrune
	// when the last retention pass finished (zero before the first) and
	// what it removed.
	Retention  time.Duration
	LastPrune  time.Time
	LastPruned PruneResult
}

// Stats gathers the bot's health as of now.
func (s *Store) Stats(ctx context.Context, now time.Time) (Stats, error) {
	// Totals come from counters the schema's triggers keep (0015); the
	// rest reads indexes over the last 24 h only, so the cost follows a
	// day's traffic, not the size of the store.
	st := Stats{Platforms: map[string]*PlatformStats{}}
	day := now.Add(-24 * time.Hour).UnixMilli()
	platform := func(name string) *PlatformStats {
		if st.Platforms[name] == nil {
			st.Platforms[name] = &PlatformStats{}
		}
		return st.Platforms[name]
	}
	var oldest sql.NullInt64
	err := s.db.QueryRowContext(ctx, `
		SELECT
			(SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL AND (last_error = '' OR coalesce(last_error_at, 0) < last_success_at)),
			(SELECT count(*) FROM feeds WHERE last_error <> '' AND coalesce(last_error_at, 0) >= coalesce(last_success_at, 0)),
			(SELECT count(*) FROM feeds WHERE last_success_at IS NULL AND last_error = ''),
			(SELECT n FROM counters WHERE name = 'articles'),
			(SELECT count(*) FROM articles INDEXED BY articles_seen WHERE seen_at >= ?1),
			(SELECT n FROM counters WHERE name = 'pending'),
			(SELECT min(created_at) FROM deliveries INDEXED BY deliveries_pending_created WHERE state = 'pending')`, day).
		Scan(&st.FeedsOK, &st.FeedsFailing, &st.FeedsNew, &st.Articles, &st.Articles24h, &st.QueueDepth, &oldest)
	if err != nil {
		return Stats{}, fmt.Errorf("storage: stats: %w", err)
	}
	if oldest.Valid {
		st.OldestPending = now.Sub(time.UnixMilli(oldest.Int64))
	}
	if st.DBBytes, err = s.dbSize(ctx); err != nil {
		return Stats{}, err
	}
	s.retention.mu.Lock()
	st.Retention, st.LastPrune, st.LastPruned = s.retention.keep, s.retention.lastAt, s.retention.last
	s.retention.mu.Unlock()
	rows, err := s.db.QueryContext(ctx, `SELECT platform, active, count(*) FROM chats GROUP BY platform, active`)
	if err != nil {
		return Stats{}, fmt.Errorf("storage: chat stats: %w", err)
	}
	for rows.Next() {
		var name string
		var active bool
		var n int
		if err := rows.Scan(&name, &active, &n); err != nil {
			rows.Close()
			return Stats{}, fmt.Errorf("storage: chat stats: %w", err)
		}
		if active {
			platform(name).ChatsActive += n
		} else {
			platform(name).ChatsInactive += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("storage: chat stats: %w", err)
	}
	// One index-only range scan of the last 24 h per platform, with sums
	// instead of GROUP BY state: grouping sorted a day's rows (tens of
	// thousands at a province's scale) on every call.
	for name, p := range st.Platforms {
		err := s.db.QueryRowContext(ctx, `
			SELECT coalesce(sum(state = 'sent'), 0), coalesce(sum(state = 'pending'), 0),
				coalesce(sum(state = 'failed'), 0), coalesce(sum(state = 'dropped'), 0)
			FROM deliveries INDEXED BY deliveries_created WHERE created_at >= ? AND platform = ?`, day, name).
			Scan(&p.Sent, &p.Pending, &p.Failed, &p.Dropped)
		if err != nil {
			return Stats{}, fmt.Errorf("storage: delivery stats: %w", err)
		}
	}
	return st, nil
}
