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

// testConsoleAdministrators lists, updates and deletes administrators and
// ends their sessions.
func testConsoleAdministrators(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListAdministrators(ctx)
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("a fresh store lists %#v, want an empty list", list)
	}
	root := &store.Administrator{Username: "root", PasswordHash: "$argon2id$root", CreatedAt: base + 2}
	alice := &store.Administrator{Username: "Alice", PasswordHash: "$argon2id$alice", CreatedAt: base + 1}
	bob := &store.Administrator{Username: "bob", PasswordHash: "$argon2id$bob", CreatedAt: base + 3, LastSignInAt: base + 4}
	for _, a := range []*store.Administrator{root, alice, bob} {
		must(t, s.CreateAdministrator(ctx, a))
	}
	list, err = s.ListAdministrators(ctx)
	must(t, err)
	var names []string
	for _, a := range list {
		names = append(names, a.Username)
	}
	if fmt.Sprint(names) != "[Alice bob root]" {
		t.Fatalf("listed %v, want them by username ignoring case", names)
	}
	if got := list[1]; got.ID != bob.ID || got.PasswordHash != bob.PasswordHash || got.CreatedAt != base+3 || got.LastSignInAt != base+4 {
		t.Fatalf("listed %+v, want %+v", got, bob)
	}

	// Password updates.
	must(t, s.UpdateAdministratorPassword(ctx, alice.ID, "$argon2id$new"))
	got, err := s.GetAdministrator(ctx, alice.ID)
	must(t, err)
	if got.PasswordHash != "$argon2id$new" || got.Username != "Alice" || got.CreatedAt != base+1 || got.LastSignInAt != 0 {
		t.Fatalf("after a password update: %+v", got)
	}
	wantNotFound(t, s.UpdateAdministratorPassword(ctx, "missing", "x"))

	// Ending an administrator's sessions, all or all but one.
	digest := func(token string) []byte { d := sha256.Sum256([]byte(token)); return d[:] }
	session := func(token, adminID string) {
		t.Helper()
		must(t, s.CreateConsoleSession(ctx, &store.ConsoleSession{TokenDigest: digest(token), AdministratorID: adminID,
			CSRFSecret: "x", CreatedAt: base, LastSeenAt: base, ExpiresAt: base + 10_000}))
	}
	alive := func(token string) bool {
		t.Helper()
		_, err := s.GetConsoleSession(ctx, digest(token), base+1)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	for _, tok := range []string{"alice-1", "alice-2", "alice-3"} {
		session(tok, alice.ID)
	}
	session("bob-1", bob.ID)
	session("bob-2", bob.ID)
	session("root-1", root.ID)
	n, err := s.DeleteConsoleSessionsOf(ctx, alice.ID, digest("alice-2"))
	must(t, err)
	if n != 2 || alive("alice-1") || !alive("alice-2") || alive("alice-3") || !alive("bob-1") || !alive("root-1") {
		t.Fatalf("ending alice's other sessions ended %d", n)
	}
	n, err = s.DeleteConsoleSessionsOf(ctx, alice.ID, nil)
	must(t, err)
	if n != 1 || alive("alice-2") || !alive("bob-1") {
		t.Fatalf("ending all of alice's sessions ended %d", n)
	}
	if n, err = s.DeleteConsoleSessionsOf(ctx, "missing", nil); err != nil || n != 0 {
		t.Fatalf("ending the sessions of no one: %d %v", n, err)
	}

	// Deleting ends the administrator's sessions and no one else's.
	must(t, s.DeleteAdministrator(ctx, bob.ID))
	_, err = s.GetAdministrator(ctx, bob.ID)
	wantNotFound(t, err)
	if alive("bob-1") || alive("bob-2") || !alive("root-1") {
		t.Fatal("deleting bob did not end exactly bob's sessions")
	}
	wantNotFound(t, s.DeleteAdministrator(ctx, bob.ID))
	wantNotFound(t, s.DeleteAdministrator(ctx, "missing"))
	// The username is free again.
	must(t, s.CreateAdministrator(ctx, &store.Administrator{Username: "BOB", PasswordHash: "x"}))
	must(t, s.DeleteAdministrator(ctx, alice.ID))
	again, err := s.GetAdministratorByUsername(ctx, "bob")
	must(t, err)
	must(t, s.DeleteAdministrator(ctx, again.ID))

	// The last one stays, sessions and all.
	if err := s.DeleteAdministrator(ctx, root.ID); !errors.Is(err, store.ErrLastAdministrator) {
		t.Fatalf("deleting the last administrator: %v, want ErrLastAdministrator", err)
	}
	if n, _ := s.CountAdministrators(ctx); n != 1 || !alive("root-1") {
		t.Fatalf("%d administrators after refusing to delete the last", n)
	}
	// An unknown id is not found even with one administrator left.
	wantNotFound(t, s.DeleteAdministrator(ctx, "missing"))
}

// testConsoleDeleteRace has two administrators delete each other at once,
// from many goroutines: one of them must remain.
func testConsoleDeleteRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := &store.Administrator{Username: "a", PasswordHash: "x"}
	b := &store.Administrator{Username: "b", PasswordHash: "x"}
	must(t, s.CreateAdministrator(ctx, a))
	must(t, s.CreateAdministrator(ctx, b))
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		target := a.ID
		if i%2 == 1 {
			target = b.ID
		}
		wg.Go(func() {
			<-start
			errs[i] = s.DeleteAdministrator(ctx, target)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrLastAdministrator) && !errors.Is(err, store.ErrNotFound):
			t.Fatalf("a losing DeleteAdministrator failed with %v, want ErrLastAdministrator or ErrNotFound", err)
		}
	}
	count, err := s.CountAdministrators(ctx)
	must(t, err)
	if won != 1 || count != 1 {
		t.Fatalf("%d deletes won and %d administrators are left, want exactly one of each", won, count)
	}
}
