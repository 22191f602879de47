package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
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
	// Workers is how many sends may be in flight, or accepted by the
	// platform and not yet recorded, at once; default 4. A crash repeats
	// at most this many sends.
	Workers int
	// PollInterval is the longest the dispatcher sleeps when idle; default
	// 1 minute. It looks sooner when Wake is called and when the next
	// delivery falls due: this is a safety net for a writer that queued
	// deliveries without calling Wake.
	PollInterval time.Duration
	SendTimeout  time.Duration    // longest wait for one send; default 5s
	RetryBase    time.Duration    // first retry delay after a failure, doubling; default 2s
	Now          func() time.Time // the outbox's clock: due times, digests, quiet hours, max age; default time.Now
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
// accepted it, so a crash repeats at most the sends in flight or accepted
// and not yet recorded: Workers of them.
//
// One goroutine (Run) paces: it reads the due chats' oldest deliveries,
// sleeps until the platform's rate permits the next send, and hands each
// send to a goroutine of its own without waiting for the others. The
// "sent" marks of sends that finish close together are written in one
// transaction (marks). When nothing is due it sleeps until the next
// delivery falls due or Wake.
//
// When the database refuses to record an outcome (a full disk), the outcome
// is held in memory and written again with backoff; meanwhile nothing new
// is sent, so a message known to have gone out is never sent again, and the
// admins are told once.
type Dispatcher struct {
	opts    DispatcherOptions
	wake    chan struct{}
	freed   chan struct{}  // a chat's send ended, its outcome written
	slots   chan struct{}  // a token per send in flight or awaiting its mark
	workers sync.WaitGroup // the sends' goroutines
	marks   markQueue
	looks   atomic.Int64 // reads of the outbox, for tests of idleness
	pacing  atomic.Int32 // slots the pacer holds while it waits for the rate

	mu       sync.Mutex
	busy     map[storage.ChatRef]slot      // chats whose send has not ended
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
	// mark, when set, is first written with the marks of other sends in
	// one transaction (markQueue); write is how it is written again.
	mark *storage.SentMark
}

// limiter paces one platform's sends.
type limiter struct {
	rate  float64
	burst int       // sends let go together
	next  time.Time // earliest next group
	group time.Time // when the group being let go opened
	used  int       // sends let go in that group
	// When the last rate sends reached the platform at the latest, a ring:
	// a send's start plus arrivalBound until its answer tells better.
	recent   []time.Time
	gens     []uint64 // which send each entry is, for arrived
	recentAt int      // the ring's oldest entry
	gen      uint64   // sends let go so far
	// The shortest round trip seen in this period and the last (see
	// arrived), when this period began and how many answers it has seen.
	minTrip, lastMinTrip time.Duration
	tripSince            time.Time
	trips                int

	last429  time.Time       // when some chat last got a 429
	last429c storage.ChatRef // and which
}

// slot names one send the limiter let go, for arrived.
type slot struct {
	l     *limiter
	at    int
	gen   uint64
	start time.Time
}

func newLimiter(rate float64) *limiter {
	// The one-second window is kept for rates a chat platform has; above
	// that, even spacing alone is precise enough.
	window := 0
	if rate <= 1000 {
		window = max(int(rate), 1)
	}
	return &limiter{rate: rate, burst: max(1, int(rate*pacerTick.Seconds())),
		recent: make([]time.Time, window), gens: make([]uint64, window)}
}

// pacerTick is how often, at most, the pacer wakes while sending at its
// rate: it lets go at once the sends of a tick (3 at 30/s) instead of one
// every 1/rate. Each wake-up of an idle process, and of the goroutines a
// send runs through, costs more CPU than the send itself; sends that go
// together share them, and their marks share a commit. The one-second
// window stays exact.
const pacerTick = 100 * time.Millisecond

// arrivalBound is how long after its start a send is taken to have reached
// the platform while its answer has not come: a lost answer must not hold
// the rate up.
//
// The platform counts sends as they arrive, and the way there has jitter
// (goroutines to run, a busy machine, the network): sends let go exactly
// rate a second may arrive rate+1 within one. A fixed margin either costs
// rate (50ms cost 5 %) or lets a busy machine's jitter through. So the
// window counts from when each send arrived at the latest, as its answer
// tells (arrived).
const arrivalBound = 50 * time.Millisecond

// tripMargin is how much of the shortest round trip arrived does not take
// off: two sends' ways there and back differ by a little even at their
// fastest.
const tripMargin = 2 * time.Millisecond

// tripPeriod is how long the shortest round trip is remembered: long
// enough to see a quiet moment, short enough to follow a route that
// changed. It counts once minTrips answers have shown it: the first few
// may all have been slow one way and fast the other.
const (
	tripPeriod = time.Minute
	minTrips   = 32
)

