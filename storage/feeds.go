package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"strings"
	"time"
)

// UpsertSection adds a section (listed after the existing ones) or renames
// the one with the same key.
func (s *Store) UpsertSection(ctx context.Context, sec Section) error {
	_, err := s.exec(ctx, `
		INSERT INTO sections(key, name, folded, position) VALUES (?, ?, ?, (SELECT count(*) FROM sections))
		ON CONFLICT(key) DO UPDATE SET name = excluded.name, folded = excluded.folded, retired = 0`,
		sec.Key, sec.Name, Fold(sec.Name))
	if err != nil {
		return fmt.Errorf("storage: save section %s: %w", sec.Key, err)
	}
	return nil
}

// Sections lists every section in display order, but not those retired
// (removed from the configuration file).
func (s *Store) Sections(ctx context.Context) ([]Section, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, name FROM sections WHERE retired = 0 ORDER BY position, key`)
	if err != nil {
		return nil, fmt.Errorf("storage: list sections: %w", err)
	}
	defer rows.Close()
	var out []Section
	for rows.Next() {
		var sec Section
		if err := rows.Scan(&sec.Key, &sec.Name); err != nil {
			return nil, fmt.Errorf("storage: scan section: %w", err)
		}
		out = append(out, sec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list sections: %w", err)
	}
	return out, nil
}

// FindSection returns the section whose key is key, or whose folded name is
// the folded input ("chinh tri" finds "Chính trị"); ErrUnknownSection if none
// or if it was retired.
func (s *Store) FindSection(ctx context.Context, input string) (Section, error) {
	var sec Section
	folded := Fold(input)
	err := s.db.QueryRowContext(ctx, `
		SELECT key, name FROM sections WHERE retired = 0 AND (key = ? OR folded = ? OR key = replace(?, ' ', '-'))
		ORDER BY key = ? DESC LIMIT 1`, folded, folded, folded, folded).Scan(&sec.Key, &sec.Name)
	if isNoRows(err) {
		return Section{}, ErrUnknownSection
	}
	if err != nil {
		return Section{}, fmt.Errorf("storage: find section: %w", err)
	}
	return sec, nil
}

// AddFeed adds a feed the chat owns (origin "chat"), or updates the
// section and schedule of the feed with the same URL, keeping its origin,
// and returns it. The URL is stored in its normal form (see
// NormalizeFeedURL), so that spellings of one URL are one feed.
// ErrUnknownSection if section does not exist.
func (s *Store) AddFeed(ctx context.Context, url, section, schedule string) (Feed, error) {
	url = NormalizeFeedURL(url)
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sections WHERE key = ? AND retired = 0`, section).Scan(&n); err != nil {
		return Feed{}, fmt.Errorf("storage: check section: %w", err)
	}
	if n == 0 {
		return Feed{}, fmt.Errorf("storage: feed %s: %w %q", url, ErrUnknownSection, section)
	}
	_, err := s.exec(ctx, `
		INSERT INTO feeds(url, section, schedule, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(url) DO UPDATE SET section = excluded.section, schedule = excluded.schedule`,
		url, section, schedule, time.Now().UnixMilli())
	if err != nil {
		return Feed{}, fmt.Errorf("storage: save feed %s: %w", url, err)
	}
	return s.FeedByURL(ctx, url)
}

const feedColumns = `f.id, f.url, f.section, f.schedule, f.title, f.etag, f.last_modified,
	f.polled_at, f.last_success_at, f.last_error, f.last_error_at,
	(SELECT count(*) FROM feed_items fi WHERE fi.feed_id = f.id), f.full_text,
	f.failures, f.next_attempt_at, f.paused, f.origin`

func scanFeed(row interface{ Scan(...any) error }) (Feed, error) {
	var f Feed
	var polled, success, errAt, next sql.NullInt64
	err := row.Scan(&f.ID, &f.URL, &f.Section, &f.Schedule, &f.Title, &f.ETag, &f.LastModified,
		&polled, &success, &f.LastError, &errAt, &f.Articles, &f.FullText,
		&f.Failures, &next, &f.Paused, &f.Origin)
	f.PolledAt, f.LastSuccess, f.LastErrorAt = fromMS(polled), fromMS(success), fromMS(errAt)
	f.NextAttempt = fromMS(next)
	return f, err
}

