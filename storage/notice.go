package storage

import (
	"context"
	"fmt"
	"time"
)

// EnqueueNotice queues a plain-text message for one chat through the outbox
// (an admin's notice that a feed was paused, say), so it is rate-limited,
// retried and survives a restart like any alert.
func (s *Store) EnqueueNotice(ctx context.Context, chat ChatRef, text string) error {
	now := time.Now().UnixMilli()
	if _, err := s.exec(ctx, `INSERT INTO deliveries(platform, chat_id, text, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)`,
		chat.Platform, chat.ID, text, now, now); err != nil {
		return fmt.Errorf("storage: enqueue notice for %s: %w", chat, err)
	}
	return nil
}
