// Command newsbot watches news feeds and alerts the chats subscribed to
// their sections, on Telegram or in a terminal (-console).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Ho_Chi_Minh on machines without a zone database

	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/console"
	"github.com/newsbot-vn/newsbot/bot/telegram"
	"github.com/newsbot-vn/newsbot/bot/zalo"
	"github.com/newsbot-vn/newsbot/feeds"
	"github.com/newsbot-vn/newsbot/storage"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Config is the YAML configuration file.
type Config struct {
	Database string          `yaml:"database"`
	Telegram TelegramConfig  `yaml:"telegram"`
	Zalo     ZaloConfig      `yaml:"zalo"`
	HTTP     HTTPConfig      `yaml:"http"`
	Poll     PollConfig      `yaml:"poll"`
	Delivery DeliveryConfig  `yaml:"delivery"`
	Summary  SummaryConfig   `yaml:"summary"`
	Commands CommandsConfig  `yaml:"commands"`
	Stories  StoriesConfig   `yaml:"stories"`
	Sections []SectionConfig `yaml:"sections"`
	Feeds    []FeedConfig    `yaml:"feeds"`
	Log      LogConfig       `yaml:"log"`
	Storage  StorageConfig   `yaml:"storage"`
}

// LogConfig is the log: block: what goes to standard error, and how.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn or error; "" = info (warn in -console)
	Format string `yaml:"format"` // text or json
}

// TelegramConfig is the telegram: block.
type TelegramConfig struct {
	Token   string        `yaml:"token"`
	APIURL  string        `yaml:"api_url"`
	Admins  []int64       `yaml:"admins"`
	Webhook WebhookConfig `yaml:"webhook"`
}

// ZaloConfig is the zalo: block; an empty token turns Zalo off.
type ZaloConfig struct {
	Token         string        `yaml:"token"`
	APIURL        string        `yaml:"api_url"`
	Admins        []string      `yaml:"admins"`
	Webhook       WebhookConfig `yaml:"webhook"`
	RatePerSecond float64       `yaml:"rate_per_second"`
}

// WebhookConfig is a platform's webhook: an empty URL means long polling.
type WebhookConfig struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

// HTTPConfig is the http: block: where webhooks (and /healthz) are served.
type HTTPConfig struct {
	Listen string `yaml:"listen"`
}

// PollConfig is the poll: block.
type PollConfig struct {
	Schedule              string        `yaml:"schedule"`
	Workers               int           `yaml:"workers"`
	Timeout               time.Duration `yaml:"timeout"`
	MaxAge                time.Duration `yaml:"max_age"`
	AllowPrivateAddresses bool          `yaml:"allow_private_addresses"`
	MaxNewPerPoll         int           `yaml:"max_new_per_poll"` // new items one poll pushes, the newest; the rest are stored only
	MaxFailures           int           `yaml:"max_failures"`     // consecutive failures that pause a feed until /resumefeed
}

// DeliveryConfig is the delivery: block.
type DeliveryConfig struct {
	RatePerSecond float64       `yaml:"rate_per_second"`
	ChatInterval  time.Duration `yaml:"chat_interval"`
	GroupInterval time.Duration `yaml:"group_interval"`
	MaxAttempts   int           `yaml:"max_attempts"`
	Workers       int           `yaml:"workers"`
	// MaxAge is how long an alert failing for reasons not its own (the
	// platform down) is retried before it is given up.
	MaxAge time.Duration `yaml:"max_age"`
	// PaidBroadcast sends alerts through Telegram's paid broadcasts
	// (allow_paid_broadcast) at up to 1 000 a second; Telegram charges
	// Stars for them.
	PaidBroadcast bool `yaml:"paid_broadcast"`
}

// SummaryConfig is the summary: block: the budget of an alert's summary.
type SummaryConfig struct {
	MaxChars     int `yaml:"max_chars"`
	MaxSentences int `yaml:"max_sentences"`
}

