package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
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
	MaxAttempts   int                // refusals of the message (PermanentError) before it is failed; default 8
	Workers       int                // sends in flight at once; default 4
	PollInterval  time.Duration      // how often the outbox is checked when idle; default 1s
	SendTimeout   time.Duration      // longest wait for one send; default 5s
	RetryBase     time.Duration      // first retry delay after a failure, doubling; default 2s
	Now           func() time.Time   // the outbox's clock: due times, digests, quiet hours, max age; default time.Now
	// MaxAge is how long a delivery that keeps failing for reasons not its
	// own (the platform down, timeouts) is retried before it is failed as
	// expired; default 24h.
	MaxAge time.Duration
	// Admins are told directly, once, when the database refuses to record
	// what was sent (a full disk) and sending stops, and again when it
	// resumes: the outbox cannot carry that news.
	Admins []storage.ChatRef
	// RecordRetry is the first wait before writing again outcomes the
	// database refused, doubling to 30s; default 1s.
	RecordRetry time.Duration
	// Observe, when set, is called after every send with its outcome and
	// latency, for metrics; it must return quickly.
	Observe func(SendEvent)
	// PaidBroadcast uses Telegram's paid broadcasts: every Telegram send of
	// the dispatcher carries allow_paid_broadcast, and Telegram's rate is
	// PaidBroadcastRate instead of RatePerSecond. Chat intervals stay.
	PaidBroadcast bool
}

// combineAbove is how many waiting alerts make the dispatcher send one
// combined message instead of a flood.
const combineAbove = 5

// maxCombined is the most alerts one combined message or digest carries;
// the rest follow in the next.
const maxCombined = 40

// maxTransientWait caps the wait between retries of a send that failed for
// reasons not its own: an outage ends at some point, and the alert should
// follow soon after.
const maxTransientWait = 5 * time.Minute

// maxRecordWait caps the wait between tries to write outcomes the database
// refused.
const maxRecordWait = 30 * time.Second

// Dispatcher sends the outbox: it takes due deliveries, renders them for
// their chat, sends them through the chat's platform within the rate limits
// and records the outcome. A delivery is marked sent only after the platform
// accepted it, so a crash repeats at most the send in flight.
//
// When the database refuses to record an outcome (a full disk), the outcome
// is held in memory and written again with backoff; meanwhile nothing new
// is sent, so a message known to have gone out is never sent again, and the
// admins are told once.
type Dispatcher struct {
	opts     DispatcherOptions
	wake     chan struct{}
	mu       sync.Mutex
	nextChat map[storage.ChatRef]time.Time // earliest next send per chat
	limits   map[string]*limiter           // per platform

	// Outcomes the database refused, in order, and the deliveries among
	// them that went out. Bounded: nothing new is sent while any wait.
	unrecorded []outcome
	sentHeld   map[int64]bool
	recordWait time.Duration // the last wait before writing them again
	recordAt   time.Time     // when to write them again
	outage     error         // why the database refuses writes, as first seen
	announced  bool          // the admins were told of this outage
}

