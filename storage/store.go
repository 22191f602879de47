// Package storage owns the SQLite database: its schema, and every statement
// the product runs. Its methods are the product's verbs.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the product's database.
type Store struct {
	db *sql.DB
	// writeMu lets one writer at a time in: SQLite allows only one, and
	// queueing here is far cheaper than SQLite's sleep-and-retry on a busy
	// database when the dispatcher's workers mark sends concurrently.
	writeMu sync.Mutex
	// markSent is prepared once: it runs for every message sent.
	markSent *sql.Stmt
}

// Open opens (creating it and its parent folders if needed) the SQLite file
// at path and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("storage: create folder for database: %w", err)
		}
	}
	// WAL lets searches read while a poll writes; foreign keys keep
	// subscriptions and deliveries from pointing at nothing; immediate
	// transactions take the write lock up front so two writers queue on the
	// busy timeout instead of failing on lock upgrade.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.markSent, err = db.PrepareContext(ctx, `UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: prepare: %w", err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.markSent.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("storage: create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("storage: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("storage: migration %s: bad name", base)
		}
		if err := s.applyMigration(ctx, version, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return fmt.Errorf("storage: read migrations: %w", err)
		}
		if n > 0 {
			return nil
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("storage: read %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("storage: apply %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version) VALUES (?)`, version); err != nil {
			return fmt.Errorf("storage: record %s: %w", name, err)
		}
		return nil
	})
}

// exec runs one writing statement.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.db.ExecContext(ctx, query, args...)
}

// inTx runs fn in a (writing) transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// ms converts a time to the stored form (unix milliseconds); the zero time is NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts a stored time back; NULL is the zero time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