// CommandsConfig is the commands: block: how people's updates are handled.
type CommandsConfig struct {
	Workers   int           `yaml:"workers"`    // updates handled at once (a chat's stay in order)
	Timeout   time.Duration `yaml:"timeout"`    // a handler's deadline
	PerMinute int           `yaml:"per_minute"` // commands one user may send a minute; 0 = no limit
}

// StoriesConfig is the stories: block: articles from several outlets about
// one event make one story, and a chat one alert per story.
type StoriesConfig struct {
	Enabled   bool          `yaml:"enabled"`
	Window    time.Duration `yaml:"window"`    // how far apart in publication time a story's articles may be
	Threshold float64       `yaml:"threshold"` // the least similarity that joins an article to a story
}

// SectionConfig is one entry of sections:.
type SectionConfig struct {
	Key  string `yaml:"key"`
	Name string `yaml:"name"`
}

// FeedConfig is one entry of feeds:.
type FeedConfig struct {
	URL      string `yaml:"url"`
	Section  string `yaml:"section"`
	Schedule string `yaml:"schedule"`
	FullText bool   `yaml:"full_text"` // fetch article pages when the feed gives only titles or teasers
}

func defaultConfig() Config {
	return Config{
		Database: "data/newsbot.db",
		Telegram: TelegramConfig{APIURL: telegram.DefaultAPIURL},
		Zalo:     ZaloConfig{APIURL: zalo.DefaultAPIURL, RatePerSecond: 10},
		Poll: PollConfig{Schedule: "@every 5m", Workers: 4, Timeout: 30 * time.Second, MaxAge: 48 * time.Hour,
			MaxNewPerPoll: feeds.DefaultMaxNewPerPoll, MaxFailures: feeds.DefaultMaxFailures},
		Summary:  SummaryConfig{MaxChars: 400, MaxSentences: 3},
		Delivery: DeliveryConfig{RatePerSecond: 25, ChatInterval: time.Second, GroupInterval: 3 * time.Second, MaxAttempts: 8, Workers: 4, MaxAge: 24 * time.Hour},
		Commands: CommandsConfig{Workers: bot.DefaultWorkers, Timeout: bot.DefaultTimeout, PerMinute: bot.DefaultPerMinute},
		Log:      LogConfig{Format: "text"},
		Stories:  StoriesConfig{Enabled: true, Window: storage.DefaultStoryWindow, Threshold: storage.DefaultStoryThreshold},
		Storage:  StorageConfig{Retention: "180d"},
	}
}

// loadConfig reads path over the defaults, strictly (an unknown key is an
// error naming it), then lets the environment override the secrets.
func loadConfig(path string) (Config, error) {
	cfg := defaultConfig()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, fmt.Errorf("config: %w\n  start from the example: cp config.example.yaml %s (or name another file with -config FILE)", err, path)
	}
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		problems := yamlProblems(data, err)
		return cfg, fmt.Errorf("config: %s has %d problem(s):\n  %s", path, len(problems), strings.Join(problems, "\n  "))
	}
	if tok := os.Getenv("TELEGRAM_BOT_TOKEN"); tok != "" {
		cfg.Telegram.Token = tok
	}
	if tok := os.Getenv("ZALO_BOT_TOKEN"); tok != "" {
		cfg.Zalo.Token = tok
	}
	return cfg, nil
}

