package storage

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"
)

// storyStore is a real store with a feed per outlet and a month of history
// in common words (as a running bot has: the IDF knows "tổ chức" and "giá"
// are everywhere), published well before the window of the tests.
type storyStore struct {
	t     *testing.T
	s     *Store
	feeds map[string]int64
	now   time.Time
}

func newStoryStore(t *testing.T) *storyStore {
	t.Helper()
	ctx := context.Background()
	s, _ := openTest(t)
	if err := s.UpsertSection(ctx, Section{Key: "tin", Name: "Tin"}); err != nil {
		t.Fatal(err)
	}
	st := &storyStore{t: t, s: s, feeds: map[string]int64{}, now: time.Date(2026, 11, 12, 1, 0, 0, 0, time.UTC)}
	topics := []string{"hội nghị tổng kết công tác năm", "giá xăng dầu trong nước", "giá vàng miếng", "phát triển kinh tế - xã hội",
		"phòng chống thiên tai", "xúc tiến đầu tư", "an toàn giao thông", "chuyển đổi số", "giá lúa gạo", "bầu cử đại biểu"}
	places := []string{"Lào Cai", "Yên Bái", "Hà Nội", "TP.HCM", "Đà Nẵng", "Nghệ An", "Cần Thơ"}
	var items []Item
	for i := 0; i < 70; i++ {
		topic, place := topics[i%len(topics)], places[i%len(places)]
		link := fmt.Sprintf("https://cu.example/%d", i)
		items = append(items, Item{GUID: link, Link: link, Canonical: link,
			Title: fmt.Sprintf("%s tổ chức %s", place, topic),
			Summary: fmt.Sprintf("%s %d/10, UBND tỉnh %s tổ chức %s. Theo báo cáo, %s tăng hơn %d%% so với cùng kỳ, mỗi tháng thêm %d.000 đồng, %s.",
				[]string{"Sáng", "Chiều", "Tối"}[i%3], i%28+1, place, topic, []string{"giá trị sản xuất", "doanh thu", "số dự án", "giá bán"}[i%4],
				i%9+1, i%7+2, []string{"từ chiều nay", "từ hôm nay", "trong năm nay", "theo sở ngành"}[i%4]),
			Published: st.now.Add(-40*24*time.Hour + time.Duration(i)*time.Hour)})
	}
	st.save("cu.example", items...)
	return st
}

