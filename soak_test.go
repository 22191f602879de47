package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// soakFor is how long TestSoak runs the bot under load. CI runs the short
// default; run it for minutes with: go test -run TestSoak -soak 5m .
var soakFor = flag.Duration("soak", 15*time.Second, "how long TestSoak keeps the bot under load")

// childStats, when set, makes the child bot print its goroutine count and
// heap every second, for the soak test to watch.
const childStats = "NEWSBOT_TEST_CHILD_STATS"

var statsLine = regexp.MustCompile(`soak-stats goroutines=(\d+) heap=(\d+)`)

// goodFeeds serves many well-behaved feeds (/good/N.rss) with ETags, and
// remembers which were fetched at least once.
type goodFeeds struct {
	mu     sync.Mutex
	items  map[int][]string // feed → rendered items, newest first
	hits   map[int]int
	titles map[int][]string // feed → titles added after its first poll
}

func (g *goodFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/good/"), ".rss"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	g.mu.Lock()
	items := append([]string(nil), g.items[n]...)
	g.hits[n]++
	g.mu.Unlock()
	etag := fmt.Sprintf(`"%d-%d"`, n, len(items))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Nguồn %d</title><link>https://good.example.vn/%d</link>%s</channel></rss>`,
		n, n, strings.Join(items, ""))
}

// hitCounts returns how often each feed was fetched.
func (g *goodFeeds) hitCounts() map[int]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[int]int, len(g.hits))
	for n, h := range g.hits {
		out[n] = h
	}
	return out
}

// add puts a new item on a feed already polled once (so it is not part of
// the silent first poll) and returns false when there is none yet.
func (g *goodFeeds) add(feeds int, seq int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	var polled []int
	for n := range feeds {
		if g.hits[n] > 0 {
			polled = append(polled, n)
		}
	}
	if len(polled) == 0 {
		return false
	}
	n := polled[rand.IntN(len(polled))]
	token := fmt.Sprintf("[g%d-i%d]", n, seq)
	item := fmt.Sprintf(`<item><title>Hội nghị giao ban %s</title><link>https://good.example.vn/%d/%d</link><guid>https://good.example.vn/%d/%d</guid><pubDate>%s</pubDate><description>Sáng nay, tỉnh tổ chức hội nghị giao ban công tác quý %d.</description></item>`,
		token, n, seq, n, seq, time.Now().UTC().Format(time.RFC1123Z), seq%4+1)
	g.items[n] = append([]string{item}, g.items[n]...)
	g.titles[n] = append(g.titles[n], token)
	return true
}

// hostileFeeds serves the kinds of feeds that broke the bot before: each
// path is one kind, and hits counts how often each was fetched.
type hostileFeeds struct {
	mu     sync.Mutex
	hits   map[string]int // by kind
	polls  map[string]int // by feed
	nested []byte         // a 4.8 MB document of ~950 000 nested elements
	bomb   []byte         // gzip of 64 MB of spaces
	flood  []byte         // 5 000 items, the same on every poll after the first
}

func newHostileFeeds() *hostileFeeds {
	h := &hostileFeeds{hits: map[string]int{}, polls: map[string]int{}}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>x</title><description>`)
	for b.Len() < 4_800_000 {
		b.WriteString("<a>")
	}
	h.nested = b.Bytes()

	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	zw.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>`))
	for range 64 {
		zw.Write(chunk)
	}
	zw.Close()
	h.bomb = z.Bytes()

	var f bytes.Buffer
	f.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Lũ tin</title>`)
	now := time.Now().UTC()
	for i := range 5000 {
		fmt.Fprintf(&f, `<item><title>Tin lũ số %d [flood-%d]</title><link>https://flood.example.vn/FEED/%d</link><pubDate>%s</pubDate></item>`,
			i, i, i, now.Add(-time.Duration(i)*time.Second).Format(time.RFC1123Z))
	}
	f.WriteString(`</channel></rss>`)
	h.flood = f.Bytes()
	return h
}

// flooded counts the flood feeds polled more than once (which flooded).
func (h *hostileFeeds) flooded() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for path, polls := range h.polls {
		if strings.HasPrefix(path, "/flood/") && polls > 1 {
			n++
		}
	}
	return n
}

// hostileKinds are the paths hostileFeeds serves.
var hostileKinds = []string{"nested", "retry503", "hang", "huge", "bomb", "malformed", "flood", "rotating", "loop", "trickle"}

