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
			"/mysubs — chuyên mục bạn đang nhận\n/latest [<i>chuyên mục</i>] — 5 tin mới nhất\n/search <i>từ khóa</i> [<i>chuyên mục</i>] — tìm bài (gõ không dấu cũng được); /more — trang sau\n" +
			"/nguon <i>số</i> — mọi báo cùng đưa một tin\n" +
			"/follow <i>cụm từ</i> — báo bài có cụm từ ở mọi chuyên mục; /unfollow, /follows\n" +
			"/digest off|hourly|daily <i>HH:MM</i> — nhận bản tin thay vì từng bài\n/quiet <i>HH:MM-HH:MM</i>|off — giờ yên lặng\n/id — mã của bạn và của cuộc trò chuyện\n\nMọi giờ đều là giờ Việt Nam (UTC+7).",
		"<b>Commands</b>\n/start — introduction\n/help — this list\n/sections — the sections; tap to subscribe or unsubscribe\n" +
			"/subscribe <i>section</i> — subscribe (<code>all</code> = every section)\n/unsubscribe <i>section</i> — unsubscribe\n" +
			"/mysubs — your subscriptions\n/latest [<i>section</i>] — the 5 newest articles\n/search <i>words</i> [<i>section</i>] — search articles (accents optional); /more — next page\n" +
			"/nguon <i>number</i> — every outlet that carried a story\n" +
			"/follow <i>phrase</i> — alerts for a phrase in any section; /unfollow, /follows\n" +
			"/digest off|hourly|daily <i>HH:MM</i> — digests instead of single alerts\n/quiet <i>HH:MM-HH:MM</i>|off — quiet hours\n/id — your id and this chat's\n\nAll times are Vietnam time (UTC+7).",
	},
	"help_admin": {
		"\n\n<b>Quản trị</b>\n/addfeed <i>URL chuyên-mục</i> — thêm nguồn tin\n/delfeed <i>ID|URL</i> — xóa nguồn tin\n/feeds — các nguồn tin và tình trạng\n/resumefeed <i>ID</i> — bật lại nguồn tin đã tạm dừng\n" +
			"/channel add|del <i>@kênh chuyên-mục…</i> — gắn kênh/nhóm\n/channels — kênh và nhóm đã gắn\n/stats — tình trạng bot\n/broadcast <i>nội dung</i> — gửi tới mọi người",
		"\n\n<b>Admin</b>\n/addfeed <i>URL section</i> — add a feed\n/delfeed <i>ID|URL</i> — remove a feed\n/feeds — feeds and their health\n/resumefeed <i>ID</i> — resume a paused feed\n" +
			"/channel add|del <i>@channel section…</i> — bind a channel or group\n/channels — bound channels and groups\n/stats — bot health\n/broadcast <i>text</i> — message everyone",
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
	"need_section":        {"Hãy cho biết chuyên mục, ví dụ: /%s %s\nCác mã hợp lệ: %s", "Tell me which section, e.g. /%s %s\nValid keys: %s"},
	"unknown_section":     {"Không có chuyên mục “%s”. Các mã hợp lệ: %s", "There is no section “%s”. Valid keys: %s"},
	"subscribed":          {"Đã đăng ký: %s. Bạn sẽ nhận tin mới của các chuyên mục này.", "Subscribed to: %s. You will get their new articles."},
	"already_sub":         {"Bạn đã đăng ký %s từ trước.", "You were already subscribed to %s."},
	"unsubscribed":        {"Đã hủy đăng ký: %s.", "Unsubscribed from: %s."},
	"not_subscribed":      {"Bạn chưa đăng ký %s.", "You were not subscribed to %s."},
	"mysubs_none":         {"Bạn chưa đăng ký chuyên mục nào. Gõ /sections để chọn.", "You have no subscriptions. Type /sections to choose."},
	"mysubs":              {"<b>Bạn đang nhận tin của:</b>\n%s", "<b>Your subscriptions:</b>\n%s"},
	"latest_none":         {"Chưa có bài nào.", "No articles yet."},
	"latest_head":         {"<b>Tin mới nhất</b>", "<b>Latest news</b>"},
	"latest_head_sec":     {"<b>Tin mới nhất — %s</b>", "<b>Latest news — %s</b>"},
	"search_usage":        {"Hãy gõ từ khóa, ví dụ: /search khoa giáo", "Type some words, e.g. /search khoa giáo"},
	"search_none":         {"Không tìm thấy bài nào cho “%s”. Thử từ khóa khác hoặc ít từ hơn.", "No article matches “%s”. Try other or fewer words."},
	"search_head":         {"<b>Kết quả cho “%s”</b>", "<b>Results for “%s”</b>"},
	"addfeed_usage":       {"Cú pháp: /addfeed <i>URL mã-chuyên-mục</i> [full_text]\n(full_text: lấy nội dung từ trang bài khi nguồn chỉ có tiêu đề)\nCác mã hợp lệ: %s", "Usage: /addfeed <i>URL section-key</i> [full_text]\n(full_text: read the article page when the feed has only titles)\nValid keys: %s"},
	"addfeed_full_text":   {"Tóm tắt sẽ lấy từ trang bài khi nguồn chỉ có tiêu đề hoặc lời dẫn ngắn.", "Summaries will come from the article page when the feed has only a title or a short teaser."},
	"addfeed_bad_url":     {"“%s” không phải địa chỉ http/https hợp lệ.", "“%s” is not a valid http/https address."},
	"addfeed_failed":      {"Không thêm được nguồn tin: %s", "Could not add the feed: %s"},
	"addfeed_ok":          {"Đã thêm nguồn tin #%d (%s) vào chuyên mục %s: %d bài hiện có đã được lưu (không gửi thông báo); bài mới sẽ được báo.", "Added feed #%d (%s) to %s: %d current articles stored (not announced); new ones will be."},
	"delfeed_usage":       {"Cú pháp: /delfeed <i>ID hoặc URL</i> (xem /feeds)", "Usage: /delfeed <i>ID or URL</i> (see /feeds)"},
	"delfeed_notfound":    {"Không có nguồn tin “%s”. Xem /feeds.", "There is no feed “%s”. See /feeds."},
	"delfeed_ok":          {"Đã xóa nguồn tin #%d (%s). Các bài đã lưu vẫn tìm được.", "Removed feed #%d (%s). Its stored articles stay searchable."},
	"feeds_none":          {"Chưa có nguồn tin nào. Thêm bằng /addfeed.", "No feeds yet. Add one with /addfeed."},
	"feeds_head":          {"<b>Nguồn tin</b>", "<b>Feeds</b>"},
	"feed_line":           {"#%d %s\n   chuyên mục %s · %d bài · lần tốt gần nhất: %s", "#%d %s\n   section %s · %d articles · last success: %s"},
	"feed_error":          {"\n   ⚠️ lỗi lúc %s: %s", "\n   ⚠️ error at %s: %s"},
	"never":               {"chưa", "never"},
	"digest_head":         {"📰 Bản tin: %d bài mới", "📰 Digest: %d new articles"},
	"quiet_head":          {"🌙 %d bài mới trong giờ yên lặng", "🌙 %d new articles during quiet hours"},
	"combined_head":       {"📰 %d bài mới", "📰 %d new articles"},
	"group_admin_only":    {"Trong nhóm, chỉ quản trị viên của nhóm mới đổi được đăng ký và cách nhận tin.", "In a group, only the group's administrators can change its subscriptions and settings."},
	"digest_usage":        {"Cú pháp: /digest off | hourly | daily HH:MM (ví dụ /digest daily 07:00)", "Usage: /digest off | hourly | daily HH:MM (e.g. /digest daily 07:00)"},
	"quiet_usage":         {"Cú pháp: /quiet HH:MM-HH:MM hoặc /quiet off (ví dụ /quiet 22:00-6:00 hay /quiet 22h-6h)", "Usage: /quiet HH:MM-HH:MM or /quiet off (e.g. /quiet 22:00-6:00 or /quiet 22h-6h)"},
	"mode_set":            {"Đã lưu. %s", "Saved. %s"},
	"mode_each":           {"Cách nhận tin: từng bài, ngay khi có.", "Delivery: each article as it comes."},
	"mode_hourly":         {"Cách nhận tin: bản tin mỗi giờ.", "Delivery: an hourly digest."},
	"mode_daily":          {"Cách nhận tin: bản tin hằng ngày lúc %s.", "Delivery: a daily digest at %s."},
	"mode_quiet":          {"Giờ yên lặng: %s–%s (tin đến lúc đó được gom lại, gửi khi hết giờ).", "Quiet hours: %s–%s (alerts are held and sent as one digest afterwards)."},
	"channel_usage":       {"Cú pháp: /channel add <i>@tên|-100ID chuyên-mục…</i> (hoặc <code>all</code>), /channel del <i>@tên|-100ID</i>\nCác mã hợp lệ: %s", "Usage: /channel add <i>@name|-100ID section…</i> (or <code>all</code>), /channel del <i>@name|-100ID</i>\nValid keys: %s"},
	"channel_unsupported": {"Gắn kênh hay nhóm là tính năng của Telegram: hãy dùng lệnh này trong Telegram.", "Channels and groups are a Telegram feature: use this command on Telegram."},
	"channel_not_found":   {"Không tìm thấy kênh/nhóm %s: %s", "Could not find the channel or group %s: %s"},
	"channel_cannot_post": {"Không gắn được %s: bot phải là quản trị viên có quyền đăng tin ở đó (%s).", "Cannot bind %s: the bot must be an administrator allowed to post there (%s)."},
	"channel_added":       {"Đã gắn %s: sẽ đăng tin mới của %s.", "Bound %s: it will get new articles of %s."},
	"channel_deleted":     {"Đã gỡ %s: bot sẽ không đăng vào đó nữa.", "Unbound %s: the bot will no longer post there."},
	"channel_not_bound":   {"%s chưa được gắn.", "%s is not bound."},
	"channels_none":       {"Chưa gắn kênh hay nhóm nào. Dùng /channel add.", "No channels or groups are bound. Use /channel add."},
	"channels_head":       {"<b>Kênh và nhóm đã gắn</b>", "<b>Bound channels and groups</b>"},
	"inactive":            {"không còn nhận được tin", "no longer reachable"},
	"stats_head":          {"<b>Tình trạng bot</b>", "<b>Bot health</b>"},
	"stats_feeds":         {"Nguồn tin: %d (%d tốt, %d lỗi, %d chưa lấy lần nào)", "Feeds: %d (%d ok, %d failing, %d not polled yet)"},
	"stats_articles":      {"Bài: %d (lưu trong 24 giờ qua: %d)", "Articles: %d (stored in the last 24 h: %d)"},
	"stats_platform":      {"%s — cuộc trò chuyện: %d hoạt động, %d ngừng; 24 giờ qua: %d đã gửi, %d chờ, %d lỗi, %d bỏ", "%s — chats: %d active, %d inactive; last 24 h: %d sent, %d pending, %d failed, %d dropped"},
	"stats_queue":         {"Hàng đợi: %d tin, cũ nhất %s", "Queue: %d, oldest %s"},
	"broadcast_usage":     {"Cú pháp: /broadcast <i>nội dung</i>", "Usage: /broadcast <i>text</i>"},
	"broadcast_queued":    {"Đã xếp hàng gửi tới %d cuộc trò chuyện.", "Queued for %d chats."},
	"search_head_page":    {"<b>Kết quả cho “%s”</b> — trang %d", "<b>Results for “%s”</b> — page %d"},
	"more_hint":           {"Gõ /more để xem tiếp.", "Type /more for the next page."},
	"more_button":         {"Trang sau ›", "Next page ›"},
	"more_none":           {"Chưa có kết quả nào để xem tiếp. Hãy tìm bằng /search <i>từ khóa</i>.", "There is nothing to continue. Search with /search <i>words</i>."},
	"more_end":            {"Hết kết quả.", "No more results."},
	"follow_usage":        {"Cú pháp: /follow <i>cụm từ</i>, ví dụ /follow Sa Pa", "Usage: /follow <i>phrase</i>, e.g. /follow Sa Pa"},
	"unfollow_usage":      {"Cú pháp: /unfollow <i>cụm từ</i> (xem /follows)", "Usage: /unfollow <i>phrase</i> (see /follows)"},
	"follow_too_long":     {"Cụm từ quá dài (tối đa %d ký tự).", "That phrase is too long (at most %d characters)."},
	"follow_too_many":     {"Bạn đã theo dõi %d cụm từ, mức tối đa. Bỏ bớt bằng /unfollow.", "You follow %d phrases, the most allowed. Remove one with /unfollow."},
	"follow_already":      {"Bạn đã theo dõi “%s” từ trước.", "You already follow “%s”."},
	"follow_ok":           {"Đã theo dõi “%s”: bài mới ở mọi chuyên mục có cụm từ này sẽ được báo (không phân biệt dấu, hoa thường).", "Following “%s”: new articles in any section with this phrase will be sent to you (accents and case ignored)."},
	"unfollow_none":       {"Bạn không theo dõi “%s”. Xem /follows.", "You don't follow “%s”. See /follows."},
	"unfollow_ok":         {"Đã thôi theo dõi “%s”.", "Stopped following “%s”."},
	"follows_none":        {"Bạn chưa theo dõi cụm từ nào. Dùng /follow <i>cụm từ</i>.", "You follow no phrases. Use /follow <i>phrase</i>."},
	"follows_head":        {"<b>Cụm từ bạn theo dõi</b>", "<b>Phrases you follow</b>"},
	"read_more":           {"Đọc bài", "Read"},
	"all":                 {"tất cả chuyên mục", "every section"},

	// Updates: concurrency, deadlines, command budget, slow work, replays (issue 8).
	"rate_limited":      {"Bạn gửi lệnh quá nhanh, xin chờ một chút.", "You are sending commands too fast; please wait a moment."},
	"timed_out":         {"⌛ Yêu cầu của bạn mất quá nhiều thời gian nên đã dừng lại. Xin thử lại sau.", "⌛ Your request took too long and was stopped. Please try again later."},
	"slow_busy":         {"Bot đang bận kiểm tra những yêu cầu khác, xin thử lại sau ít phút.", "The bot is busy checking other requests; please try again in a few minutes."},
	"addfeed_checking":  {"⏳ Đang kiểm tra nguồn tin…", "⏳ Checking the feed…"},
	"channel_checking":  {"⏳ Đang kiểm tra %s…", "⏳ Checking %s…"},
	"broadcast_already": {"Thông báo này đã được xếp hàng gửi tới %d cuộc trò chuyện từ trước; không gửi lại lần nữa.", "This announcement was already queued for %d chats; it is not sent again."},

	// Feeds: health in /feeds, /resumefeed, notices to the admins (feed_commands.go).
	"feed_state_ok":       {"ổn", "ok"},
	"feed_state_failing":  {"lỗi", "failing"},
	"feed_state_paused":   {"tạm dừng", "paused"},
	"feed_state_new":      {"chưa lấy lần nào", "not polled yet"},
	"feed_health":         {"\n   tình trạng: %s · lỗi liên tiếp: %d", "\n   state: %s · consecutive failures: %d"},
	"feed_next":           {" · lần thử tới: %s", " · next attempt: %s"},
	"feed_paused_hint":    {" · gõ /resumefeed %d để lấy lại", " · type /resumefeed %d to resume"},
	"resumefeed_usage":    {"Cú pháp: /resumefeed <i>ID</i> (xem /feeds)", "Usage: /resumefeed <i>ID</i> (see /feeds)"},
	"resumefeed_notfound": {"Không có nguồn tin #%d. Xem /feeds.", "There is no feed #%d. See /feeds."},
	"resumefeed_ok":       {"Đã bật lại nguồn tin #%d (%s): đã xóa số lần lỗi, sẽ lấy tin ngay.", "Resumed feed #%d (%s): failures cleared; it will be polled right away."},
	"notice_feed_paused": {
		"⚠️ Nguồn tin #%d (%s) đã tạm dừng sau %d lần lỗi liên tiếp.\nLỗi cuối: %s\nGõ /resumefeed %d để lấy lại.",
		"⚠️ Feed #%d (%s) was paused after %d failures in a row.\nLast error: %s\nType /resumefeed %d to resume it.",
	},
	"notice_feed_flood": {
		"⚠️ Nguồn tin #%d (%s) vừa có %d bài mới trong một lần lấy: chỉ gửi %d bài mới nhất; %d bài còn lại đã lưu và tìm được bằng /search.",
		"⚠️ Feed #%d (%s) brought %d new items in one poll: only the %d newest were sent; the other %d are stored and searchable with /search.",
	},

	// Delivery under a full disk (dispatcher, /stats).
	"db_unwritable": {"⚠️ newsbot không ghi được cơ sở dữ liệu (%s). Tạm ngừng gửi tin; sẽ tiếp tục khi ghi được.",
		"⚠️ newsbot cannot write its database (%s). Sending is paused and resumes once it can."},
	"db_writable":      {"✅ newsbot đã ghi lại được cơ sở dữ liệu, tiếp tục gửi tin.", "✅ newsbot can write its database again; sending resumes."},
	"stats_unwritable": {"⚠️ Không ghi được cơ sở dữ liệu từ %s: %s", "⚠️ Cannot write the database since %s: %s"},

	// Operations: OPML import and export (ops).
	"opml_no_documents":   {"Gửi và nhận tệp là tính năng của Telegram. Trên máy chủ, dùng lệnh <code>newsbot opml export</code> hoặc <code>newsbot opml import</code>.", "Sending and receiving files is a Telegram feature. On the server, use <code>newsbot opml export</code> or <code>newsbot opml import</code>."},
	"opml_export_caption": {"Danh sách nguồn tin (OPML). Gửi lại tệp này cho bot để nhập.", "The feed list (OPML). Send this file back to the bot to import it."},
	"document_not_opml":   {"Bot chỉ đọc tệp danh sách nguồn tin <b>.opml</b> (dành cho quản trị viên).", "The bot only reads <b>.opml</b> feed lists (for admins)."},
	"opml_too_big":        {"Tệp quá lớn: bot chỉ nhận tệp OPML đến %d KB.", "The file is too large: the bot takes OPML files up to %d KB."},
	"opml_importing":      {"Đang kiểm tra từng nguồn tin trong tệp, xin chờ…", "Checking each feed in the file, please wait…"},
	"opml_bad":            {"Tệp này không phải danh sách nguồn tin OPML đọc được.", "This file is not a readable OPML feed list."},
	"opml_report":         {"Đã đọc %d nguồn tin: thêm %d, đã có sẵn %d, không khớp chuyên mục %d, lỗi %d.", "Read %d feeds: %d added, %d already there, %d matching no section, %d failed."},
	"opml_added_head":     {"Đã thêm:", "Added:"},
	"opml_nosection_head": {"Không khớp chuyên mục nào (đặt tên thư mục theo chuyên mục, hoặc ghi mã chuyên mục vào chú thích của tệp):", "Matching no section (name the folder after a section, or put a section key in the file's caption):"},
	"opml_failed_head":    {"Không thêm được (không phải nguồn tin hoặc không tải được):", "Could not be added (not a feed, or could not be fetched):"},
	"opml_and_more":       {"… và %d nguồn khác", "… and %d more"},
	"help_admin_opml": {"\n/export — tải danh sách nguồn tin (tệp OPML); gửi tệp <b>.opml</b> cho bot để nhập, chú thích là mã chuyên mục nếu muốn",
		"\n/export — download the feed list (an OPML file); send an <b>.opml</b> file to the bot to import it, with a section key as its caption if you like"},

	// Set-up, configuration and errors in words (issue 9, items 1–10: setup_commands.go, commands.go).
	"start_id": {"Mã của bạn: <code>%s</code> (gõ /id để xem thêm).", "Your id: <code>%s</code> (type /id for more)."},
	"id_text": {
		"Nền tảng: %s\nMã người dùng của bạn: <code>%s</code>\nMã cuộc trò chuyện này: <code>%s</code>",
		"Platform: %s\nYour user id: <code>%s</code>\nThis chat's id: <code>%s</code>",
	},
	"id_group": {"(Đây là nhóm: mã nhóm khác mã của bạn.)", "(This is a group: its id differs from yours.)"},
	"id_hint": {
		"Để làm quản trị viên của bot, thêm mã của bạn vào tệp cấu hình: %s, rồi khởi động lại bot.",
		"To become an administrator of the bot, add your id to the configuration file: %s, then restart the bot.",
	},
	"id_admin":             {"Bạn là quản trị viên của bot.", "You are an administrator of the bot."},
	"mysubs_dormant":       {"<b>Tạm ngưng</b> (chuyên mục đã bị gỡ khỏi tệp cấu hình; sẽ nhận tin lại nếu chuyên mục trở lại):\n%s", "<b>Dormant</b> (the section was removed from the configuration file; news resumes if it returns):\n%s"},
	"addfeed_exists":       {"Nguồn tin này đã có: #%d (%s), chuyên mục %s. Xem /feeds.", "This feed already exists: #%d (%s), section %s. See /feeds."},
	"addfeed_exists_found": {"Trang này dẫn tới nguồn tin đã có: #%d (%s), chuyên mục %s. Xem /feeds.", "This page points to a feed that already exists: #%d (%s), section %s. See /feeds."},
	"addfeed_found":        {"Đó là một trang web; tôi tìm thấy nguồn tin của nó: %s", "That is a web page; I found its feed: %s"},
	"addfeed_found_failed": {"Đó là một trang web; nguồn tin của nó (%s) không dùng được: %s", "That is a web page; its feed (%s) cannot be used: %s"},
	"addfeed_choose":       {"Đó là một trang web (%s) có %d nguồn tin. Chọn một và gửi lệnh tương ứng:", "That is a web page (%s) with %d feeds. Choose one and send its command:"},
	"delfeed_file": {
		"Nguồn tin #%d (%s) nằm trong tệp cấu hình nên không xóa được từ đây: hãy bỏ nó khỏi mục <code>feeds</code> của tệp cấu hình rồi khởi động lại bot.",
		"Feed #%d (%s) is listed in the configuration file, so it cannot be removed from here: remove it from <code>feeds</code> in the configuration file and restart the bot.",
	},
	"feed_origin_file":  {" · 📄 tệp cấu hình", " · 📄 config file"},
	"feed_origin_chat":  {" · 💬 thêm từ chat", " · 💬 added in chat"},
	"feeds_origin_foot": {"📄 = có trong tệp cấu hình (sửa tệp để đổi); 💬 = thêm bằng /addfeed (xóa bằng /delfeed).", "📄 = listed in the configuration file (edit the file to change it); 💬 = added with /addfeed (remove with /delfeed)."},
	"follow_too_short":  {"Cụm từ cần ít nhất %d chữ cái.", "A phrase needs at least %d letters."},
	"alert_follow":      {"🔔 Theo dõi: “%s”", "🔔 Following: “%s”"},

	"feed_err_not_feed":    {"địa chỉ này là một trang web, không phải nguồn tin RSS, Atom hay JSON, và trang không dẫn tới nguồn tin nào.", "this address is a web page, not an RSS, Atom or JSON feed, and the page points to no feed."},
	"feed_err_private":     {"địa chỉ này thuộc mạng nội bộ; bot chỉ đọc nguồn tin trên Internet (quản trị có thể bật <code>poll.allow_private_addresses</code>).", "this address is on a private network; the bot only reads feeds on the Internet (an operator can set <code>poll.allow_private_addresses</code>)."},
	"feed_err_status":      {"máy chủ trả lời lỗi %d.", "the server answered with error %d."},
	"feed_err_status_404":  {"không tìm thấy trang này trên máy chủ (lỗi %d). Hãy kiểm tra lại địa chỉ.", "the server has no such page (error %d). Please check the address."},
	"feed_err_status_403":  {"máy chủ từ chối cho bot đọc (lỗi %d).", "the server refuses to let the bot read it (error %d)."},
	"feed_err_status_429":  {"máy chủ đang hạn chế số lần đọc (lỗi %d); thử lại sau.", "the server is limiting requests (error %d); try again later."},
	"feed_err_status_5xx":  {"máy chủ đang gặp sự cố (lỗi %d); thử lại sau.", "the server is having trouble (error %d); try again later."},
	"feed_err_timeout":     {"máy chủ trả lời quá chậm; thử lại sau.", "the server took too long to answer; try again later."},
	"feed_err_too_large":   {"nội dung quá lớn so với giới hạn của bot.", "the document is larger than the bot accepts."},
	"feed_err_too_complex": {"nội dung quá phức tạp (lồng nhau quá sâu hoặc quá nhiều phần tử).", "the document is too complex (nested too deep or too many elements)."},
	"feed_err_unreachable": {"không kết nối được tới máy chủ (tên miền sai, máy chủ tắt hoặc chuyển hướng vòng vòng).", "the server cannot be reached (wrong domain name, server down, or a redirect loop)."},
	"feed_err_invalid_url": {"đây không phải địa chỉ http/https hợp lệ.", "this is not a valid http/https address."},
	"feed_err_broken":      {"nguồn tin bị lỗi định dạng, không đọc được.", "the feed is malformed and cannot be read."},
	"feed_err_other":       {"đã có lỗi khi đọc nguồn tin; chi tiết nằm trong nhật ký của bot.", "something went wrong reading the feed; the details are in the bot's log."},

	// Search (issue 11): empty results in a section, and a next page that cannot be found.
	"search_none_sec": {"Không tìm thấy bài nào cho “%s” trong chuyên mục <b>%s</b>. Thử bỏ chuyên mục hoặc dùng từ khóa khác.",
		"No article in the <b>%[2]s</b> section matches “%[1]s”. Try without the section or with other words."},
	"more_stale": {"Trang này đã cũ hoặc không hợp lệ. Hãy tìm lại bằng /search <i>từ khóa</i>.",
		"That page is too old or not valid. Search again with /search <i>words</i>."},

	// English singular forms (see countArg): Vietnamese nouns do not change.
	"digest_head_one":       {"", "📰 Digest: %d new article"},
	"quiet_head_one":        {"", "🌙 %d new article during quiet hours"},
	"combined_head_one":     {"", "📰 %d new article"},
	"broadcast_queued_one":  {"", "Queued for %d chat."},
	"broadcast_already_one": {"", "This announcement was already queued for %d chat; it is not sent again."},
	"addfeed_ok_one":        {"", "Added feed #%d (%s) to %s: %d current article stored (not announced); new ones will be."},

	// Stories (issue 12): an alert's other sources, list entries of a
	// story, and /nguon.
	"story_also":   {"Cũng đưa tin: %s", "Also reported by: %s"},
	"story_count":  {"📰 %d nguồn — /nguon %d", "📰 %d sources — /nguon %d"},
	"story_button": {"📰 %s · %d nguồn", "📰 %s · %d sources"},
	"nguon_usage": {"Gõ /nguon <i>số</i>, với số ghi cạnh một tin trong /latest hoặc /search, để xem mọi báo cùng đưa tin đó.",
		"Type /nguon <i>number</i>, with the number shown beside an entry of /latest or /search, to see every outlet that carried it."},
	"nguon_none": {"Không có bài số %d. Hãy dùng số ghi cạnh một tin trong /latest hoặc /search.",
		"There is no article number %d. Use the number shown beside an entry of /latest or /search."},
	"nguon_head": {"<b>Các báo cùng đưa tin</b> (%d)", "<b>Outlets that carried it</b> (%d)"},
	// Retention (issue 10): /stats shows the database's size and how long articles are kept.
	"stats_db":            {"Cơ sở dữ liệu: %s MB (tệp và WAL); giữ bài %s", "Database: %s MB (file and WAL); articles kept %s"},
	"stats_keep_days":     {"%d ngày", "%d days"},
	"stats_keep_days_one": {"", "%d day"},
	"stats_keep_off":      {"mãi mãi (không tự xóa)", "forever (retention off)"},
	"stats_pruned":        {"Lần dọn gần nhất: %s, đã xóa %d bài và %d lượt gửi cũ", "Last cleanup: %s, removed %d articles and %d old deliveries"},
}

// countArg gives, for texts whose English changes with a count, which
// argument is the count: when it is 1, key+"_one" is used in English.
var countArg = map[string]int{
	"digest_head": 0, "quiet_head": 0, "combined_head": 0, "broadcast_queued": 0, "broadcast_already": 0, "addfeed_ok": 3,
	"stats_keep_days": 0,
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
		if i, ok := countArg[key]; ok && i < len(args) && args[i] == 1 {
			s = texts[key+"_one"][1]
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}
