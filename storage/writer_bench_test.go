package storage

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// BenchmarkWriter measures SQLite's single writer: how many write
// transactions a second one Store commits, of three kinds the product
// runs, into a store of 0 (and, in full, 1 000 000) articles:
//   - mark: one delivery marked sent (the dispatcher's write per message),
//   - mark50: 50 deliveries marked sent in one transaction (a combined
//     message, or marks grouped),
//   - poll: one poll's save of 20 new items, each queued to one chat.
//
// Reported: transactions and rows a second by the wall clock and per CPU
// second of the process (the figure to trust on a shared machine). WAL
// with synchronous=NORMAL does not sync at commit, so a commit costs CPU
// and a write(2) of its pages, not a disk flush.
func BenchmarkWriter(b *testing.B) {
	sizes := []int{0}
	if os.Getenv(benchFullEnv) == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, stored := range sizes {
		for _, kind := range []struct {
			name string
			rows int
		}{{"mark", 1}, {"mark50", 50}, {"poll", 20}} {
			b.Run(fmt.Sprintf("stored=%d/%s", stored, kind.name), func(b *testing.B) { benchWriter(b, stored, kind.name, kind.rows) })
		}
	}
}

func benchWriter(b *testing.B, stored int, kind string, rows int) {
	ctx := context.Background()
	s := openBenchStore(b, stored)
	feeds := benchFeeds(b, s)
	run := time.Now().UnixNano()
	now := time.Now().UTC()
	saved := 0
	// save stores one poll of n new items (each queued to the one chat).
	save := func(n int) {
		items := make([]Item, n)
		for k := range items {
			link := fmt.Sprintf("https://bao.example/w%d/tin-%d.html", run, saved)
			saved++
			items[k] = Item{GUID: link, Link: link, Canonical: link,
				Title:     fmt.Sprintf("Tỉnh triển khai kế hoạch số %d về phát triển kinh tế - xã hội", saved),
				Summary:   "Sáng 1/8, UBND tỉnh tổ chức hội nghị triển khai kế hoạch.",
				Published: now.Add(-time.Duration(n-k) * time.Second)}
		}
		res, err := s.SaveItems(ctx, feeds[saved%len(feeds)], items, SaveOptions{Now: now})
		if err != nil {
			b.Fatal(err)
		}
		if res.New != n || res.Enqueued != n {
			b.Fatalf("save = %+v, want %d new and queued", res, n)
		}
	}
	// pending returns at least n pending delivery ids, saving polls to
	// queue more when there are too few.
	pending := func(n int) []int64 {
		var ids []int64
		for {
			r, err := s.db.QueryContext(ctx, `SELECT id FROM deliveries WHERE state = 'pending' ORDER BY id LIMIT ?`, n)
			if err != nil {
				b.Fatal(err)
			}
			ids = ids[:0]
			for r.Next() {
				var id int64
				r.Scan(&id)
				ids = append(ids, id)
			}
			r.Close()
			if len(ids) >= n {
				return ids
			}
			for range (n - len(ids) + 999) / 1000 {
				save(1000)
			}
		}
	}
	var ids []int64
	if kind != "poll" {
		ids = pending(b.N * rows)
	}
	cpu := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		switch kind {
		case "poll":
			save(rows)
		case "mark":
			if err := s.MarkSent(ctx, ids[i], now); err != nil {
				b.Fatal(err)
			}
		default:
			if err := s.MarkSentMany(ctx, ids[i*rows:(i+1)*rows], now); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	cpu = cpuTime() - cpu
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "tx/cpu-s")
	b.ReportMetric(float64(b.N*rows)/cpu.Seconds(), "rows/cpu-s")
}
