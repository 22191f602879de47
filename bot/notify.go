package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/newsbot-vn/newsbot/storage"
)

// NotifyAdmins queues a notice for every admin of the bot, in their
// private chat with the bot, rendered by render (Telegram HTML) in each
// admin's language. It returns the first error, having tried every admin.
func (b *Bot) NotifyAdmins(ctx context.Context, render func(lang string) string) error {
	var errs []error
	for _, ref := range b.adminChats() {
		lg := "vi"
		if chat, err := b.store.Chat(ctx, ref); err == nil && chat.Lang != "" {
			lg = chat.Lang
		}
		if err := b.store.EnqueueNotice(ctx, ref, PlainText(render(lg))); err != nil {
			errs = append(errs, err)
		}
	}
	if b.wake != nil {
		b.wake()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bot: notify admins: %w", err)
	}
	return nil
}

// NotifyFeed tells the admins about a feed's event (paused, flooded).
func (b *Bot) NotifyFeed(ctx context.Context, n FeedNotice) error {
	return b.NotifyAdmins(ctx, func(lang string) string { return FeedNoticeHTML(lang, n) })
}

// adminChats are the admins' private chats (on Telegram and Zalo a
// person's private chat has the person's id), in a stable order.
func (b *Bot) adminChats() []storage.ChatRef {
	var out []storage.ChatRef
	for id, ok := range b.admins {
		platform, user, found := strings.Cut(id, ":")
		if !ok || !found {
			continue
		}
		out = append(out, storage.ChatRef{Platform: platform, ID: user})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