// Feeds lists every feed, by id.
func (s *Store) Feeds(ctx context.Context) ([]Feed, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+feedColumns+` FROM feeds f ORDER BY f.id`)
	if err != nil {
		return nil, fmt.Errorf("storage: list feeds: %w", err)
	}
	defer rows.Close()
	var out []Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: scan feed: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list feeds: %w", err)
	}
	return out, nil
}

// Feed returns one feed, or ErrNotFound.
func (s *Store) Feed(ctx context.Context, id int64) (Feed, error) {
	f, err := scanFeed(s.db.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.id = ?`, id))
	if isNoRows(err) {
		return Feed{}, ErrNotFound
	}
	if err != nil {
		return Feed{}, fmt.Errorf("storage: feed %d: %w", id, err)
	}
	return f, nil
}

// FeedByURL returns the feed with this URL, in any spelling that
// NormalizeFeedURL makes the same, or ErrNotFound.
func (s *Store) FeedByURL(ctx context.Context, url string) (Feed, error) {
	url = NormalizeFeedURL(url)
	f, err := scanFeed(s.db.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.url = ?`, url))
	if isNoRows(err) {
		return Feed{}, ErrNotFound
	}
	if err != nil {
		return Feed{}, fmt.Errorf("storage: feed %s: %w", url, err)
	}
	return f, nil
}

