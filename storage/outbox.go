package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Delivery states.
const (
	StatePending = "pending"
	StateSent    = "sent"
	StateFailed  = "failed"
	StateDropped = "dropped"
)

// DueDeliveries returns up to limit pending deliveries whose next attempt is
// due at now, oldest first, with their chat and article.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT d.id, d.attempts, d.text, d.platform, d.chat_id, coalesce(c.type, 'private'), coalesce(c.title, ''),
			coalesce(c.lang, 'vi'), coalesce(c.active, 1), coalesce(d.article_id, 0)
		FROM deliveries d LEFT JOIN chats c ON c.platform = d.platform AND c.id = d.chat_id
		WHERE d.state = 'pending' AND d.next_attempt_at <= ?
		ORDER BY d.next_attempt_at, d.id LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("storage: due deliveries: %w", err)
	}
	var out []Delivery
	var articleIDs []int64
	for rows.Next() {
		var d Delivery
		var articleID int64
		if err := rows.Scan(&d.ID, &d.Attempts, &d.Text, &d.Chat.Platform, &d.Chat.ID, &d.Chat.Type, &d.Chat.Title,
			&d.Chat.Lang, &d.Chat.Active, &articleID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: scan delivery: %w", err)
		}
		out = append(out, d)
		articleIDs = append(articleIDs, articleID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: due deliveries: %w", err)
	}
	cache := map[int64]*Article{}
	for i, id := range articleIDs {
		if id == 0 {
			continue
		}
		if a, ok := cache[id]; ok {
			out[i].Article = a
			continue
		}
		a, err := s.Article(ctx, id)
		if err != nil {
			return nil, err
		}
		cache[id] = &a
		out[i].Article = &a
	}
	return out, nil
}

// MarkSent records that the platform accepted the delivery.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?`,
		at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("storage: mark delivery %d sent: %w", id, err)
	}
	return nil
}

// MarkRetry records a failed attempt and when to try again.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		next.UnixMilli(), reason, id)
	if err != nil {
		return fmt.Errorf("storage: reschedule delivery %d: %w", id, err)
	}
	return nil
}

// MarkFailed ends a delivery that will not be sent (refused, or out of attempts).
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`,
		reason, id)
	if err != nil {
		return fmt.Errorf("storage: mark delivery %d failed: %w", id, err)
	}
	return nil
}

// DeactivateChat marks a chat that no longer accepts messages inactive and
// drops its pending deliveries; it returns how many were dropped. The chat
// gets nothing more until it talks to the bot again (TouchChat).
func (s *Store) DeactivateChat(ctx context.Context, chat ChatRef, reason string) (int, error) {
	var dropped int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET active = 0, updated_at = ? WHERE platform = ? AND id = ?`,
			time.Now().UnixMilli(), chat.Platform, chat.ID); err != nil {
			return fmt.Errorf("storage: deactivate %s: %w", chat, err)
		}
		r, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'dropped', last_error = ? WHERE platform = ? AND chat_id = ? AND state = 'pending'`,
			reason, chat.Platform, chat.ID)
		if err != nil {
			return fmt.Errorf("storage: drop deliveries of %s: %w", chat, err)
		}
		n, _ := r.RowsAffected()
		dropped = int(n)
		return nil
	})
	return dropped, err
}

// PendingCount returns how many deliveries are waiting.
func (s *Store) PendingCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE state = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count pending: %w", err)
	}
	return n, nil
}
