package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// TestBrowserConsoleFirstAdministrator: on a fresh server every console
// page leads to /setup; a short password is refused next to its field and
// creates nothing; a good one signs the new administrator in; then /setup
// is gone.
func TestBrowserConsoleFirstAdministrator(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	s := &consoleSite{instance: in, tab: newTab(t)}
	resp := navigateBy(t, s.tab, chromedp.Navigate(s.AdminURL+"/applications"))
	s.wantPath(t, resp.URL, "/setup")
	wantHeading(t, s.tab, "Create the first administrator")

	s.fill(t, map[string]string{"username": "root", "password": "too short"})
	s.submit(t, "#setup-form", "/setup")
	s.wantFieldError(t, "password", "at least 12 characters")
	if n, _ := in.Store.CountAdministrators(context.Background()); n != 0 {
		t.Fatalf("%d administrators after a refused setup", n)
	}

	s.fill(t, map[string]string{"password": consolePassword})
	s.submit(t, "#setup-form", "/")
	wantHeading(t, s.tab, "Dashboard")
	admin, err := in.Store.GetAdministratorByUsername(context.Background(), "root")
	if err != nil || admin.LastSignInAt == 0 {
		t.Fatalf("the administrator was not stored and signed in: %+v %v", admin, err)
	}

	// Signed out, /setup shows the sign-in page instead.
	s.follow(t, "#sign-out", "/sign-in")
	resp = navigateBy(t, s.tab, chromedp.Navigate(s.AdminURL+"/setup"))
	s.wantPath(t, resp.URL, "/sign-in")
	wantHeading(t, s.tab, "Sign in to Gatehouse")
	if s.has(t, "#setup-form") {
		t.Fatal("the setup form is still offered")
	}
	// And a post to it is refused.
	resp2, err := http.PostForm(s.AdminURL+"/setup", url.Values{"username": {"evil"}, "password": {consolePassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden {
		t.Fatalf("POST /setup after setup: %d", resp2.StatusCode)
	}
	if n, _ := in.Store.CountAdministrators(context.Background()); n != 1 {
		t.Fatalf("%d administrators, want 1", n)
	}
}

// TestBrowserConsoleSignInOutAndExpiry: a wrong password is an alert, a
// right one the dashboard; sign-out ends the session; an idle session
// expires (the server's clock moves on).
func TestBrowserConsoleSignInOutAndExpiry(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	s := &consoleSite{instance: in, tab: newTab(t)}
	mustAdmin(t, in)
	s.open(t, "/sign-in")
	s.fill(t, map[string]string{"username": consoleAdmin, "password": "not the password"})
	s.submit(t, "#sign-in-form", "/sign-in")
	wantAlert(t, s.tab, "The username or password is wrong.")

	s.fill(t, map[string]string{"password": consolePassword})
	s.submit(t, "#sign-in-form", "/")
	wantHeading(t, s.tab, "Dashboard")

	s.follow(t, "#sign-out", "/sign-in")
	resp := navigateBy(t, s.tab, chromedp.Navigate(s.AdminURL+"/users"))
	s.wantPath(t, resp.URL, "/sign-in")

	// Back in via ?next=, then idle past the timeout.
	s.fill(t, map[string]string{"username": consoleAdmin, "password": consolePassword})
	s.submit(t, "#sign-in-form", "/users")
	in.Clock.Advance(61 * time.Minute)
	resp = navigateBy(t, s.tab, chromedp.Navigate(s.AdminURL+"/users"))
	s.wantPath(t, resp.URL, "/sign-in")
}

// mustAdmin creates the test administrator in the store.
func mustAdmin(t *testing.T, in *instance) *store.Administrator {
	t.Helper()
	a, err := newAdmin(consoleAdmin, consolePassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Store.CreateAdministrator(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestConsoleCSRF drives the admin listener over plain HTTP: a signed-in
// post without the session's token, with another token or from another
// site is refused with 403 and changes nothing.
func TestConsoleCSRF(t *testing.T) {
	in, srv := startServer(t, sqltestSQLite(t))
	admin := mustAdmin(t, in)
	c := newBrowser("http://never.example")
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(path string) (int, string) {
		resp, err := c.Get(in.AdminURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path string, form url.Values, site string) int {
		req, _ := http.NewRequest(http.MethodPost, in.AdminURL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	_, body := get("/sign-in")
	m := consoleCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token on the sign-in page: %.300s", body)
	}
	if st := post("/sign-in", url.Values{"username": {consoleAdmin}, "password": {consolePassword}}, "same-origin"); st != 403 {
		t.Fatalf("sign-in without its token: %d", st)
	}
	if st := post("/sign-in", url.Values{"csrf": {m[1]}, "username": {consoleAdmin}, "password": {consolePassword}}, "same-origin"); st != 303 {
		t.Fatalf("sign-in: %d", st)
	}
	_, body = get("/users/new")
	token := consoleCSRF.FindStringSubmatch(body)[1]
	form := url.Values{"username": {"mallory"}, "password": {"Passw0rd-Passw0rd"}}
	if st := post("/users/new", form, "same-origin"); st != 403 {
		t.Fatalf("post without token: %d", st)
	}
	form.Set("csrf", m[1]) // the pre-session token is not this session's
	if st := post("/users/new", form, "same-origin"); st != 403 {
		t.Fatalf("post with another token: %d", st)
	}
	form.Set("csrf", token)
	if st := post("/users/new", form, "cross-site"); st != 403 {
		t.Fatalf("cross-site post: %d", st)
	}
	if n, _ := in.Store.CountUsers(context.Background()); n != 0 {
		t.Fatalf("%d users after refused posts", n)
	}
	if st := post("/users/new", form, "same-origin"); st != 303 {
		t.Fatalf("post with the token: %d", st)
	}
	if n, _ := in.Store.CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d users after the accepted post", n)
	}
	// The console's change went through the Management API: it is in the
	// audit log as the administrator's write.
	if err := srv.Audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs, _, err := in.Store.ListLogs(context.Background(), store.LogFilter{Key: "ManagementApi.Write"}, store.Page{})
	if err != nil || len(logs) != 1 || logs[0].UserID != admin.ID || !strings.Contains(string(logs[0].Payload), `"path":"/api/users"`) {
		t.Fatalf("audit log of the console's write: %v %v", logs, err)
	}
}
