package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/newsbot-vn/newsbot/storage"
)

func (b *Bot) start(ctx context.Context, r *request) error {
	r.reply(ctx, r.t("welcome")+"\n\n"+r.t("start_id", Escape(r.UserID)))
	return nil
}

func (b *Bot) help(ctx context.Context, r *request) error {
	text := r.t("help")
	if r.isAdmin {
		text += r.t("help_admin") + r.t("help_admin_opml")
	}
	r.reply(ctx, text)
	return nil
}

// sectionsView renders the section list with the chat's subscriptions marked
// and a toggle button per section.
func (b *Bot) sectionsView(ctx context.Context, chat storage.ChatRef, lg string, withButtons bool) (string, [][]Button, error) {
	all, err := b.store.Sections(ctx)
	if err != nil {
		return "", nil, err
	}
	if len(all) == 0 {
		return tr(lg, "no_sections"), nil, nil
	}
	subs, err := b.subscribed(ctx, chat)
	if err != nil {
		return "", nil, err
	}
	lines := []string{tr(lg, "sections_head")}
	var buttons [][]Button
	for i, sec := range all {
		mark, action := "▫️", "➕ "
		if subs[sec.Key] {
			mark, action = "✅", "✅ "
		}
		// Numbered, so that "/subscribe 2" works where there are no buttons.
		lines = append(lines, fmt.Sprintf("%d. %s %s — <code>%s</code>", i+1, mark, Escape(sec.Name), Escape(sec.Key)))
		buttons = append(buttons, []Button{{Text: action + sec.Name, Data: "t:" + sec.Key}})
	}
	if !withButtons {
		lines = append(lines, "", tr(lg, "sections_foot_text"))
		return strings.Join(lines, "\n"), nil, nil
	}
	lines = append(lines, "", tr(lg, "sections_foot"))
	return strings.Join(lines, "\n"), buttons, nil
}

func (b *Bot) subscribed(ctx context.Context, chat storage.ChatRef) (map[string]bool, error) {
	subs, err := b.store.Subscriptions(ctx, chat)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(subs))
	for _, s := range subs {
		m[s.Key] = true
	}
	return m, nil
}

func (b *Bot) sections(ctx context.Context, r *request) error {
	text, buttons, err := b.sectionsView(ctx, r.Chat.ChatRef, r.lang, r.p.Buttons())
	if err != nil {
		return err
	}
	r.reply(ctx, text, buttons...)
	return nil
}

// handleCallback answers a button press: "t:KEY" toggles a subscription and
// redraws the section list in place; "more:CURSOR" shows a next page;
// "nguon:ID" lists a story's articles.
func (b *Bot) handleCallback(ctx context.Context, r *request) {
	if next, ok := strings.CutPrefix(r.Text, moreData); ok || r.Text == "more" {
		// "more" alone is a button from before cursors: the chat's last search.
		r.p.AnswerCallback(ctx, r.Callback.ID, "")
		r.args = next
		if err := b.more(ctx, r); err != nil {
			b.log.Error("bot: next page", "err", err)
		}
		return
	}
	if id, ok := strings.CutPrefix(r.Text, nguonData); ok {
		r.p.AnswerCallback(ctx, r.Callback.ID, "")
		r.args = id
		if err := b.nguon(ctx, r); err != nil {
			b.log.Error("bot: story sources", "err", err)
			r.reply(ctx, r.t("error"))
		}
		return
	}
	key, ok := strings.CutPrefix(r.Text, "t:")
	if !ok {
		r.p.AnswerCallback(ctx, r.Callback.ID, "")
		return
	}
	if isGroup(r.Chat) && !r.isAdmin {
		if ca, ok := r.p.(ChatAdmin); ok {
			if admin, _ := ca.IsChatAdmin(ctx, r.Chat.ID, r.UserID); !admin {
				r.p.AnswerCallback(ctx, r.Callback.ID, PlainText(r.t("group_admin_only")))
				return
			}
		}
	}
	subs, err := b.subscribed(ctx, r.Chat.ChatRef)
	var toast string
	if err == nil {
		if subs[key] {
			_, err = b.store.Unsubscribe(ctx, r.Chat.ChatRef, []string{key})
			toast = r.t("unsubscribed", b.names(ctx, []string{key}))
		} else {
			_, err = b.store.Subscribe(ctx, r.Chat.ChatRef, []string{key})
			toast = r.t("subscribed", b.names(ctx, []string{key}))
		}
	}
	if err != nil {
		b.log.Warn("bot: toggle subscription", "chat", r.Chat.ChatRef.String(), "key", key, "err", err)
		toast = r.t("error")
		if errors.Is(err, storage.ErrUnknownSection) {
			toast = r.t("unknown_section", key, "/sections")
		}
	}
	if err := r.p.AnswerCallback(ctx, r.Callback.ID, PlainText(toast)); err != nil {
		b.log.Warn("bot: answer callback", "err", err)
	}
	text, buttons, err := b.sectionsView(ctx, r.Chat.ChatRef, r.lang, r.p.Buttons())
	if err != nil {
		b.log.Error("bot: redraw sections", "err", err)
		return
	}
	msg := Message{Chat: r.Chat.ChatRef, HTML: text, Buttons: buttons, EditID: r.Callback.MessageID}
	if _, err := r.send(ctx, msg); err != nil {
		b.log.Warn("bot: redraw sections", "err", err)
	}
}

