package zalo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
	"github.com/newsbot-vn/newsbot/storage"
)

const (
	userTed = "6ede9afa66b88fe6d6a9"
	userLan = "8a1f3c2b4d5e6f708192"
)

func zaloChat(id, typ, title string) storage.Chat {
	return storage.Chat{ChatRef: storage.ChatRef{Platform: "zalo", ID: id}, Type: typ, Title: title, Lang: "vi", Active: true}
}

func TestRunConvertsUpdates(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	r := run(t, a)

	date := time.UnixMilli(1750316131602)
	tests := []struct {
		name string
		push zalotest.Update
		want bot.Update // ID is checked apart
	}{
		{
			name: "private text, the issue's example",
			push: zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
				MessageID: "2d758cb5e222177a4e35",
				From:      zalotest.User{ID: userTed, DisplayName: "Ted"},
				Chat:      zalotest.Chat{ID: userTed, ChatType: "PRIVATE"},
				Text:      "Xin chào",
				Date:      date.UnixMilli(),
			}},
			want: bot.Update{Chat: zaloChat(userTed, "private", "Ted"), UserID: userTed, UserName: "Ted", Text: "Xin chào", Received: date},
		},
		{
			name: "Vietnamese words become a command",
			push: zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
				From: zalotest.User{ID: userLan, DisplayName: "Lan"},
				Chat: zalotest.Chat{ID: userLan, ChatType: "PRIVATE"},
				Text: "Đăng ký thoi-su",
				Date: date.UnixMilli(),
			}},
			want: bot.Update{Chat: zaloChat(userLan, "private", "Lan"), UserID: userLan, UserName: "Lan", Text: "/subscribe thoi-su", Received: date},
		},
		{
			name: "group message",
			push: zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
				From: zalotest.User{ID: userLan, DisplayName: "Lan"},
				Chat: zalotest.Chat{ID: "g123", ChatType: "GROUP"},
				Text: "/latest",
				Date: date.UnixMilli(),
			}},
			want: bot.Update{Chat: zaloChat("g123", "group", ""), UserID: userLan, UserName: "Lan", Text: "/latest", Received: date},
		},
		{
			name: "image with a caption",
			push: zalotest.Update{EventName: zalotest.EventImage, Message: zalotest.Message{
				From:    zalotest.User{ID: userTed, DisplayName: "Ted"},
				Chat:    zalotest.Chat{ID: userTed, ChatType: "PRIVATE"},
				Photo:   "https://example.vn/a.jpg",
				Caption: "tìm bão",
				Date:    date.UnixMilli(),
			}},
			want: bot.Update{Chat: zaloChat(userTed, "private", "Ted"), UserID: userTed, UserName: "Ted", Text: "/search bão", Received: date},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pushed := zs.PushUpdate(tc.push)
			got := r.next(t)
			if got.ID != pushed.Message.MessageID {
				t.Errorf("ID = %q, want the message_id %q", got.ID, pushed.Message.MessageID)
			}
			got.ID = ""
			if !got.Received.Equal(tc.want.Received) {
				t.Errorf("Received = %v, want %v", got.Received, tc.want.Received)
			}
			got.Received, tc.want.Received = time.Time{}, time.Time{}
			if got.Chat != tc.want.Chat || got.UserID != tc.want.UserID || got.UserName != tc.want.UserName || got.Text != tc.want.Text || got.Callback != nil {
				t.Errorf("update = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

func TestRunSkipsWhatItCannotAnswer(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	r := run(t, a)

	zs.PushUpdate(zalotest.Update{EventName: zalotest.EventSticker, Message: zalotest.Message{
		From: zalotest.User{ID: userTed}, Chat: zalotest.Chat{ID: userTed, ChatType: "PRIVATE"}, Sticker: "0e078a2fb66a5f34067b",
	}})
	zs.PushUpdate(zalotest.Update{EventName: zalotest.EventImage, Message: zalotest.Message{
		From: zalotest.User{ID: userTed}, Chat: zalotest.Chat{ID: userTed, ChatType: "PRIVATE"}, Photo: "https://example.vn/a.jpg",
	}})
	zs.PushUpdate(zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
		From: zalotest.User{ID: "b0t", IsBot: true}, Chat: zalotest.Chat{ID: userTed, ChatType: "PRIVATE"}, Text: "echo",
	}})
	zs.PushText(userTed, "after")
	if got := r.next(t); got.Text != "after" {
		t.Errorf("handled %+v, want only the text after the skipped events", got)
	}
	r.none(t, zs)
}

func TestRunDeduplicatesReplays(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	r := run(t, a)

	id := zs.PushText(userTed, "tin mới")
	replay := zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
		MessageID: id, From: zalotest.User{ID: userTed}, Chat: zalotest.Chat{ID: userTed, ChatType: "PRIVATE"}, Text: "tin mới",
	}}
	zs.PushUpdate(replay)
	zs.PushText(userTed, "trợ giúp")
	zs.PushUpdate(replay)

	if got := r.next(t); got.ID != id || got.Text != "/latest" {
		t.Errorf("first = %+v", got)
	}
	if got := r.next(t); got.Text != "/help" {
		t.Errorf("second = %+v, want /help (the replay skipped)", got)
	}
	r.none(t, zs)
}

