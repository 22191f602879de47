package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsbot-vn/newsbot/storage"
)

// -check names each problem's key and its fix; the texts are a contract
// for people reading them, so they are checked word for word.
func TestCheckTextsVerbatim(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		code   int
		stdout string // every line, in order
		stderr string // the problems, after the heading line
	}{
		{"int", "database: x.db\npoll:\n  workers: four\n", 1, "",
			`  poll.workers (line 3): "four" is not a whole number; write digits, e.g. 4`},
		{"duration in days", "poll: {max_age: 2d}\n", 1, "",
			`  poll.max_age (line 1): "2d" is not a duration; use 48h`},
		{"duration", "delivery:\n  max_age: soon\n", 1, "",
			`  delivery.max_age (line 2): "soon" is not a duration; use a number with a unit: 30s, 5m, 2h or 48h`},
		{"bool", "poll:\n  allow_private_addresses: maybe\n", 1, "",
			`  poll.allow_private_addresses (line 2): "maybe" is not true or false`},
		{"unknown key", "databse: x.db\n", 1, "",
			`  databse (line 1): unknown key "databse"; did you mean "database"?`},
		{"unknown nested key", "poll:\n  shedule: \"@every 1m\"\n", 1, "",
			`  poll.shedule (line 2): unknown key "shedule"; did you mean "poll.schedule"?`},
		{"unknown key, nothing near", "weather: sunny\n", 1, "",
			`  weather (line 1): unknown key "weather"`},
		{"telegram token", "telegram: {token: \"AAH-not-a-token\"}\n", 1, "",
			`  telegram.token: is not a bot token: @BotFather gives digits:secret, e.g. 123456789:AAH…`},
		{"zalo token", "zalo: {token: \"just-a-secret\"}\n", 1, "",
			`  zalo.token: is not a bot token: Zalo Bot Manager gives bot_id:secret, e.g. 1234567890:AbC…`},
		{"same webhook path", `telegram: {token: "123:abc", webhook: {url: "https://a.example/hook", secret: "s1"}}
zalo: {token: "456:def", webhook: {url: "https://b.example/hook", secret: "secret-22"}}
http: {listen: "127.0.0.1:0"}
`, 1, "",
			`  zalo.webhook.url: path "/hook" is also telegram.webhook.url's; give each webhook its own path, e.g. /hook/telegram and /hook/zalo`},
		{"log", "log: {level: loud, format: xml}\n", 1, "",
			"  log.level: \"loud\" must be debug, info, warn or error\n  log.format: \"xml\" must be text or json"},
		{"warnings", `database: /tmp/x.db
poll: {schedule: "@every 30s"}
sections: [{key: a, name: A}]
feeds:
  - {url: "https://news.example/rss", section: a}
  - {url: "http://127.0.0.1:8080/rss", section: a, schedule: "@every 10s"}
`, 0, `warning: poll.schedule: "@every 30s" polls news.example more often than once a minute; a public news site may block the bot: use @every 1m or more
warning: feeds[1].url: 127.0.0.1 is a loopback or private address, which the bot refuses while poll.allow_private_addresses is false: set it to true, or use a public address
config ok: 1 sections, 2 feeds, database /tmp/x.db, telegram off (no token), zalo off (no token)`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TELEGRAM_BOT_TOKEN", "")
			t.Setenv("ZALO_BOT_TOKEN", "")
			path := writeConfig(t, tc.body)
			var stdout, stderr syncBuffer
			code := run(context.Background(), []string{"-config", path, "-check"}, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			if got := strings.TrimRight(stdout.String(), "\n"); got != tc.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tc.stdout)
			}
			if tc.stderr == "" {
				if stderr.String() != "" {
					t.Errorf("stderr: %q", stderr.String())
				}
				return
			}
			n := strings.Count(tc.stderr, "\n") + 1
			want := fmt.Sprintf("config: %s has %d problem(s):\n%s", path, n, tc.stderr)
			if got := strings.TrimRight(stderr.String(), "\n"); got != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// Without a configuration file the bot says how to make one.
func TestMissingConfigHint(t *testing.T) {
	var out syncBuffer
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if code := run(context.Background(), []string{"-config", path}, strings.NewReader(""), &out, &out); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	want := fmt.Sprintf("config: open %s: no such file or directory\n  start from the example: cp config.example.yaml %s (or name another file with -config FILE)\n", path, path)
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// consoleRun runs the bot in console mode over input and returns what it
// printed and logged.
func consoleRun(t *testing.T, cfg, input string, args ...string) (string, string) {
	t.Helper()
	var out, logs syncBuffer
	code := run(context.Background(), append([]string{"-config", cfg, "-console"}, args...), strings.NewReader(input), &out, &logs)
	if code != 0 {
		t.Fatalf("exit %d; logs:\n%s", code, logs.String())
	}
	return out.String(), logs.String()
}

// consoleSession is the bot in console mode, fed line by line.
type consoleSession struct {
	t         *testing.T
	in        *io.PipeWriter
	out, logs syncBuffer
	done      chan int
}

func newConsoleSession(t *testing.T, cfg string, args ...string) *consoleSession {
	t.Helper()
	r, w := io.Pipe()
	s := &consoleSession{t: t, in: w, done: make(chan int, 1)}
	go func() {
		s.done <- run(context.Background(), append([]string{"-config", cfg, "-console"}, args...), r, &s.out, &s.logs)
	}()
	t.Cleanup(func() { w.Close() })
	return s
}

// say types line and waits for want in the output.
func (s *consoleSession) say(line, want string) {
	s.t.Helper()
	fmt.Fprintln(s.in, line)
	waitUntil(s.t, want, func() bool { return strings.Contains(s.out.String(), want) })
}

// end closes the input and checks the bot exits 0.
func (s *consoleSession) end() {
	s.t.Helper()
	s.in.Close()
	if code := <-s.done; code != 0 {
		s.t.Fatalf("exit %d; logs:\n%s", code, s.logs.String())
	}
}

// The file owns what it lists: a feed or section taken out of it stops at
// the next start; the chat's feeds stay; the articles stay in their section.
func TestFileOwnsFeedsAcrossRestarts(t *testing.T) {
	feed := newFeedServer(t)
	db := filepath.Join(t.TempDir(), "f.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
poll: {schedule: "@every 1h", allow_private_addresses: true}
sections: [{key: chinh-tri, name: "Chính trị"}, {key: kinh-te, name: "Kinh tế"}]
feeds: [{url: %s/home.rss, section: chinh-tri}, {url: %s/other.rss, section: kinh-te}]
`, db, feed.URL, feed.URL))
	session := newConsoleSession(t, cfg)
	session.say("/subscribe kinh-te", "Đã đăng ký")
	session.say("/feeds", "📄 tệp cấu hình")
	session.say("/delfeed 2", "nằm trong tệp cấu hình nên không xóa được")
	// The first poll at start stores the economy article.
	waitUntil(t, "the economy article stored", func() bool {
		fmt.Fprintln(session.in, "/latest kinh-te")
		return strings.Contains(session.out.String(), "Giá lúa tăng")
	})
	session.end()
	// Without the economy feed and section:
	cfg = writeConfig(t, fmt.Sprintf(`
database: %s
poll: {schedule: "@every 1h", allow_private_addresses: true}
sections: [{key: chinh-tri, name: "Chính trị"}]
feeds: [{url: %s/home.rss, section: chinh-tri}]
`, db, feed.URL))
	out, logs := consoleRun(t, cfg, "/sections\n/mysubs\n/search gia lua\n", "-v")
	if !strings.Contains(logs, "feed removed from the file") || !strings.Contains(logs, "section removed from the file") {
		t.Errorf("the removals are not logged:\n%s", logs)
	}
	for _, want := range []string{"Tạm ngưng", "Kinh tế", "Giá lúa tăng"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run lacks %q:\n%s", want, out)
		}
	}
	store, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	feeds, _ := store.Feeds(context.Background())
	if len(feeds) != 1 || !strings.HasSuffix(feeds[0].URL, "/home.rss") {
		t.Errorf("feeds after the file dropped one: %+v", feeds)
	}
	secs, _ := store.Sections(context.Background())
	if len(secs) != 1 {
		t.Errorf("sections after the file dropped one: %+v", secs)
	}
}

// Console mode: a banner says what to type; /id works; logs go to
// standard error at log.level in log.format, warn by default in the
// console, debug with -v.
func TestConsoleBannerAndLogs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	cfg := writeConfig(t, "database: "+db+"\n")
	out, logs := consoleRun(t, cfg, "/id\n")
	for _, want := range []string{"Gõ một lệnh rồi Enter: /help", "Nền tảng: console", "Mã người dùng của bạn: local", "Bạn là quản trị viên"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(logs, "newsbot running") {
		t.Errorf("the console logs at info by default:\n%s", logs)
	}
	if !strings.HasPrefix(out, "newsbot — ") {
		t.Errorf("the banner is not first:\n%s", out)
	}
	if _, logs := consoleRun(t, cfg, "", "-v"); !strings.Contains(logs, "level=INFO msg=\"newsbot running\"") {
		t.Errorf("-v does not log info:\n%s", logs)
	}
	cfg = writeConfig(t, "database: "+db+"\nlog: {level: info, format: json}\n")
	_, logs = consoleRun(t, cfg, "")
	found := false
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		found = found || rec["msg"] == "newsbot running"
	}
	if !found {
		t.Errorf("log.level info in JSON lacks the start line:\n%s", logs)
	}
}

// /addfeed given a web page adds the feed it announces; given a missing
// page it says so in Vietnamese, the Go error going to the log only.
func TestAddFeedWebPageAndErrors(t *testing.T) {
	feed := newFeedServer(t)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<html><head><link rel="alternate" type="application/rss+xml" title="Kinh tế" href="%s/other.rss"></head><body>Trang chủ</body></html>`, feed.URL)
		default:
			http.Error(w, "File not found", http.StatusNotFound)
		}
	}))
	defer site.Close()
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
poll: {schedule: "@every 1h", allow_private_addresses: true}
sections: [{key: kinh-te, name: "Kinh tế"}]
`, filepath.Join(t.TempDir(), "a.db")))
	session := newConsoleSession(t, cfg)
	session.say("/addfeed "+site.URL+"/ kinh-te", "Đã thêm nguồn tin #1")
	session.say("/addfeed "+site.URL+"/missing kinh-te", "không tìm thấy trang này trên máy chủ (lỗi 404)")
	session.say("/addfeed "+feed.URL+"/other.rss kinh-te", "Nguồn tin này đã có: #1")
	session.end()
	got := session.out.String()
	if !strings.Contains(got, "Đó là một trang web; tôi tìm thấy nguồn tin của nó: "+feed.URL+"/other.rss") {
		t.Errorf("the discovered feed is not named:\n%s", got)
	}
	if strings.Contains(got, "unexpected status") || strings.Contains(got, "feeds:") {
		t.Errorf("a Go error reached the person:\n%s", got)
	}
}
