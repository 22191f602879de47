package storage

import (
	"context"
	"path/filepath"
	"regexp"
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

var safeExpr = regexp.MustCompile(`^("[\p{L}\p{N}]+" )*"[\p{L}\p{N}]+"\*$`)

// FuzzMatchExpr checks that whatever a person types becomes either nothing
// or a plain list of quoted words that SQLite's FTS5 accepts.
func FuzzMatchExpr(f *testing.F) {
	for _, seed := range []string{"khoa giáo", `"a" OR b*`, "NEAR(x y, 2)", "title:x", "-x ^y", "(((", "Đ", "a\x00b", "\"\"", "*"} {
		f.Add(seed)
	}
	s, err := Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, input string) {
		expr := MatchExpr(input)
		if expr == "" {
			return
		}
		if !utf8.ValidString(expr) || !safeExpr.MatchString(expr) {
			t.Fatalf("MatchExpr(%q) = %q: not a list of quoted words", input, expr)
		}
		if _, err := s.Search(context.Background(), input, "", 5, 0); err != nil {
			t.Fatalf("Search(%q) via %q: %v", input, expr, err)
		}
	})
}