var (
	sectionKey     = regexp.MustCompile(`^[a-z0-9-]+$`)
	telegramSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Validate returns every problem of the configuration, each naming its key.
func (c Config) Validate() []string {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(c.Database) == "" {
		bad("database", "must be a file path")
	}
	if u, err := url.Parse(c.Telegram.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("telegram.api_url", "%q is not an http(s) URL", c.Telegram.APIURL)
	}
	if u, err := url.Parse(c.Zalo.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("zalo.api_url", "%q is not an http(s) URL", c.Zalo.APIURL)
	}
	if c.Zalo.RatePerSecond <= 0 {
		bad("zalo.rate_per_second", "must be positive")
	}
	for _, w := range []struct {
		key    string
		hook   WebhookConfig
		secret func(string) bool
		rule   string
	}{
		{"telegram.webhook", c.Telegram.Webhook, telegramSecret.MatchString, "1–256 of A-Z a-z 0-9 _ -"},
		{"zalo.webhook", c.Zalo.Webhook, func(s string) bool { return len(s) >= 8 && len(s) <= 256 }, "8–256 characters"},
	} {
		if w.hook.URL == "" {
			continue
		}
		if u, err := url.Parse(w.hook.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(w.key+".url", "%q is not an http(s) URL", w.hook.URL)
		}
		if !w.secret(w.hook.Secret) {
			bad(w.key+".secret", "must be %s", w.rule)
		}
		if c.HTTP.Listen == "" {
			bad("http.listen", "must be set to serve %s", w.key)
		}
	}
	// Both are served by one listener at their URL's path: one path, one webhook.
	if c.Telegram.Webhook.URL != "" && c.Zalo.Webhook.URL != "" && webhookPath(c.Telegram.Webhook.URL) == webhookPath(c.Zalo.Webhook.URL) {
		bad("zalo.webhook.url", "path %q is also telegram.webhook.url's; give each webhook its own path, e.g. /hook/telegram and /hook/zalo",
			webhookPath(c.Zalo.Webhook.URL))
	}
	if c.Telegram.Token != "" && !telegramToken.MatchString(c.Telegram.Token) {
		bad("telegram.token", "is not a bot token: @BotFather gives digits:secret, e.g. 123456789:AAH…")
	}
	if c.Zalo.Token != "" && !zaloToken.MatchString(c.Zalo.Token) {
		bad("zalo.token", "is not a bot token: Zalo Bot Manager gives bot_id:secret, e.g. 1234567890:AbC…")
	}
	switch strings.ToLower(c.Log.Level) {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		bad("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	if f := strings.ToLower(c.Log.Format); f != "text" && f != "json" {
		bad("log.format", "%q must be text or json", c.Log.Format)
	}
	if err := feeds.ValidateSchedule(c.Poll.Schedule); err != nil {
		bad("poll.schedule", "%v", err)
	}
	if c.Poll.Workers < 1 || c.Poll.Workers > 64 {
		bad("poll.workers", "must be between 1 and 64, got %d", c.Poll.Workers)
	}
	if c.Poll.Timeout <= 0 {
		bad("poll.timeout", "must be positive, e.g. 30s")
	}
	if c.Poll.MaxAge < 0 {
		bad("poll.max_age", "must not be negative")
	}
	if c.Poll.MaxNewPerPoll < 1 {
		bad("poll.max_new_per_poll", "must be at least 1, got %d", c.Poll.MaxNewPerPoll)
	}
	if c.Poll.MaxFailures < 1 {
		bad("poll.max_failures", "must be at least 1, got %d", c.Poll.MaxFailures)
	}
	if c.Delivery.RatePerSecond <= 0 {
		bad("delivery.rate_per_second", "must be positive")
	}
	if c.Delivery.ChatInterval < 0 {
		bad("delivery.chat_interval", "must not be negative")
	}
	if c.Delivery.GroupInterval < 0 {
		bad("delivery.group_interval", "must not be negative")
	}
	if c.Delivery.MaxAttempts < 1 {
		bad("delivery.max_attempts", "must be at least 1")
	}
	if c.Delivery.Workers < 1 || c.Delivery.Workers > 64 {
		bad("delivery.workers", "must be between 1 and 64")
	}
	if c.Delivery.MaxAge <= 0 {
		bad("delivery.max_age", "must be positive, e.g. 24h")
	}
	if _, err := parseRetention(c.Storage.Retention); err != nil {
		bad("storage.retention", "%v", err)
	}
	if c.Commands.Workers < 1 || c.Commands.Workers > 256 {
		bad("commands.workers", "must be between 1 and 256, got %d", c.Commands.Workers)
	}
	if c.Commands.Timeout < time.Second || c.Commands.Timeout > 5*time.Minute {
		bad("commands.timeout", "must be between 1s and 5m, got %s", c.Commands.Timeout)
	}
	if c.Commands.PerMinute < 0 || c.Commands.PerMinute > 10000 {
		bad("commands.per_minute", "must be between 0 (no limit) and 10000, got %d", c.Commands.PerMinute)
	}
	if c.Summary.MaxChars < 80 || c.Summary.MaxChars > 1000 {
		bad("summary.max_chars", "must be between 80 and 1000, got %d", c.Summary.MaxChars)
	}
	if c.Summary.MaxSentences < 1 || c.Summary.MaxSentences > 10 {
		bad("summary.max_sentences", "must be between 1 and 10, got %d", c.Summary.MaxSentences)
	}
	validateStories(c.Stories, bad)
	keys := map[string]bool{}
	for i, s := range c.Sections {
		key := fmt.Sprintf("sections[%d]", i)
		switch {
		case !sectionKey.MatchString(s.Key):
			bad(key+".key", "%q must be lower-case letters, digits and -", s.Key)
		case keys[s.Key]:
			bad(key+".key", "%q is listed twice", s.Key)
		}
		keys[s.Key] = true
		if strings.TrimSpace(s.Name) == "" {
			bad(key+".name", "is empty")
		}
	}
	urls := map[string]bool{}
	for i, f := range c.Feeds {
		key := fmt.Sprintf("feeds[%d]", i)
		if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key+".url", "%q is not an http(s) URL", f.URL)
		} else if urls[f.URL] {
			bad(key+".url", "%q is listed twice", f.URL)
		}
		urls[f.URL] = true
		if !keys[f.Section] {
			bad(key+".section", "%q is not a key under sections", f.Section)
		}
		if f.Schedule != "" {
			if err := feeds.ValidateSchedule(f.Schedule); err != nil {
				bad(key+".schedule", "%v", err)
			}
		}
	}
	return problems
}

