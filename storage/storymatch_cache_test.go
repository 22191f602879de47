package storage

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"
)

// saveSeen stores items as new items of feed, seen at now, and returns
// their ids.
func saveSeen(t *testing.T, s *Store, feed int64, now time.Time, items ...Item) []int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := s.SaveItems(ctx, feed, items, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range items {
		var id int64
		if err := s.db.QueryRowContext(ctx, `SELECT id FROM articles WHERE canonical = ?`, it.Canonical).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func storyItem(slug, title, summary string, published time.Time) Item {
	link := "https://tin.example/" + slug
	return Item{GUID: link, Link: link, Canonical: link, Title: title, Summary: summary, Published: published}
}

// TestMatchStoryWindowFromSeen: the window's first rowid comes from when
// articles were seen, so an article the feed dated up to an hour ahead of
// its arrival (kept as dated) is still found though it was seen before the
// window began; and an article seen late but published before the window
// (an old item that turned up), whose rowid is in range, never joins.
func TestMatchStoryWindowFromSeen(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if err := s.UpsertSection(ctx, Section{Key: "tin", Name: "Tin"}); err != nil {
		t.Fatal(err)
	}
	var feeds []int64
	for _, outlet := range []string{"a.example", "b.example", "c.example"} {
		f, err := s.AddFeed(ctx, "https://"+outlet+"/rss", "tin", "")
		if err != nil {
			t.Fatal(err)
		}
		feeds = append(feeds, f.ID)
	}
	t0 := time.Date(2026, 11, 12, 1, 0, 0, 0, time.UTC)
	title := "Lào Cai khánh thành cầu Cốc Lếu mới bắc qua sông Hồng"
	lead := "Sáng 12/11, tỉnh Lào Cai khánh thành cầu Cốc Lếu mới bắc qua sông Hồng, nối hai phường Cốc Lếu và Duyên Hải, tổng vốn 430 tỷ đồng."

	// Seen at t0, dated 50 minutes later.
	first := saveSeen(t, s, feeds[0], t0, storyItem("cau", title, lead, t0.Add(50*time.Minute)))[0]
	// Other news seen over the next three days.
	for h := 1; h <= 70; h += 3 {
		saveSeen(t, s, feeds[1], t0.Add(time.Duration(h)*time.Hour), storyItem(fmt.Sprintf("khac-%d", h),
			fmt.Sprintf("Hà Nội tổ chức giải chạy lần thứ %d", h), "Hàng nghìn người tham gia giải chạy quanh hồ Hoàn Kiếm.", t0.Add(time.Duration(h)*time.Hour)))
	}
	// The same story, ten days old, turning up now: its rowid is the
	// newest, its publication far outside the window.
	newTitle := "Khánh thành cầu Cốc Lếu mới bắc qua sông Hồng ở Lào Cai"
	newLead := "Cầu Cốc Lếu mới bắc qua sông Hồng, nối hai phường Cốc Lếu và Duyên Hải của tỉnh Lào Cai, được khánh thành sáng 12/11 với tổng vốn 430 tỷ đồng."
	old := saveSeen(t, s, feeds[2], t0.Add(71*time.Hour), storyItem("cu", newTitle, newLead, t0.Add(-10*24*time.Hour)))[0]

	// Published so that the window starts 40 minutes after the first
	// article was seen, 10 minutes before it is dated.
	pub := t0.Add(50*time.Minute + DefaultStoryWindow - 10*time.Minute)
	m, err := matchStory(ctx, s.db, 0, StoryDoc{Title: newTitle, Summary: newLead, Published: pub}, StoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.StoryID != first || m.ArticleID != first {
		t.Fatalf("got story %d via article %d (score %.2f); want the article dated in the window, %d (the old item is %d)",
			m.StoryID, m.ArticleID, m.Score, first, old)
	}
	// One more hour and the first article is out of the window too.
	m, err = matchStory(ctx, s.db, 0, StoryDoc{Title: newTitle, Summary: newLead, Published: pub.Add(time.Hour)}, StoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.StoryID != 0 {
		t.Errorf("an hour later: joined story %d via %d (score %.2f); want a new story", m.StoryID, m.ArticleID, m.Score)
	}
}

// TestMatchStoryEmptyWindow: a store with nothing seen in the window
// answers a new story, not an error.
func TestMatchStoryEmptyWindow(t *testing.T) {
	s, _ := openTest(t)
	for _, opt := range []StoryOptions{{}, StoryOptions{}.withDefaults()} {
		m, err := matchStory(context.Background(), s.db, 0, StoryDoc{Title: "Lào Cai khánh thành cầu Cốc Lếu", Published: time.Now()}, opt)
		if err != nil || m != (StoryMatch{}) {
			t.Errorf("empty store: %+v, %v; want a new story", m, err)
		}
	}
}

// TestStoryCacheExact: the cache a store keeps between articles (word
// counts, candidates' features) never changes an answer: after words of
// the new article became more common, and after a candidate's text
// changed under the same id, matching with the kept options gives the
// same story and score as matching with everything read afresh.
func TestStoryCacheExact(t *testing.T) {
	ctx := context.Background()
	st := newStoryStore(t)
	kept := StoryOptions{}.withDefaults()
	check := func(step string, self int64, doc StoryDoc) StoryMatch {
		t.Helper()
		got, err := matchStory(ctx, st.s.db, self, doc, kept)
		if err != nil {
			t.Fatal(err)
		}
		want, err := matchStory(ctx, st.s.db, self, doc, StoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.StoryID != want.StoryID || got.ArticleID != want.ArticleID || math.Abs(got.Score-want.Score) > 1e-12 {
			t.Fatalf("%s: with the kept cache %+v, read afresh %+v", step, got, want)
		}
		return got
	}
	at := func(h int) time.Time { return st.now.Add(time.Duration(h) * time.Hour) }
	bridge, _ := st.article("baolaocai.vn", "cau", "Lào Cai khánh thành cầu Cốc Lếu mới bắc qua sông Hồng",
		"Sáng 12/11, tỉnh Lào Cai khánh thành cầu Cốc Lếu mới bắc qua sông Hồng, tổng vốn 430 tỷ đồng.", at(0))
	doc := StoryDoc{Title: "Cầu Cốc Lếu mới ở Lào Cai được khánh thành",
		Summary: "Cây cầu bắc qua sông Hồng, nối hai phường Cốc Lếu và Duyên Hải, vốn 430 tỷ đồng.", Published: at(2)}
	if m := check("first", 0, doc); m.StoryID != bridge {
		t.Fatalf("the same story: joined %d (score %.2f), want %d", m.StoryID, m.Score, bridge)
	}
	// Its rarest words become common, and so do words only the candidate
	// has: three more articles use them.
	for i := range 3 {
		st.article("vov.vn", fmt.Sprintf("coc-leu-%d", i), fmt.Sprintf("Phường Cốc Lếu và Duyên Hải đón Tết lần thứ %d", i),
			"Sáng nay, người dân hai phường Cốc Lếu và Duyên Hải của tỉnh chuẩn bị đón Tết.", at(-40))
	}
	check("after the new article's words became more common", 0, doc)
	// The candidate's text changes under its id (the id of a deleted
	// article taken again): its cached features must not serve.
	if _, err := st.s.db.ExecContext(ctx, `UPDATE articles SET title = ?, summary = ? WHERE id = ?`,
		"Lào Cai khánh thành cầu", "Cầu mới.", bridge); err != nil {
		t.Fatal(err)
	}
	check("after the candidate's text changed", 0, doc)
}

// TestBoundedMap: the cache's maps hold at most twice their bound however
// many keys pass, and an entry in use survives the generations.
func TestBoundedMap(t *testing.T) {
	b := boundedMap[int, int]{max: 8}
	b.put(-1, -1)
	for i := range 1000 {
		b.put(i, i)
		if v, ok := b.get(-1); !ok || v != -1 {
			t.Fatalf("after %d puts: the entry in use was dropped", i+1)
		}
		if b.len() > 2*b.max {
			t.Fatalf("after %d puts: %d entries, bound %d", i+1, b.len(), 2*b.max)
		}
	}
	if _, ok := b.get(3); ok {
		t.Error("an entry 996 puts old is still there")
	}
	if v, ok := b.get(999); !ok || v != 999 {
		t.Error("the newest entry is missing")
	}
}

// TestStoryCacheConcurrent: matches sharing one store's cache from several
// goroutines (run with -race) answer as matches without it.
func TestStoryCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	st := newStoryStore(t)
	at := func(h int) time.Time { return st.now.Add(time.Duration(h) * time.Hour) }
	st.article("baolaocai.vn", "cau", "Lào Cai khánh thành cầu Cốc Lếu mới bắc qua sông Hồng",
		"Sáng 12/11, tỉnh Lào Cai khánh thành cầu Cốc Lếu mới bắc qua sông Hồng, tổng vốn 430 tỷ đồng.", at(0))
	st.article("vnexpress.net", "gia-xang", "Giá xăng tăng hơn 500 đồng mỗi lít từ chiều nay",
		"Liên Bộ Công Thương - Tài chính quyết định tăng giá xăng RON 95 thêm 520 đồng mỗi lít từ 15h chiều 12/11.", at(1))
	docs := []StoryDoc{
		{Title: "Cầu Cốc Lếu mới ở Lào Cai được khánh thành", Summary: "Cây cầu bắc qua sông Hồng, vốn 430 tỷ đồng.", Published: at(2)},
		{Title: "Xăng RON 95 tăng 520 đồng mỗi lít", Summary: "Từ 15h chiều 12/11, giá xăng tăng.", Published: at(2)},
		{Title: "Hà Nội tổ chức giải chạy quanh hồ Hoàn Kiếm", Summary: "Hàng nghìn người tham gia.", Published: at(2)},
	}
	want := make([]StoryMatch, len(docs))
	for i, d := range docs {
		m, err := matchStory(ctx, st.s.db, 0, d, StoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = m
	}
	kept := StoryOptions{}.withDefaults()
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 20 {
				d := (g + i) % len(docs)
				m, err := matchStory(ctx, st.s.db, 0, docs[d], kept)
				if err == nil && (m.StoryID != want[d].StoryID || math.Abs(m.Score-want[d].Score) > 1e-12) {
					err = fmt.Errorf("%q: %+v with the shared cache, %+v without", docs[d].Title, m, want[d])
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
