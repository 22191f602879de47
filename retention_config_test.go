package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
)

func TestStorageRetentionConfig(t *testing.T) {
	const day = 24 * time.Hour
	cfg, err := loadConfig(writeConfig(t, "database: x.db\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := parseRetention(cfg.Storage.Retention); err != nil || d != 180*day {
		t.Fatalf("default storage.retention = %q (%s, %v); want 180 days", cfg.Storage.Retention, d, err)
	}
	for _, tc := range []struct {
		yaml string
		want time.Duration
	}{
		{"180d", 180 * day},
		{"90 days", 90 * day},
		{"365 ngày", 365 * day},
		{"26w", 182 * day},
		{"4320h", 180 * day},
		{"36h", 36 * time.Hour},
		{"off", 0},
		{"0", 0},
		{"0d", 0},
	} {
		cfg, err := loadConfig(writeConfig(t, "storage: {retention: "+tc.yaml+"}\n"))
		if err != nil {
			t.Errorf("storage.retention: %s: %v", tc.yaml, err)
			continue
		}
		if problems := cfg.Validate(); len(problems) > 0 {
			t.Errorf("storage.retention: %s: %v", tc.yaml, problems)
		}
		if d, err := parseRetention(cfg.Storage.Retention); err != nil || d != tc.want {
			t.Errorf("storage.retention: %s read as %s (%v), want %s", tc.yaml, d, err, tc.want)
		}
	}
	for _, tc := range []struct{ yaml, says string }{
		{"soon", "not a retention"},
		{"12h", "shorter than a day"},
		{"-3d", "not a retention"},
		{"99999d", "too long"},
		{`""`, "is empty"},
	} {
		var out syncBuffer
		code := run(context.Background(), []string{"-config", writeConfig(t, "storage: {retention: "+tc.yaml+"}\n"), "-check"}, strings.NewReader(""), &out, &out)
		if code != 1 || !strings.Contains(out.String(), "storage.retention: ") || !strings.Contains(out.String(), tc.says) {
			t.Errorf("storage.retention: %s: exit %d, output:\n%s", tc.yaml, code, out.String())
		}
	}
}

func TestPaidBroadcastConfig(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, "database: x.db\n"))
	if err != nil || cfg.Delivery.PaidBroadcast {
		t.Fatalf("default delivery.paid_broadcast = %v, %v; want false", cfg.Delivery.PaidBroadcast, err)
	}
	var out syncBuffer
	code := run(context.Background(), []string{"-config", writeConfig(t, "delivery: {paid_broadcast: true}\n"), "-check"}, strings.NewReader(""), &out, &out)
	if code != 0 || !strings.Contains(out.String(), "warning: delivery.workers: 4 sends in flight") {
		t.Errorf("paid broadcasts with 4 workers: exit %d, output:\n%s", code, out.String())
	}
	out = syncBuffer{}
	code = run(context.Background(), []string{"-config", writeConfig(t, "delivery: {paid_broadcast: true, workers: 64}\n"), "-check"}, strings.NewReader(""), &out, &out)
	if code != 0 || strings.Contains(out.String(), "warning") {
		t.Errorf("paid broadcasts with 64 workers: exit %d, output:\n%s", code, out.String())
	}
}

// TestRetentionAndPaidBroadcastEndToEnd: the running bot prunes at start
// (its /stats tells the retention and the cleanup), and with
// delivery.paid_broadcast its alerts carry allow_paid_broadcast while its
// answers do not.
func TestRetentionAndPaidBroadcastEndToEnd(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t)
	now := time.Now()
	feed.add("Khai mạc lễ hội", "https://baolaocai.vn/le-hoi", "Lễ hội mùa xuân.", now.Add(-2*time.Hour))
	db := filepath.Join(t.TempDir(), "data", "newsbot.db")
	cfg := writeConfig(t, fmt.Sprintf(`
database: %s
telegram:
  token: %q
  api_url: %s
  admins: [%d]
poll:
  schedule: "@every 1s"
  timeout: 5s
  allow_private_addresses: true
delivery:
  chat_interval: 10ms
  paid_broadcast: true
storage:
  retention: 30d
sections:
  - {key: chinh-tri, name: "Chính trị"}
feeds:
  - url: %s/home.rss
    section: chinh-tri
`, db, tg.Token, tg.URL, admin, feed.URL))
	start(t, "-config", cfg)
	waitUntil(t, "the first poll", func() bool { full, _ := feed.counts(); return full >= 1 })

	// The pass at start runs beside everything else: ask until it is done.
	deadline := time.Now().Add(15 * time.Second)
	for {
		stats := ask(t, tg, admin, "/stats", "Cơ sở dữ liệu:")
		if !strings.Contains(stats.Text, "giữ bài 30 ngày") {
			t.Fatalf("/stats lacks the retention:\n%s", stats.Text)
		}
		if strings.Contains(stats.Text, "Lần dọn gần nhất:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cleanup at start:\n%s", stats.Text)
		}
		time.Sleep(50 * time.Millisecond)
	}

	answer := ask(t, tg, reader, "/subscribe chinh-tri", "Đã đăng ký")
	if answer.Params.Has("allow_paid_broadcast") {
		t.Errorf("an answer carries allow_paid_broadcast: %v", answer.Params)
	}
	feed.add("Hội nghị giao ban khoa giáo", "https://baolaocai.vn/khoa-giao", "<p>LCĐT - Sáng 5/7, hội nghị.</p>", now)
	tg.WaitSent(t, func(all []telegramtest.Sent) bool { return len(containing(to(all, reader), "khoa giáo")) > 0 }, 15*time.Second)
	alert := containing(tg.SentTo(reader), "khoa giáo")[0]
	if got := alert.Params.Get("allow_paid_broadcast"); got != "true" {
		t.Errorf("alert sent with allow_paid_broadcast=%q, want true", got)
	}
}
