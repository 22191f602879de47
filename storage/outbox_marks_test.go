package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// outboxOf returns a store whose n chats each have one pending delivery of
// one article, and the deliveries' ids in chat order.
func outboxOf(t testing.TB, n int) (*Store, []ChatRef, []int64) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "marks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.UpsertSection(ctx, Section{Key: "x", Name: "X"}); err != nil {
		t.Fatal(err)
	}
	feed, err := s.AddFeed(ctx, "https://x.vn/rss", "x", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveItems(ctx, feed.ID, nil, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	var refs []ChatRef
	for i := range n {
		ref := ChatRef{Platform: "telegram", ID: fmt.Sprint(100 + i)}
		if err := s.TouchChat(ctx, Chat{ChatRef: ref, Type: "private"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, ref, []string{"x"}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	link := "https://x.vn/a"
	if _, err := s.SaveItems(ctx, feed.ID, []Item{{GUID: link, Link: link, Canonical: link, Title: "Tin", Published: time.Now()}}, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, ref := range refs {
		st, err := s.DeliveryStates(ctx, ref)
		if err != nil || len(st) != 1 {
			t.Fatalf("deliveries of %s: %+v, %v", ref, st, err)
		}
		ids = append(ids, st[0].ID)
	}
	return s, refs, ids
}

func TestMarkSentBatchKeepsEachMessageID(t *testing.T) {
	ctx := context.Background()
	s, refs, ids := outboxOf(t, 4)
	at := time.Now()
	// Three messages: one carrying two deliveries (a combined alert), one
	// with an id, one from a platform that gives none.
	marks := []SentMark{{IDs: ids[:2], At: at, MessageID: "701"}, {IDs: ids[2:3], At: at, MessageID: "702"}, {IDs: ids[3:], At: at}}
	if err := s.MarkSentBatch(ctx, marks); err != nil {
		t.Fatal(err)
	}
	want := []string{"701", "701", "702", ""}
	for i, ref := range refs {
		st, err := s.DeliveryStates(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 1 || st[0].State != StateSent || st[0].Attempts != 1 || st[0].MessageID != want[i] {
			t.Errorf("delivery of %s: %+v, want sent once with message id %q", ref, st, want[i])
		}
	}
	if n, err := s.PendingCount(ctx); err != nil || n != 0 {
		t.Errorf("%d pending after the batch (%v)", n, err)
	}
	checkOutbox(t, s, at, "after a batch of marks")
	if _, ok, err := s.NextDue(ctx); err != nil || ok {
		t.Errorf("NextDue with nothing pending: %v, %v", ok, err)
	}
}

func TestMarkSentBatchIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, refs, ids := outboxOf(t, 2)
	// A cancelled context fails the transaction: neither mark stays.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.MarkSentBatch(cctx, []SentMark{{IDs: ids[:1], At: time.Now(), MessageID: "1"}, {IDs: ids[1:], At: time.Now(), MessageID: "2"}}); err == nil {
		t.Fatal("a batch under a cancelled context was recorded")
	}
	for _, ref := range refs {
		if st, _ := s.DeliveryStates(ctx, ref); len(st) != 1 || st[0].State != StatePending {
			t.Errorf("delivery of %s after a failed batch: %+v", ref, st)
		}
	}
}

func TestNextDueIsTheEarliestHead(t *testing.T) {
	ctx := context.Background()
	s, refs, ids := outboxOf(t, 3)
	base := time.Now().Truncate(time.Millisecond).Add(time.Hour).UTC()
	for i, ref := range refs {
		if err := s.PostponeChat(ctx, ref, base.Add(time.Duration(3-i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	at, ok, err := s.NextDue(ctx)
	if err != nil || !ok || !at.Equal(base.Add(time.Minute)) {
		t.Fatalf("NextDue = %s, %v, %v; want %s", at, ok, err, base.Add(time.Minute))
	}
	if err := s.MarkSentBatch(ctx, []SentMark{{IDs: ids[2:], At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if at, ok, err = s.NextDue(ctx); err != nil || !ok || !at.Equal(base.Add(2*time.Minute)) {
		t.Fatalf("NextDue after the earliest went = %s, %v, %v; want %s", at, ok, err, base.Add(2*time.Minute))
	}
}
