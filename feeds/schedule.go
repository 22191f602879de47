package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/newsbot-vn/newsbot/storage"
)

// Defaults for SchedulerOptions fields left zero.
const (
	DefaultSchedule = "@every 10m"
	DefaultWorkers  = 4
	DefaultPerHost  = 2
)

// errNotRunning is returned by calls that need a started scheduler.
var errNotRunning = errors.New("feeds: scheduler is not running")

// SchedulerOptions configures a Scheduler; zero fields take the defaults.
type SchedulerOptions struct {
	DefaultSchedule string // cron spec for feeds without their own; DefaultSchedule if ""
	Workers         int    // polls running at once; DefaultWorkers if 0
	// PerHost is the most polls of one host running at once; DefaultPerHost
	// if 0, and always fewer than Workers (when there are two or more), so
	// that a host that never answers cannot hold every worker.
	PerHost  int
	Log      *slog.Logger   // slog.Default() if nil
	Location *time.Location // zone of cron specs ("0 7 * * *"); Vietnam time (UTC+7) if nil
}

// Scheduler polls every feed on its cron schedule with a fixed pool of
// workers. A feed is never polled twice at once: while it is queued or being
// polled, further triggers for it are dropped. A tick that comes before a
// failing feed's next attempt, or for a paused feed, is skipped. At most
// PerHost polls of one host run at once; a feed whose host is busy waits
// in its host's line without holding a worker, and is polled by the worker
// that finishes with that host.
type Scheduler struct {
	poller      *Poller
	defaultSpec string
	workers     int
	perHost     int
	log         *slog.Logger
	cron        *cron.Cron
	// wake tells an idle worker that due has polls (capacity 1: one
	// signal stands for any number of them).
	wake chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	running bool
	stopped bool
	entries map[int64]cron.EntryID
	pending map[int64]bool // queued, waiting for its host, or being polled
	// due are the queued polls, oldest first. With pending, a feed is in
	// it at most once, so it is bounded by the number of feeds, and
	// queueing never blocks: a channel of 1 024 left the cron's goroutines
	// of a tick waiting to queue (up to 4 000 at 5 000 feeds, each holding
	// a stack), which was the bot's peak of memory at every tick.
	due     []pollRequest
	onSaved func(storage.SaveResult)
	hosts   map[string]*hostLine
}

// pollRequest is one poll to run; force polls even a paused or backing-off
// feed (an explicit PollNow).
type pollRequest struct {
	id    int64
	force bool
}

// hostLine is one host's polls in flight and the polls waiting for it.
type hostLine struct {
	busy    int
	waiting []pollRequest
}

// NewScheduler returns a scheduler for p's store; call Start to run it.
func NewScheduler(p *Poller, opts SchedulerOptions) *Scheduler {
	if strings.TrimSpace(opts.DefaultSchedule) == "" {
		opts.DefaultSchedule = DefaultSchedule
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Location == nil {
		opts.Location = ictZone
	}
	if opts.PerHost <= 0 {
		opts.PerHost = DefaultPerHost
	}
	if opts.Workers > 1 {
		opts.PerHost = min(opts.PerHost, opts.Workers-1)
	} else {
		opts.PerHost = 1
	}
	return &Scheduler{
		poller:      p,
		defaultSpec: strings.TrimSpace(opts.DefaultSchedule),
		workers:     opts.Workers,
		perHost:     opts.PerHost,
		log:         opts.Log,
		cron:        cron.New(cron.WithLocation(opts.Location), cron.WithLogger(cron.DiscardLogger)),
		wake:        make(chan struct{}, 1),
		quit:        make(chan struct{}),
		entries:     make(map[int64]cron.EntryID),
		pending:     make(map[int64]bool),
		hosts:       make(map[string]*hostLine),
	}
}

// ValidateSchedule reports whether spec is a schedule the scheduler accepts:
// a five-field cron spec ("*/10 * * * *"), optionally prefixed with
// "CRON_TZ=Zone ", or a descriptor ("@hourly", "@every 5m").
func ValidateSchedule(spec string) error {
	_, err := parseSchedule(spec)
	return err
}

func parseSchedule(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("feeds: empty schedule")
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("feeds: invalid schedule %q: %w", spec, err)
	}
	return sched, nil
}

