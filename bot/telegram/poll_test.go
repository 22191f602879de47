package telegram

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

func TestRunConvertsUpdates(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	r := run(t, a)

	tests := []struct {
		name string
		push func() tgbotapi.Update
		want bot.Update // ID and Received are checked apart
	}{
		{
			name: "private message in Vietnamese",
			push: func() tgbotapi.Update {
				return tg.PushMessage(111, 111, "/start", telegramtest.WithUser("Lan", "lan_nguyen"))
			},
			want: bot.Update{
				Chat:     chat("111", "private", "Lan", "vi"),
				UserID:   "111",
				UserName: "lan_nguyen",
				Lang:     "vi",
				Text:     "/start",
			},
		},
		{
			name: "English speaker",
			push: func() tgbotapi.Update {
				return tg.PushMessage(222, 222, "/help", telegramtest.WithLang("en-GB"), telegramtest.WithUser("Tom", ""))
			},
			want: bot.Update{
				Chat:     chat("222", "private", "Tom", "en"),
				UserID:   "222",
				UserName: "Tom",
				Lang:     "en-GB",
				Text:     "/help",
			},
		},
		{
			name: "group message",
			push: func() tgbotapi.Update {
				return tg.PushMessage(-4001, 333, "/sections@newsbot_test_bot", telegramtest.WithChatType("group"), telegramtest.WithTitle("Tin nhanh"))
			},
			want: bot.Update{
				Chat:     chat("-4001", "group", "Tin nhanh", "vi"),
				UserID:   "333",
				UserName: "User 333",
				Lang:     "vi",
				Text:     "/sections@newsbot_test_bot",
			},
		},
		{
			name: "photo with a caption",
			push: func() tgbotapi.Update {
				return tg.PushUpdate(tgbotapi.Update{Message: &tgbotapi.Message{
					From:    &tgbotapi.User{ID: 444, FirstName: "Mai", LanguageCode: "vi"},
					Chat:    &tgbotapi.Chat{ID: 444, Type: "private", FirstName: "Mai"},
					Caption: "ảnh đẹp",
					Photo:   []tgbotapi.PhotoSize{{FileID: "x"}},
				}})
			},
			want: bot.Update{
				Chat:     chat("444", "private", "Mai", "vi"),
				UserID:   "444",
				UserName: "Mai",
				Lang:     "vi",
				Text:     "ảnh đẹp",
			},
		},
		{
			name: "button press",
			push: func() tgbotapi.Update {
				return tg.PushCallback(-1005550001, 555, 77, "sub:thoi-su", telegramtest.WithLang("en"), telegramtest.WithChatType("supergroup"), telegramtest.WithTitle("News EN"))
			},
			want: bot.Update{
				Chat:     chat("-1005550001", "supergroup", "News EN", "en"),
				UserID:   "555",
				UserName: "User 555",
				Lang:     "en",
				Text:     "sub:thoi-su",
				Callback: &bot.Callback{MessageID: "77"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now()
			pushed := tc.push()
			got := r.next(t)
			if got.ID != strconv.Itoa(pushed.UpdateID) {
				t.Errorf("ID = %q, want %d", got.ID, pushed.UpdateID)
			}
			if got.Received.Before(before) {
				t.Errorf("Received = %v, before the push at %v", got.Received, before)
			}
			want := tc.want
			want.ID, want.Received = got.ID, got.Received
			if want.Callback != nil {
				want.Callback.ID = pushed.CallbackQuery.ID
				if got.Callback == nil || *got.Callback != *want.Callback {
					t.Errorf("Callback = %+v, want %+v", got.Callback, want.Callback)
				}
				got.Callback, want.Callback = nil, nil
			}
			if got != want {
				t.Errorf("update\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func chat(id, typ, title, lang string) storage.Chat {
	return storage.Chat{ChatRef: storage.ChatRef{Platform: "telegram", ID: id}, Type: typ, Title: title, Lang: lang, Active: true}
}

func TestRunSkipsUpdatesWithoutText(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	r := run(t, a)

	tg.PushUpdate(tgbotapi.Update{Message: &tgbotapi.Message{
		From:     &tgbotapi.User{ID: 1, FirstName: "A"},
		Chat:     &tgbotapi.Chat{ID: 1, Type: "private"},
		Sticker:  &tgbotapi.Sticker{FileID: "s"},
		Entities: nil,
	}})
	tg.PushUpdate(tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{From: &tgbotapi.User{ID: 1}, InlineMessageID: "inline", Data: "x"}})
	last := tg.PushMessage(1, 1, "hello")

	if got := r.next(t); got.ID != strconv.Itoa(last.UpdateID) {
		t.Errorf("first handled update = %+v, want only the text message", got)
	}
}

// Each update is handled once, in order, and the next poll's offset confirms it.
func TestRunAdvancesOffset(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	r := run(t, a)

	var want []string
	for i := range 3 {
		want = append(want, strconv.Itoa(tg.PushMessage(10, 10, "m"+strconv.Itoa(i)).UpdateID))
	}
	var got []string
	for range 3 {
		got = append(got, r.next(t).ID)
	}
	last := tg.PushMessage(10, 10, "later")
	want = append(want, strconv.Itoa(last.UpdateID))
	got = append(got, r.next(t).ID)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("handled %v, want %v", got, want)
	}

	next := strconv.Itoa(last.UpdateID + 1)
	tg.WaitCalls(t, func(calls []telegramtest.Call) bool {
		for _, c := range calls {
			if c.Method == "getUpdates" && c.Params.Get("offset") == next {
				return true
			}
		}
		return false
	}, wait)
	if n := tg.Pending(); n != 0 {
		t.Errorf("Pending = %d after the confirming poll, want 0", n)
	}
	for _, c := range tg.Calls() {
		if c.Method == "getUpdates" && c.Params.Get("allowed_updates") != `["message","callback_query"]` {
			t.Fatalf("allowed_updates = %s", c.Params.Get("allowed_updates"))
		}
	}
	select {
	case u := <-r.updates:
		t.Errorf("update handled twice or unexpected: %+v", u)
	default:
	}
}

func TestRunReturnsPromptlyDuringLongPoll(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg, func(o *Options) { o.PollTimeout = 0 }) // the 30 s default
	r := run(t, a)

	tg.WaitCalls(t, func(calls []telegramtest.Call) bool {
		for _, c := range calls {
			if c.Method == "getUpdates" && c.Params.Get("timeout") == "30" {
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

// Cancelling inside a handler still tells Telegram the update was handled.
func TestRunConfirmsHandledUpdatesOnShutdown(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	ctx, cancel := context.WithCancel(context.Background())
	u := tg.PushMessage(10, 10, "/stop")
	tg.PushMessage(10, 10, "after stop") // same batch, not handled, must come again

	var handled []string
	err := a.Run(ctx, func(_ context.Context, up bot.Update) {
		handled = append(handled, up.Text)
		cancel()
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if strings.Join(handled, ",") != "/stop" {
		t.Errorf("handled %v, want only /stop", handled)
	}
	if n := tg.Pending(); n != 1 {
		t.Errorf("Pending = %d, want 1 (the unhandled one)", n)
	}
	calls := tg.Calls()
	if c := calls[len(calls)-1]; c.Method != "getUpdates" || c.Params.Get("offset") != strconv.Itoa(u.UpdateID+1) {
		t.Errorf("last call %s offset=%s, want getUpdates offset=%d", c.Method, c.Params.Get("offset"), u.UpdateID+1)
	}
}

func TestRunRetriesAfterErrorsAndRedactsLogs(t *testing.T) {
	tg := telegramtest.New(t)
	a, logs := newAdapter(t, tg)
	tg.FailNext("getUpdates", 0, telegramtest.Fault{Code: 502})
	tg.FailNext("getUpdates", 0, telegramtest.Fault{Drop: true})
	tg.FailNext("getUpdates", 0, telegramtest.Fault{RetryAfter: 1})
	r := run(t, a)

	tg.PushMessage(10, 10, "hello")
	if got := r.next(t); got.Text != "hello" {
		t.Errorf("got %+v", got)
	}
	r.stop(t)
	out := logs.String()
	if n := strings.Count(out, "getUpdates failed"); n != 3 {
		t.Errorf("logged %d poll failures, want 3:\n%s", n, out)
	}
	if strings.Contains(out, tg.Token) {
		t.Errorf("log leaks the token:\n%s", out)
	}
	if !strings.Contains(out, "<token>") || !strings.Contains(out, "retry_in=1s") {
		t.Errorf("log lacks the redacted URL or the 429 wait:\n%s", out)
	}
}
