package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/feeds"
)

// explain turns an error of adding the feed at rawURL into a bot.FeedError:
// the reason the bot words for the person, and, when the address is a web
// page, the feeds the page announces with <link rel="alternate">.
func (f feedAdmin) explain(ctx context.Context, rawURL string, err error) error {
	if ctx.Err() != nil {
		return err
	}
	reason, status := feeds.Reason(err)
	fe := &bot.FeedError{Reason: reason, Status: status, Err: err}
	if errors.Is(err, feeds.ErrNotFeed) && f.fetcher != nil {
		links, derr := feeds.Discover(ctx, f.fetcher, rawURL)
		if derr != nil {
			return fe // the page answered a moment ago; the first error says why
		}
		for _, l := range links {
			fe.Alternates = append(fe.Alternates, bot.FeedLink{URL: l.URL, Title: l.Title})
		}
	}
	return fe
}

// databaseShown is the database path -check prints: as written, and where
// that is when it is relative (to the working directory).
func databaseShown(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return path + " (" + abs + ")"
	}
	return path
}
