package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-auth/gatehouse/internal/store/storetest"
)

// These tests need a PostgreSQL server: GATEHOUSE_TEST_POSTGRES, by default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. They fail
// when it is unreachable unless GATEHOUSE_SKIP_POSTGRES=1.

func TestPostgres(t *testing.T) {
	sqltest.SkipPostgres(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := sqltest.Postgres(t)
		if s.Dialect() != "postgres" {
			t.Fatalf("dialect %q, want postgres", s.Dialect())
		}
		return s
	})
}

func TestPostgresMigrations(t *testing.T) {
	testMigrations(t, sqltest.PostgresDSN(t))
}

func TestPostgresConcurrentMigrate(t *testing.T) {
	testConcurrentMigrate(t, sqltest.PostgresDSN(t))
}

func TestPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Port 1 is never PostgreSQL: Open must fail at once, not at first use.
	_, err := sqlstore.Open(ctx, "postgres://postgres:s3cret@127.0.0.1:1/gatehouse?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("Open succeeded on a closed port")
	}
	if !strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("error %q does not say PostgreSQL", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q shows the password", err)
	}
}
