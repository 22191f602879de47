package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// isGroup is true for chats with several people, where settings belong to
// the group and only its administrators may change them.
func isGroup(c storage.Chat) bool {
	return c.Type == "group" || c.Type == "supergroup"
}

// mayChangeGroup reports whether the request's user may change the group's
// subscriptions: a bot admin, or an administrator of the group. It replies
// with the refusal itself.
func (b *Bot) mayChangeGroup(ctx context.Context, r *request) bool {
	if !isGroup(r.Chat) || r.isAdmin {
		return true
	}
	ca, ok := r.p.(ChatAdmin)
	if !ok {
		return true
	}
	admin, err := ca.IsChatAdmin(ctx, r.Chat.ID, r.UserID)
	if err != nil {
		b.log.Warn("bot: check group admin", "chat", r.Chat.ChatRef.String(), "err", err)
	}
	if !admin {
		r.reply(ctx, r.t("group_admin_only"))
	}
	return admin
}

func (b *Bot) digest(ctx context.Context, r *request) error {
	if !b.mayChangeGroup(ctx, r) {
		return nil
	}
	fields := strings.Fields(strings.ToLower(r.args))
	mode, at := "", 0
	switch {
	case len(fields) == 1 && (fields[0] == "off" || fields[0] == "hourly"):
		mode = fields[0]
	case len(fields) == 2 && fields[0] == "daily":
		if m, ok := parseTimeOfDay(fields[1]); ok {
			mode, at = "daily", m
		}
	}
	if mode == "" {
		r.reply(ctx, r.t("digest_usage"))
		return nil
	}
	if err := b.store.SetDigest(ctx, r.Chat.ChatRef, mode, at); err != nil {
		return err
	}
	chat, err := b.store.Chat(ctx, r.Chat.ChatRef)
	if err != nil {
		return err
	}
	r.reply(ctx, r.t("mode_set", b.modeText(chat, r.lang)))
	return nil
}

func (b *Bot) quiet(ctx context.Context, r *request) error {
	if !b.mayChangeGroup(ctx, r) {
		return nil
	}
	args := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(r.args)), " ", "")
	start, end := -1, -1
	if args != "off" {
		from, to, ok := strings.Cut(strings.NewReplacer("–", "-", "—", "-", "đến", "-", "den", "-", "to", "-").Replace(args), "-")
		s, ok1 := parseTimeOfDay(from)
		e, ok2 := parseTimeOfDay(to)
		if !ok || !ok1 || !ok2 || s == e {
			r.reply(ctx, r.t("quiet_usage"))
			return nil
		}
		start, end = s, e
	}
	if err := b.store.SetQuiet(ctx, r.Chat.ChatRef, start, end); err != nil {
		return err
	}
	chat, err := b.store.Chat(ctx, r.Chat.ChatRef)
	if err != nil {
		return err
	}
	r.reply(ctx, r.t("mode_set", b.modeText(chat, r.lang)))
	return nil
}

// parseTimeOfDay reads a time of day as people write it: "22:00", "6:00",
// "22h", "6h30", "22g", "07.30", "22"; it returns minutes after midnight.
func parseTimeOfDay(s string) (int, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "giờ"), "gio")
	h, m := s, ""
	for _, sep := range []string{":", "h", "g", "."} {
		if a, b, ok := strings.Cut(s, sep); ok {
			h, m = a, b
			break
		}
	}
	if m == "" {
		m = "0"
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(h) > 2 || len(m) > 2 || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, false
	}
	return hour*60 + minute, true
}

// modeText says how the chat takes its alerts.
func (b *Bot) modeText(c storage.Chat, lg string) string {
	var s string
	switch c.Digest {
	case "hourly":
		s = tr(lg, "mode_hourly")
	case "daily":
		s = tr(lg, "mode_daily", clock(c.DigestAt))
	default:
		s = tr(lg, "mode_each")
	}
	if c.QuietStart >= 0 {
		s += "\n" + tr(lg, "mode_quiet", clock(c.QuietStart), clock(c.QuietEnd))
	}
	return s
}

// channel binds (/channel add @name KEY...) or unbinds (/channel del @name)
// a channel or group the bot posts to. Looking the chat up asks the
// platform, which may be slow: it answers at once and reports when done.
func (b *Bot) channel(ctx context.Context, r *request) error {
	fields := strings.Fields(r.args)
	if len(fields) < 2 || (fields[0] != "add" && fields[0] != "del") || (fields[0] == "add" && len(fields) < 3) {
		r.reply(ctx, r.t("channel_usage", b.validKeys(ctx)))
		return nil
	}
	ca, ok := r.p.(ChatAdmin)
	if !ok {
		r.reply(ctx, r.t("channel_unsupported"))
		return nil
	}
	ref := fields[1]
	var keys []string
	if fields[0] == "add" {
		var unknown string
		var err error
		keys, unknown, err = b.resolveSections(ctx, strings.Join(fields[2:], " "))
		if err != nil {
			return err
		}
		if unknown != "" {
			r.reply(ctx, r.t("unknown_section", Escape(truncate(unknown, 60)), b.validKeys(ctx)))
			return nil
		}
	}
	b.inBackground(ctx, r, r.t("channel_checking", Escape(truncate(ref, 80))), func(ctx context.Context) error {
		chat, err := ca.ResolveChat(ctx, ref)
		if err != nil {
			r.reply(ctx, r.t("channel_not_found", Escape(truncate(ref, 80)), Escape(truncate(err.Error(), 200))))
			return nil
		}
		name := chat.Title
		if name == "" {
			name = ref
		}
		if fields[0] == "del" {
			if err := b.store.UnbindChat(ctx, chat.ChatRef); errors.Is(err, storage.ErrNotFound) {
				r.reply(ctx, r.t("channel_not_bound", Escape(name)))
				return nil
			} else if err != nil {
				return err
			}
			r.reply(ctx, r.t("channel_deleted", Escape(name)))
			return nil
		}
		ok, why, err := ca.BotCanPost(ctx, chat)
		if err != nil {
			why = err.Error()
		}
		if !ok {
			r.reply(ctx, r.t("channel_cannot_post", Escape(name), Escape(why)))
			return nil
		}
		if err := b.store.BindChat(ctx, chat, keys); err != nil {
			return err
		}
		r.reply(ctx, r.t("channel_added", Escape(name), b.names(ctx, keys)))
		return nil
	})
	return nil
}

