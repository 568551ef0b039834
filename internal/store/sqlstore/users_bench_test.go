package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

// The user benchmarks run against 100,000 users, the size the admin console
// must stay responsive at: go test -run - -bench Users ./internal/store/sqlstore

const benchUsers = 100_000

func BenchmarkUsersSQLite(b *testing.B) { benchmarkUsers(b, sqltest.SQLite(b)) }

func BenchmarkUsersPostgres(b *testing.B) {
	s, _ := sqltest.Postgres(b)
	benchmarkUsers(b, s)
}

func benchmarkUsers(b *testing.B, s *sqlstore.Store) {
	ctx := context.Background()
	err := s.InTx(ctx, func(tx store.Store) error {
		for i := range benchUsers {
			u := store.User{
				ID:           fmt.Sprintf("u%011d", i),
				Username:     fmt.Sprintf("user%d", i),
				PrimaryEmail: fmt.Sprintf("person%d@example%d.com", i, i%100),
				Name:         fmt.Sprintf("Person %d", i),
				CreatedAt:    1_700_000_000_000 + int64(i),
			}
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}

	b.Run("FirstPage", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.ListUsers(ctx, "", store.Page{Page: 1, PageSize: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LastPage", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.ListUsers(ctx, "", store.Page{Page: benchUsers / 20, PageSize: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SearchEmailPrefix", func(b *testing.B) {
		for b.Loop() {
			users, total, err := s.ListUsers(ctx, "person4242@", store.Page{Page: 1, PageSize: 20})
			if err != nil || total != 1 || len(users) != 1 {
				b.Fatalf("%d users of %d, %v", len(users), total, err)
			}
		}
	})
	b.Run("SearchCommon", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.ListUsers(ctx, "example7", store.Page{Page: 1, PageSize: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindByEmail", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.FindUserByIdentifier(ctx, store.ByEmail, "PERSON4242@example42.com"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