// resolveSections turns what a person typed after /subscribe into section
// keys: "all", one key or name ("chinh tri", "Chính trị"), or several keys.
// It returns the first word it could not resolve.
func (b *Bot) resolveSections(ctx context.Context, args string) ([]string, string, error) {
	folded := storage.Fold(args)
	if folded == "all" || folded == "tat ca" {
		all, err := b.store.Sections(ctx)
		if err != nil {
			return nil, "", err
		}
		keys := make([]string, len(all))
		for i, s := range all {
			keys[i] = s.Key
		}
		return keys, "", nil
	}
	if sec, err := b.store.FindSection(ctx, args); err == nil {
		return []string{sec.Key}, "", nil
	} else if !errors.Is(err, storage.ErrUnknownSection) {
		return nil, "", err
	}
	all, err := b.store.Sections(ctx)
	if err != nil {
		return nil, "", err
	}
	var keys []string
	for _, word := range strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if n, err := strconv.Atoi(word); err == nil && n >= 1 && n <= len(all) {
			keys = append(keys, all[n-1].Key) // its number in /sections
			continue
		}
		sec, err := b.store.FindSection(ctx, word)
		if errors.Is(err, storage.ErrUnknownSection) {
			return nil, word, nil
		}
		if err != nil {
			return nil, "", err
		}
		keys = append(keys, sec.Key)
	}
	if len(keys) == 0 {
		return nil, args, nil
	}
	return keys, "", nil
}

// validKeys lists the section keys for error replies.
func (b *Bot) validKeys(ctx context.Context) string {
	all, err := b.store.Sections(ctx)
	if err != nil || len(all) == 0 {
		return "—"
	}
	keys := make([]string, len(all))
	for i, s := range all {
		keys[i] = "<code>" + Escape(s.Key) + "</code>"
	}
	return strings.Join(keys, ", ")
}

// sectionArgs resolves the request's arguments to keys, replying itself when
// they name nothing valid (and then returning no keys).
func (b *Bot) sectionArgs(ctx context.Context, r *request) ([]string, error) {
	if r.args == "" {
		example := "chinh-tri"
		if all, err := b.store.Sections(ctx); err == nil && len(all) > 0 {
			example = all[0].Key
		}
		r.reply(ctx, r.t("need_section", r.cmd, Escape(example), b.validKeys(ctx)))
		return nil, nil
	}
	keys, unknown, err := b.resolveSections(ctx, r.args)
	if err != nil {
		return nil, err
	}
	if unknown != "" {
		r.reply(ctx, r.t("unknown_section", Escape(truncate(unknown, 60)), b.validKeys(ctx)))
		return nil, nil
	}
	return keys, nil
}

