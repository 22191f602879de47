package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/bot/zalo/zalotest"
	"github.com/newsbot-vn/newsbot/storage"
)

// runFor runs the bot with args and returns its exit code and logs, failing
// the test when it has not exited within limit.
func runFor(t *testing.T, limit time.Duration, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), logs, logs) }()
	select {
	case code := <-done:
		return code, logs.String()
	case <-time.After(limit):
		cancel()
		<-done
		t.Fatalf("the bot did not exit within %s; logs:\n%s", limit, logs.String())
		return 0, ""
	}
}

// TestSecondInstance: a second bot on the same database refuses to start
// and names the running one; with -standby it waits and takes over when the
// first stops, and no update is answered twice.
func TestSecondInstance(t *testing.T) {
	tg := telegramtest.New(t)
	db := filepath.Join(t.TempDir(), "one.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
sections: [{key: chinh-tri, name: "Chính trị"}]
`, db, tg.Token, tg.URL))
	first := start(t, "-config", cfg)
	ask(t, tg, reader, "/start", "Xin chào")

	code, logs := runFor(t, 10*time.Second, "-config", cfg)
	want := fmt.Sprintf("another newsbot (pid %d) is using %s", os.Getpid(), db)
	if code == 0 || !strings.Contains(logs, want) {
		t.Fatalf("second start: exit %d, logs:\n%s\nwant a non-zero exit saying %q", code, logs, want)
	}

	standby := start(t, "-config", cfg, "-standby")
	waitUntil(t, "the standby to wait", func() bool { return strings.Contains(standby.logs.String(), "standby: waiting") })
	if strings.Contains(standby.logs.String(), "newsbot running") {
		t.Fatal("the standby runs beside the first instance")
	}
	first.stop(t)
	waitUntil(t, "the standby to take over", func() bool { return strings.Contains(standby.logs.String(), "newsbot running") })
	ask(t, tg, investor, "/help", "Các lệnh")
	if got := len(containing(tg.SentTo(reader), "Xin chào")); got != 1 {
		t.Errorf("/start was answered %d times, want 1", got)
	}
}

// TestDatabaseDeleted: a database file deleted under the running bot stops
// it with a clear error, and a restart that finds the database gone but its
// lock file there refuses instead of starting empty.
func TestDatabaseDeleted(t *testing.T) {
	tg := telegramtest.New(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "gone.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
sections: [{key: chinh-tri, name: "Chính trị"}]
`, db, tg.Token, tg.URL))
	in := start(t, "-config", cfg)
	ask(t, tg, reader, "/subscribe chinh-tri", "Đã đăng ký")
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	select {
	case code := <-in.done:
		in.done <- code
		if code == 0 || !strings.Contains(in.logs.String(), "was deleted while the bot was running") {
			t.Fatalf("exit %d after the database was deleted; logs:\n%s", code, in.logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the bot went on after its database was deleted")
	}

	code, logs := runFor(t, 10*time.Second, "-config", cfg)
	if code == 0 || !strings.Contains(logs, "database file is missing") || !strings.Contains(logs, "gone.db.lock") {
		t.Fatalf("restart without the database: exit %d, logs:\n%s", code, logs)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused restart created %s", db)
	}
}

// TestPlatformDownAtStart: Telegram failing getMe at start is retried and
// does not stop Zalo; once Telegram answers, it works too.
func TestPlatformDownAtStart(t *testing.T) {
	tg := telegramtest.New(t)
	za := zalotest.New(t)
	down := make(chan struct{})
	tg.SetFault(func(method string, _ url.Values) *telegramtest.Fault {
		select {
		case <-down:
			return nil
		default:
		}
		if method == "getMe" {
			return &telegramtest.Fault{Code: 502, Description: "Bad Gateway"}
		}
		return nil
	})
	cfg := bothPlatforms(t, tg, za)
	in := start(t, "-config", cfg)
	waitUntil(t, "a retried getMe", func() bool {
		return strings.Contains(in.logs.String(), "platform unreachable at start; retrying")
	})
	za.PushText("zu1", "/help")
	za.WaitSent(t, func(all []zalotest.Sent) bool { return len(all) >= 1 }, 15*time.Second)

	close(down)
	ask(t, tg, reader, "/help", "Các lệnh")
	select {
	case code := <-in.done:
		t.Fatalf("the bot exited (%d)", code)
	default:
	}
}

// TestWebhookConnectionFlood: with the bot limited to 1 024 file
// descriptors, 1 100 idle connections held by a stranger (more than it may open) do not keep a real
// update out, and a slow body with a wrong secret is cut.
func TestWebhookConnectionFlood(t *testing.T) {
	tg := telegramtest.New(t)
	addr := freeAddr(t)
	db := filepath.Join(t.TempDir(), "w.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s, webhook: {url: "https://bot.example.vn/hook/telegram", secret: "tg_secret-1"}}
http: {listen: %q}
sections: [{key: chinh-tri, name: "Chính trị"}]
`, db, tg.Token, tg.URL, addr))
	t.Setenv(childNoFile, "1024")
	startChild(t, cfg)
	waitUntil(t, "setWebhook", func() bool { u, _ := tg.Webhook(); return u != "" })

	var idle []net.Conn
	t.Cleanup(func() {
		for _, c := range idle {
			c.Close()
		}
	})
	for range 1100 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(idle), err)
		}
		idle = append(idle, c)
	}

	// A slow body with a wrong secret: refused from the headers, then cut.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST /hook/telegram HTTP/1.1\r\nHost: bot\r\nX-Telegram-Bot-Api-Secret-Token: wrong\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	trickle := make(chan struct{})
	defer close(trickle)
	go func() {
		for {
			select {
			case <-trickle:
				return
			case <-time.After(500 * time.Millisecond):
				if _, err := slow.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()

	u := tgbotapi.Update{UpdateID: 7, Message: &tgbotapi.Message{MessageID: 7, Date: int(time.Now().Unix()), Text: "/help",
		From: &tgbotapi.User{ID: 42, FirstName: "An"}, Chat: &tgbotapi.Chat{ID: 42, Type: "private"},
		Entities: []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: 5}}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if code, err := telegramtest.PostWebhook(ctx, nil, "http://"+addr+"/hook/telegram", "tg_secret-1", u); code != 200 {
		t.Fatalf("a real update behind 1 100 idle connections: %d %v", code, err)
	}
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(to(all, 42)) >= 1 }, 5*time.Second)

	slow.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := io.ReadAll(bufio.NewReader(slow))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a slow body with a wrong secret was held for 15 s; read %q", resp)
	}
	if !strings.Contains(string(resp), "401") {
		t.Errorf("slow body with a wrong secret: got %q, want a 401", resp)
	}
}

// TestHostileFeedsMemory polls four 4.8 MB feeds of ~950 000 nested
// elements at once (each on its own host, so the per-host limit does not
// serialise them) in a child bot, and checks each gets a clear error and
// the bot's peak RSS stays under 200 MB.
func TestHostileFeedsMemory(t *testing.T) {
	hf := newHostileFeeds()
	var cfg strings.Builder
	db := filepath.Join(t.TempDir(), "hostile.db")
	fmt.Fprintf(&cfg, "database: %s\nzalo: {token: \"1:x\", api_url: http://127.0.0.1:9}\npoll: {schedule: \"@every 1s\", workers: 4, allow_private_addresses: true}\nsections: [{key: chinh-tri, name: \"Chính trị\"}]\nfeeds:\n", db)
	for i := range 4 {
		srv := httptest.NewUnstartedServer(hf)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 11+i))
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		srv.Listener = ln
		srv.Start()
		t.Cleanup(srv.Close)
		fmt.Fprintf(&cfg, "  - {url: %s/nested/%d.rss, section: chinh-tri}\n", srv.URL, i)
	}
	child := startChild(t, writeConfig(t, cfg.String()))
	waitFor(t, "an error on each of the four feeds", 60*time.Second, func() bool {
		s, err := storage.Open(context.Background(), db)
		if err != nil {
			return false
		}
		defer s.Close()
		fs, err := s.Feeds(context.Background())
		if err != nil || len(fs) != 4 {
			return false
		}
		for _, f := range fs {
			if !strings.Contains(f.LastError, "too complex") {
				return false
			}
		}
		return true
	})
	rss := peakRSS(t, child.cmd.Process.Pid)
	t.Logf("peak RSS with four nested feeds polled at once: %d MB", rss>>20)
	if rss > 200<<20 && !raceDetector {
		t.Errorf("peak RSS %d MB, want under 200 MB", rss>>20)
	}
}

// TestRefusedTokenStopsTheBot: a token the platform refuses is not retried
// for ever: the bot stops with exit 1 naming the key, and the shutdown of
// the other platform and the store is orderly.
func TestRefusedTokenStopsTheBot(t *testing.T) {
	tg := telegramtest.New(t)
	za := zalotest.New(t)
	tg.SetFault(func(method string, _ url.Values) *telegramtest.Fault {
		if method == "getMe" {
			return &telegramtest.Fault{Code: 401, Description: "Unauthorized"}
		}
		return nil
	})
	cfg := bothPlatforms(t, tg, za)
	code, logs := runFor(t, 15*time.Second, "-config", cfg)
	if code != 1 || !strings.Contains(logs, "check telegram.token") || strings.Contains(logs, "panic") {
		t.Fatalf("exit %d; logs:\n%s", code, logs)
	}
}

// bothPlatforms writes a config running tg and za with one section.
func bothPlatforms(t *testing.T, tg *telegramtest.Server, za *zalotest.Server) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
zalo: {token: %q, api_url: %s}
sections: [{key: chinh-tri, name: "Chính trị"}]
`, filepath.Join(t.TempDir(), "both.db"), tg.Token, tg.URL, za.Token, za.URL))
}
