package zalo

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
)

// SecretHeader carries the webhook secret in Zalo's requests.
const SecretHeader = "X-Bot-Api-Secret-Token"

// runWebhook sets the webhook, then hands what WebhookHandler queues to
// handle, in order, marking each message id seen once handle returned.
func (a *Adapter) runWebhook(ctx context.Context, handle func(context.Context, bot.Update)) error {
	if err := a.setWebhook(ctx); err != nil {
		return err
	}
	a.queue.Serve(ctx, func(ctx context.Context, u bot.Update) {
		handle(ctx, u)
		a.markSeen(ctx, u.ID)
	})
	return nil
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
		if !bot.Sleep(ctx, backoff) {
			return nil
		}
	}
}

// WebhookHandler serves the webhook: it answers 401 and does nothing when
// X-Bot-Api-Secret-Token is missing or wrong (compared in constant time),
// accepts {"ok":true,"result":{…}} and the bare {"event_name","message"},
// queues each new message for Run and answers 200 once Run's handle took
// them all (recorded them in the inbox), so that a crash cannot lose a
// message Zalo was told had arrived. A message whose message_id was seen
// is answered as its first delivery was and not handled again. It answers
// 404 when the adapter polls instead, and 503 (for Zalo to try again, if it
// does) when the queue is full or a message waited bot.HookWait.
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
	var handled []<-chan struct{}
	for _, u := range updates {
		up, ok := a.convert(u)
		if !ok || a.seenBefore(r.Context(), up.ID) {
			continue
		}
		ch := a.queue.Offer(up.ID, up, true)
		if ch == nil {
			a.log.Warn("zalo: webhook queue full; refusing an update", slog.String("id", up.ID))
		}
		handled = append(handled, ch)
	}
	a.queue.Answer(w, r, handled...)
}
