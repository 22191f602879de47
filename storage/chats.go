package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
	_, err := s.exec(ctx, `
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
				SELECT ?, ?, key, ? FROM sections WHERE key = ? AND retired = 0
				ON CONFLICT DO NOTHING`, chat.Platform, chat.ID, now, key)
			if err != nil {
				return fmt.Errorf("storage: subscribe %s to %s: %w", chat, key, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				added = append(added, key)
				continue
			}
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sections WHERE key = ? AND retired = 0`, key).Scan(&exists); err != nil {
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

// Subscriptions lists the sections the chat is subscribed to, in display
// order; the subscriptions to retired sections are not among them (see
// DormantSubscriptions).
func (s *Store) Subscriptions(ctx context.Context, chat ChatRef) ([]Section, error) {
	return s.subscriptions(ctx, chat, false)
}

// DormantSubscriptions lists the chat's subscriptions to sections removed
// from the configuration file: kept, sending nothing, alive again if the
// section returns.
func (s *Store) DormantSubscriptions(ctx context.Context, chat ChatRef) ([]Section, error) {
	return s.subscriptions(ctx, chat, true)
}

func (s *Store) subscriptions(ctx context.Context, chat ChatRef, retired bool) ([]Section, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT sec.key, sec.name FROM subscriptions s JOIN sections sec ON sec.key = s.section
		WHERE s.platform = ? AND s.chat_id = ? AND sec.retired = ? ORDER BY sec.position, sec.key`, chat.Platform, chat.ID, retired)
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

// chatSettings selects a chat's row from "chats c" after its platform and id
// (LEFT JOINed: a delivery may outlive its chat row); chatDest scans them.
const chatSettings = `coalesce(c.type, 'private'), coalesce(c.title, ''), coalesce(c.lang, 'vi'),
	coalesce(c.active, 1), coalesce(c.digest, 'off'), coalesce(c.digest_at, 0), coalesce(c.quiet_start, -1),
	coalesce(c.quiet_end, -1), coalesce(c.tz, 'Asia/Ho_Chi_Minh'), coalesce(c.bound, 0)`

func chatDest(c *Chat) []any {
	return []any{&c.Platform, &c.ID, &c.Type, &c.Title, &c.Lang, &c.Active, &c.Digest, &c.DigestAt,
		&c.QuietStart, &c.QuietEnd, &c.TZ, &c.Bound}
}

// Chat returns a chat with its settings, or ErrNotFound.
func (s *Store) Chat(ctx context.Context, ref ChatRef) (Chat, error) {
	var c Chat
	err := s.db.QueryRowContext(ctx, `SELECT c.platform, c.id, `+chatSettings+` FROM chats c WHERE c.platform = ? AND c.id = ?`,
		ref.Platform, ref.ID).Scan(chatDest(&c)...)
	if isNoRows(err) {
		return Chat{}, ErrNotFound
	}
	if err != nil {
		return Chat{}, fmt.Errorf("storage: chat %s: %w", ref, err)
	}
	return c, nil
}

// SetDigest sets how the chat takes its alerts: "off" (one by one),
// "hourly", or "daily" at minutes after local midnight.
func (s *Store) SetDigest(ctx context.Context, ref ChatRef, mode string, at int) error {
	_, err := s.exec(ctx, `UPDATE chats SET digest = ?, digest_at = ? WHERE platform = ? AND id = ?`,
		mode, at, ref.Platform, ref.ID)
	if err != nil {
		return fmt.Errorf("storage: set digest of %s: %w", ref, err)
	}
	return nil
}

// SetQuiet sets the chat's quiet hours in minutes after local midnight;
// start -1 turns them off.
func (s *Store) SetQuiet(ctx context.Context, ref ChatRef, start, end int) error {
	if start < 0 {
		start, end = -1, -1
	}
	_, err := s.exec(ctx, `UPDATE chats SET quiet_start = ?, quiet_end = ? WHERE platform = ? AND id = ?`,
		start, end, ref.Platform, ref.ID)
	if err != nil {
		return fmt.Errorf("storage: set quiet hours of %s: %w", ref, err)
	}
	return nil
}

// BindChat records a channel or group an admin bound, active, subscribed to
// exactly the given sections.
func (s *Store) BindChat(ctx context.Context, c Chat, keys []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO chats(platform, id, type, title, lang, active, bound, created_at, updated_at) VALUES (?, ?, ?, ?, 'vi', 1, 1, ?, ?)
			ON CONFLICT(platform, id) DO UPDATE SET type = excluded.type, title = excluded.title, active = 1, bound = 1, updated_at = excluded.updated_at`,
			c.Platform, c.ID, c.Type, c.Title, now, now); err != nil {
			return fmt.Errorf("storage: bind %s: %w", c.ChatRef, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?`, c.Platform, c.ID); err != nil {
			return fmt.Errorf("storage: bind %s: %w", c.ChatRef, err)
		}
		for _, key := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO subscriptions(platform, chat_id, section, created_at) VALUES (?, ?, ?, ?)`,
				c.Platform, c.ID, key, now); err != nil {
				return fmt.Errorf("storage: bind %s to %s: %w", c.ChatRef, key, err)
			}
		}
		return nil
	})
}

// UnbindChat stops posting to a bound chat: its subscriptions and pending
// deliveries go. ErrNotFound if it was not bound.
func (s *Store) UnbindChat(ctx context.Context, ref ChatRef) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE chats SET bound = 0 WHERE platform = ? AND id = ? AND bound = 1`, ref.Platform, ref.ID)
		if err != nil {
			return fmt.Errorf("storage: unbind %s: %w", ref, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?`, ref.Platform, ref.ID); err != nil {
			return fmt.Errorf("storage: unbind %s: %w", ref, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'dropped', last_error = 'unbound' WHERE platform = ? AND chat_id = ? AND state = 'pending'`,
			ref.Platform, ref.ID); err != nil {
			return fmt.Errorf("storage: unbind %s: %w", ref, err)
		}
		return nil
	})
}

// Binding is a bound channel or group and its sections.
type Binding struct {
	Chat     Chat
	Sections []string
}

// Bindings lists the bound chats of a platform with their section keys.
func (s *Store) Bindings(ctx context.Context, platform string) ([]Binding, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT c.id, c.type, c.title, c.active, coalesce(group_concat(s.section, ','), '')
		FROM chats c LEFT JOIN subscriptions s ON s.platform = c.platform AND s.chat_id = c.id
		WHERE c.platform = ? AND c.bound = 1 GROUP BY c.platform, c.id ORDER BY c.title, c.id`, platform)
	if err != nil {
		return nil, fmt.Errorf("storage: list bindings: %w", err)
	}
	defer rows.Close()
	var out []Binding
	for rows.Next() {
		b := Binding{Chat: Chat{ChatRef: ChatRef{Platform: platform}}}
		var keys string
		if err := rows.Scan(&b.Chat.ID, &b.Chat.Type, &b.Chat.Title, &b.Chat.Active, &keys); err != nil {
			return nil, fmt.Errorf("storage: scan binding: %w", err)
		}
		if keys != "" {
			b.Sections = strings.Split(keys, ",")
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
