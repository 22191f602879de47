package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// Defaults for Poller fields left zero.
const (
	DefaultMaxNewPerPoll = 50
	DefaultMaxFailures   = 50
)

// Backoff after consecutive failures: backoffBase after the first, doubling,
// at most backoffMax; a server's Retry-After asks for longer, up to
// maxRetryAfter.
const (
	backoffBase = time.Minute
	backoffMax  = 6 * time.Hour
)

// NoticeKind says what a Notice is about.
type NoticeKind string

// The events the admins are told about, once each.
const (
	NoticePaused NoticeKind = "paused" // a feed failed MaxFailures times in a row and is no longer polled
	NoticeFlood  NoticeKind = "flood"  // one poll brought more new items than MaxNewPerPoll
)

// Notice is an event of a feed that the admins should hear about; the
// feeds package only reports it (see Poller.Notify).
type Notice struct {
	Kind     NoticeKind
	FeedID   int64
	URL      string // the feed's URL, password redacted
	Failures int    // NoticePaused: consecutive failures
	Error    string // NoticePaused: the last error
	New      int    // NoticeFlood: new items in the poll
	Pushed   int    // NoticeFlood: items pushed (at most MaxNewPerPoll)
	Withheld int    // NoticeFlood: items stored and searchable but not pushed
}

// Poller fetches one feed, parses it and saves its items. Its fields are set
// once, before use; it is then safe for concurrent use, and must not be
// copied after its first poll.
type Poller struct {
	Store            *storage.Store
	Fetcher          *Fetcher         // fetches feeds and, for full-text feeds, article pages
	MaxAge           time.Duration    // items older than this are stored but not pushed; 0 = no limit
	SummaryChars     int              // a summary's budget in runes; DefaultSummaryChars if 0
	SummarySentences int              // a summary's most sentences; DefaultSummarySentences if 0
	MaxPages         int              // article pages one poll of a full-text feed fetches; DefaultMaxPages if 0, none if < 0
	MaxNewPerPoll    int              // new items one poll pushes, the newest; DefaultMaxNewPerPoll if 0, no limit if < 0
	MaxFailures      int              // consecutive failures that pause a feed; DefaultMaxFailures if 0
	Now              func() time.Time // time.Now if nil
	Log              *slog.Logger     // slog.Default() if nil
	// Notify, when set, is called once per event the admins should hear
	// of: a feed paused, a flood withheld. It runs in the polling
	// goroutine and should only queue a message.
	Notify func(ctx context.Context, n Notice)
	// Observe, when set, is called after every Poll with what it did, for
	// metrics. It runs in the polling goroutine and must return quickly.
	Observe func(PollEvent)

	unchanged    unchangedBatch
	descriptions descriptionMemory // of article pages, to tell a site's slogan (fulltext.go)
}

// Unchanged polls of healthy feeds are recorded together (see
// Poller.Flush): at most unchangedBatchSize at a time, and no later than
// unchangedDelay after the first of a batch.
const (
	unchangedBatchSize = 500
	unchangedDelay     = time.Second
)

// unchangedBatch holds unchanged polls not yet written, by feed.
type unchangedBatch struct {
	mu      sync.Mutex
	pending map[int64]storage.UnchangedPoll
	timer   *time.Timer
}

