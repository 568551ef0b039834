package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// screenshot keeps a picture of the current page (GATEHOUSE_SCREENSHOTS).
func (s *consoleSite) screenshot(t *testing.T, name string) {
	t.Helper()
	saveScreenshot(t, name, browserRun(t, s.tab, chromedp.FullScreenshot(100)))
}

func (s *consoleSite) countApps(t *testing.T) int {
	t.Helper()
	list, _, err := s.Store.ListApplications(context.Background(), store.ApplicationFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestBrowserConsoleApplications: a bad redirect URI and a missing name
// are shown next to their fields and save nothing; a Traditional app is
// created with its redirect URIs and its secret shows once; rotation shows
// a new secret once; deletion asks first.
func TestBrowserConsoleApplications(t *testing.T) {
	s := newConsoleSite(t)
	before := s.countApps(t)
	s.open(t, "/applications/new")
	s.fill(t, map[string]string{"name": "Dashboard", "redirectUris": "https://app.example/callback\nnot a url"})
	browserDo(t, s.tab, chromedp.SetValue(chromedp.CSS(`[name="type"]`), "Traditional"))
	s.submit(t, "#app-form", "/applications/new")
	s.wantFieldError(t, "redirectUris", "not a url")
	s.screenshot(t, "console-app-error.png")
	s.fill(t, map[string]string{"name": "", "redirectUris": "https://app.example/callback"})
	s.submit(t, "#app-form", "/applications/new")
	s.wantFieldError(t, "name", "Enter a name")
	if n := s.countApps(t); n != before {
		t.Fatalf("%d applications after refused forms, want %d", n, before)
	}

	s.fill(t, map[string]string{"name": "Dashboard", "postLogoutRedirectUris": "https://app.example/"})
	u := s.submit(t, "#app-form", "/applications/")
	appID := s.textOf(t, "app-id")
	if u.Path != "/applications/"+appID {
		t.Fatalf("landed on %s, but the page shows app id %q", u.Path, appID)
	}
	secret := s.textOf(t, "app-secret")
	app, err := s.Store.GetApplication(context.Background(), appID)
	if err != nil || app.Name != "Dashboard" || app.Type != store.Traditional ||
		strings.Join(app.OIDCClientMetadata.RedirectURIs, " ") != "https://app.example/callback" ||
		strings.Join(app.OIDCClientMetadata.PostLogoutRedirectURIs, " ") != "https://app.example/" {
		t.Fatalf("stored application: %+v %v", app, err)
	}
	if got := s.storedSecret(t, appID); len(secret) != 43 || got != secret {
		t.Fatalf("the page shows secret %q, the store holds %q", secret, got)
	}
	s.screenshot(t, "console-app.png")
	s.open(t, "/applications/"+appID)
	if s.has(t, "#app-secret") {
		t.Fatal("the secret shows again")
	}

	// Rotate: a confirmation page, then a new secret shown once.
	s.follow(t, `a[href$="/rotate"]`, "/applications/"+appID+"/secrets/Default secret/rotate")
	s.submit(t, "#confirm-form", "/applications/"+appID)
	rotated := s.textOf(t, "app-secret")
	if rotated == secret || s.storedSecret(t, appID) != rotated {
		t.Fatalf("after rotation the page shows %q (old %q), the store holds %q", rotated, secret, s.storedSecret(t, appID))
	}

	// The list finds it by name.
	s.open(t, "/applications?q=dash")
	if !s.has(t, `a[href="/applications/`+appID+`"]`) {
		t.Fatal("the list search does not find the application")
	}

	// Delete: asks first, then the application is gone.
	s.open(t, "/applications/"+appID)
	s.follow(t, `a[href$="/delete"]`, "/applications/"+appID+"/delete")
	if _, err := s.Store.GetApplication(context.Background(), appID); err != nil {
		t.Fatal("the confirmation page deleted the application already")
	}
	s.submit(t, "#confirm-form", "/applications")
	if _, err := s.Store.GetApplication(context.Background(), appID); err == nil {
		t.Fatal("the application still exists")
	}
}

// storedSecret is the plain default secret of an application.
func (s *consoleSite) storedSecret(t *testing.T, appID string) string {
	t.Helper()
	secrets, err := s.Store.ListApplicationSecrets(context.Background(), appID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range secrets {
		if sec.Name == "Default secret" {
			plain, err := s.sealer.Open(sec.Sealed)
			if err != nil {
				t.Fatal(err)
			}
			return string(plain)
		}
	}
	return ""
}

// TestBrowserConsoleMachineToMachine: an M2M app gets a role on its page,
// and redirect URIs are refused for it.
func TestBrowserConsoleMachineToMachine(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/applications/new")
	s.fill(t, map[string]string{"name": "worker", "redirectUris": "https://x.example/cb"})
	browserDo(t, s.tab, chromedp.SetValue(chromedp.CSS(`[name="type"]`), "MachineToMachine"))
	s.submit(t, "#app-form", "/applications/new")
	s.wantFieldError(t, "redirectUris", "have no redirect URIs")
	s.fill(t, map[string]string{"redirectUris": ""})
	s.submit(t, "#app-form", "/applications/")
	appID := s.textOf(t, "app-id")
	roleID := s.roleID(t, "Logto Management API access")
	browserDo(t, s.tab, chromedp.SetValue(chromedp.CSS(`[name="roleId"]`), roleID))
	s.follow(t, `form[action$="/roles"] button`, "/applications/"+appID)
	roles, err := s.Store.ListApplicationRoles(context.Background(), appID)
	if err != nil || len(roles) != 1 || roles[0].ID != roleID {
		t.Fatalf("application roles: %v %v", roles, err)
	}
}

// TestBrowserConsoleUsers: a user is created and found by search; a
// duplicate username is shown next to the field and saves nothing;
// suspension and a password reset take effect.
func TestBrowserConsoleUsers(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/users/new")
	s.fill(t, map[string]string{"username": "grace", "primaryEmail": "grace@example.com", "password": "Cobol-Compiler-1959"})
	u := s.submit(t, "#user-form", "/users/")
	userID := strings.TrimPrefix(u.Path, "/users/")
	if s.textOf(t, "user-id") != userID {
		t.Fatalf("the user page shows id %q, the URL %q", s.textOf(t, "user-id"), userID)
	}
	user, err := s.Store.GetUser(context.Background(), userID)
	if err != nil || user.Username != "grace" || user.PrimaryEmail != "grace@example.com" || user.PasswordDigest == "" {
		t.Fatalf("stored user: %+v %v", user, err)
	}

	s.open(t, "/users/new")
	s.fill(t, map[string]string{"username": "Grace", "primaryEmail": "other@example.com"})
	s.submit(t, "#user-form", "/users/new")
	s.wantFieldError(t, "username", "already in use")
	s.fill(t, map[string]string{"username": "", "primaryEmail": "not-an-email"})
	s.submit(t, "#user-form", "/users/new")
	s.wantFieldError(t, "primaryEmail", "")
	if n, _ := s.Store.CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d users after refused forms", n)
	}

	s.open(t, "/users?q=grac")
	if !s.has(t, `a[href="/users/`+userID+`"]`) {
		t.Fatal("the user search does not find grace")
	}
	s.open(t, "/users?q=nobody")
	if s.has(t, `a[href="/users/`+userID+`"]`) {
		t.Fatal("the user search finds grace for “nobody”")
	}

	s.open(t, "/users/"+userID)
	s.fill(t, map[string]string{"name": "Grace Hopper"})
	s.submit(t, "#user-profile", "/users/"+userID)
	if user, _ := s.Store.GetUser(context.Background(), userID); user.Name != "Grace Hopper" || user.Username != "grace" {
		t.Fatalf("after editing the profile: name %q, username %q", user.Name, user.Username)
	}
	wantHeading(t, s.tab, "Grace Hopper")
	s.follow(t, "#suspend", "/users/"+userID)
	if s.textOf(t, "user-status") != "Suspended" {
		t.Fatalf("status after suspending: %q", s.textOf(t, "user-status"))
	}
	if user, _ := s.Store.GetUser(context.Background(), userID); !user.IsSuspended {
		t.Fatal("the user is not suspended in the store")
	}
	old := user.PasswordDigest
	s.fill(t, map[string]string{"password": "Another-Password-2024"})
	s.follow(t, "#user-password button", "/users/"+userID)
	if user, _ := s.Store.GetUser(context.Background(), userID); user.PasswordDigest == old {
		t.Fatal("the password did not change")
	}
	s.screenshot(t, "console-user.png")
}

// TestBrowserConsoleResources: a duplicate indicator and a bad one are
// shown next to the field; a resource gets a permission, and a duplicate
// permission is refused.
func TestBrowserConsoleResources(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/resources/new")
	s.fill(t, map[string]string{"name": "Orders", "indicator": "https://default.logto.app/api"})
	s.submit(t, "#resource-form", "/resources/new")
	s.wantFieldError(t, "indicator", "already in use")
	s.fill(t, map[string]string{"indicator": "not a uri"})
	s.submit(t, "#resource-form", "/resources/new")
	s.wantFieldError(t, "indicator", "absolute URI")

	s.fill(t, map[string]string{"indicator": "https://orders.example"})
	u := s.submit(t, "#resource-form", "/resources/")
	resID := strings.TrimPrefix(u.Path, "/resources/")
	s.fill(t, map[string]string{"scopeName": "read:orders", "scopeDescription": "Read orders"})
	s.submit(t, "#scope-form", "/resources/"+resID)
	s.fill(t, map[string]string{"scopeName": "read:orders"})
	s.submit(t, "#scope-form", "/resources/"+resID+"/scopes")
	s.wantFieldError(t, "scopeName", "already in use")
	scopes, err := s.Store.ListScopes(context.Background(), resID)
	if err != nil || len(scopes) != 1 || scopes[0].Name != "read:orders" {
		t.Fatalf("scopes: %v %v", scopes, err)
	}
}

// TestBrowserConsoleRoles: a role needs a description and a unique name;
// it gets a permission and a user.
func TestBrowserConsoleRoles(t *testing.T) {
	s := newConsoleSite(t)
	_, scopes := s.apiResource(t, "https://orders.example", []string{"read:orders"})
	user := s.createUser(t, "ada", "ada@example.com", "Analytical-Engine-1843!")
	s.open(t, "/roles/new")
	s.fill(t, map[string]string{"name": "Logto Management API access", "description": "copy"})
	s.submit(t, "#role-form", "/roles/new")
	s.wantFieldError(t, "name", "already in use")
	s.fill(t, map[string]string{"name": "Clerk", "description": ""})
	s.submit(t, "#role-form", "/roles/new")
	s.wantFieldError(t, "description", "Enter a description")
	if _, err := s.Store.GetRoleByName(context.Background(), "Clerk"); err == nil {
		t.Fatal("a refused role was saved")
	}

	s.fill(t, map[string]string{"description": "Handles orders"})
	u := s.submit(t, "#role-form", "/roles/")
	roleID := strings.TrimPrefix(u.Path, "/roles/")
	browserDo(t, s.tab, chromedp.SetValue(chromedp.CSS(`[name="scopeId"]`), scopes["read:orders"]))
	s.follow(t, `form[action$="/scopes"] button`, "/roles/"+roleID)
	s.fill(t, map[string]string{"user": "nobody"})
	s.submit(t, "#role-user", "/roles/"+roleID+"/users")
	s.wantFieldError(t, "user", "No user")
	s.fill(t, map[string]string{"user": "ada"})
	s.submit(t, "#role-user", "/roles/"+roleID)
	granted, err := s.Store.ListRoleScopes(context.Background(), roleID)
	if err != nil || len(granted) != 1 || granted[0].ID != scopes["read:orders"] {
		t.Fatalf("role scopes: %v %v", granted, err)
	}
	roles, err := s.Store.ListUserRoles(context.Background(), user.ID)
	if err != nil || len(roles) != 1 || roles[0].ID != roleID {
		t.Fatalf("user roles: %v %v", roles, err)
	}
}
