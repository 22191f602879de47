package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// benchFullEnv set to 1 runs the benchmarks at the sizes (a store
// built once and kept in $TMPDIR/newsbot-bench); without it only the
// smallest size runs, cheaply enough for CI's -benchtime=1x.
const benchFullEnv = "NEWSBOT_BENCH_FULL"

// memSize is one size of BenchmarkMemory.
type memSize struct {
	feeds, articles, chats int
	items                  int           // items each feed serves (stored silently at its first poll)
	every                  time.Duration // the poll schedule
	hosts                  int           // loopback hosts the feeds are spread over
}

func memSizes() []memSize {
	sizes := []memSize{{feeds: 100, articles: 2_000, chats: 200, items: 5, every: time.Second, hosts: 4}}
	if os.Getenv(benchFullEnv) == "1" {
		// Issue 10's target: 5 000 feeds, 1 000 000 articles, 100 000 chats.
		sizes = append(sizes, memSize{feeds: 5_000, articles: 1_000_000, chats: 100_000, items: 5, every: 20 * time.Second, hosts: 25})
	}
	return sizes
}

// memSections is how many sections the memory store's feeds and chats use.
const memSections = 20

func memSection(i int) string { return fmt.Sprintf("muc-%02d", i%memSections) }

// BenchmarkMemory runs the bot (this test binary re-executed as the real
// program, as the crash and soak tests do) against a store of that many
// articles, feeds and chats, with every feed on a loopback feed server and
// the fake Bot API. The store also holds ten sent alerts per chat and one
// pending alert per chat, so the dispatcher works through a queue of that
// size while it runs. Setup: the feeds' first (silent) poll and one cycle
// of 304s. An op is one more poll cycle of every feed (all 304) and one
// /stats, /latest and /search answered. Reported: the bot's peak resident
// memory (VmHWM), its resident memory at the end, its largest Go heap in
// use (sampled each second), and its CPU seconds per op.
func BenchmarkMemory(b *testing.B) {
	for _, size := range memSizes() {
		b.Run(fmt.Sprintf("feeds=%d/articles=%d/chats=%d", size.feeds, size.articles, size.chats), func(b *testing.B) {
			benchMemory(b, size)
		})
	}
}

func benchMemory(b *testing.B, size memSize) {
	db := filepath.Join(b.TempDir(), "news.db")
	if err := copyDB(memoryStore(b, size), db); err != nil {
		b.Fatal(err)
	}
	srv := newMemFeeds(b, size)
	prepareMemoryRun(b, db, srv.urls, size)
	tg := telegramtest.New(b)

	var cfg strings.Builder
	fmt.Fprintf(&cfg, "database: %s\ntelegram: {token: %q, api_url: %s, admins: [%d]}\n", db, tg.Token, tg.URL, memAdmin)
	fmt.Fprintf(&cfg, "poll: {schedule: \"@every %s\", workers: 8, timeout: 10s, allow_private_addresses: true}\n", size.every)
	cfg.WriteString("sections:\n")
	for i := range memSections {
		fmt.Fprintf(&cfg, "  - {key: %s, name: \"Mục %d\"}\n", memSection(i), i)
	}
	cfg.WriteString("feeds:\n")
	for i, u := range srv.urls {
		fmt.Fprintf(&cfg, "  - {url: %s, section: %s}\n", u, memSection(i))
	}
	cfgPath := filepath.Join(b.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}

	logs := &syncBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childConfig+"="+cfgPath, childStats+"=1")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if b.Failed() {
			b.Logf("bot logs (last 4 KB):\n%s", tail(logs.String(), 4096))
		}
	}()
	setupLimit := 2 * time.Minute
	if size.articles >= 100_000 {
		setupLimit = 20 * time.Minute
	}
	start := time.Now()
	memWait(b, "every feed's first poll and one 304", setupLimit, exited, func() bool { return srv.minHits() >= 2 })
	b.Logf("setup: first poll and one cycle of %d feeds in %s", size.feeds, time.Since(start).Round(time.Second))

	cpu0 := procCPU(b, cmd.Process.Pid)
	b.ResetTimer()
	for b.Loop() {
		next := srv.minHits() + 1
		memWait(b, "a poll cycle", 3*size.every+time.Minute, exited, func() bool { return srv.minHits() >= next })
		memAsk(b, tg, exited, memAdmin, "/stats")
		memAsk(b, tg, exited, memReader, "/latest")
		memAsk(b, tg, exited, memReader, "/search kinh tế")
	}
	b.StopTimer()
	cpu := procCPU(b, cmd.Process.Pid) - cpu0
	peak, rss := procMemory(b, cmd.Process.Pid)
	heap, goroutines := 0, 0
	for _, m := range statsLine.FindAllStringSubmatch(logs.String(), -1) {
		g, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		goroutines, heap = max(goroutines, g), max(heap, h)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-rss-MB")
	b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
	b.ReportMetric(float64(heap)/(1<<20), "max-heap-MB")
	b.ReportMetric(float64(goroutines), "max-goroutines")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.Logf("alerts sent while measured: %d", len(tg.Sent()))
}

