package telegram

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/storage"
)

// allowedUpdates are the update kinds the bot answers.
var allowedUpdates = []string{"message", "callback_query"}

// confirmTimeout bounds the getUpdates that confirms handled updates on the
// way out.
const confirmTimeout = 3 * time.Second

// Run long-polls getUpdates and hands each message or button press to handle,
// one at a time and in order, before asking for more; the next getUpdates
// confirms to Telegram the updates handle returned for (with the bot's
// update pool: once they are in the inbox). It returns nil once ctx is done;
// an in-flight poll is cancelled rather than waited for. Poll errors are
// logged and retried with a backoff from 1 s to 30 s. It first removes any
// webhook, which would make getUpdates fail.
//
// With Options.WebhookURL it calls setWebhook instead and handles what
// WebhookHandler accepts (see runWebhook).
func (a *Adapter) Run(ctx context.Context, handle func(context.Context, bot.Update)) error {
	if a.webhookURL != "" {
		return a.runWebhook(ctx, handle)
	}
	a.removeWebhook(ctx)
	offset := 0    // next update_id wanted
	confirmed := 0 // offset Telegram has been told about
	var backoff time.Duration
	for {
		if ctx.Err() != nil {
			a.confirm(ctx, offset, confirmed)
			return nil
		}
		updates, err := a.call(ctx).GetUpdates(tgbotapi.UpdateConfig{
			Offset:         offset,
			Limit:          100,
			Timeout:        int(max(a.pollTimeout/time.Second, 1)),
			AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			if ctx.Err() != nil {
				a.confirm(ctx, offset, confirmed)
				return nil
			}
			backoff = a.nextBackoff(backoff, err)
			a.log.Warn("telegram: getUpdates failed", slog.Any("err", a.mapError("getUpdates", err)), slog.Duration("retry_in", backoff))
			if !bot.Sleep(ctx, backoff) {
				a.confirm(ctx, offset, confirmed)
				return nil
			}
			continue
		}
		backoff = 0
		confirmed = offset
		for _, u := range updates {
			if ctx.Err() != nil {
				break // the rest stay unconfirmed and come again next time
			}
			if u.UpdateID < offset {
				continue // seen already
			}
			offset = u.UpdateID + 1
			if up, ok := a.convert(u); ok {
				handle(ctx, up)
			}
		}
	}
}

// nextBackoff doubles the wait between failed polls within
// [backoffMin, backoffMax], and waits at least as long as a 429 asks.
func (a *Adapter) nextBackoff(prev time.Duration, err error) time.Duration {
	next := min(max(prev*2, a.backoffMin), a.backoffMax)
	var ra *bot.RetryAfterError
	if errors.As(a.mapError("getUpdates", err), &ra) && ra.After > next {
		next = ra.After
	}
	return next
}

// confirm tells Telegram that updates below offset were handled, so a restart
// does not receive them again. Telegram only learns that from the next
// getUpdates, which would otherwise never come.
func (a *Adapter) confirm(ctx context.Context, offset, confirmed int) {
	if offset <= confirmed {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
	defer cancel()
	// Updates this returns are not confirmed by it and will come again.
	if _, err := a.call(ctx).GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 1, AllowedUpdates: allowedUpdates}); err != nil {
		a.log.Warn("telegram: unable to confirm handled updates", slog.Int("offset", offset), slog.Any("err", a.mapError("getUpdates", err)))
	}
}

// convert turns a message with text (or a caption) or a document, or a
// button press, into a bot.Update; anything else is skipped.
func (a *Adapter) convert(u tgbotapi.Update) (bot.Update, bool) {
	var (
		chat *tgbotapi.Chat
		from *tgbotapi.User
		out  = bot.Update{ID: strconv.Itoa(u.UpdateID), Received: a.now()}
	)
	switch {
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		if cq.Message == nil || cq.Message.Chat == nil {
			return bot.Update{}, false // a button under an inline-mode message
		}
		chat, from = cq.Message.Chat, cq.From
		out.Text = cq.Data
		out.Callback = &bot.Callback{ID: cq.ID, MessageID: strconv.Itoa(cq.Message.MessageID)}
	case u.Message != nil && u.Message.Chat != nil:
		m := u.Message
		chat, from = m.Chat, m.From
		out.Text = m.Text
		if out.Text == "" {
			out.Text = m.Caption
		}
		out.Document = document(m)
		if out.Text == "" && out.Document == nil {
			return bot.Update{}, false // stickers, joins, service messages
		}
		if !a.addressedToUs(out.Text) {
			return bot.Update{}, false // "/cmd@otherbot" in a group
		}
	default:
		return bot.Update{}, false
	}
	out.Chat = storage.Chat{
		ChatRef: storage.ChatRef{Platform: "telegram", ID: strconv.FormatInt(chat.ID, 10)},
		Type:    chat.Type,
		Title:   chatTitle(chat, from),
		Lang:    "vi",
		Active:  true,
	}
	if from != nil {
		out.UserID = strconv.FormatInt(from.ID, 10)
		out.UserName = from.String()
		out.Lang = from.LanguageCode
		if strings.HasPrefix(strings.ToLower(from.LanguageCode), "en") {
			out.Chat.Lang = "en"
		}
	}
	return out, true
}

// chatTitle is a group's title, or the person's name in a private chat.
func chatTitle(c *tgbotapi.Chat, from *tgbotapi.User) string {
	if c.Title != "" {
		return c.Title
	}
	if name := strings.TrimSpace(c.FirstName + " " + c.LastName); name != "" {
		return name
	}
	if from != nil {
		if name := strings.TrimSpace(from.FirstName + " " + from.LastName); name != "" {
			return name
		}
	}
	if c.UserName != "" {
		return "@" + c.UserName
	}
	return ""
}

// addressedToUs is false for a command that names another bot ("/help@other_bot").
func (a *Adapter) addressedToUs(text string) bool {
	if !strings.HasPrefix(text, "/") {
		return true
	}
	cmd, _, _ := strings.Cut(text, " ")
	_, name, ok := strings.Cut(cmd, "@")
	return !ok || strings.EqualFold(strings.TrimSpace(name), a.Username())
}
