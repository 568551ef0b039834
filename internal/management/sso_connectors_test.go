package management

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/sso"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

const ssoTestEndpoint = "https://auth.example.com"

// ssoAPI is the Management API over a fresh store, its SSO service reaching
// fake identity providers on an Upstream, called in-process as the admin
// console calls it.
type ssoAPI struct {
	t   *testing.T
	mux *http.ServeMux
	up  *connectortest.Upstream
	st  store.Store
}

func newSSOAPI(t *testing.T) *ssoAPI {
	up, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	st := sqltest.SQLite(t)
	svc := sso.NewService(st, nil, sso.Options{HTTPClient: up.Client(), Endpoint: ssoTestEndpoint})
	a := New(Options{Store: st, SSO: svc, Issuer: ssoTestEndpoint + "/oidc"})
	mux := http.NewServeMux()
	a.Register(mux)
	return &ssoAPI{t: t, mux: mux, up: up, st: st}
}

func (s *ssoAPI) call(method, path string, body any) (int, http.Header, []byte) {
	s.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd).WithContext(AsAdministrator(context.Background(), "admin-1"))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

func (s *ssoAPI) do(method, path string, body any, want int, out any) http.Header {
	s.t.Helper()
	status, h, raw := s.call(method, path, body)
	if status != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return h
}

// fails expects Logto's error body and returns its code.
func (s *ssoAPI) fails(method, path string, body any, want int) string {
	s.t.Helper()
	status, _, raw := s.call(method, path, body)
	var e struct{ Code, Message string }
	if status != want || json.Unmarshal(raw, &e) != nil || e.Code == "" || e.Message == "" {
		s.t.Fatalf("%s %s: %d %s, want %d with {code, message}", method, path, status, raw, want)
	}
	return e.Code
}

type ssoConnectorResponse struct {
	TenantID           string            `json:"tenantId"`
	ID                 string            `json:"id"`
	ProviderName       string            `json:"providerName"`
	ConnectorName      string            `json:"connectorName"`
	Config             map[string]any    `json:"config"`
	Domains            []string          `json:"domains"`
	Branding           map[string]string `json:"branding"`
	SyncProfile        bool              `json:"syncProfile"`
	EnableTokenStorage bool              `json:"enableTokenStorage"`
	CreatedAt          int64             `json:"createdAt"`
	Name               string            `json:"name"`
	ProviderType       string            `json:"providerType"`
	ProviderLogo       string            `json:"providerLogo"`
	ProviderLogoDark   string            `json:"providerLogoDark"`
	ProviderConfig     map[string]any    `json:"providerConfig"`
}

var ssoAlice = connectortest.FakeAccount{ID: "00u-alice", Email: "alice@acme.example", EmailVerified: true, Name: "Alice"}

func TestSSOConnectorProviders(t *testing.T) {
	s := newSSOAPI(t)
	var list []map[string]string
	s.do("GET", "/api/sso-connector-providers", nil, 200, &list)
	var names []string
	for _, p := range list {
		names = append(names, p["providerName"]+"/"+p["providerType"])
		for _, k := range []string{"logo", "logoDark", "description", "name"} {
			if p[k] == "" {
				t.Errorf("%s has no %s", p["providerName"], k)
			}
		}
	}
	if got := strings.Join(names, " "); got != "OIDC/oidc SAML/saml AzureAD/saml AzureAdOidc/oidc GoogleWorkspace/oidc Okta/oidc" {
		t.Fatalf("providers %s", got)
	}
}

