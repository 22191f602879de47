package telegram

import (
	"context"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/storage"
)

var _ bot.ChatAdmin = (*Adapter)(nil)

func chatConfig(ref string) tgbotapi.ChatConfig {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return tgbotapi.ChatConfig{ChatID: id}
	}
	return tgbotapi.ChatConfig{SuperGroupUsername: ref}
}

// ResolveChat turns "@name" or "-100…" into the chat's numeric id, type and title.
func (a *Adapter) ResolveChat(ctx context.Context, ref string) (storage.Chat, error) {
	c, err := a.call(ctx).GetChat(tgbotapi.ChatInfoConfig{ChatConfig: chatConfig(ref)})
	if err != nil {
		return storage.Chat{}, a.mapError("getChat", err)
	}
	title := c.Title
	if title == "" && c.UserName != "" {
		title = "@" + c.UserName
	}
	return storage.Chat{
		ChatRef: storage.ChatRef{Platform: "telegram", ID: strconv.FormatInt(c.ID, 10)},
		Type:    c.Type, Title: title, Lang: "vi", Active: true,
	}, nil
}

// IsChatAdmin reports whether the user is the creator or an administrator of the chat.
func (a *Adapter) IsChatAdmin(ctx context.Context, chatID, userID string) (bool, error) {
	uid, err := strconv.ParseInt(userID, 10, 64)
	if err != nil {
		return false, nil
	}
	status, _, err := a.ChatMember(ctx, chatID, uid)
	if err != nil {
		return false, err
	}
	return status == "creator" || status == "administrator", nil
}

// BotCanPost reports whether the bot is an administrator of the chat allowed
// to post there, and if not, why (a short English reason for logs and the admin).
// In a channel an administrator also needs can_post_messages; in a group
// being an administrator is enough.
func (a *Adapter) BotCanPost(ctx context.Context, chat storage.Chat) (bool, string, error) {
	status, canPost, err := a.ChatMember(ctx, chat.ID, a.ID())
	if err != nil {
		return false, "", err
	}
	switch {
	case status != "administrator" && status != "creator":
		return false, "the bot is " + status + " there, not an administrator", nil
	case chat.Type == "channel" && !canPost:
		return false, "the bot is an administrator without the right to post messages", nil
	}
	return true, "", nil
}
