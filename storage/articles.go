package storage

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"sort"
	"strings"
	"time"
)

// SaveOptions tells SaveItems how to treat a successful poll.
type SaveOptions struct {
	Now          time.Time     // the poll's time
	MaxAge       time.Duration // items published before Now-MaxAge are stored but not pushed; 0 = no limit
	MaxPush      int           // at most this many new items are pushed, the newest; the rest are stored only; 0 = no limit
	ETag         string        // validators to send on the next poll
	LastModified string
	Title        string // the feed's own title
	// BodyHash identifies the document these items were parsed from (see
	// Feed.BodyHash); recorded with the poll, "" to forget it.
	BodyHash string
}

// SaveResult reports what SaveItems did.
type SaveResult struct {
	New      int  // items this feed had not carried before
	Enqueued int  // deliveries queued, edits included
	Edits    int  // of them, edits of sent alerts whose story a new article joined
	First    bool // the feed's first successful poll: nothing was pushed
	Withheld int  // new items stored but not pushed because of MaxPush
	Batches  int  // write transactions the save took
	// Unchanged: the poll brought nothing to store (a 304, or the same
	// document as last time); set by the poller, not by SaveItems.
	Unchanged bool
	// LongestBatch is how long the longest of them held the write lock.
	LongestBatch time.Duration
}

// Bounds of one write transaction of SaveItems: a poll of a hundred
// thousand items is written in many, so that a command waiting for the
// write lock waits about saveBatchTime at most, never the whole poll.
var (
	saveBatchTime  = 50 * time.Millisecond
	saveBatchItems = 1000
)

// SaveItems stores a feed's items, records the poll as a success, and
// enqueues one delivery per new article and subscribed active chat in the
// transaction that stores the article. An item is new when the feed has not
// carried it before: not its guid (or, when it has none, its canonical
// link), not its canonical link, and not the host and path of its link
// with the same title (a feed that rotates guids and tracking parameters).
// An item whose canonical link is already stored from another feed joins
// that article, and a chat already alerted about it is not alerted again.
// On the feed's first successful poll nothing is enqueued, nor for items
// older than MaxAge; of the others, only the MaxPush newest are (Withheld
// counts the rest). Items are written oldest first, in transactions of
// about saveBatchTime each; the last one records the poll. ErrNotFound if
// the feed was deleted.
func (s *Store) SaveItems(ctx context.Context, feedID int64, items []Item, opt SaveOptions) (SaveResult, error) {
	now := opt.Now.UTC()
	if now.IsZero() {
		now = time.Now().UTC()
	}
	// Oldest first, so that alerts go out in the order things happened.
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		pa, pb := items[order[a]].Published, items[order[b]].Published
		return !pa.IsZero() && !pb.IsZero() && pa.Before(pb)
	})

	var section string
	var polled sql.NullInt64
	err := dbStmts{s}.QueryRowContext(ctx, `SELECT section, polled_at FROM feeds WHERE id = ?`, feedID).Scan(&section, &polled)
	if isNoRows(err) {
		return SaveResult{}, ErrNotFound
	}
	if err != nil {
		return SaveResult{}, fmt.Errorf("storage: load feed %d: %w", feedID, err)
	}
	res := SaveResult{First: !polled.Valid}
	pushable := func(it Item) bool {
		return !res.First && (opt.MaxAge <= 0 || !effectivePublished(it, now).Before(now.Add(-opt.MaxAge)))
	}
	var allowed map[int]bool // nil: every new pushable item is pushed
	if opt.MaxPush > 0 && !res.First && len(items) > opt.MaxPush {
		if allowed, err = s.newestNew(ctx, feedID, items, opt.MaxPush, now, pushable); err != nil {
			return SaveResult{}, err
		}
	}

	storyOpt, grouping := s.storyOptions()
	var follows []follow
	loaded := false
	next := 0
	for {
		if err := ctx.Err(); err != nil {
			return SaveResult{}, err
		}
		var took time.Duration
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			start := time.Now()
			defer func() { took = time.Since(start) }()
			stmts := s.txStmts(tx)
			if !loaded && !res.First {
				var err error
				if follows, err = activeFollows(ctx, tx); err != nil {
					return err
				}
				loaded = true
			}
			batchStart := next
			// The search index is written last: FTS5 flushes what it holds
			// in memory to disk whenever a later statement of the
			// transaction opens a savepoint (every enqueueing INSERT …
			// SELECT does), which indexing article by article would turn
			// into one index segment, and merges, per article.
			var index []indexEntry
			for next < len(order) && (next-batchStart < saveBatchItems && time.Since(start) < saveBatchTime || next == batchStart) {
				idx := order[next]
				it := items[idx]
				next++
				isNew, articleID, created, published, err := saveItem(ctx, stmts, feedID, it, now)
				if err != nil {
					return err
				}
				if created {
					index = append(index, indexEntry{articleID, it})
				}
				if !isNew {
					continue
				}
				res.New++
				if !pushable(it) || (opt.MaxAge > 0 && published.Before(now.Add(-opt.MaxAge))) {
					continue
				}
				if allowed != nil && !allowed[idx] {
					res.Withheld++
					continue
				}
				// Only an article that is alerted is matched to a story
				// (2–7 ms each, BENCHMARKS.md "Stories"): what is stored
				// without an alert (a feed's first poll, old items, a
				// flood's rest) stays its own story, so bulk saves keep
				// their pace; a later article still finds it as a candidate.
				story := articleID
				if grouping {
					if created {
						story, err = assignStory(ctx, stmts, articleID, it, published, storyOpt)
					} else {
						// Another feed brought it first: its story is decided.
						story, err = storyOf(ctx, stmts, articleID)
					}
					if err != nil {
						return err
					}
				}
				n, err := enqueueSection(ctx, stmts, articleID, story, section, now)
				if err != nil {
					return err
				}
				res.Enqueued += n
				if n, err = enqueueFollows(ctx, tx, follows, articleID, story, it, now); err != nil {
					return err
				}
				res.Enqueued += n
				if created && story != articleID {
					if n, err = enqueueEdits(ctx, stmts, articleID, story, now); err != nil {
						return err
					}
					res.Enqueued += n
					res.Edits += n
				}
			}
			if err := indexArticles(ctx, stmts, index); err != nil {
				return err
			}
			if next < len(order) {
				return nil
			}
			r, err := stmts.ExecContext(ctx, `
				UPDATE feeds SET polled_at = coalesce(polled_at, ?), last_success_at = ?, last_error = '',
					failures = 0, next_attempt_at = NULL,
					etag = ?, last_modified = ?, title = CASE WHEN ? = '' THEN title ELSE ? END, body_hash = ?
				WHERE id = ?`,
				now.UnixMilli(), now.UnixMilli(), opt.ETag, opt.LastModified, opt.Title, opt.Title, opt.BodyHash, feedID)
			if err != nil {
				return fmt.Errorf("storage: record poll of feed %d: %w", feedID, err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return ErrNotFound // deleted while its items were written
			}
			return nil
		})
		if err != nil {
			return SaveResult{}, err
		}
		res.Batches++
		res.LongestBatch = max(res.LongestBatch, took)
		if next >= len(order) {
			return res, nil
		}
	}
}

