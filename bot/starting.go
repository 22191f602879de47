package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// ErrUnauthorized means a platform refused the bot's token: a configuration
// error that waiting will not fix.
var ErrUnauthorized = errors.New("bot: the platform refused the token")

// StartOptions configures Starting.
type StartOptions struct {
	Name string
	// Start connects to the platform (getMe, setMyCommands…).
	Start func(ctx context.Context) (Platform, error)
	// Fatal reports a start error that retrying will not fix (a refused
	// token); Run returns it. Every other error is retried with backoff.
	Fatal      func(error) bool
	BackoffMin time.Duration // first wait after a failed start; default 1s
	BackoffMax time.Duration // longest wait; default 5m
	Log        *slog.Logger
}

// StartingPlatform is a platform that connects in its Run, retrying with
// backoff, so that one platform's outage at start (getMe failing) does not
// stop the bot or the other platforms. Until it is connected, Send answers
// a global RetryAfterError (the outbox waits without using up attempts) and
// its webhook answers 503 (the platform retries it).
type StartingPlatform struct {
	opts  StartOptions
	mu    sync.Mutex
	inner Platform
	ready chan struct{}
}

// Starting returns a StartingPlatform for opts.
func Starting(opts StartOptions) *StartingPlatform {
	if opts.BackoffMin <= 0 {
		opts.BackoffMin = time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 5 * time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Fatal == nil {
		opts.Fatal = func(err error) bool { return errors.Is(err, ErrUnauthorized) }
	}
	return &StartingPlatform{opts: opts, ready: make(chan struct{})}
}

// Platform returns the connected platform, or nil before it connected.
func (s *StartingPlatform) Platform() Platform {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inner
}

// Ready is closed once the platform has connected.
func (s *StartingPlatform) Ready() <-chan struct{} { return s.ready }

// Name returns the platform's name.
func (s *StartingPlatform) Name() string { return s.opts.Name }

// Run connects (see Connect), then runs the connected platform.
func (s *StartingPlatform) Run(ctx context.Context, handle func(context.Context, Update)) error {
	p, err := s.Connect(ctx)
	if err != nil || p == nil {
		return err
	}
	return p.Run(ctx, handle)
}

// Connect starts the platform, retrying with backoff, and returns it. It
// returns the fatal error that retrying will not fix, or a nil platform
// and no error when ctx ended first. Call it once.
func (s *StartingPlatform) Connect(ctx context.Context) (Platform, error) {
	wait := s.opts.BackoffMin
	for {
		p, err := s.opts.Start(ctx)
		if err == nil {
			s.mu.Lock()
			s.inner = p
			s.mu.Unlock()
			close(s.ready)
			return p, nil
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		if s.opts.Fatal(err) {
			return nil, err
		}
		s.opts.Log.Error("platform unreachable at start; retrying", "platform", s.opts.Name, "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		case <-t.C:
		}
		wait = min(wait*2, s.opts.BackoffMax)
	}
}

// notReadyWait is how long the outbox waits for a platform still connecting.
const notReadyWait = 5 * time.Second

// Send sends through the connected platform, waiting for it to connect
// while ctx allows; if it does not, it asks the caller to come back later
// (a wait that uses up no attempt).
func (s *StartingPlatform) Send(ctx context.Context, msg Message) (string, error) {
	select {
	case <-s.ready:
		return s.Platform().Send(ctx, msg)
	case <-ctx.Done():
		return "", &RetryAfterError{After: notReadyWait, Global: true}
	}
}

// AnswerCallback answers through the connected platform.
func (s *StartingPlatform) AnswerCallback(ctx context.Context, id, text string) error {
	if p := s.Platform(); p != nil {
		return p.AnswerCallback(ctx, id, text)
	}
	return &RetryAfterError{After: notReadyWait, Global: true}
}

// Buttons reports the connected platform's; false before it connected.
func (s *StartingPlatform) Buttons() bool {
	if p := s.Platform(); p != nil {
		return p.Buttons()
	}
	return false
}

// WebhookHandler serves the connected platform's webhook; until then it
// answers 503, which the platform retries.
func (s *StartingPlatform) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := s.Platform().(interface{ WebhookHandler() http.Handler }); ok {
			h.WebhookHandler().ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	})
}
