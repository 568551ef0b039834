package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

type appJSON struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Secret             string `json:"secret"`
	Description        *string
	Type               string `json:"type"`
	OIDCClientMetadata struct {
		RedirectURIs           []string `json:"redirectUris"`
		PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	} `json:"oidcClientMetadata"`
	CustomClientMetadata map[string]any `json:"customClientMetadata"`
	CustomData           map[string]any `json:"customData"`
	IsThirdParty         bool           `json:"isThirdParty"`
	CreatedAt            int64          `json:"createdAt"`
}

func TestManagementAuthentication(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	m := in.management(t)
	anon := &mgmt{t: t, base: in.URL}
	if code := anon.fails("GET", "/api/applications", nil, 401); code != "auth.authorization_header_missing" {
		t.Fatalf("no token: %s", code)
	}
	bad := &mgmt{t: t, base: in.URL, token: "not-a-jwt"}
	if code := bad.fails("GET", "/api/applications", nil, 401); code != "auth.unauthorized" {
		t.Fatalf("bad token: %s", code)
	}
	// A valid token of this server for another resource, or without the scope.
	_, ids := in.apiResource(t, ordersAPI, []string{"read:orders"})
	in.role(t, "worker", "MachineToMachine", ids["read:orders"])
	otherID, otherSecret := in.createApp(t, appsInput("worker", "MachineToMachine", "worker"))
	res := tokenRequest(t, in.Issuer, otherID, otherSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI}})
	wrongAud := &mgmt{t: t, base: in.URL, token: res.AccessToken}
	if code := wrongAud.fails("GET", "/api/applications", nil, 401); code != "auth.unauthorized" {
		t.Fatalf("token for another resource: %s", code)
	}
	res = tokenRequest(t, in.Issuer, otherID, otherSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://default.logto.app/api"}})
	noScope := &mgmt{t: t, base: in.URL, token: res.AccessToken}
	if code := noScope.fails("GET", "/api/applications", nil, 403); code != "auth.forbidden" {
		t.Fatalf("token without scope all: %s", code)
	}
	// Expired tokens are refused.
	in.Clock.Advance(2 * 3600 * 1e9)
	if code := m.fails("GET", "/api/applications", nil, 401); code != "auth.unauthorized" {
		t.Fatalf("expired token: %s", code)
	}
	in.Clock.Advance(-2 * 3600 * 1e9)
	m.do("GET", "/api/applications", nil, 200, nil)
	// Health is public.
	if status, _, _ := anon.call("GET", "/api/status", nil); status != 204 {
		t.Fatalf("status: %d", status)
	}
}

