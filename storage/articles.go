package storage

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// SaveOptions tells SaveItems how to treat a successful poll.
type SaveOptions struct {
	Now          time.Time     // the poll's time
	MaxAge       time.Duration // items published before Now-MaxAge are stored but not pushed; 0 = no limit
	ETag         string        // validators to send on the next poll
	LastModified string
	Title        string // the feed's own title
}

// SaveResult reports what SaveItems did.
type SaveResult struct {
	New      int  // items this feed had not carried before
	Enqueued int  // deliveries queued
	First    bool // the feed's first successful poll: nothing was pushed
}

// SaveItems stores a feed's items, records the poll as a success, and in the
// same transaction enqueues one delivery per new article and subscribed
// active chat. An item is new when the feed has not carried its guid (or, when
// it has none, its canonical link) before; an item whose canonical link is
// already stored from another feed joins that article, and a chat already
// alerted about it is not alerted again. On the feed's first successful poll
// nothing is enqueued, nor for items older than MaxAge. ErrNotFound if the
// feed was deleted.
func (s *Store) SaveItems(ctx context.Context, feedID int64, items []Item, opt SaveOptions) (SaveResult, error) {
	now := opt.Now.UTC()
	if now.IsZero() {
		now = time.Now().UTC()
	}
	// Oldest first, so that alerts go out in the order things happened.
	sorted := make([]Item, len(items))
	copy(sorted, items)
	sort.SliceStable(sorted, func(i, j int) bool {
		return !sorted[i].Published.IsZero() && !sorted[j].Published.IsZero() && sorted[i].Published.Before(sorted[j].Published)
	})

	var res SaveResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var section string
		var polled sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT section, polled_at FROM feeds WHERE id = ?`, feedID).Scan(&section, &polled)
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("storage: load feed %d: %w", feedID, err)
		}
		res.First = !polled.Valid
		var follows []follow
		if !res.First {
			if follows, err = activeFollows(ctx, tx); err != nil {
				return err
			}
		}
		for _, it := range sorted {
			isNew, articleID, published, err := saveItem(ctx, tx, feedID, it, now)
			if err != nil {
				return err
			}
			if !isNew {
				continue
			}
			res.New++
			if res.First || (opt.MaxAge > 0 && published.Before(now.Add(-opt.MaxAge))) {
				continue
			}
			n, err := enqueueSection(ctx, tx, articleID, section, now)
			if err != nil {
				return err
			}
			res.Enqueued += n
			if n, err = enqueueFollows(ctx, tx, follows, articleID, it, now); err != nil {
				return err
			}
			res.Enqueued += n
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE feeds SET polled_at = coalesce(polled_at, ?), last_success_at = ?, last_error = '',
				etag = ?, last_modified = ?, title = CASE WHEN ? = '' THEN title ELSE ? END
			WHERE id = ?`,
			now.UnixMilli(), now.UnixMilli(), opt.ETag, opt.LastModified, opt.Title, opt.Title, feedID)
		if err != nil {
			return fmt.Errorf("storage: record poll of feed %d: %w", feedID, err)
		}
		return nil
	})
	if err != nil {
		return SaveResult{}, err
	}
	return res, nil
}

// itemIdentity is what the feed calls the item: its guid, else its canonical
// link, else a hash of its title (an item with neither is still kept).
func itemIdentity(it Item) string {
	switch {
	case it.GUID != "":
		return it.GUID
	case it.Canonical != "":
		return it.Canonical
	default:
		sum := sha1.Sum([]byte(it.Title + "\x00" + it.Summary))
		return "sha1:" + hex.EncodeToString(sum[:])
	}
}

