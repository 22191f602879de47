package storage

import (
	"context"
	"testing"
	"time"
)

// sectionKeys lists the keys, or the error as the only entry.
func sectionKeys(secs []Section, err error) []string {
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var out []string
	for _, s := range secs {
		out = append(out, s.Key)
	}
	return out
}

// The file owns what it lists: a feed it drops is deleted at the next sync
// (its articles stay, with their section), a section it drops leaves
// Sections with its subscriptions dormant, and feeds added from the chat
// stay.
func TestSyncConfigFileOwnsWhatItLists(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	secs := []Section{{"thoi-su", "Thời sự"}, {"the-thao", "Thể thao"}}
	file := []FileFeed{
		{URL: "https://a.example/rss", Section: "thoi-su"},
		{URL: "https://b.example/rss", Section: "the-thao", Schedule: "@every 1m", FullText: true},
	}
	if _, err := s.SyncConfig(ctx, secs, file); err != nil {
		t.Fatal(err)
	}
	chatFeed, err := s.AddFeed(ctx, "https://chat.example/rss", "thoi-su", "")
	if err != nil {
		t.Fatal(err)
	}
	feeds, err := s.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	origins := map[string]string{}
	for _, f := range feeds {
		origins[f.URL] = f.Origin
	}
	want := map[string]string{"https://a.example/rss": OriginFile, "https://b.example/rss": OriginFile, "https://chat.example/rss": OriginChat}
	for u, o := range want {
		if origins[u] != o {
			t.Errorf("%s: origin %q, want %q", u, origins[u], o)
		}
	}
	sport, _ := s.FeedByURL(ctx, "https://b.example/rss")
	if !sport.FullText || sport.Schedule != "@every 1m" {
		t.Errorf("file feed settings not stored: %+v", sport)
	}

	// An article of the sports feed, and a chat subscribed to sports.
	now := time.Now()
	if _, err := s.SaveItems(ctx, sport.ID, []Item{item("", "https://b.example/1", "Bóng đá", now)}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	chat := ChatRef{"telegram", "9"}
	if err := s.TouchChat(ctx, Chat{ChatRef: chat}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscribe(ctx, chat, []string{"the-thao", "thoi-su"}); err != nil {
		t.Fatal(err)
	}

	// The file drops the sports section and its feed.
	res, err := s.SyncConfig(ctx, secs[:1], file[:1])
	if err != nil {
		t.Fatal(err)
	}
	if len(res.RemovedFeeds) != 1 || res.RemovedFeeds[0].URL != "https://b.example/rss" {
		t.Errorf("removed feeds %+v, want the sports feed", res.RemovedFeeds)
	}
	if len(res.RetiredSections) != 1 || res.RetiredSections[0] != "the-thao" {
		t.Errorf("retired sections %v, want [the-thao]", res.RetiredSections)
	}
	if _, err := s.FeedByURL(ctx, "https://b.example/rss"); err != ErrNotFound {
		t.Errorf("the dropped feed is still there: %v", err)
	}
	if _, err := s.Feed(ctx, chatFeed.ID); err != nil {
		t.Errorf("the chat's feed was removed by the sync: %v", err)
	}
	if got := sectionKeys(s.Sections(ctx)); len(got) != 1 || got[0] != "thoi-su" {
		t.Errorf("Sections = %v, want [thoi-su]", got)
	}
	if _, err := s.FindSection(ctx, "the-thao"); err != ErrUnknownSection {
		t.Errorf("a retired section is still found: %v", err)
	}
	if got := sectionKeys(s.Subscriptions(ctx, chat)); len(got) != 1 || got[0] != "thoi-su" {
		t.Errorf("Subscriptions = %v, want [thoi-su]", got)
	}
	if got := sectionKeys(s.DormantSubscriptions(ctx, chat)); len(got) != 1 || got[0] != "the-thao" {
		t.Errorf("DormantSubscriptions = %v, want [the-thao]", got)
	}
	// The article outlived its feed, in its section.
	arts, err := s.Search(ctx, "bong da", "", 5, 0)
	if err != nil || len(arts) != 1 || arts[0].Section != "the-thao" || arts[0].SectionName != "Thể thao" {
		t.Errorf("search after the feed went: %+v, %v; want the article in Thể thao", arts, err)
	}

	// The section returns: the subscription is alive again.
	if _, err := s.SyncConfig(ctx, secs, file[:1]); err != nil {
		t.Fatal(err)
	}
	if got := sectionKeys(s.Subscriptions(ctx, chat)); len(got) != 2 {
		t.Errorf("after the section returned, Subscriptions = %v, want both", got)
	}

	// The file now lists the chat's feed: the file owns it.
	res, err = s.SyncConfig(ctx, secs, []FileFeed{file[0], {URL: "https://chat.example/rss", Section: "thoi-su"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.AdoptedFeeds) != 1 {
		t.Errorf("adopted %+v, want the chat's feed", res.AdoptedFeeds)
	}
	if f, _ := s.Feed(ctx, chatFeed.ID); f.Origin != OriginFile {
		t.Errorf("origin %q after the file listed it, want file", f.Origin)
	}
}

// The section belongs to the article: after its feed is deleted, /latest
// KEY and search in the section still find it, with its section's name.
func TestArticleKeepsItsSectionAfterItsFeedIsDeleted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now()
	if _, err := f.s.SaveItems(ctx, f.econ.ID, []Item{item("", "https://b.example/gia-vang", "Giá vàng tăng", now)}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteFeed(ctx, f.econ.ID); err != nil {
		t.Fatal(err)
	}
	latest, err := f.s.Latest(ctx, "kinh-te", 5)
	if err != nil || len(latest) != 1 {
		t.Fatalf("Latest(kinh-te) after the feed went = %+v, %v; want the article", latest, err)
	}
	if latest[0].SectionName != "Kinh tế" {
		t.Errorf("section name %q, want Kinh tế", latest[0].SectionName)
	}
	found, err := f.s.Search(ctx, "gia vang", "kinh-te", 5, 0)
	if err != nil || len(found) != 1 || found[0].Section != "kinh-te" {
		t.Errorf("Search in kinh-te after the feed went = %+v, %v", found, err)
	}
}

// A section's dormant subscriptions queue nothing, even from a feed the
// chat added to it.
func TestRetiredSectionQueuesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now()
	if _, err := f.s.SaveItems(ctx, f.econ.ID, nil, SaveOptions{Now: now}); err != nil { // first poll: silent
		t.Fatal(err)
	}
	if _, err := f.s.SyncConfig(ctx, []Section{{"chinh-tri", "Chính trị"}}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.SaveItems(ctx, f.econ.ID, []Item{item("", "https://b.example/2", "Lãi suất", now)}, SaveOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 1 || res.Enqueued != 0 {
		t.Errorf("saved %+v: want the article stored and nothing queued", res)
	}
}

// An alert queued by a /follow carries the phrase, as typed, so the alert
// can say which phrase matched; one queued by a section carries none.
func TestFollowDeliveryCarriesThePhrase(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now()
	if _, err := f.s.SaveItems(ctx, f.econ.ID, nil, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Follow(ctx, f.a, "Sa Pa"); err != nil { // a: politics only
		t.Fatal(err)
	}
	if _, err := f.s.Follow(ctx, f.b, "sa pa"); err != nil { // b: subscribed to economy already
		t.Fatal(err)
	}
	if _, err := f.s.SaveItems(ctx, f.econ.ID, []Item{item("", "https://b.example/sapa", "Du lịch Sa Pa", now)}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	ds, err := f.s.DueDeliveries(ctx, now.Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[ChatRef]string{}
	for _, d := range ds {
		texts[d.Chat.ChatRef] = d.Text
	}
	if texts[f.a] != "Sa Pa" {
		t.Errorf("follow alert text %q, want the phrase %q", texts[f.a], "Sa Pa")
	}
	if _, ok := texts[f.b]; !ok || texts[f.b] != "" {
		t.Errorf("section alert text %q (queued %v), want empty", texts[f.b], ok)
	}
}
