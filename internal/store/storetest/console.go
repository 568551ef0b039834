package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testConsole(t *testing.T, s store.Store) {
	ctx := t.Context()
	n, err := s.CountAdministrators(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("a fresh store has %d administrators", n)
	}
	first := &store.Administrator{Username: "Root", PasswordHash: "$argon2id$first", CreatedAt: base}
	must(t, s.CreateFirstAdministrator(ctx, first))
	if len(first.ID) != 21 {
		t.Fatalf("administrator id %q, want 21 characters", first.ID)
	}
	second := &store.Administrator{Username: "other", PasswordHash: "$argon2id$second"}
	if err := s.CreateFirstAdministrator(ctx, second); !errors.Is(err, store.ErrAdministratorExists) {
		t.Fatalf("a second first administrator: %v, want ErrAdministratorExists", err)
	}
	if n, _ := s.CountAdministrators(ctx); n != 1 {
		t.Fatalf("%d administrators after a refused second first administrator", n)
	}
	// Usernames are unique whatever their case.
	wantConflict(t, s.CreateAdministrator(ctx, &store.Administrator{Username: "rOOT", PasswordHash: "x"}), "username")
	must(t, s.CreateAdministrator(ctx, second))
	if second.CreatedAt == 0 {
		t.Fatal("CreatedAt was not filled in")
	}

	got, err := s.GetAdministratorByUsername(ctx, "ROOT")
	must(t, err)
	if got.ID != first.ID || got.Username != "Root" || got.PasswordHash != "$argon2id$first" || got.CreatedAt != base || got.LastSignInAt != 0 {
		t.Fatalf("by username: %+v", got)
	}
	_, err = s.GetAdministratorByUsername(ctx, "nobody")
	wantNotFound(t, err)
	_, err = s.GetAdministrator(ctx, "missing")
	wantNotFound(t, err)

	must(t, s.SetAdministratorSignIn(ctx, first.ID, base+5, ""))
	got, err = s.GetAdministrator(ctx, first.ID)
	must(t, err)
	if got.LastSignInAt != base+5 || got.PasswordHash != "$argon2id$first" {
		t.Fatalf("after a sign-in without rehash: %+v", got)
	}
	must(t, s.SetAdministratorSignIn(ctx, first.ID, base+6, "$argon2id$rehashed"))
	got, _ = s.GetAdministrator(ctx, first.ID)
	if got.LastSignInAt != base+6 || got.PasswordHash != "$argon2id$rehashed" {
		t.Fatalf("after a sign-in with rehash: %+v", got)
	}
	wantNotFound(t, s.SetAdministratorSignIn(ctx, "missing", base, ""))

	// Sessions.
	digest := func(token string) []byte { d := sha256.Sum256([]byte(token)); return d[:] }
	live := &store.ConsoleSession{TokenDigest: digest("a"), AdministratorID: first.ID, CSRFSecret: "csrf-a",
		CreatedAt: base, LastSeenAt: base, ExpiresAt: base + 1000}
	must(t, s.CreateConsoleSession(ctx, live))
	cs, err := s.GetConsoleSession(ctx, digest("a"), base+10)
	must(t, err)
	if !bytes.Equal(cs.TokenDigest, live.TokenDigest) || cs.AdministratorID != first.ID || cs.CSRFSecret != "csrf-a" ||
		cs.CreatedAt != base || cs.LastSeenAt != base || cs.ExpiresAt != base+1000 {
		t.Fatalf("session: %+v", cs)
	}
	_, err = s.GetConsoleSession(ctx, digest("a"), base+1000)
	wantNotFound(t, err) // expired at its ExpiresAt
	_, err = s.GetConsoleSession(ctx, digest("b"), base)
	wantNotFound(t, err)
	wantNotFound(t, s.CreateConsoleSession(ctx, &store.ConsoleSession{TokenDigest: digest("c"), AdministratorID: "missing",
		CSRFSecret: "x", CreatedAt: base, LastSeenAt: base, ExpiresAt: base + 1}))

	must(t, s.TouchConsoleSession(ctx, digest("a"), base+50))
	cs, _ = s.GetConsoleSession(ctx, digest("a"), base+60)
	if cs.LastSeenAt != base+50 {
		t.Fatalf("LastSeenAt = %d after touch", cs.LastSeenAt)
	}
	wantNotFound(t, s.TouchConsoleSession(ctx, digest("b"), base))

	// Cleanup removes expired and idle sessions only.
	idle := &store.ConsoleSession{TokenDigest: digest("idle"), AdministratorID: second.ID, CSRFSecret: "x", CreatedAt: base, LastSeenAt: base + 1, ExpiresAt: base + 5000}
	expired := &store.ConsoleSession{TokenDigest: digest("expired"), AdministratorID: second.ID, CSRFSecret: "x", CreatedAt: base, LastSeenAt: base + 90, ExpiresAt: base + 100}
	must(t, s.CreateConsoleSession(ctx, idle))
	must(t, s.CreateConsoleSession(ctx, expired))
	deleted, err := s.DeleteConsoleSessionsBefore(ctx, base+100, base+20)
	must(t, err)
	if deleted != 2 {
		t.Fatalf("cleanup deleted %d sessions, want the idle and the expired one", deleted)
	}
	_, err = s.GetConsoleSession(ctx, digest("a"), base+60)
	must(t, err)

	must(t, s.DeleteConsoleSession(ctx, digest("a")))
	_, err = s.GetConsoleSession(ctx, digest("a"), base+60)
	wantNotFound(t, err)
	wantNotFound(t, s.DeleteConsoleSession(ctx, digest("a")))
}

// testConsoleFirstRace creates the first administrator from many
// goroutines at once, as concurrent /setup posts on several processes do:
// exactly one may win.
func testConsoleFirstRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			errs[i] = s.CreateFirstAdministrator(ctx, &store.Administrator{Username: fmt.Sprintf("admin%d", i), PasswordHash: "x"})
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrAdministratorExists):
			t.Fatalf("a losing CreateFirstAdministrator failed with %v, want ErrAdministratorExists", err)
		}
	}
	count, err := s.CountAdministrators(ctx)
	must(t, err)
	if won != 1 || count != 1 {
		t.Fatalf("%d callers won and %d administrators exist, want exactly one", won, count)
	}
}
