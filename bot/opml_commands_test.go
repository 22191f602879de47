package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// On a platform without files (Zalo, the console), /export and an .opml
// document get a sentence saying files are a Telegram feature; other
// documents get a hint, and a non-admin's .opml is refused.
func TestOPMLWithoutDocuments(t *testing.T) {
	e := newEnv(t)
	if got := e.say(t, "1", "/export"); !strings.Contains(got, "tính năng của Telegram") {
		t.Errorf("/export without documents: %q", got)
	}
	if got := e.sayLang(t, "1", "en", "/export"); !strings.Contains(got, "Telegram feature") {
		t.Errorf("/export in English: %q", got)
	}
	if got := e.say(t, "2", "/export"); !strings.Contains(got, "quản trị viên") {
		t.Errorf("/export by a non-admin: %q", got)
	}
	doc := func(user, name string) string {
		t.Helper()
		before := len(e.p.messages())
		e.bot.Handle(context.Background(), e.p, Update{
			Chat:   storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat" + user}, Type: "private"},
			UserID: user, Lang: "vi", Document: &Document{ID: "f1", Name: name, Size: 100},
		})
		e.bot.Wait()
		msgs := e.p.messages()[before:]
		if len(msgs) != 1 {
			t.Fatalf("document %s: %d replies, want 1", name, len(msgs))
		}
		return msgs[0].HTML
	}
	if got := doc("1", "feeds.opml"); !strings.Contains(got, "tính năng của Telegram") {
		t.Errorf(".opml without documents: %q", got)
	}
	if got := doc("1", "anh.jpg"); !strings.Contains(got, ".opml") {
		t.Errorf("a photo file: %q", got)
	}
	if got := doc("2", "feeds.opml"); !strings.Contains(got, "quản trị viên") {
		t.Errorf(".opml from a non-admin: %q", got)
	}
}

func TestOPMLReportHTML(t *testing.T) {
	rep := OPMLReport{Feeds: 4, Added: []string{"https://a.vn/rss?x=<1>"}, Existing: []string{"https://b.vn/rss"},
		NoSection: []string{"https://c.vn/rss"}, Failed: []OPMLFailure{{URL: "https://user:pw@d.vn/rss", Err: errors.New("404")}}}
	got := opmlReportHTML("vi", rep)
	for _, want := range []string{"Đã đọc 4 nguồn tin: thêm 1, đã có sẵn 1, không khớp chuyên mục 1, lỗi 1.", "https://a.vn/rss?x=&lt;1&gt;", "https://c.vn/rss", "d.vn/rss"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "pw@") || strings.Contains(got, "b.vn") {
		t.Errorf("report shows a password or lists feeds already there:\n%s", got)
	}
}

// The dispatcher reports each send once, with its platform, outcome and
// reason.
func TestDispatcherObserve(t *testing.T) {
	tests := []struct {
		err     error
		outcome string
		reason  string
	}{
		{nil, SendSent, ""},
		{ErrChatGone, SendDropped, "chat_gone"},
		{&PermanentError{Err: errors.New("bad request")}, SendFailed, "refused"},
		{&RetryAfterError{After: time.Hour}, SendFailed, "rate_limited"},
		{&MigratedError{NewID: "-100"}, SendFailed, "migrated"},
		{errors.New("502"), SendFailed, "transient"},
	}
	for _, tc := range tests {
		t.Run(tc.outcome+"/"+tc.reason, func(t *testing.T) {
			e := newEnv(t)
			e.pending(t, storage.ChatRef{Platform: "test", ID: "c1"}, 1)
			e.p.fail = func(Message) error { return tc.err }
			events := make(chan SendEvent, 10)
			d := NewDispatcher(DispatcherOptions{Store: e.store, Platforms: map[string]Platform{"test": e.p},
				ChatInterval: time.Millisecond, PollInterval: 10 * time.Millisecond,
				Observe: func(ev SendEvent) { events <- ev }})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { d.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			select {
			case ev := <-events:
				if ev.Platform != "test" || ev.Outcome != tc.outcome || ev.Reason != tc.reason || ev.Deliveries != 1 || ev.Latency <= 0 {
					t.Fatalf("event %+v, want test/%s/%s for 1 delivery", ev, tc.outcome, tc.reason)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no send event")
			}
		})
	}
}
