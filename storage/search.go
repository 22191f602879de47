package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// indexArticle adds a new article to the search index, its texts both as
// written (lower case, composed) and folded.
func indexArticle(ctx context.Context, tx execer, articleID int64, it Item) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO articles_fts(rowid, title, summary, body, title_f, summary_f, body_f)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		articleID, exactText(it.Title), exactText(it.Summary), exactText(it.Body),
		Fold(it.Title), Fold(it.Summary), Fold(it.Body)); err != nil {
		return fmt.Errorf("storage: index article %d: %w", articleID, err)
	}
	return nil
}

// execer runs a writing statement: a transaction, or its prepared
// statements (txStmts).
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ErrBadCursor is returned for a next-page cursor that is malformed, or
// whose search is no longer known.
var ErrBadCursor = errors.New("storage: search cursor is not valid")

// SearchPage is one page of a search.
type SearchPage struct {
	Query   string // as typed
	Section string // the section searched, "" for all
	Number  int    // 1 for the first page
	// Articles are the page's results, best first. (Once stories exist,
	// this is where an article stands for its story: one entry per story,
	// with its number of sources.)
	Articles []Article
	// Next is the cursor of the next page, for SearchMore; "" on the last.
	Next string
}

// searchWindow is how many of the newest matches of a tier are ranked
// together. Ranking all matches would cost as many as there are (hundreds
// of thousands for a common word in a million articles); a window keeps a
// page's cost bounded, and since the ranking blends in recency, matches
// older than the window's rarely belong on the first pages anyway.
var searchWindow = 100

