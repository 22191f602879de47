// Package bot is the conversation and the delivery: a platform-neutral core
// (commands, rendering, languages, the dispatcher) that adapters for
// Telegram, the console and others plug into.
package bot

import (
	"context"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/newsbot-vn/newsbot/storage"
)

// FeedAdmin adds and removes feeds at run time; the feed scheduler implements it.
type FeedAdmin interface {
	// AddFeed checks that url is a feed, stores it in section with its
	// current items (not announced) and schedules it; fullText makes later
	// polls fetch article pages for items with only a title or teaser. It
	// returns the feed and how many items it had.
	AddFeed(ctx context.Context, url, section string, fullText bool) (storage.Feed, int, error)
	// RemoveFeed stops polling the feed and deletes it (storage.ErrNotFound if none).
	RemoveFeed(ctx context.Context, id int64) error
	// ResumeFeed un-pauses the feed, clears its failures and backoff, and
	// polls it soon; it returns the feed (storage.ErrNotFound if none).
	ResumeFeed(ctx context.Context, id int64) (storage.Feed, error)
}

// Options configures a Bot.
type Options struct {
	Store *storage.Store
	Feeds FeedAdmin
	// Admins holds platform-qualified user ids ("telegram:123") allowed to
	// run admin commands.
	Admins   map[string]bool
	Location *time.Location // where times are shown; default Asia/Ho_Chi_Minh
	Log      *slog.Logger
	// Wake, when set, is called after something was queued (a broadcast) so
	// the dispatcher looks at once.
	Wake func()
	// OnCommand, when set, is called with the name of every command a
	// person sends that the bot knows (as typed: /sub is "sub"), for
	// metrics; it must return quickly.
	OnCommand func(name string)
}

// Bot answers people. One Bot serves every platform.
type Bot struct {
	store  *storage.Store
	feeds  FeedAdmin
	admins map[string]bool
	loc    *time.Location
	log    *slog.Logger
	wake   func()
	onCmd  func(string)

	slow       chan struct{}  // a slot per piece of slow work running (see inBackground)
	background sync.WaitGroup // slow work running
}

// New returns a Bot.
func New(opts Options) *Bot {
	b := &Bot{store: opts.Store, feeds: opts.Feeds, admins: opts.Admins, loc: opts.Location, log: opts.Log, wake: opts.Wake, onCmd: opts.OnCommand}
	if b.loc == nil {
		b.loc = VietnamTime()
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.admins == nil {
		b.admins = map[string]bool{}
	}
	b.slow = make(chan struct{}, slowWorkers)
	return b
}

// Wait waits for the slow work commands started (feed probes, chat
// look-ups) to end; it ends early when the context the updates were handled
// under is cancelled.
func (b *Bot) Wait() { b.background.Wait() }

// VietnamTime returns Asia/Ho_Chi_Minh, or a fixed UTC+7 zone (Vietnam has
// no daylight saving) when the system has no zone database.
func VietnamTime() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600)
}

// maxInput is the longest message the bot reads; longer ones get a reply
// saying so instead of being cut silently.
const maxInput = 1000

// maxBroadcast is the longest /broadcast, leaving room under Telegram's 4096.
const maxBroadcast = 3500

// request is one update being answered.
type request struct {
	Update
	p       Platform
	lang    string
	cmd     string // lower-case, without slash and @bot suffix; "" for plain text
	args    string
	isAdmin bool
	handling
}

// handling is what the update pool adds to a request: how replies are sent
// (paced), and the count of work still running for it.
type handling struct {
	send    func(context.Context, Message) (string, error) // p.Send when nil
	pending *pending                                       // nil outside the pool
}

// send delivers msg through the request's platform, paced when the pool handles it.
func (r *request) send(ctx context.Context, msg Message) (string, error) {
	if r.handling.send != nil {
		return r.handling.send(ctx, msg)
	}
	return r.p.Send(ctx, msg)
}

// reply sends html back to the chat the request came from.
func (r *request) reply(ctx context.Context, html string, buttons ...[]Button) {
	msg := Message{Chat: r.Chat.ChatRef, HTML: html, Buttons: buttons}
	if _, err := r.send(ctx, msg); err != nil {
		slog.Default().Warn("bot: reply failed", "chat", r.Chat.ChatRef.String(), "err", err)
	}
}

func (r *request) t(key string, args ...any) string { return tr(r.lang, key, args...) }

// Handle answers one update from platform p. It never panics on input: a
// handler that fails gets the person a short apology and a log line. Slow
// work a command starts goes on after Handle returns (see Wait).
func (b *Bot) Handle(ctx context.Context, p Platform, u Update) {
	b.handle(ctx, p, u, handling{})
}

