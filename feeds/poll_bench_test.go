package feeds

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// The poll benchmarks run the feed server in a child process (this test
// binary, re-executed with benchServerEnv set), so that the CPU time they
// report is the poller's and the store's alone, as it is for a bot polling
// real servers.
const benchServerEnv = "NEWSBOT_BENCH_FEEDSERVER"

// benchFullEnv set to 1 runs the benchmarks at every size; without it
// only the smallest run, cheaply enough for CI (-benchtime=1x).
const benchFullEnv = "NEWSBOT_BENCH_FULL"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		serveBenchFeeds()
		return
	}
	os.Exit(m.Run())
}

// benchItems is how many items each benchmark feed carries.
const benchItems = 20

// serveBenchFeeds serves benchmark feeds on loopback, prints its address,
// and serves until its stdin closes. Paths: /304/<run>/<i>.rss answers 304
// to its ETag; /200/<run>/<i>.rss answers 200 with the same body and no
// validators; /new/<run>/<i>.rss carries one more item at every request.
// /conns answers how many connections it has accepted.
func serveBenchFeeds() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var conns atomic.Int64
	var mu sync.Mutex
	counts := map[string]int{}
	bodies := map[string]string{}
	srv := &http.Server{
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/conns" {
				fmt.Fprint(w, conns.Load())
				return
			}
			parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
			if len(parts) != 3 {
				http.NotFound(w, r)
				return
			}
			mode, feed := parts[0], strings.TrimSuffix(parts[2], ".rss")
			mu.Lock()
			n := counts[r.URL.Path]
			if mode == "new" || n == 0 {
				n++
				counts[r.URL.Path] = n
				bodies[r.URL.Path] = benchFeedXML(feed, n)
			}
			body := bodies[r.URL.Path]
			mu.Unlock()
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			switch mode {
			case "304":
				if r.Header.Get("If-None-Match") == `"v1"` {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				w.Header().Set("ETag", `"v1"`)
			case "new":
				w.Header().Set("ETag", `"v`+strconv.Itoa(n)+`"`)
			}
			io.WriteString(w, body)
		}),
	}
	fmt.Println(ln.Addr().String())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	srv.Serve(ln)
}

// benchFeedXML is a feed of benchItems items shaped like a Vietnamese
// outlet's, the newest being number last.
func benchFeedXML(feed string, last int) string {
	var b strings.Builder
	base := time.Date(2026, 8, 1, 7, 0, 0, 0, time.UTC)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo %s</title><link>https://bao.example/</link>`, feed)
	for k := last + benchItems - 1; k >= last; k-- {
		link := fmt.Sprintf("https://bao.example/%s/tin-%d.html", feed, k)
		fmt.Fprintf(&b, `<item><title>Tỉnh triển khai kế hoạch số %d về phát triển kinh tế - xã hội năm 2026</title><link>%s</link><guid>%s</guid>`+
			`<description><![CDATA[<a href="%s"><img src="https://bao.example/anh/%d.jpg" width="180"></a>(Dân trí) - Sáng 1/8, UBND tỉnh tổ chức hội nghị triển khai kế hoạch số %d. `+
			`Theo báo cáo, 6 tháng đầu năm tổng sản phẩm trên địa bàn tăng 7,5%% so với cùng kỳ; thu ngân sách đạt 1.400 tỷ đồng. `+
			`Chủ tịch UBND tỉnh yêu cầu các sở, ngành tập trung tháo gỡ khó khăn cho doanh nghiệp.<br/><div style="clear: both;"><ul><li><a href="/lien-quan">Tin liên quan</a></li></ul></div>]]></description>`+
			`<pubDate>%s</pubDate></item>`, k, link, link, link, k, k, base.Add(time.Duration(k)*time.Minute).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

var (
	benchServerOnce sync.Once
	benchServerAddr string
	benchServerErr  error
	// benchServerStdin is the child's stdin; when the binary ends it
	// closes, and the child exits.
	benchServerStdin io.WriteCloser
)

// benchServer starts the child feed server once per test binary; it ends
// with the binary (its stdin closes).
func benchServer(b *testing.B) string {
	b.Helper()
	benchServerOnce.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), benchServerEnv+"=1")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			benchServerErr = err
			return
		}
		benchServerStdin = stdin // held open for the life of the binary
		out, err := cmd.StdoutPipe()
		if err != nil {
			benchServerErr = err
			return
		}
		if err := cmd.Start(); err != nil {
			benchServerErr = err
			return
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			benchServerErr = fmt.Errorf("feed server: %w", err)
			return
		}
		benchServerAddr = strings.TrimSpace(line)
	})
	if benchServerErr != nil {
		b.Fatal(benchServerErr)
	}
	return benchServerAddr
}