func (b *Bot) subscribe(ctx context.Context, r *request) error {
	if !b.mayChangeGroup(ctx, r) {
		return nil
	}
	keys, err := b.sectionArgs(ctx, r)
	if err != nil || keys == nil {
		return err
	}
	added, err := b.store.Subscribe(ctx, r.Chat.ChatRef, keys)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		r.reply(ctx, r.t("already_sub", b.names(ctx, keys)))
		return nil
	}
	r.reply(ctx, r.t("subscribed", b.names(ctx, added)))
	return nil
}

func (b *Bot) unsubscribe(ctx context.Context, r *request) error {
	if !b.mayChangeGroup(ctx, r) {
		return nil
	}
	keys, err := b.sectionArgs(ctx, r)
	if err != nil || keys == nil {
		return err
	}
	removed, err := b.store.Unsubscribe(ctx, r.Chat.ChatRef, keys)
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		r.reply(ctx, r.t("not_subscribed", b.names(ctx, keys)))
		return nil
	}
	r.reply(ctx, r.t("unsubscribed", b.names(ctx, removed)))
	return nil
}

// names renders section keys as their names: "Chính trị, Kinh tế".
func (b *Bot) names(ctx context.Context, keys []string) string {
	all, err := b.store.Sections(ctx)
	if err != nil {
		return Escape(strings.Join(keys, ", "))
	}
	byKey := map[string]string{}
	for _, s := range all {
		byKey[s.Key] = s.Name
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		name := byKey[k]
		if name == "" {
			name = k
		}
		out[i] = "<b>" + Escape(name) + "</b>"
	}
	return strings.Join(out, ", ")
}

func (b *Bot) mysubs(ctx context.Context, r *request) error {
	subs, err := b.store.Subscriptions(ctx, r.Chat.ChatRef)
	if err != nil {
		return err
	}
	chat, err := b.store.Chat(ctx, r.Chat.ChatRef)
	if err != nil {
		return err
	}
	dormant, err := b.store.DormantSubscriptions(ctx, r.Chat.ChatRef)
	if err != nil {
		return err
	}
	mode := "\n\n" + b.modeText(chat, r.lang)
	if len(dormant) > 0 {
		lines := make([]string, len(dormant))
		for i, s := range dormant {
			lines[i] = fmt.Sprintf("• %s — <code>%s</code>", Escape(s.Name), Escape(s.Key))
		}
		mode = "\n\n" + r.t("mysubs_dormant", strings.Join(lines, "\n")) + mode
	}
	if len(subs) == 0 {
		r.reply(ctx, r.t("mysubs_none")+mode)
		return nil
	}
	lines := make([]string, len(subs))
	for i, s := range subs {
		lines[i] = fmt.Sprintf("• %s — <code>%s</code>", Escape(s.Name), Escape(s.Key))
	}
	r.reply(ctx, r.t("mysubs", strings.Join(lines, "\n"))+mode)
	return nil
}

// listLimit is how many articles /latest and /search show.
const listLimit = 5

func (b *Bot) latest(ctx context.Context, r *request) error {
	var section storage.Section
	if r.args != "" {
		sec, err := b.store.FindSection(ctx, r.args)
		if errors.Is(err, storage.ErrUnknownSection) {
			r.reply(ctx, r.t("unknown_section", Escape(truncate(r.args, 60)), b.validKeys(ctx)))
			return nil
		}
		if err != nil {
			return err
		}
		section = sec
	}
	articles, err := b.store.Latest(ctx, section.Key, listLimit)
	if err != nil {
		return err
	}
	if len(articles) == 0 {
		r.reply(ctx, r.t("latest_none"))
		return nil
	}
	head := r.t("latest_head")
	if section.Key != "" {
		head = r.t("latest_head_sec", Escape(section.Name))
	}
	r.reply(ctx, head+"\n\n"+b.articleList(articles, r.lang), b.storyButtons(r, articles)...)
	return nil
}

