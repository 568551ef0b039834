package e2e

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestSetupScriptFlow is the restaurant team's setup script, made of plain
// HTTP calls as a Python `requests` script would make them: an API resource
// with 8 permissions, 3 roles, a Traditional app, an M2M worker, a user; then
// the user signs in and the worker takes a token, and both tokens carry
// exactly the permissions their roles grant.
func TestSetupScriptFlow(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		const api = "https://api.example"

		var resource struct{ ID, Indicator string }
		m.do("POST", "/api/resources", map[string]any{"name": "Orders API", "indicator": api, "accessTokenTtl": 3600}, 201, &resource)
		perms := []string{"read:orders", "write:orders", "read:menus", "write:menus", "read:staff", "write:staff", "read:reports", "manage:billing"}
		scopeIDs := map[string]string{}
		for _, p := range perms {
			var sc struct{ ID, Name string }
			m.do("POST", "/api/resources/"+resource.ID+"/scopes", map[string]any{"name": p, "description": "Allows " + p}, 201, &sc)
			scopeIDs[p] = sc.ID
		}
		ids := func(names ...string) []string {
			var out []string
			for _, n := range names {
				out = append(out, scopeIDs[n])
			}
			return out
		}
		var staff, owner, worker struct{ ID string }
		m.do("POST", "/api/roles", map[string]any{"name": "staff", "description": "Kitchen staff", "type": "User",
			"scopeIds": ids("read:orders", "read:menus")}, 200, &staff)
		m.do("POST", "/api/roles", map[string]any{"name": "owner", "description": "Restaurant owner", "type": "User",
			"scopeIds": ids(perms...)}, 200, &owner)
		m.do("POST", "/api/roles", map[string]any{"name": "order-worker", "description": "Order queue worker", "type": "MachineToMachine",
			"scopeIds": ids("read:orders", "write:orders")}, 200, &worker)

		var web, m2m struct{ ID, Secret string }
		m.do("POST", "/api/applications", map[string]any{"name": "Dashboard", "type": "Traditional",
			"oidcClientMetadata": map[string]any{"redirectUris": []string{redirectURI}, "postLogoutRedirectUris": []string{"http://localhost:3000"}}}, 200, &web)
		m.do("POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200, &m2m)
		m.do("POST", "/api/applications/"+m2m.ID+"/roles", map[string]any{"roleIds": []string{worker.ID}}, 201, nil)

		var user struct{ ID string }
		m.do("POST", "/api/users", map[string]any{"username": "kitchen01", "password": "Kitchen-Pass-2024!",
			"primaryEmail": "kitchen@example.com", "name": "Kitchen"}, 200, &user)
		m.do("POST", "/api/users/"+user.ID+"/roles", map[string]any{"roleIds": []string{staff.ID}}, 201, nil)

		// The worker's token carries read:orders write:orders, and only those.
		res := tokenRequest(t, in.Issuer, m2m.ID, m2m.Secret, url.Values{"grant_type": {"client_credentials"},
			"resource": {api}, "scope": {"read:orders write:orders read:menus"}})
		if res.status != 200 {
			t.Fatalf("worker token: %d %s", res.status, res.raw)
		}
		at := verifyAccessToken(t, context.Background(), in.Issuer, api, res.AccessToken)
		if at.Scope != "read:orders write:orders" {
			t.Fatalf("worker scope %q", at.Scope)
		}

		// The user signs in to the dashboard and gets the staff permissions.
		verifier, challenge := pkce("setup-flow-")
		scope := "openid offline_access profile " + strings.Join(perms, " ")
		loc := newBrowser(redirectURI).signIn(t, authURL(in.Issuer, web.ID, url.Values{"scope": {scope}, "resource": {api},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}}), "kitchen01", "Kitchen-Pass-2024!")
		tokens := tokenRequest(t, in.Issuer, web.ID, web.Secret, url.Values{"grant_type": {"authorization_code"},
			"code": {loc.Query().Get("code")}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}, "resource": {api}})
		if tokens.status != 200 {
			t.Fatalf("code exchange: %d %s", tokens.status, tokens.raw)
		}
		at = verifyAccessToken(t, context.Background(), in.Issuer, api, tokens.AccessToken)
		if got := strings.Fields(at.Scope); !slices.Equal(got, []string{"read:orders", "read:menus"}) {
			t.Fatalf("user scope %q", at.Scope)
		}
		// Promoting the user to owner shows on the next refresh.
		m.do("POST", "/api/users/"+user.ID+"/roles", map[string]any{"roleIds": []string{owner.ID}}, 201, nil)
		refreshed := tokenRequest(t, in.Issuer, web.ID, web.Secret, url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {tokens.RefreshToken}, "resource": {api}})
		at = verifyAccessToken(t, context.Background(), in.Issuer, api, refreshed.AccessToken)
		if len(strings.Fields(at.Scope)) != len(perms) {
			t.Fatalf("owner scope %q", at.Scope)
		}
	})
}