// outcome is what became of a send, to be written to the outbox.
type outcome struct {
	what  string  // for logs
	sent  []int64 // deliveries the platform accepted: never to be sent again
	write func(ctx context.Context) error
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
	if opts.MaxAge <= 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.RecordRetry <= 0 {
		opts.RecordRetry = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	d := &Dispatcher{opts: opts, wake: make(chan struct{}, 1), nextChat: map[storage.ChatRef]time.Time{},
		limits: map[string]*limiter{}, sentHeld: map[int64]bool{}}
	if opts.PaidBroadcast {
		d.opts.Platforms = withPaidBroadcasts(opts.Platforms)
	}
	for name := range opts.Platforms {
		rate := opts.RatePerSecond
		if r, ok := opts.PlatformRates[name]; ok && r > 0 {
			rate = r
		}
		if opts.PaidBroadcast && name == "telegram" {
			rate = PaidBroadcastRate
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
// in flight has finished and a last try to record outcomes the database
// refused.
func (d *Dispatcher) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			d.lastRecord()
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
		if wait, ok := d.recordHeld(ctx, false); !ok {
			return wait
		}
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
			// Asked once a worker is free: the send before may just have
			// failed to record.
			if d.holding(del.ID) {
				<-sem
				break
			}
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
		d.record(ctx, outcome{what: "hold deliveries of " + chat.ChatRef.String(), write: func(ctx context.Context) error {
			return store.PostponeChat(ctx, chat.ChatRef, until)
		}})
	}
	if del.Edit != nil {
		// An edit makes no sound: quiet hours and digests do not hold it.
		d.edit(ctx, del)
		return
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
		// Edits go on their own, when they are their chat's oldest.
		if p.Article != nil && p.Edit == nil && len(alerts) < maxCombined && !d.holding(p.ID) {
			alerts = append(alerts, p)
		}
	}
	if len(alerts) == 0 {
		return
	}
	// One alert per story and chat (the outbox's key): each story is
	// listed once, with its sources.
	entries := make([]DigestEntry, len(alerts))
	for i, a := range alerts {
		entries[i] = DigestEntry{Article: a.Article, Sources: a.Sources}
	}
	msg := Message{Chat: chat.ChatRef, NoButtons: chat.Type == "channel",
		HTML: Digest(entries, tr(chat.Lang, head, len(entries)), chat.Lang, chatLocation(chat), d.linksSources(chat.Platform))}
	d.deliver(ctx, alerts, msg)
}

// chatWait says how long until the chat may get its next message.
func (d *Dispatcher) chatWait(chat storage.Chat) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return time.Until(d.nextChat[chat.ChatRef])
}

// Turn waits for the next send the platform's rate allows, for a message
// sent outside the outbox (a reply), so that replies and alerts together
// keep within the rate. It returns false if ctx ended first.
func (d *Dispatcher) Turn(ctx context.Context, platform string) bool {
	return d.waitPlatform(ctx, platform)
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
	var follow string
	if del.Text != "" { // a /follow queued it: say which phrase matched
		follow = "\n" + tr(del.Chat.Lang, "alert_follow", Escape(del.Text))
	}
	msg.HTML = storyAlert(del.Article, del.Sources, follow, del.Chat.Lang, chatLocation(del.Chat), d.linksSources(del.Chat.Platform))
	msg.PhotoURL = del.Article.ImageURL
	if del.Edit != nil {
		msg.EditID = del.Edit.MessageID
	}
	return msg
}

// edit sends an edit row: the alert as it was sent, with its story's
// sources as they are now, in place of the message that carried it. A
// platform that cannot edit (Zalo sends a new message instead), a message
// older than storage.StoryEditAge, or one whose delivery is gone finishes
// the row unsent: the chat has the story's alert already.
func (d *Dispatcher) edit(ctx context.Context, del storage.Delivery) {
	var reason string
	store := d.opts.Store
	p, ok := d.opts.Platforms[del.Chat.Platform]
	can, known := true, true
	if ok {
		can, known = canEdit(p)
	}
	switch {
	case del.Edit.MessageID == "":
		reason = "not edited: the message is no longer known"
	case d.opts.Now().Sub(del.Edit.SentAt) > storage.StoryEditAge:
		reason = fmt.Sprintf("not edited: the message is older than %s", storage.StoryEditAge)
	case !known:
		// Still connecting: what it can do is not known yet, and a platform
		// that cannot edit would send the edit as a new message.
		next := d.opts.Now().Add(notReadyWait)
		d.record(ctx, outcome{what: "postpone edit", write: func(ctx context.Context) error {
			return store.Postpone(ctx, del.ID, next, "platform not connected yet")
		}})
		return
	case !can:
		reason = "not edited: " + p.Name() + " cannot edit messages"
	}
	if reason == "" {
		d.deliver(ctx, []storage.Delivery{del}, d.render(del))
		return
	}
	d.record(ctx, outcome{what: "skip edit", write: func(ctx context.Context) error {
		return store.MarkSkipped(ctx, del.ID, reason)
	}})
}

// canEdit reports whether a platform edits a sent message given its id
// (Message.EditID), and whether that is known yet (a platform still
// connecting, StartingPlatform, does not know). A platform may say so
// (CanEdit); otherwise those that show buttons do, as they redraw messages
// in place (pages, toggles), and those that show plain text (Zalo, the
// console) do not.
func canEdit(p Platform) (can, known bool) {
	if s, ok := p.(interface{ Platform() Platform }); ok {
		if p = s.Platform(); p == nil {
			return false, false
		}
	}
	if e, ok := p.(interface{ CanEdit() bool }); ok {
		return e.CanEdit(), true
	}
	return p.Buttons(), true
}

// linksSources reports whether a sources line links each outlet to its
// article on the platform: where HTML shows (the platforms that edit);
// plain text would spell every address out.
func (d *Dispatcher) linksSources(platform string) bool {
	p, ok := d.opts.Platforms[platform]
	if !ok {
		return false
	}
	can, _ := canEdit(p)
	return can
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
		next := d.opts.Now().Add(10 * time.Minute)
		d.record(ctx, outcome{what: "reschedule delivery", write: func(ctx context.Context) error {
			return store.PostponeChat(ctx, chat.ChatRef, next)
		}})
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, d.opts.SendTimeout)
	sendStart := time.Now()
	messageID, err := p.Send(sendCtx, msg)
	cancel()
	d.observe(chat.Platform, len(dels), time.Since(sendStart), err)
	// The gap counts from when the platform had the message.
	d.mu.Lock()
	d.nextChat[chat.ChatRef] = later(d.nextChat[chat.ChatRef], time.Now().Add(d.interval(chat)))
	d.mu.Unlock()
	var retry *RetryAfterError
	var migrated *MigratedError
	var perm *PermanentError
	switch {
	case err == nil:
		at := d.opts.Now()
		d.record(ctx, outcome{what: "mark sent", sent: ids, write: func(ctx context.Context) error {
			return store.MarkSentMessage(ctx, ids, at, messageID)
		}})
	case errors.As(err, &retry):
		wait := time.Until(d.rateLimited(chat.ChatRef, retry))
		next := d.opts.Now().Add(wait)
		log.Warn("bot: rate limited", "retry_after", retry.After)
		// A 429 is the platform pacing us, not the message failing: it does
		// not use up an attempt.
		reason := err.Error()
		for _, id := range ids {
			d.record(ctx, outcome{what: "postpone delivery", write: func(ctx context.Context) error {
				return store.Postpone(ctx, id, next, reason)
			}})
		}
	case errors.Is(err, ErrChatGone):
		reason := err.Error()
		d.record(ctx, outcome{what: "deactivate chat", write: func(ctx context.Context) error {
			n, err := store.DeactivateChat(ctx, chat.ChatRef, reason)
			if err == nil {
				log.Info("bot: chat gone; deactivated", "dropped", n, "reason", reason)
			}
			return err
		}})
	case errors.As(err, &migrated):
		log.Info("bot: chat migrated", "to", migrated.NewID)
		d.record(ctx, outcome{what: "migrate chat", write: func(ctx context.Context) error {
			return store.MigrateChat(ctx, chat.ChatRef, migrated.NewID)
		}})
	case errors.As(err, &perm):
		for _, del := range dels {
			d.record(ctx, d.refused(del, err))
		}
	default:
		for _, del := range dels {
			d.record(ctx, d.transientFailure(del, err))
		}
	}
}

