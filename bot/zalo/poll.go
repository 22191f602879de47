package zalo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/storage"
)

// Run receives updates until ctx is done and hands each new text message to
// handle, one at a time, marking its message id seen once handle returned
// (with the bot's update pool: once it is in the inbox, which also drops
// replays durably). It returns nil when ctx ends.
//
// Without a webhook URL it first removes any webhook (getUpdates does not
// work while one is set), then long-polls getUpdates; poll errors are logged
// and retried with a backoff from 1 s to 30 s. With one, it calls setWebhook
// with the URL and secret (retrying what may pass, returning the error of
// what will not) and handles what WebhookHandler accepts.
func (a *Adapter) Run(ctx context.Context, handle func(context.Context, bot.Update)) error {
	if a.webhookURL != "" {
		return a.runWebhook(ctx, handle)
	}
	return a.poll(ctx, handle)
}

func (a *Adapter) poll(ctx context.Context, handle func(context.Context, bot.Update)) error {
	if err := a.client.DeleteWebhook(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("zalo: unable to remove the webhook before polling", slog.Any("err", a.mapError(err)))
	}
	var backoff time.Duration
	for {
		if ctx.Err() != nil {
			return nil
		}
		updates, err := a.client.GetUpdates(ctx, a.pollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			backoff = a.nextBackoff(backoff, err)
			a.log.Warn("zalo: getUpdates failed", slog.Any("err", a.mapError(err)), slog.Duration("retry_in", backoff))
			if !bot.Sleep(ctx, backoff) {
				return nil
			}
			continue
		}
		backoff = 0
		for _, u := range updates {
			if ctx.Err() != nil {
				return nil
			}
			up, ok := a.convert(u)
			if !ok || a.seenBefore(ctx, up.ID) {
				continue
			}
			// Marked seen only after handle returned (the update is in the
			// inbox): marked first, a crash in between would lose it.
			handle(ctx, up)
			a.markSeen(ctx, up.ID)
		}
	}
}

// nextBackoff doubles the wait between failed calls within
// [backoffMin, backoffMax], and waits at least as long as a 429 asks.
func (a *Adapter) nextBackoff(prev time.Duration, err error) time.Duration {
	next := min(max(prev*2, a.backoffMin), a.backoffMax)
	var ra *bot.RetryAfterError
	if errors.As(a.mapError(err), &ra) && ra.After > next {
		next = ra.After
	}
	return next
}

// convert turns a message with text (or an image's caption) into a
// bot.Update whose ID is the message's dedupe key; stickers, images without
// a caption, the bot's own messages and anything without a chat are skipped.
// The text is NFC-normalised and Vietnamese command words become commands.
func (a *Adapter) convert(u Update) (bot.Update, bool) {
	m := u.Message
	if m.Chat.ID == "" || m.From.IsBot {
		return bot.Update{}, false
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	text = strings.TrimSpace(norm.NFC.String(text))
	if text == "" {
		return bot.Update{}, false
	}
	chatType := "group"
	if strings.EqualFold(m.Chat.Type, "PRIVATE") || m.Chat.Type == "" && m.Chat.ID == m.From.ID {
		chatType = "private"
	}
	title := m.Chat.Title
	if title == "" && chatType == "private" {
		title = m.From.DisplayName
	}
	received := m.Date
	if received.IsZero() {
		received = a.now()
	}
	return bot.Update{
		ID: dedupeKey(m),
		Chat: storage.Chat{
			ChatRef: storage.ChatRef{Platform: "zalo", ID: m.Chat.ID},
			Type:    chatType,
			Title:   title,
			Lang:    "vi",
			Active:  true,
		},
		UserID:   m.From.ID,
		UserName: m.From.DisplayName,
		Text:     CommandFromWords(text),
		Received: received,
	}, true
}

// dedupeKey is the message_id; without one (never seen, but the API is not
// documented well enough to rule it out) a hash of chat, date and text.
func dedupeKey(m Message) string {
	if m.ID != "" {
		return m.ID
	}
	sum := sha256.Sum256([]byte(m.Chat.ID + "\x00" + strconv.FormatInt(m.Date.UnixMilli(), 10) + "\x00" + m.Text + "\x00" + m.Caption))
	return "h:" + hex.EncodeToString(sum[:12])
}