// Poll fetches feed with its validators and saves what is new. A failed
// fetch or parse is recorded on the feed and returned, with when to try
// again: after an exponential backoff over its consecutive failures, or
// later when the server's Retry-After asks; after MaxFailures in a row the
// feed is paused and Notify told. A 304 is recorded as a successful poll
// with a zero result (Unchanged set), and so is a body identical to the last
// one stored (Feed.BodyHash), which is not parsed again; for a healthy
// feed that record is batched with others' (see Flush). Items the feed
// has carried before are not cleaned or summarised again. When ctx is done (shutdown) the error is returned
// without being recorded against the feed. For a feed with FullText set, a
// new item that brings only a title or a teaser is summarised from its
// article page (see fillFromPages). Poll does not look at the feed's
// backoff or pause: the scheduler does.
func (p *Poller) Poll(ctx context.Context, feed storage.Feed) (res storage.SaveResult, err error) {
	start, notModified := time.Now(), false
	defer func() { p.observe(feed.ID, start, notModified, res, err) }()
	now := p.now()
	resp, err := p.Fetcher.Fetch(ctx, feed.URL, feed.ETag, feed.LastModified)
	if err != nil {
		return storage.SaveResult{}, p.recordError(ctx, feed, now, err)
	}
	// Nothing of the body outlives the poll: the parse copies what it keeps.
	defer resp.release()
	var hash string
	if !resp.NotModified {
		hash = bodyHash(resp.Body)
	}
	notModified = resp.NotModified
	if resp.NotModified || (hash == feed.BodyHash && !feed.PolledAt.IsZero()) {
		if err := p.recordUnchanged(ctx, feed, resp, now); err != nil {
			return storage.SaveResult{}, fmt.Errorf("feeds: feed %d: %w", feed.ID, err)
		}
		p.log().Debug("feed not modified", slog.Int64("feed_id", feed.ID), slog.Bool("304", resp.NotModified))
		return storage.SaveResult{Unchanged: true}, nil
	}
	var known knownFunc
	if !feed.PolledAt.IsZero() {
		known = func(heads []storage.Item) ([]bool, error) {
			fresh, err := p.Store.NewToFeed(ctx, feed.ID, heads)
			for i := range fresh {
				fresh[i] = !fresh[i]
			}
			return fresh, err
		}
	}
	parsed, err := parse(resp.Body, resp.URL, now, p.summarizer(), known)
	if err != nil {
		return storage.SaveResult{}, p.recordError(ctx, feed, now, err)
	}
	if feed.FullText {
		p.fillFromPages(ctx, feed, parsed, now)
	}
	p.forgetUnchanged(feed.ID)
	parsed.hash = hash
	res, err = p.save(ctx, feed.ID, parsed, resp, now)
	if err == nil && res.Withheld > 0 {
		p.log().Warn("feed flood: items stored but not pushed", slog.Int64("feed_id", feed.ID),
			slog.String("url", redact(feed.URL)), slog.Int("new", res.New), slog.Int("withheld", res.Withheld))
		p.notify(ctx, Notice{Kind: NoticeFlood, FeedID: feed.ID, URL: redact(feed.URL),
			New: res.New, Pushed: res.New - res.Withheld, Withheld: res.Withheld})
	}
	return res, err
}

// Probe fetches and parses url without storing anything, to check that it is
// a feed before it is added. The error says why it is not (ErrNotFeed,
// ErrPrivateAddress, a status, …).
func (p *Poller) Probe(ctx context.Context, url string) (*Parsed, *Response, error) {
	resp, err := p.Fetcher.Fetch(ctx, url, "", "")
	if err != nil {
		return nil, nil, err
	}
	if resp.NotModified {
		return nil, nil, fmt.Errorf("feeds: %s answered 304 Not Modified to an unconditional request", redact(resp.URL))
	}
	parsed, err := p.parse(resp, p.now())
	if err != nil {
		return nil, nil, err
	}
	return parsed, resp, nil
}

func (p *Poller) parse(resp *Response, now time.Time) (*Parsed, error) {
	parsed, err := parse(resp.Body, resp.URL, now, p.summarizer(), nil)
	if err != nil {
		return nil, err
	}
	parsed.hash = bodyHash(resp.Body)
	return parsed, nil
}

// bodyHash identifies a feed document: equal hashes, equal bytes.
func bodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

// recordUnchanged records a poll that brought nothing to store. A healthy
// feed's record joins the batch, written when it is full or unchangedDelay
// after it began; a feed recovering from failures is recorded at once, so
// that its failures and backoff are cleared before anything else is
// recorded about it.
func (p *Poller) recordUnchanged(ctx context.Context, feed storage.Feed, resp *Response, now time.Time) error {
	poll := storage.UnchangedPoll{FeedID: feed.ID, At: now, ETag: resp.ETag, LastModified: resp.LastModified}
	if feed.Failures > 0 || feed.Paused || !feed.NextAttempt.IsZero() || feed.LastError != "" {
		p.forgetUnchanged(feed.ID)
		return p.Store.RecordUnchanged(ctx, []storage.UnchangedPoll{poll})
	}
	b := &p.unchanged
	b.mu.Lock()
	if b.pending == nil {
		b.pending = make(map[int64]storage.UnchangedPoll)
	}
	b.pending[feed.ID] = poll
	full := len(b.pending) >= unchangedBatchSize
	if !full && b.timer == nil {
		b.timer = time.AfterFunc(unchangedDelay, func() {
			if err := p.Flush(context.Background()); err != nil {
				p.log().Warn("unchanged polls not recorded", slog.Any("err", err))
			}
		})
	}
	b.mu.Unlock()
	if full {
		return p.Flush(ctx)
	}
	return nil
}