// refused is the outcome of a send the platform refused (a bad request):
// it uses an attempt, and fails the delivery when attempts run out.
func (d *Dispatcher) refused(del storage.Delivery, sendErr error) outcome {
	store, reason := d.opts.Store, sendErr.Error()
	if del.Attempts+1 >= d.opts.MaxAttempts {
		d.opts.Log.Warn("bot: delivery failed", "delivery", del.ID, "attempts", del.Attempts+1, "err", sendErr)
		return outcome{what: "mark failed", write: func(ctx context.Context) error {
			return store.MarkFailed(ctx, del.ID, reason)
		}}
	}
	wait := backoff(d.opts.RetryBase, del.Attempts)
	next := d.opts.Now().Add(wait)
	d.opts.Log.Warn("bot: send refused; will retry", "delivery", del.ID, "attempts", del.Attempts+1, "in", wait, "err", sendErr)
	return outcome{what: "reschedule delivery", write: func(ctx context.Context) error {
		return store.MarkRetry(ctx, del.ID, next, reason)
	}}
}

// transientFailure is the outcome of a send that failed for a reason not
// the message's: the platform down (5xx), a timeout, a lost connection, or
// any other error an adapter did not call a refusal. It uses no attempt:
// the delivery waits, backing off up to maxTransientWait, until the outage
// ends or the delivery is older than MaxAge.
func (d *Dispatcher) transientFailure(del storage.Delivery, sendErr error) outcome {
	store, now := d.opts.Store, d.opts.Now()
	if age := now.Sub(del.Created); age >= d.opts.MaxAge {
		reason := fmt.Sprintf("expired: not sent within %s of being queued; last error: %v", d.opts.MaxAge, sendErr)
		d.opts.Log.Warn("bot: delivery expired", "delivery", del.ID, "age", age.Round(time.Second), "failures", del.TransientFailures+1, "err", sendErr)
		return outcome{what: "mark expired", write: func(ctx context.Context) error {
			return store.MarkExpired(ctx, del.ID, reason)
		}}
	}
	wait := transientBackoff(d.opts.RetryBase, del.TransientFailures)
	next, reason := now.Add(wait), sendErr.Error()
	d.opts.Log.Warn("bot: send failed; will retry", "delivery", del.ID, "failures", del.TransientFailures+1, "in", wait, "err", sendErr)
	return outcome{what: "reschedule delivery", write: func(ctx context.Context) error {
		return store.MarkTransient(ctx, del.ID, next, reason)
	}}
}

