package feeds

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// Every poll reports one event: new items, a 304, a failure with its reason.
func TestPollObserve(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	st := newStore(t)
	srv := newFeedServer(t)
	srv.set("/rss", feedXML(now, "a", "b"))
	p := newPoller(st, now)
	var events []PollEvent
	p.Observe = func(ev PollEvent) { events = append(events, ev) }
	feed := addFeed(t, st, srv.URL+"/rss", "")

	poll := func() {
		t.Helper()
		f := reload(t, st, feed.ID)
		p.Poll(ctx, f)
	}
	poll() // 200, two new
	poll() // 304
	srv.set("/rss", feedXML(now, "c", "a", "b"))
	poll() // 200, one new
	srv.fail("/rss", 503)
	poll()
	srv.fail("/rss", 404)
	poll()

	want := []PollEvent{
		{FeedID: feed.ID, Outcome: PollOK, New: 2},
		{FeedID: feed.ID, Outcome: PollNotModified},
		{FeedID: feed.ID, Outcome: PollOK, New: 1},
		{FeedID: feed.ID, Outcome: PollFailed, Reason: "http_5xx"},
		{FeedID: feed.ID, Outcome: PollFailed, Reason: "http_4xx"},
	}
	if len(events) != len(want) {
		t.Fatalf("events: %+v, want %d", events, len(want))
	}
	for i, ev := range events {
		if ev.Duration <= 0 {
			t.Errorf("event %d has no duration: %+v", i, ev)
		}
		ev.Duration = 0
		if ev != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, ev, want[i])
		}
	}
}

func TestFailureReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"429", &StatusError{Code: 429}, "http_429"},
		{"wrapped 500", fmt.Errorf("x: %w", &StatusError{Code: 500}), "http_5xx"},
		{"private", fmt.Errorf("x: %w", ErrPrivateAddress), "private_address"},
		{"html page", fmt.Errorf("x: %w", ErrNotFeed), "not_feed"},
		{"nesting", ErrTooComplex, "too_complex"},
		{"body cap", errors.New("feeds: fetch x: body exceeds the limit of 5 bytes"), "too_large"},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{"other", errors.New("boom"), "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FailureReason(tc.err); got != tc.want {
				t.Fatalf("FailureReason(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestSchedulePeriod(t *testing.T) {
	at := time.Date(2026, 8, 23, 6, 3, 0, 0, time.UTC)
	for spec, want := range map[string]time.Duration{
		"@every 5m":    5 * time.Minute,
		"*/10 * * * *": 10 * time.Minute,
		"@hourly":      time.Hour,
		"0 6,18 * * *": 12 * time.Hour,
	} {
		got, err := SchedulePeriod(spec, at)
		if err != nil || got != want {
			t.Errorf("SchedulePeriod(%q) = %v, %v; want %v", spec, got, err, want)
		}
	}
	if _, err := SchedulePeriod("every day", at); err == nil {
		t.Error("SchedulePeriod accepted a bad spec")
	}
}
