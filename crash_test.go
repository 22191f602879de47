package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// childConfig, when set, makes the test binary run the bot with that config
// instead of the tests: the crash test kills and restarts real processes.
const childConfig = "NEWSBOT_TEST_CHILD_CONFIG"

// childNoFile, when set, is the child's limit on open file descriptors.
const childNoFile = "NEWSBOT_TEST_CHILD_NOFILE"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childConfig); cfg != "" {
		if n, err := strconv.ParseUint(os.Getenv(childNoFile), 10, 64); err == nil {
			lim := syscall.Rlimit{Cur: n, Max: n}
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				fmt.Fprintln(os.Stderr, "set the descriptor limit:", err)
				os.Exit(3)
			}
		}
		if os.Getenv(childStats) != "" {
			go func() {
				for range time.Tick(time.Second) {
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					fmt.Fprintf(os.Stderr, "soak-stats goroutines=%d heap=%d\n", runtime.NumGoroutine(), ms.HeapInuse)
				}
			}()
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, []string{"-config", cfg}, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child is the bot running in another process.
type child struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

func startChild(t *testing.T, cfg string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$"), logs: &syncBuffer{}, done: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), childConfig+"="+cfg)
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
		c.done <- nil
		if t.Failed() {
			t.Logf("child logs:\n%s", c.logs.String())
		}
	})
	return c
}

// seedFanOut prepares a database in which one new article waits for chats
// subscribers: the state right after a poll found it.
func seedFanOut(t *testing.T, db, feedURL string, chats int) {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.UpsertSection(ctx, storage.Section{Key: "chinh-tri", Name: "Chính trị"}); err != nil {
		t.Fatal(err)
	}
	feed, err := s.AddFeed(ctx, feedURL, "chinh-tri", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range chats {
		ref := storage.ChatRef{Platform: "telegram", ID: strconv.Itoa(10000 + i)}
		if err := s.TouchChat(ctx, storage.Chat{ChatRef: ref, Type: "private"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, ref, []string{"chinh-tri"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveItems(ctx, feed.ID, nil, storage.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	link := "https://baolaocai.vn/hoi-nghi-khoa-giao"
	res, err := s.SaveItems(ctx, feed.ID, []storage.Item{{GUID: link, Link: link, Canonical: link,
		Title: "Hội nghị giao ban công tác khoa giáo", Published: time.Now()}}, storage.SaveOptions{})
	if err != nil || res.Enqueued != chats {
		t.Fatalf("seeded %d deliveries (%v), want %d", res.Enqueued, err, chats)
	}
}

// TestCrashDuringFanOut kills the bot with SIGKILL in the middle of a
// fan-out to 300 chats, restarts it, and checks that every chat got the
// alert exactly once, but for the sends in flight at the kill: at most one
// per delivery worker, which is what the design promises.
func TestCrashDuringFanOut(t *testing.T) {
	const chats, workers = 300, 4
	tg := telegramtest.New(t)
	feed := newFeedServer(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "newsbot.db")
	seedFanOut(t, db, feed.URL+"/home.rss", chats)
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
poll: {schedule: "@every 1h", allow_private_addresses: true}
delivery: {rate_per_second: 200, chat_interval: 1ms, workers: %d}
sections: [{key: chinh-tri, name: "Chính trị"}]
feeds: [{url: %s/home.rss, section: chinh-tri}]
`, db, tg.Token, tg.URL, workers, feed.URL))

	first := startChild(t, cfg)
	var once sync.Once
	sends := 0
	tg.SetFault(func(method string, _ url.Values) *telegramtest.Fault {
		if method == "sendMessage" {
			sends++
			if sends == chats/3 {
				// The platform has this message; the bot dies before it hears so.
				once.Do(func() { first.cmd.Process.Signal(syscall.SIGKILL) })
			}
		}
		return nil
	})
	select {
	case <-first.done:
		first.done <- nil
	case <-time.After(30 * time.Second):
		t.Fatal("the bot was not killed part-way through the fan-out")
	}
	tg.SetFault(nil)
	if got := len(tg.Sent()); got < chats/3 || got >= chats {
		t.Fatalf("%d alerts were out at the kill; want a fan-out part-way", got)
	}

	second := startChild(t, cfg)
	tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		seen := map[int64]bool{}
		for _, s := range all {
			seen[s.ChatID] = true
		}
		return len(seen) == chats
	}, 60*time.Second)
	// Let the restarted bot settle: its outbox empty, nothing more to send.
	emptyOutbox(t, db)
	copies := map[int64]int{}
	for _, s := range tg.Sent() {
		copies[s.ChatID]++
	}
	twice := 0
	for id, n := range copies {
		switch {
		case n == 2:
			twice++
		case n > 2:
			t.Errorf("chat %d got the alert %d times", id, n)
		}
	}
	t.Logf("%d chats, %d got a repeat", len(copies), twice)
	if len(copies) != chats || twice > workers {
		t.Fatalf("%d of %d chats got the alert, %d of them twice; want all, at most %d (one per worker) twice", len(copies), chats, twice, workers)
	}

	// SIGTERM: a graceful stop, exit 0 within 10 s.
	second.stop(t)
}

// stop stops the child gracefully (SIGTERM) and fails the test unless it
// exits cleanly within 10 s.
func (c *child) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		c.done <- nil
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10 s of SIGTERM")
	}
}

// emptyOutbox waits until the database has no pending delivery.
func emptyOutbox(t *testing.T, db string) {
	t.Helper()
	waitUntil(t, "an empty outbox", func() bool {
		s, err := storage.Open(context.Background(), db)
		if err != nil {
			return false
		}
		defer s.Close()
		n, err := s.PendingCount(context.Background())
		return err == nil && n == 0
	})
}
