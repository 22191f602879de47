package bot

import (
	"fmt"
	"strings"
)

// lang picks the reply language from a platform language code: English for
// "en…", Vietnamese otherwise.
func lang(code string) string {
	if strings.HasPrefix(strings.ToLower(code), "en") {
		return "en"
	}
	return "vi"
}

// texts holds every sentence the bot says, by key, in Vietnamese and English.
// Values are fmt formats producing Telegram HTML; arguments are escaped by
// the caller.
var texts = map[string][2]string{
	"welcome": {
		"Xin chào! Tôi là bot tin tức: khi có bài mới trong chuyên mục bạn theo dõi, tôi sẽ báo ngay cho bạn.\n\n" +
			"• /sections — xem các chuyên mục và đăng ký\n• /subscribe <i>chuyên mục</i> — nhận tin của một chuyên mục (<code>all</code> cho tất cả)\n" +
			"• /latest — 5 tin mới nhất\n• /search <i>từ khóa</i> — tìm bài đã đăng\n• /help — mọi lệnh",
		"Hello! I am a news bot: when a new article appears in a section you follow, I tell you right away.\n\n" +
			"• /sections — see the sections and subscribe\n• /subscribe <i>section</i> — get a section's news (<code>all</code> for every one)\n" +
			"• /latest — the 5 newest articles\n• /search <i>words</i> — search published articles\n• /help — every command",
	},
	"help": {
		"<b>Các lệnh</b>\n/start — giới thiệu\n/help — danh sách lệnh\n/sections — các chuyên mục, bấm để đăng ký hoặc hủy\n" +
			"/subscribe <i>chuyên mục</i> — đăng ký (<code>all</code> = tất cả)\n/unsubscribe <i>chuyên mục</i> — hủy đăng ký\n" +
			"/mysubs — chuyên mục bạn đang nhận\n/latest [<i>chuyên mục</i>] — 5 tin mới nhất\n/search <i>từ khóa</i> — tìm bài (gõ không dấu cũng được)",
		"<b>Commands</b>\n/start — introduction\n/help — this list\n/sections — the sections; tap to subscribe or unsubscribe\n" +
			"/subscribe <i>section</i> — subscribe (<code>all</code> = every section)\n/unsubscribe <i>section</i> — unsubscribe\n" +
			"/mysubs — your subscriptions\n/latest [<i>section</i>] — the 5 newest articles\n/search <i>words</i> — search articles (accents optional)",
	},
	"help_admin": {
		"\n\n<b>Quản trị</b>\n/addfeed <i>URL chuyên mục</i> — thêm nguồn tin\n/delfeed <i>ID|URL</i> — xóa nguồn tin\n/feeds — các nguồn tin và tình trạng",
		"\n\n<b>Admin</b>\n/addfeed <i>URL section</i> — add a feed\n/delfeed <i>ID|URL</i> — remove a feed\n/feeds — feeds and their health",
	},
	"unknown_command": {"Tôi không hiểu lệnh /%s. Gõ /help để xem các lệnh.", "I don't know the command /%s. Type /help to see the commands."},
	"plain_text":      {"Gõ /help để xem các lệnh, hoặc /search <i>từ khóa</i> để tìm tin.", "Type /help to see the commands, or /search <i>words</i> to find news."},
	"too_long":        {"Tin nhắn quá dài (%d ký tự, tối đa %d). Hãy gửi ngắn hơn.", "That message is too long (%d characters, at most %d). Please send a shorter one."},
	"not_admin":       {"Lệnh /%s chỉ dành cho quản trị viên của bot.", "The /%s command is for the bot's administrators only."},
	"error":           {"Đã có lỗi, xin thử lại sau.", "Something went wrong; please try again later."},
	"no_sections":     {"Chưa có chuyên mục nào.", "There are no sections yet."},
	"sections_head":   {"<b>Các chuyên mục</b> (✅ = đang nhận tin)", "<b>Sections</b> (✅ = subscribed)"},
	"sections_foot": {
		"Bấm nút để đăng ký hoặc hủy, hoặc gõ /subscribe <i>mã</i>.",
		"Tap a button to subscribe or unsubscribe, or type /subscribe <i>key</i>.",
	},
	"sections_foot_text": {
		"Gõ /subscribe <i>mã</i> để đăng ký, /unsubscribe <i>mã</i> để hủy.",
		"Type /subscribe <i>key</i> to subscribe, /unsubscribe <i>key</i> to stop.",
	},
	"need_section":     {"Hãy cho biết chuyên mục, ví dụ: /%s %s\nCác mã hợp lệ: %s", "Tell me which section, e.g. /%s %s\nValid keys: %s"},
	"unknown_section":  {"Không có chuyên mục “%s”. Các mã hợp lệ: %s", "There is no section “%s”. Valid keys: %s"},
	"subscribed":       {"Đã đăng ký: %s. Bạn sẽ nhận tin mới của các chuyên mục này.", "Subscribed to: %s. You will get their new articles."},
	"already_sub":      {"Bạn đã đăng ký %s từ trước.", "You were already subscribed to %s."},
	"unsubscribed":     {"Đã hủy đăng ký: %s.", "Unsubscribed from: %s."},
	"not_subscribed":   {"Bạn chưa đăng ký %s.", "You were not subscribed to %s."},
	"mysubs_none":      {"Bạn chưa đăng ký chuyên mục nào. Gõ /sections để chọn.", "You have no subscriptions. Type /sections to choose."},
	"mysubs":           {"<b>Bạn đang nhận tin của:</b>\n%s", "<b>Your subscriptions:</b>\n%s"},
	"latest_none":      {"Chưa có bài nào.", "No articles yet."},
	"latest_head":      {"<b>Tin mới nhất</b>", "<b>Latest news</b>"},
	"latest_head_sec":  {"<b>Tin mới nhất — %s</b>", "<b>Latest news — %s</b>"},
	"search_usage":     {"Hãy gõ từ khóa, ví dụ: /search khoa giáo", "Type some words, e.g. /search khoa giáo"},
	"search_none":      {"Không tìm thấy bài nào cho “%s”. Thử từ khóa khác hoặc ít từ hơn.", "No article matches “%s”. Try other or fewer words."},
	"search_head":      {"<b>Kết quả cho “%s”</b>", "<b>Results for “%s”</b>"},
	"addfeed_usage":    {"Cú pháp: /addfeed <i>URL mã-chuyên-mục</i>\nCác mã hợp lệ: %s", "Usage: /addfeed <i>URL section-key</i>\nValid keys: %s"},
	"addfeed_bad_url":  {"“%s” không phải địa chỉ http/https hợp lệ.", "“%s” is not a valid http/https address."},
	"addfeed_failed":   {"Không thêm được nguồn tin: %s", "Could not add the feed: %s"},
	"addfeed_ok":       {"Đã thêm nguồn tin #%d (%s) vào chuyên mục %s: %d bài hiện có đã được lưu (không gửi thông báo); bài mới sẽ được báo.", "Added feed #%d (%s) to %s: %d current articles stored (not announced); new ones will be."},
	"delfeed_usage":    {"Cú pháp: /delfeed <i>ID hoặc URL</i> (xem /feeds)", "Usage: /delfeed <i>ID or URL</i> (see /feeds)"},
	"delfeed_notfound": {"Không có nguồn tin “%s”. Xem /feeds.", "There is no feed “%s”. See /feeds."},
	"delfeed_ok":       {"Đã xóa nguồn tin #%d (%s). Các bài đã lưu vẫn tìm được.", "Removed feed #%d (%s). Its stored articles stay searchable."},
	"feeds_none":       {"Chưa có nguồn tin nào. Thêm bằng /addfeed.", "No feeds yet. Add one with /addfeed."},
	"feeds_head":       {"<b>Nguồn tin</b>", "<b>Feeds</b>"},
	"feed_line":        {"#%d %s\n   chuyên mục %s · %d bài · lần tốt gần nhất: %s", "#%d %s\n   section %s · %d articles · last success: %s"},
	"feed_error":       {"\n   ⚠️ lỗi lúc %s: %s", "\n   ⚠️ error at %s: %s"},
	"never":            {"chưa", "never"},
	"read_more":        {"Đọc bài", "Read"},
	"all":              {"tất cả chuyên mục", "every section"},
}

// tr returns the text for key in language lg ("vi" or "en"), formatted with args.
func tr(lg, key string, args ...any) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	s := t[0]
	if lg == "en" {
		s = t[1]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}
