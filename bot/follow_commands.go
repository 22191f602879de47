package bot

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/newsbot-vn/newsbot/storage"
)

// maxFollows bounds a chat's keyword alerts; maxPhrase a phrase's length.
const (
	maxFollows       = 20
	maxPhrase        = 60
	minPhraseLetters = 2
)

func (b *Bot) follow(ctx context.Context, r *request) error {
	if !b.mayChangeGroup(ctx, r) {
		return nil
	}
	phrase := storage.FoldedWords(r.args)
	if phrase == "" {
		r.reply(ctx, r.t("follow_usage"))
		return nil
	}
	if letters(phrase) < minPhraseLetters {
		// One letter matches nearly every article.
		r.reply(ctx, r.t("follow_too_short", minPhraseLetters))
		return nil
	}
	if utf8.RuneCountInString(phrase) > maxPhrase {
		r.reply(ctx, r.t("follow_too_long", maxPhrase))
		return nil
	}
	current, err := b.store.Follows(ctx, r.Chat.ChatRef)
	if err != nil {
		return err
	}
	if len(current) >= maxFollows {
		r.reply(ctx, r.t("follow_too_many", maxFollows))
		return nil
	}
	added, err := b.store.Follow(ctx, r.Chat.ChatRef, r.args)
	if err != nil {
		return err
	}
	if !added {
		r.reply(ctx, r.t("follow_already", Escape(r.args)))
		return nil
	}
	r.reply(ctx, r.t("follow_ok", Escape(r.args)))
	return nil
}

func (b *Bot) unfollow(ctx context.Context, r *request) error {
	if !b.mayChangeGroup(ctx, r) {
		return nil
	}
	if storage.FoldedWords(r.args) == "" {
		r.reply(ctx, r.t("unfollow_usage"))
		return nil
	}
	removed, err := b.store.Unfollow(ctx, r.Chat.ChatRef, r.args)
	if err != nil {
		return err
	}
	if !removed {
		r.reply(ctx, r.t("unfollow_none", Escape(r.args)))
		return nil
	}
	r.reply(ctx, r.t("unfollow_ok", Escape(r.args)))
	return nil
}

func (b *Bot) follows(ctx context.Context, r *request) error {
	list, err := b.store.Follows(ctx, r.Chat.ChatRef)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		r.reply(ctx, r.t("follows_none"))
		return nil
	}
	lines := make([]string, len(list))
	for i, p := range list {
		lines[i] = "• " + Escape(p)
	}
	r.reply(ctx, r.t("follows_head")+"\n"+strings.Join(lines, "\n"))
	return nil
}
