package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// scrape GETs url and returns its status and body; status 0 when the
// request failed (the listener is not up yet).
func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(body)
}

// metricValue sums the samples of name in a Prometheus text exposition
// whose labels include every pair of want (a subset match).
func metricValue(body, name string, want map[string]string) float64 {
	total := 0.0
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		metric, labels, _ := strings.Cut(series, "{")
		if metric != name {
			continue
		}
		have := map[string]string{}
		for pair := range strings.SplitSeq(strings.TrimSuffix(labels, "}"), ",") {
			if k, v, ok := strings.Cut(pair, "="); ok {
				have[k], _ = strconv.Unquote(v)
			}
		}
		match := true
		for k, v := range want {
			if have[k] != v {
				match = false
			}
		}
		if f, err := strconv.ParseFloat(value, 64); err == nil && match {
			total += f
		}
	}
	return total
}

// TestMetricsAndHealthMove runs the bot with its HTTP listener and checks
// over HTTP that /metrics and /healthz follow what it does: polls (200 and
// 304), new articles, commands, an alert held by a platform outage (queue
// depth and oldest age, a failed send) and then sent.
func TestMetricsAndHealthMove(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t)
	now := time.Now()
	feed.add("Đảng bộ tỉnh Lào Cai tổng kết 6 tháng", "https://baolaocai.vn/dang-bo", "Tổng kết.", now.Add(-3*time.Hour))
	feed.add("Khai mạc lễ hội", "https://baolaocai.vn/le-hoi", "Lễ hội mùa xuân.", now.Add(-2*time.Hour))
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s, admins: [%d]}
http: {listen: %q}
poll: {schedule: "@every 1s", timeout: 5s, allow_private_addresses: true}
delivery: {chat_interval: 10ms}
sections: [{key: chinh-tri, name: "Chính trị"}]
feeds: [{url: %s/home.rss, section: chinh-tri}]
`, filepath.Join(t.TempDir(), "m.db"), tg.Token, tg.URL, admin, addr, feed.URL))
	start(t, "-config", cfg)
	base := "http://" + addr

	metrics := func() string {
		t.Helper()
		code, body := scrape(t, base+"/metrics")
		if code != http.StatusOK {
			return ""
		}
		return body
	}
	waitMetric := func(what, name string, labels map[string]string, atLeast float64) string {
		t.Helper()
		var body string
		waitUntil(t, what, func() bool {
			body = metrics()
			return metricValue(body, name, labels) >= atLeast
		})
		return body
	}
	body := waitMetric("the first poll in /metrics", "newsbot_feed_polls_total", map[string]string{"outcome": "ok"}, 1)
	if got := metricValue(body, "newsbot_articles_new_total", nil); got != 2 {
		t.Errorf("newsbot_articles_new_total = %v after the first poll, want 2", got)
	}
	if metricValue(body, "newsbot_feed_poll_duration_seconds_count", nil) < 1 {
		t.Errorf("poll duration histogram empty:\n%s", body)
	}
	waitMetric("a 304 in /metrics", "newsbot_feed_polls_total", map[string]string{"outcome": "not_modified"}, 1)

	code, hbody := scrape(t, base+"/healthz")
	var health healthReport
	if err := json.Unmarshal([]byte(hbody), &health); err != nil {
		t.Fatalf("/healthz is not JSON: %v\n%s", err, hbody)
	}
	if code != http.StatusOK || health.Status != "ok" || !health.Database.Writable || health.Feeds != 1 ||
		health.LastPollSuccess == "" || health.PollPeriodSeconds != 1 || health.LastPollAgeSeconds > 30 {
		t.Fatalf("/healthz: %d %s", code, hbody)
	}

	ask(t, tg, reader, "/subscribe chinh-tri", "Đã đăng ký")
	ask(t, tg, reader, "/sections", "Chính trị")
	body = metrics()
	if got := metricValue(body, "newsbot_commands_total", map[string]string{"command": "subscribe"}); got != 1 {
		t.Errorf("newsbot_commands_total{command=subscribe} = %v, want 1", got)
	}
	if got := metricValue(body, "newsbot_commands_total", map[string]string{"command": "sections"}); got != 1 {
		t.Errorf("newsbot_commands_total{command=sections} = %v, want 1", got)
	}

	// Telegram is down for the reader: the alert waits in the queue.
	var down atomic.Bool
	down.Store(true)
	tg.SetFault(func(method string, p url.Values) *Fault {
		if down.Load() && method == "sendMessage" && p.Get("chat_id") == strconv.Itoa(reader) {
			return &Fault{Code: 502, Description: "Bad Gateway"}
		}
		return nil
	})
	feed.add("Hội nghị giao ban công tác khoa giáo", "https://baolaocai.vn/khoa-giao", "Sáng 5/7, hội nghị.", time.Now())
	body = waitMetric("a failed send in /metrics", "newsbot_deliveries_total",
		map[string]string{"platform": "telegram", "outcome": "failed", "reason": "transient"}, 1)
	waitUntil(t, "the alert in the queue", func() bool {
		body = metrics()
		return metricValue(body, "newsbot_queue_depth", nil) == 1 && metricValue(body, "newsbot_queue_oldest_pending_seconds", nil) > 0
	})
	_, hbody = scrape(t, base+"/healthz")
	if err := json.Unmarshal([]byte(hbody), &health); err != nil || health.Queue.Depth != 1 || health.Queue.OldestPendingSeconds <= 0 {
		t.Errorf("/healthz queue while the alert waits: %v\n%s", err, hbody)
	}
	if metricValue(body, "newsbot_articles_new_total", nil) != 3 {
		t.Errorf("newsbot_articles_new_total = %v, want 3", metricValue(body, "newsbot_articles_new_total", nil))
	}

	down.Store(false)
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(containing(to(all, reader), "khoa giáo")) > 0 }, 15*time.Second)
	body = waitMetric("the sent alert in /metrics", "newsbot_deliveries_total",
		map[string]string{"platform": "telegram", "outcome": "sent"}, 1)
	waitUntil(t, "an empty queue", func() bool { return metricValue(metrics(), "newsbot_queue_depth", nil) == 0 })
	if metricValue(body, "newsbot_send_latency_seconds_count", map[string]string{"platform": "telegram"}) < 2 {
		t.Errorf("send latency histogram lacks the two sends:\n%s", body)
	}
	if metricValue(body, "newsbot_database_writable", nil) != 1 {
		t.Errorf("newsbot_database_writable is not 1")
	}
}

// Fault is telegramtest.Fault, named short for the hooks above.
type Fault = telegramtest.Fault

// When no feed has succeeded for three schedule periods, /healthz answers
// 503 and says why; the healthcheck command exits 1.
func TestHealthzUnhealthyWhenNoFeedSucceeds(t *testing.T) {
	tg := telegramtest.New(t)
	broken := newFeedServer(t)
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
http: {listen: %q}
poll: {schedule: "@every 1s", allow_private_addresses: true}
sections: [{key: chinh-tri, name: "Chính trị"}]
feeds: [{url: %s/page.html, section: chinh-tri}]
`, filepath.Join(t.TempDir(), "h.db"), tg.Token, tg.URL, addr, broken.URL))
	start(t, "-config", cfg)
	var out syncBuffer
	var body string
	waitUntil(t, "/healthz to answer 503", func() bool {
		var code int
		code, body = scrape(t, "http://"+addr+"/healthz")
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "no feed has been polled successfully") || !strings.Contains(body, `"unhealthy"`) {
		t.Errorf("/healthz body does not say why:\n%s", body)
	}
	if code := run(context.Background(), []string{"-config", cfg, "healthcheck"}, strings.NewReader(""), &out, &out); code != 1 {
		t.Errorf("healthcheck exit %d on an unhealthy bot, want 1:\n%s", code, out.String())
	}
}

