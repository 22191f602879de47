package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database at path to out with
// SQLite's VACUUM INTO: one read transaction, so the copy is the database
// as of one instant even while a running bot writes to it. It neither takes
// the database's Lock nor migrates the schema, so it runs beside the bot
// that owns the file. The copy is written beside out under a temporary name
// and renamed into place only when complete, so a failed backup never
// leaves a file that looks like a good one; out must not exist.
func Backup(ctx context.Context, path, out string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("storage: backup: %s already exists; choose a new file", out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: backup: %w", err)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".partial")
	os.Remove(tmp) // a previous attempt's leftovers
	// Without migrations: the copy is what the running bot has, and this
	// process must not change the schema under it. Not mode=ro: a
	// read-only connection leaves the -wal and -shm it creates behind when
	// no bot has the database open, and files left by another user (root
	// running a backup) would keep the bot from opening it; the last
	// connection to close removes them.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("storage: backup: open %s: %w", path, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: backup %s into %s: %w", path, out, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: backup: %w", err)
	}
	return nil
}