// forgetUnchanged drops a feed's unchanged poll not yet written: a later
// outcome of the same feed (new items, a failure) is recorded instead, and
// must not be overwritten by the older one.
func (p *Poller) forgetUnchanged(feedID int64) {
	b := &p.unchanged
	b.mu.Lock()
	delete(b.pending, feedID)
	b.mu.Unlock()
}

// Flush writes the unchanged polls not yet recorded, in one transaction.
// The scheduler calls it when it stops; a Poller used alone flushes on
// its own within a second.
func (p *Poller) Flush(ctx context.Context) error {
	b := &p.unchanged
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	polls := make([]storage.UnchangedPoll, 0, len(b.pending))
	for _, poll := range b.pending {
		polls = append(polls, poll)
	}
	clear(b.pending)
	b.mu.Unlock()
	if err := p.Store.RecordUnchanged(ctx, polls); err != nil {
		return fmt.Errorf("feeds: record %d unchanged polls: %w", len(polls), err)
	}
	return nil
}

// summarizer is the Summarizer for the Poller's budget; the zero one for
// the defaults.
func (p *Poller) summarizer() Summarizer {
	var s Summarizer
	if p.SummaryChars > 0 && p.SummaryChars != DefaultSummaryChars {
		s.MaxChars = p.SummaryChars
	}
	if p.SummarySentences > 0 && p.SummarySentences != DefaultSummarySentences {
		s.MaxSentences = p.SummarySentences
	}
	return s
}

// save stores parsed items as the outcome of a successful poll.
func (p *Poller) save(ctx context.Context, feedID int64, parsed *Parsed, resp *Response, now time.Time) (storage.SaveResult, error) {
	res, err := p.Store.SaveItems(ctx, feedID, parsed.Items, storage.SaveOptions{
		Now:          now,
		MaxAge:       p.MaxAge,
		MaxPush:      p.maxNewPerPoll(),
		ETag:         resp.ETag,
		LastModified: resp.LastModified,
		Title:        parsed.Title,
		BodyHash:     parsed.hash,
	})
	if err != nil {
		return storage.SaveResult{}, fmt.Errorf("feeds: save items of feed %d: %w", feedID, err)
	}
	p.log().Debug("feed polled", slog.Int64("feed_id", feedID), slog.Int("items", len(parsed.Items)),
		slog.Int("new", res.New), slog.Int("enqueued", res.Enqueued), slog.Bool("first", res.First),
		slog.Int("batches", res.Batches), slog.Duration("longest_batch", res.LongestBatch))
	return res, nil
}

// recordError stores a fetch or parse failure on the feed, with its
// backoff and, at MaxFailures, its pause, and returns it, joined with the
// failure to record it if that failed too.
func (p *Poller) recordError(ctx context.Context, feed storage.Feed, at time.Time, err error) error {
	if ctx.Err() != nil {
		return err
	}
	p.forgetUnchanged(feed.ID)
	failures := feed.Failures + 1
	delay := backoff(failures)
	var serr *StatusError
	if errors.As(err, &serr) && serr.RetryAfter > delay {
		delay = min(serr.RetryAfter, maxRetryAfter)
	}
	pause := failures >= p.maxFailures() && !feed.Paused
	rerr := p.Store.RecordFeedFailure(ctx, feed.ID, storage.FeedFailure{
		At: at, Error: err.Error(), NextAttempt: at.Add(delay), Pause: pause,
	})
	if rerr != nil {
		return errors.Join(err, fmt.Errorf("feeds: feed %d: %w", feed.ID, rerr))
	}
	if pause {
		p.log().Warn("feed paused after repeated failures", slog.Int64("feed_id", feed.ID),
			slog.String("url", redact(feed.URL)), slog.Int("failures", failures), slog.Any("err", err))
		p.notify(ctx, Notice{Kind: NoticePaused, FeedID: feed.ID, URL: redact(feed.URL),
			Failures: failures, Error: err.Error()})
	}
	return err
}

// backoff is how long to wait after the given number of consecutive
// failures: backoffBase, doubling, at most backoffMax.
func backoff(failures int) time.Duration {
	d := backoffBase
	for i := 1; i < failures && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

func (p *Poller) notify(ctx context.Context, n Notice) {
	if p.Notify != nil {
		p.Notify(ctx, n)
	}
}

func (p *Poller) maxNewPerPoll() int {
	switch {
	case p.MaxNewPerPoll < 0:
		return 0
	case p.MaxNewPerPoll == 0:
		return DefaultMaxNewPerPoll
	}
	return p.MaxNewPerPoll
}

func (p *Poller) maxFailures() int {
	if p.MaxFailures > 0 {
		return p.MaxFailures
	}
	return DefaultMaxFailures
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}