// DeleteFeed removes a feed; its articles stay searchable, in their
// section. ErrNotFound if there is no such feed.
func (s *Store) DeleteFeed(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, `DELETE FROM feeds WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("storage: delete feed %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Feed origins: who owns a feed.
const (
	OriginFile = "file" // listed in the configuration file: the file adds and removes it
	OriginChat = "chat" // added with /addfeed: the chat removes it
)

// FileFeed is a feed as the configuration file lists it.
type FileFeed struct {
	URL      string
	Section  string
	Schedule string
	FullText bool
}

// SyncResult is what SyncConfig changed beyond adding and updating.
type SyncResult struct {
	RemovedFeeds    []Feed   // file feeds no longer in the file: deleted, their articles kept
	RetiredSections []string // sections no longer in the file: hidden, subscriptions kept dormant
	AdoptedFeeds    []Feed   // feeds added from the chat that the file now lists: the file's now
}

// SyncConfig makes the database hold what the configuration file says, in
// one transaction: its sections (in its order) and feeds are added or
// updated and owned by the file; feeds the file listed before and no longer
// does are deleted (their articles stay, with their section); sections it
// no longer lists are retired (out of /sections, their subscriptions kept
// but dormant, alive again if the section returns). Feeds added from the
// chat stay unless the file now lists them, which makes them the file's.
func (s *Store) SyncConfig(ctx context.Context, sections []Section, feeds []FileFeed) (SyncResult, error) {
	var res SyncResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = SyncResult{}
		keep := make([]any, 0, len(sections))
		for i, sec := range sections {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO sections(key, name, folded, position, retired) VALUES (?, ?, ?, ?, 0)
				ON CONFLICT(key) DO UPDATE SET name = excluded.name, folded = excluded.folded,
					position = excluded.position, retired = 0`,
				sec.Key, sec.Name, Fold(sec.Name), i); err != nil {
				return fmt.Errorf("storage: sync section %s: %w", sec.Key, err)
			}
			keep = append(keep, sec.Key)
		}
		rows, err := tx.QueryContext(ctx, `SELECT key FROM sections WHERE retired = 0 AND key NOT IN (SELECT value FROM json_each(?))`, jsonList(keep))
		if err != nil {
			return fmt.Errorf("storage: sync sections: %w", err)
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return fmt.Errorf("storage: sync sections: %w", err)
			}
			res.RetiredSections = append(res.RetiredSections, key)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("storage: sync sections: %w", err)
		}
		for _, key := range res.RetiredSections {
			if _, err := tx.ExecContext(ctx, `UPDATE sections SET retired = 1 WHERE key = ?`, key); err != nil {
				return fmt.Errorf("storage: retire section %s: %w", key, err)
			}
		}

		listed := make([]any, 0, len(feeds))
		now := time.Now().UnixMilli()
		for _, f := range feeds {
			url := NormalizeFeedURL(f.URL)
			listed = append(listed, url)
			if before, err := scanFeed(tx.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.url = ?`, url)); err == nil && before.Origin == OriginChat {
				res.AdoptedFeeds = append(res.AdoptedFeeds, before)
			} else if err != nil && !isNoRows(err) {
				return fmt.Errorf("storage: sync feed %s: %w", url, err)
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO feeds(url, section, schedule, full_text, origin, created_at) VALUES (?, ?, ?, ?, 'file', ?)
				ON CONFLICT(url) DO UPDATE SET section = excluded.section, schedule = excluded.schedule,
					full_text = excluded.full_text, origin = 'file'`,
				url, f.Section, f.Schedule, f.FullText, now); err != nil {
				return fmt.Errorf("storage: sync feed %s: %w", url, err)
			}
		}
		rows, err = tx.QueryContext(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.origin = 'file' AND f.url NOT IN (SELECT value FROM json_each(?)) ORDER BY f.id`, jsonList(listed))
		if err != nil {
			return fmt.Errorf("storage: sync feeds: %w", err)
		}
		for rows.Next() {
			f, err := scanFeed(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("storage: sync feeds: %w", err)
			}
			res.RemovedFeeds = append(res.RemovedFeeds, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("storage: sync feeds: %w", err)
		}
		for _, f := range res.RemovedFeeds {
			if _, err := tx.ExecContext(ctx, `DELETE FROM feeds WHERE id = ?`, f.ID); err != nil {
				return fmt.Errorf("storage: remove feed %d: %w", f.ID, err)
			}
		}
		return nil
	})
	return res, err
}

// jsonList encodes strings as a JSON array, for "IN (SELECT value FROM
// json_each(?))": one parameter however long the list.
func jsonList(values []any) string {
	b, _ := json.Marshal(values)
	return string(b)
}

// RecordFetchError records a failed fetch or parse on the feed, counting it
// as one more consecutive failure, with no backoff.
func (s *Store) RecordFetchError(ctx context.Context, feedID int64, at time.Time, msg string) error {
	return s.RecordFeedFailure(ctx, feedID, FeedFailure{At: at, Error: msg})
}

// FeedFailure is a failed poll as the poller judged it.
type FeedFailure struct {
	At          time.Time
	Error       string
	NextAttempt time.Time // no poll before this; zero = on schedule
	Pause       bool      // stop polling the feed until ResumeFeed
}

// RecordFeedFailure records a failed poll: its error, one more consecutive
// failure, when to try again and whether the feed is now paused.
// ErrNotFound if there is no such feed.
func (s *Store) RecordFeedFailure(ctx context.Context, feedID int64, f FeedFailure) error {
	if f.Error == "" {
		f.Error = "unknown error"
	}
	res, err := s.exec(ctx, `UPDATE feeds SET last_error = ?, last_error_at = ?, failures = failures + 1,
		next_attempt_at = ?, paused = paused OR ? WHERE id = ?`,
		f.Error, f.At.UnixMilli(), ms(f.NextAttempt), f.Pause, feedID)
	if err != nil {
		return fmt.Errorf("storage: record error on feed %d: %w", feedID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ResumeFeed un-pauses a feed, forgets its failures and backoff, and
// returns it. ErrNotFound if there is no such feed.
func (s *Store) ResumeFeed(ctx context.Context, id int64) (Feed, error) {
	res, err := s.exec(ctx, `UPDATE feeds SET paused = 0, failures = 0, next_attempt_at = NULL WHERE id = ?`, id)
	if err != nil {
		return Feed{}, fmt.Errorf("storage: resume feed %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Feed{}, ErrNotFound
	}
	return s.Feed(ctx, id)
}

// RecordNotModified records a 304 answer as a successful poll.
func (s *Store) RecordNotModified(ctx context.Context, feedID int64, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE feeds SET last_success_at = ?, last_error = '', failures = 0, next_attempt_at = NULL WHERE id = ?`,
		at.UnixMilli(), feedID)
	if err != nil {
		return fmt.Errorf("storage: record 304 on feed %d: %w", feedID, err)
	}
	return nil
}

