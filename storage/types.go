package storage

import (
	"errors"
	"time"
)

// ErrNotFound is returned when the thing asked for does not exist.
var ErrNotFound = errors.New("storage: not found")

// ErrUnknownSection is returned when a section key is not in the database.
var ErrUnknownSection = errors.New("storage: unknown section")

// ChatRef identifies a chat on one platform ("telegram", "zalo", "console").
type ChatRef struct {
	Platform string
	ID       string
}

// String returns the platform-qualified id, e.g. "telegram:123".
func (c ChatRef) String() string { return c.Platform + ":" + c.ID }

// Chat is a conversation the bot talks in: a private chat, a group or a channel.
type Chat struct {
	ChatRef
	Type   string // "private", "group", "supergroup", "channel"
	Title  string
	Lang   string // "vi" or "en"
	Active bool

	Digest     string // "off", "hourly" or "daily"
	DigestAt   int    // minutes after local midnight, for a daily digest
	QuietStart int    // minutes after local midnight; -1 when the chat has no quiet hours
	QuietEnd   int
	TZ         string // IANA zone the chat's times are in
	Bound      bool   // an admin bound it with /channel add
}

// Section groups feeds; people subscribe to sections.
type Section struct {
	Key  string
	Name string
}

// Feed is a news feed polled on a schedule.
type Feed struct {
	ID           int64
	URL          string
	Section      string // section key
	Schedule     string // cron spec; empty means the default
	Title        string // the feed's own title, once polled
	ETag         string
	LastModified string
	PolledAt     time.Time // zero until the first poll that succeeded
	LastSuccess  time.Time
	LastError    string
	LastErrorAt  time.Time
	Articles     int       // number of articles seen in this feed
	FullText     bool      // fetch each article's page for its text
	Failures     int       // consecutive failed polls; 0 after a success
	NextAttempt  time.Time // no poll before this (backoff, Retry-After); zero = on schedule
	Paused       bool      // not polled until resumed, after too many failures
	Origin       string    // OriginFile or OriginChat: who adds and removes it
	BodyHash     string    // identifies the last document stored (SaveOptions.BodyHash); set by FeedToPoll only
}

// Item is one entry of a parsed feed, ready to be stored.
type Item struct {
	GUID      string // the feed's guid, or "" when it has none
	Link      string // absolute link as published
	Canonical string // normalised link used for cross-feed dedupe; "" when there is no link
	Title     string
	Summary   string // plain text
	Body      string // the article's plain text when its page was read; searched, not stored
	ImageURL  string
	Published time.Time // zero when the feed gave no date
}

// Article is a stored item with where it came from.
type Article struct {
	ID          int64
	FeedID      int64
	Link        string
	Title       string
	Summary     string
	ImageURL    string
	Published   time.Time // UTC
	Section     string    // section key of the feed that first brought it
	SectionName string
	Source      string // the feed's title or host
	// StoryID is the story the article belongs to: the id of the story's
	// first article (its own id when it started the story).
	StoryID int64
	// Sources is how many articles its story has, when the query counted
	// them (Latest, search pages); 0 when it did not.
	Sources int
}

// Delivery is one alert (or broadcast) waiting to be sent to one chat.
type Delivery struct {
	ID      int64
	Chat    Chat
	Article *Article // nil for a broadcast
	// Text is a broadcast's text; for an article alert, the followed
	// phrase that matched when a /follow queued it, else empty.
	Text     string
	Attempts int
	Created  time.Time
	Waiting  int // pending deliveries of the same chat that are due, this one included
	// TransientFailures counts failures that were not the message's fault
	// (outages, timeouts); they space retries out but use no attempt.
	TransientFailures int
	// Sources are the other articles of the alert's story, oldest first
	// (empty when the article is alone): rendered when the alert is sent,
	// so a waiting alert goes out once with every source known by then.
	Sources []Article
	// Edit is set on an edit row: the alert (Article, Text) was sent as the
	// message Edit names, which is to be replaced by the alert with its
	// story's sources as they are now.
	Edit *Edit
}

// Edit is the message an edit row replaces.
type Edit struct {
	Of        int64     // the delivery that sent it
	MessageID string    // the platform's id of the message; "" when it is gone (that delivery was deleted)
	SentAt    time.Time // when it was sent: old messages are not edited (StoryEditAge)
}