func versionString() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// run is the program; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("newsbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file (YAML)")
	check := fs.Bool("check", false, "validate the configuration and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	consoleMode := fs.Bool("console", false, "talk to the bot in this terminal instead of Telegram (no token needed)")
	consoleLang := fs.String("lang", "vi", "language of the console user: vi or en")
	standby := fs.Bool("standby", false, "if another newsbot is using the database, wait and take over when it stops")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: newsbot [flags] [command]\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+toolsUsage)
	}
	verbose := fs.Bool("v", false, "log at debug level (overrides log.level)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "newsbot", versionString())
		return 0
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if problems := cfg.Validate(); len(problems) > 0 {
		fmt.Fprintf(stderr, "config: %s has %d problem(s):\n", *configPath, len(problems))
		for _, p := range problems {
			fmt.Fprintln(stderr, "  "+p)
		}
		return 1
	}
	warnings := cfg.Warnings()
	state := func(name, token string) string {
		if token == "" {
			return name + " off (no token)"
		}
		return name + " on"
	}
	if fs.NArg() > 0 {
		// Maintenance commands run beside a running bot: they take no lock.
		return runTool(ctx, cfg, fs.Args(), stdout, stderr)
	}
	if *check {
		for _, w := range warnings {
			fmt.Fprintln(stdout, "warning: "+w)
		}
		fmt.Fprintf(stdout, "config ok: %d sections, %d feeds, database %s, %s, %s\n",
			len(cfg.Sections), len(cfg.Feeds), databaseShown(cfg.Database), state("telegram", cfg.Telegram.Token), state("zalo", cfg.Zalo.Token))
		return 0
	}
	log := newLogger(cfg.Log, *verbose, *consoleMode, stderr)
	for _, w := range warnings {
		log.Warn("config: " + w)
	}
	if !*consoleMode && cfg.Telegram.Token == "" && cfg.Zalo.Token == "" {
		log.Error("no platform to run: set telegram.token (TELEGRAM_BOT_TOKEN) or zalo.token (ZALO_BOT_TOKEN), or use -console")
		return 1
	}
	if err := serve(ctx, cfg, runOptions{console: *consoleMode, consoleLang: lang(*consoleLang), standby: *standby}, stdin, stdout, log); err != nil {
		log.Error("newsbot stopped", "err", err)
		return 1
	}
	return 0
}

