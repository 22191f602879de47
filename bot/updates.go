package bot

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// Defaults of UpdatesOptions.
const (
	DefaultWorkers   = 8
	DefaultTimeout   = 10 * time.Second
	DefaultPerMinute = 20
	// DefaultReplyRate is how many replies a second one platform gets,
	// beside the dispatcher's alerts.
	DefaultReplyRate = 20
)

const (
	defaultQueue = 64 // updates waiting per worker
	replyBurst   = 5  // replies a platform may get at once after a pause
	// replyTimeout bounds a reply sent outside a handler's deadline (the
	// rate-limit notice, the "took too long" answer).
	replyTimeout = 5 * time.Second
	// recordTimeout bounds writing an update to the inbox or marking it
	// handled; it is not cut short by shutdown, so that what the platform
	// handed over is kept.
	recordTimeout = 5 * time.Second
	// maxLimitedUsers bounds the users the command budget remembers.
	maxLimitedUsers = 10000
	replayBatch     = 100
)

// UpdatesOptions configures Updates. Zero values take the defaults, except
// PerMinute, where 0 turns the command budget off.
type UpdatesOptions struct {
	// Store keeps the inbox. Without one, updates are handled from memory
	// only and a crash loses those not handled yet.
	Store     *storage.Store
	Workers   int           // updates handled at once; DefaultWorkers
	QueueSize int           // updates waiting per worker before the platform waits; 64
	Timeout   time.Duration // a handler's deadline; DefaultTimeout
	PerMinute int           // commands one user may send in a minute; 0: no limit
	// ReplyRate paces the replies to one platform (all chats together);
	// DefaultReplyRate. ReplyRates sets a platform's own (zalo: 10).
	ReplyRate  float64
	ReplyRates map[string]float64
	// Pace, when set, gives each reply its turn in the platform's rate
	// instead (the dispatcher's Turn), so that replies and alerts together
	// stay within it. It returns false when ctx ended first.
	Pace func(ctx context.Context, platform string) bool
	Log  *slog.Logger
	Now  func() time.Time // the command budget's clock; time.Now
}

// Updates takes the updates of every platform and has the Bot answer them:
// each update is first written to the inbox (so that the platform may be
// told it arrived, and a crash does not lose it), then handled by a bounded
// pool of workers, a chat's updates always by the same worker and so in
// order, each under a deadline. A user past the command budget is told once
// and the rest dropped; replies are paced per platform.
type Updates struct {
	bot    *Bot
	opts   UpdatesOptions
	log    *slog.Logger
	shards []chan job
	users  *userLimiter

	mu     sync.Mutex
	pacers map[string]*pacer
}

// job is one update for a worker.
type job struct {
	p        Platform
	u        Update
	recorded bool          // in the inbox: mark it handled afterwards
	notice   bool          // tell the user to slow down instead of handling u
	done     chan struct{} // when set, closed once u was handled
	fl       *inflight     // counts u in flight, when set
}

// NewUpdates returns the pool for b; start its workers with Run and each
// platform with Serve.
func NewUpdates(b *Bot, opts UpdatesOptions) *Updates {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = defaultQueue
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ReplyRate <= 0 {
		opts.ReplyRate = DefaultReplyRate
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	q := &Updates{bot: b, opts: opts, log: opts.Log, pacers: map[string]*pacer{}}
	if q.log == nil {
		q.log = b.log
	}
	q.shards = make([]chan job, opts.Workers)
	for i := range q.shards {
		q.shards[i] = make(chan job, opts.QueueSize)
	}
	if opts.PerMinute > 0 {
		q.users = newUserLimiter(opts.PerMinute, time.Minute, maxLimitedUsers)
	}
	return q
}

// Run runs the workers until ctx is done and the updates in hand are over.
// Updates still queued then stay in the inbox for the next start.
func (q *Updates) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, shard := range q.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-shard:
					q.do(ctx, j)
				}
			}
		}()
	}
	wg.Wait()
}

// Serve hands the updates p's inbox holds from before (not handled when
// the bot last stopped) to the workers, then runs p until ctx is done,
// taking each update it receives. When p's Run returns on its own (the
// console's input ended), Serve first waits for what p handed over to be
// answered. Run must be running.
func (q *Updates) Serve(ctx context.Context, p Platform) error {
	fl := &inflight{idle: make(chan struct{}, 1)}
	q.replay(ctx, p, fl)
	err := p.Run(ctx, func(ctx context.Context, u Update) { q.accept(ctx, p, u, fl) })
	if err == nil {
		fl.wait(ctx)
	}
	return err
}

// inflight counts a platform's updates handed to the workers and not yet
// answered.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // signalled when n drops to zero
}

func (f *inflight) add() {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
}

func (f *inflight) done() {
	f.mu.Lock()
	f.n--
	zero := f.n == 0
	f.mu.Unlock()
	if zero {
		select {
		case f.idle <- struct{}{}:
		default:
		}
	}
}

