package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	src := sqltest.SQLite(t)
	f := fillStore(t, src)

	// Writers keep inserting log entries, one transaction each, while the
	// backup runs: the copy must still be one consistent database.
	stop := make(chan struct{})
	var written atomic.Int64
	var wg sync.WaitGroup
	var writeErr atomic.Pointer[error]
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := src.InsertLogs(context.Background(), []store.LogEntry{{Key: "Test.Write", Result: "Success", Payload: json.RawMessage(`{"key":"Test.Write"}`)}}); err != nil {
				writeErr.Store(&err)
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 20 && writeErr.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	err := src.Backup(ctx, path)
	close(stop)
	wg.Wait()
	if err := writeErr.Load(); err != nil {
		t.Fatalf("writer beside the backup: %v", *err)
	}
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}

	// One self-contained file, nothing else left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "backup.db" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("backup directory holds %v, want only backup.db", names)
	}
	hdr := make([]byte, 20)
	fh, err := os.Open(path)
	mustDo(t, "open backup", err)
	fh.Read(hdr)
	fh.Close()
	if string(hdr[:16]) != "SQLite format 3\x00" || hdr[18] != 1 || hdr[19] != 1 {
		t.Fatalf("backup header %q: want a SQLite database in rollback-journal mode (version bytes 1, 1)", hdr)
	}

	b := openStore(t, "sqlite:"+path)
	var check string
	mustDo(t, "integrity check", b.DB().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check))
	if check != "ok" {
		t.Fatalf("integrity_check of the backup: %s", check)
	}
	if err := b.CheckSchema(ctx); err != nil {
		t.Fatalf("backup schema: %v", err)
	}
	want, got := readBack(t, src, f), readBack(t, b, f)
	for _, key := range []string{"applications", "users", "secrets/Dashboard", "roles", "signing keys", "hooks", "sso connectors", "administrator", "console session"} {
		wj, _ := json.Marshal(want[key])
		gj, _ := json.Marshal(got[key])
		if string(wj) != string(gj) {
			t.Errorf("%s in the backup:\n%s\nwant\n%s", key, gj, wj)
		}
	}
	var copied int
	mustDo(t, "count logs", b.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM logs WHERE log_key = 'Test.Write'").Scan(&copied))
	if copied < 20 || int64(copied) > written.Load() {
		t.Fatalf("backup holds %d of the %d entries written beside it; want at least the 20 written before it started", copied, written.Load())
	}
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	src := sqltest.SQLite(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "existing.db")
	mustDo(t, "write", os.WriteFile(path, []byte("keep me"), 0o600))
	err := src.Backup(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), path) {
		t.Fatalf("backup over an existing file: %v, want a refusal naming it", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatalf("the existing file now holds %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a refused backup left %d files", len(entries))
	}
	// A directory that does not exist: an error, and nothing created.
	missing := filepath.Join(dir, "no", "such", "dir", "b.db")
	if err := src.Backup(t.Context(), missing); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no", "such", "dir")) {
		t.Fatalf("backup into a missing directory: %v", err)
	}
}

func TestBackupPostgresIsRefused(t *testing.T) {
	s, _ := sqltest.Postgres(t)
	path := filepath.Join(t.TempDir(), "b.db")
	err := s.Backup(t.Context(), path)
	if !errors.Is(err, sqlstore.ErrBackupNotSQLite) || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup of PostgreSQL: %v, want ErrBackupNotSQLite pointing at pg_dump", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused PostgreSQL backup created %s", path)
	}
}

func TestSQLiteFile(t *testing.T) {
	for _, c := range []struct {
		dsn, path string
		ok        bool
	}{
		{"sqlite:./data/gatehouse.db", "./data/gatehouse.db", true},
		{"sqlite:///var/lib/g.db", "/var/lib/g.db", true},
		{"file:/tmp/g.db?_pragma=cache_size(-4000)", "/tmp/g.db", true},
		{"SQLite:rel.db", "rel.db", true},
		{"sqlite:", "", false},
		{"postgres://u:p@h/db", "", false},
		{"", "", false},
	} {
		path, ok := sqlstore.SQLiteFile(c.dsn)
		if path != c.path || ok != c.ok {
			t.Errorf("SQLiteFile(%q) = %q, %v; want %q, %v", c.dsn, path, ok, c.path, c.ok)
		}
	}
}
