package bot_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram"
	"github.com/newsbot-vn/newsbot/storage"
)

// The paced benchmark runs its Bot API in a child process (this test
// binary, re-executed with benchBotAPIEnv set), so that the CPU time it
// reports is the dispatcher's, the adapter's and the store's alone, as it
// is for a bot talking to Telegram; the child's own CPU is reported apart.
const benchBotAPIEnv = "NEWSBOT_BENCH_BOTAPI"

// benchFullEnv set to 1 runs the benchmarks at every size; without it only
// the smallest runs, at a high rate, cheaply enough for CI.
const benchFullEnv = "NEWSBOT_BENCH_FULL"

// benchRateEnv overrides the paced benchmark's rate (messages a second).
const benchRateEnv = "NEWSBOT_BENCH_RATE"

func TestMain(m *testing.M) {
	if os.Getenv(benchBotAPIEnv) == "1" {
		serveBenchBotAPI()
		return
	}
	os.Exit(m.Run())
}

// benchAPIStats is what the child Bot API reports: its CPU time so far and
// when each send arrived since the last reset (Unix nanoseconds).
type benchAPIStats struct {
	CPU   time.Duration `json:"cpu"`
	Times []int64       `json:"times"`
}

// serveBenchBotAPI answers getMe, sendMessage and sendPhoto as briefly as
// the real client accepts, timing each send's arrival; /reset forgets the
// times and /stats returns them. It prints its address and serves until
// its stdin closes.
func serveBenchBotAPI() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var times []int64
	var id int
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now().UnixNano()
		switch {
		case r.URL.Path == "/reset":
			mu.Lock()
			times = times[:0]
			mu.Unlock()
			return
		case r.URL.Path == "/stats":
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			mu.Lock()
			defer mu.Unlock()
			json.NewEncoder(w).Encode(benchAPIStats{CPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), Times: times})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/getMe") {
			io.WriteString(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Bench","username":"bench_bot"}}`)
			return
		}
		r.ParseForm()
		mu.Lock()
		times = append(times, at)
		id++
		n := id
		mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":0,"chat":{"id":%s,"type":"private"},"text":"ok"}}`, n, r.Form.Get("chat_id"))
	})}
	fmt.Println(ln.Addr().String())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	srv.Serve(ln)
}

var (
	benchAPIOnce  sync.Once
	benchAPIAddr  string
	benchAPIErr   error
	benchAPIStdin io.WriteCloser // held open for the life of the binary: the child exits when it closes
)

// benchBotAPI starts the child Bot API once per test binary.
func benchBotAPI(b *testing.B) string {
	b.Helper()
	benchAPIOnce.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), benchBotAPIEnv+"=1")
		cmd.Stderr = os.Stderr
		if benchAPIStdin, benchAPIErr = cmd.StdinPipe(); benchAPIErr != nil {
			return
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			benchAPIErr = err
			return
		}
		if benchAPIErr = cmd.Start(); benchAPIErr != nil {
			return
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			benchAPIErr = fmt.Errorf("bench Bot API: %w", err)
			return
		}
		benchAPIAddr = "http://" + strings.TrimSpace(line)
	})
	if benchAPIErr != nil {
		b.Fatal(benchAPIErr)
	}
	return benchAPIAddr
}

