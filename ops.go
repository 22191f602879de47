package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/feeds"
	"github.com/newsbot-vn/newsbot/storage"
)

const toolsUsage = `Maintenance commands (they run beside a running bot, on the same database):
  newsbot -config FILE backup OUT                  write a consistent copy of the database to OUT
  newsbot -config FILE opml export                 print the feeds as OPML (> feeds.opml)
  newsbot -config FILE opml import OPML [-section KEY]
                                                   add the feeds of an OPML file; folders name sections
  newsbot -config FILE healthcheck [URL]           GET http://<http.listen>/healthz; exit 0 when healthy
`

// runTool runs a maintenance command. None takes the database's lock: they
// are meant to run beside the bot that owns it.
func runTool(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) int {
	switch {
	case args[0] == "backup" && len(args) == 2:
		return toolBackup(ctx, cfg, args[1], stdout, stderr)
	case args[0] == "opml" && len(args) == 2 && args[1] == "export":
		return toolOPMLExport(ctx, cfg, stdout, stderr)
	case args[0] == "opml" && len(args) >= 3 && args[1] == "import":
		return toolOPMLImport(ctx, cfg, args[2:], stdout, stderr)
	case args[0] == "healthcheck" && len(args) <= 2:
		target := ""
		if len(args) == 2 {
			target = args[1]
		}
		return toolHealthcheck(ctx, cfg, target, stdout, stderr)
	}
	fmt.Fprintf(stderr, "newsbot: unknown command %q\n\n%s", strings.Join(args, " "), toolsUsage)
	return 2
}

func toolBackup(ctx context.Context, cfg Config, out string, stdout, stderr io.Writer) int {
	start := time.Now()
	if err := storage.Backup(ctx, cfg.Database, out); err != nil {
		fmt.Fprintln(stderr, "backup:", err)
		return 1
	}
	size := int64(0)
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(stdout, "backup: %s written (%d bytes, %s)\n", out, size, time.Since(start).Round(time.Millisecond))
	return 0
}

// openExisting opens the database for a maintenance command: it must exist
// (a typo in -config must not create an empty one beside the real one).
func openExisting(ctx context.Context, path string) (*storage.Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("database %s: %w (is -config the bot's configuration?)", path, err)
	}
	return storage.Open(ctx, path)
}

func toolOPMLExport(ctx context.Context, cfg Config, stdout, stderr io.Writer) int {
	store, err := openExisting(ctx, cfg.Database)
	if err != nil {
		fmt.Fprintln(stderr, "opml export:", err)
		return 1
	}
	defer store.Close()
	data, err := exportOPML(ctx, store)
	if err != nil {
		fmt.Fprintln(stderr, "opml export:", err)
		return 1
	}
	stdout.Write(data)
	return 0
}

func toolOPMLImport(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("opml import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	section := fs.String("section", "", "put every feed in this section instead of matching folders")
	// The file may come before or after -section.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if file == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "usage: newsbot -config FILE opml import OPML [-section KEY]\n")
		return 2
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "opml import:", err)
		return 1
	}
	store, err := openExisting(ctx, cfg.Database)
	if err != nil {
		fmt.Fprintln(stderr, "opml import:", err)
		return 1
	}
	defer store.Close()
	// Stored without a fetch: the running bot polls them from its next
	// start, and a feed's first poll is silent.
	add := func(ctx context.Context, url, section string) error {
		_, err := store.AddFeed(ctx, url, section, "")
		return err
	}
	rep, err := importOPML(ctx, store, data, *section, add)
	if err != nil {
		fmt.Fprintln(stderr, "opml import:", err)
		return 1
	}
	fmt.Fprintf(stdout, "opml import: %d feeds in %s: %d added, %d already there, %d without a section, %d failed\n",
		rep.Feeds, file, len(rep.Added), len(rep.Existing), len(rep.NoSection), len(rep.Failed))
	for _, u := range rep.Added {
		fmt.Fprintln(stdout, "  added:", u)
	}
	for _, u := range rep.NoSection {
		fmt.Fprintln(stdout, "  no section (use -section KEY, or name the folder as a section):", u)
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(stdout, "  failed: %s: %s\n", f.URL, f.Err)
	}
	if len(rep.Added) > 0 {
		fmt.Fprintln(stdout, "A running bot polls the new feeds from its next start; /addfeed adds one at once.")
	}
	if len(rep.Failed) > 0 {
		return 1
	}
	return 0
}

