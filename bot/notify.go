package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"newsbot/storage"
)

// NotifyAdmins queues the text under key (formatted with args, which are
// plain text) for every admin of the bot, each in their own language, in
// their private chat with the bot. It returns the first error, having tried
// every admin.
func (b *Bot) NotifyAdmins(ctx context.Context, key string, args ...any) error {
	escaped := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = Escape(s)
		}
		escaped[i] = a
	}
	var errs []error
	for _, ref := range b.adminChats() {
		lg := "vi"
		if chat, err := b.store.Chat(ctx, ref); err == nil && chat.Lang != "" {
			lg = chat.Lang
		}
		text := PlainText(tr(lg, key, escaped...))
		if err := b.store.EnqueueNotice(ctx, ref, text); err != nil {
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