func lang(s string) string {
	if s == "en" {
		return "en"
	}
	return "vi"
}

// feedAdmin adapts the scheduler to what the bot needs.
type feedAdmin struct {
	s       *feeds.Scheduler
	store   *storage.Store
	fetcher *feeds.Fetcher // reads a web page's <link rel="alternate"> feeds
}

func (f feedAdmin) AddFeed(ctx context.Context, url, section string, fullText bool) (storage.Feed, int, error) {
	feed, res, err := f.s.AddFeed(ctx, url, section)
	if err != nil {
		return feed, 0, f.explain(ctx, url, err)
	}
	if err := f.store.SetFeedFullText(ctx, feed.ID, fullText); err != nil {
		return feed, 0, err
	}
	feed.FullText = fullText
	return feed, res.New, nil
}

func (f feedAdmin) RemoveFeed(ctx context.Context, id int64) error { return f.s.RemoveFeed(ctx, id) }

func (f feedAdmin) ResumeFeed(ctx context.Context, id int64) (storage.Feed, error) {
	return f.s.ResumeFeed(ctx, id)
}

// runOptions are the command line's choices for serve.
type runOptions struct {
	console     bool   // talk in the terminal instead of on a platform
	consoleLang string // the console user's language
	standby     bool   // wait for the database's owner to stop, then take over
}

// errSessionOver ends the bot when the console's input ended.
var errSessionOver = errors.New("console input ended")

// fileCheckInterval is how often the bot checks that its database file is
// still the one it opened.
const fileCheckInterval = 2 * time.Second

