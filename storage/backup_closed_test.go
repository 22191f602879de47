package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A backup of a database no bot has open (its -wal and -shm removed at
// close) works too, and leaves no file beside it.
func TestBackupOfAClosedDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "closed.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertSection(ctx, Section{Key: "thoi-su", Name: "Thời sự"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadDir(dir)
	out := filepath.Join(t.TempDir(), "copy.db")
	if err := Backup(ctx, path, out); err != nil {
		t.Fatalf("backup of a closed database: %v", err)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Errorf("files beside the database: %v, before %v", after, before)
	}
	cp, err := Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if secs, err := cp.Sections(ctx); err != nil || len(secs) != 1 {
		t.Fatalf("copy's sections: %v %v", secs, err)
	}
}
