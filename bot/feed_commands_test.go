package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

func TestFeedsShowsHealthAndResumefeed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, err := e.store.AddFeed(ctx, "https://user:hunter2@private.example/rss", "kinh-te", "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// The config feed failed twice and backs off; the secret one is paused.
	for range 2 {
		e.store.RecordFeedFailure(ctx, e.feed.ID, storage.FeedFailure{At: now, Error: "feeds: fetch: unexpected status 503 <Service Unavailable>",
			NextAttempt: now.Add(2 * time.Hour)})
	}
	for range 3 {
		e.store.RecordFeedFailure(ctx, secret.ID, storage.FeedFailure{At: now, Error: "timeout", NextAttempt: now.Add(time.Hour), Pause: true})
	}

	vi := e.say(t, "1", "/feeds")
	for _, want := range []string{"tình trạng: lỗi · lỗi liên tiếp: 2", "lần thử tới: " + now.Add(2*time.Hour).In(VietnamTime()).Format("15:04"),
		"máy chủ đang gặp sự cố (lỗi 503)", "tình trạng: tạm dừng · lỗi liên tiếp: 3", "/resumefeed 2", "user:xxxxx@private.example"} {
		if !strings.Contains(vi, want) {
			t.Errorf("/feeds lacks %q:\n%s", want, vi)
		}
	}
	if strings.Contains(vi, "hunter2") {
		t.Errorf("/feeds shows a password:\n%s", vi)
	}
	if en := e.sayLang(t, "1", "en", "/feeds"); !strings.Contains(en, "state: paused · consecutive failures: 3") || !strings.Contains(en, "state: failing") {
		t.Errorf("English /feeds:\n%s", en)
	}

	tests := []struct {
		name, user, lang, cmd string
		want                  []string
	}{
		{"not an admin", "2", "vi", "/resumefeed 2", []string{"quản trị viên"}},
		{"no id", "1", "vi", "/resumefeed", []string{"Cú pháp: /resumefeed"}},
		{"not a number", "1", "en", "/resumefeed abc", []string{"Usage: /resumefeed"}},
		{"unknown", "1", "vi", "/resumefeed 99", []string{"Không có nguồn tin #99"}},
		{"resumed", "1", "vi", "/resumefeed #2", []string{"Đã bật lại nguồn tin #2", "user:xxxxx@private.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.sayLang(t, tt.user, tt.lang, tt.cmd)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s → %q, want %q", tt.cmd, got, w)
				}
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("reply shows a password: %q", got)
			}
		})
	}
	f, _ := e.store.Feed(ctx, secret.ID)
	if f.Paused || f.Failures != 0 || !f.NextAttempt.IsZero() {
		t.Errorf("after /resumefeed: %+v", f)
	}
	if vi := e.say(t, "1", "/feeds"); strings.Contains(vi, "tạm dừng") {
		t.Errorf("/feeds still shows a paused feed:\n%s", vi)
	}
}

func TestFeedNoticeHTML(t *testing.T) {
	paused := FeedNotice{Kind: "paused", FeedID: 3, URL: "https://u:pw@x.example/rss", Failures: 50, Error: "feeds: fetch https://x.example/rss: unexpected status 503 <Service Unavailable>"}
	vi := FeedNoticeHTML("vi", paused)
	if !strings.Contains(vi, "#3") || !strings.Contains(vi, "50 lần lỗi") || !strings.Contains(vi, "máy chủ đang gặp sự cố (lỗi 503)") || strings.Contains(vi, "Service") ||
		!strings.Contains(vi, "/resumefeed 3") || strings.Contains(vi, "pw@") {
		t.Errorf("paused notice: %q", vi)
	}
	flood := FeedNoticeHTML("en", FeedNotice{Kind: "flood", FeedID: 4, URL: "https://x.example/rss", New: 20000, Pushed: 50, Withheld: 19950})
	if !strings.Contains(flood, "20000 new items") || !strings.Contains(flood, "the 50 newest") || !strings.Contains(flood, "19950") {
		t.Errorf("flood notice: %q", flood)
	}
	if FeedNoticeHTML("vi", FeedNotice{Kind: "other"}) != "" {
		t.Error("an unknown kind has a text")
	}
}
