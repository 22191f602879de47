package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fillDisk caps the database at its current size on every connection, so
// that a write needing a new page fails as on a full disk (SQLITE_FULL);
// the returned func lifts the cap.
func fillDisk(t *testing.T, s *Store) func() {
	t.Helper()
	ctx := context.Background()
	// max_page_count cannot go below the current size: 1 means "no more".
	if err := s.eachConn(ctx, "PRAGMA max_page_count = 1"); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := s.eachConn(ctx, "PRAGMA max_page_count = 4294967294"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteHealthOnAFullDisk(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	if err, since := s.WriteHealth(); err != nil || !since.IsZero() {
		t.Fatalf("fresh store: WriteHealth = %v, %v", err, since)
	}
	before := time.Now()
	lift := fillDisk(t, s)
	// A broadcast of 3 × 200 kB needs pages the disk no longer has.
	text := strings.Repeat("Tin khẩn. ", 20000)
	_, err := s.EnqueueBroadcast(ctx, text)
	if err == nil || !IsUnwritable(err) || !strings.Contains(err.Error(), "database or disk is full") {
		t.Fatalf("broadcast on a full disk: %v", err)
	}
	herr, since := s.WriteHealth()
	if herr == nil || !strings.Contains(herr.Error(), "database or disk is full") || since.Before(before) || since.After(time.Now()) {
		t.Fatalf("WriteHealth after the failure = %v, %v", herr, since)
	}
	// A second failure keeps the time the trouble began.
	if _, err := s.EnqueueBroadcast(ctx, text); !IsUnwritable(err) {
		t.Fatalf("second broadcast: %v", err)
	}
	if _, again := s.WriteHealth(); !again.Equal(since) {
		t.Errorf("since moved from %v to %v", since, again)
	}
	// An error that is the data's, not the disk's, says nothing either way.
	if _, err := s.Subscribe(ctx, f.a, []string{"no-such-section"}); !errors.Is(err, ErrUnknownSection) {
		t.Fatalf("subscribe to an unknown section: %v", err)
	}
	if herr, _ := s.WriteHealth(); herr == nil {
		t.Errorf("a data error cleared the write health")
	}
	// Reads still answer.
	if _, err := s.Stats(ctx, time.Now()); err != nil {
		t.Errorf("stats on a full disk: %v", err)
	}
	if n, err := s.PendingCount(ctx); err != nil || n != 0 {
		t.Errorf("pending on a full disk: %d, %v (the failed broadcast must leave nothing half-written)", n, err)
	}

	lift()
	n, err := s.EnqueueBroadcast(ctx, text)
	if err != nil || n != 3 {
		t.Fatalf("broadcast once space returned: %d, %v", n, err)
	}
	if herr, since := s.WriteHealth(); herr != nil || !since.IsZero() {
		t.Errorf("WriteHealth after a good write = %v, %v", herr, since)
	}
}

func TestRefuseWritesEveryConnection(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	if _, err := s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveItems(ctx, f.politics.ID, []Item{item("g1", "https://a.example/1", "Bài 1", time.Now())}, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueDeliveries(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %d, %v", len(due), err)
	}
	if err := s.RefuseWrites(ctx, true); err != nil {
		t.Fatal(err)
	}
	// Every write path fails, whichever connection it gets: marking one
	// sent updates a row in place, which a size cap would let through.
	for i := range 10 {
		if err := s.MarkSent(ctx, due[0].ID, time.Now()); !IsUnwritable(err) {
			t.Fatalf("mark sent #%d while writes are refused: %v", i, err)
		}
		if err := s.MarkSentMany(ctx, []int64{due[0].ID, due[1].ID}, time.Now()); !IsUnwritable(err) {
			t.Fatalf("mark sent many #%d while writes are refused: %v", i, err)
		}
		if err := s.TouchChat(ctx, Chat{ChatRef: f.a}); !IsUnwritable(err) {
			t.Fatalf("touch chat #%d while writes are refused: %v", i, err)
		}
	}
	if herr, _ := s.WriteHealth(); herr == nil {
		t.Fatal("WriteHealth does not report refused writes")
	}
	if again, err := s.DueDeliveries(ctx, time.Now().Add(time.Minute), 10); err != nil || len(again) != 2 {
		t.Fatalf("reading the outbox while writes are refused: %d, %v", len(again), err)
	}
	if err := s.RefuseWrites(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, due[0].ID, time.Now()); err != nil {
		t.Fatalf("mark sent once writes work: %v", err)
	}
	if herr, _ := s.WriteHealth(); herr != nil {
		t.Errorf("WriteHealth after a good write: %v", herr)
	}
}

func TestTransientFailuresUseNoAttempt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	s.SaveItems(ctx, f.politics.ID, nil, SaveOptions{})
	if _, err := s.SaveItems(ctx, f.politics.ID, []Item{item("g1", "https://a.example/1", "Bài 1", time.Now())}, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueDeliveries(ctx, time.Now(), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %d, %v", len(due), err)
	}
	var a, both Delivery
	for _, d := range due {
		switch d.Chat.ChatRef {
		case f.a:
			a = d
		case f.both:
			both = d
		}
	}
	later := time.Now().Add(time.Hour)
	for range 3 {
		if err := s.MarkTransient(ctx, a.ID, later, "telegram: sendMessage: 502 Bad Gateway"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkExpired(ctx, both.ID, "expired"); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(ctx, time.Now(), 10); len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
	due, _ = s.DueDeliveries(ctx, later, 10)
	if len(due) != 1 || due[0].ID != a.ID || due[0].Attempts != 0 || due[0].TransientFailures != 3 {
		t.Fatalf("after three transient failures: %+v", due)
	}
	st, _ := s.DeliveryStates(ctx, f.both)
	if len(st) != 1 || st[0].State != StateFailed || st[0].Attempts != 0 || st[0].TransientFailures != 1 || st[0].LastError != "expired" {
		t.Fatalf("expired: %+v", st)
	}
}
