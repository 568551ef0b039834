package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/console"
	"github.com/gatehouse-auth/gatehouse/internal/management"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

// cheap is a test Argon2id cost.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// site is a console on a fresh SQLite database, behind a test server.
type site struct {
	URL   string
	Store store.Store
	Clock *testClock
}

func newSite(t *testing.T, opts ...func(*console.Options)) *site {
	t.Helper()
	st := sqltest.SQLite(t)
	sealer, err := seal.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Now()}
	api := management.New(management.Options{Store: st, Sealer: sealer, Now: clk.Now, Password: cheap})
	opt := console.Options{Store: st, API: api.Handler(), Endpoint: "https://auth.example", Password: cheap, Now: clk.Now}
	for _, o := range opts {
		o(&opt)
	}
	mux := http.NewServeMux()
	console.New(opt).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &site{URL: srv.URL, Store: st, Clock: clk}
}

// client is a browser-like client that keeps cookies and does not follow
// redirects, and sends Sec-Fetch-Site as a browser does on its own forms.
type client struct {
	t *testing.T
	*http.Client
	base string
	site string // Sec-Fetch-Site for posts
}

func (s *site) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: s.URL, site: "same-origin", Client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (p page) location() string { return p.header.Get("Location") }

func (c *client) get(path string) page {
	c.t.Helper()
	resp, err := c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	return read(c.t, resp)
}

func (c *client) post(path string, form url.Values) page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.site != "" {
		req.Header.Set("Sec-Fetch-Site", c.site)
	}
	resp, err := c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return read(c.t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the form token on the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	p := c.get(path)
	m := csrfField.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		c.t.Fatalf("GET %s: status %d, no csrf field: %.400s", path, p.status, p.body)
	}
	return m[1]
}

func wantRedirect(t *testing.T, p page, status int, to string) {
	t.Helper()
	if p.status != status || p.location() != to {
		t.Fatalf("status %d, Location %q; want %d to %q: %.300s", p.status, p.location(), status, to, p.body)
	}
}

const adminPassword = "correct horse battery"

// setUp creates the first administrator through /setup and returns the
// signed-in client.
func (s *site) setUp(t *testing.T) *client {
	t.Helper()
	c := s.client(t)
	token := c.csrf("/setup")
	wantRedirect(t, c.post("/setup", url.Values{"csrf": {token}, "username": {"root"}, "password": {adminPassword}}), 303, "/")
	return c
}

func TestFirstAdministrator(t *testing.T) {
	s := newSite(t)
	c := s.client(t)
	// Before any administrator exists everything leads to /setup.
	for _, path := range []string{"/", "/applications", "/users/new", "/sign-in"} {
		wantRedirect(t, c.get(path), 303, "/setup")
	}
	p := c.get("/setup")
	if p.status != 200 || !strings.Contains(p.body, `name="username"`) || !strings.Contains(p.body, `name="password"`) ||
		!strings.Contains(p.body, `button type="submit"`) {
		t.Fatalf("setup page: %d %.500s", p.status, p.body)
	}
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
		p.header.Get("X-Frame-Options") != "DENY" || p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("setup page headers: %v", p.header)
	}
	token := csrfField.FindStringSubmatch(p.body)[1]

	// Without the form token, or from another site: refused, nothing saved.
	if p := c.post("/setup", url.Values{"username": {"root"}, "password": {adminPassword}}); p.status != 403 {
		t.Fatalf("setup without token: %d", p.status)
	}
	c.site = "cross-site"
	if p := c.post("/setup", url.Values{"csrf": {token}, "username": {"root"}, "password": {adminPassword}}); p.status != 403 {
		t.Fatalf("cross-site setup: %d", p.status)
	}
	c.site = "same-origin"
	// A short password is shown next to the field.
	p = c.post("/setup", url.Values{"csrf": {token}, "username": {"root"}, "password": {"short"}})
	if p.status != 400 || !strings.Contains(p.body, `class="field-error" id="password-error"`) ||
		!regexp.MustCompile(`id="password"[^>]*aria-invalid="true"`).MatchString(p.body) || !strings.Contains(p.body, `value="root"`) {
		t.Fatalf("short password: %d %.1500s", p.status, p.body)
	}
	if n, _ := s.Store.CountAdministrators(context.Background()); n != 0 {
		t.Fatalf("%d administrators after refused setups", n)
	}

	wantRedirect(t, c.post("/setup", url.Values{"csrf": {token}, "username": {"Root"}, "password": {adminPassword}}), 303, "/")
	if p := c.get("/"); p.status != 200 || !strings.Contains(p.body, "Dashboard") || !strings.Contains(p.body, "Root") {
		t.Fatalf("dashboard after setup: %d %.300s", p.status, p.body)
	}
	// Setup is gone: the page redirects and a post is refused.
	other := s.client(t)
	wantRedirect(t, other.get("/setup"), 303, "/sign-in")
	if p := other.post("/setup", url.Values{"csrf": {token}, "username": {"evil"}, "password": {adminPassword}}); p.status != 403 {
		t.Fatalf("setup post after setup: %d", p.status)
	}
	if n, _ := s.Store.CountAdministrators(context.Background()); n != 1 {
		t.Fatalf("%d administrators, want 1", n)
	}
	wantRedirect(t, other.get("/users"), 303, "/sign-in?next=%2Fusers")
}

