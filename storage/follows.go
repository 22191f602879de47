package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Follow makes the chat follow a phrase; it reports false when it already did.
func (s *Store) Follow(ctx context.Context, chat ChatRef, input string) (bool, error) {
	phrase := FoldedWords(input)
	r, err := s.exec(ctx, `INSERT INTO follows(platform, chat_id, phrase, display, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, chat.Platform, chat.ID, phrase, strings.TrimSpace(input), time.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("storage: follow %q for %s: %w", phrase, chat, err)
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}

// Unfollow stops following a phrase; it reports false when the chat did not follow it.
func (s *Store) Unfollow(ctx context.Context, chat ChatRef, input string) (bool, error) {
	r, err := s.exec(ctx, `DELETE FROM follows WHERE platform = ? AND chat_id = ? AND phrase = ?`,
		chat.Platform, chat.ID, FoldedWords(input))
	if err != nil {
		return false, fmt.Errorf("storage: unfollow for %s: %w", chat, err)
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}

// Follows lists the phrases the chat follows, as typed, oldest first.
func (s *Store) Follows(ctx context.Context, chat ChatRef) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT display FROM follows WHERE platform = ? AND chat_id = ? ORDER BY created_at, phrase`,
		chat.Platform, chat.ID)
	if err != nil {
		return nil, fmt.Errorf("storage: follows of %s: %w", chat, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("storage: scan follow: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// follow is one active chat's phrase, for matching new articles.
type follow struct {
	chat   ChatRef
	phrase string // " sa pa "
	joined string // " sapa ": the same words written together
	shown  string // as the person typed it, said in the alert
}

// activeFollows loads every active chat's phrases.
func activeFollows(ctx context.Context, tx *sql.Tx) ([]follow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT f.platform, f.chat_id, f.phrase, f.display FROM follows f
		JOIN chats c ON c.platform = f.platform AND c.id = f.chat_id WHERE c.active = 1`)
	if err != nil {
		return nil, fmt.Errorf("storage: load follows: %w", err)
	}
	defer rows.Close()
	var out []follow
	for rows.Next() {
		var f follow
		var phrase string
		if err := rows.Scan(&f.chat.Platform, &f.chat.ID, &phrase, &f.shown); err != nil {
			return nil, fmt.Errorf("storage: scan follow: %w", err)
		}
		f.phrase = " " + phrase + " "
		if strings.Contains(phrase, " ") {
			f.joined = " " + strings.ReplaceAll(phrase, " ", "") + " "
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// matches reports whether the article's folded words contain the phrase as
// whole words, or its words written together ("sa pa" matches "SaPa").
func (f follow) matches(words string) bool {
	return strings.Contains(words, f.phrase) || (f.joined != "" && strings.Contains(words, f.joined))
}

// enqueueFollows queues the article, of the story story, for the chats
// whose phrases it matches, with the phrase in the delivery's text so the
// alert can say why it came; a chat that already has it (from a section)
// or an alert of its story is not queued again.
func enqueueFollows(ctx context.Context, tx *sql.Tx, follows []follow, articleID, story int64, it Item, now time.Time) (int, error) {
	if len(follows) == 0 {
		return 0, nil
	}
	words := " " + FoldedWords(it.Title+" "+it.Summary) + " "
	n := 0
	for _, f := range follows {
		if !f.matches(words) {
			continue
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO deliveries(platform, chat_id, article_id, story_id, text, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, f.chat.Platform, f.chat.ID, articleID, storyParam(articleID, story), f.shown, now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return n, fmt.Errorf("storage: enqueue follow: %w", err)
		}
		k, _ := r.RowsAffected()
		n += int(k)
	}
	return n, nil
}
