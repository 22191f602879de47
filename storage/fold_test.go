package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	tests := map[string]string{
		"Đảng bộ":           "dang bo",
		"khoa giáo":         "khoa giao",
		"Hoá / Hóa":         "hoa / hoa",
		"NGHỆ AN":           "nghe an",
		"Đắk Lắk":           "dak lak",
		"tiếng Việt có dấu": "tieng viet co dau",
	}
	for in, want := range tests {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSearch checks that whatever a person types is either no search or
// one SQLite's FTS5 accepts: never an error.
func FuzzSearch(f *testing.F) {
	for _, seed := range []string{"khoa giáo", `"a" OR b*`, "NEAR(x y, 2)", "title:x", "-x ^y", "(((", "Đ", "a\x00b", "\"\"", "*",
		`"chuyển đổi" số`, "“Đảng bộ”", `{title}: x`, "x\"y\"z", "ǅ ǈ ﬁ", strings.Repeat("ngà ", 300)} {
		f.Add(seed)
	}
	s, err := Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, input string) {
		if !utf8.ValidString(input) {
			return
		}
		for _, tier := range planSearch(input) {
			if strings.Count(tier.expr, `"`)%2 != 0 {
				t.Fatalf("planSearch(%q): unbalanced quotes in %s", input, tier.expr)
			}
		}
		if _, err := s.SearchFirst(context.Background(), input, "", 5); err != nil {
			t.Fatalf("Search(%q): %v", input, err)
		}
	})
}
