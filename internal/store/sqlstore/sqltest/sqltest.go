// Package sqltest gives tests fresh, migrated Gatehouse databases: a SQLite
// file in the test's temporary directory, or a new database on a PostgreSQL
// server that is dropped when the test ends.
//
// PostgreSQL is found through GATEHOUSE_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). When it
// cannot be reached the test fails; set GATEHOUSE_SKIP_POSTGRES=1 to skip
// PostgreSQL tests deliberately instead.
package sqltest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
)

// DefaultPostgresURL is the server used when GATEHOUSE_TEST_POSTGRES is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLite returns a migrated store on a new SQLite file, closed when the test
// ends.
func SQLite(t testing.TB) *sqlstore.Store {
	t.Helper()
	return open(t, SQLiteDSN(t))
}

// SQLiteDSN returns the DSN of a SQLite file that does not exist yet, in the
// test's temporary directory.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "gatehouse.db")
}

// Postgres returns a migrated store on a new PostgreSQL database and the
// database's DSN. The store is closed and the database dropped when the test
// ends.
func Postgres(t testing.TB) (*sqlstore.Store, string) {
	t.Helper()
	dsn := PostgresDSN(t)
	return open(t, dsn), dsn
}

// PostgresDSN creates an empty PostgreSQL database, not migrated, that is
// dropped when the test ends, and returns its DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	SkipPostgres(t)
	base := os.Getenv("GATEHOUSE_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgresURL
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("GATEHOUSE_TEST_POSTGRES is not a URL: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable: %v\n"+
			"start it, point GATEHOUSE_TEST_POSTGRES at a server, or set GATEHOUSE_SKIP_POSTGRES=1 to skip PostgreSQL tests",
			u.Redacted(), err)
	}
	name := "gatehouse_test_" + id.New(16)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a failed test may have left open.
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// SkipPostgres skips the test when GATEHOUSE_SKIP_POSTGRES=1, for tests
// that want to skip before doing any work of their own.
func SkipPostgres(t testing.TB) {
	t.Helper()
	if os.Getenv("GATEHOUSE_SKIP_POSTGRES") == "1" {
		t.Skip("GATEHOUSE_SKIP_POSTGRES=1: skipping PostgreSQL test")
	}
}

// open opens and migrates the database at dsn and closes it when the test
// ends. Cleanups run last-registered first, so the store closes before its
// PostgreSQL database is dropped.
func open(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return s
}
