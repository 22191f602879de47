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
	Log       *slog.Logger

	RatePerSecond float64            // all chats of a platform together; default 25
	PlatformRates map[string]float64 // a platform's own rate, over RatePerSecond (zalo: 10)
	ChatInterval  time.Duration      // least gap between two messages to one private chat; default 1s
	GroupInterval time.Duration      // least gap to one group or channel; default 3s
	MaxAttempts   int                // then the delivery is failed; default 8
	Workers       int                // sends in flight at once; default 4
	PollInterval  time.Duration      // how often the outbox is checked when idle; default 1s
	SendTimeout   time.Duration      // longest wait for one send; default 5s
	RetryBase     time.Duration      // first retry delay after a failure, doubling; default 2s
	Now           func() time.Time   // the clock digests and quiet hours follow; default time.Now
}

// combineAbove is how many waiting alerts make the dispatcher send one
// combined message instead of a flood.
const combineAbove = 5

// maxCombined is the most alerts one combined message or digest carries;
// the rest follow in the next.
const maxCombined = 40

// Dispatcher sends the outbox: it takes due deliveries, renders them for
// their chat, sends them through the chat's platform within the rate limits
// and records the outcome. A delivery is marked sent only after the platform
// accepted it, so a crash repeats at most the send in flight.
type Dispatcher struct {
	opts     DispatcherOptions
	wake     chan struct{}
	mu       sync.Mutex
	nextChat map[storage.ChatRef]time.Time // earliest next send per chat
	limits   map[string]*limiter           // per platform
}

// limiter paces one platform's sends.
type limiter struct {
	rate     float64
	next     time.Time       // earliest next send
	recent   []time.Time     // when the last rate sends started, a ring
	recentAt int             // the ring's oldest entry
	last429  time.Time       // when some chat last got a 429
	last429c storage.ChatRef // and which
}

func newLimiter(rate float64) *limiter {
	// The one-second window is kept for rates a chat platform has; above
	// that, even spacing alone is precise enough.
	window := 0
	if rate <= 1000 {
		window = max(int(rate), 1)
	}
	return &limiter{rate: rate, recent: make([]time.Time, window)}
}

// reserve books the next send and returns when it may start: sends are
// spaced 1/rate apart, and no more than rate start in any second (plus a
// margin), so bursts after a pause stay within the limit too. The caller
// holds the dispatcher's lock.
func (l *limiter) reserve(now time.Time) time.Time {
	at := l.next
	if len(l.recent) > 0 {
		if oldest := l.recent[l.recentAt]; !oldest.IsZero() {
			at = later(at, oldest.Add(time.Second+windowMargin))
		}
	}
	at = later(at, now)
	if len(l.recent) > 0 {
		l.recent[l.recentAt] = at
		l.recentAt = (l.recentAt + 1) % len(l.recent)
	}
	l.next = at.Add(time.Duration(float64(time.Second) / l.rate))
	return at
}

// windowMargin keeps the measured rate under the limit when network delays
// bunch sends up on the way to the platform.
const windowMargin = 50 * time.Millisecond

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
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 5 * time.Second
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	d := &Dispatcher{opts: opts, wake: make(chan struct{}, 1), nextChat: map[storage.ChatRef]time.Time{},
		limits: map[string]*limiter{}}
	for name := range opts.Platforms {
		rate := opts.RatePerSecond
		if r, ok := opts.PlatformRates[name]; ok && r > 0 {
			rate = r
		}
		d.limits[name] = newLimiter(rate)
	}
	return d
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
		due, err := d.opts.Store.DueDeliveries(ctx, d.opts.Now(), 200)
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Log.Error("bot: read outbox", "err", err)
			}
			return d.opts.PollInterval
		}
		// Each row is a different chat, so up to Workers of them go at once
		// without reordering any chat's messages.
		sem := make(chan struct{}, d.opts.Workers)
		var wg sync.WaitGroup
		sent := 0
		soonest := d.opts.PollInterval
		for _, del := range due {
			if wait := d.chatWait(del.Chat); wait > 0 {
				soonest = min(soonest, wait)
				continue
			}
			if !d.waitPlatform(ctx, del.Chat.Platform) {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			sent++
			go func() {
				defer func() { <-sem; wg.Done() }()
				d.handle(ctx, del)
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return 0
		}
		if sent == 0 {
			return soonest
		}
	}
	return 0
}