// articleList renders list entries; a story carried by several outlets
// says how many, and how to list them (/nguon).
func (b *Bot) articleList(articles []storage.Article, lg string) string {
	lines := make([]string, len(articles))
	for i := range articles {
		lines[i] = articleLine(&articles[i], b.loc) + storyNote(&articles[i], lg)
	}
	return strings.Join(lines, "\n\n")
}

// nguonData prefixes a story button's data; an article id of the story
// follows.
const nguonData = "nguon:"

// storyButtons are, where the platform shows buttons, one per entry
// carried by several outlets: pressing it lists them, as /nguon does.
func (b *Bot) storyButtons(r *request, articles []storage.Article) [][]Button {
	if !r.p.Buttons() {
		return nil
	}
	var rows [][]Button
	for _, a := range articles {
		if a.Sources > 1 {
			rows = append(rows, []Button{{Text: r.t("story_button", truncate(a.Title, 40), a.Sources), Data: nguonData + strconv.FormatInt(a.ID, 10)}})
		}
	}
	return rows
}

// nguon lists the articles of a story: "/nguon N", N being the number a
// list entry (/latest, /search) shows, which is the id of one of the
// story's articles; any of them names the story. Ids rather than positions
// in the last list: they mean the same in every chat, after a restart, and
// whichever list the person looks at.
func (b *Bot) nguon(ctx context.Context, r *request) error {
	arg := strings.TrimPrefix(strings.TrimSpace(r.args), "#")
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		r.reply(ctx, r.t("nguon_usage"))
		return nil
	}
	arts, err := b.store.Story(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		r.reply(ctx, r.t("nguon_none", id))
		return nil
	}
	if err != nil {
		return err
	}
	lines := []string{r.t("nguon_head", len(arts))}
	for i := range arts {
		a := &arts[i]
		line := fmt.Sprintf("%d. <b>%s</b> · <i>%s</i>\n   ", i+1, Escape(sourceName(a)), formatTime(a.Published, b.loc))
		if a.Link != "" {
			line += link(a.Link, truncate(a.Title, 200))
		} else {
			line += Escape(truncate(a.Title, 200))
		}
		lines = append(lines, line)
	}
	r.reply(ctx, strings.Join(lines, "\n"))
	return nil
}

// moreData prefixes a next-page button's data; the cursor follows.
const moreData = "more:"

// search finds articles: "/search WORDS [KEY]", the best 5 first, with a
// way to the next page.
func (b *Bot) search(ctx context.Context, r *request) error {
	query, section := r.args, storage.Section{}
	if words := strings.Fields(r.args); len(words) > 1 {
		if sec, err := b.store.FindSection(ctx, words[len(words)-1]); err == nil && sec.Key == storage.Fold(words[len(words)-1]) {
			query, section = strings.Join(words[:len(words)-1], " "), sec
		}
	}
	if !storage.HasWords(query) {
		r.reply(ctx, r.t("search_usage"))
		return nil
	}
	page, err := b.store.SearchFirst(ctx, query, section.Key, listLimit)
	if err != nil {
		return err
	}
	if len(page.Articles) == 0 {
		if section.Key != "" {
			r.reply(ctx, r.t("search_none_sec", Escape(truncate(query, 80)), Escape(section.Name)))
		} else {
			r.reply(ctx, r.t("search_none", Escape(truncate(query, 80))))
		}
	}
	return b.searchPage(ctx, r, page)
}

