package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

func wantAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q lacks %q", what, got, w)
		}
	}
}

// /id shows the person's and the chat's ids and where an id goes to make
// an admin; /start has a line with the id.
func TestIDAndStart(t *testing.T) {
	e := newEnv(t)
	tg := newRecorder("telegram")
	ask := func(p *recorder, chat storage.Chat, user, lg, text string) string {
		t.Helper()
		return p.replyTo(t, e.bot, Update{Chat: chat, UserID: user, Lang: lg, Text: text}).HTML
	}
	private := storage.Chat{ChatRef: storage.ChatRef{Platform: "telegram", ID: "4242"}, Type: "private"}
	wantAll(t, "/id on Telegram", ask(tg, private, "4242", "vi", "/id"),
		"Nền tảng: telegram", "Mã người dùng của bạn: <code>4242</code>", "Mã cuộc trò chuyện này: <code>4242</code>",
		"<code>telegram.admins: [4242]</code>")
	group := storage.Chat{ChatRef: storage.ChatRef{Platform: "telegram", ID: "-1001"}, Type: "group"}
	wantAll(t, "/id in a group, English", ask(tg, group, "4242", "en", "/id"),
		"Your user id: <code>4242</code>", "This chat's id: <code>-1001</code>", "This is a group")
	zl := newRecorder("zalo")
	wantAll(t, "/id on Zalo", ask(zl, storage.Chat{ChatRef: storage.ChatRef{Platform: "zalo", ID: "6ede"}, Type: "private"}, "6ede", "vi", "/id"),
		`<code>zalo.admins: ["6ede"]</code>`)
	wantAll(t, "/id of an admin", e.say(t, "1", "/id"), "Bạn là quản trị viên")
	wantAll(t, "/start", ask(tg, private, "4242", "vi", "/start"), "Mã của bạn: <code>4242</code>", "/id")
	wantAll(t, "/help", e.say(t, "2", "/help"), "/id", "giờ Việt Nam")
	wantAll(t, "English /help", e.sayLang(t, "2", "en", "/help"), "Vietnam time")
}