// handle decides what one chat's oldest due delivery becomes: held for a
// digest or quiet hours, a digest, a combined message, or a single alert.
func (d *Dispatcher) handle(ctx context.Context, del storage.Delivery) {
	store, chat, now := d.opts.Store, del.Chat, d.opts.Now()
	// Shutdown must not cut a send in half: what the platform accepted is
	// also recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.SendTimeout+2*time.Second)
	defer cancel()
	hold := func(until time.Time) {
		if err := store.PostponeChat(ctx, chat.ChatRef, until); err != nil {
			d.opts.Log.Error("bot: hold deliveries", "chat", chat.ChatRef.String(), "err", err)
		}
	}
	if end := quietEnd(chat, now); !end.IsZero() {
		hold(end)
		return
	}
	if del.Article == nil {
		d.deliver(ctx, []storage.Delivery{del}, d.render(del))
		return
	}
	switch {
	case chat.Digest != "off" && chat.Digest != "":
		if at := nextDigest(chat, del.Created); now.Before(at) {
			hold(at)
			return
		}
		d.sendCombined(ctx, chat, "digest_head")
	case !quietEnd(chat, del.Created).IsZero():
		// It came in during quiet hours, which are over: one digest.
		d.sendCombined(ctx, chat, "quiet_head")
	case del.Waiting > combineAbove:
		d.sendCombined(ctx, chat, "combined_head")
	default:
		d.deliver(ctx, []storage.Delivery{del}, d.render(del))
	}
}

// sendCombined sends the chat's waiting alerts as one message.
func (d *Dispatcher) sendCombined(ctx context.Context, chat storage.Chat, head string) {
	pending, err := d.opts.Store.PendingFor(ctx, chat.ChatRef, maxCombined*2)
	if err != nil {
		d.opts.Log.Error("bot: read chat's outbox", "chat", chat.ChatRef.String(), "err", err)
		return
	}
	var alerts []storage.Delivery
	for _, p := range pending {
		if p.Article != nil && len(alerts) < maxCombined {
			alerts = append(alerts, p)
		}
	}
	if len(alerts) == 0 {
		return
	}
	articles := make([]*storage.Article, len(alerts))
	for i, a := range alerts {
		articles[i] = a.Article
	}
	msg := Message{Chat: chat.ChatRef, NoButtons: chat.Type == "channel",
		HTML: Digest(articles, tr(chat.Lang, head, len(articles)), chatLocation(chat))}
	d.deliver(ctx, alerts, msg)
}

// chatWait says how long until the chat may get its next message.
func (d *Dispatcher) chatWait(chat storage.Chat) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Until(d.nextChat[chat.ChatRef])
}

// waitPlatform waits for the platform's rate limit; false if ctx ended
// first. A platform without a limiter (not running) does not wait.
func (d *Dispatcher) waitPlatform(ctx context.Context, platform string) bool {
	d.mu.Lock()
	l, ok := d.limits[platform]
	var at time.Time
	if ok {
		at = l.reserve(time.Now())
	}
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

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
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
	msg.HTML = Alert(del.Article, del.Chat.Lang, chatLocation(del.Chat))
	msg.PhotoURL = del.Article.ImageURL
	return msg
}

