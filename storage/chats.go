package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TouchChat records that a chat talked to the bot: it is added, or its type,
// title and language are updated, and it becomes active again.
func (s *Store) TouchChat(ctx context.Context, c Chat) error {
	now := time.Now().UnixMilli()
	lang := c.Lang
	if lang == "" {
		lang = "vi"
	}
	typ := c.Type
	if typ == "" {
		typ = "private"
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO chats(platform, id, type, title, lang, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)
		ON CONFLICT(platform, id) DO UPDATE SET type = excluded.type, title = excluded.title,
			lang = excluded.lang, active = 1, updated_at = excluded.updated_at`,
		c.Platform, c.ID, typ, c.Title, lang, now, now)
	if err != nil {
		return fmt.Errorf("storage: save chat %s: %w", c.ChatRef, err)
	}
	return nil
}

// Subscribe subscribes the chat to the sections and returns the keys that
// were not subscribed before. The chat must have been recorded with
// TouchChat; ErrUnknownSection if a key does not exist.
func (s *Store) Subscribe(ctx context.Context, chat ChatRef, keys []string) ([]string, error) {
	var added []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UnixMilli()
		for _, key := range keys {
			r, err := tx.ExecContext(ctx, `
				INSERT INTO subscriptions(platform, chat_id, section, created_at)
				SELECT ?, ?, key, ? FROM sections WHERE key = ?
				ON CONFLICT DO NOTHING`, chat.Platform, chat.ID, now, key)
			if err != nil {
				return fmt.Errorf("storage: subscribe %s to %s: %w", chat, key, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				added = append(added, key)
				continue
			}
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sections WHERE key = ?`, key).Scan(&exists); err != nil {
				return fmt.Errorf("storage: check section %s: %w", key, err)
			}
			if exists == 0 {
				return fmt.Errorf("storage: subscribe to %q: %w", key, ErrUnknownSection)
			}
		}
		return nil
	})
	return added, err
}

// Unsubscribe removes the chat's subscriptions to the sections and returns
// the keys it was subscribed to.
func (s *Store) Unsubscribe(ctx context.Context, chat ChatRef, keys []string) ([]string, error) {
	var removed []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, key := range keys {
			r, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE platform = ? AND chat_id = ? AND section = ?`,
				chat.Platform, chat.ID, key)
			if err != nil {
				return fmt.Errorf("storage: unsubscribe %s from %s: %w", chat, key, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				removed = append(removed, key)
			}
		}
		return nil
	})
	return removed, err
}

// Subscriptions lists the sections the chat is subscribed to, in display order.
func (s *Store) Subscriptions(ctx context.Context, chat ChatRef) ([]Section, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT sec.key, sec.name FROM subscriptions s JOIN sections sec ON sec.key = s.section
		WHERE s.platform = ? AND s.chat_id = ? ORDER BY sec.position, sec.key`, chat.Platform, chat.ID)
	if err != nil {
		return nil, fmt.Errorf("storage: list subscriptions of %s: %w", chat, err)
	}
	defer rows.Close()
	var out []Section
	for rows.Next() {
		var sec Section
		if err := rows.Scan(&sec.Key, &sec.Name); err != nil {
			return nil, fmt.Errorf("storage: scan subscription: %w", err)
		}
		out = append(out, sec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list subscriptions of %s: %w", chat, err)
	}
	return out, nil
}
