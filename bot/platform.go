package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// Update is one thing a person did that the bot must answer: a message or a
// button press. Adapters fill it in; handlers never see platform types.
type Update struct {
	// ID is the platform's update id: the inbox's key, which drops
	// replays, and the key effects that must happen once (a broadcast)
	// are recorded under. Empty when the platform has none (the console):
	// such updates are neither recorded nor deduplicated.
	ID       string
	Chat     storage.Chat // where it happened (Platform, ID, Type, Title, Lang)
	UserID   string       // who did it, platform-local id ("123456789")
	UserName string       // display name, for logs
	Lang     string       // the person's language code as the platform reports it ("vi", "en", "")
	Text     string       // the message text, or the button's data for a callback
	Callback *Callback    // non-nil when a button was pressed
	Document *Document    // non-nil when a file was sent (Text is its caption)
	Received time.Time
}

// Callback is an inline-button press.
type Callback struct {
	ID        string // answer with Platform.AnswerCallback
	MessageID string // the message that carried the button
}

// Button is an inline button; Data comes back as Update.Text on a press.
type Button struct {
	Text string
	Data string
}

// Message is what the bot sends. HTML uses Telegram's HTML subset (b, i, a
// href, code) with every piece of outside text escaped; platforms that show
// plain text convert it with PlainText.
type Message struct {
	Chat      storage.ChatRef
	HTML      string
	PhotoURL  string     // when set, send as a photo with HTML as its caption
	Buttons   [][]Button // inline keyboard; ignored by platforms without buttons
	EditID    string     // when set, replace the text and buttons of this message
	NoButtons bool       // never attach buttons (channel posts)
	// PaidBroadcast lets a bulk send (an alert) exceed the platform's free
	// rate for a fee (Telegram's allow_paid_broadcast); ignored elsewhere.
	PaidBroadcast bool
}

// Command describes one command for the platform's command menu.
type Command struct {
	Name        string            // without the slash
	Description map[string]string // by language: "vi", "en"
}

// Platform is one chat service: Telegram, Zalo, the console.
type Platform interface {
	// Name is the platform's key in ChatRef.Platform ("telegram").
	Name() string
	// Run receives updates and hands each to handle until ctx is done.
	// It tells the platform an update arrived (confirms the polling
	// offset, answers the webhook, marks the id seen) only after handle
	// returned for it: the bot's update pool returns once the update is in
	// the inbox, so a crash cannot lose it. It returns nil when ctx is
	// cancelled.
	Run(ctx context.Context, handle func(context.Context, Update)) error
	// Send delivers msg and returns the platform's id of the sent message.
	// Errors a caller can act on are *RetryAfterError, *MigratedError and
	// ErrChatGone (wrapped).
	Send(ctx context.Context, msg Message) (string, error)
	// AnswerCallback acknowledges a button press with an optional short toast.
	AnswerCallback(ctx context.Context, id, text string) error
	// Buttons reports whether the platform shows inline buttons.
	Buttons() bool
}

// ErrChatGone means the chat no longer accepts messages from the bot
// (blocked, kicked, deactivated, chat not found).
var ErrChatGone = errors.New("bot: chat is gone")

// RetryAfterError means the platform asked the bot to wait before sending again.
type RetryAfterError struct {
	After time.Duration
	// Global is true when the limit is not specific to one chat.
	Global bool
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("bot: rate limited, retry after %s", e.After)
}

// MigratedError means a group became a supergroup with a new chat id.
type MigratedError struct {
	NewID string
}

func (e *MigratedError) Error() string {
	return "bot: chat migrated to " + e.NewID
}

// PermanentError means the platform refused the message itself (bad request)
// and sending it again will not help.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return "bot: message refused: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// ChatAdmin is what platforms with groups and channels offer for binding
// them and for checking who administers them.
type ChatAdmin interface {
	// ResolveChat turns a reference ("@name", "-100…") into the chat.
	ResolveChat(ctx context.Context, ref string) (storage.Chat, error)
	// IsChatAdmin reports whether the user administers the chat.
	IsChatAdmin(ctx context.Context, chatID, userID string) (bool, error)
	// BotCanPost reports whether the bot may post in the chat (from
	// ResolveChat) as an administrator, and if not, why.
	BotCanPost(ctx context.Context, chat storage.Chat) (bool, string, error)
}

// HTTPClient returns the client an adapter talks to its platform with: a
// copy of base, or a new client whose transport keeps a connection for each
// of the dispatcher's concurrent sends (Go's default keeps two per host, so
// the others would dial anew every time); its timeout is at least
// minTimeout (a long poll and a margin).
func HTTPClient(base *http.Client, minTimeout time.Duration) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		c.Transport = t
	}
	c.Timeout = max(c.Timeout, minTimeout)
	return &c
}