// saveItem stores one item and reports whether the feed carried it for the
// first time, the article it belongs to and that article's publication time.
func saveItem(ctx context.Context, tx *sql.Tx, feedID int64, it Item, now time.Time) (bool, int64, time.Time, error) {
	guid := itemIdentity(it)
	var existing int64
	err := tx.QueryRowContext(ctx, `SELECT article_id FROM feed_items WHERE feed_id = ? AND guid = ?`, feedID, guid).Scan(&existing)
	if err == nil {
		return false, existing, time.Time{}, nil
	}
	if !isNoRows(err) {
		return false, 0, time.Time{}, fmt.Errorf("storage: look up item: %w", err)
	}
	published := it.Published.UTC()
	if published.IsZero() || published.After(now.Add(time.Hour)) {
		// No date, or one in the future (a feed's clock or zone is off): the
		// moment we first saw it is the honest publication time.
		published = now
	}
	var canonical any
	if it.Canonical != "" {
		canonical = it.Canonical
	}
	var articleID int64
	var articlePublished int64
	if canonical != nil {
		err = tx.QueryRowContext(ctx, `SELECT id, published_at FROM articles WHERE canonical = ?`, canonical).Scan(&articleID, &articlePublished)
		if err != nil && !isNoRows(err) {
			return false, 0, time.Time{}, fmt.Errorf("storage: look up article: %w", err)
		}
		if err == nil {
			published = time.UnixMilli(articlePublished).UTC()
		}
	}
	if articleID == 0 {
		r, err := tx.ExecContext(ctx, `
			INSERT INTO articles(feed_id, canonical, link, title, summary, image_url, published_at, seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			feedID, canonical, it.Link, it.Title, it.Summary, it.ImageURL, published.UnixMilli(), now.UnixMilli())
		if err != nil {
			return false, 0, time.Time{}, fmt.Errorf("storage: insert article: %w", err)
		}
		articleID, _ = r.LastInsertId()
		if _, err := tx.ExecContext(ctx, `INSERT INTO articles_fts(rowid, title, summary, body) VALUES (?, ?, ?, ?)`,
			articleID, Fold(it.Title), Fold(it.Summary), Fold(it.Body)); err != nil {
			return false, 0, time.Time{}, fmt.Errorf("storage: index article: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO feed_items(feed_id, guid, article_id, seen_at) VALUES (?, ?, ?, ?)`,
		feedID, guid, articleID, now.UnixMilli()); err != nil {
		return false, 0, time.Time{}, fmt.Errorf("storage: insert feed item: %w", err)
	}
	return true, articleID, published, nil
}

// enqueueSection queues the article for every active chat subscribed to the
// section; the unique (chat, article) key makes a second queueing a no-op.
func enqueueSection(ctx context.Context, tx *sql.Tx, articleID int64, section string, now time.Time) (int, error) {
	r, err := tx.ExecContext(ctx, `
		INSERT INTO deliveries(platform, chat_id, article_id, next_attempt_at, created_at)
		SELECT s.platform, s.chat_id, ?, ?, ?
		FROM subscriptions s JOIN chats c ON c.platform = s.platform AND c.id = s.chat_id
		WHERE s.section = ? AND c.active = 1
		ORDER BY s.created_at
		ON CONFLICT DO NOTHING`,
		articleID, now.UnixMilli(), now.UnixMilli(), section)
	if err != nil {
		return 0, fmt.Errorf("storage: enqueue article %d: %w", articleID, err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}

const articleColumns = `a.id, coalesce(a.feed_id, 0), a.link, a.title, a.summary, a.image_url, a.published_at,
	coalesce(f.section, ''), coalesce(sec.name, ''), coalesce(nullif(f.title, ''), f.url, '')`

const articleJoins = ` FROM articles a
	LEFT JOIN feeds f ON f.id = a.feed_id
	LEFT JOIN sections sec ON sec.key = f.section`

func scanArticle(row interface{ Scan(...any) error }) (Article, error) {
	var a Article
	var published int64
	err := row.Scan(&a.ID, &a.FeedID, &a.Link, &a.Title, &a.Summary, &a.ImageURL, &published,
		&a.Section, &a.SectionName, &a.Source)
	a.Published = time.UnixMilli(published).UTC()
	return a, err
}

func (s *Store) queryArticles(ctx context.Context, query string, args ...any) ([]Article, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: query articles: %w", err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: scan article: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: query articles: %w", err)
	}
	return out, nil
}

// Article returns one article, or ErrNotFound.
func (s *Store) Article(ctx context.Context, id int64) (Article, error) {
	a, err := scanArticle(s.db.QueryRowContext(ctx, `SELECT `+articleColumns+articleJoins+` WHERE a.id = ?`, id))
	if isNoRows(err) {
		return Article{}, ErrNotFound
	}
	if err != nil {
		return Article{}, fmt.Errorf("storage: article %d: %w", id, err)
	}
	return a, nil
}

// Latest returns the newest articles, of one section (any feed of it carried
// them) or of all when section is "".
func (s *Store) Latest(ctx context.Context, section string, limit int) ([]Article, error) {
	if section == "" {
		return s.queryArticles(ctx, `SELECT `+articleColumns+articleJoins+`
			ORDER BY a.published_at DESC, a.id DESC LIMIT ?`, limit)
	}
	return s.queryArticles(ctx, `SELECT `+articleColumns+articleJoins+`
		WHERE a.id IN (SELECT fi.article_id FROM feed_items fi JOIN feeds f2 ON f2.id = fi.feed_id WHERE f2.section = ?)
		ORDER BY a.published_at DESC, a.id DESC LIMIT ?`, section, limit)
}

// Search returns the best matches for what a person typed, among titles and
// summaries, diacritics and case ignored; newest first among equally good
// matches. section limits it to one section when not "". offset pages.
// It returns no articles (and no error) when the input has no word.
func (s *Store) Search(ctx context.Context, input, section string, limit, offset int) ([]Article, error) {
	expr := MatchExpr(input)
	if expr == "" {
		return nil, nil
	}
	// bm25 is negative, lower is better, a title hit weighing more than
	// one in the summary, and that more than one in the body. It is
	// blended with recency: an article a month old counts half as much as
	// one of today; rounding lets the newest win between matches of about
	// the same strength.
	q := `SELECT ` + articleColumns + articleJoins + `
		JOIN (SELECT rowid, bm25(articles_fts, 4.0, 1.0, 0.5) AS rank FROM articles_fts WHERE articles_fts MATCH ?) m
			ON m.rowid = a.id`
	args := []any{expr}
	if section != "" {
		q += ` WHERE a.id IN (SELECT fi.article_id FROM feed_items fi JOIN feeds f2 ON f2.id = fi.feed_id WHERE f2.section = ?)`
		args = append(args, section)
	}
	q += ` ORDER BY round(m.rank / (1.0 + max(? - a.published_at, 0) / 2592000000.0), 1), a.published_at DESC, a.id DESC LIMIT ? OFFSET ?`
	args = append(args, time.Now().UnixMilli(), limit, offset)
	return s.queryArticles(ctx, q, args...)
}

// NewToFeed reports, for each item, whether the feed has not carried it
// before (by the same identity SaveItems uses): what a poll would store as new.
func (s *Store) NewToFeed(ctx context.Context, feedID int64, items []Item) ([]bool, error) {
	out := make([]bool, len(items))
	for i, it := range items {
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM feed_items WHERE feed_id = ? AND guid = ?`, feedID, itemIdentity(it)).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("storage: look up item: %w", err)
		}
		out[i] = n == 0
	}
	return out, nil
}