// FeedToPoll returns what a poll needs of one feed, or ErrNotFound: the
// feed without its count of articles (Articles is 0), which would cost a
// scan of its items on every tick, and with its BodyHash.
func (s *Store) FeedToPoll(ctx context.Context, id int64) (Feed, error) {
	var f Feed
	var polled, success, errAt, next sql.NullInt64
	err := dbStmts{s}.QueryRowContext(ctx, `SELECT id, url, section, schedule, title, etag, last_modified,
			polled_at, last_success_at, last_error, last_error_at, full_text, failures, next_attempt_at, paused, origin, body_hash
		FROM feeds WHERE id = ?`, id).
		Scan(&f.ID, &f.URL, &f.Section, &f.Schedule, &f.Title, &f.ETag, &f.LastModified,
			&polled, &success, &f.LastError, &errAt, &f.FullText, &f.Failures, &next, &f.Paused, &f.Origin, &f.BodyHash)
	if isNoRows(err) {
		return Feed{}, ErrNotFound
	}
	if err != nil {
		return Feed{}, fmt.Errorf("storage: feed %d: %w", id, err)
	}
	f.PolledAt, f.LastSuccess, f.LastErrorAt = fromMS(polled), fromMS(success), fromMS(errAt)
	f.NextAttempt = fromMS(next)
	return f, nil
}

// UnchangedPoll is a successful poll that brought nothing to store: a 304,
// or a body identical to the one stored last.
type UnchangedPoll struct {
	FeedID       int64
	At           time.Time
	ETag         string // validators to send next time
	LastModified string
}

// RecordUnchanged records many unchanged polls as successes in one
// transaction: one commit, and one wait for the write lock, for a whole
// cycle of feeds that did not change, instead of one each. A feed deleted
// in the meantime is skipped.
func (s *Store) RecordUnchanged(ctx context.Context, polls []UnchangedPoll) error {
	if len(polls) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stmts := s.txStmts(tx)
		for _, p := range polls {
			if _, err := stmts.ExecContext(ctx, `UPDATE feeds SET last_success_at = ?, last_error = '', failures = 0,
				next_attempt_at = NULL, etag = ?, last_modified = ? WHERE id = ?`,
				p.At.UnixMilli(), p.ETag, p.LastModified, p.FeedID); err != nil {
				return fmt.Errorf("storage: record unchanged poll of feed %d: %w", p.FeedID, err)
			}
		}
		return nil
	})
}

// SetFeedFullText sets whether the feed's article pages are fetched for
// their text; ErrNotFound if there is no such feed.
func (s *Store) SetFeedFullText(ctx context.Context, id int64, fullText bool) error {
	res, err := s.exec(ctx, `UPDATE feeds SET full_text = ? WHERE id = ?`, fullText, id)
	if err != nil {
		return fmt.Errorf("storage: set full_text on feed %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// NormalizeFeedURL returns the form a feed URL is stored in, so that
// spellings of one URL are one feed: scheme and host lower-cased, the
// default port, a trailing dot of the host, the fragment, an empty query's
// "?" and repeated slashes in the path dropped; an empty path is "/". The
// query is kept as it is: for a feed it may choose the content. An input
// that is not an absolute http(s) URL is returned trimmed.
func NormalizeFeedURL(raw string) string {
	s := strings.TrimSpace(raw)
	u, err := neturl.Parse(s)
	if err != nil || !NormalizeHTTP(u) {
		return s
	}
	u.ForceQuery = false
	if strings.Contains(u.Path, "//") {
		for strings.Contains(u.Path, "//") {
			u.Path = strings.ReplaceAll(u.Path, "//", "/")
		}
		u.RawPath = ""
	}
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	return u.String()
}

// NormalizeHTTP puts an absolute http(s) URL's scheme and host in one
// spelling (lower case, no trailing dot, no default port) and drops its
// fragment. It reports false, changing nothing, for any other URL.
func NormalizeHTTP(u *neturl.URL) bool {
	scheme := strings.ToLower(u.Scheme)
	if u.Host == "" || (scheme != "http" && scheme != "https") {
		return false
	}
	u.Scheme = scheme
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	return true
}
