package storage

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// SeenUpdates remembers which update ids of one platform were handled.
type SeenUpdates struct {
	store    *Store
	platform string
	marks    atomic.Int64
}

// SeenUpdates returns the handled-update record of a platform.
func (s *Store) SeenUpdates(platform string) *SeenUpdates {
	return &SeenUpdates{store: s, platform: platform}
}

// seenKeep is how long an id is remembered: far longer than any replay.
const seenKeep = 7 * 24 * time.Hour

// Seen reports whether the update id was handled before.
func (u *SeenUpdates) Seen(ctx context.Context, id string) (bool, error) {
	var n int
	err := u.store.db.QueryRowContext(ctx, `SELECT count(*) FROM seen_updates WHERE platform = ? AND id = ?`, u.platform, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("storage: seen update: %w", err)
	}
	return n > 0, nil
}

// MarkSeen records the update id as handled, and now and then forgets old ones.
func (u *SeenUpdates) MarkSeen(ctx context.Context, id string) error {
	now := time.Now()
	if _, err := u.store.exec(ctx, `INSERT OR IGNORE INTO seen_updates(platform, id, seen_at) VALUES (?, ?, ?)`,
		u.platform, id, now.UnixMilli()); err != nil {
		return fmt.Errorf("storage: mark update seen: %w", err)
	}
	if u.marks.Add(1)%500 == 0 {
		if _, err := u.store.exec(ctx, `DELETE FROM seen_updates WHERE seen_at < ?`, now.Add(-seenKeep).UnixMilli()); err != nil {
			return fmt.Errorf("storage: forget old updates: %w", err)
		}
	}
	return nil
}
