package console

import (
	"context"
	"log/slog"
	"sync"
)

// maxQuietFeeds bounds the feeds whose warnings are remembered.
const maxQuietFeeds = 10000

// FeedWarnings wraps a log handler for console mode, where the log shares
// the terminal with the conversation: a feed's warnings (a failed poll,
// every few minutes for a feed that is down) are said once per feed, in one
// line, instead of interleaving with the conversation at each poll. The
// feed's state stays in /feeds. Other records pass through.
func FeedWarnings(next slog.Handler) slog.Handler {
	return &feedWarnings{next: next, seen: &seenFeeds{ids: map[int64]bool{}}}
}

type seenFeeds struct {
	mu  sync.Mutex
	ids map[int64]bool
}

type feedWarnings struct {
	next slog.Handler
	seen *seenFeeds // shared by the handler's WithAttrs and WithGroup copies
}

func (h *feedWarnings) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *feedWarnings) Handle(ctx context.Context, r slog.Record) error {
	if r.Level != slog.LevelWarn || !feedMessages[r.Message] {
		return h.next.Handle(ctx, r)
	}
	var id int64
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "feed_id" {
			id, found = a.Value.Int64(), a.Value.Kind() == slog.KindInt64
			return false
		}
		return true
	})
	if !found {
		return h.next.Handle(ctx, r)
	}
	h.seen.mu.Lock()
	first := !h.seen.ids[id] && len(h.seen.ids) < maxQuietFeeds
	if first {
		h.seen.ids[id] = true
	}
	h.seen.mu.Unlock()
	if !first {
		return nil
	}
	one := slog.NewRecord(r.Time, r.Level, r.Message+" (this feed's further warnings are not shown here; see /feeds)", r.PC)
	r.Attrs(func(a slog.Attr) bool { one.AddAttrs(a); return true })
	return h.next.Handle(ctx, one)
}

func (h *feedWarnings) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &feedWarnings{next: h.next.WithAttrs(attrs), seen: h.seen}
}

func (h *feedWarnings) WithGroup(name string) slog.Handler {
	return &feedWarnings{next: h.next.WithGroup(name), seen: h.seen}
}

// feedMessages are the feed scheduler's warnings that repeat at each poll.
var feedMessages = map[string]bool{
	"feed poll failed":                        true,
	"feed paused after repeated failures":     true,
	"feed flood: items stored but not pushed": true,
}
