package bot

import (
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
		b.WriteString("\n" + Escape(truncate(a.Summary, 600)) + "\n")
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

// Digest renders several articles as one message: a heading, then the
// titles with their links grouped by section, in the order they came.
// Platforms split it at line boundaries when it is too long for one message.
func Digest(articles []*storage.Article, heading string, loc *time.Location) string {
	var order []string
	groups := map[string][]*storage.Article{}
	for _, a := range articles {
		name := a.SectionName
		if _, ok := groups[name]; !ok {
			order = append(order, name)
		}
		groups[name] = append(groups[name], a)
	}
	var b strings.Builder
	b.WriteString("<b>" + heading + "</b>")
	for _, name := range order {
		b.WriteString("\n")
		if name != "" {
			b.WriteString("\n<b>" + Escape(name) + "</b>")
		}
		for _, a := range groups[name] {
			title := Escape(truncate(a.Title, 200))
			if a.Link != "" {
				title = link(a.Link, truncate(a.Title, 200))
			}
			b.WriteString("\n• " + title + " <i>" + a.Published.In(loc).Format("15:04") + "</i>")
		}
	}
	return b.String()
}
