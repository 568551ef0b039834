package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

// BenchmarkCopyUsers measures `gatehouse db copy` on the bulk of a real
// database: 100,000 users from SQLite into a fresh PostgreSQL database,
// reported as rows per second.
func BenchmarkCopyUsers(b *testing.B) {
	sqltest.SkipPostgres(b)
	src := sqltest.SQLite(b)
	loadUsers(b, src)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		target := sqltest.PostgresDSN(b)
		b.StartTimer()
		start := time.Now()
		counts, err := src.CopyTo(context.Background(), target)
		if err != nil {
			b.Fatal(err)
		}
		if counts["users"] != benchUsers {
			b.Fatalf("copied %d users, want %d", counts["users"], benchUsers)
		}
		b.ReportMetric(float64(benchUsers)/time.Since(start).Seconds(), "users/s")
	}
}

// BenchmarkBackupUsers measures `gatehouse db backup` of a SQLite
// database holding 100,000 users.
func BenchmarkBackupUsers(b *testing.B) {
	src := sqltest.SQLite(b)
	loadUsers(b, src)
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		if err := src.Backup(context.Background(), fmt.Sprintf("%s/backup-%d.db", dir, i)); err != nil {
			b.Fatal(err)
		}
	}
}
