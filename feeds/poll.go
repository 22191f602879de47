package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"newsbot/storage"
)

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
	Now              func() time.Time // time.Now if nil
	Log              *slog.Logger     // slog.Default() if nil
}

// Poll fetches feed with its validators and saves what is new. A failed
// fetch or parse is recorded on the feed and returned; a 304 is recorded as
// a successful poll with a zero result. When ctx is done (shutdown) the
// error is returned without being recorded against the feed. For a feed
// with FullText set, a new item that brings only a title or a teaser is
// summarised from its article page (see fillFromPages).
func (p *Poller) Poll(ctx context.Context, feed storage.Feed) (storage.SaveResult, error) {
	now := p.now()
	resp, err := p.Fetcher.Fetch(ctx, feed.URL, feed.ETag, feed.LastModified)
	if err != nil {
		return storage.SaveResult{}, p.recordError(ctx, feed.ID, now, err)
	}
	if resp.NotModified {
		if err := p.Store.RecordNotModified(ctx, feed.ID, now); err != nil {
			return storage.SaveResult{}, fmt.Errorf("feeds: feed %d: %w", feed.ID, err)
		}
		p.log().Debug("feed not modified", slog.Int64("feed_id", feed.ID))
		return storage.SaveResult{}, nil
	}
	parsed, err := p.parse(resp, now)
	if err != nil {
		return storage.SaveResult{}, p.recordError(ctx, feed.ID, now, err)
	}
	if feed.FullText {
		p.fillFromPages(ctx, feed, parsed, now)
	}
	return p.save(ctx, feed.ID, parsed, resp, now)
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
	parsed, err := Parse(resp.Body, resp.URL, now)
	if err != nil {
		return nil, err
	}
	if s := p.summarizer(); s != (Summarizer{}) {
		parsed.resummarize(s)
	}
	return parsed, nil
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
		ETag:         resp.ETag,
		LastModified: resp.LastModified,
		Title:        parsed.Title,
	})
	if err != nil {
		return storage.SaveResult{}, fmt.Errorf("feeds: save items of feed %d: %w", feedID, err)
	}
	p.log().Debug("feed polled", slog.Int64("feed_id", feedID), slog.Int("items", len(parsed.Items)),
		slog.Int("new", res.New), slog.Int("enqueued", res.Enqueued), slog.Bool("first", res.First))
	return res, nil
}

// recordError stores a fetch or parse failure on the feed and returns it,
// joined with the failure to record it if that failed too.
func (p *Poller) recordError(ctx context.Context, feedID int64, at time.Time, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if rerr := p.Store.RecordFetchError(ctx, feedID, at, err.Error()); rerr != nil {
		return errors.Join(err, fmt.Errorf("feeds: feed %d: %w", feedID, rerr))
	}
	return err
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
