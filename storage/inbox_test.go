package storage

import (
	"context"
	"testing"
	"time"
)

func TestInbox(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	rec := func(platform, id string, handled bool) bool {
		t.Helper()
		fresh, err := s.RecordUpdate(ctx, InboxUpdate{Platform: platform, ID: id, Body: []byte(`{"Text":"` + id + `"}`)}, handled)
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !rec("telegram", "1", false) || !rec("telegram", "2", false) || !rec("zalo", "1", false) || !rec("telegram", "3", true) {
		t.Fatal("new updates reported as replays")
	}
	if rec("telegram", "1", false) {
		t.Error("a replay of telegram:1 was recorded again")
	}
	if has, _ := s.InboxHas(ctx, "telegram", "3"); !has {
		t.Error("InboxHas(telegram:3) = false")
	}
	if has, _ := s.InboxHas(ctx, "telegram", "9"); has {
		t.Error("InboxHas(telegram:9) = true")
	}

	pending, err := s.PendingUpdates(ctx, "telegram", 0, 10)
	if err != nil || len(pending) != 2 || pending[0].ID != "1" || pending[1].ID != "2" || string(pending[1].Body) != `{"Text":"2"}` {
		t.Fatalf("pending = %+v, %v; want telegram 1 and 2 in order", pending, err)
	}
	if after, _ := s.PendingUpdates(ctx, "telegram", pending[0].Seq, 10); len(after) != 1 || after[0].ID != "2" {
		t.Errorf("pending after the first = %+v", after)
	}
	if err := s.MarkUpdateHandled(ctx, "telegram", "1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingUpdates(ctx, "telegram", 0, 10); len(p) != 1 || p[0].ID != "2" {
		t.Errorf("pending after marking 1 = %+v", p)
	}
	if n, err := s.PruneInbox(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("prune = %d, %v; want the 2 handled", n, err)
	}
	if has, _ := s.InboxHas(ctx, "telegram", "2"); !has {
		t.Error("prune removed an update not handled")
	}
}

func TestEnqueueBroadcastOnce(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"1", "2", "3"} {
		if err := s.TouchChat(ctx, Chat{ChatRef: ChatRef{Platform: "telegram", ID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	n, first, err := s.EnqueueBroadcastOnce(ctx, "telegram", "77", "Thông báo")
	if err != nil || n != 3 || !first {
		t.Fatalf("first = %d, %v, %v", n, first, err)
	}
	if err := s.TouchChat(ctx, Chat{ChatRef: ChatRef{Platform: "zalo", ID: "z"}}); err != nil {
		t.Fatal(err)
	}
	n, first, err = s.EnqueueBroadcastOnce(ctx, "telegram", "77", "Thông báo")
	if err != nil || n != 3 || first {
		t.Errorf("again = %d, %v, %v; want 3 from before, not first", n, first, err)
	}
	if p, _ := s.PendingCount(ctx); p != 3 {
		t.Errorf("pending = %d, want 3", p)
	}
	if n, first, _ := s.EnqueueBroadcastOnce(ctx, "zalo", "77", "Khác"); n != 4 || !first {
		t.Errorf("the same id on another platform = %d, %v; want a new broadcast to 4", n, first)
	}
}