// take lets a send go now if the rate permits, and otherwise returns how
// long to wait before asking again. Sends go in groups of burst, spaced
// burst/rate apart, and a send goes only a second after the send rate
// before it arrived (see arrivalBound), so no more than rate arrive in any
// second, bursts after a pause included. The caller holds the
// dispatcher's lock.
func (l *limiter) take(now time.Time) (time.Duration, slot) {
	at := l.next
	if len(l.recent) > 0 {
		if oldest := l.recent[l.recentAt]; !oldest.IsZero() {
			at = later(at, oldest.Add(time.Second))
		}
	}
	if at.After(now) {
		return at.Sub(now), slot{}
	}
	l.gen++
	s := slot{l: l, at: l.recentAt, gen: l.gen, start: now}
	if len(l.recent) > 0 {
		l.recent[l.recentAt] = now.Add(arrivalBound)
		l.gens[l.recentAt] = l.gen
		l.recentAt = (l.recentAt + 1) % len(l.recent)
	}
	if l.used == 0 {
		// Keep to the schedule when a group opens a little late, so that
		// the spacing does not shed rate; after a pause, start afresh.
		l.group = l.next
		if now.Sub(l.group) > pacerTick {
			l.group = now
		}
	}
	if l.used++; l.used >= l.burst {
		l.next = l.group.Add(time.Duration(float64(l.burst) * float64(time.Second) / l.rate))
		l.used = 0
	}
	return 0, s
}

// arrived records that the platform answered the send s at now: it had
// the send by then. What matters is how much later the send that comes
// rate sends after it arrives: its way there and this answer's way back
// together take at least the shortest round trip seen, less tripMargin, so
// that much is taken off. On a fast link the window then counts from about
// the start; on a slow one (Telegram far away) the round trip is not
// counted against the rate; on a busy machine the delay is. The caller
// holds the dispatcher's lock.
func (s slot) arrived(now time.Time) {
	l := s.l
	if l == nil {
		return
	}
	trip := now.Sub(s.start)
	if now.Sub(l.tripSince) > tripPeriod {
		l.lastMinTrip = 0
		if l.trips >= minTrips {
			l.lastMinTrip = l.minTrip
		}
		l.minTrip, l.trips, l.tripSince = 0, 0, now
	}
	if l.trips++; l.trips == 1 || trip < l.minTrip {
		l.minTrip = trip
	}
	if len(l.recent) == 0 || l.gens[s.at] != s.gen {
		return
	}
	var shortest time.Duration
	switch {
	case l.lastMinTrip > 0 && l.trips >= minTrips:
		shortest = min(l.minTrip, l.lastMinTrip)
	case l.lastMinTrip > 0:
		shortest = l.lastMinTrip
	case l.trips >= minTrips:
		shortest = l.minTrip
	}
	l.recent[s.at] = later(s.start, now.Add(min(tripMargin-shortest, 0)))
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
		opts.PollInterval = time.Minute
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
	d := &Dispatcher{opts: opts, wake: make(chan struct{}, 1), freed: make(chan struct{}, 1),
		slots: make(chan struct{}, opts.Workers), busy: map[storage.ChatRef]slot{},
		nextChat: map[storage.ChatRef]time.Time{}, limits: map[string]*limiter{}, sentHeld: map[int64]bool{}}
	d.marks.kick = make(chan struct{}, 1)
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

// Run sends deliveries until ctx is done, then returns nil after the sends
// in flight have finished and their outcomes are written, and a last try
// to record outcomes the database refused.
func (d *Dispatcher) Run(ctx context.Context) error {
	stopMarks := make(chan struct{})
	marksDone := make(chan struct{})
	go func() { d.writeMarks(stopMarks); close(marksDone) }()
	var queue []storage.Delivery
	for ctx.Err() == nil {
		if d.heldOutcomes() {
			queue = nil
			if wait, ok := d.settle(ctx); !ok {
				d.sleep(ctx, wait, false)
				continue
			}
		}
		if len(queue) == 0 {
			var wait time.Duration
			var busy bool
			queue, wait, busy = d.due(ctx)
			if len(queue) == 0 {
				d.sleep(ctx, wait, busy)
				continue
			}
		}
		del := queue[0]
		queue = queue[1:]
		if !d.start(ctx, del) {
			queue = nil
		}
	}
	// The marks of the last sends are written at once, not after a delay.
	d.marks.finish()
	d.workers.Wait()
	close(stopMarks)
	<-marksDone
	d.lastRecord()
	return nil
}

// dueBatch is how many chats' oldest deliveries one read of the outbox takes.
const dueBatch = 200

// due reads the outbox: the chats' oldest due deliveries that may go now,
// in the order they fell due. When none may, it returns how long until one
// may (at most PollInterval), and whether a chat with a send not yet ended
// was passed over (it may go when that send ends).
func (d *Dispatcher) due(ctx context.Context) ([]storage.Delivery, time.Duration, bool) {
	// Chats whose send has not ended are passed over: the row read would be
	// the one being sent. Asked before reading, so that a send ending
	// meanwhile does not let its row be read as still pending.
	d.mu.Lock()
	busy := maps.Clone(d.busy)
	d.mu.Unlock()
	d.looks.Add(1)
	now := d.opts.Now()
	due, err := d.opts.Store.DueDeliveries(ctx, now, dueBatch)
	if err != nil {
		if ctx.Err() == nil {
			d.opts.Log.Error("bot: read outbox", "err", err)
		}
		return nil, min(time.Second, d.opts.PollInterval), false
	}
	soonest, passed := d.opts.PollInterval, false
	ready := due[:0]
	for _, del := range due {
		_, isBusy := busy[del.Chat.ChatRef]
		switch wait := d.chatWait(del.Chat); {
		case isBusy:
			passed = true
		case wait > 0:
			soonest = min(soonest, wait)
		default:
			ready = append(ready, del)
		}
	}
	if len(due) == 0 {
		// Nothing is due: sleep until the earliest chat's next attempt.
		at, ok, err := d.opts.Store.NextDue(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				d.opts.Log.Error("bot: read outbox", "err", err)
			}
			soonest = min(time.Second, d.opts.PollInterval)
		case ok:
			soonest = min(soonest, max(at.Sub(d.opts.Now()), time.Millisecond))
		}
	}
	return ready, soonest, passed
}