const (
	memAdmin  = 1  // the admin's private chat, asks /stats
	memReader = 42 // a person not in the store, asks /latest and /search
)

// memAsk sends text from chat and waits for the bot to answer it.
func memAsk(b *testing.B, tg *telegramtest.Server, exited <-chan error, chat int64, text string) {
	b.Helper()
	before := len(tg.SentTo(chat))
	tg.PushMessage(chat, chat, text)
	memWait(b, "the answer to "+text, time.Minute, exited, func() bool { return len(tg.SentTo(chat)) > before })
}

// memWait polls cond until it holds, failing after limit or when the bot
// exits.
func memWait(b *testing.B, what string, limit time.Duration, exited <-chan error, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		select {
		case err := <-exited:
			b.Fatalf("the bot exited (%v) while waiting for %s", err, what)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s waiting for %s", limit, what)
		}
	}
}

// memFeeds serves the benchmark's feeds from several loopback hosts (the
// scheduler polls at most two feeds of one host at once, as it would on
// the web): each answers 200 with an ETag the first time, then 304.
type memFeeds struct {
	urls []string
	hits []atomic.Int32
	body []string
}

func newMemFeeds(b *testing.B, size memSize) *memFeeds {
	b.Helper()
	f := &memFeeds{hits: make([]atomic.Int32, size.feeds), body: make([]string, size.feeds)}
	now := time.Now().UTC()
	for i := range size.feeds {
		var x strings.Builder
		fmt.Fprintf(&x, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo %d</title><link>https://bao%d.example.vn/</link>`, i, i)
		for k := range size.items {
			link := fmt.Sprintf("https://bao%d.example.vn/tin-moi-%d.html", i, k)
			fmt.Fprintf(&x, `<item><title>Tỉnh triển khai kế hoạch số %d về phát triển kinh tế năm 2026</title><link>%s</link><guid>%s</guid>`+
				`<description>(Dân trí) - Sáng nay, UBND tỉnh tổ chức hội nghị triển khai kế hoạch số %d. Theo báo cáo, tổng sản phẩm trên địa bàn tăng 7,5%% so với cùng kỳ.</description>`+
				`<pubDate>%s</pubDate></item>`, k, link, link, k, now.Add(-time.Duration(k)*time.Minute).Format(time.RFC1123Z))
		}
		x.WriteString(`</channel></rss>`)
		f.body[i] = x.String()
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/f/"), ".rss"))
		if err != nil || n < 0 || n >= len(f.body) {
			http.NotFound(w, r)
			return
		}
		f.hits[n].Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, f.body[n])
	})
	hosts := make([]string, size.hosts)
	for h := range hosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.1.%d:0", h+1))
		if err != nil {
			b.Fatalf("listen: %v", err)
		}
		srv := httptest.NewUnstartedServer(handler)
		srv.Listener = ln
		srv.Start()
		b.Cleanup(srv.Close)
		hosts[h] = srv.URL
	}
	for i := range size.feeds {
		f.urls = append(f.urls, fmt.Sprintf("%s/f/%d.rss", hosts[i%len(hosts)], i))
	}
	return f
}

