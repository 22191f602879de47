package zalo

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"newsbot/bot"
)

// SecretHeader carries the webhook secret in Zalo's requests.
const SecretHeader = "X-Bot-Api-Secret-Token"

// runWebhook sets the webhook, then handles what WebhookHandler queues.
func (a *Adapter) runWebhook(ctx context.Context, handle func(context.Context, bot.Update)) error {
	if err := a.setWebhook(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case u := <-a.queue:
			handle(ctx, u)
		}
	}
}

// setWebhook calls setWebhook until it succeeds, ctx ends (nil) or Zalo
// refuses it for good (the error: a bad URL, secret or token).
func (a *Adapter) setWebhook(ctx context.Context) error {
	var backoff time.Duration
	for {
		err := a.client.SetWebhook(ctx, a.webhookURL, a.webhookSecret)
		if err == nil {
			a.log.Info("zalo: webhook set", slog.String("url", a.webhookURL))
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		err = a.mapError(err)
		var perm *bot.PermanentError
		if errors.As(err, &perm) || errors.Is(err, ErrUnauthorized) {
			return err
		}
		backoff = a.nextBackoff(backoff, err)
		a.log.Warn("zalo: setWebhook failed", slog.Any("err", err), slog.Duration("retry_in", backoff))
		if !sleep(ctx, backoff) {
			return nil
		}
	}
}

// WebhookHandler serves the webhook: it answers 401 and does nothing when
// X-Bot-Api-Secret-Token is missing or wrong (compared in constant time),
// accepts {"ok":true,"result":{…}} and the bare {"event_name","message"},
// queues each new message for Run and answers 200 at once. A message whose
// message_id was seen is acknowledged and dropped. It answers 404 when the
// adapter polls instead, and 503 (for Zalo to try again, if it does) when
// the queue is full.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(a.serveWebhook)
}

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if a.webhookURL == "" {
		http.Error(w, "zalo webhook is not enabled", http.StatusNotFound)
		return
	}
	body, ok := bot.ReadWebhook(w, r, SecretHeader, a.webhookSecret, a.log)
	if !ok {
		return
	}
	updates, err := decodeWebhook(body)
	if err != nil {
		a.log.Warn("zalo: unreadable webhook body", slog.Any("err", err))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	for _, u := range updates {
		up, ok := a.convert(u)
		if !ok {
			continue
		}
		if !a.enqueue(r.Context(), up) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// enqueue queues a new update for Run; a seen one is dropped. It returns
// false when the queue is full, leaving the update unmarked so that a retry
// can bring it again.
func (a *Adapter) enqueue(ctx context.Context, up bot.Update) bool {
	a.claimMu.Lock()
	defer a.claimMu.Unlock()
	seen, err := a.seen.Seen(ctx, up.ID)
	if err != nil {
		a.log.Warn("zalo: unable to check a message id", slog.String("id", up.ID), slog.Any("err", err))
	}
	if seen {
		return true
	}
	select {
	case a.queue <- up:
	default:
		a.log.Warn("zalo: webhook queue full; refusing an update", slog.String("id", up.ID))
		return false
	}
	if err := a.seen.MarkSeen(ctx, up.ID); err != nil {
		a.log.Warn("zalo: unable to record a message id", slog.String("id", up.ID), slog.Any("err", err))
	}
	return true
}