// serve runs the bot until ctx is done (or, in console mode, the input ends),
// then stops everything in reverse order: it stops taking updates, stops
// polling, lets the sends in flight finish, closes the database and, last,
// releases the database's lock.
func serve(ctx context.Context, cfg Config, opts runOptions, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	if err := storage.CheckMissing(cfg.Database); err != nil {
		return err
	}
	lock, err := lockDatabase(ctx, cfg.Database, opts.standby, log)
	if err != nil || lock == nil {
		return err // nil lock: stopped while standing by
	}
	defer lock.Release()

	store, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer store.Close()
	if cfg.Stories.Enabled {
		store.EnableStories(storage.StoryOptions{Window: cfg.Stories.Window, Threshold: cfg.Stories.Threshold})
	}
	watch, err := storage.WatchFile(cfg.Database)
	if err != nil {
		return err
	}
	if err := syncConfig(ctx, store, cfg, log); err != nil {
		return err
	}

	fetcher := feeds.NewFetcher(feeds.FetcherOptions{Timeout: cfg.Poll.Timeout, AllowPrivate: cfg.Poll.AllowPrivateAddresses})
	poller := &feeds.Poller{Store: store, Fetcher: fetcher, MaxAge: cfg.Poll.MaxAge,
		SummaryChars: cfg.Summary.MaxChars, SummarySentences: cfg.Summary.MaxSentences, Log: log,
		MaxNewPerPoll: cfg.Poll.MaxNewPerPoll, MaxFailures: cfg.Poll.MaxFailures}
	m := newMetrics(store, log)
	poller.Observe = m.observePoll
	scheduler := feeds.NewScheduler(poller, feeds.SchedulerOptions{DefaultSchedule: cfg.Poll.Schedule, Workers: cfg.Poll.Workers, Log: log})

	// The admins' private chats (a private chat's id is its user's): where
	// the dispatcher tells them it cannot write the database; their ids,
	// platform-qualified, are who may run admin commands.
	var adminChats []storage.ChatRef
	if opts.console {
		adminChats = append(adminChats, storage.ChatRef{Platform: "console", ID: console.UserID})
	}
	for _, id := range cfg.Telegram.Admins {
		adminChats = append(adminChats, storage.ChatRef{Platform: "telegram", ID: strconv.FormatInt(id, 10)})
	}
	for _, id := range cfg.Zalo.Admins {
		adminChats = append(adminChats, storage.ChatRef{Platform: "zalo", ID: id})
	}
	admins := map[string]bool{}
	for _, ref := range adminChats {
		admins[ref.String()] = true
	}

	// A platform connects inside its own Run, retrying while it cannot, so
	// that one platform's outage at start does not stop the other.
	platforms := map[string]bot.Platform{}
	starting := map[string]*bot.StartingPlatform{}
	webhooks := http.NewServeMux()
	if opts.console {
		platforms["console"] = console.New(stdin, stdout, opts.consoleLang)
	} else {
		if cfg.Telegram.Token != "" {
			starting["telegram"] = bot.Starting(bot.StartOptions{Name: "telegram", Log: log,
				Start: func(ctx context.Context) (bot.Platform, error) {
					return telegram.New(ctx, telegram.Options{Token: cfg.Telegram.Token, APIURL: cfg.Telegram.APIURL, Commands: bot.Commands(),
						WebhookURL: cfg.Telegram.Webhook.URL, WebhookSecret: cfg.Telegram.Webhook.Secret, Log: log})
				}})
			mountWebhook(webhooks, cfg.Telegram.Webhook.URL, starting["telegram"].WebhookHandler())
		}
		if cfg.Zalo.Token != "" {
			starting["zalo"] = bot.Starting(bot.StartOptions{Name: "zalo", Log: log,
				Fatal: func(err error) bool {
					return errors.Is(err, zalo.ErrUnauthorized) || errors.Is(err, bot.ErrUnauthorized)
				},
				Start: func(ctx context.Context) (bot.Platform, error) {
					return zalo.New(ctx, zalo.Options{Token: cfg.Zalo.Token, APIURL: cfg.Zalo.APIURL,
						WebhookURL: cfg.Zalo.Webhook.URL, WebhookSecret: cfg.Zalo.Webhook.Secret, Log: log})
				}})
			mountWebhook(webhooks, cfg.Zalo.Webhook.URL, starting["zalo"].WebhookHandler())
		}
		for name, sp := range starting {
			platforms[name] = sp
		}
	}
	webhooks.Handle("GET /healthz", &healthz{store: store, schedule: cfg.Poll.Schedule, started: time.Now(), now: time.Now})
	webhooks.Handle("GET /metrics", m.handler())
	var server *http.Server
	var serverLn net.Listener
	if cfg.HTTP.Listen != "" && !opts.console {
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http.listen: %w", err)
		}
		server, serverLn = bot.NewWebhookServer(ln, webhooks)
		log.Info("http listening", "addr", ln.Addr().String())
	}
	dispatcher := bot.NewDispatcher(bot.DispatcherOptions{
		Store: store, Platforms: platforms, Log: log,
		RatePerSecond: cfg.Delivery.RatePerSecond, ChatInterval: cfg.Delivery.ChatInterval,
		GroupInterval: cfg.Delivery.GroupInterval, MaxAttempts: cfg.Delivery.MaxAttempts, Workers: cfg.Delivery.Workers,
		PlatformRates: map[string]float64{"zalo": cfg.Zalo.RatePerSecond},
		MaxAge:        cfg.Delivery.MaxAge, Admins: adminChats,
		Observe:       m.observeSend,
		PaidBroadcast: cfg.Delivery.PaidBroadcast,
	})
	core := bot.New(bot.Options{Store: store, Feeds: feedAdmin{s: scheduler, store: store, fetcher: fetcher}, Admins: admins, Log: log, Wake: dispatcher.Wake,
		OnCommand: m.countCommand})
	poller.Notify = func(ctx context.Context, n feeds.Notice) {
		err := core.NotifyFeed(ctx, bot.FeedNotice{Kind: string(n.Kind), FeedID: n.FeedID, URL: n.URL,
			Failures: n.Failures, Error: n.Error, New: n.New, Pushed: n.Pushed, Withheld: n.Withheld})
		if err != nil {
			log.Error("unable to tell the admins about a feed", "feed_id", n.FeedID, "kind", string(n.Kind), "err", err)
		}
	}
	// Every update goes through the inbox (Zalo's replays are dropped
	// there too) to a bounded pool of workers.
	updates := bot.NewUpdates(core, bot.UpdatesOptions{Store: store, Workers: cfg.Commands.Workers, Timeout: cfg.Commands.Timeout,
		PerMinute: cfg.Commands.PerMinute, Pace: dispatcher.Turn, Log: log})
	scheduler.OnSaved(func(res storage.SaveResult) {
		if res.Enqueued > 0 {
			dispatcher.Wake()
		}
	})

	// Every part runs in the group: the first to fail stops the others, and
	// Wait returns only when all have returned, so nothing outlives the
	// store it uses.
	g, gctx := errgroup.WithContext(ctx)
	if err := scheduler.Start(gctx); err != nil {
		return err
	}
	g.Go(func() error {
		<-gctx.Done()
		scheduler.Stop()
		return nil
	})
	g.Go(func() error { return dispatcher.Run(gctx) })
	retention, _ := parseRetention(cfg.Storage.Retention) // validated
	store.SetRetention(retention)
	g.Go(func() error {
		// Fresh query-planner statistics, then retention (and statistics
		// again after a large prune), at start and once a day.
		t := time.NewTicker(24 * time.Hour)
		defer t.Stop()
		for {
			if err := store.Optimize(gctx); err != nil && gctx.Err() == nil {
				log.Warn("unable to optimize the database", "err", err)
			}
			if prune(gctx, store, log) >= 10000 {
				if err := store.Optimize(gctx); err != nil && gctx.Err() == nil {
					log.Warn("unable to optimize the database", "err", err)
				}
			}
			select {
			case <-gctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	g.Go(func() error {
		updates.Run(gctx)
		return nil
	})
	g.Go(func() error {
		// Slow work a command started (an /addfeed probe) finishes before
		// the store closes.
		<-gctx.Done()
		core.Wait()
		return nil
	})
	if server != nil {
		g.Go(func() error {
			if err := server.Serve(serverLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("http server: %w", err)
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			server.Shutdown(shutdownCtx)
			return nil
		})
	}
	g.Go(func() error {
		t := time.NewTicker(fileCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-gctx.Done():
				return nil
			case <-t.C:
				if err := watch.Check(); err != nil {
					return err
				}
			}
		}
	})
	for _, p := range platforms {
		g.Go(func() error {
			target := p
			if sp, ok := p.(*bot.StartingPlatform); ok {
				// Connect first (retrying), so that the updates left from
				// before are answered by a connected platform.
				inner, err := sp.Connect(gctx)
				if err != nil {
					return fmt.Errorf("%s: %w", p.Name(), err)
				}
				if inner == nil {
					return nil // stopped while connecting
				}
				target = inner
			}
			err := updates.Serve(gctx, target)
			switch {
			case err != nil:
				// A platform that cannot go on (a refused webhook, a revoked
				// token) stops the bot, so that its supervisor sees it.
				return fmt.Errorf("%s: %w", p.Name(), err)
			case p.Name() == "console":
				return errSessionOver
			}
			return nil
		})
	}
	log.Info("newsbot running", "version", versionString(), "platforms", len(platforms), "database", cfg.Database)

	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err = <-done:
	case <-gctx.Done():
		// Stopping: give the parts a bounded time to finish their work.
		select {
		case err = <-done:
		case <-time.After(9 * time.Second):
			log.Warn("shutdown took too long; closing anyway")
			err = nil
		}
	}
	if errors.Is(err, errSessionOver) {
		err = nil
	}
	if err != nil {
		return err
	}
	log.Info("newsbot stopped")
	return nil
}

// prune runs a retention pass (storage.retention), logs what it removed,
// and returns how many rows that was.
func prune(ctx context.Context, store *storage.Store, log *slog.Logger) int {
	res, err := store.Prune(ctx, time.Now())
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("unable to prune the database", "err", err)
		}
		return 0
	}
	removed := res.Articles + res.Deliveries + res.Forgotten + res.Other
	level := slog.LevelDebug
	if removed > 0 {
		level = slog.LevelInfo
	}
	log.Log(ctx, level, "retention pass", "articles", res.Articles, "deliveries", res.Deliveries,
		"identities_forgotten", res.Forgotten, "other", res.Other, "freed_pages", res.FreedPages,
		"batches", res.Batches, "longest_batch", res.LongestBatch, "took", res.Took.Round(time.Millisecond))
	return removed
}