// newestNew returns the indexes of the max items, among those new to the
// feed and pushable, that were published last (in the feed's order when
// the times are equal). It only reads, without the write lock.
func (s *Store) newestNew(ctx context.Context, feedID int64, items []Item, max int, now time.Time, pushable func(Item) bool) (map[int]bool, error) {
	var fresh []int
	for i, it := range items {
		if !pushable(it) {
			continue
		}
		_, known, err := knownToFeed(ctx, dbStmts{s}, feedID, it)
		if err != nil {
			return nil, err
		}
		if !known {
			fresh = append(fresh, i)
		}
	}
	sort.SliceStable(fresh, func(a, b int) bool {
		return effectivePublished(items[fresh[a]], now).After(effectivePublished(items[fresh[b]], now))
	})
	allowed := make(map[int]bool, max)
	for _, i := range fresh[:min(len(fresh), max)] {
		allowed[i] = true
	}
	return allowed, nil
}

// effectivePublished is the time an item is stored as published: its own,
// unless it has none or one in the future.
func effectivePublished(it Item, now time.Time) time.Time {
	p := it.Published.UTC()
	if p.IsZero() || p.After(now.Add(time.Hour)) {
		return now
	}
	return p
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

// linkKey is the host and path of a link, the host lower-cased, without
// scheme, query or fragment: what stays when a feed rotates tracking
// parameters. "" when the link has no host.
func linkKey(link string) string {
	u, err := neturl.Parse(strings.TrimSpace(link))
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".") + u.EscapedPath()
}

// querier is what reads need: a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// knownToFeed finds the article the feed already carries as it: by its
// identity, by its canonical link, or by its link's host and path with the
// same folded title.
func knownToFeed(ctx context.Context, q querier, feedID int64, it Item) (articleID int64, known bool, err error) {
	k := itemKeys(it)
	articleID, match, _, err := lookupItem(ctx, q, feedID, it, &k, false)
	if err == nil && match == matchNone {
		// Retention: an item whose article was pruned stays known (retention.go).
		known, err = wasPruned(ctx, q, feedID, it, &k)
		return 0, known, err
	}
	return articleID, match == matchIdentity || match == matchFeed, err
}

