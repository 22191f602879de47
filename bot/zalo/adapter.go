// Package zalo connects the bot to the Zalo Bot Platform: a small client for
// its HTTP API, and an adapter that long-polls getUpdates or serves a
// webhook, deduplicates on message_id, turns the Vietnamese words people type
// into commands, and sends plain text split under Zalo's 2000 characters.
package zalo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
)

const (
	// DefaultPollTimeout is getUpdates' long-poll timeout when Options
	// leaves it zero (Zalo's own default).
	DefaultPollTimeout = 30 * time.Second
	// DefaultSeenSize is how many message ids the in-memory SeenStore keeps.
	DefaultSeenSize = 1000
	// clientMargin is how much longer than a long poll a request may take.
	clientMargin = 10 * time.Second
	// queueSize bounds the webhook updates waiting for Run.
	queueSize = 256
	// minSecret and maxSecret bound setWebhook's secret_token.
	minSecret = 8
	maxSecret = 256
)

// SeenStore remembers which message ids were handled, so that a replay (by
// getUpdates, which has no offset, or by a webhook retry) is handled once,
// across restarts when the store persists. Ids are marked after handling;
// the bot's inbox is what makes a replay durably harmless. Implementations must be safe for
// concurrent use; they may forget old ids.
type SeenStore interface {
	// Seen reports whether id was marked.
	Seen(ctx context.Context, id string) (bool, error)
	// MarkSeen marks id.
	MarkSeen(ctx context.Context, id string) error
}

// Options configures New.
type Options struct {
	Token string
	// APIURL is the Bot API base, DefaultAPIURL when empty.
	APIURL string
	// PollTimeout is getUpdates' long-poll timeout, DefaultPollTimeout when
	// zero; Zalo takes whole seconds.
	PollTimeout time.Duration
	// WebhookURL, when set, makes Run call setWebhook with it and
	// WebhookSecret and take updates from WebhookHandler instead of
	// polling. WebhookSecret must then be 8–256 characters.
	WebhookURL    string
	WebhookSecret string
	// Seen persists handled message ids; nil keeps the last DefaultSeenSize
	// in memory, which does not survive a restart.
	Seen SeenStore
	Log  *slog.Logger
	// HTTPClient is copied; its Timeout is raised to a little more than
	// PollTimeout if it is shorter.
	HTTPClient *http.Client
}

// Adapter is the Zalo bot.Platform. Its methods are safe for concurrent use;
// Run must run once at a time.
type Adapter struct {
	client        *Client
	me            BotInfo
	pollTimeout   time.Duration
	webhookURL    string
	webhookSecret string
	log           *slog.Logger
	now           func() time.Time
	backoffMin    time.Duration
	backoffMax    time.Duration

	seen  SeenStore
	queue *bot.HookQueue // webhook updates waiting for Run
}

var _ bot.Platform = (*Adapter)(nil)

// New checks the options and the token (with getMe). A refused token
// returns an error matching ErrUnauthorized.
func New(ctx context.Context, opts Options) (*Adapter, error) {
	if opts.Token == "" {
		return nil, errors.New("zalo: empty token")
	}
	if opts.WebhookURL != "" {
		u, err := url.Parse(opts.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("zalo: webhook url %q is not an absolute https URL", opts.WebhookURL)
		}
		if n := len(opts.WebhookSecret); n < minSecret || n > maxSecret {
			return nil, fmt.Errorf("zalo: webhook secret must be %d-%d characters, got %d", minSecret, maxSecret, n)
		}
	}
	poll := opts.PollTimeout
	if poll <= 0 {
		poll = DefaultPollTimeout
	}
	hc := bot.HTTPClient(opts.HTTPClient, poll+clientMargin)
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seen := opts.Seen
	if seen == nil {
		seen = NewMemorySeen(DefaultSeenSize)
	}
	a := &Adapter{
		client:        NewClient(opts.Token, opts.APIURL, hc),
		pollTimeout:   poll,
		webhookURL:    opts.WebhookURL,
		webhookSecret: opts.WebhookSecret,
		log:           log,
		now:           time.Now,
		backoffMin:    time.Second,
		backoffMax:    30 * time.Second,
		seen:          seen,
		queue:         bot.NewHookQueue(queueSize, DefaultSeenSize),
	}
	me, err := a.client.GetMe(ctx)
	if err != nil {
		return nil, a.mapError(err)
	}
	a.me = me
	return a, nil
}

// Name returns "zalo".
func (a *Adapter) Name() string { return "zalo" }

// Buttons returns false: Zalo bots have no inline keyboards, so the core
// offers text commands instead.
func (a *Adapter) Buttons() bool { return false }

// Bot returns what getMe said about the bot.
func (a *Adapter) Bot() BotInfo { return a.me }

// Client returns the API client the adapter uses.
func (a *Adapter) Client() *Client { return a.client }

// AnswerCallback does nothing: Zalo has no buttons to acknowledge.
func (a *Adapter) AnswerCallback(context.Context, string, string) error { return nil }

// seenBefore reports whether the message with key was handled before. A
// store that fails is logged and the message counted as new: better a rare
// duplicate answer than a lost command (the bot's inbox drops most anyway).
func (a *Adapter) seenBefore(ctx context.Context, key string) bool {
	seen, err := a.seen.Seen(ctx, key)
	if err != nil {
		a.log.Warn("zalo: unable to check a message id", slog.String("id", key), slog.Any("err", err))
	}
	return seen
}

// markSeen records that the message with key was handled.
func (a *Adapter) markSeen(ctx context.Context, key string) {
	if err := a.seen.MarkSeen(context.WithoutCancel(ctx), key); err != nil {
		a.log.Warn("zalo: unable to record a message id", slog.String("id", key), slog.Any("err", err))
	}
}

// MemorySeen is a SeenStore that keeps the last n ids in memory.
type MemorySeen struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

// NewMemorySeen returns a store that remembers the last n ids (n ≥ 1).
func NewMemorySeen(n int) *MemorySeen {
	n = max(n, 1)
	return &MemorySeen{ids: make(map[string]struct{}, n), ring: make([]string, n)}
}

// Seen reports whether id is among the remembered ids.
func (m *MemorySeen) Seen(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.ids[id]
	return ok, nil
}

// MarkSeen remembers id, forgetting the oldest when full.
func (m *MemorySeen) MarkSeen(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.ids[id]; ok {
		return nil
	}
	if old := m.ring[m.next]; old != "" {
		delete(m.ids, old)
	}
	m.ring[m.next] = id
	m.ids[id] = struct{}{}
	m.next = (m.next + 1) % len(m.ring)
	return nil
}