// save stores items as new items of outlet's feed, and returns their ids.
func (st *storyStore) save(outlet string, items ...Item) []int64 {
	st.t.Helper()
	ctx := context.Background()
	feed, ok := st.feeds[outlet]
	if !ok {
		f, err := st.s.AddFeed(ctx, "https://"+outlet+"/rss", "tin", "")
		if err != nil {
			st.t.Fatal(err)
		}
		feed, st.feeds[outlet] = f.ID, f.ID
	}
	if _, err := st.s.SaveItems(ctx, feed, items, SaveOptions{Now: st.now.Add(7 * 24 * time.Hour)}); err != nil {
		st.t.Fatal(err)
	}
	var ids []int64
	for _, it := range items {
		var id int64
		if err := st.s.db.QueryRowContext(ctx, `SELECT id FROM articles WHERE canonical = ?`, it.Canonical).Scan(&id); err != nil {
			st.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// article saves one article of outlet, and returns its id and what the
// matcher is given for it.
func (st *storyStore) article(outlet, slug, title, summary string, published time.Time) (int64, StoryDoc) {
	st.t.Helper()
	link := "https://" + outlet + "/" + slug
	id := st.save(outlet, Item{GUID: link, Link: link, Canonical: link, Title: title, Summary: summary, Published: published})[0]
	return id, StoryDoc{Title: title, Summary: summary, Published: published}
}

// match runs matchStory with the default options, as the save path does.
func (st *storyStore) match(self int64, doc StoryDoc) StoryMatch {
	st.t.Helper()
	m, err := matchStory(context.Background(), st.s.db, self, doc, StoryOptions{})
	if err != nil {
		st.t.Fatalf("matchStory: %v", err)
	}
	return m
}

// closest is the best score at any threshold: how near a near miss came.
func (st *storyStore) closest(self int64, doc StoryDoc) float64 {
	st.t.Helper()
	m, err := matchStory(context.Background(), st.s.db, self, doc, StoryOptions{Threshold: 1e-9})
	if err != nil {
		st.t.Fatalf("matchStory: %v", err)
	}
	return m.Score
}

// join records that id is in story, as the save path does.
func (st *storyStore) join(id, story int64) {
	st.t.Helper()
	if _, err := st.s.db.ExecContext(context.Background(), `UPDATE articles SET story_id = ? WHERE id = ?`, story, id); err != nil {
		st.t.Fatal(err)
	}
}

func TestMatchStory(t *testing.T) {
	st := newStoryStore(t)
	at := func(h int) time.Time { return st.now.Add(time.Duration(h) * time.Hour) }

	// The first article of a story: nothing to join; the article itself,
	// already in the index, is not its own candidate.
	invest, investDoc := st.article("baolaocai.vn", "xuc-tien",
		"Lào Cai tổ chức hội nghị xúc tiến đầu tư vào khu kinh tế cửa khẩu",
		"Sáng 12/11, UBND tỉnh Lào Cai tổ chức hội nghị xúc tiến đầu tư năm 2026, giới thiệu 35 dự án kêu gọi doanh nghiệp đầu tư vào Khu kinh tế cửa khẩu Lào Cai với tổng vốn hơn 20.000 tỷ đồng.", at(0))
	if m := st.match(invest, investDoc); m.StoryID != 0 {
		t.Fatalf("the first article joined story %d (score %.2f): an article is not its own candidate", m.StoryID, m.Score)
	}

	// Near miss: another conference in the same province on the same day,
	// many shared words, another subject.
	disaster, disasterDoc := st.article("vov.vn", "thien-tai",
		"Lào Cai tổ chức hội nghị tổng kết công tác phòng chống thiên tai",
		"Chiều 12/11, UBND tỉnh Lào Cai tổ chức hội nghị tổng kết công tác phòng chống thiên tai và tìm kiếm cứu nạn năm 2026, đánh giá thiệt hại do mưa lũ gây ra tại các huyện vùng cao.", at(4))
	if m := st.match(disaster, disasterDoc); m.StoryID != 0 {
		t.Errorf("two Lào Cai conferences on different subjects were merged (score %.2f)", m.Score)
	}
	t.Logf("two Lào Cai conferences: %.3f (threshold %.2f)", st.closest(disaster, disasterDoc), DefaultStoryThreshold)

	// The same story from another outlet, with its own title and lead.
	again, againDoc := st.article("nhandan.vn", "keu-goi",
		"Lào Cai kêu gọi đầu tư 35 dự án vào khu kinh tế cửa khẩu",
		"Tại hội nghị xúc tiến đầu tư tổ chức sáng 12/11, tỉnh Lào Cai giới thiệu với các nhà đầu tư 35 dự án trong Khu kinh tế cửa khẩu, tổng vốn hơn 20.000 tỷ đồng.", at(6))
	m := st.match(again, againDoc)
	t.Logf("the same story from another outlet: %.3f", m.Score)
	if m.StoryID != invest || m.ArticleID != invest {
		t.Fatalf("the same story from another outlet: got story %d via %d (score %.2f), want %d", m.StoryID, m.ArticleID, m.Score, invest)
	}
	st.join(again, invest)

	// A third outlet joins the story: its id is the story's first article,
	// whichever of its articles is the closest.
	third, thirdDoc := st.article("vietnamplus.vn", "35-du-an",
		"Khu kinh tế cửa khẩu Lào Cai kêu gọi 35 dự án đầu tư",
		"Ngày 12/11, tỉnh Lào Cai giới thiệu 35 dự án kêu gọi đầu tư vào Khu kinh tế cửa khẩu, tổng vốn hơn 20.000 tỷ đồng.", at(8))
	if m := st.match(third, thirdDoc); m.StoryID != invest {
		t.Errorf("a third outlet's article joined story %d (score %.2f), want %d", m.StoryID, m.Score, invest)
	}

	// Near miss: two price stories on different goods, the same afternoon.
	fuel, fuelDoc := st.article("vnexpress.net", "gia-xang",
		"Giá xăng tăng hơn 500 đồng mỗi lít từ chiều nay",
		"Liên Bộ Công Thương - Tài chính quyết định tăng giá xăng RON 95 thêm 520 đồng mỗi lít từ 15h chiều 12/11, giá dầu diesel giữ nguyên.", at(7))
	if m := st.match(fuel, fuelDoc); m.StoryID != 0 {
		t.Errorf("the fuel price story joined story %d (score %.2f)", m.StoryID, m.Score)
	}
	gold, goldDoc := st.article("tuoitre.vn", "gia-vang",
		"Giá vàng tăng hơn 500.000 đồng mỗi lượng trong chiều nay",
		"Chiều 12/11, giá vàng miếng SJC tăng thêm 550.000 đồng mỗi lượng, lên 82,5 triệu đồng, theo đà tăng của giá vàng thế giới.", at(8))
	if m := st.match(gold, goldDoc); m.StoryID != 0 {
		t.Errorf("a gold price story and a fuel price story were merged (score %.2f)", m.Score)
	}
	t.Logf("gold and fuel prices: %.3f", st.closest(gold, goldDoc))

	// A follow-up more than three days after the story's last article,
	// outside the window: a new story, though about the same projects.
	later, laterDoc := st.article("baolaocai.vn", "ky-ket",
		"Lào Cai ký kết đầu tư 35 dự án vào khu kinh tế cửa khẩu",
		"Sau hội nghị xúc tiến đầu tư, tỉnh Lào Cai đã ký kết với các nhà đầu tư 35 dự án trong Khu kinh tế cửa khẩu, tổng vốn hơn 20.000 tỷ đồng.", at(8).Add(DefaultStoryWindow+time.Hour))
	if m := st.match(later, laterDoc); m.StoryID != 0 {
		t.Errorf("a follow-up outside the window joined story %d (score %.2f)", m.StoryID, m.Score)
	}
	// The same follow-up inside a wider window does join: the window, not
	// the words, kept it apart.
	m, err := matchStory(context.Background(), st.s.db, later, laterDoc, StoryOptions{Window: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if m.StoryID != invest {
		t.Errorf("the follow-up within a 7-day window joined story %d (score %.2f), want %d", m.StoryID, m.Score, invest)
	}
}

// TestMatchStoryBadInput: text with no words, and text full of what the
// search index's query language would read as syntax, match nothing and
// fail nothing.
func TestMatchStoryBadInput(t *testing.T) {
	st := newStoryStore(t)
	for name, doc := range map[string]StoryDoc{
		"empty":       {},
		"punctuation": {Title: "!!! ... ---", Summary: "“ ” ( )"},
		"fts syntax":  {Title: `Lào Cai AND OR NOT NEAR(a b) "x" * ^ {title}: -`, Summary: `title_f : "hội nghị" OR *`},
		"long word":   {Title: string(make([]byte, 0)) + "Lào " + fmt.Sprintf("%0200d", 7) + " " + string([]rune("ệ")[0:1]) + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
	} {
		t.Run(name, func(t *testing.T) {
			doc.Published = st.now
			if m := st.match(0, doc); m.StoryID != 0 {
				t.Errorf("matched story %d (score %.2f)", m.StoryID, m.Score)
			}
		})
	}
}

// TestMatchStoryBody: the page's text counts only when both articles have
// one; an article with a page is compared with one without on title and
// lead alone.
func TestMatchStoryBody(t *testing.T) {
	st := newStoryStore(t)
	link := "https://a.example/1"
	title, summary := "Khánh thành cầu Cốc Lếu mới bắc qua sông Hồng", "Sáng 12/11, tỉnh Lào Cai khánh thành cầu Cốc Lếu mới bắc qua sông Hồng, nối hai phường Cốc Lếu và Duyên Hải."
	body := "Cây cầu dài 280 mét, rộng 24 mét, tổng vốn đầu tư 430 tỷ đồng từ ngân sách tỉnh. Cầu được khởi công từ tháng 3/2025."
	old := st.save("a.example", Item{GUID: link, Link: link, Canonical: link, Title: title, Summary: summary, Published: st.now})[0]
	doc := StoryDoc{Title: "Lào Cai khánh thành cầu Cốc Lếu mới", Summary: "Cầu Cốc Lếu mới bắc qua sông Hồng được khánh thành sáng 12/11 tại thành phố Lào Cai.", Published: st.now.Add(time.Hour)}
	plain := st.match(0, doc)
	doc.Body = body
	withBody := st.match(0, doc)
	if plain.StoryID != old || withBody.StoryID != old || withBody.ArticleID != old || math.Abs(withBody.Score-plain.Score) > 1e-9 {
		t.Fatalf("against an article without a page: %+v without the page's text, %+v with it; want the same match of %d", plain, withBody, old)
	}
	// Once the stored article has its page too, the pages are compared.
	link2 := "https://b.example/1"
	other := st.save("b.example", Item{GUID: link2, Link: link2, Canonical: link2, Title: title, Summary: summary, Body: body, Published: st.now})[0]
	m := st.match(0, doc)
	if m.ArticleID != other || m.Score <= withBody.Score {
		t.Errorf("with both pages: %+v; want article %d scoring above %.3f", m, other, withBody.Score)
	}
}

// TestStoryTermsCount: the document frequencies grow with each article
// indexed, a word counted once an article, and the migration's count from
// the search index agrees with them.
func TestStoryTermsCount(t *testing.T) {
	ctx := context.Background()
	st := newStoryStore(t)
	df := func(term string) int {
		var n int
		if err := st.s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT df FROM story_terms WHERE term = ?), 0)`, term).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0, cai0, coc0 := df(""), df("cai"), df("coc")
	st.article("a.example", "1", "Cầu Cốc Lếu ở Lào Cai", "Cầu Cốc Lếu nối hai bờ sông Hồng ở Lào Cai.", st.now)
	st.article("a.example", "2", "Chợ Cốc Lếu", "Chợ lớn nhất thành phố.", st.now)
	if got := df(""); got != n0+2 {
		t.Errorf("articles counted: %d, want %d", got, n0+2)
	}
	if got := df("coc"); got != coc0+2 {
		t.Errorf(`df("coc") = %d, want %d (once an article, however often it appears)`, got, coc0+2)
	}
	if got := df("cai"); got != cai0+1 {
		t.Errorf(`df("cai") = %d, want %d`, got, cai0+1)
	}
	// What migration 0019 computes for articles stored before it.
	if _, err := st.s.db.ExecContext(ctx, `CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, articles_fts, col)`); err != nil {
		t.Fatal(err)
	}
	rows, err := st.s.db.QueryContext(ctx, `SELECT v.term, max(v.doc), coalesce(s.df, 0) FROM temp.v v LEFT JOIN story_terms s ON s.term = v.term
		WHERE v.col IN ('title_f', 'summary_f') GROUP BY v.term`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	terms := 0
	for rows.Next() {
		var term string
		var fromIndex, counted int
		if err := rows.Scan(&term, &fromIndex, &counted); err != nil {
			t.Fatal(err)
		}
		terms++
		// The migration counts max(title, lead): never more than the live
		// count, which counts an article using it in either.
		if fromIndex > counted || fromIndex == 0 {
			t.Errorf("%q: %d articles from the index, %d counted", term, fromIndex, counted)
		}
	}
	if terms == 0 {
		t.Fatal("the index has no words")
	}
}

// TestFoldComposed: the matcher's fast fold agrees with exactText and Fold.
func TestFoldComposed(t *testing.T) {
	for _, w := range []string{"Đảng", "NGHỆ", "Lào", "hội", "nghị", "ĐBSCL", "Ấn", "Ưu", "ỹ", "façade", "Ǆ"} {
		e, f, ok := foldComposed(w)
		if !ok {
			t.Errorf("%q: not in the table", w)
			continue
		}
		if e != exactText(w) || f != Fold(exactText(w)) {
			t.Errorf("%q: %q %q, want %q %q", w, e, f, exactText(w), Fold(exactText(w)))
		}
	}
	if _, _, ok := foldComposed("Nghe\u0323\u0302"); ok {
		t.Error("a decomposed word took the fast path")
	}
}