// more shows the next page of a search: the one its argument (a button's
// cursor) points at, else the chat's last search's. Nothing about a search
// is kept in memory: the cursor says where it stands, the database what it
// searched for, so paging survives a restart.
func (b *Bot) more(ctx context.Context, r *request) error {
	next := strings.TrimSpace(r.args)
	if next == "" {
		var err error
		if next, err = b.store.LastSearch(ctx, r.Chat.ChatRef); err != nil {
			return err
		}
		if next == "" {
			r.reply(ctx, r.t("more_none"))
			return nil
		}
	}
	page, err := b.store.SearchMore(ctx, next, listLimit)
	if errors.Is(err, storage.ErrBadCursor) {
		b.log.Info("bot: refused search cursor", "chat", r.Chat.ChatRef.String(), "cursor", truncate(next, 80))
		r.reply(ctx, r.t("more_stale"))
		return nil
	}
	if err != nil {
		return err
	}
	if len(page.Articles) == 0 {
		r.reply(ctx, r.t("more_end"))
	}
	return b.searchPage(ctx, r, page)
}

// searchPage shows a page of results with a way to the next one, then
// records where the next one starts: after the reply, so that the write
// (which may wait behind a poll's) never delays the answer.
func (b *Bot) searchPage(ctx context.Context, r *request, page storage.SearchPage) error {
	if len(page.Articles) > 0 {
		query := Escape(truncate(page.Query, 80))
		head := r.t("search_head", query)
		if page.Number > 1 {
			head = r.t("search_head_page", query, page.Number)
		}
		text := head + "\n\n" + b.articleList(page.Articles, r.lang)
		buttons := b.storyButtons(r, page.Articles)
		switch {
		case page.Next == "":
			r.reply(ctx, text, buttons...)
		case !r.p.Buttons():
			r.reply(ctx, text+"\n\n"+r.t("more_hint"))
		default:
			r.reply(ctx, text, append(buttons, []Button{{Text: r.t("more_button"), Data: moreData + page.Next}})...)
		}
	}
	if err := b.store.RememberSearch(ctx, r.Chat.ChatRef, page); err != nil {
		b.log.Warn("bot: remember search", "chat", r.Chat.ChatRef.String(), "err", err)
	}
	return nil
}

// fullTextOption is the /addfeed word that turns on article-page fetching.
var fullTextOption = map[string]bool{"full_text": true, "full-text": true, "fulltext": true, "full": true}

func (b *Bot) addFeed(ctx context.Context, r *request) error {
	fields := strings.Fields(r.args)
	fullText := false
	if n := len(fields); n > 0 && fullTextOption[strings.ToLower(strings.TrimLeft(fields[n-1], "-"))] {
		fullText, fields = true, fields[:n-1]
	}
	if len(fields) < 2 {
		r.reply(ctx, r.t("addfeed_usage", b.validKeys(ctx)))
		return nil
	}
	rawURL, sectionArg := fields[0], strings.Join(fields[1:], " ")
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.reply(ctx, r.t("addfeed_bad_url", Escape(truncate(rawURL, 200))))
		return nil
	}
	sec, err := b.store.FindSection(ctx, sectionArg)
	if errors.Is(err, storage.ErrUnknownSection) {
		r.reply(ctx, r.t("unknown_section", Escape(truncate(sectionArg, 60)), b.validKeys(ctx)))
		return nil
	}
	if err != nil {
		return err
	}
	if b.feeds == nil {
		return errors.New("bot: no feed scheduler")
	}
	if b.feedExists(ctx, r, rawURL, "addfeed_exists") {
		return nil
	}
	// Probing the feed may take as long as its server does: answer now,
	// report when it is done.
	b.inBackground(ctx, r, r.t("addfeed_checking"), func(ctx context.Context) error {
		feed, items, err := b.feeds.AddFeed(ctx, rawURL, sec.Key, fullText)
		if err != nil && ctx.Err() != nil {
			return err // later says it took too long
		}
		var fe *FeedError
		if err != nil && errors.As(err, &fe) && fe.Reason == "not_feed" && len(fe.Alternates) > 0 {
			b.log.Info("bot: addfeed given a web page", "url", rawURL, "feeds", len(fe.Alternates))
			return b.addDiscovered(ctx, r, rawURL, fe.Alternates, sec, fullText)
		}
		if err != nil {
			b.log.Info("bot: addfeed refused", "url", rawURL, "err", err)
			r.reply(ctx, r.t("addfeed_failed", feedErrorText(r.lang, err)))
			return nil
		}
		r.reply(ctx, b.addedText(r, feed, sec, items, fullText))
		return nil
	})
	return nil
}

