package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
)

// testMigrations checks Migrate, SchemaVersion and CheckSchema on the empty
// database at dsn.
func testMigrations(t *testing.T, dsn string) {
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	applied, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if applied != 0 || latest < 1 {
		t.Fatalf("fresh database: version %d of %d, want 0 of at least 1", applied, latest)
	}
	var sv *sqlstore.SchemaVersionError
	if err := s.CheckSchema(ctx); !errors.As(err, &sv) || sv.Applied != 0 {
		t.Fatalf("CheckSchema on a fresh database: %v, want a SchemaVersionError for version 0", err)
	}

	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after migrating: %v", err)
	}
	var rows int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != latest {
		t.Fatalf("schema_migrations has %d rows after migrating twice, want %d", rows, latest)
	}

	// A newer binary has been here.
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, latest+1); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("database schema version %d is newer than this gatehouse binary supports (%d); upgrade gatehouse", latest+1, latest)
	for name, check := range map[string]func(context.Context) error{"Migrate": s.Migrate, "CheckSchema": s.CheckSchema} {
		err := check(ctx)
		if err == nil || err.Error() != want {
			t.Fatalf("%s on a newer schema: %v, want %q", name, err, want)
		}
		if !errors.As(err, &sv) || sv.Applied != latest+1 || sv.Supported != latest {
			t.Fatalf("%s on a newer schema: %#v, want a SchemaVersionError", name, err)
		}
	}
	var after int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != latest+1 {
		t.Fatalf("Migrate touched a newer schema: %d rows, want %d", after, latest+1)
	}
}

// testConcurrentMigrate migrates the empty database at dsn from several
// processes' worth of connection pools at once.
func testConcurrentMigrate(t *testing.T, dsn string) {
	ctx := context.Background()
	const migrators = 4
	stores := make([]*sqlstore.Store, migrators)
	for i := range stores {
		s, err := sqlstore.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	errs := make([]error, migrators)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Go(func() {
			<-start
			errs[i] = s.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	applied, latest, err := stores[0].SchemaVersion(ctx)
	if err != nil || applied != latest {
		t.Fatalf("after concurrent migrations: version %d of %d (%v)", applied, latest, err)
	}
}
