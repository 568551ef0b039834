package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// TestBrowserConsoleConnectors: an HTTP email connector with a bad
// endpoint is refused next to the settings and saves nothing; with a good
// one it is added, listed, and deleted after a confirmation.
func TestBrowserConsoleConnectors(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/connectors")
	s.follow(t, `a[href="/connectors/new?factory=http-email"]`, "/connectors/new")
	s.fill(t, map[string]string{"config": `{"endpoint": "not a url"}`})
	s.submit(t, "#connector-form", "/connectors/new")
	s.wantFieldError(t, "config", "endpoint")
	s.fill(t, map[string]string{"config": `{"endpoint": "https://mail.example/send"`})
	s.submit(t, "#connector-form", "/connectors/new")
	s.wantFieldError(t, "config", "JSON object")
	if list, err := s.Store.ListConnectors(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("connectors after refused forms: %v %v", list, err)
	}
	s.fill(t, map[string]string{"config": `{"endpoint": "https://mail.example/send"}`})
	u := s.submit(t, "#connector-form", "/connectors/")
	connID := strings.TrimPrefix(u.Path, "/connectors/")
	if s.textOf(t, "connector-id") != connID {
		t.Fatalf("connector page shows %q", s.textOf(t, "connector-id"))
	}
	s.open(t, "/connectors")
	if !s.has(t, `a[href="/connectors/`+connID+`"]`) {
		t.Fatal("the connector is not listed")
	}
	s.open(t, "/connectors/"+connID)
	s.follow(t, `a[href$="/delete"]`, "/connectors/"+connID+"/delete")
	s.submit(t, "#confirm-form", "/connectors")
	if list, _ := s.Store.ListConnectors(context.Background()); len(list) != 0 {
		t.Fatalf("connectors after delete: %d", len(list))
	}
}