// OnSaved registers fn to be called, from the goroutine that polled, after
// every successful poll (a 304 gives a zero result) and every feed added with
// AddFeed, with what was saved: the hook to wake the dispatcher when
// deliveries were queued. fn must return quickly. Only the last fn registered
// is kept.
func (s *Scheduler) OnSaved(fn func(storage.SaveResult)) {
	s.mu.Lock()
	s.onSaved = fn
	s.mu.Unlock()
}

func (s *Scheduler) saved(res storage.SaveResult) {
	s.mu.Lock()
	fn := s.onSaved
	s.mu.Unlock()
	if fn != nil {
		fn(res)
	}
}

// Start schedules every stored feed, starts the workers, and queues one
// immediate poll of every feed. Polls run under ctx; cancelling it stops the
// workers too. A feed whose own schedule is invalid runs on the default one.
// A scheduler starts once.
func (s *Scheduler) Start(ctx context.Context) error {
	if _, err := parseSchedule(s.defaultSpec); err != nil {
		return err
	}
	feeds, err := s.poller.Store.Feeds(ctx)
	if err != nil {
		return fmt.Errorf("feeds: start scheduler: %w", err)
	}
	s.mu.Lock()
	if s.running || s.stopped {
		s.mu.Unlock()
		return errors.New("feeds: scheduler already started or stopped")
	}
	s.running = true
	s.mu.Unlock()

	for _, f := range feeds {
		s.schedule(f)
	}
	for range s.workers {
		s.wg.Add(1)
		go s.work(ctx)
	}
	s.cron.Start()
	for _, f := range feeds {
		s.enqueue(pollRequest{id: f.ID})
	}
	s.log.Info("feed scheduler started", slog.Int("feeds", len(feeds)), slog.Int("workers", s.workers))
	return nil
}

// Stop stops the schedules and waits for the polls in flight to end; each is
// bounded by the context given to Start (and the fetch timeout). Queued polls
// are dropped. A stopped scheduler does not start again.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	if !s.running {
		s.stopped = true
		s.mu.Unlock()
		return
	}
	s.running = false
	s.stopped = true
	s.mu.Unlock()
	<-s.cron.Stop().Done()
	close(s.quit)
	s.wg.Wait()
	// The polls' batched bookkeeping is written before the store closes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.poller.Flush(ctx); err != nil {
		s.log.Warn("feed scheduler stopping", slog.Any("err", err))
	}
}

// AddFeed checks that rawURL is a feed, stores it in section (keeping the
// schedule of a feed already stored with this URL), saves the items the
// check fetched as that feed's poll (a new feed's first poll sends nothing),
// and schedules it. When rawURL is not a feed, the error says why
// (ErrNotFeed, ErrPrivateAddress, an HTTP status…) and nothing is stored;
// storage.ErrUnknownSection when section does not exist.
func (s *Scheduler) AddFeed(ctx context.Context, rawURL, section string) (storage.Feed, storage.SaveResult, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return storage.Feed{}, storage.SaveResult{}, err
	}
	feedURL := u.String()
	parsed, resp, err := s.poller.Probe(ctx, feedURL)
	if err != nil {
		return storage.Feed{}, storage.SaveResult{}, err
	}
	store := s.poller.Store
	schedule := ""
	existing, err := store.FeedByURL(ctx, feedURL)
	switch {
	case err == nil:
		schedule = existing.Schedule
	case !errors.Is(err, storage.ErrNotFound):
		return storage.Feed{}, storage.SaveResult{}, fmt.Errorf("feeds: add feed %s: %w", u.Redacted(), err)
	}
	feed, err := store.AddFeed(ctx, feedURL, section, schedule)
	if err != nil {
		return storage.Feed{}, storage.SaveResult{}, fmt.Errorf("feeds: add feed %s: %w", u.Redacted(), err)
	}

	var res storage.SaveResult
	// When the feed is already queued or being polled, that poll saves the
	// items; saving them here too would overlap it.
	if s.claim(feed.ID) {
		res, err = s.poller.save(ctx, feed.ID, parsed, resp, s.poller.now())
		s.release(feed.ID)
		if err != nil {
			return feed, storage.SaveResult{}, err
		}
		if fresh, err := store.Feed(ctx, feed.ID); err == nil {
			feed = fresh
		}
		s.saved(res)
	}
	s.schedule(feed)
	return feed, res, nil
}

