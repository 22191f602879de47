package storage

import (
	"context"
	"strings"
	"testing"
	"time"
)

// One story as three outlets wrote it: the same event, titles and leads
// that share nearly every word (the matcher's fine points do not matter
// here), and an unrelated article.
var (
	storyA = Item{GUID: "https://baolaocai.example/xuc-tien", Link: "https://baolaocai.example/xuc-tien", Canonical: "https://baolaocai.example/xuc-tien",
		Title:   "Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026",
		Summary: "Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 với hơn 300 doanh nghiệp tham dự."}
	storyB = Item{GUID: "https://vov.example/xuc-tien", Link: "https://vov.example/xuc-tien", Canonical: "https://vov.example/xuc-tien",
		Title:   "Khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 tại Lào Cai",
		Summary: "Sáng 3/12, UBND tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026, hơn 300 doanh nghiệp tham dự, bàn về cáp treo."}
	storyC = Item{GUID: "https://nhandan.example/xuc-tien", Link: "https://nhandan.example/xuc-tien", Canonical: "https://nhandan.example/xuc-tien",
		Title:   "Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 khai mạc tại Lào Cai",
		Summary: "Sáng 3/12, tỉnh Lào Cai khai mạc Hội nghị xúc tiến đầu tư du lịch Sa Pa năm 2026 với hơn 300 doanh nghiệp tham dự."}
	unrelated = Item{GUID: "https://nhandan.example/gia-vang", Link: "https://nhandan.example/gia-vang", Canonical: "https://nhandan.example/gia-vang",
		Title:   "Giá vàng miếng giảm mạnh trong phiên giao dịch buổi chiều",
		Summary: "Các doanh nghiệp kinh doanh vàng đồng loạt hạ giá vàng miếng thêm 500.000 đồng mỗi lượng."}
)

// storyFixture: three outlets' feeds (Báo Lào Cai and Nhân Dân in
// thoi-su, VOV in du-lich), chats subscribed to thoi-su on Telegram
// (sent, pending) and Zalo, one subscribed to du-lich only, and one that
// follows a phrase only VOV's article has.
type storyFixture struct {
	s                          *Store
	laocai, vov, nhandan       Feed
	sent, pending, zl, travel  ChatRef
	follower                   ChatRef
	now                        time.Time
	sentMessage, zaloMessageID string
}

