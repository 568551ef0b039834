// Package e2e drives Gatehouse over HTTP with client libraries nobody here
// wrote (go-oidc, x/oauth2, and Logto's own npm SDKs), on SQLite and on
// PostgreSQL.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/config"
	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/server"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-auth/gatehouse/internal/users"
)

// clock is a test clock that starts at the real time and can be moved on.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// instance is a Gatehouse server running in the test process.
type instance struct {
	URL    string // public base URL, also ENDPOINT
	Issuer string
	Store  store.Store
	Clock  *clock
	Keys   *keys.Ring
	sealer *seal.Sealer

	// AdminURL is the admin listener's base URL (the console).
	AdminURL string
}

// backends runs fn once per store: SQLite, and PostgreSQL.
func backends(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqltest.SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.PostgresDSN(t)) })
}

// start runs a server on dbURL on a free loopback port until the test ends.
func start(t *testing.T, dbURL string) *instance {
	t.Helper()
	in, _ := startServer(t, dbURL)
	return in
}

// startServer is start with extra serve flags, also returning the server so
// that a test can reach its internals (flush the audit log, sweep).
func startServer(t *testing.T, dbURL string, flags ...string) (*instance, *server.Server) {
	t.Helper()
	return startServerWith(t, dbURL, nil, flags...)
}

// startServerWith is startServer with server options, such as the HTTP
// client that reaches fake identity providers.
func startServerWith(t *testing.T, dbURL string, opts []server.Option, flags ...string) (*instance, *server.Server) {
	t.Helper()
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + pub.Addr().String()
	fs := newFlagSet()
	load := config.Register(fs)
	if err := fs.Parse(append([]string{"--endpoint", endpoint, "--db-url", dbURL}, flags...)); err != nil {
		t.Fatal(err)
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	opts = append([]server.Option{server.WithClock(clk.Now), server.WithPasswordCost(testPassword)}, opts...)
	srv, err := server.Open(context.Background(), cfg, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ctx, pub, adm)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return &instance{URL: endpoint, AdminURL: "http://" + adm.Addr().String(), Issuer: endpoint + "/oidc", Store: srv.Store, Clock: clk, Keys: srv.Keys, sealer: srv.Sealer}, srv
}

// createApp creates an application directly in the store, as the CLI does.
func (in *instance) createApp(t *testing.T, input apps.Input) (appID, secret string) {
	t.Helper()
	c, err := apps.Create(context.Background(), in.Store, in.sealer, input)
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	return c.App.ID, c.Secret
}

// testPassword is cheap Argon2id so tests spend their time on the protocol.
var testPassword = password.Params{Memory: 64, Time: 1, Threads: 1}

func (in *instance) createUser(t *testing.T, username, email, pw string) *store.User {
	t.Helper()
	u, err := users.Create(context.Background(), in.Store, testPassword, users.Input{Username: username, PrimaryEmail: email, Name: "Test " + username, Password: pw})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

// apiResource creates a resource with scopes and a role of roleType holding grantScopes.
func (in *instance) apiResource(t *testing.T, indicator string, scopes []string) (*store.Resource, map[string]string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UnixMilli()
	res := &store.Resource{ID: id.New(21), Name: indicator, Indicator: indicator, AccessTokenTTL: 3600, CreatedAt: now}
	if err := in.Store.CreateResource(ctx, res); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, s := range scopes {
		sc := &store.Scope{ID: id.New(21), ResourceID: res.ID, Name: s, CreatedAt: now}
		if err := in.Store.CreateScope(ctx, sc); err != nil {
			t.Fatal(err)
		}
		ids[s] = sc.ID
	}
	return res, ids
}

func (in *instance) role(t *testing.T, name string, typ store.RoleType, scopeIDs ...string) *store.Role {
	t.Helper()
	ctx := context.Background()
	r := &store.Role{ID: id.New(21), Name: name, Type: typ, CreatedAt: time.Now().UnixMilli()}
	if err := in.Store.CreateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := in.Store.AddRoleScopes(ctx, r.ID, scopeIDs); err != nil {
		t.Fatal(err)
	}
	return r
}

// browser is a cookie-keeping HTTP client that stops at the client's
// redirect URI instead of following it, as a real browser's app would
// take over there.
type browser struct {
	*http.Client
	stopAt string
}

func newBrowser(stopAt string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{stopAt: stopAt}
	b.Client = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), b.stopAt) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	csrfInput  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

// signInPage follows authURL to the sign-in page and returns the form's
// absolute action URL and CSRF token.
func (b *browser) signInPage(t *testing.T, authURL string) (action, csrf string) {
	t.Helper()
	resp, err := b.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d, body %.300s", authURL, resp.StatusCode, body)
	}
	a, c := formAction.FindSubmatch(body), csrfInput.FindSubmatch(body)
	if a == nil || c == nil {
		t.Fatalf("no sign-in form on %s: %.500s", resp.Request.URL, body)
	}
	return resp.Request.URL.ResolveReference(&url.URL{Path: string(a[1])}).String(), string(c[1])
}

// submit posts the sign-in form and returns the response (not followed
// past the redirect URI).
func (b *browser) submit(t *testing.T, action, csrf, identifier, pw string) *http.Response {
	t.Helper()
	resp, err := b.PostForm(action, url.Values{"csrf_token": {csrf}, "identifier": {identifier}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// signIn runs the whole browser part of a code flow and returns the
// redirect back to the client.
func (b *browser) signIn(t *testing.T, authURL, identifier, pw string) *url.URL {
	t.Helper()
	action, csrf := b.signInPage(t, authURL)
	resp := b.submit(t, action, csrf, identifier, pw)
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), b.stopAt) {
		t.Fatalf("sign-in did not redirect to the client: status %d, location %v", resp.StatusCode, loc)
	}
	return loc
}

func sqltestSQLite(t *testing.T) string { return sqltest.SQLiteDSN(t) }

func sqltestPostgresDSN(t *testing.T) string { return sqltest.PostgresDSN(t) }

func appsInput(name, typ string, roles ...string) apps.Input {
	return apps.Input{Name: name, Type: store.ApplicationType(typ), RoleNames: roles}
}

func (in *instance) roleID(t *testing.T, name string) string {
	t.Helper()
	r, err := in.Store.GetRoleByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}
