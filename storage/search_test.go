package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// saveTitled stores one article per title and summary, the first the
// oldest, an hour apart, and returns nothing: tests search them.
func saveTitled(t *testing.T, f fixture, articles [][2]string) {
	t.Helper()
	now := time.Now().UTC()
	var items []Item
	for i, a := range articles {
		link := fmt.Sprintf("https://a.example/%d", i)
		items = append(items, Item{GUID: link, Link: link, Canonical: link, Title: a[0], Summary: a[1],
			Published: now.Add(time.Duration(i-len(articles)) * time.Hour)})
	}
	if _, err := f.s.SaveItems(context.Background(), f.politics.ID, items, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
}

func titles(as []Article) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Title
	}
	return out
}

func TestSearchReadsAccentsWhenTyped(t *testing.T) {
	f := newFixture(t)
	// The exact forms are the oldest: recency alone would put them last.
	saveTitled(t, f, [][2]string{
		{"Bão số 4 đổ bộ vào miền Trung", ""},
		{"Đảng bộ tỉnh họp phiên thường kỳ", ""},
		{"Báo chí cách mạng 100 năm", ""},
		{"Báo Lào Cai ra số đặc biệt", ""},
		{"Đang làm đường lên bản", ""},
		{"Mưa bão kéo dài, dân đang chờ", ""},
		{"Dạng bài thi mới", "Thí sinh đang ôn tập."},
	})
	tests := []struct {
		query string
		first []string // the first results, in any order
		count int      // how many match in all
	}{
		{"bão", []string{"Mưa bão kéo dài, dân đang chờ", "Bão số 4 đổ bộ vào miền Trung"}, 4},
		{"BÁO", []string{"Báo Lào Cai ra số đặc biệt", "Báo chí cách mạng 100 năm"}, 4},
		{"bao", nil, 4},
		{"Đảng", []string{"Đảng bộ tỉnh họp phiên thường kỳ"}, 4},
		{"dang", nil, 4},
		{"đang", []string{"Mưa bão kéo dài, dân đang chờ", "Đang làm đường lên bản", "Dạng bài thi mới"}, 4},
		{"dạng bài", []string{"Dạng bài thi mới"}, 1},
		{"bão so", []string{"Bão số 4 đổ bộ vào miền Trung"}, 2},     // mixed: "bão" exact, "so" any
		{"bao số", []string{"Bão số 4 đổ bộ vào miền Trung"}, 2},     // "số" exact, "bao" any
		{"Đảng bo", []string{"Đảng bộ tỉnh họp phiên thường kỳ"}, 1}, // "đang bỏ" would rank below
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got, err := f.s.Search(context.Background(), tc.query, "", 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.count {
				t.Fatalf("%d results, want %d: %q", len(got), tc.count, titles(got))
			}
			want := map[string]bool{}
			for _, w := range tc.first {
				want[w] = true
			}
			for _, a := range got[:len(tc.first)] {
				if !want[a.Title] {
					t.Fatalf("first %d results %q, want %q", len(tc.first), titles(got), tc.first)
				}
			}
		})
	}
}