func newStoryFixture(t *testing.T) *storyFixture {
	t.Helper()
	ctx := context.Background()
	s, _ := openTest(t)
	s.EnableStories(StoryOptions{})
	f := &storyFixture{s: s, now: time.Now().UTC()}
	for _, sec := range []Section{{"thoi-su", "Thời sự"}, {"du-lich", "Du lịch"}} {
		if err := s.UpsertSection(ctx, sec); err != nil {
			t.Fatal(err)
		}
	}
	for _, fd := range []struct {
		feed          *Feed
		url, sec, ttl string
	}{
		{&f.laocai, "https://baolaocai.example/rss", "thoi-su", "Báo Lào Cai"},
		{&f.vov, "https://vov.example/rss", "du-lich", "VOV"},
		{&f.nhandan, "https://nhandan.example/rss", "thoi-su", "Nhân Dân"},
	} {
		feed, err := s.AddFeed(ctx, fd.url, fd.sec, "")
		if err != nil {
			t.Fatal(err)
		}
		*fd.feed = feed
		// The first poll is silent; it records the outlet's name.
		if _, err := s.SaveItems(ctx, feed.ID, nil, SaveOptions{Now: f.now, Title: fd.ttl}); err != nil {
			t.Fatal(err)
		}
	}
	f.sent, f.pending, f.zl = ChatRef{"telegram", "10"}, ChatRef{"telegram", "11"}, ChatRef{"zalo", "z1"}
	f.travel, f.follower = ChatRef{"telegram", "12"}, ChatRef{"telegram", "13"}
	subs := map[ChatRef][]string{f.sent: {"thoi-su"}, f.pending: {"thoi-su"}, f.zl: {"thoi-su"}, f.travel: {"du-lich"}}
	for _, chat := range []ChatRef{f.sent, f.pending, f.zl, f.travel, f.follower} {
		if err := s.TouchChat(ctx, Chat{ChatRef: chat}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, chat, subs[chat]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Follow(ctx, f.follower, "cáp treo"); err != nil {
		t.Fatal(err)
	}
	return f
}

// save stores one item from a feed, published at the fixture's time plus at.
func (f *storyFixture) save(t *testing.T, feed Feed, it Item, at time.Duration) SaveResult {
	t.Helper()
	it.Published = f.now.Add(at)
	res, err := f.s.SaveItems(context.Background(), feed.ID, []Item{it}, SaveOptions{Now: f.now.Add(at)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// states returns a chat's deliveries.
func (f *storyFixture) states(t *testing.T, chat ChatRef) []DeliveryState {
	t.Helper()
	ds, err := f.s.DeliveryStates(context.Background(), chat)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// markSent records the chat's only delivery as sent alone as message id.
func (f *storyFixture) markSent(t *testing.T, chat ChatRef, id string, at time.Time) int64 {
	t.Helper()
	ds := f.states(t, chat)
	if len(ds) != 1 {
		t.Fatalf("%s has %d deliveries, want 1", chat, len(ds))
	}
	if err := f.s.MarkSentMessage(context.Background(), []int64{ds[0].ID}, at, id); err != nil {
		t.Fatal(err)
	}
	return ds[0].ID
}

// due returns the due rows by chat.
func (f *storyFixture) due(t *testing.T) map[ChatRef][]Delivery {
	t.Helper()
	ds, err := f.s.DueDeliveries(context.Background(), f.now.Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[ChatRef][]Delivery{}
	for _, d := range ds {
		out[d.Chat.ChatRef] = append(out[d.Chat.ChatRef], d)
	}
	return out
}

func sourceNames(as []Article) string {
	var names []string
	for _, a := range as {
		names = append(names, a.Source)
	}
	return strings.Join(names, ",")
}

// TestStoryJoinEditsSentAlertsOnly: when an article joins a story, a chat
// that was sent the story's alert as a message of its own gets one edit
// row (Telegram and Zalo alike: the dispatcher decides what a platform can
// do); a chat whose alert still waits gets nothing more and its alert
// carries the new source; a chat subscribed only to the joining article's
// section, and one following a phrase only it contains, get one new alert
// each, listing the story's first source.
func TestStoryJoinEditsSentAlertsOnly(t *testing.T) {
	ctx := context.Background()
	f := newStoryFixture(t)
	if res := f.save(t, f.laocai, storyA, 0); res.Enqueued != 3 || res.Edits != 0 {
		t.Fatalf("first article: %+v, want 3 alerts (sent, pending, zalo)", res)
	}
	sentID := f.markSent(t, f.sent, "501", f.now.Add(time.Minute))
	f.markSent(t, f.zl, "zm-1", f.now.Add(time.Minute))

	res := f.save(t, f.vov, storyB, 10*time.Minute)
	if res.Edits != 2 || res.Enqueued != 4 {
		t.Fatalf("joining article: %+v, want 2 edits (telegram and zalo sent) and 2 alerts (du-lich, follower)", res)
	}
	due := f.due(t)
	edit := due[f.sent]
	if len(edit) != 1 || edit[0].Edit == nil || edit[0].Edit.Of != sentID || edit[0].Edit.MessageID != "501" {
		t.Fatalf("sent chat's due rows: %+v, want one edit of delivery %d (message 501)", edit, sentID)
	}
	if a := edit[0].Article; a == nil || a.Title != storyA.Title || sourceNames(edit[0].Sources) != "VOV" {
		t.Fatalf("edit renders %+v with sources %q, want the alert sent (Báo Lào Cai's) with VOV", a, sourceNames(edit[0].Sources))
	}
	if got := due[f.zl]; len(got) != 1 || got[0].Edit == nil || got[0].Edit.MessageID != "zm-1" {
		t.Fatalf("zalo chat's due rows: %+v, want one edit row", got)
	}
	if got := due[f.pending]; len(got) != 1 || got[0].Edit != nil || got[0].Article.Title != storyA.Title || sourceNames(got[0].Sources) != "VOV" {
		t.Fatalf("pending chat's due rows: %+v, want its waiting alert, now with VOV", got)
	}
	if n := len(f.states(t, f.pending)); n != 1 {
		t.Fatalf("pending chat has %d rows, want its one alert", n)
	}
	for _, chat := range []ChatRef{f.travel, f.follower} {
		got := due[chat]
		if len(got) != 1 || got[0].Edit != nil || got[0].Article.Title != storyB.Title || sourceNames(got[0].Sources) != "Báo Lào Cai" {
			t.Fatalf("%s due rows: %+v, want one alert of VOV's article listing Báo Lào Cai", chat, got)
		}
	}
	if got := due[f.follower][0].Text; got != "cáp treo" {
		t.Errorf("follower's alert says %q, want the phrase", got)
	}

	// A third outlet: the edit still waiting covers it (rendered when sent);
	// no chat gets a second alert of the story, though two subscribe to
	// Nhân Dân's section.
	res = f.save(t, f.nhandan, storyC, 20*time.Minute)
	if res.Enqueued != 0 || res.Edits != 0 {
		t.Fatalf("third article: %+v, want nothing queued", res)
	}
	due = f.due(t)
	if got := due[f.sent]; len(got) != 1 || sourceNames(got[0].Sources) != "VOV,Nhân Dân" {
		t.Fatalf("sent chat's due rows: %+v, want its one edit, listing VOV and Nhân Dân", got)
	}
	if got := due[f.travel]; len(got) != 1 || sourceNames(got[0].Sources) != "Báo Lào Cai,Nhân Dân" {
		t.Fatalf("du-lich chat's alert lists %q", sourceNames(got[0].Sources))
	}

	// Once the edit went out, the next source queues another.
	if err := f.s.MarkSentMessage(ctx, []int64{due[f.sent][0].ID}, f.now.Add(21*time.Minute), "501"); err != nil {
		t.Fatal(err)
	}
	fourth := storyC
	fourth.GUID, fourth.Link, fourth.Canonical = "https://baolaocai.example/xuc-tien-2", "https://baolaocai.example/xuc-tien-2", "https://baolaocai.example/xuc-tien-2"
	fourth.Title += " (cập nhật)"
	if res := f.save(t, f.laocai, fourth, 30*time.Minute); res.Edits != 1 || res.Enqueued != 1 {
		t.Fatalf("fourth article: %+v, want one new edit (the telegram chat's; the zalo chat's still waits)", res)
	}
}

// TestStoryEditsSkipOldAndCombinedMessages: a message sent more than
// StoryEditAge ago, or one that carried several alerts (a digest), is not
// edited when a source joins.
func TestStoryEditsSkipOldAndCombinedMessages(t *testing.T) {
	ctx := context.Background()
	f := newStoryFixture(t)
	f.save(t, f.laocai, unrelated, -time.Hour)
	f.save(t, f.laocai, storyA, 0)
	// sent: its two alerts went out as one digest.
	ds := f.states(t, f.sent)
	if len(ds) != 2 {
		t.Fatalf("sent chat has %d deliveries, want 2", len(ds))
	}
	if err := f.s.MarkSentMessage(ctx, []int64{ds[0].ID, ds[1].ID}, f.now, "700"); err != nil {
		t.Fatal(err)
	}
	// pending: its story alert went out alone, three days before the join.
	ps := f.states(t, f.pending)
	if err := f.s.MarkSentMessage(ctx, []int64{ps[1].ID}, f.now.Add(-StoryEditAge-time.Minute), "800"); err != nil {
		t.Fatal(err)
	}
	res := f.save(t, f.vov, storyB, 10*time.Minute)
	if res.Edits != 0 {
		t.Fatalf("join: %+v, want no edit of a digest or of a message older than %s", res, StoryEditAge)
	}
	due := f.due(t)
	if len(due[f.sent]) != 0 {
		t.Fatalf("digest chat's due rows: %+v", due[f.sent])
	}
	for _, d := range due[f.pending] {
		if d.Edit != nil {
			t.Fatalf("an old message got an edit: %+v", d)
		}
	}
}

// TestLatestAndSearchOneEntryPerStory: /latest and search list a story
// once, with its number of sources, beside an article that is alone.
func TestLatestAndSearchOneEntryPerStory(t *testing.T) {
	ctx := context.Background()
	f := newStoryFixture(t)
	f.save(t, f.laocai, storyA, 0)
	f.save(t, f.vov, storyB, 10*time.Minute)
	f.save(t, f.nhandan, unrelated, 15*time.Minute)
	f.save(t, f.nhandan, storyC, 20*time.Minute)

	entries := func(as []Article) string {
		var out []string
		for _, a := range as {
			out = append(out, a.Source+":"+string(rune('0'+a.Sources)))
		}
		return strings.Join(out, " ")
	}
	latest, err := f.s.Latest(ctx, "", 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := entries(latest); got != "Nhân Dân:3 Nhân Dân:1" {
		t.Fatalf("Latest = %s, want the story once (its newest article, 3 sources) and the gold price", got)
	}
	if latest[0].Title != storyC.Title || latest[1].Title != unrelated.Title {
		t.Fatalf("Latest titles: %q, %q", latest[0].Title, latest[1].Title)
	}
	// du-lich carries only VOV's article: the story's entry there is it.
	travel, err := f.s.Latest(ctx, "du-lich", 5)
	if err != nil || entries(travel) != "VOV:3" {
		t.Fatalf("Latest du-lich = %s (%v)", entries(travel), err)
	}
	// A limit of one takes the newest story only.
	if one, err := f.s.Latest(ctx, "", 1); err != nil || len(one) != 1 || one[0].Sources != 3 {
		t.Fatalf("Latest(1) = %+v (%v)", one, err)
	}

	page, err := f.s.SearchFirst(ctx, "xuc tien dau tu Sa Pa", "", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Articles) != 1 || page.Articles[0].Sources != 3 {
		t.Fatalf("search = %s, want one entry with 3 sources", entries(page.Articles))
	}
	page, err = f.s.SearchFirst(ctx, "doanh nghiep", "", 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := entries(page.Articles); len(page.Articles) != 2 || !strings.Contains(got, ":3") || !strings.Contains(got, ":1") {
		t.Fatalf("search doanh nghiep = %s, want the story once and the gold price", got)
	}

	// The story's articles, oldest first, from any of its ids.
	story, err := f.s.Story(ctx, latest[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := sourceNames(story); got != "Báo Lào Cai,VOV,Nhân Dân" {
		t.Fatalf("Story = %s", got)
	}
	if alone, err := f.s.Story(ctx, latest[1].ID); err != nil || len(alone) != 1 || alone[0].Title != unrelated.Title {
		t.Fatalf("Story of a lone article = %+v (%v), want it alone", alone, err)
	}
	if _, err := f.s.Story(ctx, 987654); err != ErrNotFound {
		t.Fatalf("Story of no article: %v, want ErrNotFound", err)
	}
}

// TestStoriesOffKeepsOneAlertPerArticle: without EnableStories every
// article is its own story, as before.
func TestStoriesOffKeepsOneAlertPerArticle(t *testing.T) {
	f := newStoryFixture(t)
	f.s.stories.Store(nil)
	f.save(t, f.laocai, storyA, 0)
	f.markSent(t, f.sent, "501", f.now)
	res := f.save(t, f.nhandan, storyC, 10*time.Minute)
	if res.Enqueued != 3 || res.Edits != 0 {
		t.Fatalf("%+v, want a second alert for each thoi-su chat and no edit", res)
	}
}

// TestOnlyAlertedArticlesAreMatched: an article stored without an alert
// (here, older than MaxAge) is not matched and stays its own story, so a
// bulk save does not pay the matcher per item; a later alerted article of
// the same story still finds the first outlet's article.
func TestOnlyAlertedArticlesAreMatched(t *testing.T) {
	f := newStoryFixture(t)
	ctx := context.Background()
	f.save(t, f.laocai, storyA, 0)
	old := storyB
	old.Published = f.now.Add(-time.Hour)
	if _, err := f.s.SaveItems(ctx, f.vov.ID, []Item{old}, SaveOptions{Now: f.now.Add(5 * time.Minute), MaxAge: time.Minute}); err != nil {
		t.Fatal(err)
	}
	var storyID *int64
	if err := f.s.db.QueryRowContext(ctx, `SELECT story_id FROM articles WHERE link = ?`, old.Link).Scan(&storyID); err != nil {
		t.Fatal(err)
	}
	if storyID != nil {
		t.Fatalf("an article stored without an alert was matched to story %d", *storyID)
	}
	f.save(t, f.nhandan, storyC, 10*time.Minute)
	members, err := f.s.Story(ctx, f.articleID(t, storyA.Link))
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 {
		t.Fatalf("story of A has %d articles (%s), want A and C", len(members), sourceNames(members))
	}
}

func (f *storyFixture) articleID(t *testing.T, link string) int64 {
	t.Helper()
	var id int64
	if err := f.s.db.QueryRowContext(context.Background(), `SELECT id FROM articles WHERE link = ?`, link).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