// How lookupItem found an item.
const (
	matchNone     = 0
	matchIdentity = 1 // the feed carries it under this identity: nothing to record
	matchFeed     = 2 // the feed carries it under another identity
	matchOther    = 3 // another feed brought the article (same canonical link)
)

// keys are an item's identities as stored: its identity (guid), its
// canonical link, and the link key and folded title of the fallback, NULL
// when empty. The fallback's are computed only when needed (withFallback):
// folding a title costs more than looking up a known item.
type keys struct {
	guid      string
	canonical any
	link      any
	title     any
	fallback  bool // link and title are set
}

func itemKeys(it Item) keys {
	return keys{guid: itemIdentity(it), canonical: nullIfEmpty(it.Canonical)}
}

func (k *keys) withFallback(it Item) {
	if !k.fallback {
		k.link, k.title, k.fallback = nullIfEmpty(linkKey(it.Link)), nullIfEmpty(FoldedWords(it.Title)), true
	}
}

// The lookups of an item, in order of preference: by its identity, the
// common case of a known item; then the others as one statement, one round
// trip for an item that is new. UNION ALL runs its parts in order and
// LIMIT 1 stops at the first that matches.
const (
	lookupIdentitySQL = `SELECT article_id FROM feed_items WHERE feed_id = ? AND guid = ?`
	lookupKnownSQL    = `
		SELECT fi.article_id, 2, 0 FROM articles a JOIN feed_items fi ON fi.article_id = a.id AND fi.feed_id = ?1
			WHERE ?3 IS NOT NULL AND a.canonical = ?3
		UNION ALL
		SELECT article_id, 2, 0 FROM feed_items
			WHERE ?4 IS NOT NULL AND ?5 IS NOT NULL AND feed_id = ?1 AND link_key = ?4 AND title_key = ?5`
	lookupItemSQL = lookupKnownSQL + `
		UNION ALL
		SELECT id, 3, published_at FROM articles WHERE ?3 IS NOT NULL AND canonical = ?3
		LIMIT 1`
)

// lookupItem finds how the feed, or with other another feed, already has
// the item; matchNone when it does not. published is the article's
// publication time (unix ms) for matchOther.
func lookupItem(ctx context.Context, q querier, feedID int64, it Item, k *keys, other bool) (articleID int64, match int, published int64, err error) {
	err = q.QueryRowContext(ctx, lookupIdentitySQL, feedID, k.guid).Scan(&articleID)
	if err == nil {
		return articleID, matchIdentity, 0, nil
	}
	if !isNoRows(err) {
		return 0, matchNone, 0, fmt.Errorf("storage: look up item: %w", err)
	}
	k.withFallback(it)
	query := lookupKnownSQL + ` LIMIT 1`
	if other {
		query = lookupItemSQL
	}
	err = q.QueryRowContext(ctx, query, feedID, k.guid, k.canonical, k.link, k.title).Scan(&articleID, &match, &published)
	if isNoRows(err) {
		return 0, matchNone, 0, nil
	}
	if err != nil {
		return 0, matchNone, 0, fmt.Errorf("storage: look up item: %w", err)
	}
	return articleID, match, published, nil
}

