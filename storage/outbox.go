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

// maxWaiting bounds the count DueDeliveries reports in Waiting. Waiting
// tells a backlog (the dispatcher combines a chat's alerts above five), and
// counting is most of the query's cost: at 100 due rows a chat, counting
// them all took 3.5 of its 5 ms at a million pending rows.
const maxWaiting = 50

// DueDeliveries returns the oldest due pending delivery of each chat, for up
// to limit chats, the longest-waiting first, with their chat and article.
// One per chat keeps a chat with a long queue from holding up the others;
// Waiting tells how long that chat's queue of due rows is (at most maxWaiting).
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	// outbox_heads holds each chat's oldest pending row (kept by triggers),
	// so a chat's alerts never overtake each other; its index gives the due
	// heads in the order they fell due, and the article comes in the same
	// query.
	rows, err := s.db.QueryContext(ctx, `
		SELECT d.id, d.attempts, d.transient_failures, d.text, d.created_at,
			(SELECT count(*) FROM (SELECT 1 FROM deliveries w INDEXED BY deliveries_chat_due
				WHERE w.platform = h.platform AND w.chat_id = h.chat_id AND w.state = 'pending' AND w.next_attempt_at <= ?1 LIMIT ?3)),
			`+deliveryColumns+`
		FROM outbox_heads h
		JOIN deliveries d ON d.id = h.delivery_id`+deliveryJoins+`
		WHERE h.next_attempt_at <= ?1
		ORDER BY h.next_attempt_at, h.delivery_id LIMIT ?2`, now.UnixMilli(), limit, maxWaiting)
	return s.withSources(ctx)(scanDeliveries(rows, err))
}

// withSources returns a function that attaches their stories' sources to
// deliveries just read.
func (s *Store) withSources(ctx context.Context) func([]Delivery, error) ([]Delivery, error) {
	return func(dels []Delivery, err error) ([]Delivery, error) {
		if err != nil {
			return nil, err
		}
		if err := s.attachSources(ctx, dels); err != nil {
			return nil, err
		}
		return dels, nil
	}
}

// NextDue returns when the earliest pending delivery that DueDeliveries
// would return falls due (a chat's oldest pending row), and false when
// nothing is pending: what an idle dispatcher sleeps until. The heads'
// index answers it without a scan.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM outbox_heads`).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next due delivery: %w", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(at.Int64).UTC(), true, nil
}