// TestBrowserConsoleSignInExperience: a bad colour is refused next to its
// field and saves nothing; the live preview follows the colour as it is
// typed; a good colour and a password policy are saved.
func TestBrowserConsoleSignInExperience(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/sign-in-experience")
	before := s.settings(t)
	s.fill(t, map[string]string{"primaryColor": "blue"})
	s.submit(t, "#sie-form", "/sign-in-experience")
	s.wantFieldError(t, "primaryColor", "hex colour")
	if got := s.settings(t); got.Color.PrimaryColor != before.Color.PrimaryColor {
		t.Fatalf("a refused colour was saved: %q", got.Color.PrimaryColor)
	}

	s.fill(t, map[string]string{"primaryColor": "#0A7F5A", "minLength": "10"})
	// The preview's button takes the colour as it is typed.
	bg := browserRun(t, s.tab, chromedp.Poll[string](`(() => { const c = getComputedStyle(document.getElementById('preview-button')).backgroundColor; return c === 'rgb(10, 127, 90)' ? c : null; })()`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if bg != "rgb(10, 127, 90)" {
		t.Fatalf("the preview's colour is %q", bg)
	}
	s.screenshot(t, "console-sign-in-experience.png")
	s.submit(t, "#sie-form", "/sign-in-experience")
	if n := s.notice(t); !strings.Contains(n, "saved") {
		t.Fatalf("notice after saving: %q", n)
	}
	got := s.settings(t)
	if got.Color.PrimaryColor != "#0A7F5A" || got.PasswordPolicy.Length.Min != 10 {
		t.Fatalf("saved settings: colour %q, minimum length %d", got.Color.PrimaryColor, got.PasswordPolicy.Length.Min)
	}
	// Nothing else changed on the way.
	if len(got.SignIn.Methods) != len(before.SignIn.Methods) || got.LanguageInfo != before.LanguageInfo ||
		strings.Join(got.SignUp.Identifiers, ",") != strings.Join(before.SignUp.Identifiers, ",") {
		t.Fatalf("saving changed other settings: before %+v / %+v, after %+v / %+v", before.SignIn, before.SignUp, got.SignIn, got.SignUp)
	}
}

func (s *consoleSite) settings(t *testing.T) *signinexp.Settings {
	t.Helper()
	st, err := signinexp.Load(context.Background(), s.Store)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestBrowserConsoleSigningKeys: rotating asks first, then publishes a new
// key.
func TestBrowserConsoleSigningKeys(t *testing.T) {
	s := newConsoleSite(t)
	before, err := s.Store.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.open(t, "/signing-keys")
	s.follow(t, "#rotate-ec", "/signing-keys/rotate")
	if after, _ := s.Store.ListSigningKeys(context.Background()); len(after) != len(before) {
		t.Fatal("the confirmation page rotated already")
	}
	s.submit(t, "#confirm-form", "/signing-keys")
	after, err := s.Store.ListSigningKeys(context.Background())
	if err != nil || len(after) != len(before)+1 {
		t.Fatalf("%d keys after rotation, want %d (%v)", len(after), len(before)+1, err)
	}
	if n := browserRun(t, s.tab, chromedp.Evaluate[int](`document.querySelectorAll('tbody tr').length`)); n != len(after) {
		t.Fatalf("the page lists %d keys, the store holds %d", n, len(after))
	}
}

// TestBrowserConsoleDashboard: user counts and sign-ins of the last 24
// hours and 7 days, from the audit log.
func TestBrowserConsoleDashboard(t *testing.T) {
	s := newConsoleSite(t)
	s.createUser(t, "ada", "ada@example.com", "Analytical-Engine-1843!")
	s.createUser(t, "grace", "grace@example.com", "Cobol-Compiler-1959!")
	now := s.Clock.Now()
	entry := func(result audit.Result, age time.Duration) store.LogEntry {
		payload, _ := json.Marshal(map[string]any{"key": audit.SignInSubmit, "result": result})
		return store.LogEntry{Key: audit.SignInSubmit, Result: string(result), Payload: payload, CreatedAt: now.Add(-age).UnixMilli()}
	}
	err := s.Store.InsertLogs(context.Background(), []store.LogEntry{
		entry(audit.Success, time.Hour), entry(audit.Success, 2*time.Hour), entry(audit.Error, time.Hour),
		entry(audit.Success, 3*24*time.Hour), entry(audit.Success, 9*24*time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.open(t, "/")
	for id, want := range map[string]string{"stat-users": "2", "stat-new-today": "2", "stat-signins-24h": "2", "stat-signins-7d": "3"} {
		if got := s.textOf(t, id); got != want {
			t.Errorf("%s shows %q, want %q", id, got, want)
		}
	}
	s.screenshot(t, "console-dashboard.png")
}

// TestBrowserConsoleWebhooks: a bad URL and no events are refused next to
// their fields and save nothing; a webhook is created with its events and
// its signing key shown, and deleted after a confirmation.
func TestBrowserConsoleWebhooks(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/webhooks/new")
	s.fill(t, map[string]string{"name": "audit", "url": "ftp://hooks.example"})
	browserDo(t, s.tab, chromedp.Click(chromedp.CSS(`input[name="events"][value="User.Created"]`)))
	s.submit(t, "#hook-form", "/webhooks/new")
	s.wantFieldError(t, "url", "http or https")
	browserDo(t, s.tab, chromedp.Click(chromedp.CSS(`input[name="events"][value="User.Created"]`)))
	s.fill(t, map[string]string{"url": "https://hooks.example/in"})
	s.submit(t, "#hook-form", "/webhooks/new")
	s.wantFieldError(t, "events", "at least one event")
	if list, _, err := s.Store.ListHooks(context.Background(), store.Page{}); err != nil || len(list) != 0 {
		t.Fatalf("hooks after refused forms: %v %v", list, err)
	}
	browserDo(t, s.tab, chromedp.Click(chromedp.CSS(`input[name="events"][value="User.Created"]`)),
		chromedp.Click(chromedp.CSS(`input[name="events"][value="User.Deleted"]`)))
	u := s.submit(t, "#hook-form", "/webhooks/")
	hookID := strings.TrimPrefix(u.Path, "/webhooks/")
	h, err := s.Store.GetHook(context.Background(), hookID)
	if err != nil || h.Name != "audit" || h.Config.URL != "https://hooks.example/in" || strings.Join(h.Events, ",") != "User.Created,User.Deleted" || !h.Enabled {
		t.Fatalf("stored hook: %+v %v", h, err)
	}
	if key := s.textOf(t, "hook-signing-key"); len(key) < 20 {
		t.Fatalf("signing key shown: %q", key)
	}
	s.follow(t, `a[href$="/delete"]`, "/webhooks/"+hookID+"/delete")
	s.submit(t, "#confirm-form", "/webhooks")
	if _, err := s.Store.GetHook(context.Background(), hookID); err == nil {
		t.Fatal("the webhook still exists")
	}
}

// TestBrowserConsoleEnterpriseSSO: an issuer whose discovery cannot be
// fetched is refused next to the settings and saves nothing; an OpenID
// Connect connector (Gatehouse's own issuer stands in for the identity
// provider) is added and shows its callback URL; a duplicate name is
// refused next to the name.
func TestBrowserConsoleEnterpriseSSO(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/connectors")
	s.follow(t, `a[href="/sso-connectors/new"]`, "/sso-connectors/new")
	fill := func(name, issuer string) {
		s.fill(t, map[string]string{"connectorName": name, "domains": "acme.example",
			"config": `{"clientId": "gatehouse", "clientSecret": "s3cret", "issuer": "` + issuer + `"}`})
	}
	fill("Acme", "http://127.0.0.1:1/nothing")
	s.submit(t, "#sso-form", "/sso-connectors/new")
	s.wantFieldError(t, "config", "issuer")
	if list, err := s.Store.ListSSOConnectors(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("SSO connectors after a refused form: %v %v", list, err)
	}
	fill("Acme", s.Issuer)
	u := s.submit(t, "#sso-form", "/sso-connectors/")
	id := strings.TrimPrefix(u.Path, "/sso-connectors/")
	if got := s.textOf(t, "callback-url"); got != s.URL+"/callback/"+id {
		t.Fatalf("callback URL shown: %q, want %q", got, s.URL+"/callback/"+id)
	}
	s.open(t, "/sso-connectors/new")
	fill("Acme", s.Issuer)
	s.submit(t, "#sso-form", "/sso-connectors/new")
	s.wantFieldError(t, "connectorName", "already exists")
}

// TestBrowserConsoleSocialConnector: a GitHub connector without its secret
// is refused next to the settings; once added, its page and the list show
// the callback URL on the public endpoint, and saving the page with the
// masked secret keeps the secret.
func TestBrowserConsoleSocialConnector(t *testing.T) {
	s := newConsoleSite(t)
	s.open(t, "/connectors")
	s.follow(t, `a[href="/connectors/new?factory=github-universal"]`, "/connectors/new")
	s.fill(t, map[string]string{"config": `{"clientId": "gh-client"}`})
	s.submit(t, "#connector-form", "/connectors/new")
	s.wantFieldError(t, "config", "clientSecret")
	s.fill(t, map[string]string{"config": `{"clientId": "gh-client", "clientSecret": "gh-secret-value"}`})
	u := s.submit(t, "#connector-form", "/connectors/")
	connID := strings.TrimPrefix(u.Path, "/connectors/")
	want := s.URL + "/callback/" + connID
	if got := s.textOf(t, "callback-url"); got != want {
		t.Fatalf("callback URL shown: %q, want %q", got, want)
	}
	if cfg := browserRun(t, s.tab, chromedp.Value(chromedp.CSS(`[name="config"]`))); strings.Contains(cfg, "gh-secret-value") {
		t.Fatalf("the connector page shows the secret: %s", cfg)
	}
	s.submit(t, "#connector-settings", "/connectors/"+connID)
	var conn struct {
		Config map[string]string `json:"config"`
	}
	status, _, raw := s.management(t).call("GET", "/api/connectors/"+connID, nil)
	json.Unmarshal(raw, &conn)
	if status != 200 || conn.Config["clientId"] != "gh-client" {
		t.Fatalf("connector after saving: %d %s", status, raw)
	}
	stored, err := s.Store.GetConnector(context.Background(), connID)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.sealer.Open(stored.SealedConfig)
	if err != nil || !strings.Contains(string(plain), "gh-secret-value") {
		t.Fatalf("saving with the masked secret lost it: %s %v", plain, err)
	}
	s.open(t, "/connectors")
	if got := s.textOf(t, "callback-0"); got != want {
		t.Fatalf("the list shows callback %q, want %q", got, want)
	}
	s.screenshot(t, "console-connectors.png")
}
