package bot

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/newsbot-vn/newsbot/storage"
)

// Escape makes outside text safe inside Telegram HTML: only <, > and & are
// special there, and " inside attributes.
func Escape(s string) string {
	return htmlEscaper.Replace(s)
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// truncate cuts s to at most n runes at a word boundary, adding "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " \n"); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:-–") + "…"
}

// timeLayout is the one way the bot writes a moment: "22:42 03/12/2026",
// in the chat's zone (Vietnam time unless said otherwise, as /help says).
const timeLayout = "15:04 02/01/2006"

// formatTime writes t in loc with timeLayout.
func formatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(timeLayout)
}

// Alert renders an article as an alert: bold title, section, source and
// local time, the summary and the link. Every piece of feed text is escaped.
func Alert(a *storage.Article, lg string, loc *time.Location) string {
	return alert(a, lg, loc, alertSummary)
}

// alertSummary is how much of its summary an alert shows, in characters.
const alertSummary = 600

// alert is Alert with the summary cut to summaryChars.
func alert(a *storage.Article, lg string, loc *time.Location, summaryChars int) string {
	var b strings.Builder
	b.WriteString("<b>" + Escape(truncate(a.Title, 300)) + "</b>\n")
	var meta []string
	if a.SectionName != "" {
		meta = append(meta, Escape(a.SectionName))
	}
	if src := sourceName(a); src != "" {
		meta = append(meta, Escape(src))
	}
	meta = append(meta, formatTime(a.Published, loc))
	b.WriteString("<i>" + strings.Join(meta, " · ") + "</i>\n")
	if a.Summary != "" {
		b.WriteString("\n" + Escape(truncate(a.Summary, summaryChars)) + "\n")
	}
	if a.Link != "" {
		b.WriteString("\n" + link(a.Link, tr(lg, "read_more")+": "+a.Link))
	}
	return strings.TrimRight(b.String(), "\n")
}

// link renders an anchor whose visible text is text.
func link(href, text string) string {
	return `<a href="` + Escape(href) + `">` + Escape(text) + `</a>`
}

// sourceName is the outlet: the feed's title, else the link's host.
func sourceName(a *storage.Article) string {
	if a.Source != "" && !strings.Contains(a.Source, "://") {
		return truncate(a.Source, 60)
	}
	link := a.Link
	if link == "" {
		link = a.Source
	}
	if i := strings.Index(link, "://"); i >= 0 {
		host := link[i+3:]
		if j := strings.IndexAny(host, "/?#"); j >= 0 {
			host = host[:j]
		}
		return strings.TrimPrefix(host, "www.")
	}
	return ""
}

// articleLine renders an article as one entry of a list (latest, search).
func articleLine(a *storage.Article, loc *time.Location) string {
	line := "• <b>" + Escape(truncate(a.Title, 200)) + "</b>\n  <i>"
	if a.SectionName != "" {
		line += Escape(a.SectionName) + " · "
	}
	line += formatTime(a.Published, loc) + "</i>"
	if a.Link != "" {
		line += "\n  " + Escape(a.Link)
	}
	return line
}

// PlainText turns the bot's Telegram HTML into plain text for platforms
// without formatting: tags removed, entities decoded, a link whose text is
// not its address followed by the address on its own line.
func PlainText(s string) string {
	var b strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var href, anchor string
	inAnchor := false
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.TextToken:
			text := html.UnescapeString(string(z.Text()))
			if inAnchor {
				anchor += text
			} else {
				b.WriteString(text)
			}
		case xhtml.StartTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "a" {
				continue
			}
			inAnchor, href, anchor = true, "", ""
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "href" {
					href = string(v)
				}
			}
		case xhtml.EndTagToken:
			if name, _ := z.TagName(); string(name) == "a" && inAnchor {
				inAnchor = false
				b.WriteString(anchor)
				if href != "" && !strings.Contains(anchor, href) {
					b.WriteString("\n" + href)
				}
			}
		}
	}
}