// A restart with the same SeenStore does not answer again what getUpdates
// hands out again.
func TestRunDeduplicatesAcrossRestart(t *testing.T) {
	zs := zalotest.New(t)
	seen := NewMemorySeen(10)
	withSeen := func(o *Options) { o.Seen = seen }

	a1, _ := newAdapter(t, zs, withSeen)
	r1 := run(t, a1)
	id := zs.PushText(userTed, "/start")
	if got := r1.next(t); got.ID != id {
		t.Fatalf("first run handled %+v", got)
	}
	r1.stop(t)
	zs.WaitCalls(t, func([]zalotest.Call) bool { return zs.Polling() == 0 }, wait)

	zs.PushUpdate(zalotest.Update{EventName: zalotest.EventText, Message: zalotest.Message{
		MessageID: id, From: zalotest.User{ID: userTed}, Chat: zalotest.Chat{ID: userTed, ChatType: "PRIVATE"}, Text: "/start",
	}})
	newID := zs.PushText(userTed, "/help")
	a2, _ := newAdapter(t, zs, withSeen)
	r2 := run(t, a2)
	if got := r2.next(t); got.ID != newID {
		t.Errorf("after restart handled %+v, want only %s", got, newID)
	}
	r2.none(t, zs)
}

func TestRunAcceptsArrayResults(t *testing.T) {
	zs := zalotest.New(t)
	zs.SetArrayResults(true)
	a, _ := newAdapter(t, zs)
	// Queue three before the first poll so that one answer carries them all.
	ids := []string{zs.PushText(userTed, "a"), zs.PushText(userLan, "b"), zs.PushText(userTed, "c")}
	r := run(t, a)
	for i, want := range ids {
		if got := r.next(t); got.ID != want {
			t.Errorf("update %d = %s, want %s", i, got.ID, want)
		}
	}
	polls := zs.CallsOf("getUpdates")
	if len(polls) == 0 || polls[0].Code != 0 {
		t.Errorf("first poll = %+v", polls)
	}
}

// An idle long poll ends with 408, which is no failure: the adapter polls
// again at once, without logging a warning or backing off.
func TestRunIdlePollIsNotAnError(t *testing.T) {
	zs := zalotest.New(t)
	a, logs := newAdapter(t, zs, func(o *Options) { o.PollTimeout = time.Second })
	a.backoffMin, a.backoffMax = time.Hour, time.Hour // a backoff would stall the test
	r := run(t, a)

	zs.WaitCalls(t, func(calls []zalotest.Call) bool {
		idle := 0
		for _, c := range calls {
			if c.Method == "getUpdates" && c.Code == 408 {
				idle++
			}
		}
		return idle >= 1 && len(calls) > 0 && calls[len(calls)-1].Method == "getUpdates" && calls[len(calls)-1].Code == 0
	}, wait)
	if c := zs.CallsOf("getUpdates")[0]; c.Params["timeout"] != "1" {
		t.Errorf("getUpdates params = %v, want timeout \"1\"", c.Params)
	}
	zs.PushText(userTed, "hello")
	if got := r.next(t); got.Text != "hello" {
		t.Errorf("got %+v", got)
	}
	if strings.Contains(logs.String(), "getUpdates failed") {
		t.Errorf("idle poll logged as a failure:\n%s", logs)
	}
}

func TestRunRemovesWebhookBeforePolling(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs)
	if err := a.Client().SetWebhook(context.Background(), "https://old.example.vn/hook", "old-secret-123"); err != nil {
		t.Fatal(err)
	}
	r := run(t, a)
	// Pushed while the webhook is set, it would go to the old webhook.
	zs.WaitCalls(t, func([]zalotest.Call) bool { return len(zs.CallsOf("getUpdates")) > 0 }, wait)
	id := zs.PushText(userTed, "hi")
	if got := r.next(t); got.ID != id {
		t.Errorf("got %+v", got)
	}
	if url, _ := zs.Webhook(); url != "" {
		t.Errorf("webhook still set to %q", url)
	}
	if c := zs.Calls(); c[2].Method != "deleteWebhook" {
		t.Errorf("first call of Run = %s, want deleteWebhook before polling", c[2].Method)
	}
}

func TestRunRetriesAfterErrorsAndRedactsLogs(t *testing.T) {
	zs := zalotest.New(t)
	a, logs := newAdapter(t, zs)
	zs.FailNext("getUpdates", "", zalotest.Fault{HTTPStatus: 502, RawBody: "<html>Bad Gateway</html>"})
	zs.FailNext("getUpdates", "", zalotest.Fault{Drop: true})
	zs.FailNext("getUpdates", "", zalotest.Fault{ErrorCode: 500, Description: "Internal error", OKFalseWith200: true})
	zs.FailNext("getUpdates", "", zalotest.Fault{HTTPStatus: 429, Description: "Too Many Requests: retry after 1"})
	r := run(t, a)

	zs.PushText(userTed, "hello")
	if got := r.next(t); got.Text != "hello" {
		t.Errorf("got %+v", got)
	}
	r.stop(t)
	out := logs.String()
	if n := strings.Count(out, "getUpdates failed"); n != 4 {
		t.Errorf("logged %d poll failures, want 4:\n%s", n, out)
	}
	if strings.Contains(out, zs.Token) {
		t.Errorf("log leaks the token:\n%s", out)
	}
	for _, want := range []string{"<token>", "Bad Gateway", "Internal error", "retry_in=1s"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRunReturnsPromptlyDuringLongPoll(t *testing.T) {
	zs := zalotest.New(t)
	a, _ := newAdapter(t, zs, func(o *Options) { o.PollTimeout = 0 }) // the 30 s default
	r := run(t, a)
	zs.WaitCalls(t, func(calls []zalotest.Call) bool {
		for _, c := range calls {
			if c.Method == "getUpdates" && c.Params["timeout"] == "30" {
				return true
			}
		}
		return false
	}, wait)
	start := time.Now()
	r.stop(t)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %s to return after cancel", d)
	}
}