func TestSSOConnectorsOIDC(t *testing.T) {
	s := newSSOAPI(t)
	fake := connectortest.NewFakeEnterpriseOIDC(s.up, "login.acme.example", ssoAlice)
	secret := fake.ClientSecret()

	var c ssoConnectorResponse
	s.do("POST", "/api/sso-connectors", map[string]any{"providerName": "OIDC", "connectorName": "Acme",
		"config": fake.Config(), "domains": []string{"ACME.example"}, "branding": map[string]string{"displayName": "Acme Corp"},
		"syncProfile": true, "unknownField": 1}, 200, &c)
	if c.TenantID != "default" || len(c.ID) != 12 || c.ProviderName != "OIDC" || c.ConnectorName != "Acme" || c.ProviderType != "oidc" ||
		c.Name != "OIDC" || c.ProviderLogo == "" || !c.SyncProfile || c.EnableTokenStorage || c.CreatedAt == 0 ||
		strings.Join(c.Domains, ",") != "acme.example" || c.Branding["displayName"] != "Acme Corp" {
		t.Fatalf("created %+v", c)
	}
	if c.Config["clientSecret"] != connector.MaskValue(secret) || c.Config["issuer"] != fake.Issuer() {
		t.Fatalf("config %v", c.Config)
	}
	if c.ProviderConfig["tokenEndpoint"] != fake.Issuer()+"/oauth2/v1/token" || c.ProviderConfig["clientSecret"] != connector.MaskValue(secret) ||
		c.ProviderConfig["redirectUri"] != ssoTestEndpoint+"/callback/"+c.ID {
		t.Fatalf("providerConfig %v", c.ProviderConfig)
	}
	for _, path := range []string{"/api/sso-connectors", "/api/sso-connectors/" + c.ID} {
		if _, _, raw := s.call("GET", path, nil); strings.Contains(string(raw), secret) {
			t.Fatalf("GET %s shows the client secret", path)
		}
	}

	var got ssoConnectorResponse
	s.do("GET", "/api/sso-connectors/"+c.ID, nil, 200, &got)
	if got.ID != c.ID || got.ProviderConfig["jwksUri"] != fake.Issuer()+"/oauth2/v1/keys" {
		t.Fatalf("got %+v", got)
	}

	t.Run("refused", func(t *testing.T) {
		for name, tc := range map[string]struct {
			body   map[string]any
			status int
			code   string
		}{
			"unreachable issuer": {map[string]any{"providerName": "OIDC", "connectorName": "x",
				"config": map[string]any{"clientId": "a", "clientSecret": "b", "issuer": "https://nowhere.acme.example"}}, 400, "connector.invalid_config"},
			"no client id": {map[string]any{"providerName": "Okta", "connectorName": "x",
				"config": map[string]any{"clientSecret": "b", "issuer": fake.Issuer()}}, 400, "connector.invalid_config"},
			"unknown provider":  {map[string]any{"providerName": "Auth0", "connectorName": "x"}, 422, "connector.not_found"},
			"no provider":       {map[string]any{"connectorName": "x"}, 400, "guard.invalid_input"},
			"no name":           {map[string]any{"providerName": "OIDC"}, 400, "guard.invalid_input"},
			"config not object": {map[string]any{"providerName": "OIDC", "connectorName": "x", "config": "issuer"}, 400, "guard.invalid_input"},
			"domains not array": {map[string]any{"providerName": "OIDC", "connectorName": "x", "domains": "acme.example"}, 400, "guard.invalid_input"},
			"public domain":     {map[string]any{"providerName": "OIDC", "connectorName": "x", "domains": []string{"gmail.com"}}, 422, "single_sign_on.forbidden_domains"},
			"duplicate domain":  {map[string]any{"providerName": "OIDC", "connectorName": "x", "domains": []string{"a.example", "A.example"}}, 422, "single_sign_on.duplicated_domains"},
			"duplicate name":    {map[string]any{"providerName": "OIDC", "connectorName": "Acme", "config": fake.Config()}, 409, "single_sign_on.duplicate_connector_name"},
			"token storage":     {map[string]any{"providerName": "OIDC", "connectorName": "x", "enableTokenStorage": true}, 422, "request.feature_not_supported"},
			"branding type":     {map[string]any{"providerName": "OIDC", "connectorName": "x", "branding": map[string]any{"logo": 1}}, 400, "guard.invalid_input"},
		} {
			t.Run(name, func(t *testing.T) {
				if code := s.fails("POST", "/api/sso-connectors", tc.body, tc.status); code != tc.code {
					t.Fatalf("code %s, want %s", code, tc.code)
				}
			})
		}
	})

	t.Run("patch", func(t *testing.T) {
		var upd ssoConnectorResponse
		// The config as read back, secret masked: the secret stays.
		s.do("PATCH", "/api/sso-connectors/"+c.ID, map[string]any{"connectorName": "Acme SSO", "config": got.Config,
			"domains": []string{"acme.example", "acme.test"}}, 200, &upd)
		if upd.ConnectorName != "Acme SSO" || strings.Join(upd.Domains, ",") != "acme.example,acme.test" || upd.Branding["displayName"] != "Acme Corp" {
			t.Fatalf("updated %+v", upd)
		}
		rec, err := s.st.GetSSOConnector(t.Context(), c.ID)
		if err != nil || !strings.Contains(rec.SealedConfig, "plain:") {
			t.Fatalf("stored %+v, %v", rec, err)
		}
		svc := sso.NewService(s.st, nil, sso.Options{HTTPClient: s.up.Client(), Endpoint: ssoTestEndpoint})
		stored, err := svc.Get(t.Context(), c.ID)
		if err != nil || !strings.Contains(string(stored.Config), secret) {
			t.Fatalf("the secret did not survive the PATCH: %v", err)
		}
		if code := s.fails("PATCH", "/api/sso-connectors/"+c.ID, map[string]any{"config": map[string]any{"clientId": "a", "clientSecret": "b",
			"issuer": "https://nowhere.acme.example"}}, 400); code != "connector.invalid_config" {
			t.Fatalf("code %s", code)
		}
		if code := s.fails("PATCH", "/api/sso-connectors/missing", map[string]any{"syncProfile": false}, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("code %s", code)
		}
	})

	t.Run("list and paging", func(t *testing.T) {
		s.do("POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "Second"}, 200, nil)
		var all []ssoConnectorResponse
		if h := s.do("GET", "/api/sso-connectors", nil, 200, &all); h.Get("Total-Number") != "" {
			t.Fatal("Total-Number without paging")
		}
		if len(all) != 2 || all[0].ID != c.ID || all[1].ProviderType != "saml" {
			t.Fatalf("list %+v", all)
		}
		var page []ssoConnectorResponse
		if h := s.do("GET", "/api/sso-connectors?page=2&page_size=1", nil, 200, &page); h.Get("Total-Number") != "2" || len(page) != 1 || page[0].ConnectorName != "Second" {
			t.Fatalf("page %+v, Total-Number %q", page, h.Get("Total-Number"))
		}
		if sp, _ := page[0].ProviderConfig["serviceProvider"].(map[string]any); sp["entityId"] != ssoTestEndpoint+"/enterprise-sso/"+page[0].ID ||
			sp["assertionConsumerServiceUrl"] != ssoTestEndpoint+"/callback/"+page[0].ID {
			t.Fatalf("SAML providerConfig %v", page[0].ProviderConfig)
		}
		s.do("GET", "/api/sso-connectors?page=3&page_size=1", nil, 200, &page)
		if len(page) != 0 {
			t.Fatalf("page past the end %+v", page)
		}
		s.fails("GET", "/api/sso-connectors?page=0", nil, 400)
	})

	t.Run("delete", func(t *testing.T) {
		u := &store.User{ID: "ssouser00001", CreatedAt: 1, UpdatedAt: 1}
		if err := s.st.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		if err := s.st.UpsertSSOIdentity(t.Context(), &store.SSOIdentity{UserID: u.ID, SSOConnectorID: c.ID, Issuer: fake.Issuer(), IdentityID: "sub"}); err != nil {
			t.Fatal(err)
		}
		s.do("DELETE", "/api/sso-connectors/"+c.ID, nil, 204, nil)
		if code := s.fails("DELETE", "/api/sso-connectors/"+c.ID, nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("code %s", code)
		}
		s.fails("GET", "/api/sso-connectors/"+c.ID, nil, 404)
		if ids, _ := s.st.ListUserSSOIdentities(t.Context(), u.ID); len(ids) != 0 {
			t.Fatalf("identities left: %+v", ids)
		}
	})
}

func TestSSOConnectorsSAML(t *testing.T) {
	s := newSSOAPI(t)
	idp := connectortest.NewFakeSAMLIdP(s.up, "idp.acme.example", ssoAlice)
	var c ssoConnectorResponse
	s.do("POST", "/api/sso-connectors", map[string]any{"providerName": "AzureAD", "connectorName": "Entra",
		"config": idp.Config(), "domains": []string{"acme.example"}}, 200, &c)
	idpCfg, _ := c.ProviderConfig["identityProvider"].(map[string]any)
	if c.ProviderType != "saml" || c.Name != "Microsoft Entra ID (SAML)" || idpCfg["entityId"] != idp.EntityID() ||
		idpCfg["signInEndpoint"] != idp.SSOURL() || idpCfg["isCertificateValid"] != true || c.Config["metadataUrl"] != idp.MetadataURL() {
		t.Fatalf("created %+v", c)
	}
	for name, cfg := range map[string]map[string]any{
		"bad metadata":    {"metadata": "<not-metadata/>"},
		"bad certificate": {"entityId": "e", "signInEndpoint": idp.SSOURL(), "x509Certificate": "AAAA"},
	} {
		code := s.fails("POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": name, "config": cfg}, 400)
		if !strings.HasPrefix(code, "connector.invalid_") {
			t.Errorf("%s: code %s", name, code)
		}
	}
	if code := s.fails("POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "signed",
		"config": map[string]any{"metadataUrl": idp.MetadataURL(), "signAuthnRequest": true}}, 400); code != "single_sign_on.active_signing_key_required" {
		t.Fatalf("code %s", code)
	}
}