func (b *Bot) handle(ctx context.Context, p Platform, u Update, hd handling) {
	r := &request{Update: u, p: p, lang: lang(u.Lang), handling: hd}
	if r.Chat.Lang == "" {
		r.Chat.Lang = r.lang
	}
	r.isAdmin = b.admins[p.Name()+":"+u.UserID]
	defer func() {
		if v := recover(); v != nil {
			b.log.Error("bot: handler panicked", "chat", u.Chat.ChatRef.String(), "panic", v, "stack", string(debug.Stack()))
			r.reply(ctx, r.t("error"))
		}
	}()
	// Best effort: a database that cannot be written (a full disk) must not
	// stop the commands that only read from answering. Commands that write
	// fail on their own and say so.
	if err := b.store.TouchChat(ctx, r.Chat); err != nil {
		b.log.Warn("bot: unable to record chat; answering anyway", "chat", u.Chat.ChatRef.String(), "err", err)
	}
	if u.Callback != nil {
		b.handleCallback(ctx, r)
		return
	}
	if u.Document != nil {
		b.importDocument(ctx, r)
		return
	}
	text := strings.TrimSpace(u.Text)
	if !strings.HasPrefix(text, "/") {
		if r.Chat.Type == "" || r.Chat.Type == "private" {
			r.reply(ctx, r.t("plain_text"))
		}
		return
	}
	r.cmd, r.args = splitCommand(text)
	addressed := false
	if at := strings.IndexByte(r.cmd, '@'); at >= 0 {
		// "/cmd@botname": adapters drop commands that name another bot.
		r.cmd, addressed = r.cmd[:at], true
	}
	b.log.Info("bot: command", "chat", u.Chat.ChatRef.String(), "user", u.UserID, "cmd", r.cmd)
	h, ok := b.handler(r.cmd)
	if ok && b.onCmd != nil {
		b.onCmd(r.cmd)
	}
	if !ok {
		// A group may have other bots: only a command that names us, or
		// any in a private chat, gets the hint.
		if addressed || !isGroup(r.Chat) {
			r.reply(ctx, r.t("unknown_command", Escape(truncate(r.cmd, 40))))
		}
		return
	}
	limit := maxInput
	if h.maxInput > 0 {
		limit = h.maxInput
	}
	if n := utf8.RuneCountInString(text); n > limit {
		r.reply(ctx, r.t("too_long", n, limit))
		return
	}
	if h.admin && !r.isAdmin {
		r.reply(ctx, r.t("not_admin", r.cmd))
		return
	}
	if err := h.fn(ctx, r); err != nil {
		b.log.Error("bot: command failed", "cmd", r.cmd, "chat", u.Chat.ChatRef.String(), "err", err)
		if ctx.Err() == nil { // past its deadline, the pool says it took too long
			r.reply(ctx, r.t("error"))
		}
	}
}

// splitCommand splits "/Cmd@bot  some args" into "cmd@bot" and "some args".
func splitCommand(text string) (string, string) {
	text = strings.TrimPrefix(text, "/")
	cmd, args, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(cmd, "\n\t"); i >= 0 {
		cmd, args = cmd[:i], cmd[i+1:]+" "+args
	}
	return strings.ToLower(cmd), strings.TrimSpace(args)
}

type handler struct {
	fn       func(context.Context, *request) error
	admin    bool
	maxInput int // longest message it takes, in characters; maxInput when 0
}

func (b *Bot) handler(cmd string) (handler, bool) {
	switch cmd {
	case "start":
		return handler{fn: b.start}, true
	case "help":
		return handler{fn: b.help}, true
	case "id":
		return handler{fn: b.whoami}, true
	case "sections":
		return handler{fn: b.sections}, true
	case "subscribe", "sub":
		return handler{fn: b.subscribe}, true
	case "unsubscribe", "unsub":
		return handler{fn: b.unsubscribe}, true
	case "mysubs":
		return handler{fn: b.mysubs}, true
	case "latest":
		return handler{fn: b.latest}, true
	case "search":
		return handler{fn: b.search}, true
	case "more":
		return handler{fn: b.more}, true
	case "nguon":
		return handler{fn: b.nguon}, true
	case "follow":
		return handler{fn: b.follow}, true
	case "unfollow":
		return handler{fn: b.unfollow}, true
	case "follows":
		return handler{fn: b.follows}, true
	case "addfeed":
		return handler{fn: b.addFeed, admin: true}, true
	case "delfeed":
		return handler{fn: b.delFeed, admin: true}, true
	case "feeds":
		return handler{fn: b.listFeeds, admin: true}, true
	case "resumefeed":
		return handler{fn: b.resumeFeed, admin: true}, true
	case "digest":
		return handler{fn: b.digest}, true
	case "quiet":
		return handler{fn: b.quiet}, true
	case "channel":
		return handler{fn: b.channel, admin: true}, true
	case "channels":
		return handler{fn: b.channels, admin: true}, true
	case "stats":
		return handler{fn: b.stats, admin: true}, true
	case "export":
		return handler{fn: b.exportFeeds, admin: true}, true
	case "broadcast":
		return handler{fn: b.broadcast, admin: true, maxInput: maxBroadcast}, true
	}
	return handler{}, false
}

// Commands lists the commands for the platforms' command menus.
func Commands() []Command {
	c := func(name, vi, en string) Command {
		return Command{Name: name, Description: map[string]string{"vi": vi, "en": en}}
	}
	return []Command{
		c("start", "Giới thiệu bot", "About this bot"),
		c("help", "Danh sách lệnh", "List of commands"),
		c("id", "Mã của bạn và của cuộc trò chuyện", "Your id and this chat's"),
		c("sections", "Các chuyên mục, bấm để đăng ký", "Sections; tap to subscribe"),
		c("subscribe", "Đăng ký một chuyên mục", "Subscribe to a section"),
		c("unsubscribe", "Hủy đăng ký một chuyên mục", "Unsubscribe from a section"),
		c("mysubs", "Chuyên mục bạn đang nhận", "Your subscriptions"),
		c("latest", "5 tin mới nhất", "The 5 newest articles"),
		c("search", "Tìm bài đã đăng", "Search articles"),
		c("more", "Trang kết quả tiếp theo", "Next page of results"),
		c("nguon", "Các báo cùng đưa một tin", "Every outlet that carried a story"),
		c("follow", "Báo khi có bài chứa cụm từ", "Alert on articles with a phrase"),
		c("unfollow", "Thôi theo dõi cụm từ", "Stop following a phrase"),
		c("follows", "Các cụm từ đang theo dõi", "Phrases you follow"),
		c("digest", "Nhận bản tin theo giờ hoặc hằng ngày", "Hourly or daily digests"),
		c("quiet", "Giờ yên lặng", "Quiet hours"),
	}
}