func benchAPI(b *testing.B, base, path string) benchAPIStats {
	b.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var st benchAPIStats
	if path == "/stats" {
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// windowsOver counts the sends (sorted times) that open a one-second window
// holding more than rate sends, and returns the most any window held.
func windowsOver(times []int64, rate int) (over, most int) {
	j := 0
	for i := range times {
		for j < len(times) && times[j]-times[i] < int64(time.Second) {
			j++
		}
		n := j - i
		most = max(most, n)
		if n > rate {
			over++
		}
	}
	return over, most
}

// BenchmarkDispatcherPaced fans one article out to N chats at a configured
// rate through the real dispatcher, the real Telegram adapter and a real
// SQLite outbox, against a minimal Bot API in a child process. It reports
// the CPU time of this process per 1 000 messages (the dispatcher, adapter
// and store; the fake's own CPU is reported apart as api-cpu-s/1k), the
// rate achieved at the fake (sends after the first over the time from the
// first arrival to the last) over the rate configured, and how many
// one-second windows, sliding over the fake's arrival times, held more than
// the rate.
//
// Short form (CI): 1 000 chats at 1 000/s. Full (NEWSBOT_BENCH_FULL=1):
// 1 000 chats at 30/s (Telegram's rate: 33 s a fan-out), 10 000 and
// 100 000 at 1 000/s (a paid broadcast's: 10 s and 100 s).
// NEWSBOT_BENCH_RATE sets the rate of every size (10 000 at 30/s takes
// 5.6 min a fan-out). The chats are set up once per run; each of b.N
// fan-outs sends them a new article.
func BenchmarkDispatcherPaced(b *testing.B) {
	type size struct{ chats, rate int }
	sizes := []size{{1000, 1000}}
	if os.Getenv(benchFullEnv) == "1" {
		sizes = []size{{1000, 30}, {10000, 1000}, {100000, 1000}}
	}
	if r, err := strconv.Atoi(os.Getenv(benchRateEnv)); err == nil && r > 0 {
		for i := range sizes {
			sizes[i].rate = r
		}
	}
	for _, sz := range sizes {
		b.Run(fmt.Sprintf("chats=%d/rate=%d", sz.chats, sz.rate), func(b *testing.B) {
			benchPaced(b, sz.chats, sz.rate)
		})
	}
}

func benchPaced(b *testing.B, chats, rate int) {
	ctx := context.Background()
	api := benchBotAPI(b)
	tga, err := telegram.New(ctx, telegram.Options{Token: "1:bench", APIURL: api})
	if err != nil {
		b.Fatal(err)
	}
	var cpu, apiCPU, span time.Duration
	var sends, over, most int
	b.StopTimer()
	store, feed := benchOutbox(b, chats)
	defer store.Close()
	for i := range b.N {
		b.StopTimer()
		benchAPI(b, api, "/reset")
		apiBefore := benchAPI(b, api, "/stats").CPU
		var mu sync.Mutex
		sent := 0
		allSent := make(chan struct{})
		d := bot.NewDispatcher(bot.DispatcherOptions{Store: store, Platforms: map[string]bot.Platform{"telegram": tga},
			RatePerSecond: float64(rate), ChatInterval: time.Second, GroupInterval: 3 * time.Second, Workers: 4,
			Observe: func(ev bot.SendEvent) {
				if ev.Outcome != bot.SendSent {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if sent++; sent == chats {
					close(allSent)
				}
			}})
		benchArticle(b, store, feed, i)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		before := cpuTime()
		b.StartTimer()
		go func() { d.Run(runCtx); close(done) }()
		<-allSent
		// The last sends' marks follow their Observe.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			n, err := store.PendingCount(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d deliveries still pending", n)
			}
		}
		b.StopTimer()
		cpu += cpuTime() - before
		cancel()
		<-done
		st := benchAPI(b, api, "/stats")
		apiCPU += st.CPU - apiBefore
		times := st.Times
		slices.Sort(times)
		if len(times) != chats {
			b.Fatalf("the Bot API got %d sends, want %d", len(times), chats)
		}
		sends += len(times)
		span += time.Duration(times[len(times)-1] - times[0])
		o, m := windowsOver(times, rate)
		over += o
		most = max(most, m)
	}
	per1k := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(sends) }
	b.ReportMetric(per1k(cpu), "cpu-s/1k")
	b.ReportMetric(per1k(apiCPU), "api-cpu-s/1k")
	b.ReportMetric(float64(sends-b.N)/span.Seconds()/float64(rate), "rate-ratio")
	b.ReportMetric(float64(over), "windows-over")
	b.ReportMetric(float64(most), "max-per-s")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchOutbox is a store with n private chats subscribed to one section,
// and the feed that will carry the article.
func benchOutbox(b *testing.B, n int) (*storage.Store, storage.Feed) {
	b.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(b.TempDir(), "paced.db"))
	if err != nil {
		b.Fatal(err)
	}
	if err := store.UpsertSection(ctx, storage.Section{Key: "x", Name: "X"}); err != nil {
		b.Fatal(err)
	}
	feed, err := store.AddFeed(ctx, "https://x.vn/rss", "x", "")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.SaveItems(ctx, feed.ID, nil, storage.SaveOptions{}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		ref := storage.ChatRef{Platform: "telegram", ID: strconv.Itoa(100000 + i)}
		if err := store.TouchChat(ctx, storage.Chat{ChatRef: ref, Type: "private"}); err != nil {
			b.Fatal(err)
		}
		if _, err := store.Subscribe(ctx, ref, []string{"x"}); err != nil {
			b.Fatal(err)
		}
	}
	return store, feed
}

// benchArticle stores the nth new article for every chat of benchOutbox.
func benchArticle(b *testing.B, store *storage.Store, feed storage.Feed, n int) {
	b.Helper()
	link := fmt.Sprintf("https://x.vn/a%d", n)
	if _, err := store.SaveItems(context.Background(), feed.ID, []storage.Item{{GUID: link, Link: link, Canonical: link, Title: "Tin <mới> & nóng",
		Summary: strings.Repeat("Tóm tắt bài báo. ", 15), Published: time.Now()}}, storage.SaveOptions{}); err != nil {
		b.Fatal(err)
	}
}