// serverConns asks the feed server how many connections it has accepted,
// over a connection of its own (counted too).
func serverConns(b *testing.B, addr string) int64 {
	b.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + addr + "/conns")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n, err := strconv.ParseInt(string(body), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchSizes(small []int, full []int) []int {
	if os.Getenv(benchFullEnv) == "1" {
		return full
	}
	return small
}

var benchRun atomic.Int64

// benchProfileEnv names a folder: each poll benchmark then writes a CPU
// profile of its measured cycles alone (not of the setup's first polls,
// which -cpuprofile would include) to <folder>/<benchmark>.prof.
const benchProfileEnv = "NEWSBOT_BENCH_PROFILE"

func profileCycles(b *testing.B) (stop func()) {
	dir := os.Getenv(benchProfileEnv)
	if dir == "" {
		return func() {}
	}
	name := strings.NewReplacer("/", "_", "=", "").Replace(b.Name())
	f, err := os.Create(filepath.Join(dir, name+".prof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// BenchmarkPoll polls N feeds once per op, as the scheduler does (4
// workers, each reading the feed and polling it), with the unchanged
// polls' bookkeeping flushed at the end of the cycle. Modes: every feed
// answers 304; every feed answers 200 with the same body as last time;
// every feed has one new item. Reported: CPU seconds of this process per
// cycle (the feed server runs in a child), and connections the server
// accepted per cycle.
func BenchmarkPoll(b *testing.B) {
	for _, n := range benchSizes([]int{100}, []int{100, 1000, 5000}) {
		for _, mode := range []string{"304", "200", "new"} {
			b.Run(fmt.Sprintf("feeds=%d/%s", n, mode), func(b *testing.B) { benchPoll(b, n, mode) })
		}
	}
}

func benchPoll(b *testing.B, n int, mode string) {
	ctx := context.Background()
	addr := benchServer(b)
	st, err := storage.Open(ctx, filepath.Join(b.TempDir(), "news.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.UpsertSection(ctx, storage.Section{Key: section, Name: "Thời sự"}); err != nil {
		b.Fatal(err)
	}
	chat := storage.ChatRef{Platform: "telegram", ID: "42"}
	if err := st.TouchChat(ctx, storage.Chat{ChatRef: chat}); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Subscribe(ctx, chat, []string{section}); err != nil {
		b.Fatal(err)
	}
	run := benchRun.Add(1)
	ids := make([]int64, n)
	for i := range ids {
		f, err := st.AddFeed(ctx, fmt.Sprintf("http://%s/%s/%d-%d/%d.rss", addr, mode, os.Getpid(), run, i), section, "")
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = f.ID
	}
	p := &Poller{
		Store:   st,
		Fetcher: NewFetcher(FetcherOptions{AllowPrivate: true}),
		Log:     slog.New(slog.DiscardHandler),
	}
	var failed atomic.Int64
	cycle := func() {
		work := make(chan int64)
		var wg sync.WaitGroup
		for range DefaultWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range work {
					feed, err := st.FeedToPoll(ctx, id)
					if err == nil {
						_, err = p.Poll(ctx, feed)
					}
					if err != nil {
						failed.Add(1)
						b.Error(err)
					}
				}
			}()
		}
		for _, id := range ids {
			work <- id
		}
		close(work)
		wg.Wait()
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cycle() // the first poll stores every item, silently
	cycle() // the first 304 / same body / new item
	conns := serverConns(b, addr)
	stopProfile := profileCycles(b)
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		cycle()
	}
	b.StopTimer()
	cpu = cpuTime() - cpu
	stopProfile()
	conns = serverConns(b, addr) - conns - 1 // the count's own connection
	if failed.Load() > 0 {
		b.Fatalf("%d polls failed", failed.Load())
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/cycle")
	b.ReportMetric(float64(conns)/float64(b.N), "conns/cycle")
}

// BenchmarkFeedChangeToOutbox measures the time from asking for a poll of
// a feed that has one new item (Scheduler.PollNow, what a cron tick does)
// to the commit of its delivery row in the outbox, through the real
// scheduler, fetcher, parser and store. What follows (the dispatcher and a
// platform) is measured by the dispatcher's benchmarks.
func BenchmarkFeedChangeToOutbox(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := benchServer(b)
	st, err := storage.Open(ctx, filepath.Join(b.TempDir(), "news.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.UpsertSection(ctx, storage.Section{Key: section, Name: "Thời sự"}); err != nil {
		b.Fatal(err)
	}
	chat := storage.ChatRef{Platform: "telegram", ID: "42"}
	if err := st.TouchChat(ctx, storage.Chat{ChatRef: chat}); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Subscribe(ctx, chat, []string{section}); err != nil {
		b.Fatal(err)
	}
	feed, err := st.AddFeed(ctx, fmt.Sprintf("http://%s/new/%d-%d/0.rss", addr, os.Getpid(), benchRun.Add(1)), section, "@every 24h")
	if err != nil {
		b.Fatal(err)
	}
	p := &Poller{
		Store:   st,
		Fetcher: NewFetcher(FetcherOptions{AllowPrivate: true}),
		Log:     slog.New(slog.DiscardHandler),
	}
	s := NewScheduler(p, SchedulerOptions{Log: slog.New(slog.DiscardHandler)})
	saved := make(chan storage.SaveResult, 1)
	s.OnSaved(func(res storage.SaveResult) { saved <- res })
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	if res := <-saved; !res.First { // the start's silent first poll
		b.Fatalf("first poll = %+v", res)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := s.PollNow(ctx, feed.ID); err != nil {
			b.Fatal(err)
		}
		if res := <-saved; res.Enqueued != 1 {
			b.Fatalf("poll = %+v, want one delivery", res)
		}
	}
}