// record writes an outcome. When the database refuses it (a full disk), or
// it says a message went out, it is held in memory to be written again
// (recordHeld) and nothing new is sent until it is; any other error is the
// outcome's own, logged, and the delivery is tried again when due.
func (d *Dispatcher) record(ctx context.Context, o outcome) {
	err := o.write(ctx)
	if err == nil {
		return
	}
	unwritable := storage.IsUnwritable(err)
	if len(o.sent) == 0 && !unwritable {
		d.opts.Log.Error("bot: record delivery outcome", "what", o.what, "err", err)
		return
	}
	d.opts.Log.Error("bot: cannot record delivery outcome; holding it and pausing sends", "what", o.what, "deliveries", o.sent, "err", err)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unrecorded = append(d.unrecorded, o)
	for _, id := range o.sent {
		d.sentHeld[id] = true
	}
	if unwritable && d.outage == nil {
		d.outage = err
	}
	if d.recordAt.IsZero() {
		d.recordWait = d.opts.RecordRetry
		d.recordAt = time.Now().Add(d.recordWait)
	}
}

// holding reports whether outcomes wait to be written, or the delivery id
// went out and is not yet recorded as sent.
func (d *Dispatcher) holding(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.unrecorded) > 0 || d.sentHeld[id]
}

// recordHeld writes the outcomes the database refused, in order, when
// their time has come (or now, with force). It returns true when none is
// left, and otherwise how long to wait before trying again. It runs only
// between batches of sends, so no worker adds to them meanwhile.
func (d *Dispatcher) recordHeld(ctx context.Context, force bool) (time.Duration, bool) {
	d.mu.Lock()
	held, at := d.unrecorded, d.recordAt
	d.mu.Unlock()
	if len(held) == 0 {
		return 0, true
	}
	if wait := time.Until(at); wait > 0 && !force {
		d.announce(ctx)
		return wait, false
	}
	left := held
	var err error
	for len(left) > 0 {
		o := left[0]
		// Kept when the disk still refuses, when it went out (it must not
		// go again), or when the dispatcher is stopping (lastRecord tries).
		if err = o.write(ctx); err != nil && (len(o.sent) > 0 || storage.IsUnwritable(err) || ctx.Err() != nil) {
			break
		}
		if err != nil {
			d.opts.Log.Error("bot: record delivery outcome", "what", o.what, "err", err)
		}
		left = left[1:]
	}
	d.mu.Lock()
	d.unrecorded = append([]outcome(nil), left...)
	if len(left) > 0 {
		d.recordWait = min(2*d.recordWait, maxRecordWait)
		d.recordAt = time.Now().Add(d.recordWait)
		if d.outage == nil && storage.IsUnwritable(err) {
			d.outage = err
		}
		wait := d.recordWait
		d.mu.Unlock()
		d.opts.Log.Warn("bot: outcomes still cannot be recorded; sending stays paused", "waiting", len(left), "retry_in", wait, "err", err)
		d.announce(ctx)
		return wait, false
	}
	clear(d.sentHeld)
	d.recordAt = time.Time{}
	told := d.announced
	d.outage, d.announced = nil, false
	d.mu.Unlock()
	d.opts.Log.Info("bot: held outcomes recorded; sending resumes", "recorded", len(held))
	if told {
		d.tellAdmins(ctx, "db_writable")
	}
	return 0, true
}

