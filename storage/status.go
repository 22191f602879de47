package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Status is what monitoring reads at every scrape: cheap queries only (the
// pending deliveries through their partial index, the feeds table).
type Status struct {
	QueueDepth    int           // pending deliveries
	OldestPending time.Duration // age of the oldest pending delivery; 0 when none
	Feeds         int           // feeds not paused
	LastSuccess   time.Time     // the latest successful poll of any feed (a 304 counts); zero if none yet
}

// Status returns the queue and the polling state as of now.
func (s *Store) Status(ctx context.Context, now time.Time) (Status, error) {
	var st Status
	var oldest, last sql.NullInt64
	err := s.db.QueryRowContext(ctx, `
		SELECT
			(SELECT count(*) FROM deliveries WHERE state = 'pending'),
			(SELECT min(created_at) FROM deliveries WHERE state = 'pending'),
			(SELECT count(*) FROM feeds WHERE paused = 0),
			(SELECT max(last_success_at) FROM feeds)`).Scan(&st.QueueDepth, &oldest, &st.Feeds, &last)
	if err != nil {
		return Status{}, fmt.Errorf("storage: status: %w", err)
	}
	if oldest.Valid {
		st.OldestPending = max(now.Sub(time.UnixMilli(oldest.Int64)), 0)
	}
	st.LastSuccess = fromMS(last)
	return st, nil
}
