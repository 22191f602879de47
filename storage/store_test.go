package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "newsbot.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// fixture: two sections, a feed in each, a chat subscribed to each, and one
// subscribed to both.
type fixture struct {
	s              *Store
	politics, econ Feed
	a, b, both     ChatRef
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	s, _ := openTest(t)
	for _, sec := range []Section{{"chinh-tri", "Chính trị"}, {"kinh-te", "Kinh tế"}} {
		if err := s.UpsertSection(ctx, sec); err != nil {
			t.Fatal(err)
		}
	}
	f := fixture{s: s}
	var err error
	if f.politics, err = s.AddFeed(ctx, "https://a.example/rss", "chinh-tri", ""); err != nil {
		t.Fatal(err)
	}
	if f.econ, err = s.AddFeed(ctx, "https://b.example/rss", "kinh-te", "@every 1m"); err != nil {
		t.Fatal(err)
	}
	f.a, f.b, f.both = ChatRef{"telegram", "1"}, ChatRef{"telegram", "2"}, ChatRef{"zalo", "x3"}
	subs := map[ChatRef][]string{f.a: {"chinh-tri"}, f.b: {"kinh-te"}, f.both: {"chinh-tri", "kinh-te"}}
	for chat, keys := range subs {
		if err := s.TouchChat(ctx, Chat{ChatRef: chat}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, chat, keys); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func item(guid, link, title string, published time.Time) Item {
	return Item{GUID: guid, Link: link, Canonical: link, Title: title, Summary: "Tóm tắt " + title, Published: published}
}

func dueByChat(t *testing.T, s *Store) map[ChatRef][]string {
	t.Helper()
	ds, err := s.DueDeliveries(context.Background(), time.Now().Add(time.Minute), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[ChatRef][]string{}
	for _, d := range ds {
		out[d.Chat.ChatRef] = append(out[d.Chat.ChatRef], d.Article.Title)
	}
	return out
}

func TestSaveItemsFirstPollSilentThenNewItemsQueued(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	first := []Item{item("g1", "https://a.example/1", "Một", now.Add(-time.Hour))}
	res, err := f.s.SaveItems(ctx, f.politics.ID, first, SaveOptions{Now: now, MaxAge: 48 * time.Hour, ETag: `"v1"`})
	if err != nil {
		t.Fatal(err)
	}
	if !res.First || res.New != 1 || res.Enqueued != 0 {
		t.Fatalf("first poll: got %+v, want First, New 1, Enqueued 0", res)
	}
	second := append(first,
		item("g2", "https://a.example/2", "Hai", now),
		item("g3", "https://a.example/3", "Cũ", now.Add(-72*time.Hour)))
	res, err = f.s.SaveItems(ctx, f.politics.ID, second, SaveOptions{Now: now, MaxAge: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.First || res.New != 2 || res.Enqueued != 2 {
		t.Fatalf("second poll: got %+v, want New 2 (Hai, Cũ), Enqueued 2 (Hai to a and both)", res)
	}
	got := dueByChat(t, f.s)
	if len(got[f.a]) != 1 || got[f.a][0] != "Hai" || len(got[f.both]) != 1 || len(got[f.b]) != 0 {
		t.Fatalf("deliveries: %v", got)
	}
	fd, err := f.s.Feed(ctx, f.politics.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fd.PolledAt.IsZero() || fd.Articles != 3 || fd.ETag != "" {
		t.Fatalf("feed after polls: %+v", fd)
	}
}

func TestSameCanonicalLinkFromTwoFeedsIsOneAlert(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	for _, feed := range []Feed{f.politics, f.econ} { // first polls
		if _, err := f.s.SaveItems(ctx, feed.ID, nil, SaveOptions{Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	shared := item("", "https://news.example/story", "Chung", now)
	if _, err := f.s.SaveItems(ctx, f.politics.ID, []Item{shared}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.SaveItems(ctx, f.econ.ID, []Item{shared}, SaveOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Enqueued != 1 {
		t.Fatalf("second feed enqueued %d, want 1 (only chat b; the chat on both already has it)", res.Enqueued)
	}
	got := dueByChat(t, f.s)
	for _, c := range []ChatRef{f.a, f.b, f.both} {
		if len(got[c]) != 1 {
			t.Errorf("chat %s got %v, want exactly one alert", c, got[c])
		}
	}
}

func TestSearchFoldsDiacriticsBothWays(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	items := []Item{
		item("1", "https://a.example/1", "Hội nghị giao ban công tác khoa giáo", now.Add(-2*time.Hour)),
		item("2", "https://a.example/2", "Đảng bộ tỉnh Lào Cai", now.Add(-time.Hour)),
		item("3", "https://a.example/3", "Giá lúa gạo tăng", now),
	}
	if _, err := f.s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		want        string
	}{
		{"folded query", "khoa giao", "Hội nghị giao ban công tác khoa giáo"},
		{"accented query", "khoa giáo", "Hội nghị giao ban công tác khoa giáo"},
		{"d finds Đ", "dang", "Đảng bộ tỉnh Lào Cai"},
		{"Đ finds Đ", "ĐẢNG", "Đảng bộ tỉnh Lào Cai"},
		{"prefix on last word", "lao ca", "Đảng bộ tỉnh Lào Cai"},
		{"FTS syntax is text", `"gia" OR NEAR(lua*) -gao AND`, ""},
		{"quotes and parens", `(gạo"`, "Giá lúa gạo tăng"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.s.Search(ctx, tc.query, "", 5, 0)
			if err != nil {
				t.Fatalf("Search(%q): %v", tc.query, err)
			}
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("Search(%q) = %d results, want none", tc.query, len(got))
				}
				return
			}
			if len(got) == 0 || got[0].Title != tc.want {
				t.Fatalf("Search(%q) = %v, want first %q", tc.query, got, tc.want)
			}
		})
	}
	withBody := item("4", "https://a.example/4", "Tin địa phương", now)
	withBody.Body = "Đoàn công tác khảo sát ruộng bậc thang ở Mù Cang Chải."
	if _, err := f.s.SaveItems(ctx, f.politics.ID, []Item{withBody}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.s.Search(ctx, "mu cang chai", "", 5, 0); len(got) != 1 || got[0].Title != "Tin địa phương" {
		t.Fatalf("body is not searched: %v", got)
	}
	if got, _ := f.s.Search(ctx, "tỉnh", "kinh-te", 5, 0); len(got) != 0 {
		t.Fatalf("section filter: got %d results in kinh-te", len(got))
	}
	if got, _ := f.s.Search(ctx, "  !!! ", "", 5, 0); got != nil {
		t.Fatalf("empty query gave %v", got)
	}
}

func TestDeliveriesSurviveReopenAndSentAreNotRepeated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "n.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.UpsertSection(ctx, Section{"x", "X"})
	feed, _ := s.AddFeed(ctx, "https://x.example/rss", "x", "")
	chat := ChatRef{"telegram", "9"}
	s.TouchChat(ctx, Chat{ChatRef: chat})
	s.Subscribe(ctx, chat, []string{"x"})
	s.SaveItems(ctx, feed.ID, nil, SaveOptions{})
	now := time.Now()
	s.SaveItems(ctx, feed.ID, []Item{item("1", "https://x.example/1", "A", now), item("2", "https://x.example/2", "B", now.Add(time.Second))}, SaveOptions{})
	due, _ := s.DueDeliveries(ctx, time.Now().Add(time.Second), 10)
	if len(due) != 1 || due[0].Article.Title != "A" {
		t.Fatalf("due %v, want only A (one per chat, oldest first)", due)
	}
	if n, _ := s.PendingCount(ctx); n != 2 {
		t.Fatalf("pending %d, want 2", n)
	}
	if err := s.MarkSent(ctx, due[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	due, _ = s.DueDeliveries(ctx, time.Now().Add(time.Second), 10)
	if len(due) != 1 || due[0].Article.Title != "B" {
		t.Fatalf("after reopen: %v, want only B pending", due)
	}
	// The feed stays registered once, sections stay unique.
	if _, err := s.AddFeed(ctx, "https://x.example/rss", "x", "@every 1m"); err != nil {
		t.Fatal(err)
	}
	feeds, _ := s.Feeds(ctx)
	if len(feeds) != 1 || feeds[0].Schedule != "@every 1m" {
		t.Fatalf("feeds after re-add: %+v", feeds)
	}
	if _, err := s.AddFeed(ctx, "https://y.example/rss", "nope", ""); !errors.Is(err, ErrUnknownSection) {
		t.Fatalf("unknown section: %v", err)
	}
}

func TestDeactivateChatDropsPendingAndStopsQueueing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	f.s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{Now: now})
	f.s.SaveItems(ctx, f.politics.ID, []Item{item("1", "https://a.example/1", "A", now)}, SaveOptions{Now: now})
	n, err := f.s.DeactivateChat(ctx, f.a, "blocked")
	if err != nil || n != 1 {
		t.Fatalf("DeactivateChat = %d, %v; want 1 dropped", n, err)
	}
	res, _ := f.s.SaveItems(ctx, f.politics.ID, []Item{item("2", "https://a.example/2", "B", now)}, SaveOptions{Now: now})
	if res.Enqueued != 1 {
		t.Fatalf("enqueued %d after deactivation, want 1 (only the chat on both)", res.Enqueued)
	}
}

func TestFindSection(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, in := range []string{"chinh-tri", "Chính trị", "chinh tri", "CHINH TRI"} {
		sec, err := f.s.FindSection(ctx, in)
		if err != nil || sec.Key != "chinh-tri" {
			t.Errorf("FindSection(%q) = %v, %v", in, sec, err)
		}
	}
	if _, err := f.s.FindSection(ctx, "the thao"); !errors.Is(err, ErrUnknownSection) {
		t.Errorf("unknown: %v", err)
	}
}

func TestFollowsMatchWholeWordsAndAlertOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	for _, feed := range []Feed{f.politics, f.econ} {
		f.s.SaveItems(ctx, feed.ID, nil, SaveOptions{Now: now})
	}
	if ok, err := f.s.Follow(ctx, f.a, "Sa  Pa"); !ok || err != nil {
		t.Fatalf("Follow: %v %v", ok, err)
	}
	if ok, _ := f.s.Follow(ctx, f.a, "sa pa"); ok {
		t.Fatal("the same phrase folded was followed twice")
	}
	f.s.Follow(ctx, f.b, "lúa")
	tests := []struct {
		name  string
		feed  Feed
		title string
		want  map[ChatRef]int // new deliveries per chat
	}{
		{"follow across sections", f.econ, "Du lịch Sa Pa hút khách", map[ChatRef]int{f.a: 1, f.b: 1, f.both: 1}},
		{"section and follow: once", f.politics, "Sa Pa đón khách", map[ChatRef]int{f.a: 1, f.both: 1}},
		{"written together", f.econ, "Giá phòng ở SaPa tăng", map[ChatRef]int{f.a: 1, f.b: 1, f.both: 1}},
		{"not part of a word", f.econ, "Sapanhe và Pa Cheo", map[ChatRef]int{f.b: 1, f.both: 1}},
		{"folded", f.politics, "Giá LÚA gạo", map[ChatRef]int{f.a: 1, f.b: 1, f.both: 1}},
		{"accents ignored both ways, as in search", f.politics, "Áo lụa Hà Đông", map[ChatRef]int{f.a: 1, f.b: 1, f.both: 1}},
		{"no match", f.econ, "Giá vàng giảm", map[ChatRef]int{f.b: 1, f.both: 1}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := map[ChatRef]int{}
			for _, c := range []ChatRef{f.a, f.b, f.both} {
				st, _ := f.s.DeliveryStates(ctx, c)
				before[c] = len(st)
			}
			link := "https://x.vn/" + string(rune('a'+i))
			if _, err := f.s.SaveItems(ctx, tc.feed.ID, []Item{item(link, link, tc.title, now)}, SaveOptions{Now: now}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []ChatRef{f.a, f.b, f.both} {
				st, _ := f.s.DeliveryStates(ctx, c)
				if got := len(st) - before[c]; got != tc.want[c] {
					t.Errorf("%s got %d new deliveries, want %d", c, got, tc.want[c])
				}
			}
		})
	}
	if ok, _ := f.s.Unfollow(ctx, f.a, "SA PA"); !ok {
		t.Fatal("Unfollow of the folded phrase failed")
	}
	if got, _ := f.s.Follows(ctx, f.a); len(got) != 0 {
		t.Fatalf("follows after unfollow: %v", got)
	}
}

func TestSearchBlendsRelevanceWithRecency(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	old := item("old", "https://a.example/old", "Hội nghị tổng kết", now.Add(-300*24*time.Hour))
	recent := item("new", "https://a.example/new", "Hội nghị tổng kết", now.Add(-time.Hour))
	weak := item("weak", "https://a.example/weak", "Tin trong ngày", now)
	weak.Summary = "Bài có nhắc đến một hội nghị ở cuối đoạn văn dài về nhiều chuyện khác nhau trong tỉnh."
	items := []Item{old, recent, weak}
	for i := range 20 { // a corpus where "hội nghị" is rare enough to mean something
		link := fmt.Sprintf("https://a.example/other-%d", i)
		items = append(items, item(link, link, fmt.Sprintf("Giá lúa gạo ngày %d", i), now.Add(-time.Duration(i)*time.Hour)))
	}
	if _, err := f.s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.Search(ctx, "hội nghị", "", 5, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("Search = %v, %v", got, err)
	}
	if got[0].Link != "https://a.example/new" || got[2].Link != "https://a.example/old" {
		t.Fatalf("order: %s, %s, %s; want the recent title match first and the 300-day-old one last", got[0].Link, got[1].Link, got[2].Link)
	}
}

func TestStatsFeedsAndQueue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now()
	st, err := f.s.Stats(ctx, now)
	if err != nil || st.FeedsNew != 2 || st.FeedsOK != 0 || st.FeedsFailing != 0 {
		t.Fatalf("before any poll: %+v, %v", st, err)
	}
	f.s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{Now: now})
	f.s.SaveItems(ctx, f.politics.ID, []Item{item("1", "https://a.example/1", "A", now)}, SaveOptions{Now: now})
	f.s.RecordFetchError(ctx, f.econ.ID, now, "feeds: 500")
	st, _ = f.s.Stats(ctx, now.Add(time.Minute))
	if st.FeedsOK != 1 || st.FeedsFailing != 1 || st.FeedsNew != 0 || st.Articles != 1 || st.QueueDepth != 2 || st.OldestPending < time.Minute-time.Second {
		t.Fatalf("after polls: %+v", st)
	}
	if p := st.Platforms["telegram"]; p == nil || p.ChatsActive != 2 || p.Pending != 1 {
		t.Fatalf("telegram: %+v", p)
	}
}
