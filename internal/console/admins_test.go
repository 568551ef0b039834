package console_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/console"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func TestCheckDeleteAdministrator(t *testing.T) {
	for _, tc := range []struct {
		actor, target string
		count         int
		want          error
	}{
		{"a", "b", 2, nil},
		{"a", "b", 5, nil},
		{"a", "a", 2, console.ErrDeleteSelf},
		{"a", "a", 1, console.ErrDeleteSelf},
		{"a", "b", 1, store.ErrLastAdministrator},
		{"a", "b", 0, store.ErrLastAdministrator},
	} {
		if got := console.CheckDeleteAdministrator(tc.actor, tc.target, tc.count); !errors.Is(got, tc.want) || (tc.want == nil && got != nil) {
			t.Errorf("CheckDeleteAdministrator(%q, %q, %d) = %v, want %v", tc.actor, tc.target, tc.count, got, tc.want)
		}
	}
}

func TestPasswordChangeCheck(t *testing.T) {
	hash, err := password.Hash(adminPassword, cheap)
	if err != nil {
		t.Fatal(err)
	}
	const next = "another long password"
	for _, tc := range []struct {
		name         string
		change       console.PasswordChange
		fields       []string
		wrongCurrent bool
	}{
		{"ok", console.PasswordChange{adminPassword, next, next}, nil, false},
		{"empty", console.PasswordChange{}, []string{"currentPassword", "newPassword"}, false},
		{"wrong current", console.PasswordChange{"not the password", next, next}, []string{"currentPassword"}, true},
		{"too long current", console.PasswordChange{strings.Repeat("x", 1025), next, next}, []string{"currentPassword"}, true},
		{"short", console.PasswordChange{adminPassword, "elevenchars", "elevenchars"}, []string{"newPassword"}, false},
		{"too long", console.PasswordChange{adminPassword, strings.Repeat("x", 1025), strings.Repeat("x", 1025)}, []string{"newPassword"}, false},
		{"mismatch", console.PasswordChange{adminPassword, next, next + "!"}, []string{"confirmPassword"}, false},
		{"no confirmation", console.PasswordChange{adminPassword, next, ""}, []string{"confirmPassword"}, false},
		{"unchanged", console.PasswordChange{adminPassword, adminPassword, adminPassword}, []string{"newPassword"}, false},
		{"all wrong", console.PasswordChange{"not the password", "short", "shorter"}, []string{"confirmPassword", "currentPassword", "newPassword"}, true},
	} {
		problems, wrong := tc.change.Check(hash)
		var fields []string
		for f, msg := range problems {
			if msg == "" {
				t.Errorf("%s: an empty message on %s", tc.name, f)
			}
			fields = append(fields, f)
		}
		slices.Sort(fields)
		if strings.Join(fields, ",") != strings.Join(tc.fields, ",") || wrong != tc.wrongCurrent {
			t.Errorf("%s: problems %v, wrong current %v; want problems on %v, wrong current %v", tc.name, problems, wrong, tc.fields, tc.wrongCurrent)
		}
	}
	// A hash that cannot be checked is a wrong current password, not a
	// way in.
	if problems, wrong := (console.PasswordChange{adminPassword, next, next}).Check("not a hash"); !wrong || problems["currentPassword"] == "" {
		t.Fatalf("with a broken hash: %v %v", problems, wrong)
	}
}

// signIn signs username in on a new client.
func (s *site) signIn(t *testing.T, username, pw string) *client {
	t.Helper()
	c := s.client(t)
	token := c.csrf("/sign-in")
	wantRedirect(t, c.post("/sign-in", url.Values{"csrf": {token}, "username": {username}, "password": {pw}}), 303, "/")
	return c
}

func (s *site) admin(t *testing.T, username string) *store.Administrator {
	t.Helper()
	a, err := s.Store.GetAdministratorByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("administrator %s: %v", username, err)
	}
	return a
}