// RemoveFeed deletes the feed and its schedule; storage.ErrNotFound if there
// is no such feed.
func (s *Scheduler) RemoveFeed(ctx context.Context, id int64) error {
	err := s.poller.Store.DeleteFeed(ctx, id)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("feeds: remove feed %d: %w", id, err)
	}
	s.unschedule(id)
	return err
}

// PollNow queues one poll of the feed, unless one is already queued or in
// flight, even if the feed is paused or backing off. It returns
// storage.ErrNotFound for an unknown feed, and an error when the scheduler
// is not running.
func (s *Scheduler) PollNow(ctx context.Context, id int64) error {
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if !running {
		return errNotRunning
	}
	if _, err := s.poller.Store.Feed(ctx, id); err != nil {
		return err
	}
	s.enqueue(pollRequest{id: id, force: true})
	return ctx.Err()
}

// ResumeFeed un-pauses a feed, forgets its failures and backoff, queues a
// poll of it when the scheduler runs, and returns it; storage.ErrNotFound
// if there is no such feed.
func (s *Scheduler) ResumeFeed(ctx context.Context, id int64) (storage.Feed, error) {
	feed, err := s.poller.Store.ResumeFeed(ctx, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return storage.Feed{}, err
		}
		return storage.Feed{}, fmt.Errorf("feeds: resume feed %d: %w", id, err)
	}
	s.log.Info("feed resumed", slog.Int64("feed_id", id), slog.String("url", redact(feed.URL)))
	s.enqueue(pollRequest{id: id})
	return feed, nil
}

// schedule (re)places the feed's cron entry.
func (s *Scheduler) schedule(f storage.Feed) {
	spec := f.Schedule
	if strings.TrimSpace(spec) == "" {
		spec = s.defaultSpec
	}
	sched, err := parseSchedule(spec)
	if err != nil {
		s.log.Error("feed schedule invalid; using the default", slog.Int64("feed_id", f.ID),
			slog.String("schedule", spec), slog.Any("err", err))
		if sched, err = parseSchedule(s.defaultSpec); err != nil {
			return
		}
	}
	id := f.ID
	job := cron.FuncJob(func() { s.enqueue(pollRequest{id: id}) })
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[id]; ok {
		s.cron.Remove(old)
	}
	s.entries[id] = s.cron.Schedule(sched, job)
}

func (s *Scheduler) unschedule(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[id]; ok {
		s.cron.Remove(old)
		delete(s.entries, id)
	}
}

// enqueue queues a poll of the feed unless one is queued or in flight, or
// the scheduler is not running. It reports whether it queued one; it never
// blocks.
func (s *Scheduler) enqueue(req pollRequest) bool {
	s.mu.Lock()
	if !s.running || s.pending[req.id] {
		s.mu.Unlock()
		return false
	}
	s.pending[req.id] = true
	s.due = append(s.due, req)
	s.mu.Unlock()
	s.signal()
	return true
}

// signal wakes one idle worker, if none has been woken already.
func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take removes the oldest queued poll; false when none is queued.
func (s *Scheduler) take() (pollRequest, bool) {
	s.mu.Lock()
	if len(s.due) == 0 {
		s.mu.Unlock()
		return pollRequest{}, false
	}
	req := s.due[0]
	s.due[0] = pollRequest{}
	s.due = s.due[1:]
	if len(s.due) == 0 {
		s.due = nil // let the tick's backing array go
	}
	more := len(s.due) > 0
	s.mu.Unlock()
	if more {
		s.signal() // the next idle worker takes the next one
	}
	return req, true
}

// claim marks the feed as being polled outside the queue; false if it is
// already queued or being polled.
func (s *Scheduler) claim(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[id] {
		return false
	}
	s.pending[id] = true
	return true
}

func (s *Scheduler) release(id int64) {
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
}

func (s *Scheduler) work(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-s.quit:
			return
		case <-ctx.Done():
			return
		default:
		}
		req, ok := s.take()
		if !ok {
			select {
			case <-s.quit:
				return
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		s.handle(ctx, req)
	}
}