// exportOPML renders the stored sections and feeds as OPML.
func exportOPML(ctx context.Context, store *storage.Store) ([]byte, error) {
	sections, err := store.Sections(ctx)
	if err != nil {
		return nil, err
	}
	list, err := store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := feeds.WriteOPML(&buf, "newsbot", sections, list, time.Now()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// importOPML adds the feeds of an OPML document with add: each to section
// when it is given, else to the section its innermost folder (or category)
// names, by key or by name without diacritics. Feeds already stored are
// left as they are.
func importOPML(ctx context.Context, store *storage.Store, data []byte, section string,
	add func(ctx context.Context, url, section string) error) (bot.OPMLReport, error) {
	var rep bot.OPMLReport
	if section != "" {
		sec, err := store.FindSection(ctx, section)
		if err != nil {
			if errors.Is(err, storage.ErrUnknownSection) {
				return rep, fmt.Errorf("%w: %q", bot.ErrUnknownSection, section)
			}
			return rep, err
		}
		section = sec.Key
	}
	list, err := feeds.ParseOPML(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, feeds.ErrNotOPML) {
			return rep, fmt.Errorf("%w: %v", bot.ErrBadOPML, err)
		}
		return rep, err
	}
	rep.Feeds = len(list)
	for _, f := range list {
		if ctx.Err() != nil {
			rep.Failed = append(rep.Failed, bot.OPMLFailure{URL: f.URL, Err: ctx.Err()})
			continue
		}
		if _, err := store.FeedByURL(ctx, storage.NormalizeFeedURL(f.URL)); err == nil {
			rep.Existing = append(rep.Existing, f.URL)
			continue
		}
		key := section
		for i := len(f.Folders) - 1; key == "" && i >= 0; i-- {
			if sec, err := store.FindSection(ctx, f.Folders[i]); err == nil {
				key = sec.Key
			}
		}
		if key == "" {
			rep.NoSection = append(rep.NoSection, f.URL)
			continue
		}
		if err := add(ctx, f.URL, key); err != nil {
			rep.Failed = append(rep.Failed, bot.OPMLFailure{URL: f.URL, Err: err})
			continue
		}
		rep.Added = append(rep.Added, f.URL)
	}
	return rep, nil
}

// toolHealthcheck GETs the bot's /healthz (the container's HEALTHCHECK: a
// static image has no curl) and exits 0 when it answers 200.
func toolHealthcheck(ctx context.Context, cfg Config, target string, stdout, stderr io.Writer) int {
	if target == "" {
		if cfg.HTTP.Listen == "" {
			fmt.Fprintln(stderr, "healthcheck: http.listen is not set; the bot serves /healthz there")
			return 1
		}
		host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
		if err != nil {
			fmt.Fprintln(stderr, "healthcheck: http.listen:", err)
			return 1
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	stdout.Write(body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck:", resp.Status)
		return 1
	}
	return 0
}

// ExportOPML is /export: every stored feed as OPML.
func (f feedAdmin) ExportOPML(ctx context.Context) ([]byte, error) { return exportOPML(ctx, f.store) }

// ImportOPML is an admin's .opml document: each feed is checked and added
// as /addfeed does (and polled from then on), one after another.
func (f feedAdmin) ImportOPML(ctx context.Context, data []byte, section string) (bot.OPMLReport, error) {
	return importOPML(ctx, f.store, data, section, func(ctx context.Context, url, section string) error {
		_, _, err := f.AddFeed(ctx, url, section, false)
		return err
	})
}
