package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// TestSearchPagingSurvivesRestart pages a search with its button and with a
// bare /more after the bot and its database were closed and opened again:
// the cursor in the button and the chat's last search are all it needs.
func TestSearchPagingSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	open := func() (*storage.Store, *Bot) {
		store, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return store, New(Options{Store: store})
	}
	store, b := open()
	if err := store.UpsertSection(ctx, storage.Section{Key: "chinh-tri", Name: "Chính trị"}); err != nil {
		t.Fatal(err)
	}
	feed, err := store.AddFeed(ctx, "https://baolaocai.vn/rss/home.rss", "chinh-tri", "")
	if err != nil {
		t.Fatal(err)
	}
	var items []storage.Item
	for i := range 12 {
		link := fmt.Sprintf("https://baolaocai.vn/bao-so-%d", i)
		items = append(items, storage.Item{GUID: link, Link: link, Canonical: link,
			Title: fmt.Sprintf("Bão số %d đổ bộ", i), Published: time.Now().Add(time.Duration(i) * time.Minute)})
	}
	if _, err := store.SaveItems(ctx, feed.ID, items, storage.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	p := newRecorder("test")
	chat := storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat2"}, Type: "private"}
	handle := func(b *Bot, text string, callback bool) Message {
		t.Helper()
		u := Update{Chat: chat, UserID: "2", Text: text}
		if callback {
			u.Callback = &Callback{ID: "cb", MessageID: "1"}
		}
		return p.replyTo(t, b, u)
	}
	seen := map[string]bool{}
	collect := func(m Message) {
		for _, line := range strings.Split(m.HTML, "\n") {
			if i := strings.Index(line, "Bão số "); i >= 0 {
				title := line[i:]
				title = title[:strings.Index(title, " đổ bộ")]
				if seen[title] {
					t.Errorf("%s shown twice", title)
				}
				seen[title] = true
			}
		}
	}
	first := handle(b, "/search bão", false)
	collect(first)
	if len(first.Buttons) != 1 {
		t.Fatalf("no next-page button: %+v", first)
	}
	data := first.Buttons[0][0].Data

	store.Close()
	store, b = open()
	second := handle(b, data, true)
	if !strings.Contains(second.HTML, "trang 2") || len(second.Buttons) != 1 {
		t.Fatalf("page 2 after a restart:\n%s\n%+v", second.HTML, second.Buttons)
	}
	collect(second)

	store.Close()
	store, b = open()
	defer store.Close()
	third := handle(b, "/more", false)
	if !strings.Contains(third.HTML, "trang 3") || len(third.Buttons) != 0 {
		t.Fatalf("page 3 by a bare /more after a restart:\n%s", third.HTML)
	}
	collect(third)
	if len(seen) != 12 {
		t.Fatalf("three pages showed %d of the 12 articles: %v", len(seen), seen)
	}
	if got := handle(b, "/more", false); !strings.Contains(got.HTML, "Chưa có kết quả nào để xem tiếp") {
		t.Fatalf("/more after the last page: %q", got.HTML)
	}
	// The first page's button still works: it carries its own position.
	if again := handle(b, data, true); !strings.Contains(again.HTML, "trang 2") {
		t.Fatalf("an older button: %q", again.HTML)
	}
}

// TestSearchRefusesForgedCursors answers a cursor someone made up or
// altered with a clear reply, never an error or someone else's search.
func TestSearchRefusesForgedCursors(t *testing.T) {
	e := newEnv(t)
	for _, data := range []string{
		"more:!!!", "more:AAAA", "more:" + strings.Repeat("A", 59),
		"more:AWCNTMqYswokAgePqKMOAAcDAA", // well-formed, but no such search here
	} {
		e.bot.Handle(context.Background(), e.p, Update{
			Chat:   storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat2"}, Type: "private"},
			UserID: "2", Text: data, Callback: &Callback{ID: "cb", MessageID: "1"},
		})
		msgs := e.p.messages()
		if len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].HTML, "không hợp lệ") {
			t.Fatalf("%q: %+v", data, msgs)
		}
	}
	if got := e.say(t, "2", "/more %%%"); !strings.Contains(got, "không hợp lệ") {
		t.Fatalf("/more with garbage: %q", got)
	}
}
