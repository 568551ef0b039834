package storetest

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()

	t.Run("empty ring", func(t *testing.T) {
		got, err := s.ListSigningKeys(ctx)
		must(t, err)
		wantEqual(t, "keys", got, []store.SigningKey{})
	})

	newer := store.SigningKey{ID: "kid-b", Algorithm: "ES256", Sealed: "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n",
		CreatedAt: base + 2, NotBefore: base + 3}
	older := store.SigningKey{ID: "kid-a", Algorithm: "RS256", Sealed: "sealed:xyz", CreatedAt: base + 1, NotBefore: base + 1, RetiredAt: 0}
	must(t, s.CreateSigningKey(ctx, &newer))
	must(t, s.CreateSigningKey(ctx, &older))

	t.Run("round trip in creation order", func(t *testing.T) {
		got, err := s.ListSigningKeys(ctx)
		must(t, err)
		wantEqual(t, "keys", got, []store.SigningKey{older, newer})
	})

	t.Run("duplicate id", func(t *testing.T) {
		dup := store.SigningKey{ID: older.ID, Algorithm: "ES384", Sealed: "x", CreatedAt: base}
		wantConflict(t, s.CreateSigningKey(ctx, &dup), "id")
	})

	t.Run("retire once", func(t *testing.T) {
		must(t, s.RetireSigningKey(ctx, older.ID, base+100))
		must(t, s.RetireSigningKey(ctx, older.ID, base+200)) // keeps the first time
		got, err := s.ListSigningKeys(ctx)
		must(t, err)
		retired := older
		retired.RetiredAt = base + 100
		wantEqual(t, "keys", got, []store.SigningKey{retired, newer})
		wantNotFound(t, s.RetireSigningKey(ctx, "missing", base))
	})

	t.Run("created retired", func(t *testing.T) {
		k := store.SigningKey{ID: "kid-c", Algorithm: "ES256", Sealed: "x", CreatedAt: base + 3, RetiredAt: base + 4}
		must(t, s.CreateSigningKey(ctx, &k))
		must(t, s.RetireSigningKey(ctx, k.ID, base+300))
		got, err := s.ListSigningKeys(ctx)
		must(t, err)
		wantEqual(t, "retired at", got[2].RetiredAt, base+4)
		must(t, s.DeleteSigningKey(ctx, k.ID))
	})

	t.Run("fills in creation time", func(t *testing.T) {
		k := store.SigningKey{ID: "kid-auto", Algorithm: "ES256", Sealed: "x"}
		must(t, s.CreateSigningKey(ctx, &k))
		if k.CreatedAt == 0 {
			t.Fatal("creation time not filled in")
		}
		must(t, s.DeleteSigningKey(ctx, k.ID))
	})

	t.Run("delete", func(t *testing.T) {
		must(t, s.DeleteSigningKey(ctx, older.ID))
		wantNotFound(t, s.DeleteSigningKey(ctx, older.ID))
		got, err := s.ListSigningKeys(ctx)
		must(t, err)
		wantEqual(t, "keys", got, []store.SigningKey{newer})
	})
}