// sleep waits for wait, a Wake, ctx, or with onFreed a send ending. A
// send not ending soon on its own (its mark waits for company) is hurried.
func (d *Dispatcher) sleep(ctx context.Context, wait time.Duration, onFreed bool) {
	var freed chan struct{}
	if onFreed {
		freed = d.freed
		d.marks.hurry()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-d.wake:
	case <-freed:
	case <-t.C:
	}
}

// start sends one delivery when a worker slot is free and the platform's
// rate permits, without waiting for the send. It returns false when the
// rows read before may no longer be sent (outcomes wait to be written, or
// ctx ended).
func (d *Dispatcher) start(ctx context.Context, del storage.Delivery) bool {
	select {
	case d.slots <- struct{}{}:
	default:
		// Every slot is taken: marks waiting for company are written now.
		d.marks.hurry()
		select {
		case d.slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
	}
	// Asked once a slot is free: the send before may just have failed to
	// record.
	if d.holding(del.ID) {
		<-d.slots
		return false
	}
	d.pacing.Add(1)
	s, ok := d.waitPlatform(ctx, del.Chat.Platform)
	d.pacing.Add(-1)
	if !ok {
		<-d.slots
		return false
	}
	chat := del.Chat.ChatRef
	d.mu.Lock()
	d.busy[chat] = s
	d.mu.Unlock()
	d.workers.Add(1)
	go func() {
		defer func() {
			d.mu.Lock()
			delete(d.busy, chat)
			d.mu.Unlock()
			<-d.slots
			d.workers.Done()
			select {
			case d.freed <- struct{}{}:
			default:
			}
		}()
		d.handle(ctx, del)
	}()
	return true
}

// settle waits for the sends in flight to end and writes the outcomes the
// database refused, in order, when their time has come: no worker adds to
// them meanwhile. It returns recordHeld's answer.
func (d *Dispatcher) settle(ctx context.Context) (time.Duration, bool) {
	d.marks.hurry()
	d.workers.Wait()
	return d.recordHeld(ctx, false)
}

// heldOutcomes reports whether outcomes wait to be written.
func (d *Dispatcher) heldOutcomes() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.unrecorded) > 0
}

// markDelay is the longest a "sent" mark waits for others to share its
// transaction: a commit costs about as much as the marks in it. The send's
// worker slot stays taken meanwhile, so the sends accepted and not recorded
// never exceed Workers; when the pacer needs a slot, the marks go at once.
const markDelay = 100 * time.Millisecond

// markQueue gathers the "sent" marks of sends to write several in one
// transaction; each sender waits until its own is written (or refused).
type markQueue struct {
	mu      sync.Mutex
	marks   []storage.SentMark
	waiters []chan error
	first   time.Time     // when the oldest waiting mark came
	urgent  bool          // write as soon as a mark waits
	closing bool          // Run is stopping: every mark goes at once
	kick    chan struct{} // something changed
	// Transactions written and the marks in them, for tests.
	commits, written atomic.Int64
}