func TestSignInAndOut(t *testing.T) {
	s := newSite(t)
	s.setUp(t)
	c := s.client(t)
	token := c.csrf("/sign-in")
	// Wrong password and unknown user: the same answer.
	for _, u := range []string{"root", "nobody"} {
		p := c.post("/sign-in", url.Values{"csrf": {token}, "username": {u}, "password": {"wrong password!"}})
		if p.status != 401 || !strings.Contains(p.body, `role="alert"`) || !strings.Contains(p.body, "The username or password is wrong.") {
			t.Fatalf("bad sign-in as %s: %d %.500s", u, p.status, p.body)
		}
	}
	// Missing fields show next to the fields.
	p := c.post("/sign-in", url.Values{"csrf": {token}})
	if p.status != 400 || !strings.Contains(p.body, `id="username-error"`) || !strings.Contains(p.body, `id="password-error"`) {
		t.Fatalf("empty sign-in: %d %.500s", p.status, p.body)
	}
	// Usernames are case-insensitive; success goes to /.
	wantRedirect(t, c.post("/sign-in", url.Values{"csrf": {token}, "username": {"ROOT"}, "password": {adminPassword}}), 303, "/")
	if p := c.get("/"); p.status != 200 {
		t.Fatalf("dashboard: %d", p.status)
	}
	wantRedirect(t, c.get("/sign-in"), 303, "/")

	// Sign-out needs the session's token, then ends the session.
	if p := c.post("/sign-out", url.Values{}); p.status != 403 {
		t.Fatalf("sign-out without token: %d", p.status)
	}
	sessionToken := c.csrf("/")
	wantRedirect(t, c.post("/sign-out", url.Values{"csrf": {sessionToken}}), 303, "/sign-in")
	wantRedirect(t, c.get("/"), 303, "/sign-in")
}

func TestSignInNext(t *testing.T) {
	s := newSite(t)
	s.setUp(t)
	c := s.client(t)
	token := c.csrf("/sign-in?next=%2Fusers")
	wantRedirect(t, c.post("/sign-in", url.Values{"csrf": {token}, "username": {"root"}, "password": {adminPassword}, "next": {"/users"}}), 303, "/users")
	c2 := s.client(t)
	token = c2.csrf("/sign-in")
	wantRedirect(t, c2.post("/sign-in", url.Values{"csrf": {token}, "username": {"root"}, "password": {adminPassword}, "next": {"//evil.example/"}}), 303, "/")
}

func TestSignInLockout(t *testing.T) {
	s := newSite(t, func(o *console.Options) { o.MaxFailures = 3 })
	s.setUp(t)
	c := s.client(t)
	token := c.csrf("/sign-in")
	for range 3 {
		c.post("/sign-in", url.Values{"csrf": {token}, "username": {"root"}, "password": {"wrong password!"}})
	}
	p := c.post("/sign-in", url.Values{"csrf": {token}, "username": {"root"}, "password": {adminPassword}})
	if p.status != 429 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many failed sign-ins") {
		t.Fatalf("after 3 failures: %d %v %.400s", p.status, p.header, p.body)
	}
	s.Clock.Advance(11 * time.Minute)
	wantRedirect(t, c.post("/sign-in", url.Values{"csrf": {token}, "username": {"root"}, "password": {adminPassword}}), 303, "/")
}

func TestSessionExpiry(t *testing.T) {
	s := newSite(t)
	c := s.setUp(t)
	// Used every 50 minutes, the session lives 12 hours in all.
	for elapsed := time.Duration(0); elapsed+50*time.Minute < console.AbsoluteTimeout; elapsed += 50 * time.Minute {
		s.Clock.Advance(50 * time.Minute)
		if p := c.get("/users"); p.status != 200 {
			t.Fatalf("after %v of use: %d", elapsed+50*time.Minute, p.status)
		}
	}
	s.Clock.Advance(50 * time.Minute)
	wantRedirect(t, c.get("/users"), 303, "/sign-in?next=%2Fusers")

	// Idle for an hour: signed out.
	c = s.client(t)
	token := c.csrf("/sign-in")
	wantRedirect(t, c.post("/sign-in", url.Values{"csrf": {token}, "username": {"root"}, "password": {adminPassword}}), 303, "/")
	s.Clock.Advance(59 * time.Minute)
	if p := c.get("/"); p.status != 200 {
		t.Fatalf("after 59 idle minutes: %d", p.status)
	}
	s.Clock.Advance(time.Hour)
	wantRedirect(t, c.get("/"), 303, "/sign-in")
}

