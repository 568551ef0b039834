package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-auth/gatehouse/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return sqltest.SQLite(t) })
}

func TestSQLiteMigrations(t *testing.T) {
	testMigrations(t, sqltest.SQLiteDSN(t))
}

func TestSQLiteConcurrentMigrate(t *testing.T) {
	testConcurrentMigrate(t, sqltest.SQLiteDSN(t))
}

func TestSQLiteOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, c := range []struct{ dsn, path string }{
		{"sqlite:" + filepath.Join(dir, "a", "plain.db"), filepath.Join(dir, "a", "plain.db")},
		{"sqlite://" + filepath.Join(dir, "b", "slashes.db"), filepath.Join(dir, "b", "slashes.db")}, // sqlite:///abs
		{"file:" + filepath.Join(dir, "c", "file.db"), filepath.Join(dir, "c", "file.db")},
		{"sqlite:" + filepath.Join(dir, "d", "params.db") + "?_pragma=cache_size(-4000)", filepath.Join(dir, "d", "params.db")},
	} {
		t.Run(c.dsn, func(t *testing.T) {
			s, err := sqlstore.Open(ctx, c.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Dialect() != "sqlite" {
				t.Fatalf("dialect %q, want sqlite", s.Dialect())
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(filepath.Dir(c.path))
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o700 {
				t.Fatalf("directory mode %o, want 700", perm)
			}
			if _, err := os.Stat(c.path); err != nil {
				t.Fatalf("database file: %v", err)
			}
		})
	}
}

func TestSQLitePragmas(t *testing.T) {
	s := sqltest.SQLite(t)
	ctx := context.Background()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "10000",
		"synchronous":  "1", // NORMAL
	} {
		var got string
		if err := s.DB().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func TestOpenRejectsOtherSchemes(t *testing.T) {
	for _, dsn := range []string{"mysql://root:hunter2@localhost/gatehouse", "", "/var/lib/gatehouse.db", "sqlite:"} {
		_, err := sqlstore.Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if !strings.Contains(err.Error(), "DB_URL") {
			t.Errorf("Open(%q): %q does not name DB_URL", dsn, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q): error %q shows the password", dsn, err)
		}
	}
}

// TestSQLiteWriteTransactionsSerialise runs read-modify-write transactions
// concurrently. Deferred SQLite transactions would fail with SQLITE_BUSY when
// two readers both try to upgrade to writers; immediate ones queue on the
// busy timeout and lose no update.
func TestSQLiteWriteTransactionsSerialise(t *testing.T) {
	s := sqltest.SQLite(t)
	ctx := context.Background()
	if err := s.PutSetting(ctx, "counter", []byte("0")); err != nil {
		t.Fatal(err)
	}
	const writers = 12
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx store.Store) error {
				v, err := tx.GetSetting(ctx, "counter")
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(string(v))
				time.Sleep(time.Millisecond) // widen the race window
				return tx.PutSetting(ctx, "counter", []byte(strconv.Itoa(n+1)))
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	v, err := s.GetSetting(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if string(v) != strconv.Itoa(writers) {
		t.Fatalf("counter = %s after %d increments", v, writers)
	}
}
