package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

// The user benchmarks run against 100,000 users, the size the admin console
// must stay responsive at:
//
//	go test -run - -bench Users -benchtime 200x ./internal/store/sqlstore
//
// Each case reports the median and 99th percentile latency of its
// iterations (p50-ms, p99-ms) besides the mean (ns/op). Before measuring,
// the benchmark checks that the prefix search and the deep page read an
// index rather than the whole table; go test -v prints the plans.

const benchUsers = 100_000

func BenchmarkUsersSQLite(b *testing.B) { benchmarkUsers(b, sqltest.SQLite(b)) }

func BenchmarkUsersPostgres(b *testing.B) {
	s, _ := sqltest.Postgres(b)
	benchmarkUsers(b, s)
}

// loadUsers inserts benchUsers users in one transaction, 50 to a
// statement, which takes a few seconds on either database.
func loadUsers(b *testing.B, s *sqlstore.Store) {
	ctx := context.Background()
	start := time.Now()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	if s.Dialect() == "sqlite" {
		// SQLite's default 2 MiB page cache thrashes on four indexes.
		if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
			b.Fatal(err)
		}
	}
	const batch = 50 // larger statements are slower on SQLite
	for first := 0; first < benchUsers; first += batch {
		var sql strings.Builder
		sql.WriteString(`INSERT INTO users (id, username, primary_email, name, created_at, updated_at) VALUES `)
		var vals []any
		for i := first; i < first+batch && i < benchUsers; i++ {
			if i > first {
				sql.WriteString(", ")
			}
			n := len(vals)
			fmt.Fprintf(&sql, "($%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6)
			at := 1_700_000_000_000 + int64(i)
			vals = append(vals, fmt.Sprintf("u%011d", i), fmt.Sprintf("user%d", i),
				fmt.Sprintf("person%d@example%d.com", i, i%100), fmt.Sprintf("Person %d", i), at, at)
		}
		if _, err := tx.ExecContext(ctx, sql.String(), vals...); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	// A database that has been running has statistics and (PostgreSQL) a
	// visibility map; a fresh bulk load has neither until autovacuum runs.
	maintenance := "ANALYZE"
	if s.Dialect() == "postgres" {
		maintenance = "VACUUM ANALYZE users"
	}
	if _, err := s.DB().ExecContext(ctx, maintenance); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: loaded %d users in %v", s.Dialect(), benchUsers, time.Since(start).Round(time.Millisecond))
}

func benchmarkUsers(b *testing.B, s *sqlstore.Store) {
	ctx := context.Background()
	loadUsers(b, s)

	emailPrefix := store.UserFilter{Matches: []store.UserMatch{
		{Field: store.UserPrimaryEmail, Mode: store.MatchLike, Values: []string{"Person4242@%"}}}}
	emailExact := store.UserFilter{Matches: []store.UserMatch{
		{Field: store.UserPrimaryEmail, Mode: store.MatchExact, Values: []string{"PERSON4242@example42.com"}}}}
	substring := store.UserFilter{Matches: []store.UserMatch{
		{Mode: store.MatchLike, Values: []string{"%example7%"}}}}
	deepPage := store.Page{Page: 500, PageSize: 100}
	first := store.Page{Page: 1, PageSize: 20}

	// The plans must read an index, not the table: the page query must use
	// want, and neither statement may scan the table.
	for _, c := range []struct {
		name   string
		filter store.UserFilter
		page   store.Page
		want   string
	}{
		{"email prefix", emailPrefix, first, planIndex(s, "users_primary_email_key", "users_primary_email_c_idx")},
		{"page 500", store.UserFilter{}, deepPage, "users_created_at_idx"},
	} {
		plans, err := s.ExplainSearchUsers(ctx, c.filter, c.page)
		if err != nil {
			b.Fatal(err)
		}
		for i, p := range plans {
			b.Logf("%s plan (%s):\n%s", s.Dialect(), c.name, p)
			if i == len(plans)-1 && !strings.Contains(p, c.want) {
				b.Fatalf("%s: plan does not use %s:\n%s", c.name, c.want, p)
			}
			if scansUsers(p) {
				b.Fatalf("%s: plan scans the table:\n%s", c.name, p)
			}
		}
	}

	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t := time.Now()
				if err := fn(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			slices.Sort(lat)
			ms := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Nanoseconds()) / 1e6
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
	expect := func(users []store.User, total, wantLen, wantTotal int, err error) error {
		if err != nil {
			return err
		}
		if len(users) != wantLen || total != wantTotal {
			return fmt.Errorf("%d users of %d, want %d of %d", len(users), total, wantLen, wantTotal)
		}
		return nil
	}

	run("SearchEmailPrefix", func() error {
		users, total, err := s.SearchUsers(ctx, emailPrefix, first)
		return expect(users, total, 1, 1, err)
	})
	run("SearchEmailExact", func() error {
		users, total, err := s.SearchUsers(ctx, emailExact, first)
		return expect(users, total, 1, 1, err)
	})
	run("Page500x100", func() error {
		users, total, err := s.SearchUsers(ctx, store.UserFilter{}, deepPage)
		if err == nil && users[0].ID != fmt.Sprintf("u%011d", 499*100) {
			return fmt.Errorf("page 500 starts at %s", users[0].ID)
		}
		return expect(users, total, 100, benchUsers, err)
	})
	run("FirstPage", func() error {
		users, total, err := s.SearchUsers(ctx, store.UserFilter{}, first)
		return expect(users, total, 20, benchUsers, err)
	})
	run("SearchSubstring", func() error {
		users, total, err := s.SearchUsers(ctx, substring, first)
		return expect(users, total, 20, 11000, err)
	})
	run("ListUsersLastPage", func() error {
		users, total, err := s.ListUsers(ctx, "", store.Page{Page: benchUsers / 20, PageSize: 20})
		return expect(users, total, 20, benchUsers, err)
	})
	run("FindByEmail", func() error {
		_, err := s.FindUserByIdentifier(ctx, store.ByEmail, "PERSON4242@example42.com")
		return err
	})
}

// planIndex names the index a plan must use on SQLite and on PostgreSQL.
func planIndex(s *sqlstore.Store, sqlite, postgres string) string {
	if s.Dialect() == "sqlite" {
		return sqlite
	}
	return postgres
}

// scansUsers tells whether a plan reads the whole users table.
func scansUsers(plan string) bool {
	for _, line := range strings.Split(plan, "\n") {
		line = strings.TrimSpace(line)
		if line == "SCAN users" || strings.Contains(line, "Seq Scan on users") {
			return true
		}
	}
	return false
}
