package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// oldDueDeliveries is the outbox query before outbox_heads: each chat's
// oldest pending row when it is due, found by scanning the pending rows.
// The tests hold the new structure to it.
const oldDueDeliveries = `
	SELECT d.id,
		(SELECT count(*) FROM deliveries w WHERE w.platform = d.platform AND w.chat_id = d.chat_id
			AND w.state = 'pending' AND w.next_attempt_at <= ?1)
	FROM deliveries d
	WHERE d.state = 'pending' AND d.next_attempt_at <= ?1
		AND d.id = (SELECT min(o.id) FROM deliveries o WHERE o.platform = d.platform AND o.chat_id = d.chat_id AND o.state = 'pending')
	ORDER BY d.next_attempt_at, d.id LIMIT ?2`

// checkOutbox compares outbox_heads, the counters and DueDeliveries with
// what a scan of the tables says they must be.
func checkOutbox(t *testing.T, s *Store, now time.Time, step string) {
	t.Helper()
	ctx := context.Background()
	var bad int
	if err := s.db.QueryRowContext(ctx, `
		SELECT count(*) FROM (
			SELECT platform, chat_id, id, next_attempt_at FROM deliveries
			WHERE id IN (SELECT min(id) FROM deliveries WHERE state = 'pending' GROUP BY platform, chat_id)
			EXCEPT SELECT platform, chat_id, delivery_id, next_attempt_at FROM outbox_heads
			UNION ALL
			SELECT platform, chat_id, delivery_id, next_attempt_at FROM outbox_heads
			EXCEPT SELECT platform, chat_id, id, next_attempt_at FROM deliveries
			WHERE id IN (SELECT min(id) FROM deliveries WHERE state = 'pending' GROUP BY platform, chat_id))`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%s: outbox_heads differs from the chats' oldest pending rows in %d rows", step, bad)
	}
	var articles, articlesKept, pending, pendingKept int
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM articles), (SELECT n FROM counters WHERE name = 'articles'),
		(SELECT count(*) FROM deliveries WHERE state = 'pending'), (SELECT n FROM counters WHERE name = 'pending')`).
		Scan(&articles, &articlesKept, &pending, &pendingKept); err != nil {
		t.Fatal(err)
	}
	if articles != articlesKept || pending != pendingKept {
		t.Fatalf("%s: counters say %d articles, %d pending; the tables hold %d, %d", step, articlesKept, pendingKept, articles, pending)
	}
	rows, err := s.db.QueryContext(ctx, oldDueDeliveries, now.UnixMilli(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var id int64
		var waiting int
		if err := rows.Scan(&id, &waiting); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%d×%d", id, min(waiting, maxWaiting)))
	}
	rows.Close()
	due, err := s.DueDeliveries(ctx, now, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range due {
		got = append(got, fmt.Sprintf("%d×%d", d.ID, d.Waiting))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: DueDeliveries = %v (id×waiting), want %v", step, got, want)
	}
}

// TestOutboxHeadsFollowEveryChange runs a random mix of everything that
// writes deliveries (new articles, broadcasts, sends, retries, postponed
// chats, deactivated and migrated chats, articles deleted) and checks after
// each step that the kept heads and counters are what a scan says and that
// DueDeliveries returns what the old scanning query returned.
func TestOutboxHeadsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for _, feed := range []Feed{f.politics, f.econ} {
		if _, err := s.SaveItems(ctx, feed.ID, nil, SaveOptions{Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(10, 15))
	chats := []ChatRef{f.a, f.b, f.both}
	pendingIDs := func() []int64 {
		var ids []int64
		rows, err := s.db.QueryContext(ctx, `SELECT id FROM deliveries WHERE state = 'pending' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		return ids
	}
	n := 0
	for step := range 300 {
		now = now.Add(time.Duration(rng.IntN(90)) * time.Second)
		op := rng.IntN(11)
		ids := pendingIDs()
		pick := func() int64 { return ids[rng.IntN(len(ids))] }
		var err error
		var what string
		switch {
		case op <= 2:
			what = "new items"
			var items []Item
			for range 1 + rng.IntN(3) {
				n++
				link := fmt.Sprintf("https://a.example/%d", n)
				items = append(items, item(link, link, fmt.Sprintf("Tin %d", n), now))
			}
			feed := []Feed{f.politics, f.econ}[rng.IntN(2)]
			_, err = s.SaveItems(ctx, feed.ID, items, SaveOptions{Now: now})
		case op == 3:
			what = "broadcast"
			_, err = s.EnqueueBroadcast(ctx, "Thông báo")
		case op == 4 && len(ids) > 0:
			what = "sent"
			err = s.MarkSent(ctx, pick(), now)
		case op == 5 && len(ids) > 1:
			what = "sent together"
			err = s.MarkSentMany(ctx, []int64{ids[0], ids[len(ids)-1]}, now)
		case op == 6 && len(ids) > 0:
			what = "retry"
			err = s.MarkRetry(ctx, pick(), now.Add(time.Duration(rng.IntN(300)-60)*time.Second), "lỗi")
		case op == 7 && len(ids) > 0:
			what = "failed"
			err = s.MarkFailed(ctx, pick(), "từ chối")
		case op == 8:
			what = "chat postponed"
			err = s.PostponeChat(ctx, chats[rng.IntN(len(chats))], now.Add(time.Duration(rng.IntN(600))*time.Second))
		case op == 9:
			chat := chats[rng.IntN(len(chats))]
			if rng.IntN(2) == 0 {
				what = "chat deactivated"
				_, err = s.DeactivateChat(ctx, chat, "blocked")
				if err == nil {
					err = s.TouchChat(ctx, Chat{ChatRef: chat})
				}
			} else {
				what = "chat migrated"
				to := ChatRef{chat.Platform, chat.ID + "0"}
				err = s.MigrateChat(ctx, chat, to.ID)
				if err == nil {
					_, err = s.Subscribe(ctx, to, []string{"chinh-tri", "kinh-te"})
					chats = append(chats, to)
				}
			}
		case op == 10:
			what = "oldest article deleted"
			_, err = s.db.ExecContext(ctx, `DELETE FROM articles WHERE id = (SELECT min(id) FROM articles)`)
		default:
			continue
		}
		if err != nil {
			t.Fatalf("step %d (%s): %v", step, what, err)
		}
		checkOutbox(t, s, now, fmt.Sprintf("step %d (%s)", step, what))
	}
	if n == 0 || len(pendingIDs()) == 0 {
		t.Fatalf("the mix stored %d items and left %d pending: it tested little", n, len(pendingIDs()))
	}
}

