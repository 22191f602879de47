package bot

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStatsShowsDatabaseSizeAndRetention: /stats tells the database's size
// (file and WAL) in MB, with a decimal comma in Vietnamese, how long
// articles are kept, and the last cleanup once there was one.
func TestStatsShowsDatabaseSizeAndRetention(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	e.store.SetRetention(0)
	vi := askStats(t, e, "vi")
	if !regexp.MustCompile(`Cơ sở dữ liệu: \d+,\d MB \(tệp và WAL\); giữ bài mãi mãi \(không tự xóa\)`).MatchString(vi) {
		t.Errorf("/stats with retention off:\n%s", vi)
	}
	if strings.Contains(vi, "Lần dọn gần nhất") {
		t.Errorf("/stats tells of a cleanup before any:\n%s", vi)
	}

	e.store.SetRetention(180 * 24 * time.Hour)
	if _, err := e.store.Prune(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	st, err := e.store.Stats(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	vi = askStats(t, e, "vi")
	for _, want := range []string{"Cơ sở dữ liệu: " + megabytes("vi", st.DBBytes) + " MB (tệp và WAL); giữ bài 180 ngày", "Lần dọn gần nhất: ", "đã xóa 0 bài và 0 lượt gửi cũ"} {
		if !strings.Contains(vi, want) {
			t.Errorf("/stats lacks %q:\n%s", want, vi)
		}
	}
	en := askStats(t, e, "en")
	if !regexp.MustCompile(`Database: \d+\.\d MB \(file and WAL\); articles kept 180 days`).MatchString(en) || !strings.Contains(en, "Last cleanup: ") {
		t.Errorf("/stats in English:\n%s", en)
	}
	e.store.SetRetention(24 * time.Hour)
	if en := askStats(t, e, "en"); !strings.Contains(en, "articles kept 1 day\n") {
		t.Errorf("/stats in English with one day:\n%s", en)
	}
}

func TestMegabytes(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int64
		want string
	}{
		{"vi", 12*(1<<20) + 300*(1<<10), "12,3"},
		{"en", 12*(1<<20) + 300*(1<<10), "12.3"},
		{"vi", 0, "0,0"},
		{"en", 1_288_490_189, "1228.8"},
	} {
		if got := megabytes(tc.lang, tc.n); got != tc.want {
			t.Errorf("megabytes(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}