func TestAddAdministrator(t *testing.T) {
	s := newSite(t)
	c := s.setUp(t)
	ctx := context.Background()
	p := c.get("/administrators")
	if p.status != 200 || !strings.Contains(p.body, `<a href="/administrators" aria-current="page">Administrators</a>`) ||
		!strings.Contains(p.body, `root <span class="badge">you</span>`) || strings.Contains(p.body, "/delete") {
		t.Fatalf("administrators page: %d %.3000s", p.status, p.body)
	}
	token := c.csrf("/administrators/new")
	count := func() int {
		n, err := s.Store.CountAdministrators(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Refused without the token and from another site.
	form := url.Values{"username": {"alice"}, "password": {"alice's long password"}}
	if p := c.post("/administrators/new", form); p.status != 403 {
		t.Fatalf("add without token: %d", p.status)
	}
	form.Set("csrf", token)
	c.site = "cross-site"
	if p := c.post("/administrators/new", form); p.status != 403 {
		t.Fatalf("cross-site add: %d", p.status)
	}
	c.site = "same-origin"

	// Errors next to the fields; nothing saved.
	for _, tc := range []struct{ username, password, field string }{
		{"alice", "short", "password"},
		{"", "alice's long password", "username"},
		{"has space", "alice's long password", "username"},
		{"ROOT", "alice's long password", "username"},
	} {
		p := c.post("/administrators/new", url.Values{"csrf": {token}, "username": {tc.username}, "password": {tc.password}})
		if p.status/100 != 4 || !strings.Contains(p.body, `class="field-error" id="`+tc.field+`-error"`) ||
			!regexp.MustCompile(`id="`+tc.field+`"[^>]*aria-invalid="true"`).MatchString(p.body) ||
			strings.Contains(p.body, tc.password) {
			t.Fatalf("add %q/%q: %d %.2000s", tc.username, tc.password, p.status, p.body)
		}
		if tc.username == "ROOT" && (p.status != 409 || !strings.Contains(p.body, "An administrator with this username exists") ||
			!strings.Contains(p.body, `value="ROOT"`)) {
			t.Fatalf("duplicate username: %d %.2000s", p.status, p.body)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d administrators after refused adds", n)
	}

	wantRedirect(t, c.post("/administrators/new", form), 303, "/administrators")
	p = c.get("/administrators")
	alice := s.admin(t, "alice")
	if !strings.Contains(p.body, "Administrator alice added.") || !strings.Contains(p.body, `href="/administrators/`+alice.ID+`/delete"`) {
		t.Fatalf("after adding alice: %.3000s", p.body)
	}
	if ok, err := password.Verify("alice's long password", alice.PasswordHash, password.Argon2id); !ok || err != nil ||
		!strings.HasPrefix(alice.PasswordHash, "$argon2id$") {
		t.Fatalf("alice's hash %q does not verify: %v %v", alice.PasswordHash, ok, err)
	}
	s.signIn(t, "alice", "alice's long password")
}

func TestDeleteAdministrator(t *testing.T) {
	s := newSite(t)
	root := s.setUp(t)
	ctx := context.Background()
	rootAdmin := s.admin(t, "root")
	other, err := console.NewAdministrator("other", "other's long password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.CreateAdministrator(ctx, other); err != nil {
		t.Fatal(err)
	}
	o1 := s.signIn(t, "other", "other's long password")
	o2 := s.signIn(t, "OTHER", "other's long password")
	token := root.csrf("/administrators")

	// Nobody deletes themselves: not offered, refused when asked anyway.
	self := "/administrators/" + rootAdmin.ID + "/delete"
	if p := root.get(self); p.status != 409 || !strings.Contains(p.body, "You cannot delete yourself") || strings.Contains(p.body, "confirm-form") {
		t.Fatalf("confirm deleting yourself: %d %.1000s", p.status, p.body)
	}
	if p := root.post(self, url.Values{"csrf": {token}}); p.status != 409 {
		t.Fatalf("deleting yourself: %d %.1000s", p.status, p.body)
	}
	if p := root.get("/administrators/missing/delete"); p.status != 404 {
		t.Fatalf("confirm deleting an unknown administrator: %d", p.status)
	}

	// Deleting another asks first, needs the token, and ends their sessions.
	path := "/administrators/" + other.ID + "/delete"
	p := root.get(path)
	if p.status != 200 || !strings.Contains(p.body, `id="confirm-form"`) || !strings.Contains(p.body, `action="`+path+`"`) {
		t.Fatalf("confirm page: %d %.1500s", p.status, p.body)
	}
	if p := root.post(path, url.Values{}); p.status != 403 {
		t.Fatalf("delete without token: %d", p.status)
	}
	if p := o1.get("/"); p.status != 200 {
		t.Fatalf("other's session before the delete: %d", p.status)
	}
	wantRedirect(t, root.post(path, url.Values{"csrf": {token}}), 303, "/administrators")
	if p := root.get("/administrators"); !strings.Contains(p.body, "Administrator other deleted") || strings.Contains(p.body, ">other<") {
		t.Fatalf("list after the delete: %.2000s", p.body)
	}
	for _, c := range []*client{o1, o2} {
		wantRedirect(t, c.get("/users"), 303, "/sign-in?next=%2Fusers")
	}
	if _, err := s.Store.GetAdministrator(ctx, other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other after the delete: %v", err)
	}
	if n, _ := s.Store.DeleteConsoleSessionsOf(ctx, other.ID, nil); n != 0 {
		t.Fatalf("%d sessions of the deleted administrator were left", n)
	}
	if p := root.post(path, url.Values{"csrf": {token}}); p.status != 404 {
		t.Fatalf("deleting again: %d", p.status)
	}
	// And they cannot sign in again.
	c := s.client(t)
	pre := c.csrf("/sign-in")
	if p := c.post("/sign-in", url.Values{"csrf": {pre}, "username": {"other"}, "password": {"other's long password"}}); p.status != 401 {
		t.Fatalf("sign-in of a deleted administrator: %d", p.status)
	}
	// root is the last one and still signed in.
	if p := root.get("/administrators"); p.status != 200 || strings.Contains(p.body, "/delete") {
		t.Fatalf("root after the delete: %d %.1000s", p.status, p.body)
	}
}

func TestChangePassword(t *testing.T) {
	s := newSite(t, func(o *console.Options) { o.MaxFailures = 4 })
	c := s.setUp(t)
	elsewhere := s.signIn(t, "root", adminPassword)
	third := s.signIn(t, "root", adminPassword)
	if p := c.get("/"); !strings.Contains(p.body, `href="/account/password"`) {
		t.Fatalf("no link to change the password: %.2000s", p.body)
	}
	p := c.get("/account/password")
	if p.status != 200 || !strings.Contains(p.body, `autocomplete="current-password"`) || !strings.Contains(p.body, `id="password-form"`) {
		t.Fatalf("password page: %d %.2000s", p.status, p.body)
	}
	token := c.csrf("/account/password")
	const next = "the new long password"
	change := func(current, newPW, confirm string) page {
		return c.post("/account/password", url.Values{"csrf": {token}, "currentPassword": {current}, "newPassword": {newPW}, "confirmPassword": {confirm}})
	}
	wantField := func(p page, status int, field string) {
		t.Helper()
		if p.status != status || !strings.Contains(p.body, `class="field-error" id="`+field+`-error"`) ||
			!regexp.MustCompile(`id="`+field+`"[^>]*aria-invalid="true"`).MatchString(p.body) {
			t.Fatalf("want %d with an error on %s: %d %.2500s", status, field, p.status, p.body)
		}
		if strings.Contains(p.body, adminPassword) || strings.Contains(p.body, next) {
			t.Fatal("a password is shown back on the page")
		}
	}
	if p := c.post("/account/password", url.Values{"currentPassword": {adminPassword}, "newPassword": {next}, "confirmPassword": {next}}); p.status != 403 {
		t.Fatalf("change without token: %d", p.status)
	}
	wantField(change("wrong password!", next, next), 401, "currentPassword")
	wantField(change(adminPassword, "short", "short"), 400, "newPassword")
	wantField(change(adminPassword, next, next+"x"), 400, "confirmPassword")
	if ok, _ := password.Verify(adminPassword, s.admin(t, "root").PasswordHash, password.Argon2id); !ok {
		t.Fatal("the password changed after refused changes")
	}

	wantRedirect(t, change(adminPassword, next, next), 303, "/account/password")
	if p := c.get("/account/password"); p.status != 200 || !strings.Contains(p.body, "Password changed. Your 2 other sessions were signed out.") {
		t.Fatalf("after the change: %d %.2000s", p.status, p.body)
	}
	for _, other := range []*client{elsewhere, third} {
		wantRedirect(t, other.get("/"), 303, "/sign-in")
	}
	// The new password signs in, the old one does not.
	s.signIn(t, "root", next)
	old := s.client(t)
	pre := old.csrf("/sign-in")
	if p := old.post("/sign-in", url.Values{"csrf": {pre}, "username": {"root"}, "password": {adminPassword}}); p.status != 401 {
		t.Fatalf("sign-in with the old password: %d", p.status)
	}
	// That sign-in just ended no session of c's.
	if p := c.get("/"); p.status != 200 {
		t.Fatalf("the session that changed the password: %d", p.status)
	}
}

func TestChangePasswordLockout(t *testing.T) {
	s := newSite(t, func(o *console.Options) { o.MaxFailures = 3 })
	c := s.setUp(t)
	token := c.csrf("/account/password")
	const next = "the new long password"
	form := url.Values{"csrf": {token}, "currentPassword": {"wrong password!"}, "newPassword": {next}, "confirmPassword": {next}}
	for range 3 {
		if p := c.post("/account/password", form); p.status != 401 {
			t.Fatalf("wrong current password: %d", p.status)
		}
	}
	// Locked out: even the right password is not checked, here and at
	// sign-in.
	form.Set("currentPassword", adminPassword)
	p := c.post("/account/password", form)
	if p.status != 429 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, `role="alert"`) {
		t.Fatalf("after 3 wrong current passwords: %d %v %.1500s", p.status, p.header, p.body)
	}
	other := s.client(t)
	pre := other.csrf("/sign-in")
	if p := other.post("/sign-in", url.Values{"csrf": {pre}, "username": {"root"}, "password": {adminPassword}}); p.status != 429 {
		t.Fatalf("sign-in after 3 wrong current passwords: %d", p.status)
	}
	if ok, _ := password.Verify(adminPassword, s.admin(t, "root").PasswordHash, password.Argon2id); !ok {
		t.Fatal("the password changed while locked out")
	}
	s.Clock.Advance(11 * time.Minute)
	wantRedirect(t, c.post("/account/password", form), 303, "/account/password")
}
