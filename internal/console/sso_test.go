package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/console"
	"github.com/gatehouse-auth/gatehouse/internal/management"
)

// fakeSSO stands in for an API that serves /api/sso-connectors, in front
// of the real API for everything else.
type fakeSSO struct {
	real    http.Handler
	created []map[string]any
}

func (f *fakeSSO) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/sso-connectors") {
		f.real.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/sso-connectors":
		json.NewEncoder(w).Encode([]map[string]any{{"id": "sso1", "providerName": "OIDC", "connectorName": "Acme", "domains": []string{"acme.example"}, "createdAt": 1}})
	case r.Method == http.MethodGet && r.URL.Path == "/api/sso-connectors/sso1":
		json.NewEncoder(w).Encode(map[string]any{"id": "sso1", "providerName": "OIDC", "connectorName": "Acme", "domains": []string{"acme.example"}, "createdAt": 1})
	case r.Method == http.MethodPost:
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		json.Unmarshal(raw, &body)
		cfg, _ := body["config"].(map[string]any)
		if cfg["issuer"] == "" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"code": "connector.invalid_config", "message": "The issuer's discovery document cannot be fetched.", "data": map[string]string{"field": "config.issuer"}})
			return
		}
		f.created = append(f.created, body)
		json.NewEncoder(w).Encode(map[string]any{"id": "sso2", "providerName": body["providerName"], "connectorName": body["connectorName"]})
	default:
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"code": "entity.not_exists_with_id", "message": "no such connector"})
	}
}

func TestEnterpriseSSOPages(t *testing.T) {
	var fake *fakeSSO
	s := newSite(t, func(o *console.Options) {
		fake = &fakeSSO{real: o.API}
		o.API = fake
	})
	c := s.setUp(t)
	p := c.get("/connectors")
	if p.status != 200 || !strings.Contains(p.body, `href="/sso-connectors/sso1"`) || !strings.Contains(p.body, "https://auth.example/callback/sso1") {
		t.Fatalf("connectors page: %d %.3000s", p.status, p.body)
	}
	if p := c.get("/sso-connectors/sso1"); p.status != 200 || !strings.Contains(p.body, "acme.example") || !strings.Contains(p.body, `id="callback-url">https://auth.example/callback/sso1<`) {
		t.Fatalf("connector page: %d %.3000s", p.status, p.body)
	}
	if p := c.get("/sso-connectors/missing"); p.status != 404 {
		t.Fatalf("missing connector: %d", p.status)
	}
	token := c.csrf("/sso-connectors/new")
	form := url.Values{"csrf": {token}, "providerName": {"OIDC"}, "connectorName": {"Acme 2"}, "domains": {"a.example\nb.example"},
		"config": {`{"clientId": "x", "clientSecret": "y", "issuer": ""}`}}
	p = c.post("/sso-connectors/new", form)
	if p.status != 400 || !strings.Contains(p.body, `id="config-error"`) || !strings.Contains(p.body, "discovery document") || len(fake.created) != 0 {
		t.Fatalf("bad issuer: %d %.3000s", p.status, p.body)
	}
	form.Set("config", `{"clientId": "x", "clientSecret": "y", "issuer": "https://idp.example"}`)
	wantRedirect(t, c.post("/sso-connectors/new", form), 303, "/sso-connectors/sso2")
	if len(fake.created) != 1 || fake.created[0]["connectorName"] != "Acme 2" || len(fake.created[0]["domains"].([]any)) != 2 {
		t.Fatalf("created: %v", fake.created)
	}
}

// Without an enterprise SSO API the connectors page says so.
func TestEnterpriseSSOMissing(t *testing.T) {
	s := newSite(t, func(o *console.Options) {
		real := o.API
		o.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/sso-connectors") {
				// What the API answers for a route it does not have.
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"code":"guard.invalid_input","message":"No route matches."}`)
				return
			}
			real.ServeHTTP(w, r)
		})
	})
	c := s.setUp(t)
	p := c.get("/connectors")
	if p.status != 200 || !strings.Contains(p.body, "does not offer enterprise SSO yet") {
		t.Fatalf("connectors page: %d %.3000s", p.status, p.body)
	}
}

// The in-process context value is what admits the console's requests: a
// request without it is refused like any tokenless request.
func TestAsAdministratorOnly(t *testing.T) {
	s := newSite(t)
	api := management.New(management.Options{Store: s.Store})
	req, _ := http.NewRequest(http.MethodGet, "/api/users", nil)
	rec := &headerRecorder{header: http.Header{}}
	api.Handler().ServeHTTP(rec, req)
	if rec.status != http.StatusUnauthorized {
		t.Fatalf("without AsAdministrator: %d", rec.status)
	}
	rec = &headerRecorder{header: http.Header{}}
	api.Handler().ServeHTTP(rec, req.WithContext(management.AsAdministrator(req.Context(), "admin1")))
	if rec.status != http.StatusOK {
		t.Fatalf("with AsAdministrator: %d", rec.status)
	}
}

type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header { return r.header }
func (r *headerRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return len(b), nil
}
func (r *headerRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// A social connector is listed with the callback URL on the server's
// public endpoint, and its page shows it with a copy button.
func TestSocialCallbackURL(t *testing.T) {
	s := newSite(t, func(o *console.Options) {
		real := o.API
		social := map[string]any{"id": "gh1", "connectorId": "github-universal", "type": "Social", "target": "github",
			"name": map[string]string{"en": "GitHub"}, "config": map[string]any{"clientId": "x", "clientSecret": "******"}}
		o.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/api/connectors":
				json.NewEncoder(w).Encode([]any{social})
			case "/api/connectors/gh1":
				json.NewEncoder(w).Encode(social)
			default:
				real.ServeHTTP(w, r)
			}
		})
	})
	c := s.setUp(t)
	p := c.get("/connectors")
	if !strings.Contains(p.body, `<code id="callback-0">https://auth.example/callback/gh1</code>`) || !strings.Contains(p.body, `data-copy="callback-0"`) {
		t.Fatalf("connectors page: %.4000s", p.body)
	}
	p = c.get("/connectors/gh1")
	if !strings.Contains(p.body, `<code id="callback-url">https://auth.example/callback/gh1</code>`) || !strings.Contains(p.body, "******") {
		t.Fatalf("connector page: %.4000s", p.body)
	}
}
