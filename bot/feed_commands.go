package bot

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// listFeeds answers /feeds (admin): every feed with its health — state
// (ok, failing, paused), consecutive failures, last error and next
// attempt. URLs are shown with their password hidden.
func (b *Bot) listFeeds(ctx context.Context, r *request) error {
	feeds, err := b.store.Feeds(ctx)
	if err != nil {
		return err
	}
	if len(feeds) == 0 {
		r.reply(ctx, r.t("feeds_none"))
		return nil
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return r.t("never")
		}
		return formatTime(t, b.loc)
	}
	now := time.Now()
	var parts []string
	for _, f := range feeds {
		line := r.t("feed_line", f.ID, Escape(redactURL(f.URL)), Escape(f.Section), f.Articles, when(f.LastSuccess))
		if f.FullText {
			line += " · full_text"
		}
		if f.Origin == storage.OriginFile {
			line += r.t("feed_origin_file")
		} else {
			line += r.t("feed_origin_chat")
		}
		failing := f.LastError != "" && !f.LastErrorAt.Before(f.LastSuccess)
		state := "feed_state_ok"
		switch {
		case f.Paused:
			state = "feed_state_paused"
		case failing || f.Failures > 0:
			state = "feed_state_failing"
		case f.PolledAt.IsZero():
			state = "feed_state_new"
		}
		line += r.t("feed_health", r.t(state), f.Failures)
		switch {
		case f.Paused:
			line += r.t("feed_paused_hint", f.ID)
		case f.NextAttempt.After(now):
			line += r.t("feed_next", when(f.NextAttempt))
		}
		if failing {
			line += r.t("feed_error", when(f.LastErrorAt), storedErrorText(r.lang, f.LastError))
		}
		parts = append(parts, line)
	}
	// Long lists are split by the adapter at line boundaries.
	r.reply(ctx, r.t("feeds_head")+"\n\n"+strings.Join(parts, "\n")+"\n\n"+r.t("feeds_origin_foot"))
	return nil
}

// resumeFeed answers /resumefeed ID (admin): the feed is un-paused, its
// failures and backoff forgotten, and it is polled soon.
func (b *Bot) resumeFeed(ctx context.Context, r *request) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.args), "#"), 10, 64)
	if err != nil || id <= 0 {
		r.reply(ctx, r.t("resumefeed_usage"))
		return nil
	}
	if b.feeds == nil {
		return errors.New("bot: no feed scheduler")
	}
	feed, err := b.feeds.ResumeFeed(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		r.reply(ctx, r.t("resumefeed_notfound", id))
		return nil
	}
	if err != nil {
		return err
	}
	r.reply(ctx, r.t("resumefeed_ok", feed.ID, Escape(redactURL(feed.URL))))
	return nil
}

// FeedNotice is an event of a feed the admins are told about: the feed
// scheduler's notice, copied by main (bot does not import feeds).
type FeedNotice struct {
	Kind     string // "paused" or "flood"
	FeedID   int64
	URL      string
	Failures int    // paused: consecutive failures
	Error    string // paused: the last error
	New      int    // flood: new items in the poll
	Pushed   int    // flood: items sent
	Withheld int    // flood: items stored but not sent
}

// FeedNoticeHTML is the message telling an admin whose language is lang
// about n, in Telegram HTML with the feed's data escaped; "" for an
// unknown kind.
func FeedNoticeHTML(lang string, n FeedNotice) string {
	u := Escape(redactURL(n.URL))
	switch n.Kind {
	case "paused":
		return tr(lang, "notice_feed_paused", n.FeedID, u, n.Failures, storedErrorText(lang, n.Error), n.FeedID)
	case "flood":
		return tr(lang, "notice_feed_flood", n.FeedID, u, n.New, n.Pushed, n.Withheld)
	}
	return ""
}

// redactURL hides the password of a URL shown in a chat.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}
