package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func TestDiscoveryAndJWKS(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	resp, err := http.Get(in.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != in.Issuer || doc["token_endpoint"] != in.Issuer+"/token" || doc["userinfo_endpoint"] != in.Issuer+"/me" ||
		doc["end_session_endpoint"] != in.Issuer+"/session/end" || doc["revocation_endpoint"] != in.Issuer+"/token/revocation" ||
		doc["introspection_endpoint"] != in.Issuer+"/token/introspection" || doc["jwks_uri"] != in.Issuer+"/jwks" {
		t.Fatalf("discovery = %v", doc)
	}
	algs, _ := doc["id_token_signing_alg_values_supported"].([]any)
	if !slices.Contains(algs, any("RS256")) || !slices.Contains(algs, any("ES256")) {
		t.Fatalf("id_token_signing_alg_values_supported = %v", algs)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatal("discovery is not readable cross-origin")
	}

	resp, err = http.Get(in.Issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	var kinds []string
	for _, k := range set.Keys {
		if _, private := k["d"]; private {
			t.Fatal("JWKS publishes a private key")
		}
		kinds = append(kinds, k["alg"].(string))
	}
	if !slices.Contains(kinds, "ES256") || !slices.Contains(kinds, "RS256") {
		t.Fatalf("JWKS algorithms = %v", kinds)
	}
}

func TestRS256Client(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	ctx := context.Background()
	app, err := r.Store.GetApplication(ctx, r.appID)
	if err != nil {
		t.Fatal(err)
	}
	app.IDTokenSigningAlg = "RS256"
	if err := r.Store.UpdateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	r.Clock.Advance(0)
	// The provider caches clients briefly; a new app avoids waiting for it.
	rsID, rsSecret := r.createApp(t, apps.Input{Name: "rs", Type: store.Traditional, RedirectURIs: []string{redirectURI}})
	rs, _ := r.Store.GetApplication(ctx, rsID)
	rs.IDTokenSigningAlg = "RS256"
	r.Store.UpdateApplication(ctx, rs)
	r.appID, r.appSecret = rsID, rsSecret
	verifier, challenge := pkce("rsa-")
	res := r.exchange(t, r.codeFor(t, challenge, nil), verifier, nil)
	if res.status != 200 {
		t.Fatalf("exchange: %d %s", res.status, res.raw)
	}
	provider, err := gooidc.NewProvider(ctx, r.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	v := provider.Verifier(&gooidc.Config{ClientID: rsID, SupportedSigningAlgs: []string{"RS256"}})
	if _, err := v.Verify(ctx, res.IDToken); err != nil {
		t.Fatalf("RS256 ID token: %v", err)
	}
}

func TestRevocationAndIntrospection(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		r := newRestaurant(t, dbURL)
		verifier, challenge := pkce("introspect-")
		tokens := r.exchange(t, r.codeFor(t, challenge, url.Values{"resource": {ordersAPI}, "scope": {"openid offline_access profile read:orders"}}), verifier, nil)
		if tokens.status != 200 {
			t.Fatalf("exchange: %d %s", tokens.status, tokens.raw)
		}
		jwt := tokenRequest(t, r.Issuer, r.appID, r.appSecret, url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {tokens.RefreshToken}, "resource": {ordersAPI}})
		if jwt.status != 200 {
			t.Fatalf("refresh: %d %s", jwt.status, jwt.raw)
		}
		introspect := func(id, secret, token string) (int, map[string]any) {
			req, _ := http.NewRequest("POST", r.Issuer+"/token/introspection", strings.NewReader(url.Values{"token": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if id != "" {
				req.SetBasicAuth(id, secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		if status, _ := introspect("", "", jwt.AccessToken); status != 401 {
			t.Fatalf("introspection without client authentication: %d", status)
		}
		status, out := introspect(r.appID, r.appSecret, jwt.AccessToken)
		if status != 200 || out["active"] != true || out["aud"] != ordersAPI || out["sub"] != r.user.ID ||
			out["client_id"] != r.appID || out["scope"] != "read:orders" || out["token_type"] != "Bearer" || out["exp"] == nil || out["iat"] == nil {
			t.Fatalf("JWT introspection: %d %v", status, out)
		}
		status, out = introspect(r.appID, r.appSecret, jwt.RefreshToken)
		if status != 200 || out["active"] != true || out["sub"] != r.user.ID {
			t.Fatalf("refresh token introspection: %d %v", status, out)
		}
		if _, out = introspect(r.appID, r.appSecret, "garbage"); len(out) != 1 || out["active"] != false {
			t.Fatalf("garbage introspection: %v", out)
		}
		// Revoking the refresh token revokes its grant.
		req, _ := http.NewRequest("POST", r.Issuer+"/token/revocation", strings.NewReader(url.Values{"token": {jwt.RefreshToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(r.appID, r.appSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("revocation: %d", resp.StatusCode)
		}
		if _, out = introspect(r.appID, r.appSecret, jwt.RefreshToken); out["active"] != false {
			t.Fatalf("revoked refresh token is active: %v", out)
		}
		res := tokenRequest(t, r.Issuer, r.appID, r.appSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {jwt.RefreshToken}})
		if res.status != 400 || res.Error != "invalid_grant" {
			t.Fatalf("revoked refresh token still refreshes: %d %s", res.status, res.raw)
		}
	})
}