// The database refusing writes (a full disk) makes /healthz answer 503.
func TestHealthzDatabaseUnwritable(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := &healthz{store: store, schedule: "@every 5m", started: time.Now(), now: time.Now}
	get := func() (int, healthReport) {
		t.Helper()
		srv := httptestServer(t, h)
		code, body := scrape(t, srv+"/healthz")
		var rep healthReport
		if err := json.Unmarshal([]byte(body), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, body)
		}
		return code, rep
	}
	if code, rep := get(); code != 200 || !rep.Database.Writable {
		t.Fatalf("healthy store: %d %+v", code, rep)
	}
	if err := store.RefuseWrites(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertSection(ctx, storage.Section{Key: "x", Name: "X"}); err == nil {
		t.Fatal("a write went through a store refusing writes")
	}
	code, rep := get()
	if code != http.StatusServiceUnavailable || rep.Database.Writable || rep.Database.Error == "" || rep.Database.Since == "" {
		t.Fatalf("store refusing writes: %d %+v", code, rep)
	}
	if err := store.RefuseWrites(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertSection(ctx, storage.Section{Key: "x", Name: "X"}); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(); code != 200 {
		t.Fatalf("after writes resume: %d", code)
	}
}

// The maintenance commands run beside a running bot on its database: the
// lock does not refuse them. OPML export lists the feeds by section; import
// matches folders to sections (or takes -section), leaves known feeds, and
// names the ones it cannot place; backup writes a copy that opens with the
// data.
func TestMaintenanceCommandsBesideARunningBot(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t)
	feed.add("Đảng bộ tỉnh Lào Cai tổng kết 6 tháng", "https://baolaocai.vn/dang-bo", "Tổng kết.", time.Now())
	addr := freeAddr(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "newsbot.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s}
http: {listen: %q}
poll: {schedule: "@every 1h", allow_private_addresses: true}
sections: [{key: chinh-tri, name: "Chính trị"}, {key: kinh-te, name: "Kinh tế"}]
feeds: [{url: %s/home.rss, section: chinh-tri}]
`, db, tg.Token, tg.URL, addr, feed.URL))
	start(t, "-config", cfg)
	waitUntil(t, "the first poll", func() bool { full, _ := feed.counts(); return full >= 1 })
	tool := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errs syncBuffer
		code := run(context.Background(), append([]string{"-config", cfg}, args...), strings.NewReader(""), &out, &errs)
		return code, out.String(), errs.String()
	}

	var code int
	var opml, errs string
	waitUntil(t, "an export with the feed's title", func() bool {
		code, opml, errs = tool("opml", "export")
		if code != 0 {
			t.Fatalf("opml export beside the bot: exit %d: %s", code, errs)
		}
		return strings.Contains(opml, "Báo Lào Cai")
	})
	for _, want := range []string{`<opml version="2.0">`, `text="Chính trị"`, `xmlUrl="` + feed.URL + `/home.rss"`, `text="Báo Lào Cai"`} {
		if !strings.Contains(opml, want) {
			t.Errorf("export lacks %s:\n%s", want, opml)
		}
	}
	if strings.Contains(opml, "Kinh tế") {
		t.Errorf("export has an empty folder:\n%s", opml)
	}

	in := filepath.Join(dir, "in.opml")
	os.WriteFile(in, []byte(`<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Từ Feedly</title></head><body>
  <outline text="Tin tức">
    <outline text="kinh te">
      <outline type="rss" text="VnExpress Kinh doanh" xmlUrl="https://vnexpress.net/rss/kinh-doanh.rss"/>
    </outline>
    <outline type="rss" text="Tuổi Trẻ" xmlUrl="https://tuoitre.vn/rss/thoi-su.rss" category="/chinh-tri"/>
  </outline>
  <outline text="Thể thao"><outline type="rss" text="Bóng đá" xmlUrl="https://thethao.example/rss"/></outline>
  <outline type="rss" text="Đã có" xmlUrl="`+feed.URL+`/home.rss"/>
</body></opml>`), 0o644)
	code, out, errs := tool("opml", "import", in)
	if code != 0 {
		t.Fatalf("opml import: exit %d: %s%s", code, out, errs)
	}
	if !strings.Contains(out, "4 feeds") || !strings.Contains(out, "2 added, 1 already there, 1 without a section") ||
		!strings.Contains(out, "no section") || !strings.Contains(out, "thethao.example") {
		t.Errorf("import report:\n%s", out)
	}
	code, out, errs = tool("opml", "import", in, "-section", "kinh-te")
	if code != 0 || !strings.Contains(out, "1 added, 3 already there") {
		t.Errorf("import with -section: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs = tool("opml", "import", in, "-section", "the-thao"); code != 1 || !strings.Contains(errs, "the-thao") {
		t.Errorf("import into an unknown section: exit %d: %s", code, errs)
	}
	if code, _, errs = tool("opml", "import", filepath.Join(dir, "config.yaml")); code != 1 {
		t.Errorf("import of a file that is not OPML: exit %d: %s", code, errs)
	}

	_, opml, _ = tool("opml", "export")
	for _, want := range []string{`text="Kinh tế"`, "vnexpress.net/rss/kinh-doanh.rss", "tuoitre.vn/rss/thoi-su.rss", "thethao.example/rss"} {
		if !strings.Contains(opml, want) {
			t.Errorf("export after import lacks %s:\n%s", want, opml)
		}
	}

	out1 := filepath.Join(dir, "backup.db")
	if code, out, errs = tool("backup", out1); code != 0 || !strings.Contains(out, "written") {
		t.Fatalf("backup beside the bot: exit %d: %s%s", code, out, errs)
	}
	copyStore, err := storage.Open(context.Background(), out1)
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	list, err := copyStore.Feeds(context.Background())
	if err != nil || len(list) != 4 {
		t.Fatalf("backup holds %d feeds (%v), want 4", len(list), err)
	}
	found, err := copyStore.Search(context.Background(), "dang bo", "", 5, 0)
	if err != nil || len(found) != 1 {
		t.Fatalf("backup's articles: %v %v", found, err)
	}
	if code, _, errs = tool("backup", out1); code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("backup over an existing file: exit %d: %s", code, errs)
	}

	if code, out, errs = tool("healthcheck"); code != 0 || !strings.Contains(out, `"status": "ok"`) {
		t.Errorf("healthcheck on a healthy bot: exit %d: %s%s", code, out, errs)
	}
	if code, _, errs = tool("frobnicate"); code != 2 || !strings.Contains(errs, "opml import") {
		t.Errorf("unknown command: exit %d: %s", code, errs)
	}
	// A second bot on the same database is still refused.
	var logs syncBuffer
	if code := run(context.Background(), []string{"-config", cfg}, strings.NewReader(""), &logs, &logs); code != 1 || !strings.Contains(logs.String(), "another newsbot") {
		t.Errorf("second bot: exit %d: %s", code, logs.String())
	}
}

// From Telegram, an admin gets the feeds as an .opml file with /export and
// imports one by sending it: each feed is checked as /addfeed does and
// polled from then on; its caption may name the section.
func TestOPMLInTelegram(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t)
	feed.add("Đảng bộ tỉnh Lào Cai tổng kết 6 tháng", "https://baolaocai.vn/dang-bo", "Tổng kết.", time.Now())
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram: {token: %q, api_url: %s, admins: [%d]}
poll: {schedule: "@every 1h", allow_private_addresses: true}
sections: [{key: chinh-tri, name: "Chính trị"}, {key: kinh-te, name: "Kinh tế"}]
feeds: [{url: %s/home.rss, section: chinh-tri}]
`, filepath.Join(t.TempDir(), "o.db"), tg.Token, tg.URL, admin, feed.URL))
	start(t, "-config", cfg)
	waitUntil(t, "the first poll", func() bool { full, _ := feed.counts(); return full >= 1 })

	ask(t, tg, reader, "/export", "quản trị viên")
	tg.PushMessage(admin, admin, "/export")
	doc := tg.WaitDocuments(t, 1, 15*time.Second)[0]
	if doc.ChatID != admin || !strings.HasSuffix(doc.Name, ".opml") || !strings.Contains(string(doc.Data), feed.URL+"/home.rss") ||
		!strings.Contains(string(doc.Data), `text="Chính trị"`) || !strings.Contains(doc.Caption, "OPML") {
		t.Fatalf("exported document: %s %q %s\n%s", doc.Name, doc.Caption, doc.ParseMode, doc.Data)
	}

	opml := fmt.Sprintf(`<?xml version="1.0"?><opml version="2.0"><body>
<outline text="Kinh tế"><outline type="rss" text="Kinh tế" xmlUrl="%s/other.rss"/></outline>
<outline text="Trang web"><outline type="rss" text="Không phải RSS" xmlUrl="%s/page.html"/></outline>
<outline type="rss" text="Không thư mục" xmlUrl="http://127.0.0.1:1/rss"/>
</body></opml>`, feed.URL, feed.URL)
	before := len(tg.SentTo(admin))
	tg.PushDocument(admin, admin, "nguon-tin.opml", "application/octet-stream", []byte(opml), "")
	var report telegramtest.Sent
	tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		for _, m := range to(all, admin)[before:] {
			if strings.Contains(m.Text, "Đã đọc") {
				report = m
				return true
			}
		}
		return false
	}, 15*time.Second)
	for _, want := range []string{"Đã đọc 3 nguồn tin: thêm 1, đã có sẵn 0, không khớp chuyên mục 2, lỗi 0", "other.rss", "page.html", "127.0.0.1:1/rss"} {
		if !strings.Contains(report.Text, want) {
			t.Errorf("import report lacks %q:\n%s", want, report.Text)
		}
	}
	ask(t, tg, reader, "/search gia lua", "Giá lúa tăng") // the added feed was polled and stored

	// With a section in the caption every feed has one: the page (not a
	// feed) and the closed port are checked and refused.
	before = len(tg.SentTo(admin))
	tg.PushDocument(admin, admin, "lan-hai.opml", "", []byte(opml), "kinh-te")
	tg.WaitSent(t, func(all []telegramtest.Sent) bool {
		for _, m := range to(all, admin)[before:] {
			if strings.Contains(m.Text, "Đã đọc 3 nguồn tin: thêm 0, đã có sẵn 1, không khớp chuyên mục 0, lỗi 2") {
				return true
			}
		}
		return false
	}, 15*time.Second)

	ask(t, tg, admin, "/help", "/export")
}