// lastRecord tries once more, at shutdown, to write held outcomes, and
// names the deliveries that may go out again on the next start.
func (d *Dispatcher) lastRecord() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, ok := d.recordHeld(ctx, true); ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []int64
	for _, o := range d.unrecorded {
		ids = append(ids, o.sent...)
	}
	d.opts.Log.Error("bot: stopping with outcomes the database refused; these sent deliveries may be sent again",
		"outcomes", len(d.unrecorded), "sent", ids)
}

// announce tells the admins, once per outage, that the database refuses
// writes and sending has stopped.
func (d *Dispatcher) announce(ctx context.Context) {
	d.mu.Lock()
	cause := d.outage
	if cause == nil || d.announced {
		d.mu.Unlock()
		return
	}
	d.announced = true
	d.mu.Unlock()
	// The store's own account names SQLite's reason without our wrapping.
	if health, _ := d.opts.Store.WriteHealth(); health != nil {
		cause = health
	}
	d.tellAdmins(ctx, "db_unwritable", Escape(truncate(cause.Error(), 300)))
}

// tellAdmins sends a text to every admin through its platform directly, in
// the admin's language when the store knows it: the outbox may be the
// thing that cannot be written.
func (d *Dispatcher) tellAdmins(ctx context.Context, key string, args ...any) {
	for _, ref := range d.opts.Admins {
		p, ok := d.opts.Platforms[ref.Platform]
		if !ok {
			continue
		}
		lg := "vi"
		if c, err := d.opts.Store.Chat(ctx, ref); err == nil {
			lg = lang(c.Lang)
		}
		sendCtx, cancel := context.WithTimeout(ctx, d.opts.SendTimeout)
		_, err := p.Send(sendCtx, Message{Chat: ref, HTML: tr(lg, key, args...)})
		cancel()
		if err != nil {
			d.opts.Log.Warn("bot: tell admin", "admin", ref.String(), "what", key, "err", err)
		}
	}
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

// transientBackoff is exponential from base, capped at maxTransientWait,
// less up to 25 % jitter so that the retries of many deliveries waiting out
// one outage do not land together.
func transientBackoff(base time.Duration, failures int) time.Duration {
	d := min(base<<min(failures, 20), maxTransientWait)
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// backoff is exponential from base, capped at 10 minutes, with ±25 % jitter
// so that many retries do not land together.
func backoff(base time.Duration, attempts int) time.Duration {
	d := base << min(attempts, 9)
	d = min(d, 10*time.Minute)
	jitter := time.Duration(rand.Int64N(int64(d)/2)) - d/4
	return d + jitter
}