// feedExists replies with key (feed id, section name, URL) and reports
// true when rawURL is already a feed, in any spelling of it.
func (b *Bot) feedExists(ctx context.Context, r *request, rawURL, key string) bool {
	feed, err := b.store.FeedByURL(ctx, rawURL)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			b.log.Warn("bot: look up feed", "url", rawURL, "err", err)
		}
		return false
	}
	r.reply(ctx, r.t(key, feed.ID, Escape(redactURL(feed.URL)), b.names(ctx, []string{feed.Section})))
	return true
}

// addedText says a feed was added.
func (b *Bot) addedText(r *request, feed storage.Feed, sec storage.Section, items int, fullText bool) string {
	title := feed.Title
	if title == "" {
		title = feed.URL
	}
	text := r.t("addfeed_ok", feed.ID, Escape(title), Escape(sec.Name), items)
	if fullText {
		text += "\n" + r.t("addfeed_full_text")
	}
	return text
}

// addDiscovered answers /addfeed given a web page that announces feeds:
// the one it announces is added; several are listed to choose from.
func (b *Bot) addDiscovered(ctx context.Context, r *request, page string, links []FeedLink, sec storage.Section, fullText bool) error {
	if len(links) > 1 {
		lines := []string{r.t("addfeed_choose", Escape(redactURL(page)), len(links))}
		for i, l := range links {
			line := fmt.Sprintf("%d. ", i+1)
			if l.Title != "" {
				line += "<b>" + Escape(truncate(l.Title, 80)) + "</b> — "
			}
			line += "<code>/addfeed " + Escape(l.URL) + " " + Escape(sec.Key) + "</code>"
			lines = append(lines, line)
		}
		r.reply(ctx, strings.Join(lines, "\n"))
		return nil
	}
	link := links[0].URL
	if b.feedExists(ctx, r, link, "addfeed_exists_found") {
		return nil
	}
	feed, items, err := b.feeds.AddFeed(ctx, link, sec.Key, fullText)
	if err != nil && ctx.Err() != nil {
		return err
	}
	if err != nil {
		b.log.Info("bot: addfeed refused the page's feed", "page", page, "url", link, "err", err)
		r.reply(ctx, r.t("addfeed_found_failed", Escape(redactURL(link)), feedErrorText(r.lang, err)))
		return nil
	}
	r.reply(ctx, r.t("addfeed_found", Escape(redactURL(feed.URL)))+"\n"+b.addedText(r, feed, sec, items, fullText))
	return nil
}

func (b *Bot) delFeed(ctx context.Context, r *request) error {
	if r.args == "" {
		r.reply(ctx, r.t("delfeed_usage"))
		return nil
	}
	var feed storage.Feed
	var err error
	if id, perr := strconv.ParseInt(strings.TrimPrefix(r.args, "#"), 10, 64); perr == nil {
		feed, err = b.store.Feed(ctx, id)
	} else {
		feed, err = b.store.FeedByURL(ctx, r.args)
	}
	if errors.Is(err, storage.ErrNotFound) {
		r.reply(ctx, r.t("delfeed_notfound", Escape(truncate(r.args, 200))))
		return nil
	}
	if err != nil {
		return err
	}
	if feed.Origin == storage.OriginFile {
		// The file owns it: deleted here, it would come back at the next start.
		r.reply(ctx, r.t("delfeed_file", feed.ID, Escape(redactURL(feed.URL))))
		return nil
	}
	if b.feeds == nil {
		return errors.New("bot: no feed scheduler")
	}
	if err := b.feeds.RemoveFeed(ctx, feed.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	r.reply(ctx, r.t("delfeed_ok", feed.ID, Escape(redactURL(feed.URL))))
	return nil
}