func (h *hostileFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	h.mu.Lock()
	h.hits[kind]++
	h.polls[r.URL.Path]++
	polls := h.polls[r.URL.Path] // this feed's
	h.mu.Unlock()
	switch kind {
	case "nested":
		w.Write(h.nested)
	case "retry503":
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	case "hang":
		<-r.Context().Done()
	case "huge":
		chunk := bytes.Repeat([]byte("<x>"), 1<<16)
		for written := 0; written < 50<<20; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "bomb":
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(h.bomb)
	case "malformed":
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Hỏng</title><item><title>x</tit`))
	case "flood":
		// Quiet at the first (silent) poll, then 5 000 new items at once.
		if polls == 1 {
			w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Lũ tin</title></channel></rss>`))
			return
		}
		w.Write(bytes.ReplaceAll(h.flood, []byte("FEED"), []byte(strings.Trim(r.URL.Path, "/"))))
	case "rotating":
		// The same five stories under new GUIDs and tracking parameters on
		// every poll.
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Xoay vòng</title>`)
		for i := range 5 {
			fmt.Fprintf(&b, `<item><title>Bài xoay vòng số %d [rot-%d]</title><link>https://rot.example.vn/%d?utm_source=rss&amp;utm_campaign=p%d</link><guid isPermaLink="false">rot-%d-%d</guid><pubDate>%s</pubDate></item>`,
				i, i, i, polls, i, polls, time.Now().UTC().Add(-time.Hour).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		w.Write([]byte(b.String()))
	case "loop":
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	case "trickle":
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	default:
		http.NotFound(w, r)
	}
}

