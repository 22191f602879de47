package feeds

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// Poll outcomes reported in PollEvent.Outcome.
const (
	PollOK          = "ok"           // the feed was fetched, parsed and saved
	PollNotModified = "not_modified" // the server answered 304
	PollFailed      = "failed"       // see PollEvent.Reason
)

// PollEvent is what one Poll did, for monitoring (see Poller.Observe).
type PollEvent struct {
	FeedID   int64
	Outcome  string        // PollOK, PollNotModified or PollFailed
	Reason   string        // for PollFailed: a short, bounded label (see FailureReason)
	New      int           // new items stored
	Duration time.Duration // the whole poll: fetch, parse, pages, save
}

// observe reports a finished poll to Observe, when set.
func (p *Poller) observe(feedID int64, start time.Time, notModified bool, res storage.SaveResult, err error) {
	if p.Observe == nil {
		return
	}
	ev := PollEvent{FeedID: feedID, Outcome: PollOK, New: res.New, Duration: time.Since(start)}
	switch {
	case err != nil:
		ev.Outcome, ev.Reason = PollFailed, FailureReason(err)
	case notModified:
		ev.Outcome = PollNotModified
	}
	p.Observe(ev)
}

// FailureReason sorts a poll's error into a few labels a dashboard can
// group by: "http_429", "http_4xx", "http_5xx", "http_other",
// "private_address", "not_feed", "too_complex", "too_large", "timeout",
// "cancelled", "network" or "other".
func FailureReason(err error) string {
	var status *StatusError
	var netErr net.Error
	switch {
	case errors.As(err, &status):
		switch {
		case status.Code == 429:
			return "http_429"
		case status.Code >= 400 && status.Code < 500:
			return "http_4xx"
		case status.Code >= 500:
			return "http_5xx"
		}
		return "http_other"
	case errors.Is(err, ErrPrivateAddress):
		return "private_address"
	case errors.Is(err, ErrNotFeed):
		return "not_feed"
	case errors.Is(err, ErrTooComplex):
		return "too_complex"
	case strings.Contains(err.Error(), "exceeds the limit"):
		return "too_large"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &netErr):
		return "network"
	}
	return "other"
}

// SchedulePeriod is the time between two runs of spec (a schedule
// ValidateSchedule accepts) after at: "@every 5m" gives 5m, "*/10 * * * *"
// 10m. For an irregular spec it is the gap that follows at.
func SchedulePeriod(spec string, at time.Time) (time.Duration, error) {
	sched, err := parseSchedule(spec)
	if err != nil {
		return 0, err
	}
	first := sched.Next(at)
	return sched.Next(first).Sub(first), nil
}