// mark writes m with the marks of other sends and returns the error of
// their transaction.
func (d *Dispatcher) mark(m storage.SentMark) error {
	q := &d.marks
	done := make(chan error, 1)
	q.mu.Lock()
	if len(q.marks) == 0 {
		q.first = time.Now()
	}
	q.marks = append(q.marks, m)
	q.waiters = append(q.waiters, done)
	q.mu.Unlock()
	q.poke()
	return <-done
}

// hurry has the waiting marks written now, or the next one as soon as it comes.
func (q *markQueue) hurry() {
	q.mu.Lock()
	q.urgent = true
	q.mu.Unlock()
	q.poke()
}

// finish has every mark written as soon as it comes, from now on.
func (q *markQueue) finish() {
	q.mu.Lock()
	q.closing = true
	q.mu.Unlock()
	q.poke()
}

func (q *markQueue) poke() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// writeMarks writes the waiting marks in one transaction when every send
// started has ended (none left to join them), the oldest has waited
// markDelay, or they are hurried; it returns when stop is closed.
func (d *Dispatcher) writeMarks(stop <-chan struct{}) {
	q := &d.marks
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		q.mu.Lock()
		n := len(q.marks)
		waited := time.Since(q.first)
		var marks []storage.SentMark
		var waiters []chan error
		if n > 0 && (q.urgent || q.closing || n >= len(d.slots)-int(d.pacing.Load()) || waited >= markDelay) {
			marks, waiters = q.marks, q.waiters
			q.marks, q.waiters, q.urgent = nil, nil, false
		}
		q.mu.Unlock()
		if marks != nil {
			// Not the sender's context: a send accepted is recorded even
			// while the dispatcher stops.
			ctx, cancel := context.WithTimeout(context.Background(), d.opts.SendTimeout)
			err := d.opts.Store.MarkSentBatch(ctx, marks)
			cancel()
			q.commits.Add(1)
			q.written.Add(int64(len(marks)))
			for _, w := range waiters {
				w <- err
			}
			continue
		}
		if n > 0 {
			timer.Reset(markDelay - waited)
		}
		select {
		case <-q.kick:
		case <-timer.C:
		case <-stop:
			return
		}
		timer.Stop()
	}
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
	_, ok := d.waitPlatform(ctx, platform)
	return ok
}

// waitPlatform waits until the platform's rate lets one send go, and lets
// it go; false if ctx ended first. A platform without a limiter (not
// running) does not wait.
func (d *Dispatcher) waitPlatform(ctx context.Context, platform string) (slot, bool) {
	var t *time.Timer
	for {
		d.mu.Lock()
		var wait time.Duration
		var s slot
		if l, ok := d.limits[platform]; ok {
			wait, s = l.take(time.Now())
		}
		d.mu.Unlock()
		if wait <= 0 {
			if t != nil {
				t.Stop()
			}
			return s, ctx.Err() == nil
		}
		if t == nil {
			t = time.NewTimer(wait)
		} else {
			t.Reset(wait)
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return slot{}, false
		case <-t.C:
		}
	}
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
	store, log := d.opts.Store, lazyWith(d.opts.Log, slog.Int64("delivery", first.ID), slog.String("chat", chat.ChatRef.String()))
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
	d.busy[chat.ChatRef].arrived(time.Now())
	d.mu.Unlock()
	var retry *RetryAfterError
	var migrated *MigratedError
	var perm *PermanentError
	switch {
	case err == nil:
		at := d.opts.Now()
		d.record(ctx, outcome{what: "mark sent", sent: ids, mark: &storage.SentMark{IDs: ids, At: at, MessageID: messageID},
			write: func(ctx context.Context) error {
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

// lazyWith is log.With(attrs...) for a logger that usually logs nothing:
// With formats its attributes at once, which cost as much as a tenth of a
// paced send; these are added only to records that are logged.
func lazyWith(log *slog.Logger, attrs ...slog.Attr) *slog.Logger {
	return slog.New(lazyAttrs{Handler: log.Handler(), attrs: attrs})
}

type lazyAttrs struct {
	slog.Handler
	attrs []slog.Attr
}

func (h lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(h.attrs...)
	return h.Handler.Handle(ctx, r)
}

func (h lazyAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.Handler.WithAttrs(h.attrs).WithAttrs(attrs)
}

func (h lazyAttrs) WithGroup(name string) slog.Handler {
	return h.Handler.WithAttrs(h.attrs).WithGroup(name)
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
	var err error
	if o.mark != nil {
		err = d.mark(*o.mark)
	} else {
		err = o.write(ctx)
	}
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
// when no send is in flight (settle), so no worker adds to them meanwhile.
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
		l.used = 0 // a new group when sends resume
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
