package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A backup is taken while the database's owner holds its lock and keeps
// writing; the copy opens, passes SQLite's integrity check, and holds every
// article committed before the backup began.
func TestBackupBesideARunningWriter(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	lock, err := AcquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if err := s.UpsertSection(ctx, Section{Key: "thoi-su", Name: "Thời sự"}); err != nil {
		t.Fatal(err)
	}
	feed, err := s.AddFeed(ctx, "https://a.example/rss", "thoi-su", "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	save := func(i int) error {
		_, err := s.SaveItems(ctx, feed.ID, []Item{item(fmt.Sprintf("g%d", i), fmt.Sprintf("https://a.example/%d", i),
			fmt.Sprintf("Bài số %d", i), now)}, SaveOptions{Now: now})
		return err
	}
	for i := range 20 {
		if err := save(i); err != nil {
			t.Fatal(err)
		}
	}
	// The owner goes on writing during the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 20; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := save(i); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "copy.db")
	err = Backup(ctx, path, out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup beside a running writer: %v", err)
	}

	cp, err := Open(ctx, out)
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer cp.Close()
	var check string
	if err := cp.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy: %q, %v", check, err)
	}
	got, err := cp.Feed(ctx, feed.ID)
	if err != nil {
		t.Fatalf("feed in the copy: %v", err)
	}
	if got.URL != "https://a.example/rss" || got.Articles < 20 {
		t.Fatalf("copy's feed: %+v, want its URL and at least the 20 articles saved before", got)
	}
	found, err := cp.Search(ctx, "Bài số 7", "", 5, 0)
	if err != nil || len(found) == 0 {
		t.Fatalf("search in the copy: %v, %v", found, err)
	}
}

func TestBackupRefusesToOverwriteAndNamesAMissingDatabase(t *testing.T) {
	ctx := context.Background()
	_, path := openTest(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Backup(ctx, path, existing); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: %v, want an error saying it exists", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatalf("existing file was changed: %q", b)
	}
	missing := filepath.Join(dir, "nothing.db")
	if err := Backup(ctx, missing, filepath.Join(dir, "out.db")); err == nil {
		t.Fatal("backup of a missing database succeeded")
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("backup created the missing database")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left in the folder: %v, want only old.db", entries)
	}
}

func TestStatusQueueAndLastSuccess(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	st, err := f.s.Status(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if st.QueueDepth != 0 || st.OldestPending != 0 || !st.LastSuccess.IsZero() || st.Feeds != 2 {
		t.Fatalf("fresh status: %+v", st)
	}
	first := []Item{item("g1", "https://a.example/1", "Một", now)}
	if _, err := f.s.SaveItems(ctx, f.politics.ID, first, SaveOptions{Now: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	second := append(first, item("g2", "https://a.example/2", "Hai", now))
	if _, err := f.s.SaveItems(ctx, f.politics.ID, second, SaveOptions{Now: now.Add(-30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	st, err = f.s.Status(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	// "Hai" goes to chat a and to the chat subscribed to both.
	if st.QueueDepth != 2 || st.OldestPending != 30*time.Second || !st.LastSuccess.Equal(now.Add(-30*time.Second)) {
		t.Fatalf("status after two polls: %+v", st)
	}
}