// minHits is the fewest times any feed was fetched.
func (f *memFeeds) minHits() int {
	least := -1
	for i := range f.hits {
		if n := int(f.hits[i].Load()); least < 0 || n < least {
			least = n
		}
	}
	return least
}

// memoryStore returns the path of a store of size.articles articles over
// size.feeds feeds (each article with its feed item and search entry),
// size.chats chats subscribed to two sections each, and ten sent alerts
// per chat. It is built with bulk SQL the first time and, at the big
// size, kept in the temp folder under a name that changes with the schema.
func memoryStore(b *testing.B, size memSize) string {
	b.Helper()
	dir := b.TempDir()
	if size.articles >= 100_000 {
		dir = filepath.Join(os.TempDir(), "newsbot-bench")
	}
	path := filepath.Join(dir, fmt.Sprintf("memory-%d-%d-%d-%s.db", size.feeds, size.articles, size.chats, schemaTag(b)))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".building"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	ctx := context.Background()
	st, err := storage.Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	for i := range memSections {
		if err := st.UpsertSection(ctx, storage.Section{Key: memSection(i), Name: fmt.Sprintf("Mục %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+tmp+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	// A year of articles, newest now.
	now := time.Now().UnixMilli()
	step := int64(365*24*time.Hour/time.Millisecond) / int64(size.articles)
	base := now - step*int64(size.articles)
	seq := func(n int) string {
		return fmt.Sprintf("WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) ", n-1)
	}
	stmts := []string{
		seq(size.feeds) + fmt.Sprintf(`INSERT INTO feeds(id, url, section, title, origin, created_at, polled_at, last_success_at)
			SELECT i + 1, 'http://feed.invalid/' || i || '.rss', printf('muc-%%02d', i %% %[1]d), 'Báo ' || i, 'file', %[2]d, %[2]d, %[2]d FROM seq`, memSections, base),
		// Article i+1 comes from feed i %% feeds, in that feed's section.
		seq(size.articles) + fmt.Sprintf(`INSERT INTO articles(id, feed_id, canonical, link, title, summary, published_at, seen_at, section)
			SELECT i + 1, 1 + i %% %[1]d, 'https://bao.example.vn/' || i || '.html', 'https://bao.example.vn/' || i || '.html',
				'Tin số ' || i || ' về ' || (CASE i %% 6 WHEN 0 THEN 'giáo dục' WHEN 1 THEN 'kinh tế' WHEN 2 THEN 'thời sự' WHEN 3 THEN 'văn hóa' WHEN 4 THEN 'y tế' ELSE 'giao thông' END)
					|| ' tại ' || (CASE i / 6 %% 5 WHEN 0 THEN 'Hà Nội' WHEN 1 THEN 'Lào Cai' WHEN 2 THEN 'Đà Nẵng' WHEN 3 THEN 'Cần Thơ' ELSE 'TP.HCM' END),
				'Tóm tắt của tin số ' || i || ', đủ dài để giống một sapo của báo điện tử Việt Nam hôm nay, có số liệu và địa danh.',
				%[2]d + i * %[3]d, %[2]d + i * %[3]d, printf('muc-%%02d', (i %% %[1]d) %% %[4]d) FROM seq`, size.feeds, base, step, memSections),
		`INSERT INTO feed_items(feed_id, guid, article_id, seen_at, link_key, title_key)
			SELECT feed_id, link, id, seen_at, substr(link, 9), lower(title) FROM articles`,
		// Lower-cased text stands for both the exact and the folded
		// columns (SQL cannot fold accents): the index is as big as a real one.
		`INSERT INTO articles_fts(rowid, title, summary, body, title_f, summary_f, body_f)
			SELECT id, lower(title), lower(summary), '', lower(title), lower(summary), '' FROM articles`,
		seq(size.chats) + fmt.Sprintf(`INSERT INTO chats(platform, id, type, lang, created_at, updated_at)
			SELECT 'telegram', 1000000 + i, 'private', CASE WHEN i %% 10 = 0 THEN 'en' ELSE 'vi' END, %[1]d, %[1]d FROM seq`, base),
		seq(size.chats) + fmt.Sprintf(`INSERT INTO subscriptions(platform, chat_id, section, created_at)
			SELECT 'telegram', 1000000 + i, printf('muc-%%02d', i %% %[1]d), %[2]d FROM seq
			UNION ALL SELECT 'telegram', 1000000 + i, printf('muc-%%02d', (i + 7) %% %[1]d), %[2]d FROM seq`, memSections, base),
		// Ten sent alerts a chat: the ten newest articles.
		seq(10*size.chats) + fmt.Sprintf(`INSERT INTO deliveries(platform, chat_id, article_id, state, attempts, next_attempt_at, created_at, sent_at)
			SELECT 'telegram', 1000000 + i %% %[1]d, %[2]d - i / %[1]d, 'sent', 1, %[3]d, %[3]d, %[3]d FROM seq`, size.chats, size.articles, now),
	}
	for _, q := range stmts {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			b.Fatalf("build memory store: %v\n%s", err, strings.TrimSpace(q[:min(len(q), 300)]))
		}
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	raw.Close()
	st, err = storage.Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	b.Logf("built a store of %d articles, %d feeds, %d chats in %v: %s", size.articles, size.feeds, size.chats, time.Since(start).Round(time.Second), path)
	return path
}

// prepareMemoryRun points the copied store's feeds at this run's feed
// server, as never polled (their first poll is silent), and queues one
// alert for every chat, due now.
func prepareMemoryRun(b *testing.B, path string, urls []string, size memSize) {
	b.Helper()
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for i, u := range urls {
		if _, err := tx.ExecContext(ctx, `UPDATE feeds SET url = ?, polled_at = NULL, last_success_at = NULL, etag = '', last_modified = '', body_hash = '' WHERE id = ?`, u, i+1); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now().UnixMilli()
	// The article before the ten each chat was already sent.
	if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries(platform, chat_id, article_id, next_attempt_at, created_at)
		SELECT platform, id, ?, ?, ? FROM chats`, size.articles-10, now, now); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
}

// schemaTag names the schema the store was built with: the migrations'
// file names (a migration is never edited once merged).
func schemaTag(b *testing.B) string {
	b.Helper()
	names, err := filepath.Glob(filepath.Join("storage", "migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		b.Fatalf("migrations not found: %v", err)
	}
	sort.Strings(names)
	sum := sha1.Sum([]byte(strings.Join(names, "\n")))
	return hex.EncodeToString(sum[:4])
}

func copyDB(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// procMemory reads a process's peak and current resident set (VmHWM,
// VmRSS) from /proc, in bytes.
func procMemory(b *testing.B, pid int) (peak, rss int) {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	kb := func(rest string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		return n << 10
	}
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			peak = kb(rest)
		}
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			rss = kb(rest)
		}
	}
	if peak == 0 || rss == 0 {
		b.Fatal("read memory: no VmHWM or VmRSS in /proc status")
	}
	return peak, rss
}

// procCPU reads a process's user and system time from /proc (in clock
// ticks of 10 ms, the kernel's USER_HZ on Linux).
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("read CPU time: %v", err)
	}
	// The command name, in brackets, may hold spaces: fields count from
	// after its closing bracket (state is field 3; utime, stime 14, 15).
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 13 {
		b.Fatalf("read CPU time: short /proc stat %q", data)
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