// saveItem stores one item and reports whether the feed carried it for the
// first time, the article it belongs to, whether that article was created
// (and is to be indexed for search) and its publication time.
// An item the feed carried under another guid is recorded under the new one
// too, and is not new.
func saveItem(ctx context.Context, tx *txStmts, feedID int64, it Item, now time.Time) (isNew bool, articleID int64, created bool, published time.Time, err error) {
	k := itemKeys(it)
	existing, match, otherPublished, err := lookupItem(ctx, tx, feedID, it, &k, true)
	if err != nil {
		return false, 0, false, time.Time{}, err
	}
	if match == matchNone || match == matchOther {
		// Retention: an item whose article was pruned is never new again (retention.go).
		if pruned, err := servedPruned(ctx, tx, feedID, it, &k, now); pruned || err != nil {
			return false, 0, false, time.Time{}, err
		}
	}
	switch match {
	case matchIdentity:
		return false, existing, false, time.Time{}, nil
	case matchFeed:
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_items(feed_id, guid, article_id, seen_at, link_key, title_key)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, feedID, k.guid, existing, now.UnixMilli(), k.link, k.title); err != nil {
			return false, 0, false, time.Time{}, fmt.Errorf("storage: insert feed item: %w", err)
		}
		return false, existing, false, time.Time{}, nil
	case matchOther:
		articleID, published = existing, time.UnixMilli(otherPublished).UTC()
	default:
		published = effectivePublished(it, now)
		r, err := tx.ExecContext(ctx, `
			INSERT INTO articles(feed_id, canonical, link, title, summary, image_url, published_at, seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			feedID, k.canonical, it.Link, it.Title, it.Summary, it.ImageURL, published.UnixMilli(), now.UnixMilli())
		if err != nil {
			return false, 0, false, time.Time{}, fmt.Errorf("storage: insert article: %w", err)
		}
		articleID, _ = r.LastInsertId()
		created = true
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO feed_items(feed_id, guid, article_id, seen_at, link_key, title_key) VALUES (?, ?, ?, ?, ?, ?)`,
		feedID, k.guid, articleID, now.UnixMilli(), k.link, k.title); err != nil {
		return false, 0, false, time.Time{}, fmt.Errorf("storage: insert feed item: %w", err)
	}
	return true, articleID, created, published, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// indexEntry is a new article to index for search.
type indexEntry struct {
	id int64
	it Item
}

// indexArticles adds new articles to the search index, and their words to
// the story matcher's counts, in the transaction that stores them.
func indexArticles(ctx context.Context, tx *txStmts, entries []indexEntry) error {
	items := make([]Item, 0, len(entries))
	for _, e := range entries {
		if err := indexArticle(ctx, tx, e.id, e.it); err != nil {
			return err
		}
		items = append(items, e.it)
	}
	return countStoryWords(ctx, tx, items)
}

// enqueueSection queues the article, of the story story, for every active
// chat subscribed to the section, unless the section was retired (its
// subscriptions are dormant); the unique (chat, article) and (chat, story)
// keys make it a no-op for a chat that already has the article or an alert
// of its story.
func enqueueSection(ctx context.Context, tx *txStmts, articleID, story int64, section string, now time.Time) (int, error) {
	r, err := tx.ExecContext(ctx, `
		INSERT INTO deliveries(platform, chat_id, article_id, story_id, next_attempt_at, created_at)
		SELECT s.platform, s.chat_id, ?, ?, ?, ?
		FROM subscriptions s JOIN chats c ON c.platform = s.platform AND c.id = s.chat_id
		WHERE s.section = ? AND c.active = 1
			AND NOT EXISTS (SELECT 1 FROM sections r WHERE r.key = s.section AND r.retired = 1)
		ORDER BY s.created_at
		ON CONFLICT DO NOTHING`,
		articleID, storyParam(articleID, story), now.UnixMilli(), now.UnixMilli(), section)
	if err != nil {
		return 0, fmt.Errorf("storage: enqueue article %d: %w", articleID, err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}

// The section is the article's own (it outlives its feed), the feed's for
// articles stored before it was recorded.
const articleColumns = `a.id, coalesce(a.feed_id, 0), a.link, a.title, a.summary, a.image_url, a.published_at,
	coalesce(nullif(a.section, ''), f.section, ''), coalesce(sec.name, ''), coalesce(nullif(f.title, ''), f.url, ''),
	coalesce(a.story_id, a.id)`

const articleJoins = ` FROM articles a
	LEFT JOIN feeds f ON f.id = a.feed_id
	LEFT JOIN sections sec ON sec.key = coalesce(nullif(a.section, ''), f.section)`

func scanArticle(row interface{ Scan(...any) error }) (Article, error) {
	var a Article
	var published int64
	err := row.Scan(&a.ID, &a.FeedID, &a.Link, &a.Title, &a.Summary, &a.ImageURL, &published,
		&a.Section, &a.SectionName, &a.Source, &a.StoryID)
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

// Latest returns the newest stories, of one section (any feed of it carried
// an article of theirs) or of all when section is "": one entry per story,
// its newest article, with Sources counting the story's articles.
func (s *Store) Latest(ctx context.Context, section string, limit int) ([]Article, error) {
	return s.latestStories(ctx, section, limit)
}

// NewToFeed reports, for each item, whether the feed has not carried it
// before (by the identities SaveItems uses): what a poll would store as new.
func (s *Store) NewToFeed(ctx context.Context, feedID int64, items []Item) ([]bool, error) {
	out := make([]bool, len(items))
	for i, it := range items {
		_, known, err := knownToFeed(ctx, dbStmts{s}, feedID, it)
		if err != nil {
			return nil, err
		}
		out[i] = !known
	}
	return out, nil
}