// PendingFor returns up to limit pending deliveries of one chat, due or not,
// oldest first: what a digest or a combined message gathers.
func (s *Store) PendingFor(ctx context.Context, chat ChatRef, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT d.id, d.attempts, d.transient_failures, d.text, d.created_at, 0, `+deliveryColumns+`
		FROM deliveries d INDEXED BY deliveries_chat_state`+deliveryJoins+`
		WHERE d.platform = ? AND d.chat_id = ? AND d.state = 'pending'
		ORDER BY d.id LIMIT ?`, chat.Platform, chat.ID, limit)
	return s.withSources(ctx)(scanDeliveries(rows, err))
}

// deliveryColumns selects, after a delivery's own columns, its chat's
// settings and its article (NULLs when it has none: a broadcast) from
// deliveryJoins, in the order scanDeliveries reads them. An edit row's
// article is that of the alert it edits (o), as its text is (copied when
// the edit was queued).
const deliveryColumns = `d.platform, d.chat_id, ` + chatSettings + `,
	a.id IS NOT NULL, coalesce(a.id, 0), coalesce(a.feed_id, 0), coalesce(a.link, ''), coalesce(a.title, ''),
	coalesce(a.summary, ''), coalesce(a.image_url, ''), coalesce(a.published_at, 0),
	coalesce(nullif(a.section, ''), f.section, ''), coalesce(sec.name, ''), coalesce(nullif(f.title, ''), f.url, ''),
	coalesce(a.story_id, a.id, 0), coalesce(d.edit_of, 0), coalesce(o.message_id, ''), coalesce(o.sent_at, 0)`

const deliveryJoins = `
	LEFT JOIN chats c ON c.platform = d.platform AND c.id = d.chat_id
	LEFT JOIN deliveries o ON o.id = d.edit_of
	LEFT JOIN articles a ON a.id = coalesce(o.article_id, d.article_id)
	LEFT JOIN feeds f ON f.id = a.feed_id
	LEFT JOIN sections sec ON sec.key = coalesce(nullif(a.section, ''), f.section)`

// scanDeliveries reads the rows of a query selecting id, attempts,
// transient failures, text, created, waiting and deliveryColumns.
func scanDeliveries(rows *sql.Rows, err error) ([]Delivery, error) {
	if err != nil {
		return nil, fmt.Errorf("storage: read outbox: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var created int64
		var hasArticle bool
		var a Article
		var published, editOf, editSent int64
		var editMessage string
		dest := append([]any{&d.ID, &d.Attempts, &d.TransientFailures, &d.Text, &created, &d.Waiting}, chatDest(&d.Chat)...)
		dest = append(dest, &hasArticle, &a.ID, &a.FeedID, &a.Link, &a.Title, &a.Summary, &a.ImageURL, &published,
			&a.Section, &a.SectionName, &a.Source, &a.StoryID, &editOf, &editMessage, &editSent)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("storage: scan delivery: %w", err)
		}
		d.Created = time.UnixMilli(created).UTC()
		if editOf != 0 {
			d.Edit = &Edit{Of: editOf, MessageID: editMessage, SentAt: time.UnixMilli(editSent).UTC()}
		}
		if hasArticle {
			a.Published = time.UnixMilli(published).UTC()
			d.Article = &a
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: read outbox: %w", err)
	}
	return out, nil
}

// MarkSent records that the platform accepted the delivery.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.markSentMessage(ctx, id, at, "")
}

func (s *Store) markSentMessage(ctx context.Context, id int64, at time.Time, messageID string) error {
	s.writeMu.Lock()
	_, err := s.markSent.ExecContext(ctx, at.UnixMilli(), messageID, id)
	s.writeMu.Unlock()
	err = s.noteWrite(err)
	if err != nil {
		return fmt.Errorf("storage: mark delivery %d sent: %w", id, err)
	}
	return nil
}

// MarkRetry records a failed attempt and when to try again.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		next.UnixMilli(), reason, id)
	if err != nil {
		return fmt.Errorf("storage: reschedule delivery %d: %w", id, err)
	}
	return nil
}

// MarkTransient records a failure that was not the message's fault (the
// platform down, a timeout) and when to try again; it uses no attempt.
func (s *Store) MarkTransient(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET transient_failures = transient_failures + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		next.UnixMilli(), reason, id)
	if err != nil {
		return fmt.Errorf("storage: reschedule delivery %d: %w", id, err)
	}
	return nil
}

// MarkExpired ends a delivery that kept failing for reasons not its own
// until it was too old to be worth sending; it uses no attempt.
func (s *Store) MarkExpired(ctx context.Context, id int64, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET state = 'failed', transient_failures = transient_failures + 1, last_error = ? WHERE id = ?`,
		reason, id)
	if err != nil {
		return fmt.Errorf("storage: expire delivery %d: %w", id, err)
	}
	return nil
}

// MarkFailed ends a delivery that will not be sent (refused, or out of attempts).
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`,
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

// Postpone moves a delivery's next attempt without counting an attempt (the
// platform asked us to wait).
func (s *Store) Postpone(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET next_attempt_at = ?, last_error = ? WHERE id = ?`,
		next.UnixMilli(), reason, id)
	if err != nil {
		return fmt.Errorf("storage: postpone delivery %d: %w", id, err)
	}
	return nil
}

