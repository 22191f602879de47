package storage

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// InboxUpdate is an update a platform delivered, as recorded in the inbox.
type InboxUpdate struct {
	Seq      int64 // arrival order; set by PendingUpdates
	Platform string
	ID       string // the platform's update id
	Body     []byte // the update as the bot encodes it; storage does not read it
	Received time.Time
}

// inboxKeep is how long a handled update's id is kept to drop replays: far
// longer than a platform retries.
const inboxKeep = 7 * 24 * time.Hour

// inboxPruneEvery is how many handled marks pass between two prunes, and
// inboxPruneBatch how many rows one prune deletes at most, so that a prune
// never holds the writer long.
const (
	inboxPruneEvery = 500
	inboxPruneBatch = 1000
)

var inboxMarks atomic.Int64

// InboxHas reports whether the platform's update id was recorded, handled or not.
func (s *Store) InboxHas(ctx context.Context, platform, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM inbox WHERE platform = ? AND update_id = ?`, platform, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("storage: look up update %s:%s: %w", platform, id, err)
	}
	return n > 0, nil
}

// RecordUpdate writes u to the inbox unless its platform and id were
// recorded before, and reports whether it was new. handled records it as
// already handled (an update the bot drops, kept only to drop its replays).
func (s *Store) RecordUpdate(ctx context.Context, u InboxUpdate, handled bool) (bool, error) {
	received := u.Received
	if received.IsZero() {
		received = time.Now()
	}
	var handledAt any
	if handled {
		handledAt = time.Now().UnixMilli()
	}
	r, err := s.exec(ctx, `INSERT INTO inbox(platform, update_id, body, handled, received_at, handled_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(platform, update_id) DO NOTHING`,
		u.Platform, u.ID, u.Body, handled, received.UnixMilli(), handledAt)
	if err != nil {
		return false, fmt.Errorf("storage: record update %s:%s: %w", u.Platform, u.ID, err)
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}

// PendingUpdates returns up to limit of the platform's recorded updates not
// marked handled that arrived after the one with Seq after (0: from the
// first), in arrival order.
func (s *Store) PendingUpdates(ctx context.Context, platform string, after int64, limit int) ([]InboxUpdate, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, update_id, body, received_at FROM inbox
		WHERE platform = ? AND handled = 0 AND seq > ? ORDER BY seq LIMIT ?`, platform, after, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: pending updates of %s: %w", platform, err)
	}
	defer rows.Close()
	var out []InboxUpdate
	for rows.Next() {
		u := InboxUpdate{Platform: platform}
		var received int64
		if err := rows.Scan(&u.Seq, &u.ID, &u.Body, &received); err != nil {
			return nil, fmt.Errorf("storage: scan update: %w", err)
		}
		u.Received = time.UnixMilli(received).UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: pending updates of %s: %w", platform, err)
	}
	return out, nil
}

// MarkUpdateHandled records that the bot answered the update, and now and
// then forgets handled updates older than a week.
func (s *Store) MarkUpdateHandled(ctx context.Context, platform, id string) error {
	now := time.Now()
	if _, err := s.exec(ctx, `UPDATE inbox SET handled = 1, handled_at = ? WHERE platform = ? AND update_id = ? AND handled = 0`,
		now.UnixMilli(), platform, id); err != nil {
		return fmt.Errorf("storage: mark update %s:%s handled: %w", platform, id, err)
	}
	if inboxMarks.Add(1)%inboxPruneEvery == 0 {
		if _, err := s.PruneInbox(ctx, now.Add(-inboxKeep)); err != nil {
			return err
		}
	}
	return nil
}

// PruneInbox deletes up to a batch of updates handled before the given
// time and returns how many went.
func (s *Store) PruneInbox(ctx context.Context, before time.Time) (int, error) {
	r, err := s.exec(ctx, `DELETE FROM inbox WHERE seq IN (
		SELECT seq FROM inbox WHERE handled = 1 AND handled_at < ? LIMIT ?)`, before.UnixMilli(), inboxPruneBatch)
	if err != nil {
		return 0, fmt.Errorf("storage: prune inbox: %w", err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}