// The file owns its feeds: /delfeed refuses them and says to edit the
// file; /feeds marks which is which; a feed added from the chat is removed
// and its articles keep their section.
func TestFeedOwnership(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.store.SyncConfig(ctx, []storage.Section{{Key: "chinh-tri", Name: "Chính trị"}, {Key: "kinh-te", Name: "Kinh tế"}},
		[]storage.FileFeed{{URL: "https://file.example/rss", Section: "kinh-te"}}); err != nil {
		t.Fatal(err)
	}
	fileFeed, err := e.store.FeedByURL(ctx, "https://file.example/rss")
	if err != nil {
		t.Fatal(err)
	}
	got := e.say(t, "1", "/delfeed https://file.example/rss")
	wantAll(t, "/delfeed of a file feed", got, "tệp cấu hình", "khởi động lại")
	if strings.Contains(got, "Đã xóa") {
		t.Errorf("/delfeed of a file feed says it removed it: %q", got)
	}
	if _, err := e.store.Feed(ctx, fileFeed.ID); err != nil {
		t.Errorf("the file feed is gone: %v", err)
	}
	wantAll(t, "English /delfeed of a file feed", e.sayLang(t, "1", "en", "/delfeed #2"), "configuration file", "restart")
	feeds := e.say(t, "1", "/feeds")
	wantAll(t, "/feeds", feeds, "📄 tệp cấu hình", "💬 thêm từ chat")

	// The chat's feed goes, its article stays in its section.
	now := time.Now()
	if _, err := e.store.SaveItems(ctx, e.feed.ID, []storage.Item{{Link: "https://baolaocai.vn/a", Canonical: "https://baolaocai.vn/a",
		Title: "Hội nghị khoa giáo", Published: now}}, storage.SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	wantAll(t, "/delfeed of a chat feed", e.say(t, "1", "/delfeed 1"), "Đã xóa nguồn tin #1")
	wantAll(t, "/latest after /delfeed", e.say(t, "2", "/latest chinh-tri"), "Hội nghị khoa giáo", "Chính trị")
}

// A section removed from the file leaves /sections; /mysubs says the
// subscription to it is dormant.
func TestMysubsSaysDormant(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.say(t, "2", "/subscribe chinh-tri kinh-te")
	if _, err := e.store.SyncConfig(ctx, []storage.Section{{Key: "chinh-tri", Name: "Chính trị"}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.say(t, "2", "/sections"); strings.Contains(got, "Kinh tế") {
		t.Errorf("/sections still lists the removed section: %q", got)
	}
	wantAll(t, "/mysubs", e.say(t, "2", "/mysubs"), "Chính trị", "Tạm ngưng", "Kinh tế")
	wantAll(t, "English /mysubs", e.sayLang(t, "2", "en", "/mysubs"), "Dormant", "removed from the configuration file")
}

// /addfeed: an existing feed is said to exist; a web page's one feed is
// added and said so, several are listed; failures are sentences.
func TestAddFeedAnswers(t *testing.T) {
	e := newEnv(t)
	stub := e.bot.feeds.(*stubFeeds)
	cases := []struct {
		name, lang, cmd string
		want            []string
		added           string
	}{
		{"exists", "vi", "/addfeed https://BAOLAOCAI.vn/rss/home.rss kinh-te", []string{"đã có: #1", "Chính trị"}, ""},
		{"exists, English", "en", "/addfeed https://baolaocai.vn/rss/home.rss chinh-tri", []string{"already exists: #1"}, ""},
		{"a page with one feed", "vi", "/addfeed https://x.vn/page-one chinh-tri", []string{"tìm thấy nguồn tin", "https://x.vn/rss/home.rss", "Đã thêm nguồn tin #7"},
			"https://x.vn/rss/home.rss chinh-tri false"},
		{"a page with several", "vi", "/addfeed https://x.vn/page-many kinh-te", []string{"có 2 nguồn tin", "1. <b>Thời sự</b> — <code>/addfeed https://x.vn/rss/a.rss kinh-te</code>",
			"2. <b>Thể thao</b>"}, ""},
		{"a page whose feed exists", "vi", "/addfeed https://x.vn/page-known kinh-te", []string{"nguồn tin đã có: #1"}, ""},
		{"404", "vi", "/addfeed https://x.vn/gone chinh-tri", []string{"Không thêm được nguồn tin: không tìm thấy trang này", "lỗi 404"}, ""},
		{"404, English", "en", "/addfeed https://x.vn/gone chinh-tri", []string{"Could not add the feed: the server has no such page (error 404)"}, ""},
		{"private", "vi", "/addfeed https://x.vn/intranet chinh-tri", []string{"mạng nội bộ"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(stub.added)
			got := e.sayLang(t, "1", c.lang, c.cmd)
			wantAll(t, c.cmd, got, c.want...)
			for _, leak := range []string{"feeds:", "unexpected status", "File not found", "127.0.0.1"} {
				if strings.Contains(got, leak) {
					t.Errorf("%s: the reply shows the Go error (%q): %q", c.cmd, leak, got)
				}
			}
			added := stub.added[before:]
			switch {
			case c.added == "" && len(added) > 0:
				t.Errorf("%s added %v", c.cmd, added)
			case c.added != "" && (len(added) != 1 || added[0] != c.added):
				t.Errorf("%s added %v, want [%s]", c.cmd, added, c.added)
			}
		})
	}
}

func TestStoredErrorReason(t *testing.T) {
	cases := []struct {
		msg    string
		reason string
		status int
	}{
		{"feeds: not a feed: https://x/ is an HTML page, not an RSS, Atom or JSON feed", "not_feed", 0},
		{"feeds: fetch https://x/: unexpected status 404 File not found", "status", 404},
		{"feeds: fetch https://x/: dial tcp: address 127.0.0.1 is private; set poll.allow_private_addresses", "private", 0},
		{"feeds: fetch https://x/: context deadline exceeded (Client.Timeout exceeded while awaiting headers)", "timeout", 0},
		{"feeds: fetch https://x/: body exceeds the limit of 5242880 bytes", "too_large", 0},
		{"feeds: document too complex: https://x/ has elements nested more than 256 deep", "too_complex", 0},
		{"feeds: parse https://x/: XML syntax error on line 1: unexpected EOF", "broken", 0},
		{"feeds: fetch https://x/: stopped after 5 redirects", "unreachable", 0},
		{"something new", "other", 0},
	}
	for _, c := range cases {
		if r, s := storedErrorReason(c.msg); r != c.reason || s != c.status {
			t.Errorf("storedErrorReason(%q) = %q, %d; want %q, %d", c.msg, r, s, c.reason, c.status)
		}
	}
}

// Item 10: /follow needs two letters; /quiet takes 22h-6h and 22:00-6:00;
// /stats says stored; /channel off Telegram names Telegram.
func TestConsistency(t *testing.T) {
	e := newEnv(t)
	wantAll(t, "/follow a", e.say(t, "2", "/follow a"), "ít nhất 2 chữ cái")
	wantAll(t, "/follow 5", e.sayLang(t, "2", "en", "/follow 5"), "at least 2 letters")
	wantAll(t, "/follow Đà", e.say(t, "2", "/follow Đà"), "Đã theo dõi")
	for _, in := range []string{"22h-6h", "22:00-6:00", "22h00 - 06h00", "22 - 6", "22:00–06:00"} {
		wantAll(t, "/quiet "+in, e.say(t, "2", "/quiet "+in), "Giờ yên lặng: 22:00–06:00")
	}
	wantAll(t, "/quiet 23h30-5h15", e.say(t, "2", "/quiet 23h30-5h15"), "23:30–05:15")
	for _, bad := range []string{"25h-6h", "22h", "22h-22h", "ab-cd", "22:75-6"} {
		wantAll(t, "/quiet "+bad, e.say(t, "2", "/quiet "+bad), "Cú pháp: /quiet")
	}
	wantAll(t, "/digest daily 7h", e.say(t, "2", "/digest daily 7h"), "hằng ngày lúc 07:00")
	wantAll(t, "/stats", e.say(t, "1", "/stats"), "lưu trong 24 giờ qua")
	wantAll(t, "/channel without channels", e.say(t, "1", "/channel add @kenh chinh-tri"), "tính năng của Telegram")
}

// One date format, with the year, everywhere; English counts agree.
func TestDatesAndPlurals(t *testing.T) {
	loc := VietnamTime()
	at := time.Date(2026, 12, 3, 15, 42, 0, 0, time.UTC) // 22:42 in Vietnam
	a := &storage.Article{Title: "T", Link: "https://x.vn/a", Published: at, SectionName: "Thời sự"}
	if got := articleLine(a, loc); !strings.Contains(got, "22:42 03/12/2026") {
		t.Errorf("list line: %q", got)
	}
	if got := Alert(a, "vi", loc); !strings.Contains(got, "22:42 03/12/2026") {
		t.Errorf("alert: %q", got)
	}
	for _, c := range []struct{ key, want string }{
		{"digest_head", "📰 Digest: 1 new article"}, {"combined_head", "📰 1 new article"}, {"broadcast_queued", "Queued for 1 chat."},
	} {
		if got := tr("en", c.key, 1); got != c.want {
			t.Errorf("%s(1) = %q, want %q", c.key, got, c.want)
		}
	}
	if got := tr("en", "digest_head", 2); got != "📰 Digest: 2 new articles" {
		t.Errorf("digest_head(2) = %q", got)
	}
	if got := tr("en", "addfeed_ok", 7, "T", "S", 1); got != "Added feed #7 (T) to S: 1 current article stored (not announced); new ones will be." {
		t.Errorf("addfeed_ok(1) = %q", got)
	}
	if got := tr("vi", "digest_head", 1); got != "📰 Bản tin: 1 bài mới" {
		t.Errorf("Vietnamese digest_head(1) = %q", got)
	}
}

// An alert a /follow queued says which phrase matched.
func TestAlertSaysFollowedPhrase(t *testing.T) {
	d := &Dispatcher{}
	a := &storage.Article{Title: "Du lịch Sa Pa", Link: "https://x.vn/sapa", Published: time.Now()}
	chat := storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "1"}, Lang: "vi"}
	msg := d.render(storage.Delivery{Chat: chat, Article: a, Text: "Sa Pa"})
	wantAll(t, "follow alert", msg.HTML, "🔔 Theo dõi: “Sa Pa”")
	if msg := d.render(storage.Delivery{Chat: chat, Article: a}); strings.Contains(msg.HTML, "🔔") {
		t.Errorf("a section alert names a phrase: %q", msg.HTML)
	}
}
