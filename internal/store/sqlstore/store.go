// Package sqlstore implements store.Store on SQLite (modernc.org/sqlite) and
// PostgreSQL (pgx) with one set of SQL statements over database/sql. The few
// places where the two databases differ live in dialect.go.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Store is the SQL implementation of store.Store. A Store returned by Open
// runs each method in its own implicit transaction; the Store that InTx hands
// to its callback runs every method in that one transaction.
type Store struct {
	db      *sql.DB
	q       querier
	tx      *sql.Tx // non-nil when this Store is bound to a transaction
	dialect *dialect
	// writers admits one transaction at a time on SQLite. SQLite has one
	// writer anyway; queueing here instead of in SQLite's busy handler keeps
	// the waiting goroutines from each holding a pool connection, which
	// starved the transaction holding the lock of connections for its reads.
	writers chan struct{}
}

var _ store.Store = (*Store)(nil)

// querier is what *sql.DB and *sql.Tx have in common, so that every method
// works the same inside and outside InTx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// DB returns the underlying connection pool, for health checks and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name }

// Close closes the connection pool. On a Store bound to a transaction it does
// nothing: the pool belongs to the Store that InTx was called on.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	return s.db.Close()
}

// InTx runs fn in one transaction: it commits when fn returns nil and rolls
// back when fn returns an error or panics. On a Store already bound to a
// transaction fn runs in that transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	return s.inTx(ctx, func(tx *Store) error { return fn(tx) })
}

func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	if s.writers != nil {
		select {
		case s.writers <- struct{}{}:
			defer func() { <-s.writers }()
		case <-ctx.Done():
			return fmt.Errorf("begin transaction: %w", ctx.Err())
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	bound := &Store{db: s.db, q: tx, tx: tx, dialect: s.dialect}
	committed := false
	// The deferred rollback also runs while a panic unwinds, so a panicking
	// fn releases its transaction (and on SQLite the write lock) and the
	// panic carries on to the caller unchanged.
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(bound); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", s.mapErr(err))
	}
	committed = true
	return nil
}

// nowMillis is the current time as the store records it.
func nowMillis() int64 { return time.Now().UnixMilli() }

// args collects query arguments and hands out their $N placeholders, for the
// few queries whose shape depends on their input.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// window turns a store.Page into LIMIT and OFFSET; ok is false when the page
// asks for everything.
func window(p store.Page) (limit, offset int, ok bool) {
	if p.Page <= 0 || p.PageSize <= 0 {
		return 0, 0, false
	}
	return p.PageSize, (p.Page - 1) * p.PageSize, true
}

// queryAll runs query and scans every row with scan. It returns an empty,
// non-nil slice when there are no rows so that lists encode as [] in JSON.
func queryAll[T any](ctx context.Context, s *Store, query string, a []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := s.q.QueryContext(ctx, query, a...)
	if err != nil {
		return nil, s.mapErr(err)
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	if err := rows.Err(); err != nil {
		return nil, s.mapErr(err)
	}
	return items, nil
}

// listPage returns the rows of table that match where (no condition when
// empty; its arguments are a) in creation order, and their total count before
// paging.
//
// A condition such as a substring search has to look at every row: with
// 100,000 users that is tens of milliseconds per scan. Counting in the same
// pass (COUNT(*) OVER ()) was tried and lost: it has to carry every match
// through the window, while the separate page query stops after one page
// when matches are common.
func listPage[T any](ctx context.Context, s *Store, table, columns, where string, a args, page store.Page, scan func(scanner) (T, error)) ([]T, int, error) {
	from := " FROM " + table
	if where != "" {
		from += " WHERE " + where
	}
	query := "SELECT " + columns + from + " ORDER BY created_at, id"
	limit, offset, paged := window(page)
	if !paged {
		items, err := queryAll(ctx, s, query, a, scan)
		return items, len(items), err
	}
	var total int
	if err := s.q.QueryRowContext(ctx, "SELECT COUNT(*)"+from, a...).Scan(&total); err != nil {
		return nil, 0, s.mapErr(err)
	}
	if offset >= total {
		return []T{}, total, nil
	}
	query += " LIMIT " + a.add(limit) + " OFFSET " + a.add(offset)
	items, err := queryAll(ctx, s, query, a, scan)
	return items, total, err
}

// expectOne turns an UPDATE or DELETE that touched no row into ErrNotFound.
func (s *Store) expectOne(res sql.Result, err error) error {
	if err != nil {
		return s.mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