// TestSoak runs the bot (in a child process) against a few hundred local
// feeds, a third of them hostile, and a Bot API that injects 429s, 5xx and
// timeouts into alerts, while people send commands. It checks that every
// alert that can be delivered is delivered exactly once, that no command
// waits 3 s for its answer, that hostile feeds are not hammered, and that
// memory and goroutines stay flat.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped in -short mode")
	}
	const (
		good      = 200
		hostile   = 100 // ten of each kind
		readers   = 30  // subscribers, spread over the sections
		askers    = 10  // people sending commands, answered without faults
		adminChat = 1
	)
	sections := []string{"thoi-su", "kinh-te", "van-hoa", "the-thao"}

	tg := telegramtest.New(t)
	gf := &goodFeeds{items: map[int][]string{}, hits: map[int]int{}, titles: map[int][]string{}}
	goodSrv := httptest.NewServer(gf)
	t.Cleanup(goodSrv.Close)
	hf := newHostileFeeds()
	// Each kind on a loopback address of its own: its own host, as
	// hostile feeds would be on the web.
	hostileURL := map[string]string{}
	for i, kind := range hostileKinds {
		srv := httptest.NewUnstartedServer(hf)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 20+i))
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		srv.Listener = ln
		srv.Start()
		t.Cleanup(srv.Close)
		hostileURL[kind] = srv.URL
	}

	var cfg strings.Builder
	db := filepath.Join(t.TempDir(), "soak.db")
	fmt.Fprintf(&cfg, `database: %s
telegram: {token: %q, api_url: %s, admins: [%d]}
poll: {schedule: "@every 2s", workers: 8, timeout: 2s, allow_private_addresses: true}
delivery: {rate_per_second: 30, chat_interval: 50ms, group_interval: 50ms, workers: 4}
stories: {enabled: false} # the load's items differ by a token only: grouped, they would be one story
sections:
`, db, tg.Token, tg.URL, adminChat)
	for _, s := range append(sections, "hostile") {
		fmt.Fprintf(&cfg, "  - {key: %s, name: %q}\n", s, s)
	}
	cfg.WriteString("feeds:\n")
	for n := range good {
		fmt.Fprintf(&cfg, "  - {url: %s/good/%d.rss, section: %s}\n", goodSrv.URL, n, sections[n%len(sections)])
	}
	for n := range hostile {
		kind := hostileKinds[n%len(hostileKinds)]
		fmt.Fprintf(&cfg, "  - {url: %s/%s/%d.rss, section: hostile}\n", hostileURL[kind], kind, n)
	}
	t.Setenv(childStats, "1")
	child := startChild(t, writeConfig(t, cfg.String()))

	// Readers subscribe (each to one or two sections); a hostile-section
	// reader watches what the hostile feeds push.
	subs := map[int64][]string{}
	for i := range readers {
		chat := int64(1000 + i)
		keys := []string{sections[i%len(sections)]}
		if i%3 == 0 {
			keys = append(keys, sections[(i+1)%len(sections)])
		}
		subs[chat] = keys
		ask(t, tg, chat, "/subscribe "+strings.Join(keys, " "), "Đã đăng ký")
	}
	const hostileReader = 2000
	ask(t, tg, hostileReader, "/subscribe hostile", "Đã đăng ký")

	var faults struct {
		sync.Mutex
		r *rand.Rand
	}
	faults.r = rand.New(rand.NewPCG(1, 2))
	// From now on, alerts meet faults.
	tg.SetFault(func(method string, p url.Values) *telegramtest.Fault {
		if method != "sendMessage" && method != "sendPhoto" {
			return nil
		}
		chat, _ := strconv.ParseInt(p.Get("chat_id"), 10, 64)
		if chat < 1000 { // askers and the admin: their answers are timed
			return nil
		}
		faults.Lock()
		x := faults.r.Float64()
		faults.Unlock()
		switch {
		case x < 0.05:
			return &telegramtest.Fault{RetryAfter: 1}
		case x < 0.10:
			return &telegramtest.Fault{Code: 502, Description: "Bad Gateway"}
		case x < 0.12:
			return &telegramtest.Fault{Code: 500, Description: "Internal Server Error", Delay: 6 * time.Second} // the client times out first
		case x < 0.14:
			return &telegramtest.Fault{Drop: true}
		}
		return nil
	})

	// Load: new items on good feeds, commands from askers, for soakFor.
	ctx, stop := context.WithTimeout(context.Background(), *soakFor)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		seq := 0
		for ctx.Err() == nil {
			if gf.add(good, seq) {
				seq++
			}
			select {
			case <-ctx.Done():
			case <-time.After(150 * time.Millisecond):
			}
		}
	}()
	var latMu sync.Mutex
	var latencies []time.Duration
	commands := []string{"/latest", "/search hội nghị giao ban", "/help", "/mysubs", "/sections"}
	for a := range askers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := int64(10 + a)
			for i := 0; ctx.Err() == nil; i++ {
				before := len(tg.SentTo(chat))
				sent := time.Now()
				tg.PushMessage(chat, chat, commands[(i+a)%len(commands)])
				deadline := time.Now().Add(10 * time.Second)
				for len(tg.SentTo(chat)) <= before && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
				latMu.Lock()
				latencies = append(latencies, time.Since(sent))
				latMu.Unlock()
				// Within the budget of 20 commands a minute.
				time.Sleep(3500 * time.Millisecond)
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
	floodedBefore := hf.flooded()

	// Drain: every good feed polled once more after its last new item,
	// every flood the admin is owed told, and the outbox empty once the
	// faults stop.
	tg.SetFault(nil)
	hitsAtEnd := gf.hitCounts()
	waitFor(t, "a poll of every good feed after the load", 90*time.Second, func() bool {
		now := gf.hitCounts()
		for n, h := range hitsAtEnd {
			if now[n] <= h {
				return false
			}
		}
		return true
	})
	outbox, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer outbox.Close()
	waitFor(t, "an empty outbox and every flood told", 90*time.Second, func() bool {
		n, err := outbox.PendingCount(context.Background())
		if err != nil || n != 0 {
			return false
		}
		told := 0
		for _, m := range tg.SentTo(adminChat) {
			told += strings.Count(m.Text, "bài mới trong một lần lấy")
		}
		return told >= floodedBefore
	})

	// Every alert delivered exactly once to every subscriber of its section.
	sent := tg.Sent()
	byChat := map[int64]string{}
	for _, m := range sent {
		byChat[m.ChatID] += m.Text + "\n\x00"
	}
	gf.mu.Lock()
	checked, missing, doubled := 0, 0, 0
	for n, tokens := range gf.titles {
		section := sections[n%len(sections)]
		for chat, keys := range subs {
			if !contains(keys, section) {
				continue
			}
			for _, tok := range tokens {
				checked++
				switch c := strings.Count(byChat[chat], tok); {
				case c == 0:
					missing++
					if missing <= 5 {
						t.Errorf("chat %d never got %s", chat, tok)
					}
				case c > 1:
					doubled++
					if doubled <= 5 {
						t.Errorf("chat %d got %s %d times", chat, tok, c)
					}
				}
			}
		}
	}
	gf.mu.Unlock()
	t.Logf("%d alerts to check: %d missing, %d doubled; %d messages sent in all", checked, missing, doubled, len(sent))
	if checked == 0 {
		t.Fatal("no alert was produced: the load did not run")
	}

	// Hostile feeds: nothing from rotating GUIDs, at most max_new_per_poll
	// of the flood, and failing feeds not hammered.
	hostileText := byChat[hostileReader]
	if n := strings.Count(hostileText, "[rot-"); n != 0 {
		t.Errorf("the rotating-GUID feed alerted %d times", n)
	}
	if n := strings.Count(hostileText, "[flood-"); n > 50*hostile/len(hostileKinds) {
		t.Errorf("%d flood items were pushed, want at most 50 per flooding feed", n)
	}
	// Told once per flood: a flood feed floods at its second poll. (A
	// flood that began while draining may not have reached the admin yet.)
	if n, after := strings.Count(byChat[adminChat], "bài mới trong một lần lấy"), hf.flooded(); n < floodedBefore || n > after {
		t.Errorf("the admin was told of %d floods; %d to %d feeds flooded", n, floodedBefore, after)
	}
	hf.mu.Lock()
	hits := map[string]int{}
	for k, v := range hf.hits {
		hits[k] = v
	}
	hf.mu.Unlock()
	t.Logf("hostile fetches by kind: %v", hits)
	perFeed := hostile / len(hostileKinds)
	if n := hits["retry503"]; n > 2*perFeed {
		t.Errorf("feeds answering 503 with Retry-After: 3600 were fetched %d times (%d feeds)", n, perFeed)
	}
	for _, kind := range []string{"huge", "bomb", "nested"} {
		polls := int(soakFor.Seconds() / 2)
		if n := hits[kind]; n > perFeed*max(polls/3, 3) {
			t.Errorf("%s feeds were fetched %d times in %s (%d feeds): failures do not back off", kind, n, *soakFor, perFeed)
		}
	}

	// Answers within 3 s.
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if len(latencies) == 0 {
		t.Fatal("no command was timed")
	}
	p50, worst := latencies[len(latencies)/2], latencies[len(latencies)-1]
	t.Logf("%d commands: p50 %s, worst %s", len(latencies), p50.Round(time.Millisecond), worst.Round(time.Millisecond))
	if worst > 3*time.Second {
		t.Errorf("a command waited %s for its answer, want under 3 s", worst.Round(time.Millisecond))
	}

	// Memory and goroutines flat: the floor (least sample) of the last
	// third of the samples against that of the middle third. Queries and
	// sends in flight come and go by the hundred; a leak raises the floor.
	samples := statsLine.FindAllStringSubmatch(child.logs.String(), -1)
	if len(samples) < 9 {
		t.Fatalf("only %d stats samples from the child", len(samples))
	}
	floor := func(from, to, field int) int {
		least := -1
		for _, m := range samples[from:to] {
			if n, _ := strconv.Atoi(m[field]); least < 0 || n < least {
				least = n
			}
		}
		return least
	}
	third := len(samples) / 3
	g0, g1 := floor(third, 2*third, 1), floor(2*third, len(samples), 1)
	h0, h1 := floor(third, 2*third, 2), floor(2*third, len(samples), 2)
	t.Logf("least goroutines %d → %d, heap %d MB → %d MB over %d samples", g0, g1, h0>>20, h1>>20, len(samples))
	if g1 > g0+g0/2+20 {
		t.Errorf("goroutines grew from %d to %d", g0, g1)
	}
	if h1 > 2*h0+32<<20 {
		t.Errorf("heap grew from %d MB to %d MB", h0>>20, h1>>20)
	}
	if rss := peakRSS(t, child.cmd.Process.Pid); rss > 200<<20 && !raceDetector {
		t.Errorf("peak RSS %d MB, want under 200 MB", rss>>20)
	} else {
		t.Logf("peak RSS %d MB", rss>>20)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// waitFor is waitUntil with a deadline of one's own.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// peakRSS reads a process's peak resident set (VmHWM) from /proc.
func peakRSS(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("peak RSS: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb << 10
		}
	}
	t.Fatal("peak RSS: no VmHWM in /proc status")
	return 0
}