// standbyInterval is how often a standby instance tries the database's lock.
const standbyInterval = 500 * time.Millisecond

// lockDatabase takes the database's lock. With standby it waits for the
// owner to stop (or die) and then takes over; it returns a nil lock and no
// error when ctx ends while waiting.
func lockDatabase(ctx context.Context, path string, standby bool, log *slog.Logger) (*storage.Lock, error) {
	waiting := false
	for {
		lock, err := storage.AcquireLock(path)
		var locked *storage.LockedError
		if err == nil {
			if waiting {
				log.Info("standby: the database is free; taking over", "database", path)
			}
			return lock, nil
		}
		if !standby || !errors.As(err, &locked) {
			return nil, err
		}
		if !waiting {
			log.Info("standby: waiting for the running newsbot to stop", "pid", locked.PID, "database", path)
			waiting = true
		}
		t := time.NewTimer(standbyInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		case <-t.C:
		}
	}
}

// mountWebhook serves handler at the path of the webhook's public URL (a
// reverse proxy maps the public URL to this listener).
func mountWebhook(mux *http.ServeMux, webhookURL string, handler http.Handler) {
	if webhookURL == "" {
		return
	}
	path := "/"
	if u, err := url.Parse(webhookURL); err == nil && u.Path != "" {
		path = u.Path
	}
	mux.Handle("POST "+path, handler)
}