// handle runs one poll request: it loads the feed, skips it when it is
// paused or not due, and polls it when its host has a free slot, else
// leaves it in the host's line. Having polled, it goes on with the next
// feed waiting for the same host, if any, keeping the host's slot.
func (s *Scheduler) handle(ctx context.Context, req pollRequest) {
	feed, ok := s.load(ctx, req)
	if !ok {
		s.release(req.id)
		return
	}
	host := hostKey(feed.URL)
	if !s.takeHost(host, req) {
		return // in the host's line; still pending
	}
	for {
		if ok {
			s.pollOne(ctx, feed)
		}
		s.release(req.id)
		next, more := s.handOver(host)
		if !more {
			return
		}
		req = next
		feed, ok = s.load(ctx, req)
	}
}

// load reads the feed for a poll; false when it is gone, unreadable,
// paused or backing off (a tick before its next attempt costs this read).
func (s *Scheduler) load(ctx context.Context, req pollRequest) (storage.Feed, bool) {
	feed, err := s.poller.Store.FeedToPoll(ctx, req.id)
	if errors.Is(err, storage.ErrNotFound) {
		s.log.Debug("feed deleted; poll skipped", slog.Int64("feed_id", req.id))
		s.unschedule(req.id)
		return storage.Feed{}, false
	}
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("feed poll: cannot load feed", slog.Int64("feed_id", req.id), slog.Any("err", err))
		}
		return storage.Feed{}, false
	}
	if req.force {
		return feed, true
	}
	if feed.Paused {
		s.log.Debug("feed paused; poll skipped", slog.Int64("feed_id", feed.ID))
		return storage.Feed{}, false
	}
	if !feed.NextAttempt.IsZero() && s.poller.now().Before(feed.NextAttempt) {
		s.log.Debug("feed backing off; poll skipped", slog.Int64("feed_id", feed.ID),
			slog.Time("next_attempt", feed.NextAttempt))
		return storage.Feed{}, false
	}
	return feed, true
}

// hostKey is the host (and port) whose slots a feed's poll takes.
func hostKey(rawURL string) string {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// takeHost takes a slot of host for req, or puts req in the host's line
// and reports false.
func (s *Scheduler) takeHost(host string, req pollRequest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := s.hosts[host]
	if line == nil {
		line = &hostLine{}
		s.hosts[host] = line
	}
	if line.busy < s.perHost {
		line.busy++
		return true
	}
	line.waiting = append(line.waiting, req)
	return false
}

// handOver gives the host's slot to the next poll in its line, or frees
// it. After Stop the line is dropped.
func (s *Scheduler) handOver(host string) (pollRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := s.hosts[host]
	stopping := false
	select {
	case <-s.quit:
		stopping = true
	default:
	}
	if len(line.waiting) > 0 && !stopping {
		next := line.waiting[0]
		line.waiting[0] = pollRequest{}
		line.waiting = line.waiting[1:]
		return next, true
	}
	for _, w := range line.waiting {
		delete(s.pending, w.id)
	}
	line.waiting = nil
	line.busy--
	if line.busy == 0 {
		delete(s.hosts, host)
	}
	return pollRequest{}, false
}

// pollOne polls one feed and logs the outcome. A panic is logged, not
// spread: one bad feed must not stop the others.
func (s *Scheduler) pollOne(ctx context.Context, feed storage.Feed) {
	id := feed.ID
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("feed poll panicked", slog.Int64("feed_id", id), slog.Any("panic", r),
				slog.String("stack", string(debug.Stack())))
		}
	}()
	start := time.Now()
	res, err := s.poller.Poll(ctx, feed)
	// The poll's outcome (err; res.Unchanged for a 304 or the same
	// document, else res.New items) and its duration are known here.
	took := time.Since(start)
	if err == nil {
		s.saved(res)
	}
	switch {
	case err != nil && ctx.Err() != nil:
		// Shutting down: not the feed's fault.
	case err != nil:
		s.log.Warn("feed poll failed", slog.Int64("feed_id", id), slog.String("url", redact(feed.URL)),
			slog.Any("err", err))
	case res.New > 0:
		s.log.Info("feed polled", slog.Int64("feed_id", id), slog.Int("new", res.New),
			slog.Int("enqueued", res.Enqueued), slog.Bool("first", res.First), slog.Duration("took", took))
	}
}
