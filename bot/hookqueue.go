package bot

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// HookWait is how long a webhook request waits for its update to be taken
// (recorded in the inbox) before answering 503, for the platform to retry.
const HookWait = 25 * time.Second

// HookQueue hands updates from a platform's webhook handler to its Run and
// lets the handler answer only once Run took the update (handle returned:
// it is in the inbox), so that a crash cannot lose an update the platform
// was told had arrived. It remembers the last ids offered: a platform's
// retry of one is answered as its first delivery is.
type HookQueue struct {
	items chan hookItem

	mu     sync.Mutex
	recent map[string]chan struct{} // id → closed once handled
	ring   []string
	next   int
}

type hookItem struct {
	u       Update
	handled chan struct{}
}

// NewHookQueue returns a queue holding up to size updates not yet taken by
// Run and remembering the last remember ids.
func NewHookQueue(size, remember int) *HookQueue {
	return &HookQueue{
		items:  make(chan hookItem, size),
		recent: make(map[string]chan struct{}, remember),
		ring:   make([]string, max(remember, 1)),
	}
}

// Offer queues u under id, or, when handle is false (an update the bot does
// not answer), only remembers id. It returns a channel closed once u was
// handled (at once when handle is false; the first delivery's channel for
// an id offered before), or nil when the queue is full.
func (q *HookQueue) Offer(id string, u Update, handle bool) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ch, ok := q.recent[id]; ok {
		return ch
	}
	ch := make(chan struct{})
	if handle {
		select {
		case q.items <- hookItem{u: u, handled: ch}:
		default:
			return nil
		}
	} else {
		close(ch)
	}
	if old := q.ring[q.next]; old != "" {
		delete(q.recent, old)
	}
	q.ring[q.next] = id
	q.recent[id] = ch
	q.next = (q.next + 1) % len(q.ring)
	return ch
}

// Len returns how many updates wait for Run.
func (q *HookQueue) Len() int { return len(q.items) }

// Serve hands each queued update to handle, in order, until ctx is done.
func (q *HookQueue) Serve(ctx context.Context, handle func(context.Context, Update)) {
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-q.items:
			handle(ctx, it.u)
			close(it.handled)
		}
	}
}

// Answer waits for each of handled (from Offer) and answers the webhook
// request: 200 once all were handled, 503 when the queue was full (one is
// nil) or the wait passed HookWait, nothing when the platform hung up.
func (q *HookQueue) Answer(w http.ResponseWriter, r *http.Request, handled ...<-chan struct{}) {
	t := time.NewTimer(HookWait)
	defer t.Stop()
	for _, ch := range handled {
		if ch == nil {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		select {
		case <-ch:
		case <-t.C:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
