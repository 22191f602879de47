package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// Document is a file a person sent (an OPML subscription list).
type Document struct {
	ID   string // the platform's file id, for Documents.FetchDocument
	Name string // the file name as sent, "" if none
	MIME string
	Size int64 // bytes, 0 when the platform did not say
}

// Documents is what platforms that carry files offer (Telegram): fetching
// a document a person sent, and sending one.
type Documents interface {
	// FetchDocument downloads the document with the platform's file id;
	// a document larger than max bytes is an error, not cut.
	FetchDocument(ctx context.Context, id string, max int64) ([]byte, error)
	// SendDocument sends data as a file named name with an HTML caption.
	SendDocument(ctx context.Context, chat storage.ChatRef, name string, data []byte, caption string) error
}

// OPMLAdmin is what the FeedAdmin offers for OPML subscription lists
// (main implements it with the feeds package, which bot does not import).
type OPMLAdmin interface {
	// ExportOPML returns every feed as an OPML document, one folder per section.
	ExportOPML(ctx context.Context) ([]byte, error)
	// ImportOPML adds the feeds of an OPML document, checking each as
	// /addfeed does: into section when it is not "", else into the section
	// its folder names. ErrBadOPML when data is not OPML; ErrUnknownSection
	// when section is not a section.
	ImportOPML(ctx context.Context, data []byte, section string) (OPMLReport, error)
}

// ErrBadOPML means a document is not an OPML subscription list (or is too big).
var ErrBadOPML = errors.New("bot: not an OPML subscription list")

// ErrUnknownSection means the section asked for does not exist.
var ErrUnknownSection = errors.New("bot: unknown section")

// OPMLReport is what an import did.
type OPMLReport struct {
	Feeds     int           // feeds the document lists
	Added     []string      // URLs added
	Existing  []string      // URLs already there, left as they were
	NoSection []string      // URLs whose folders name no section
	Failed    []OPMLFailure // URLs that could not be added
}

// OPMLFailure is a feed an import could not add, and why (for the log and
// the command line; a chat gets a sentence).
type OPMLFailure struct {
	URL string
	Err error
}

// maxOPMLDocument is the largest document the bot downloads for an import.
const maxOPMLDocument = 1 << 20

// exportFeeds answers /export (admin): every feed as an OPML file.
func (b *Bot) exportFeeds(ctx context.Context, r *request) error {
	oa, ok := b.feeds.(OPMLAdmin)
	docs, canSend := r.p.(Documents)
	if !ok || !canSend {
		r.reply(ctx, r.t("opml_no_documents"))
		return nil
	}
	data, err := oa.ExportOPML(ctx)
	if err != nil {
		return err
	}
	name := "newsbot-feeds-" + time.Now().In(b.loc).Format("2006-01-02") + ".opml"
	if err := docs.SendDocument(ctx, r.Chat.ChatRef, name, data, r.t("opml_export_caption")); err != nil {
		return fmt.Errorf("bot: send OPML: %w", err)
	}
	return nil
}

// importDocument answers a document sent to the bot: an admin's .opml file
// is imported (its caption may name a section: "/import thoi-su" or just
// "thoi-su"); anything else gets a sentence saying what the bot reads.
func (b *Bot) importDocument(ctx context.Context, r *request) {
	d := r.Document
	if !isOPMLName(d.Name, d.MIME) {
		if r.Chat.Type == "" || r.Chat.Type == "private" {
			r.reply(ctx, r.t("document_not_opml"))
		}
		return
	}
	if !r.isAdmin {
		r.reply(ctx, r.t("not_admin", "import"))
		return
	}
	docs, canFetch := r.p.(Documents)
	oa, canImport := b.feeds.(OPMLAdmin)
	if !canFetch || !canImport {
		r.reply(ctx, r.t("opml_no_documents"))
		return
	}
	if d.Size > maxOPMLDocument {
		r.reply(ctx, r.t("opml_too_big", maxOPMLDocument>>10))
		return
	}
	section := strings.TrimSpace(r.Text)
	if cmd, args := splitCommand(section); strings.HasPrefix(section, "/") && (cmd == "import" || strings.HasPrefix(cmd, "import@")) {
		section = args
	}
	b.inBackground(ctx, r, r.t("opml_importing"), func(ctx context.Context) error {
		data, err := docs.FetchDocument(ctx, d.ID, maxOPMLDocument)
		if err != nil {
			return err
		}
		rep, err := oa.ImportOPML(ctx, data, section)
		switch {
		case errors.Is(err, ErrBadOPML):
			b.log.Info("bot: OPML import refused", "chat", r.Chat.ChatRef.String(), "err", err)
			r.reply(ctx, r.t("opml_bad"))
			return nil
		case errors.Is(err, ErrUnknownSection):
			r.reply(ctx, r.t("unknown_section", Escape(truncate(section, 60)), b.validKeys(ctx)))
			return nil
		case err != nil:
			return err
		}
		for _, f := range rep.Failed {
			b.log.Info("bot: OPML feed not added", "url", f.URL, "err", f.Err)
		}
		r.reply(ctx, opmlReportHTML(r.lang, rep))
		return nil
	})
}

// isOPMLName reports whether a file looks like an OPML list by its name or type.
func isOPMLName(name, mime string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".opml") || strings.HasSuffix(n, ".opml.xml") || strings.Contains(mime, "opml")
}

// opmlReportHTML tells an admin what an import did, listing the feeds that
// need their attention (at most maxListed of each kind).
func opmlReportHTML(lg string, rep OPMLReport) string {
	const maxListed = 15
	var b strings.Builder
	b.WriteString(tr(lg, "opml_report", rep.Feeds, len(rep.Added), len(rep.Existing), len(rep.NoSection), len(rep.Failed)))
	list := func(key string, urls []string) {
		if len(urls) == 0 {
			return
		}
		b.WriteString("\n\n" + tr(lg, key))
		for i, u := range urls {
			if i == maxListed {
				b.WriteString("\n" + tr(lg, "opml_and_more", len(urls)-maxListed))
				break
			}
			b.WriteString("\n• " + Escape(truncate(redactURL(u), 200)))
		}
	}
	list("opml_added_head", rep.Added)
	list("opml_nosection_head", rep.NoSection)
	failed := make([]string, len(rep.Failed))
	for i, f := range rep.Failed {
		failed[i] = f.URL
	}
	list("opml_failed_head", failed)
	return b.String()
}