// syncConfig makes the database hold what the file says: its sections and
// feeds are added or updated and owned by the file; feeds and sections it
// no longer lists stop (see storage.SyncConfig). Feeds added from the chat
// stay.
func syncConfig(ctx context.Context, store *storage.Store, cfg Config, log *slog.Logger) error {
	sections := make([]storage.Section, len(cfg.Sections))
	for i, s := range cfg.Sections {
		sections[i] = storage.Section{Key: s.Key, Name: s.Name}
	}
	fileFeeds := make([]storage.FileFeed, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		fileFeeds[i] = storage.FileFeed{URL: f.URL, Section: f.Section, Schedule: f.Schedule, FullText: f.FullText}
	}
	res, err := store.SyncConfig(ctx, sections, fileFeeds)
	if err != nil {
		return err
	}
	for _, f := range res.RemovedFeeds {
		log.Info("config: feed removed from the file; stopped, its articles kept", "feed_id", f.ID, "url", f.URL)
	}
	for _, key := range res.RetiredSections {
		log.Info("config: section removed from the file; hidden, its subscriptions kept dormant", "section", key)
	}
	for _, f := range res.AdoptedFeeds {
		log.Info("config: feed added from the chat is now listed in the file; the file owns it", "feed_id", f.ID, "url", f.URL)
	}
	return nil
}
