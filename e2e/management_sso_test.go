package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

// ssoRoutes are the enterprise SSO family's operations.
var ssoRoutes = []struct{ method, path string }{
	{"GET", "/api/sso-connector-providers"},
	{"GET", "/api/sso-connectors"},
	{"POST", "/api/sso-connectors"},
	{"GET", "/api/sso-connectors/x"},
	{"PATCH", "/api/sso-connectors/x"},
	{"DELETE", "/api/sso-connectors/x"},
}

func TestManagementSSONeedsToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	anon := &mgmt{t: t, base: in.URL}
	for _, rt := range ssoRoutes {
		if code := anon.fails(rt.method, rt.path, map[string]any{"providerName": "SAML", "connectorName": "x"}, 401); code != "auth.authorization_header_missing" {
			t.Errorf("%s %s without a token: %s", rt.method, rt.path, code)
		}
	}
	if list, err := in.Store.ListSSOConnectors(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("SSO connectors after refused calls: %v %v", list, err)
	}
}

// TestManagementSSOConnectors runs a setup script's SSO calls against a
// SAML IdP whose metadata it passes inline (no network needed), on both
// databases.
func TestManagementSSOConnectors(t *testing.T) {
	up, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	idp := connectortest.NewFakeSAMLIdP(up, "idp.acme.example", connectortest.FakeAccount{ID: "u1", Email: "ann@acme.example"})

	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)

		var providers []struct{ ProviderName, ProviderType string }
		m.do("GET", "/api/sso-connector-providers", nil, 200, &providers)
		if len(providers) != 6 || providers[1].ProviderName != "SAML" || providers[1].ProviderType != "saml" {
			t.Fatalf("providers %+v", providers)
		}

		type connectorJSON struct {
			ID, ProviderName, ConnectorName, ProviderType, TenantID string
			Domains                                                 []string
			Config                                                  map[string]any
			ProviderConfig                                          struct {
				ServiceProvider  struct{ EntityID, AssertionConsumerServiceURL string }
				IdentityProvider *struct{ EntityID, SignInEndpoint, X509Certificate string }
			}
		}
		var c connectorJSON
		m.do("POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "Acme SAML",
			"config": idp.InlineConfig(), "domains": []string{"Acme.Example"}}, 200, &c)
		sp := c.ProviderConfig.ServiceProvider
		if c.TenantID != "default" || c.ProviderType != "saml" || strings.Join(c.Domains, ",") != "acme.example" ||
			sp.EntityID != in.URL+"/enterprise-sso/"+c.ID || sp.AssertionConsumerServiceURL != in.URL+"/callback/"+c.ID ||
			c.ProviderConfig.IdentityProvider == nil || c.ProviderConfig.IdentityProvider.EntityID != idp.EntityID() {
			t.Fatalf("created %+v", c)
		}

		var list []connectorJSON
		if h := m.do("GET", "/api/sso-connectors?page=1&page_size=10", nil, 200, &list); h.Get("Total-Number") != "1" || len(list) != 1 || list[0].ID != c.ID {
			t.Fatalf("list %+v (Total-Number %q)", list, h.Get("Total-Number"))
		}

		var upd connectorJSON
		m.do("PATCH", "/api/sso-connectors/"+c.ID, map[string]any{"connectorName": "Acme", "domains": []string{"acme.example", "acme.test"}}, 200, &upd)
		if upd.ConnectorName != "Acme" || len(upd.Domains) != 2 || upd.Config["metadata"] == nil {
			t.Fatalf("updated %+v", upd)
		}

		// An OIDC issuer whose discovery document cannot be fetched.
		if code := m.fails("POST", "/api/sso-connectors", map[string]any{"providerName": "OIDC", "connectorName": "broken",
			"config": map[string]any{"clientId": "id", "clientSecret": "secret", "issuer": "https://127.0.0.1:1"}}, 400); code != "connector.invalid_config" {
			t.Fatalf("unreachable issuer: %s", code)
		}
		if code := m.fails("POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "Acme"}, 409); code != "single_sign_on.duplicate_connector_name" {
			t.Fatalf("duplicate name: %s", code)
		}
		if code := m.fails("POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "public",
			"domains": []string{"outlook.com"}}, 422); code != "single_sign_on.forbidden_domains" {
			t.Fatalf("public domain: %s", code)
		}

		m.do("DELETE", "/api/sso-connectors/"+c.ID, nil, 204, nil)
		if code := m.fails("GET", "/api/sso-connectors/"+c.ID, nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("after delete: %s", code)
		}
	})
}
