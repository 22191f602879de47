package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// EnqueueBroadcastOnce queues text for every active chat, like
// EnqueueBroadcast, and records the platform's update id that asked for it
// in the same transaction. When that update queued a broadcast before, it
// queues nothing and returns how many chats the first one reached and
// first=false.
func (s *Store) EnqueueBroadcastOnce(ctx context.Context, platform, updateID, text string) (n int, first bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var done int
		err := tx.QueryRowContext(ctx, `SELECT chats FROM broadcasts WHERE platform = ? AND update_id = ?`, platform, updateID).Scan(&done)
		if err == nil {
			n = done
			return nil
		}
		if !isNoRows(err) {
			return fmt.Errorf("storage: look up broadcast %s:%s: %w", platform, updateID, err)
		}
		now := time.Now().UnixMilli()
		r, err := tx.ExecContext(ctx, `
			INSERT INTO deliveries(platform, chat_id, text, next_attempt_at, created_at)
			SELECT platform, id, ?, ?, ? FROM chats WHERE active = 1`, text, now, now)
		if err != nil {
			return fmt.Errorf("storage: enqueue broadcast: %w", err)
		}
		added, _ := r.RowsAffected()
		if _, err := tx.ExecContext(ctx, `INSERT INTO broadcasts(platform, update_id, chats, created_at) VALUES (?, ?, ?, ?)`,
			platform, updateID, added, now); err != nil {
			return fmt.Errorf("storage: record broadcast %s:%s: %w", platform, updateID, err)
		}
		n, first = int(added), true
		return nil
	})
	return n, first, err
}
