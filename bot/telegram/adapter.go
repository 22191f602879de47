// Package telegram connects the bot to the Telegram Bot API through
// go-telegram-bot-api, with its own long-poll loop, context-aware requests,
// typed errors and the bot token kept out of every error text.
package telegram

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
)

const (
	// DefaultAPIURL is Telegram's Bot API.
	DefaultAPIURL = "https://api.telegram.org"
	// DefaultPollTimeout is the long-poll timeout when Options leaves it zero.
	DefaultPollTimeout = 30 * time.Second
	// clientMargin is how much longer than a long poll a request may take
	// before the HTTP client gives up on it.
	clientMargin = 10 * time.Second
)

// Options configures New.
type Options struct {
	Token string
	// APIURL is the Bot API base, "https://api.telegram.org" when empty;
	// requests go to APIURL + "/bot<token>/<method>".
	APIURL string
	// PollTimeout is getUpdates' long-poll timeout, DefaultPollTimeout when zero.
	PollTimeout time.Duration
	// Commands are registered in the command menu, in Vietnamese by default
	// and in English for English-speaking users.
	Commands []bot.Command
	Log      *slog.Logger
	// HTTPClient is copied; its Timeout is raised to a little more than
	// PollTimeout if it is shorter.
	HTTPClient *http.Client
	// WebhookURL, when set, makes Run call setWebhook with it and
	// WebhookSecret and take updates from WebhookHandler instead of
	// polling. WebhookSecret must then be 1–256 of A-Z a-z 0-9 _ -.
	WebhookURL    string
	WebhookSecret string
}

// Adapter is the Telegram bot.Platform. Its methods are safe for concurrent
// use; Run must run once at a time.
type Adapter struct {
	api         *tgbotapi.BotAPI // never used directly: see call
	client      *http.Client
	token       string
	fileBase    string // APIURL + "/file/bot": files are at fileBase + token + "/" + path
	pollTimeout time.Duration
	log         *slog.Logger
	now         func() time.Time
	backoffMin  time.Duration
	backoffMax  time.Duration

	webhookURL    string
	webhookSecret string
	hook          *bot.HookQueue
}

var _ bot.Platform = (*Adapter)(nil)

// New checks the token with getMe and registers opts.Commands (a failure
// there is logged, not returned). It returns an error when getMe fails.
func New(ctx context.Context, opts Options) (*Adapter, error) {
	if opts.Token == "" {
		return nil, errors.New("telegram: empty token")
	}
	if err := checkWebhook(opts.WebhookURL, opts.WebhookSecret); err != nil {
		return nil, err
	}
	base := strings.TrimRight(opts.APIURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	poll := opts.PollTimeout
	if poll <= 0 {
		poll = DefaultPollTimeout
	}
	client := bot.HTTPClient(opts.HTTPClient, poll+clientMargin)
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		client:      client,
		token:       opts.Token,
		fileBase:    base + "/file/bot",
		pollTimeout: poll,
		log:         log,
		now:         time.Now,
		backoffMin:  time.Second,
		backoffMax:  30 * time.Second,

		webhookURL:    opts.WebhookURL,
		webhookSecret: opts.WebhookSecret,
		hook:          bot.NewHookQueue(queueSize, recentSize),
	}
	// The endpoint is a format string: a '%' in the base must not count.
	endpoint := strings.ReplaceAll(base, "%", "%%") + "/bot%s/%s"
	api, err := tgbotapi.NewBotAPIWithClient(opts.Token, endpoint, ctxClient{ctx: ctx, client: client})
	if err != nil {
		return nil, a.mapError("getMe", err)
	}
	api.Client = client
	a.api = api
	a.registerCommands(ctx, opts.Commands)
	return a, nil
}

// Name returns "telegram".
func (a *Adapter) Name() string { return "telegram" }

// Buttons returns true: Telegram shows inline keyboards.
func (a *Adapter) Buttons() bool { return true }

// Username returns the bot's username without "@".
func (a *Adapter) Username() string { return a.api.Self.UserName }

// ID returns the bot's user id.
func (a *Adapter) ID() int64 { return a.api.Self.ID }

// ctxClient makes tgbotapi's context-free requests honour ctx.
type ctxClient struct {
	ctx    context.Context
	client *http.Client
}

func (c ctxClient) Do(r *http.Request) (*http.Response, error) {
	return c.client.Do(r.WithContext(c.ctx))
}

// call returns a copy of the API client whose requests end with ctx.
func (a *Adapter) call(ctx context.Context) *tgbotapi.BotAPI {
	api := *a.api
	api.Client = ctxClient{ctx: ctx, client: a.client}
	return &api
}

// registerCommands sets the command menu: the default list in Vietnamese and
// an English one for users whose language_code is "en".
func (a *Adapter) registerCommands(ctx context.Context, cmds []bot.Command) {
	if len(cmds) == 0 {
		return
	}
	for _, lang := range []string{"", "en"} {
		list := make([]tgbotapi.BotCommand, 0, len(cmds))
		for _, c := range cmds {
			list = append(list, tgbotapi.BotCommand{
				Command:     strings.TrimPrefix(c.Name, "/"),
				Description: describe(c, lang),
			})
		}
		cfg := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeDefault(), lang, list...)
		if _, err := a.call(ctx).Request(cfg); err != nil {
			a.log.Warn("telegram: unable to register commands", slog.String("lang", lang), slog.Any("err", a.mapError("setMyCommands", err)))
		}
	}
}

// describe picks a command's description for lang ("" is Vietnamese),
// falling back to the other language, then to the name.
func describe(c bot.Command, lang string) string {
	order := []string{"vi", "en"}
	if lang == "en" {
		order = []string{"en", "vi"}
	}
	for _, l := range order {
		if d := c.Description[l]; d != "" {
			return d
		}
	}
	return c.Name
}

// ChatMember returns userID's status in chatID ("creator", "administrator",
// "member", "restricted", "left", "kicked") and whether it may post there:
// true for the creator and for an administrator with can_post_messages,
// which is what a channel requires.
func (a *Adapter) ChatMember(ctx context.Context, chatID string, userID int64) (status string, canPost bool, err error) {
	cfg := tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{UserID: userID}}
	if id, perr := strconv.ParseInt(chatID, 10, 64); perr == nil {
		cfg.ChatID = id
	} else {
		cfg.SuperGroupUsername = chatID // "@channelname"
	}
	m, err := a.call(ctx).GetChatMember(cfg)
	if err != nil {
		return "", false, a.mapError("getChatMember", err)
	}
	canPost = m.Status == "creator" || (m.Status == "administrator" && m.CanPostMessages)
	return m.Status, canPost, nil
}