func TestFormsNeedSessionToken(t *testing.T) {
	s := newSite(t)
	c := s.setUp(t)
	form := url.Values{"name": {"App"}, "type": {"SPA"}}
	if p := c.post("/applications/new", form); p.status != 403 {
		t.Fatalf("post without token: %d", p.status)
	}
	form.Set("csrf", "not-the-token-of-this-session-0123456789")
	if p := c.post("/applications/new", form); p.status != 403 {
		t.Fatalf("post with a wrong token: %d", p.status)
	}
	form.Set("csrf", c.csrf("/applications/new"))
	c.site = "cross-site"
	if p := c.post("/applications/new", form); p.status != 403 {
		t.Fatalf("cross-site post: %d", p.status)
	}
	list, _, err := s.Store.ListApplications(context.Background(), store.ApplicationFilter{}, store.Page{})
	if err != nil || len(list) != 0 {
		t.Fatalf("applications after refused posts: %v %v", list, err)
	}
	c.site = "same-origin"
	p := c.post("/applications/new", form)
	if p.status != 303 || !strings.HasPrefix(p.location(), "/applications/") {
		t.Fatalf("post with token: %d %q %.300s", p.status, p.location(), p.body)
	}
}

func TestApplicationErrorsNextToFields(t *testing.T) {
	s := newSite(t)
	c := s.setUp(t)
	token := c.csrf("/applications/new")
	p := c.post("/applications/new", url.Values{"csrf": {token}, "name": {"Web"}, "type": {"Traditional"},
		"redirectUris": {"https://ok.example/cb\nnot a url"}})
	if p.status != 400 || !strings.Contains(p.body, `id="redirectUris-error"`) ||
		!regexp.MustCompile(`id="redirectUris"[^>]*aria-invalid="true"`).MatchString(p.body) {
		t.Fatalf("bad redirect URI: %d %.2000s", p.status, p.body)
	}
	p = c.post("/applications/new", url.Values{"csrf": {token}, "type": {"Traditional"}})
	if p.status != 400 || !strings.Contains(p.body, `id="name-error"`) {
		t.Fatalf("missing name: %d %.2000s", p.status, p.body)
	}
	list, _, _ := s.Store.ListApplications(context.Background(), store.ApplicationFilter{}, store.Page{})
	if len(list) != 0 {
		t.Fatalf("%d applications saved after errors", len(list))
	}
	// Created: the secret shows once.
	p = c.post("/applications/new", url.Values{"csrf": {token}, "name": {"Web"}, "type": {"Traditional"}, "redirectUris": {"https://ok.example/cb"}})
	if p.status != 303 {
		t.Fatalf("create: %d %.300s", p.status, p.body)
	}
	first := c.get(p.location())
	if !strings.Contains(first.body, `id="app-secret"`) || !strings.Contains(first.body, `id="app-id"`) {
		t.Fatalf("first view of a new app: %.2000s", first.body)
	}
	if again := c.get(p.location()); strings.Contains(again.body, `id="app-secret"`) {
		t.Fatal("the secret shows again on the second view")
	}
}

func TestSecureCookieBehindProxy(t *testing.T) {
	s := newSite(t, func(o *console.Options) { o.TrustProxyHeader = true })
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/setup", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var found bool
	for _, ck := range resp.Cookies() {
		if strings.HasPrefix(ck.Name, "__Host-") {
			found = ck.Secure && ck.HttpOnly && ck.Path == "/" && ck.SameSite == http.SameSiteStrictMode
		}
	}
	if !found {
		t.Fatalf("behind an HTTPS proxy the form cookie is not a secure __Host- cookie: %v", resp.Header["Set-Cookie"])
	}
}

func TestNewAdministrator(t *testing.T) {
	for _, tc := range []struct{ username, password, field string }{
		{"", adminPassword, "username"},
		{"has space", adminPassword, "username"},
		{"ok", "elevenchars", "password"},
		{"ok", strings.Repeat("x", 1025), "password"},
	} {
		_, err := console.NewAdministrator(tc.username, tc.password, cheap)
		ie, ok := err.(*console.InvalidError)
		if !ok || ie.Field != tc.field {
			t.Errorf("NewAdministrator(%q, %d chars) = %v, want an error on %s", tc.username, len(tc.password), err, tc.field)
		}
	}
	a, err := console.NewAdministrator(" ops@example ", "twelve chars", cheap)
	if err != nil || a.Username != "ops@example" {
		t.Fatalf("NewAdministrator: %+v %v", a, err)
	}
	if ok, err := password.Verify("twelve chars", a.PasswordHash, password.Argon2id); !ok || err != nil {
		t.Fatalf("the hash does not verify: %v %v", ok, err)
	}
}