// wait returns when nothing is in flight or ctx is done.
func (f *inflight) wait(ctx context.Context) {
	for {
		f.mu.Lock()
		n := f.n
		f.mu.Unlock()
		if n <= 0 {
			return
		}
		select {
		case <-f.idle:
		case <-ctx.Done():
			return
		}
	}
}

// accept is the handle function platforms call. It returns once u is
// written to the inbox and queued for a worker, so the platform may then
// confirm it. A replay of a recorded update is dropped. When the inbox
// cannot be written (a full disk) u is still answered, and accept returns
// only after it was, so that the platform confirms nothing unanswered.
func (q *Updates) accept(ctx context.Context, p Platform, u Update, fl *inflight) {
	store, durable := q.opts.Store, q.opts.Store != nil && u.ID != ""
	rec := storage.InboxUpdate{Platform: p.Name(), ID: u.ID, Received: u.Received}
	if durable {
		// What the platform handed over is looked up and kept even while
		// the bot stops.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		has, err := store.InboxHas(lctx, rec.Platform, rec.ID)
		cancel()
		if err != nil {
			q.log.Warn("bot: unable to look up an update in the inbox", "platform", rec.Platform, "update", rec.ID, "err", err)
		}
		if has {
			q.log.Debug("bot: update received again; dropped", "platform", rec.Platform, "update", rec.ID)
			return
		}
	}
	j := job{p: p, u: u, fl: fl}
	// The console is the one person at the machine (and scripts piping
	// commands in): no budget there.
	if counted(u) && p.Name() != "console" {
		ok, notice := q.users.allow(p.Name()+":"+userKey(u), q.opts.Now())
		if !ok {
			q.log.Info("bot: command budget spent; update dropped", "platform", rec.Platform, "user", u.UserID, "notice", notice)
			if durable { // kept only so that a replay is dropped too
				q.record(ctx, rec, u, true)
			}
			if notice {
				j.notice, j.fl = true, nil
				q.submit(ctx, j)
			}
			return
		}
	}
	if durable {
		fresh, err := q.record(ctx, rec, u, false)
		switch {
		case err != nil:
			q.log.Warn("bot: unable to write an update to the inbox; answering it from memory", "platform", rec.Platform, "update", rec.ID, "err", err)
			j.done = make(chan struct{})
		case !fresh:
			return
		default:
			j.recorded = true
		}
	}
	fl.add()
	if !q.submit(ctx, j) {
		fl.done()
		return // recorded ones are handled at the next start
	}
	if j.done != nil {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
	}
}

// record writes u to the inbox, within recordTimeout even while the bot stops.
func (q *Updates) record(ctx context.Context, rec storage.InboxUpdate, u Update, handled bool) (bool, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return false, err
	}
	rec.Body = body
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return q.opts.Store.RecordUpdate(ctx, rec, handled)
}

// counted reports whether u spends the user's command budget: commands,
// button presses and anything in a private chat (which gets an answer);
// not talk in a group, which the bot does not answer.
func counted(u Update) bool {
	return u.Callback != nil || strings.HasPrefix(strings.TrimSpace(u.Text), "/") || !isGroup(u.Chat)
}

// userKey is who spends the budget: the user, or the chat when the
// platform names no user.
func userKey(u Update) string {
	if u.UserID != "" {
		return u.UserID
	}
	return "chat:" + u.Chat.ID
}

// shardOf picks the worker of a chat, so that its updates stay in order.
func shardOf(chat storage.ChatRef, n int) int {
	h := fnv.New32a()
	h.Write([]byte(chat.String()))
	return int(h.Sum32() % uint32(n))
}

// submit queues j for its chat's worker, waiting while that worker's queue
// is full (the platform then waits too); false when ctx ended first.
func (q *Updates) submit(ctx context.Context, j job) bool {
	select {
	case q.shards[shardOf(j.u.Chat.ChatRef, len(q.shards))] <- j:
		return true
	case <-ctx.Done():
		return false
	}
}

// replay queues p's updates recorded but not handled before this start.
func (q *Updates) replay(ctx context.Context, p Platform, fl *inflight) {
	if q.opts.Store == nil {
		return
	}
	var after int64
	n := 0
	for {
		rows, err := q.opts.Store.PendingUpdates(ctx, p.Name(), after, replayBatch)
		if err != nil {
			q.log.Error("bot: unable to read the inbox; updates left from before wait for the next start", "platform", p.Name(), "err", err)
			return
		}
		if len(rows) == 0 {
			break
		}
		for _, row := range rows {
			after = row.Seq
			var u Update
			if err := json.Unmarshal(row.Body, &u); err != nil {
				q.log.Error("bot: unreadable update in the inbox; skipped", "platform", p.Name(), "update", row.ID, "err", err)
				q.markHandled(ctx, p.Name(), row.ID)
				continue
			}
			fl.add()
			if !q.submit(ctx, job{p: p, u: u, recorded: true, fl: fl}) {
				fl.done()
				return
			}
			n++
		}
	}
	if n > 0 {
		q.log.Info("bot: handling updates received before the restart", "platform", p.Name(), "updates", n)
	}
}

