package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// whoami answers /id: the platform, the person's id and the chat's, and on
// Telegram and Zalo where to put the id to become an admin.
func (b *Bot) whoami(ctx context.Context, r *request) error {
	platform := r.p.Name()
	text := r.t("id_text", Escape(platform), Escape(r.UserID), Escape(r.Chat.ID))
	if r.Chat.ID != r.UserID {
		text += "\n" + r.t("id_group")
	}
	switch {
	case r.isAdmin:
		text += "\n\n" + r.t("id_admin")
	case platform == "telegram":
		text += "\n\n" + r.t("id_hint", "<code>telegram.admins: ["+Escape(r.UserID)+"]</code>")
	case platform == "zalo":
		text += "\n\n" + r.t("id_hint", `<code>zalo.admins: ["`+Escape(r.UserID)+`"]</code>`)
	}
	r.reply(ctx, text)
	return nil
}

// FeedLink is a feed a web page announces (main copies it from the feeds
// package, which bot does not import).
type FeedLink struct {
	URL   string
	Title string
}

// FeedError is why a feed could not be added, as main classifies the feeds
// package's error: Reason (one of the feeds package's Reason names:
// "not_feed", "private", "status", "timeout", "too_large", "too_complex",
// "unreachable", "invalid_url", "broken") is said to the person in their
// language, Err goes to the log.
type FeedError struct {
	Reason     string
	Status     int        // the HTTP status, for "status"
	Alternates []FeedLink // for "not_feed": the feeds the page announces
	Err        error
}

func (e *FeedError) Error() string { return e.Err.Error() }
func (e *FeedError) Unwrap() error { return e.Err }

// reasonText is the sentence, in language lg, saying why a feed failed.
func reasonText(lg, reason string, status int) string {
	switch reason {
	case "status":
		switch {
		case status == 404 || status == 410:
			return tr(lg, "feed_err_status_404", status)
		case status == 401 || status == 403:
			return tr(lg, "feed_err_status_403", status)
		case status == 429:
			return tr(lg, "feed_err_status_429", status)
		case status >= 500:
			return tr(lg, "feed_err_status_5xx", status)
		}
		return tr(lg, "feed_err_status", status)
	case "not_feed", "private", "timeout", "too_large", "too_complex", "unreachable", "invalid_url", "broken":
		return tr(lg, "feed_err_"+reason)
	}
	return tr(lg, "feed_err_other")
}

// feedErrorText words an error of FeedAdmin for the person.
func feedErrorText(lg string, err error) string {
	var fe *FeedError
	if errors.As(err, &fe) {
		return reasonText(lg, fe.Reason, fe.Status)
	}
	return tr(lg, "feed_err_other")
}

// storedErrorReason classifies a feed's last error as the poller stored it
// (the feeds package's message), for /feeds and the admins' notices.
func storedErrorReason(msg string) (string, int) {
	var code int
	switch {
	case msg == "":
		return "", 0
	case strings.Contains(msg, "not a feed"):
		return "not_feed", 0
	case strings.Contains(msg, "is private") || strings.Contains(msg, "address is private"):
		return "private", 0
	case strings.Contains(msg, "unexpected status "):
		rest := msg[strings.Index(msg, "unexpected status ")+len("unexpected status "):]
		fmt.Sscanf(rest, "%d", &code)
		return "status", code
	case strings.Contains(msg, "too complex"):
		return "too_complex", 0
	case strings.Contains(msg, "exceeds the limit"):
		return "too_large", 0
	case strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, "timeout") || strings.Contains(msg, "Timeout"):
		return "timeout", 0
	case strings.Contains(msg, "feeds: parse"):
		return "broken", 0
	case strings.Contains(msg, "no such host") || strings.Contains(msg, "connection refused") || strings.Contains(msg, "redirect") ||
		strings.Contains(msg, "tls:") || strings.Contains(msg, "x509") || strings.Contains(msg, "EOF"):
		return "unreachable", 0
	}
	return "other", 0
}

// storedErrorText words a feed's stored last error for the person.
func storedErrorText(lg, msg string) string {
	reason, status := storedErrorReason(msg)
	return reasonText(lg, reason, status)
}

// letters counts the letters and digits of s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