// MigrateChat moves a chat that changed id (a group that became a
// supergroup) to its new id, with its subscriptions and pending deliveries.
func (s *Store) MigrateChat(ctx context.Context, old ChatRef, newID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UnixMilli()
		// The new chat may already exist (it talked to the bot): merge into it.
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO chats(platform, id, type, title, lang, active, created_at, updated_at, digest, digest_at, quiet_start, quiet_end, tz, bound)
			SELECT platform, ?, 'supergroup', title, lang, 1, created_at, ?, digest, digest_at, quiet_start, quiet_end, tz, bound
			FROM chats WHERE platform = ? AND id = ?
			ON CONFLICT(platform, id) DO UPDATE SET active = 1, updated_at = excluded.updated_at`,
			newID, now, old.Platform, old.ID); err != nil {
			return fmt.Errorf("storage: migrate %s: %w", old, err)
		}
		stmts := []string{
			`UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE platform = ? AND chat_id = ?`,
			`UPDATE OR IGNORE follows SET chat_id = ? WHERE platform = ? AND chat_id = ?`,
			`UPDATE OR IGNORE deliveries SET chat_id = ? WHERE platform = ? AND chat_id = ? AND state = 'pending'`,
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q, newID, old.Platform, old.ID); err != nil {
				return fmt.Errorf("storage: migrate %s: %w", old, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'dropped', last_error = 'chat migrated to ' || ?
			WHERE platform = ? AND chat_id = ? AND state = 'pending'`, newID, old.Platform, old.ID); err != nil {
			return fmt.Errorf("storage: migrate %s: %w", old, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET active = 0 WHERE platform = ? AND id = ?`, old.Platform, old.ID); err != nil {
			return fmt.Errorf("storage: migrate %s: %w", old, err)
		}
		return nil
	})
}

// DeliveryState is a delivery's bookkeeping, as an operator (or a test) inspects it.
type DeliveryState struct {
	ID                int64
	State             string
	Attempts          int
	TransientFailures int
	LastError         string
	MessageID         string // the platform's id of the message that carried it, once sent
}

// DeliveryStates lists the chat's deliveries by id.
func (s *Store) DeliveryStates(ctx context.Context, chat ChatRef) ([]DeliveryState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, state, attempts, transient_failures, last_error, coalesce(message_id, '') FROM deliveries WHERE platform = ? AND chat_id = ? ORDER BY id`,
		chat.Platform, chat.ID)
	if err != nil {
		return nil, fmt.Errorf("storage: deliveries of %s: %w", chat, err)
	}
	defer rows.Close()
	var out []DeliveryState
	for rows.Next() {
		var d DeliveryState
		if err := rows.Scan(&d.ID, &d.State, &d.Attempts, &d.TransientFailures, &d.LastError, &d.MessageID); err != nil {
			return nil, fmt.Errorf("storage: scan delivery: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkSentMany records that one message (a digest, a combined alert)
// carried all these deliveries.
func (s *Store) MarkSentMany(ctx context.Context, ids []int64, at time.Time) error {
	return s.MarkSentMessage(ctx, ids, at, "")
}

// MarkSentMessage records that the platform accepted one message, with its
// id messageID ("" when the platform gives none), carrying all these
// deliveries; the id is what a later edit of the message addresses.
func (s *Store) MarkSentMessage(ctx context.Context, ids []int64, at time.Time, messageID string) error {
	if len(ids) == 1 {
		return s.markSentMessage(ctx, ids[0], at, messageID)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '', message_id = nullif(?, '') WHERE id = ?`,
				at.UnixMilli(), messageID, id); err != nil {
				return fmt.Errorf("storage: mark delivery %d sent: %w", id, err)
			}
		}
		return nil
	})
}

// SentMark is one message the platform accepted: the deliveries it carried,
// when, and the platform's id of it ("" when the platform gives none).
type SentMark struct {
	IDs       []int64
	At        time.Time
	MessageID string
}

// MarkSentBatch records several accepted messages in one transaction, each
// delivery with its own message's id: the dispatcher gathers the marks of
// sends that finished close together, and one commit costs about as much
// as one mark. Either all are recorded or none.
func (s *Store) MarkSentBatch(ctx context.Context, marks []SentMark) error {
	if len(marks) == 1 {
		return s.MarkSentMessage(ctx, marks[0].IDs, marks[0].At, marks[0].MessageID)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Bound to the transaction once, not per row.
		st := tx.StmtContext(ctx, s.markSent)
		defer st.Close()
		for _, m := range marks {
			for _, id := range m.IDs {
				if _, err := st.ExecContext(ctx, m.At.UnixMilli(), m.MessageID, id); err != nil {
					return fmt.Errorf("storage: mark delivery %d sent: %w", id, err)
				}
			}
		}
		return nil
	})
}

// PostponeChat moves the next attempt of every pending delivery of the chat
// to next (digest time, end of quiet hours).
func (s *Store) PostponeChat(ctx context.Context, chat ChatRef, next time.Time) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET next_attempt_at = ? WHERE platform = ? AND chat_id = ? AND state = 'pending'`,
		next.UnixMilli(), chat.Platform, chat.ID)
	if err != nil {
		return fmt.Errorf("storage: postpone deliveries of %s: %w", chat, err)
	}
	return nil
}

// EnqueueBroadcast queues text for every active chat and returns how many.
func (s *Store) EnqueueBroadcast(ctx context.Context, text string) (int, error) {
	now := time.Now().UnixMilli()
	r, err := s.exec(ctx, `
		INSERT INTO deliveries(platform, chat_id, text, next_attempt_at, created_at)
		SELECT platform, id, ?, ?, ? FROM chats WHERE active = 1`, text, now, now)
	if err != nil {
		return 0, fmt.Errorf("storage: enqueue broadcast: %w", err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}
