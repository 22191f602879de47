package bot

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"newsbot/storage"
)

// DispatcherOptions configures a Dispatcher. Zero values take the defaults.
type DispatcherOptions struct {
	Store     *storage.Store
	Platforms map[string]Platform // by Platform.Name()
	Location  *time.Location
	Log       *slog.Logger

	RatePerSecond float64       // all chats together; default 25
	ChatInterval  time.Duration // least gap between two messages to one private chat; default 1s
	GroupInterval time.Duration // least gap to one group or channel; default 3s
	MaxAttempts   int           // then the delivery is failed; default 8
	PollInterval  time.Duration // how often the outbox is checked when idle; default 1s
}

// Dispatcher sends the outbox: it takes due deliveries, renders them for
// their chat, sends them through the chat's platform within the rate limits
// and records the outcome. A delivery is marked sent only after the platform
// accepted it, so a crash repeats at most the send in flight.
type Dispatcher struct {
	opts     DispatcherOptions
	wake     chan struct{}
	mu       sync.Mutex
	nextChat map[storage.ChatRef]time.Time // earliest next send per chat
	nextAny  time.Time                     // earliest next send overall
}

// NewDispatcher returns a Dispatcher; call Run to start it.
func NewDispatcher(opts DispatcherOptions) *Dispatcher {
	if opts.RatePerSecond <= 0 {
		opts.RatePerSecond = 25
	}
	if opts.ChatInterval <= 0 {
		opts.ChatInterval = time.Second
	}
	if opts.GroupInterval <= 0 {
		opts.GroupInterval = 3 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Location == nil {
		opts.Location = VietnamTime()
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Dispatcher{opts: opts, wake: make(chan struct{}, 1), nextChat: map[storage.ChatRef]time.Time{}}
}

// Wake tells the dispatcher that new deliveries may be due.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends deliveries until ctx is done, then returns nil after the send
// in flight has finished.
func (d *Dispatcher) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-timer.C:
		}
		wait := d.runOnce(ctx)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// runOnce sends what is due now and returns how long to wait before looking again.
func (d *Dispatcher) runOnce(ctx context.Context) time.Duration {
	for ctx.Err() == nil {
		due, err := d.opts.Store.DueDeliveries(ctx, time.Now(), 200)
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Log.Error("bot: read outbox", "err", err)
			}
			return d.opts.PollInterval
		}
		sent := 0
		soonest := d.opts.PollInterval
		for _, del := range due {
			if ctx.Err() != nil {
				return 0
			}
			if wait := d.chatWait(del.Chat); wait > 0 {
				soonest = min(soonest, wait)
				continue
			}
			if !d.waitGlobal(ctx) {
				return 0
			}
			d.deliver(ctx, del)
			sent++
		}
		if sent == 0 {
			return soonest
		}
	}
	return 0
}

// chatWait says how long until the chat may get its next message.
func (d *Dispatcher) chatWait(chat storage.Chat) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Until(d.nextChat[chat.ChatRef])
}

// waitGlobal waits for the overall rate limit; false if ctx ended first.
func (d *Dispatcher) waitGlobal(ctx context.Context) bool {
	d.mu.Lock()
	now := time.Now()
	at := d.nextAny
	if at.Before(now) {
		at = now
	}
	d.nextAny = at.Add(time.Duration(float64(time.Second) / d.opts.RatePerSecond))
	d.mu.Unlock()
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

func (d *Dispatcher) interval(chat storage.Chat) time.Duration {
	if chat.Type == "private" || chat.Type == "" {
		return d.opts.ChatInterval
	}
	return d.opts.GroupInterval
}

// render builds the message for a delivery.
func (d *Dispatcher) render(del storage.Delivery) Message {
	msg := Message{Chat: del.Chat.ChatRef, NoButtons: del.Chat.Type == "channel"}
	if del.Article == nil {
		msg.HTML = Escape(del.Text)
		return msg
	}
	msg.HTML = Alert(del.Article, del.Chat.Lang, d.opts.Location)
	msg.PhotoURL = del.Article.ImageURL
	return msg
}

// deliver sends one delivery and records what happened.
func (d *Dispatcher) deliver(ctx context.Context, del storage.Delivery) {
	store, log := d.opts.Store, d.opts.Log.With("delivery", del.ID, "chat", del.Chat.ChatRef.String())
	// The send in flight finishes even when shutdown has begun, so that what
	// the platform accepted is also recorded.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 8*time.Second)
	defer cancel()
	d.mu.Lock()
	d.nextChat[del.Chat.ChatRef] = time.Now().Add(d.interval(del.Chat))
	d.mu.Unlock()

	p, ok := d.opts.Platforms[del.Chat.Platform]
	if !ok {
		// The platform is off in this run; look again later.
		if err := store.MarkRetry(sendCtx, del.ID, time.Now().Add(10*time.Minute), "platform "+del.Chat.Platform+" is not running"); err != nil {
			log.Error("bot: reschedule delivery", "err", err)
		}
		return
	}
	_, err := p.Send(sendCtx, d.render(del))
	var retry *RetryAfterError
	var perm *PermanentError
	var migrated *MigratedError
	switch {
	case err == nil:
		if err := store.MarkSent(sendCtx, del.ID, time.Now()); err != nil {
			log.Error("bot: mark sent", "err", err)
		}
		return
	case errors.As(err, &retry):
		next := time.Now().Add(retry.After)
		d.mu.Lock()
		if retry.Global {
			d.nextAny = next
		} else {
			d.nextChat[del.Chat.ChatRef] = next
		}
		d.mu.Unlock()
		log.Warn("bot: rate limited", "retry_after", retry.After, "global", retry.Global)
		// A 429 is the platform pacing us, not the message failing: it does
		// not use up an attempt.
		err = store.Postpone(sendCtx, del.ID, next, err.Error())
	case errors.Is(err, ErrChatGone):
		n, derr := store.DeactivateChat(sendCtx, del.Chat.ChatRef, err.Error())
		log.Info("bot: chat gone; deactivated", "dropped", n, "reason", err)
		err = derr
	case errors.As(err, &migrated):
		log.Info("bot: chat migrated", "to", migrated.NewID)
		err = store.MigrateChat(sendCtx, del.Chat.ChatRef, migrated.NewID)
	case errors.As(err, &perm), del.Attempts+1 >= d.opts.MaxAttempts:
		log.Warn("bot: delivery failed", "attempts", del.Attempts+1, "err", err)
		err = store.MarkFailed(sendCtx, del.ID, err.Error())
	default:
		wait := backoff(del.Attempts)
		log.Warn("bot: send failed; will retry", "in", wait, "err", err)
		err = store.MarkRetry(sendCtx, del.ID, time.Now().Add(wait), err.Error())
	}
	if err != nil {
		log.Error("bot: record delivery outcome", "err", err)
	}
}

// backoff is exponential from 2 s, capped at 10 minutes, with ±25 % jitter so
// that many retries do not land together.
func backoff(attempts int) time.Duration {
	d := 2 * time.Second << min(attempts, 9)
	d = min(d, 10*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/2)) - d/4
	return d + jitter
}