// DigestEntry is one alert of a digest: its article and the other
// articles of its story.
type DigestEntry struct {
	Article *storage.Article
	Sources []storage.Article
}

// Digest renders several alerts as one message: a heading, then the
// titles with their links grouped by section, in the order they came, a
// story's other sources under its title (see SourcesLine; linked says
// whether names link to their articles). Platforms split it at line
// boundaries when it is too long for one message.
func Digest(entries []DigestEntry, heading, lg string, loc *time.Location, linked bool) string {
	var order []string
	groups := map[string][]DigestEntry{}
	for _, e := range entries {
		name := e.Article.SectionName
		if _, ok := groups[name]; !ok {
			order = append(order, name)
		}
		groups[name] = append(groups[name], e)
	}
	var b strings.Builder
	b.WriteString("<b>" + heading + "</b>")
	for _, name := range order {
		b.WriteString("\n")
		if name != "" {
			b.WriteString("\n<b>" + Escape(name) + "</b>")
		}
		for _, e := range groups[name] {
			a := e.Article
			title := Escape(truncate(a.Title, 200))
			if a.Link != "" {
				title = link(a.Link, truncate(a.Title, 200))
			}
			b.WriteString("\n• " + title + " <i>" + a.Published.In(loc).Format("15:04") + "</i>")
			if line := SourcesLine(a, e.Sources, lg, linked); line != "" {
				b.WriteString("\n  " + line)
			}
		}
	}
	return b.String()
}

// maxSourceNames is how many outlets a sources line names; the others are
// counted ("+2").
const maxSourceNames = 5

// SourcesLine renders the other outlets that carried an alert's story:
// "Cũng đưa tin: VOV · Nhân Dân · +2" ("Also reported by: …" in English),
// each name a link to its outlet's article when linked (plain names for
// platforms that show plain text), at most maxSourceNames names and then
// how many more. An outlet is named once, by its first article, and the
// alert's own outlet not at all; "" when no other outlet carried it.
func SourcesLine(own *storage.Article, sources []storage.Article, lg string, linked bool) string {
	seen := map[string]bool{}
	if own != nil {
		seen[sourceName(own)] = true
	}
	var names []string
	more := 0
	for i := range sources {
		a := &sources[i]
		name := sourceName(a)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		if len(names) == maxSourceNames {
			more++
			continue
		}
		if linked && a.Link != "" {
			names = append(names, link(a.Link, name))
		} else {
			names = append(names, Escape(name))
		}
	}
	if len(names) == 0 {
		return ""
	}
	if more > 0 {
		names = append(names, fmt.Sprintf("+%d", more))
	}
	return tr(lg, "story_also", strings.Join(names, " · "))
}

// captionLimit is the longest photo caption, in characters, Telegram's:
// the smallest of the platforms'.
const captionLimit = 1024

// storyAlert renders an alert with its story's other sources. When the
// alert goes with a photo, the summary is cut until the whole fits a
// caption: a story alert sent as a photo is edited later with more
// sources, and a caption cannot grow past the limit.
func storyAlert(a *storage.Article, sources []storage.Article, extra, lg string, loc *time.Location, linked bool) string {
	line := SourcesLine(a, sources, lg, linked)
	text := func(summary int) string {
		html := alert(a, lg, loc, summary)
		if line != "" {
			html += "\n\n" + line
		}
		return html + extra
	}
	html := text(alertSummary)
	if line == "" || a.ImageURL == "" {
		return html
	}
	for summary := alertSummary - 100; summary > 0 && utf8.RuneCountInString(PlainText(html)) > captionLimit; summary -= 100 {
		html = text(summary)
	}
	return html
}

// storyNote is what a list entry (/latest, /search) adds for a story
// carried by several outlets: how many, and the command that lists them.
func storyNote(a *storage.Article, lg string) string {
	if a.Sources < 2 {
		return ""
	}
	return "\n  " + tr(lg, "story_count", a.Sources, a.ID)
}
