package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserConsoleAdministrators: an operator adds an administrator (a
// username taken in another case is refused next to its field), cannot
// delete themselves, changes their own password and signs in with the new
// one, then deletes the other administrator, whose open session ends.
func TestBrowserConsoleAdministrators(t *testing.T) {
	s := newConsoleSite(t)
	ctx := context.Background()
	operator, err := s.Store.GetAdministratorByUsername(ctx, consoleAdmin)
	if err != nil {
		t.Fatal(err)
	}

	s.follow(t, `a[href="/administrators"]`, "/administrators")
	wantHeading(t, s.tab, "Administrators")
	s.follow(t, "#add-admin", "/administrators/new")
	s.fill(t, map[string]string{"username": strings.ToUpper(consoleAdmin), "password": "a second long password"})
	s.submit(t, "#admin-form", "/administrators/new")
	s.wantFieldError(t, "username", "An administrator with this username exists")
	if n, _ := s.Store.CountAdministrators(ctx); n != 1 {
		t.Fatalf("%d administrators after a refused duplicate", n)
	}
	s.fill(t, map[string]string{"username": "second", "password": "a second long password"})
	s.submit(t, "#admin-form", "/administrators")
	if got := s.notice(t); got != "Administrator second added." {
		t.Fatalf("notice %q", got)
	}
	second, err := s.Store.GetAdministratorByUsername(ctx, "second")
	if err != nil {
		t.Fatal(err)
	}
	deleteSecond := `a[href="/administrators/` + second.ID + `/delete"]`
	if !s.has(t, deleteSecond) || s.has(t, `a[href="/administrators/`+operator.ID+`/delete"]`) {
		t.Fatal("the list should offer to delete the new administrator and not the operator")
	}

	// The new administrator signs in in a browser of their own.
	other := &consoleSite{instance: s.instance, tab: newTab(t)}
	other.open(t, "/sign-in")
	other.fill(t, map[string]string{"username": "second", "password": "a second long password"})
	other.submit(t, "#sign-in-form", "/")

	// Deleting yourself is refused even when asked for directly.
	s.open(t, "/administrators/"+operator.ID+"/delete")
	wantHeading(t, s.tab, "You cannot delete yourself")
	if s.has(t, "#confirm-form") {
		t.Fatal("a confirmation to delete yourself is offered")
	}

	// Change my password (the unit tests cover the refusals).
	const newPassword = "the operator's new password"
	s.follow(t, "#my-password", "/account/password")
	s.fill(t, map[string]string{"currentPassword": consolePassword, "newPassword": newPassword, "confirmPassword": newPassword})
	s.submit(t, "#password-form", "/account/password")
	if got := s.notice(t); !strings.HasPrefix(got, "Password changed.") {
		t.Fatalf("notice %q", got)
	}
	// Signed out and in again: the old password no longer works, the new one does.
	s.follow(t, "#sign-out", "/sign-in")
	s.fill(t, map[string]string{"username": consoleAdmin, "password": consolePassword})
	s.submit(t, "#sign-in-form", "/sign-in")
	wantAlert(t, s.tab, "The username or password is wrong.")
	s.fill(t, map[string]string{"password": newPassword})
	s.submit(t, "#sign-in-form", "/")
	wantHeading(t, s.tab, "Dashboard")

	// Another administrator's password change left the second one signed
	// in; deleting them ends their session.
	other.open(t, "/administrators")
	wantHeading(t, other.tab, "Administrators")
	s.open(t, "/administrators")
	s.follow(t, deleteSecond, "/administrators/"+second.ID+"/delete")
	s.submit(t, "#confirm-form", "/administrators")
	if got := s.notice(t); !strings.Contains(got, "Administrator second deleted") {
		t.Fatalf("notice %q", got)
	}
	if s.has(t, deleteSecond) {
		t.Fatal("the deleted administrator is still listed")
	}
	resp := navigateBy(t, other.tab, chromedp.Navigate(other.AdminURL+"/administrators"))
	other.wantPath(t, resp.URL, "/sign-in")
	if n, _ := s.Store.CountAdministrators(ctx); n != 1 {
		t.Fatalf("%d administrators, want the operator alone", n)
	}
}