func TestManagementApplications(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)

		var web appJSON
		m.do("POST", "/api/applications", map[string]any{
			"name": "PanBot Dashboard", "type": "Traditional", "description": "dashboard",
			"oidcClientMetadata": map[string]any{"redirectUris": []string{"http://localhost:3000/callback"}, "postLogoutRedirectUris": []string{"http://localhost:3000"}},
			// Fields Logto's Terraform provider sends that Logto does not read are ignored.
			"id": "ignored", "isAdmin": false, "customClientMetadata": map[string]any{}, "scopes": []string{},
		}, 200, &web)
		if web.ID == "" || web.ID == "ignored" || len(web.Secret) < 32 || web.Type != "Traditional" ||
			!slices.Equal(web.OIDCClientMetadata.RedirectURIs, []string{"http://localhost:3000/callback"}) {
			t.Fatalf("created %+v", web)
		}
		// The create response's secret authenticates at the token endpoint.
		if res := tokenRequest(t, in.Issuer, web.ID, web.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); res.Error != "invalid_grant" {
			t.Fatalf("secret from the create response: %d %s", res.status, res.raw)
		}
		var secrets []struct{ Name, Value string }
		m.do("GET", "/api/applications/"+web.ID+"/secrets", nil, 200, &secrets)
		if len(secrets) != 1 || secrets[0].Name != "Default secret" || secrets[0].Value != web.Secret {
			t.Fatalf("secrets = %+v", secrets)
		}

		// The legacy secret goes only once another secret can take over.
		if code := m.fails("DELETE", "/api/applications/"+web.ID+"/legacy-secret", nil, 400); code != "application.no_other_secret" {
			t.Fatalf("deleting the only secret: %s", code)
		}
		var got appJSON
		m.do("GET", "/api/applications/"+web.ID, nil, 200, &got)
		if got.Name != "PanBot Dashboard" || got.Secret != web.Secret || got.Description == nil || *got.Description != "dashboard" {
			t.Fatalf("get = %+v", got)
		}
		// PATCH merges metadata objects and leaves absent fields alone.
		m.do("PATCH", "/api/applications/"+web.ID, map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://dash.example/callback"}},
			"customData": map[string]any{"plan": "pro"}}, 200, &got)
		if !slices.Equal(got.OIDCClientMetadata.RedirectURIs, []string{"https://dash.example/callback"}) ||
			!slices.Equal(got.OIDCClientMetadata.PostLogoutRedirectURIs, []string{"http://localhost:3000"}) || got.Name != "PanBot Dashboard" || got.CustomData["plan"] != "pro" {
			t.Fatalf("patched = %+v", got)
		}
		var cd map[string]any
		m.do("PATCH", "/api/applications/"+web.ID+"/custom-data", map[string]any{"customData": map[string]any{"seats": 5}}, 200, &cd)
		if cd["plan"] != "pro" || cd["seats"] != float64(5) {
			t.Fatalf("custom data = %v", cd)
		}

		// Secrets: add, rename, delete.
		var added struct{ Name, Value string }
		m.do("POST", "/api/applications/"+web.ID+"/secrets", map[string]any{"name": "ci"}, 201, &added)
		if added.Value == "" || added.Name != "ci" {
			t.Fatalf("added secret %+v", added)
		}
		if res := tokenRequest(t, in.Issuer, web.ID, added.Value, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); res.Error != "invalid_grant" {
			t.Fatalf("added secret does not authenticate: %s", res.raw)
		}
		m.fails("POST", "/api/applications/"+web.ID+"/secrets", map[string]any{"name": "ci"}, 422)
		m.do("PATCH", "/api/applications/"+web.ID+"/secrets/ci", map[string]any{"name": "ci-2"}, 200, &added)
		m.do("DELETE", "/api/applications/"+web.ID+"/secrets/ci-2", nil, 204, nil)
		m.fails("DELETE", "/api/applications/"+web.ID+"/secrets/ci-2", nil, 404)

		var spare struct{ Value string }
		m.do("POST", "/api/applications/"+web.ID+"/secrets", map[string]any{"name": "spare"}, 201, &spare)
		var withoutLegacy appJSON
		m.do("DELETE", "/api/applications/"+web.ID+"/legacy-secret", nil, 200, &withoutLegacy)
		if withoutLegacy.Secret != "" {
			t.Fatalf("legacy secret still shown: %q", withoutLegacy.Secret)
		}
		if res := tokenRequest(t, in.Issuer, web.ID, web.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); res.Error != "invalid_client" {
			t.Fatalf("deleted legacy secret still authenticates: %s", res.raw)
		}
		if res := tokenRequest(t, in.Issuer, web.ID, spare.Value, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); res.Error != "invalid_grant" {
			t.Fatalf("remaining secret does not authenticate: %s", res.raw)
		}
		m.fails("DELETE", "/api/applications/"+web.ID+"/legacy-secret", nil, 400)
		m.fails("DELETE", "/api/applications/nope/legacy-secret", nil, 404)
		web.Secret = spare.Value

		// M2M roles.
		var worker appJSON
		m.do("POST", "/api/applications", map[string]any{"name": "Order Worker", "type": "MachineToMachine"}, 200, &worker)
		var roles []struct{ ID, Name, Type string }
		m.do("GET", "/api/applications/"+worker.ID+"/roles", nil, 200, &roles)
		if len(roles) != 0 {
			t.Fatalf("new app has roles %v", roles)
		}
		mgmtRole := in.roleID(t, "Logto Management API access")
		m.do("POST", "/api/applications/"+worker.ID+"/roles", map[string]any{"roleIds": []string{mgmtRole}}, 201, nil)
		m.do("GET", "/api/applications/"+worker.ID+"/roles", nil, 200, &roles)
		if len(roles) != 1 || roles[0].Name != "Logto Management API access" {
			t.Fatalf("roles after assign = %v", roles)
		}
		if code := m.fails("POST", "/api/applications/"+web.ID+"/roles", map[string]any{"roleIds": []string{mgmtRole}}, 422); code != "application.invalid_type" {
			t.Fatalf("roles on a Traditional app: %s", code)
		}
		m.fails("POST", "/api/applications/"+worker.ID+"/roles", map[string]any{"roleIds": []string{"nope"}}, 404)
		m.do("DELETE", "/api/applications/"+worker.ID+"/roles/"+mgmtRole, nil, 204, nil)
		m.do("PUT", "/api/applications/"+worker.ID+"/roles", map[string]any{"roleIds": []string{mgmtRole}}, 200, nil)
		m.do("GET", "/api/applications/"+worker.ID+"/roles", nil, 200, &roles)
		if len(roles) != 1 {
			t.Fatalf("roles after replace = %v", roles)
		}

		// Lists: filters, paging with Total-Number, stable order.
		var list []appJSON
		h := m.do("GET", "/api/applications?page=1&page_size=2", nil, 200, &list)
		if h.Get("Total-Number") == "" || len(list) != 2 {
			t.Fatalf("page: %d items, Total-Number %q", len(list), h.Get("Total-Number"))
		}
		m.do("GET", "/api/applications?types=MachineToMachine", nil, 200, &list)
		for _, a := range list {
			if a.Type != "MachineToMachine" {
				t.Fatalf("types filter returned %s", a.Type)
			}
		}
		m.do("GET", "/api/applications?search=dashboard", nil, 200, &list)
		if len(list) != 1 || list[0].ID != web.ID {
			t.Fatalf("search = %v", list)
		}
		m.fails("GET", "/api/applications?page=0", nil, 400)
		m.fails("GET", "/api/applications?page_size=1000", nil, 400)

		// Bad input: the field is named, nothing is stored.
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"type": "Traditional"}, "name"},
			{map[string]any{"name": "x"}, "type"},
			{map[string]any{"name": 5, "type": "SPA"}, "name"},
			{map[string]any{"name": "x", "type": "Desktop"}, "type"},
			{map[string]any{"name": "x", "type": "SPA", "oidcClientMetadata": map[string]any{"redirectUris": "https://x"}}, "oidcClientMetadata.redirectUris"},
			{map[string]any{"name": "x", "type": "SPA", "oidcClientMetadata": map[string]any{"redirectUris": []string{"not a uri"}}}, "oidcClientMetadata.redirectUris"},
			{map[string]any{"name": "x", "type": "SPA", "customData": []int{1}}, "customData"},
			{map[string]any{"name": "x", "type": "SPA", "isThirdParty": "yes"}, "isThirdParty"},
			{"[1,2]", "body"},
			{"{", "body"},
		} {
			status, _, raw := m.call("POST", "/api/applications", c.body)
			if status != 400 || !strings.Contains(string(raw), c.field) {
				t.Errorf("POST %v: %d %s; want 400 naming %s", c.body, status, raw, c.field)
			}
		}
		var after []appJSON
		m.do("GET", "/api/applications", nil, 200, &after)
		var names []string
		for _, a := range after {
			names = append(names, a.Name)
		}
		if slices.Contains(names, "x") {
			t.Fatal("a rejected application was stored")
		}
		if code := m.fails("GET", "/api/applications/nope", nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("missing app: %s", code)
		}
		m.fails("PATCH", "/api/applications/nope", map[string]any{"name": "y"}, 404)
		m.fails("PATCH", "/api/applications/"+web.ID, map[string]any{"name": false}, 400)
		m.do("DELETE", "/api/applications/"+web.ID, nil, 204, nil)
		m.fails("DELETE", "/api/applications/"+web.ID, nil, 404)
		// A deleted application can no longer take tokens (after the cache window).
		in.Clock.Advance(11e9)
		if res := tokenRequest(t, in.Issuer, web.ID, web.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); res.Error != "invalid_client" {
			t.Fatalf("deleted app authenticates: %s", res.raw)
		}
	})
}
