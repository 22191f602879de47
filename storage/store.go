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
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
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
	// stmts holds the statements of the hot paths, prepared once.
	stmts stmtCache

	health writeHealth
	// stories holds the story options while grouping is on (EnableStories);
	// nil: every article is its own story.
	stories atomic.Pointer[StoryOptions]
	// retention is how long articles are kept, and the last pass (retention.go).
	retention retention
}

// writeHealth is whether the database took the last write: a full disk
// makes every write fail while reads go on, and the bot must be able to say
// so (/stats) when it can record nothing.
type writeHealth struct {
	mu    sync.Mutex
	err   error     // SQLite's refusal; nil when the last write went through
	since time.Time // the first refusal of this run of them
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
	// busy timeout instead of failing on lock upgrade. temp_store(MEMORY)
	// keeps statement journals in memory: every insert with a trigger or a
	// foreign key inside a transaction journals the pages it changes, and
	// once a transaction's journal passed 64 KiB SQLite moved it to a temp
	// file and wrote each page with two pwrite calls (28 % of an ingest's
	// CPU at 1 000 000 articles). What it holds is bounded by the pages one
	// statement changes. It also keeps temporary tables in memory: the
	// product's are small (an IN list, a page's DISTINCT), and the sorter
	// (ORDER BY without an index, CREATE INDEX) still spills to files.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	// Idle connections are kept, never reopened, so that a per-connection
	// setting (RefuseWrites) holds on all of them.
	db.SetMaxIdleConns(maxConns)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.markSent, err = db.PrepareContext(ctx, `UPDATE deliveries SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '', message_id = nullif(?, '') WHERE id = ?`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: prepare: %w", err)
	}
	return s, nil
}

// maxConns is the size of the connection pool: one writer, and readers
// beside it (WAL).
const maxConns = 4

// Close closes the database.
func (s *Store) Close() error {
	s.markSent.Close()
	s.stmts.close()
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
	r, err := s.db.ExecContext(ctx, query, args...)
	return r, s.noteWrite(err)
}

// inTx runs fn in a (writing) transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.noteWrite(fmt.Errorf("storage: begin: %w", err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return s.noteWrite(err)
	}
	if err := tx.Commit(); err != nil {
		return s.noteWrite(fmt.Errorf("storage: commit: %w", err))
	}
	return s.noteWrite(nil)
}

// noteWrite keeps WriteHealth up to date with the outcome of a write and
// returns err. Errors that are not the database refusing writes (a
// constraint, a cancelled context) say nothing about its health.
func (s *Store) noteWrite(err error) error {
	var cause *sqlite.Error
	unwritable := IsUnwritable(err) && errors.As(err, &cause)
	if err != nil && !unwritable {
		return err
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.err, h.since = nil, time.Time{}
	case h.err == nil:
		h.err, h.since = cause, time.Now()
	default:
		h.err = cause
	}
	return err
}

// WriteHealth reports why the database refuses writes and since when, or
// nil and the zero time when the last write went through. Reads go on
// while writes fail, so a read-only answer can still tell.
func (s *Store) WriteHealth() (err error, since time.Time) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.err, s.health.since
}

// IsUnwritable reports whether err is SQLite refusing to write for a reason
// of the machine, not of the data: the disk is full (SQLITE_FULL), an I/O
// error (SQLITE_IOERR), a read-only file (SQLITE_READONLY) or one it cannot
// open (SQLITE_CANTOPEN). The same write may succeed once that is fixed.
func IsUnwritable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// RefuseWrites makes every connection refuse writes, as SQLite does for a
// read-only database file (SQLITE_READONLY), until it is called with false;
// reads go on. It is a drill for what the bot does when it cannot record
// anything, as on a full disk, used by tests.
func (s *Store) RefuseWrites(ctx context.Context, refuse bool) error {
	pragma := "PRAGMA query_only = 0"
	if refuse {
		pragma = "PRAGMA query_only = 1"
	}
	return s.eachConn(ctx, pragma)
}

// eachConn runs a per-connection statement (a PRAGMA) on every connection
// of the pool: it takes them all, so none is missed, and the pool keeps
// them afterwards (SetMaxIdleConns).
func (s *Store) eachConn(ctx context.Context, stmt string) error {
	// No transaction is open while writeMu is held, so no connection is
	// held by a writer that might wait for a second one.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	conns := make([]*sql.Conn, 0, maxConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range maxConns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("storage: take connection: %w", err)
		}
		conns = append(conns, c)
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("storage: %s: %w", stmt, err)
		}
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