// TestDueDeliveriesKeepsChatOrderAndFairness: a chat whose oldest row is
// held back gets nothing, even when its later rows are due (no overtaking);
// one row per chat comes back, the longest-waiting chat first, with its
// article joined and Waiting counting the chat's due rows.
func TestDueDeliveriesKeepsChatOrderAndFairness(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{Now: now})
	s.SaveItems(ctx, f.econ.ID, nil, SaveOptions{Now: now})
	// a and both get A1, A2, A3; b and both get B1 a minute later.
	var items []Item
	for i := 1; i <= 3; i++ {
		link := fmt.Sprintf("https://a.example/%d", i)
		items = append(items, item(link, link, fmt.Sprintf("A%d", i), now))
	}
	if _, err := s.SaveItems(ctx, f.politics.ID, items, SaveOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveItems(ctx, f.econ.ID, []Item{item("b1", "https://b.example/1", "B1", now)}, SaveOptions{Now: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	due, err := s.DueDeliveries(ctx, later, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[ChatRef]string{}
	var order []ChatRef
	for _, d := range due {
		if d.Article == nil {
			t.Fatalf("delivery %d came without its article", d.ID)
		}
		got[d.Chat.ChatRef] = fmt.Sprintf("%s×%d", d.Article.Title, d.Waiting)
		order = append(order, d.Chat.ChatRef)
	}
	want := map[ChatRef]string{f.a: "A1×3", f.both: "A1×4", f.b: "B1×1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("due = %v, want %v", got, want)
	}
	if order[len(order)-1] != f.b {
		t.Fatalf("order %v: b's row fell due last and must come last", order)
	}
	if due[0].Article.Source == "" || due[0].Article.SectionName != "Chính trị" {
		t.Fatalf("article joined without its feed and section: %+v", *due[0].Article)
	}
	// a's A1 is retried in an hour: a's A2 and A3 are due but must wait.
	var a1 int64
	for _, d := range due {
		if d.Chat.ChatRef == f.a {
			a1 = d.ID
		}
	}
	if err := s.MarkRetry(ctx, a1, later.Add(time.Hour), "429"); err != nil {
		t.Fatal(err)
	}
	due, _ = s.DueDeliveries(ctx, later, 10)
	for _, d := range due {
		if d.Chat.ChatRef == f.a {
			t.Fatalf("chat a got %s while its oldest alert waits for a retry", d.Article.Title)
		}
	}
	// Sent, the next one of the chat becomes its head; the message's id
	// is kept for a later edit.
	if err := s.MarkSentMessage(ctx, []int64{a1}, later, "m-77"); err != nil {
		t.Fatal(err)
	}
	states, err := s.DeliveryStates(ctx, f.a)
	if err != nil || len(states) == 0 || states[0].ID != a1 || states[0].MessageID != "m-77" || states[0].State != StateSent {
		t.Fatalf("after MarkSentMessage: %+v, %v", states, err)
	}
	due, _ = s.DueDeliveries(ctx, later, 10)
	got = map[ChatRef]string{}
	for _, d := range due {
		got[d.Chat.ChatRef] = fmt.Sprintf("%s×%d", d.Article.Title, d.Waiting)
	}
	if got[f.a] != "A2×2" {
		t.Fatalf("a's head after A1 was sent = %q, want A2×2", got[f.a])
	}
}

// TestDueDeliveriesCapsWaiting: a chat with more due rows than maxWaiting
// reports maxWaiting (the count is bounded work), and its head is still
// its oldest row.
func TestDueDeliveriesCapsWaiting(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var first int64
	for i := range maxWaiting + 10 {
		if _, err := f.s.EnqueueBroadcast(ctx, fmt.Sprintf("Thông báo %d", i)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			due, _ := f.s.DueDeliveries(ctx, time.Now().Add(time.Minute), 1)
			first = due[0].ID
		}
	}
	due, err := f.s.DueDeliveries(ctx, time.Now().Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 3 || due[0].ID != first || due[0].Text != "Thông báo 0" || due[0].Article != nil {
		t.Fatalf("due = %+v, want the three chats' first broadcast, first %d", due, first)
	}
	for _, d := range due {
		if d.Waiting != maxWaiting {
			t.Fatalf("chat %s: Waiting = %d, want the cap %d", d.Chat.ChatRef, d.Waiting, maxWaiting)
		}
	}
}