// SearchFirst returns the first page of results for what a person typed:
// among titles, summaries and bodies, the words typed with diacritics in
// their exact form first, then in any form; the words adjacent and in order
// above the words scattered; relevance (title above summary above body)
// blended with recency; case ignored. section limits it to one section when
// not "". A page with no articles (and no error) when nothing matches or the
// input has no word.
func (s *Store) SearchFirst(ctx context.Context, input, section string, limit int) (SearchPage, error) {
	var top int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM articles`).Scan(&top); err != nil {
		return SearchPage{}, fmt.Errorf("storage: search: %w", err)
	}
	c := cursor{key: searchKey(input, section), page: 1, top: top, hi: top, t0: time.Now().Unix() / 60}
	return s.searchPage(ctx, input, section, c, limit)
}

// SearchMore returns the page a cursor from SearchPage.Next points at.
// ErrBadCursor when it is malformed or its search was forgotten (see
// RememberSearch).
func (s *Store) SearchMore(ctx context.Context, next string, limit int) (SearchPage, error) {
	c, err := decodeCursor(next)
	if err != nil {
		return SearchPage{}, err
	}
	var query, section string
	err = s.db.QueryRowContext(ctx, `SELECT query, section FROM search_queries WHERE key = ?`, c.key).Scan(&query, &section)
	if isNoRows(err) {
		return SearchPage{}, ErrBadCursor
	}
	if err != nil {
		return SearchPage{}, fmt.Errorf("storage: load search: %w", err)
	}
	if c.tier >= len(planSearch(query)) {
		return SearchPage{}, ErrBadCursor
	}
	return s.searchPage(ctx, query, section, c, limit)
}

// Search returns up to limit results for input, after skipping offset of
// them: SearchFirst and SearchMore for callers that want a plain list.
func (s *Store) Search(ctx context.Context, input, section string, limit, offset int) ([]Article, error) {
	p, err := s.SearchFirst(ctx, input, section, limit+offset)
	if err != nil {
		return nil, err
	}
	if offset >= len(p.Articles) {
		return nil, nil
	}
	return p.Articles[offset:], nil
}

// searchQueryAge is how long an unused search stays known to its cursors.
const searchQueryAge = 30 * 24 * time.Hour

// RememberSearch records what the page's cursor needs to continue (its
// query), and the page's cursor as the chat's next page for LastSearch ("" on
// the last page forgets it). Searches unused for a month are forgotten.
func (s *Store) RememberSearch(ctx context.Context, chat ChatRef, p SearchPage) error {
	now := time.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if p.Next == "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM search_next WHERE platform = ? AND chat_id = ?`, chat.Platform, chat.ID); err != nil {
				return fmt.Errorf("storage: forget next page of %s: %w", chat, err)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_queries(key, query, section, used_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET used_at = excluded.used_at`,
			searchKey(p.Query, p.Section), p.Query, p.Section, now.UnixMilli()); err != nil {
			return fmt.Errorf("storage: remember search: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_queries WHERE used_at < ?`, now.Add(-searchQueryAge).UnixMilli()); err != nil {
			return fmt.Errorf("storage: prune searches: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_next(platform, chat_id, cursor, at) VALUES (?, ?, ?, ?)
			ON CONFLICT(platform, chat_id) DO UPDATE SET cursor = excluded.cursor, at = excluded.at`,
			chat.Platform, chat.ID, p.Next, now.UnixMilli()); err != nil {
			return fmt.Errorf("storage: remember next page of %s: %w", chat, err)
		}
		return nil
	})
}

// LastSearch returns the cursor of the chat's next page of its last search,
// "" when there is none.
func (s *Store) LastSearch(ctx context.Context, chat ChatRef) (string, error) {
	var c string
	err := s.db.QueryRowContext(ctx, `SELECT cursor FROM search_next WHERE platform = ? AND chat_id = ?`, chat.Platform, chat.ID).Scan(&c)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("storage: next page of %s: %w", chat, err)
	}
	return c, nil
}

// searchKey names a query and section in search_queries.
func searchKey(query, section string) int64 {
	sum := sha256.Sum256([]byte(query + "\x00" + section))
	return int64(binary.BigEndian.Uint64(sum[:8]) &^ (1 << 63))
}

// cursor is a position in a search: the tier being read, the window of it
// (its newest article), and the last result shown, by score and id.
type cursor struct {
	key    int64 // search_queries.key
	page   int   // the page it opens
	top    int64 // the newest article when the search began: later ones wait for a new search
	t0     int64 // unix minutes: recency counts from here on every page
	bucket int   // the unit of searchBucket articles being read, 0 the newest
	tier   int
	hi     int64 // the newest article of the window
	score  int64 // the last result shown
	id     int64
}

const cursorVersion = 1

// encode writes the cursor compactly (about 40 characters, URL-safe): it
// travels in a button's data, which Telegram caps at 64 bytes.
func (c cursor) encode() string {
	b := []byte{cursorVersion}
	b = binary.BigEndian.AppendUint64(b, uint64(c.key))
	for _, v := range []int64{int64(c.page), c.top, c.t0, int64(c.bucket), int64(c.tier), c.hi, c.id} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	b = binary.AppendVarint(b, c.score)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor, checking what can be checked without the
// database: it comes from a person's message or button and may be anything.
func decodeCursor(s string) (cursor, error) {
	if len(s) > 64 {
		return cursor{}, ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 9 || b[0] != cursorVersion {
		return cursor{}, ErrBadCursor
	}
	c := cursor{key: int64(binary.BigEndian.Uint64(b[1:9]))}
	b = b[9:]
	var vals [7]int64
	for i := range vals {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > math.MaxInt64 {
			return cursor{}, ErrBadCursor
		}
		vals[i], b = int64(v), b[n:]
	}
	score, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return cursor{}, ErrBadCursor
	}
	c.page, c.top, c.t0, c.bucket, c.tier, c.hi, c.id, c.score = int(vals[0]), vals[1], vals[2], int(vals[3]), int(vals[4]), vals[5], vals[6], score
	if c.key < 0 || c.page < 2 || c.page > 1_000_000 || c.tier > 8 || c.hi < 0 || c.hi > c.top || c.bucket > 1_000_000 {
		return cursor{}, ErrBadCursor
	}
	return c, nil
}

// hit is one match with its rank.
type hit struct {
	id, score int64
}

// searchBucket is how many articles, newest first, are searched as a unit:
// within one, the tiers rank (exact forms, then adjacency, then the
// rest); the newer unit comes first. It bounds the cost of a rare tier
// over common words (a phrase of frequent words must read their whole
// lists to find its few matches) to one unit's share, and it is where
// recency outweighs every tier: fifty thousand articles is weeks to
// months of a busy bot.
var searchBucket int64 = 50_000

// searchPage reads the page c opens: unit after unit of articles, newest
// first; in each, tier after tier; in each tier, windows of its newest
// matches, each ranked on its own; resuming after the last result c shows.
// The fallback tier (a prefix) runs over all articles, only when nothing
// else matched.
func (s *Store) searchPage(ctx context.Context, query, section string, c cursor, limit int) (SearchPage, error) {
	page := SearchPage{Query: query, Section: section, Number: c.page}
	tiers := planSearch(query)
	if len(tiers) == 0 || limit <= 0 {
		return page, nil
	}
	normal := len(tiers)
	if tiers[normal-1].fallback {
		normal--
	}
	var hits []hit
	var next cursor
	bucket, tier, hi, resume := c.bucket, c.tier, c.hi, c.page > 1
	for len(hits) <= limit {
		floor := int64(0)
		if tier < normal {
			top := c.top - int64(bucket)*searchBucket
			if top <= 0 { // every unit read: only the fallback is left
				tier, hi = normal, c.top
				continue
			}
			floor = max(top-searchBucket, 0)
		} else if tier >= len(tiers) || !(c.page == 1 && len(hits) == 0) && !(resume && tier == c.tier) {
			break
		}
		window, full, lowest, err := s.window(ctx, tiers[tier].expr, section, floor, hi, c.t0)
		if err != nil {
			return SearchPage{}, err
		}
		for _, h := range window {
			if resume && (h.score > c.score || h.score == c.score && h.id >= c.id) {
				continue
			}
			hits = append(hits, h)
			if len(hits) == limit {
				next = cursor{key: c.key, page: c.page + 1, top: c.top, t0: c.t0, bucket: bucket, tier: tier, hi: hi, score: h.score, id: h.id}
			}
			if len(hits) > limit {
				break
			}
		}
		resume = false
		switch {
		case full && lowest-1 > floor:
			hi = lowest - 1
		case tier >= normal:
			tier = len(tiers) // the fallback is read
		case tier+1 < normal:
			tier, hi = tier+1, c.top-int64(bucket)*searchBucket
		default:
			bucket, tier, hi = bucket+1, 0, c.top-int64(bucket+1)*searchBucket
		}
	}
	if len(hits) > limit {
		hits = hits[:limit]
		page.Next = next.encode()
	}
	arts, err := s.articlesByID(ctx, hits)
	if err != nil {
		return SearchPage{}, err
	}
	page.Articles = arts
	return page, nil
}

// window returns the newest searchWindow matches of expr above the article
// floor and at or below the article hi, ranked by where they match (all the words in the title
// weighs 4, in the title or summary 2, elsewhere 1) blended with recency,
// an article a month older than t0 counting half. The rank depends on
// nothing else, so that every page of a search ranks a window the same.
// (bm25 would cost a count of every match of every word.) full reports a
// whole window (there may be older matches), lowest its oldest article.
func (s *Store) window(ctx context.Context, expr, section string, floor, hi, t0 int64) (hits []hit, full bool, lowest int64, err error) {
	q := `SELECT articles_fts.rowid, a.published_at
		FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
		WHERE articles_fts MATCH ? AND articles_fts.rowid > ? AND articles_fts.rowid <= ?`
	args := []any{expr, floor, hi}
	if section != "" {
		// The article's own section (kept when its feed is deleted), or that
		// of any feed that carried it.
		q += ` AND EXISTS (SELECT 1 FROM article_sections s WHERE s.section = ? AND s.article_id = articles_fts.rowid)`
		args = append(args, section)
	}
	q += ` ORDER BY articles_fts.rowid DESC LIMIT ?`
	args = append(args, searchWindow)
	published := map[int64]int64{}
	err = s.eachRow(ctx, q, args, func(id, at int64) {
		published[id] = at
		hits = append(hits, hit{id: id})
		lowest = id
	})
	if err != nil || len(hits) == 0 {
		return nil, false, 0, err
	}
	weight := make(map[int64]float64, len(hits))
	for _, h := range hits {
		weight[h.id] = 1
	}
	// Later filters are narrower and weigh more: a row both in the title
	// and the summary counts as a title match.
	for _, w := range []struct {
		cols  string
		score float64
	}{{"{title summary title_f summary_f}", 2}, {"{title title_f}", 4}} {
		err := s.eachRow(ctx, `SELECT rowid, 0 FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?`,
			[]any{w.cols + " : (" + expr + ")", lowest, hits[0].id}, func(id, _ int64) {
				if _, ok := weight[id]; ok {
					weight[id] = w.score
				}
			})
		if err != nil {
			return nil, false, 0, err
		}
	}
	month := float64(30 * 24 * time.Hour / time.Millisecond)
	now := t0 * 60_000
	for i := range hits {
		age := float64(max(now-published[hits[i].id], 0)) / month
		hits[i].score = int64(math.Round(weight[hits[i].id] / (1 + age) * 1e4))
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].id > hits[j].id
	})
	return hits, len(hits) == searchWindow, lowest, nil
}

// eachRow runs a query of two integer columns and hands each row to fn.
func (s *Store) eachRow(ctx context.Context, q string, args []any, fn func(a, b int64)) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("storage: search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return fmt.Errorf("storage: search: %w", err)
		}
		fn(a, b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: search: %w", err)
	}
	return nil
}

// articlesByID loads the hits' articles, in the hits' order.
func (s *Store) articlesByID(ctx context.Context, hits []hit) ([]Article, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	marks := strings.Repeat("?,", len(hits))
	args := make([]any, len(hits))
	for i, h := range hits {
		args[i] = h.id
	}
	found, err := s.queryArticles(ctx, `SELECT `+articleColumns+articleJoins+` WHERE a.id IN (`+marks[:len(marks)-1]+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Article, len(found))
	for _, a := range found {
		byID[a.ID] = a
	}
	out := make([]Article, 0, len(hits))
	for _, h := range hits {
		if a, ok := byID[h.id]; ok { // deleted between the two reads: left out
			out = append(out, a)
		}
	}
	return out, nil
}