func (b *Bot) channels(ctx context.Context, r *request) error {
	bindings, err := b.store.Bindings(ctx, r.p.Name())
	if err != nil {
		return err
	}
	if len(bindings) == 0 {
		r.reply(ctx, r.t("channels_none"))
		return nil
	}
	lines := []string{r.t("channels_head")}
	for _, bd := range bindings {
		state := ""
		if !bd.Chat.Active {
			state = " ⚠️ " + r.t("inactive")
		}
		lines = append(lines, fmt.Sprintf("• %s (<code>%s</code>, %s)%s — %s", Escape(bd.Chat.Title), Escape(bd.Chat.ID),
			Escape(bd.Chat.Type), state, b.names(ctx, bd.Sections)))
	}
	r.reply(ctx, strings.Join(lines, "\n"))
	return nil
}

// stats answers /stats. It only reads, so it answers when the database
// cannot be written too, and then says so first.
func (b *Bot) stats(ctx context.Context, r *request) error {
	lines := []string{r.t("stats_head")}
	if herr, since := b.store.WriteHealth(); herr != nil {
		lines = append(lines, r.t("stats_unwritable", b.sinceText(since), Escape(truncate(herr.Error(), 300))))
	}
	st, err := b.store.Stats(ctx, time.Now())
	if err != nil {
		if len(lines) == 1 {
			return err
		}
		// The warning is the news; the counts can wait.
		b.log.Error("bot: stats", "err", err)
		r.reply(ctx, strings.Join(lines, "\n"))
		return nil
	}
	lines = append(lines,
		r.t("stats_feeds", st.FeedsOK+st.FeedsFailing+st.FeedsNew, st.FeedsOK, st.FeedsFailing, st.FeedsNew),
		r.t("stats_articles", st.Articles, st.Articles24h),
	)
	names := make([]string, 0, len(st.Platforms))
	for name := range st.Platforms {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := st.Platforms[name]
		lines = append(lines, r.t("stats_platform", Escape(name), p.ChatsActive, p.ChatsInactive, p.Sent, p.Pending, p.Failed, p.Dropped))
	}
	oldest := "—"
	if st.QueueDepth > 0 {
		oldest = st.OldestPending.Round(time.Second).String()
	}
	lines = append(lines, r.t("stats_queue", st.QueueDepth, oldest))
	lines = append(lines, r.t("stats_db", megabytes(r.lang, st.DBBytes), keepText(r, st.Retention)))
	if !st.LastPrune.IsZero() {
		lines = append(lines, r.t("stats_pruned", b.sinceText(st.LastPrune), st.LastPruned.Articles, st.LastPruned.Deliveries))
	}
	r.reply(ctx, strings.Join(lines, "\n"))
	return nil
}

// megabytes shows a size in MB with one decimal, with a decimal comma in
// Vietnamese.
func megabytes(lang string, n int64) string {
	s := strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// keepText shows the retention setting: whole days as days.
func keepText(r *request, keep time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case keep <= 0:
		return r.t("stats_keep_off")
	case keep%day == 0:
		return r.t("stats_keep_days", int(keep/day))
	}
	return keep.String()
}

// sinceText shows a moment of the recent past in the bot's zone: the time,
// with the date when it was not today.
func (b *Bot) sinceText(t time.Time) string {
	t, now := t.In(b.loc), time.Now().In(b.loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format(timeLayout)
}

func (b *Bot) broadcast(ctx context.Context, r *request) error {
	if r.args == "" {
		r.reply(ctx, r.t("broadcast_usage"))
		return nil
	}
	// The update's id is recorded with the deliveries, so that the same
	// update handled again (after a crash, a replay) queues nothing more.
	// The console's updates have no id, and nothing replays them.
	var n int
	first := true
	var err error
	if r.ID != "" {
		n, first, err = b.store.EnqueueBroadcastOnce(ctx, r.p.Name(), r.ID, r.args)
	} else {
		n, err = b.store.EnqueueBroadcast(ctx, r.args)
	}
	if err != nil {
		return err
	}
	if !first {
		r.reply(ctx, r.t("broadcast_already", n))
		return nil
	}
	if b.wake != nil {
		b.wake()
	}
	r.reply(ctx, r.t("broadcast_queued", n))
	return nil
}
