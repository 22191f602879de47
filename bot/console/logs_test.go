package console

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// In console mode a failing feed's warnings take one line per feed, not
// one per poll; other records pass.
func TestFeedWarningsOneLinePerFeed(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(FeedWarnings(slog.NewTextHandler(&buf, nil))).With("component", "scheduler")
	for range 5 {
		log.Warn("feed poll failed", slog.Int64("feed_id", 7), slog.String("err", "unexpected status 503"))
		log.Warn("feed poll failed", slog.Int64("feed_id", 8), slog.String("err", "timeout"))
	}
	log.Warn("something else", slog.Int64("feed_id", 7))
	log.Info("feed poll failed", slog.Int64("feed_id", 7)) // not a warning: passes
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (one per feed, and the two others):\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"feed_id=7", "feed_id=8", "something else", "level=INFO"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q lacks %q", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[0], "see /feeds") || !strings.Contains(lines[0], "component=scheduler") {
		t.Errorf("the feed's line: %q", lines[0])
	}
}