func TestSearchRanksAdjacentWordsAndTitles(t *testing.T) {
	f := newFixture(t)
	saveTitled(t, f, [][2]string{
		{"Chuyển đổi số ở Lào Cai", ""},                                       // oldest: adjacent, in the title
		{"Tin trong ngày", "Hội thảo về chuyển đổi số cho nông dân."},         // adjacent, in the summary
		{"Bão số 4 di chuyển chậm", "Hướng đi đổi liên tục, khó dự báo."},     // scattered
		{"Số đổi chuyển", "Trò chơi chữ."},                                    // out of order, in the title
		{"Kinh tế số", "Doanh nghiệp chuyển mình, đổi mới. Chuyển đổi chậm."}, // newest, scattered
	})
	got, err := f.s.Search(context.Background(), "chuyển đổi số", "", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].Title != "Chuyển đổi số ở Lào Cai" || got[1].Title != "Tin trong ngày" {
		t.Fatalf("adjacent words (title, then summary) should lead: %q", titles(got))
	}
	for _, q := range []string{`"chuyển đổi số"`, `“chuyen doi so”`, `"chuyen doi so"`} {
		got, err = f.s.Search(context.Background(), q, "", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Title != "Chuyển đổi số ở Lào Cai" {
			t.Fatalf("%s is an exact phrase: %q", q, titles(got))
		}
	}
	if got, _ = f.s.Search(context.Background(), `"số đổi"`, "", 10, 0); len(got) != 1 || got[0].Title != "Số đổi chuyển" {
		t.Fatalf(`"số đổi": %q`, titles(got))
	}
}

// TestSearchInputIsNeverAnError sends what people paste and type by
// mistake: FTS5 syntax, stray and curly quotes, a thousand characters.
func TestSearchInputIsNeverAnError(t *testing.T) {
	f := newFixture(t)
	saveTitled(t, f, [][2]string{{"Giá lúa gạo tăng", "Nông dân Lào Cai phấn khởi."}})
	long := strings.Repeat("giá lúa gạo tăng ", 60)[:1000]
	tests := []struct {
		input string
		found bool
	}{
		{`"gia" OR NEAR(lua*) -gao AND`, false},
		{`(gạo"`, true},
		{`gạo"`, true},
		{`"gạo`, true},
		{`"""""`, false},
		{`gia:lua {title}: gao`, false},
		{`title:gạo`, false},
		{`lúa* ^gạo -tăng +giá`, true},
		{`'); DROP TABLE articles; --`, false},
		{"NEAR(giá lúa, 1)", false},
		{"\x00giá\x00", true},
		{"giá\u00a0lúa", true},
		{"gia\u0301 lu\u0301a", true}, // decomposed accents, as some keyboards send them
		{long, true},
		{strings.Repeat("ấấấấấấấấ", 200), false},
		{"!!! ??? ...", false},
	}
	for _, tc := range tests {
		got, err := f.s.Search(context.Background(), tc.input, "", 5, 0)
		if err != nil {
			t.Fatalf("%.60q: %v", tc.input, err)
		}
		if (len(got) > 0) != tc.found {
			t.Errorf("%.60q: %d results, want found=%v", tc.input, len(got), tc.found)
		}
	}
	if got, _ := f.s.Search(context.Background(), "Lào Ca", "", 5, 0); len(got) != 1 {
		t.Errorf("a last word cut short finds nothing when nothing else matches: %v", got)
	}
}

// TestSearchCursorPagesEveryMatchOnce pages with windows smaller than a
// page, across tiers and units of articles, and checks every match comes
// once, exact forms first within a unit.
func TestSearchCursorPagesEveryMatchOnce(t *testing.T) {
	for _, bucket := range []int64{1000, 7} {
		t.Run(fmt.Sprintf("unit of %d", bucket), func(t *testing.T) { pageEveryMatch(t, bucket) })
	}
}

func pageEveryMatch(t *testing.T, bucket int64) {
	defer func(w int, b int64) { searchWindow, searchBucket = w, b }(searchWindow, searchBucket)
	searchWindow, searchBucket = 3, bucket
	f := newFixture(t)
	var arts [][2]string
	for i := range 23 {
		title := fmt.Sprintf("Tin %d: báo giá", i)
		if i%3 == 0 {
			title = fmt.Sprintf("Tin %d: bão lớn", i)
		}
		arts = append(arts, [2]string{title, ""})
	}
	arts = append(arts, [2]string{"Không liên quan", ""})
	saveTitled(t, f, arts)
	ctx := context.Background()
	chat := ChatRef{"test", "1"}
	p, err := f.s.SearchFirst(ctx, "bão", "", 4)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var order []string
	for pages := 1; ; pages++ {
		if p.Number != pages {
			t.Fatalf("page %d numbered %d", pages, p.Number)
		}
		for _, a := range p.Articles {
			if seen[a.ID] {
				t.Fatalf("%q shown twice", a.Title)
			}
			seen[a.ID] = true
			order = append(order, a.Title)
		}
		if p.Next == "" {
			break
		}
		if len(p.Next) > 59 { // "more:" + cursor fits Telegram's 64 bytes
			t.Fatalf("cursor of %d bytes", len(p.Next))
		}
		if err := f.s.RememberSearch(ctx, chat, p); err != nil {
			t.Fatal(err)
		}
		if last, _ := f.s.LastSearch(ctx, chat); last != p.Next {
			t.Fatalf("LastSearch = %q, want %q", last, p.Next)
		}
		if p, err = f.s.SearchMore(ctx, p.Next, 4); err != nil {
			t.Fatal(err)
		}
	}
	if len(order) != 23 {
		t.Fatalf("paged %d of 23 matches: %q", len(order), order)
	}
	for i, title := range order {
		if exact := strings.Contains(title, "bão"); bucket > 24 && exact != (i < 8) {
			t.Fatalf("the 8 exact forms should come first: %q", order)
		}
	}
	if err := f.s.RememberSearch(ctx, chat, p); err != nil {
		t.Fatal(err)
	}
	if last, _ := f.s.LastSearch(ctx, chat); last != "" {
		t.Fatalf("after the last page, LastSearch = %q", last)
	}
}

func TestSearchCursorIsCompactAndChecked(t *testing.T) {
	c := cursor{key: 1<<63 - 1, page: 999, top: 1 << 31, t0: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 60,
		tier: 4, hi: 1 << 31, score: -(1 << 40), id: 1 << 31}
	enc := c.encode()
	if len("more:"+enc) > 64 {
		t.Fatalf("cursor %q: %d bytes with its prefix, over Telegram's 64", enc, len("more:"+enc))
	}
	if got, err := decodeCursor(enc); err != nil || got != c {
		t.Fatalf("decode(encode(%+v)) = %+v, %v", c, got, err)
	}
	bad := []string{"", "x", enc[:len(enc)-2], enc + "AA", strings.Repeat("A", 80), "AQ", "%%%%"}
	first := c
	first.page = 1
	bad = append(bad, first.encode()) // page 1 has no cursor
	over := c
	over.hi = c.top + 1
	bad = append(bad, over.encode())
	for _, s := range bad {
		if _, err := decodeCursor(s); !errors.Is(err, ErrBadCursor) {
			t.Errorf("decodeCursor(%q) = %v, want ErrBadCursor", s, err)
		}
	}
	f := newFixture(t)
	if _, err := f.s.SearchMore(context.Background(), enc, 5); !errors.Is(err, ErrBadCursor) {
		t.Fatalf("a cursor of a search never remembered: %v", err)
	}
}

// TestMigrationIndexesStoredArticles runs migration 0013 over a database
// indexed the old way (folded text only): stored articles are found by
// their exact form afterwards.
func TestMigrationIndexesStoredArticles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertSection(ctx, Section{"chinh-tri", "Chính trị"}); err != nil {
		t.Fatal(err)
	}
	feed, err := s.AddFeed(ctx, "https://a.example/rss", "chinh-tri", "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	body := item("1", "https://a.example/1", "ĐẢNG BỘ TỈNH", now)
	body.Body = "Đoàn công tác đến Mù Cang Chải."
	if _, err := s.SaveItems(ctx, feed.ID, []Item{body, item("2", "https://a.example/2", "Đang làm đường", now)}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TABLE articles_fts`, `DROP TABLE search_queries`, `DROP TABLE search_next`,
		`CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, body, tokenize = 'unicode61 remove_diacritics 0')`,
		`INSERT INTO articles_fts(rowid, title, summary, body) VALUES (1, 'dang bo tinh', '', 'doan cong tac den mu cang chai'), (2, 'dang lam duong', '', '')`,
		`DELETE FROM schema_migrations WHERE version = 13`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Search(ctx, "đảng", "", 5, 0)
	if err != nil || len(got) != 2 || got[0].Title != "ĐẢNG BỘ TỈNH" {
		t.Fatalf("đảng after the migration: %q, %v", titles(got), err)
	}
	if got, _ := s.Search(ctx, "mu cang chai", "", 5, 0); len(got) != 1 {
		t.Fatalf("the folded body is kept: %q", titles(got))
	}
}