// deliver sends msg, which carries the deliveries dels (one, or several
// combined), and records what happened to all of them.
func (d *Dispatcher) deliver(ctx context.Context, dels []storage.Delivery, msg Message) {
	first := dels[0]
	chat := first.Chat
	store, log := d.opts.Store, d.opts.Log.With("delivery", first.ID, "chat", chat.ChatRef.String())
	ids := make([]int64, len(dels))
	for i, del := range dels {
		ids[i] = del.ID
	}
	d.mu.Lock()
	d.nextChat[chat.ChatRef] = time.Now().Add(d.interval(chat))
	d.mu.Unlock()

	p, ok := d.opts.Platforms[chat.Platform]
	if !ok {
		// The platform is off in this run; look again later.
		if err := store.PostponeChat(ctx, chat.ChatRef, time.Now().Add(10*time.Minute)); err != nil {
			log.Error("bot: reschedule delivery", "err", err)
		}
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, d.opts.SendTimeout)
	_, err := p.Send(sendCtx, msg)
	cancel()
	// The gap counts from when the platform had the message.
	d.mu.Lock()
	d.nextChat[chat.ChatRef] = later(d.nextChat[chat.ChatRef], time.Now().Add(d.interval(chat)))
	d.mu.Unlock()
	var retry *RetryAfterError
	var migrated *MigratedError
	switch {
	case err == nil:
		err = store.MarkSentMany(ctx, ids, time.Now())
	case errors.As(err, &retry):
		next := d.rateLimited(chat.ChatRef, retry)
		log.Warn("bot: rate limited", "retry_after", retry.After)
		// A 429 is the platform pacing us, not the message failing: it does
		// not use up an attempt.
		for _, id := range ids {
			if perr := store.Postpone(ctx, id, next, err.Error()); perr != nil {
				log.Error("bot: postpone delivery", "err", perr)
			}
		}
		err = nil
	case errors.Is(err, ErrChatGone):
		n, derr := store.DeactivateChat(ctx, chat.ChatRef, err.Error())
		log.Info("bot: chat gone; deactivated", "dropped", n, "reason", err)
		err = derr
	case errors.As(err, &migrated):
		log.Info("bot: chat migrated", "to", migrated.NewID)
		err = store.MigrateChat(ctx, chat.ChatRef, migrated.NewID)
	default:
		for _, del := range dels {
			if ferr := d.failed(ctx, del, err); ferr != nil {
				log.Error("bot: record failure", "err", ferr)
			}
		}
		err = nil
	}
	if err != nil {
		log.Error("bot: record delivery outcome", "err", err)
	}
}

// failed records a failed send: retried later with backoff, or failed for
// good when the platform refused the message or attempts ran out.
func (d *Dispatcher) failed(ctx context.Context, del storage.Delivery, sendErr error) error {
	var perm *PermanentError
	if errors.As(sendErr, &perm) || del.Attempts+1 >= d.opts.MaxAttempts {
		d.opts.Log.Warn("bot: delivery failed", "delivery", del.ID, "attempts", del.Attempts+1, "err", sendErr)
		return d.opts.Store.MarkFailed(ctx, del.ID, sendErr.Error())
	}
	wait := backoff(d.opts.RetryBase, del.Attempts)
	d.opts.Log.Warn("bot: send failed; will retry", "delivery", del.ID, "in", wait, "err", sendErr)
	return d.opts.Store.MarkRetry(ctx, del.ID, time.Now().Add(wait), sendErr.Error())
}

// rateLimited pauses the chat that got a 429 until the platform's
// retry_after, and the whole platform when the limit is not the chat's own:
// the platform said so, or a second chat was limited within that window.
func (d *Dispatcher) rateLimited(chat storage.ChatRef, retry *RetryAfterError) time.Time {
	now := time.Now()
	next := now.Add(retry.After)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextChat[chat] = next
	l, ok := d.limits[chat.Platform]
	if !ok {
		return next
	}
	if retry.Global || (l.last429c != chat && now.Sub(l.last429) < retry.After) {
		l.next = later(l.next, next)
	}
	l.last429, l.last429c = now, chat
	return next
}

// backoff is exponential from base, capped at 10 minutes, with ±25 % jitter
// so that many retries do not land together.
func backoff(base time.Duration, attempts int) time.Duration {
	d := base << min(attempts, 9)
	d = min(d, 10*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/2)) - d/4
	return d + jitter
}
