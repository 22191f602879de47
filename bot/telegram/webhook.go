package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
)

// SecretHeader carries the webhook secret in Telegram's requests.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

const (
	queueSize  = 256  // webhook updates waiting for Run
	recentSize = 1000 // update_ids remembered to drop Telegram's retries
)

// checkWebhook validates the webhook options: none, or an absolute URL with
// a secret Telegram accepts.
func checkWebhook(hook, secret string) error {
	if hook == "" {
		return nil
	}
	u, err := url.Parse(hook)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("telegram: webhook url %q is not an absolute https URL", hook)
	}
	if len(secret) < 1 || len(secret) > 256 {
		return fmt.Errorf("telegram: webhook secret must be 1-256 characters, got %d", len(secret))
	}
	for _, r := range secret {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("telegram: webhook secret may hold only A-Z a-z 0-9 _ -, not %q", r)
		}
	}
	return nil
}

// runWebhook sets the webhook, then hands what WebhookHandler queues to
// handle, one at a time and in order, until ctx is done; each webhook
// request is answered once handle returned for its update. The webhook
// stays set when Run returns, so that Telegram keeps updates for the next
// start.
func (a *Adapter) runWebhook(ctx context.Context, handle func(context.Context, bot.Update)) error {
	if err := a.setWebhook(ctx); err != nil {
		return err
	}
	a.hook.Serve(ctx, handle)
	return nil
}

// setWebhook calls setWebhook with the URL, the secret and the update kinds
// the bot answers, until it succeeds, ctx ends (nil) or Telegram refuses it
// for good (the error: a bad URL or token). tgbotapi v5.5.1's WebhookConfig
// has no secret_token, hence the raw request.
func (a *Adapter) setWebhook(ctx context.Context) error {
	params := tgbotapi.Params{"url": a.webhookURL, "secret_token": a.webhookSecret}
	if err := params.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return fmt.Errorf("telegram: setWebhook: %w", err)
	}
	var backoff time.Duration
	for {
		_, err := a.call(ctx).MakeRequest("setWebhook", params)
		if err == nil {
			a.log.Info("telegram: webhook set", slog.String("url", a.webhookURL))
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		var apiErr *tgbotapi.Error
		if errors.As(err, &apiErr) && apiErr.Code >= 400 && apiErr.Code < 500 && apiErr.Code != http.StatusTooManyRequests {
			return a.mapError("setWebhook", err)
		}
		backoff = a.nextBackoff(backoff, err)
		a.log.Warn("telegram: setWebhook failed", slog.Any("err", a.mapError("setWebhook", err)), slog.Duration("retry_in", backoff))
		if !bot.Sleep(ctx, backoff) {
			return nil
		}
	}
}

// removeWebhook deletes any webhook before polling; pending updates stay.
func (a *Adapter) removeWebhook(ctx context.Context) {
	if _, err := a.call(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil && ctx.Err() == nil {
		a.log.Warn("telegram: unable to remove the webhook before polling", slog.Any("err", a.mapError("deleteWebhook", err)))
	}
}

// WebhookHandler serves the webhook: it answers 401 and does nothing when
// X-Telegram-Bot-Api-Secret-Token is missing or wrong (compared in constant
// time), queues each new update for Run and answers 200 once Run's handle
// took it (recorded it in the inbox), so that a crash cannot lose an
// update Telegram was told had arrived. An update_id seen before is
// answered as its first delivery is and not handled again. It answers 404
// when the adapter polls instead, and 503 (Telegram retries) when the
// queue is full or the update waited bot.HookWait.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(a.serveWebhook)
}

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if a.webhookURL == "" {
		http.Error(w, "telegram webhook is not enabled", http.StatusNotFound)
		return
	}
	body, ok := bot.ReadWebhook(w, r, SecretHeader, a.webhookSecret, a.log)
	if !ok {
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil || u.UpdateID <= 0 {
		a.log.Warn("telegram: unreadable webhook body", slog.Any("err", err))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	up, ok := a.convert(u)
	handled := a.hook.Offer(strconv.Itoa(u.UpdateID), up, ok)
	if handled == nil {
		a.log.Warn("telegram: webhook queue full; refusing an update", slog.Int("update_id", u.UpdateID))
	}
	a.hook.Answer(w, r, handled)
}
