package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// stmtCache holds statements prepared once for the life of the Store: SQLite
// compiling a statement costs as much as running a simple one, and the hot
// paths (a poll's bookkeeping, an item's lookups and inserts) run the same
// few statements thousands of times a minute. database/sql prepares a
// cached statement again, once, on each pooled connection that runs it.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns the statement for query, preparing it on first use.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("storage: prepare: %w", err)
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = st
	return st, nil
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// txStmts binds cached statements to one transaction, each once: binding
// (Tx.StmtContext) allocates, so it is done per transaction, not per row.
type txStmts struct {
	s     *Store
	tx    *sql.Tx
	bound map[string]*sql.Stmt
}

func (s *Store) txStmts(tx *sql.Tx) *txStmts {
	return &txStmts{s: s, tx: tx, bound: make(map[string]*sql.Stmt, 8)}
}

// get returns query prepared and bound to the transaction.
func (t *txStmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.bound[query]; ok {
		return st, nil
	}
	st, err := t.s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	st = t.tx.StmtContext(ctx, st)
	t.bound[query] = st
	return st, nil
}

// QueryRowContext runs a one-row query prepared once.
func (t *txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.get(ctx, query)
	if err != nil {
		// A *sql.Row cannot carry an error of ours; the transaction's own
		// QueryRowContext reports the same failure through Scan.
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs a statement prepared once.
func (t *txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs a query as it is, unprepared: for statements of many
// shapes (an IN list of any length), which the cache must not collect.
func (t *txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, query, args...)
}

// queryStmt runs a query of few shapes prepared once (stmtQuerier).
func (t *txStmts) queryStmt(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// stmtQuerier runs a query of few shapes (the story candidates' query has
// one per number of search words) as a statement prepared once; compiling
// it was a seventh of a story match.
type stmtQuerier interface {
	queryStmt(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// dbStmts runs cached statements outside a transaction (reads).
type dbStmts struct{ s *Store }

// QueryContext runs a query as it is, unprepared (see txStmts.QueryContext).
func (d dbStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.s.db.QueryContext(ctx, query, args...)
}

// queryStmt runs a query of few shapes prepared once (stmtQuerier).
func (d dbStmts) queryStmt(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := d.s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a one-row query prepared once.
func (d dbStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := d.s.stmt(ctx, query)
	if err != nil {
		return d.s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Optimize refreshes the query planner's statistics: PRAGMA optimize runs
// ANALYZE on the tables whose statistics are missing or stale, and only
// those. Call it at start, daily, and after large changes (an import, a
// retention pass), from a job of its own: it holds the write lock while it
// analyses, which in the middle of a flood's save stalled every writer
// behind it (the soak test saw the goroutines pile up).
//
// It keeps sqlite_stat1, the row counts the planner needs, and drops the
// STAT4 samples ANALYZE also writes: with samples, every statement that
// compares a bound parameter to an indexed column is compiled again each
// time its parameters change (SQLite re-plans for the values), which made
// prepared statements as costly as unprepared ones and a third of an
// ingest's CPU at 1 000 000 articles. The samples help range queries on
// skewed data, which the product does not run.
func (s *Store) Optimize(ctx context.Context) error {
	// One transaction: the connection that analyses drops the samples and
	// reloads its statistics before any other can see them. The others
	// load statistics with the schema, which ANALYZE changes only when it
	// creates the statistics tables, at this commit, when the samples are
	// gone. PRAGMA optimize bounds the rows it reads (analysis_limit), so
	// the write lock is held briefly even at a million articles.
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `PRAGMA optimize`); err != nil {
			return err
		}
		var stat4 int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'`).Scan(&stat4); err != nil || stat4 == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqlite_stat4`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `ANALYZE sqlite_schema`)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: optimize: %w", err)
	}
	return nil
}
