package storage

import (
	"context"
	"testing"
	"time"
)

// TestLatestBySection: /latest KEY lists an article under its own section
// and under the section of every feed that carried it, newest first, and
// keeps doing so after those feeds are deleted.
func TestLatestBySection(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC()
	f.s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{Now: now})
	f.s.SaveItems(ctx, f.econ.ID, nil, SaveOptions{Now: now})
	shared := item("https://x.example/chung", "https://x.example/chung", "Bài chung", now.Add(-time.Hour))
	if _, err := f.s.SaveItems(ctx, f.politics.ID, []Item{
		item("https://a.example/1", "https://a.example/1", "Chính trị cũ", now.Add(-3*time.Hour)),
		shared,
	}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SaveItems(ctx, f.econ.ID, []Item{
		item("https://b.example/1", "https://b.example/1", "Kinh tế mới", now.Add(-time.Minute)),
		shared, // the same story from the other section's feed
	}, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	titles := func(section string) []string {
		t.Helper()
		as, err := f.s.Latest(ctx, section, 5)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.Title)
		}
		return out
	}
	check := func(when, section string, want ...string) {
		t.Helper()
		got := titles(section)
		if len(got) != len(want) {
			t.Fatalf("%s: /latest %s = %q, want %q", when, section, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: /latest %s = %q, want %q", when, section, got, want)
			}
		}
	}
	check("stored", "kinh-te", "Kinh tế mới", "Bài chung")
	check("stored", "chinh-tri", "Bài chung", "Chính trị cũ")
	if got := titles("the-thao"); len(got) != 0 {
		t.Errorf("/latest of an empty section = %q", got)
	}
	if err := f.s.DeleteFeed(ctx, f.econ.ID); err != nil {
		t.Fatal(err)
	}
	check("after its feed was deleted", "kinh-te", "Kinh tế mới", "Bài chung")
	found, err := f.s.Search(ctx, "bai chung", "kinh-te", 5, 0)
	if err != nil || len(found) != 1 {
		t.Errorf("search in the deleted feed's section: %v, %v", found, err)
	}
}