// do handles one job under the deadline. A handler still running at the
// deadline gets its person a "took too long" reply; the worker waits for it
// a while longer (it should stop, its context having ended), then goes on
// without it rather than hold the other chats.
func (q *Updates) do(ctx context.Context, j job) {
	if j.notice {
		q.reply(ctx, j, "rate_limited")
		return
	}
	var once sync.Once
	pend := newPending(func() { once.Do(func() { q.finish(ctx, j) }) })
	hctx, cancel := context.WithTimeout(withRunContext(ctx), q.opts.Timeout)
	defer cancel()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		q.bot.handle(hctx, j.p, j.u, handling{send: func(ctx context.Context, m Message) (string, error) { return q.send(ctx, j.p, m) }, pending: pend})
	}()
	select {
	case <-finished:
	case <-hctx.Done():
		select {
		case <-finished:
		default:
			if ctx.Err() == nil {
				q.log.Warn("bot: handler passed its deadline", "chat", j.u.Chat.ChatRef.String(), "text", truncate(j.u.Text, 40), "timeout", q.opts.Timeout)
				q.reply(ctx, j, "timed_out")
			}
			grace := time.NewTimer(q.opts.Timeout)
			select {
			case <-finished:
			case <-grace.C:
				q.log.Error("bot: handler ignores its deadline; going on without it", "chat", j.u.Chat.ChatRef.String(), "text", truncate(j.u.Text, 40))
			}
			grace.Stop()
		}
	}
	pend.release()
}

// finish marks a job's update handled, unless the bot is stopping (it may
// have been cut short: the next start handles it again).
func (q *Updates) finish(ctx context.Context, j job) {
	if j.recorded && ctx.Err() == nil {
		q.markHandled(ctx, j.p.Name(), j.u.ID)
	}
	if j.done != nil {
		close(j.done)
	}
	if j.fl != nil {
		j.fl.done()
	}
}

func (q *Updates) markHandled(ctx context.Context, platform, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := q.opts.Store.MarkUpdateHandled(ctx, platform, id); err != nil {
		q.log.Warn("bot: unable to mark an update handled; a restart answers it again", "platform", platform, "update", id, "err", err)
	}
}

// reply sends the text under key to the job's chat, outside any handler.
func (q *Updates) reply(ctx context.Context, j job, key string) {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	msg := Message{Chat: j.u.Chat.ChatRef, HTML: tr(lang(j.u.Lang), key)}
	if _, err := q.send(ctx, j.p, msg); err != nil {
		q.log.Warn("bot: reply failed", "chat", j.u.Chat.ChatRef.String(), "err", err)
	}
}

// send delivers a reply at the platform's pace. Told to wait (429), it
// waits as asked and tries once more, if the handler's deadline allows.
func (q *Updates) send(ctx context.Context, p Platform, msg Message) (string, error) {
	if err := q.pace(ctx, p.Name()); err != nil {
		return "", err
	}
	id, err := p.Send(ctx, msg)
	var ra *RetryAfterError
	if !errors.As(err, &ra) {
		return id, err
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < ra.After {
		return "", err
	}
	q.log.Info("bot: reply rate limited; waiting", "platform", p.Name(), "chat", msg.Chat.String(), "after", ra.After)
	if !Sleep(ctx, ra.After) {
		return "", err
	}
	if err := q.pace(ctx, p.Name()); err != nil {
		return "", err
	}
	return p.Send(ctx, msg)
}

// pace waits for the platform's next reply slot.
func (q *Updates) pace(ctx context.Context, platform string) error {
	if q.opts.Pace != nil {
		if !q.opts.Pace(ctx, platform) {
			return ctx.Err()
		}
		return nil
	}
	q.mu.Lock()
	pc := q.pacers[platform]
	if pc == nil {
		rate := q.opts.ReplyRate
		if r := q.opts.ReplyRates[platform]; r > 0 {
			rate = r
		}
		pc = &pacer{rate: rate, burst: replyBurst}
		q.pacers[platform] = pc
	}
	at := pc.reserve(time.Now())
	q.mu.Unlock()
	if d := time.Until(at); d > 0 && !Sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}

// pacer is a token bucket: rate tokens a second, at most burst saved; a
// reservation past the empty bucket books a later time.
type pacer struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func (p *pacer) reserve(now time.Time) time.Time {
	if p.last.IsZero() {
		p.tokens = p.burst
	} else if now.After(p.last) {
		p.tokens = min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.rate)
	}
	if now.After(p.last) {
		p.last = now
	}
	p.tokens--
	if p.tokens >= 0 {
		return now
	}
	return now.Add(time.Duration(-p.tokens / p.rate * float64(time.Second)))
}

// Sleep waits d, or less when ctx ends first; it reports whether the whole
// wait passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
