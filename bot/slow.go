package bot

import (
	"context"
	"runtime/debug"
	"sync/atomic"
	"time"
)

const (
	// slowWorkers bounds the slow work (feed probes, chat look-ups) running
	// at once; more is refused with a "busy" reply, not queued.
	slowWorkers = 4
	// slowTimeout bounds one piece of slow work, past the handler's deadline.
	slowTimeout = 90 * time.Second
)

// pending counts what is still running for one update: its handler and the
// slow work it started. done runs when the count drops to zero, so that the
// update is marked handled only once all of it is over.
type pending struct {
	n    atomic.Int32
	done func()
}

func newPending(done func()) *pending {
	p := &pending{done: done}
	p.n.Store(1) // the handler
	return p
}

func (p *pending) add() {
	if p != nil {
		p.n.Add(1)
	}
}

func (p *pending) release() {
	if p != nil && p.n.Add(-1) == 0 && p.done != nil {
		p.done()
	}
}

type runContextKey struct{}

// withRunContext carries ctx (the pool's, which ends when the bot stops)
// inside the handler contexts derived from it, so slow work can outlive a
// handler's deadline but not the bot.
func withRunContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, runContextKey{}, ctx)
}

// runContext returns the context slow work runs under: the pool's, or,
// outside the pool, ctx without its deadline or cancellation.
func runContext(ctx context.Context) context.Context {
	if run, ok := ctx.Value(runContextKey{}).(context.Context); ok {
		return run
	}
	return context.WithoutCancel(ctx)
}

// inBackground answers the request with checking at once and runs fn after the
// handler returns, bounded in number (a "busy" reply when all slots are
// taken) and in time (slowTimeout), and cancelled when the bot stops. An
// error from fn gets the person the usual apology.
func (b *Bot) inBackground(ctx context.Context, r *request, checking string, fn func(context.Context) error) {
	select {
	case b.slow <- struct{}{}:
	default:
		r.reply(ctx, r.t("slow_busy"))
		return
	}
	r.reply(ctx, checking)
	r.pending.add()
	b.background.Add(1)
	base := runContext(ctx)
	go func() {
		ctx, cancel := context.WithTimeout(base, slowTimeout)
		defer func() {
			if v := recover(); v != nil {
				b.log.Error("bot: slow work panicked", "cmd", r.cmd, "chat", r.Chat.ChatRef.String(), "panic", v, "stack", string(debug.Stack()))
				r.reply(ctx, r.t("error"))
			}
			cancel()
			<-b.slow
			r.pending.release()
			b.background.Done()
		}()
		if err := fn(ctx); err != nil {
			b.log.Error("bot: command failed", "cmd", r.cmd, "chat", r.Chat.ChatRef.String(), "err", err)
			if base.Err() != nil {
				return // the bot is stopping
			}
			if ctx.Err() != nil {
				late, cancel := context.WithTimeout(base, replyTimeout)
				defer cancel()
				r.reply(late, r.t("timed_out"))
				return
			}
			r.reply(ctx, r.t("error"))
		}
	}()
}
