package zalo

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
)

// DefaultRetryAfter is how long a 429 waits: Zalo publishes neither its
// limits nor a retry_after.
const DefaultRetryAfter = 5 * time.Second

// Words in a 403 or 404 description. Zalo's wording is not documented, so
// the match is loose; a 404 counts as "chat gone" only when it names the
// person or chat, since a bare 404 is as likely a wrong api_url, and taking
// that for "gone" would deactivate every chat.
var (
	chatWords  = []string{"user", "chat", "recipient", "conversation", "follower", "người dùng", "không tồn tại"}
	quotaWords = []string{"quota", "rate limit", "too many", "vượt quá"}
	// blockWords say the person blocked the bot, whatever else is said.
	blockWords = []string{"block", "chặn"}
	// botWords point at the bot or its token rather than the chat.
	botWords = []string{"token", "bot is", "bot has been", "bot was", "suspend", "banned", "expired"}
)

var retryAfterText = regexp.MustCompile(`(?i)retry after (\d+)`)

// mapError turns the client's errors into the bot package's typed errors:
//
//   - 401: an error matching ErrUnauthorized that names the config key;
//   - 429 (or a 403 about a quota): *bot.RetryAfterError, Global because a
//     quota is the bot's, not a chat's;
//   - from a send, a 403 (unless it is about the bot) and a 404 that names
//     the user or chat: wraps bot.ErrChatGone;
//   - 408: a plain error, a send to retry;
//   - any other 4xx: *bot.PermanentError;
//   - 5xx, network and everything else: plain errors, retryable.
func (a *Adapter) mapError(err error) error {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	desc := strings.ToLower(apiErr.Description)
	code := apiErr.Code
	switch {
	case code == http.StatusUnauthorized:
		return fmt.Errorf("%w: check zalo.token or ZALO_BOT_TOKEN", apiErr)
	case code == http.StatusTooManyRequests,
		code == http.StatusForbidden && containsAny(desc, quotaWords):
		return &bot.RetryAfterError{After: retryAfter(apiErr), Global: true}
	case chatMethod(apiErr.Method) && code == http.StatusForbidden && (containsAny(desc, blockWords) || !containsAny(desc, botWords)),
		chatMethod(apiErr.Method) && code == http.StatusNotFound && containsAny(desc, chatWords):
		return fmt.Errorf("%w: %w", apiErr, bot.ErrChatGone)
	case code == http.StatusRequestTimeout:
		return apiErr
	case code >= 400 && code < 500:
		return &bot.PermanentError{Err: apiErr}
	}
	return apiErr
}

// chatMethod reports whether method addresses a chat, so that a 403 or 404
// can be about that chat.
func chatMethod(method string) bool {
	return strings.HasPrefix(method, "send")
}

func retryAfter(e *APIError) time.Duration {
	if e.RetryAfter > 0 {
		return e.RetryAfter
	}
	if m := retryAfterText.FindStringSubmatch(e.Description); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return DefaultRetryAfter
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
