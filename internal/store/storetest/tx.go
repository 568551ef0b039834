package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testTransactions(t *testing.T, s store.Store) {
	ctx := t.Context()
	errBoom := errors.New("boom")

	absent := func(t *testing.T, appID string) {
		t.Helper()
		_, err := s.GetApplication(ctx, appID)
		wantNotFound(t, err)
	}
	present := func(t *testing.T, appID string) {
		t.Helper()
		_, err := s.GetApplication(ctx, appID)
		must(t, err)
	}

	t.Run("commit", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "tx", Type: store.SPA, CreatedAt: base}
		u := fullUser()
		err := s.InTx(ctx, func(tx store.Store) error {
			if err := tx.CreateApplication(ctx, &app); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if _, err := tx.GetApplication(ctx, app.ID); err != nil {
				return err
			}
			return tx.CreateUser(ctx, &u)
		})
		must(t, err)
		present(t, app.ID)
		_, err = s.GetUser(ctx, u.ID)
		must(t, err)
	})

	t.Run("error rolls back", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "tx", Type: store.SPA, CreatedAt: base}
		err := s.InTx(ctx, func(tx store.Store) error {
			if err := tx.CreateApplication(ctx, &app); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		absent(t, app.ID)
	})

	t.Run("store error rolls back earlier writes", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "tx", Type: store.SPA, CreatedAt: base}
		err := s.InTx(ctx, func(tx store.Store) error {
			if err := tx.CreateApplication(ctx, &app); err != nil {
				return err
			}
			dup := app
			return tx.CreateApplication(ctx, &dup)
		})
		wantConflict(t, err, "id")
		absent(t, app.ID)
	})

	t.Run("panic rolls back and propagates", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "tx", Type: store.SPA, CreatedAt: base}
		func() {
			defer func() {
				if r := recover(); r != errBoom {
					t.Fatalf("recovered %v, want the panic value", r)
				}
			}()
			_ = s.InTx(ctx, func(tx store.Store) error {
				if err := tx.CreateApplication(ctx, &app); err != nil {
					return err
				}
				panic(errBoom)
			})
			t.Fatal("InTx returned after a panic")
		}()
		absent(t, app.ID)
		// The store is still usable: the connection was released.
		must(t, s.PutSetting(ctx, "after-panic", []byte(`{}`)))
	})

	t.Run("nested InTx joins the outer transaction", func(t *testing.T) {
		outer := store.Application{ID: newID(), Name: "outer", Type: store.SPA, CreatedAt: base}
		inner := store.Application{ID: newID(), Name: "inner", Type: store.SPA, CreatedAt: base}
		err := s.InTx(ctx, func(tx store.Store) error {
			if err := tx.CreateApplication(ctx, &outer); err != nil {
				return err
			}
			if err := tx.InTx(ctx, func(tx2 store.Store) error {
				return tx2.CreateApplication(ctx, &inner)
			}); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		absent(t, outer.ID)
		absent(t, inner.ID) // the inner "commit" was the outer transaction's
	})

	t.Run("uncommitted writes are invisible outside", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "hidden", Type: store.SPA, CreatedAt: base}
		err := s.InTx(ctx, func(tx store.Store) error {
			if err := tx.CreateApplication(ctx, &app); err != nil {
				return err
			}
			_, err := s.GetApplication(ctx, app.ID)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("outside the transaction: error %v, want store.ErrNotFound", err)
			}
			return nil
		})
		must(t, err)
		present(t, app.ID)
	})

	t.Run("cancelled context rolls back", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "cancelled", Type: store.SPA, CreatedAt: base}
		cctx, cancel := context.WithCancel(ctx)
		err := s.InTx(cctx, func(tx store.Store) error {
			if err := tx.CreateApplication(cctx, &app); err != nil {
				return err
			}
			cancel()
			return nil
		})
		if err == nil {
			t.Fatal("InTx committed after its context was cancelled")
		}
		absent(t, app.ID)
	})
}

func testSchemaVersion(t *testing.T, s store.Store) {
	applied, latest, err := s.SchemaVersion(t.Context())
	must(t, err)
	if latest < 1 || applied != latest {
		t.Fatalf("schema version %d of %d, want a migrated store", applied, latest)
	}
	err = s.InTx(t.Context(), func(tx store.Store) error {
		a, l, err := tx.SchemaVersion(t.Context())
		if err == nil && (a != applied || l != latest) {
			t.Errorf("inside a transaction: %d of %d, want %d of %d", a, l, applied, latest)
		}
		return err
	})
	must(t, err)
}
