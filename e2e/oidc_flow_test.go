package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const (
	ordersAPI   = "https://api.example"
	redirectURI = "http://localhost:3000/callback"
)

// restaurant sets up the typical customer: an API with permissions, a user
// role holding some of them, an M2M role, a Traditional app and a user.
type restaurant struct {
	*instance
	appID, appSecret string
	user             *store.User
	scopeIDs         map[string]string
}

func newRestaurant(t *testing.T, dbURL string) *restaurant {
	in := start(t, dbURL)
	_, scopeIDs := in.apiResource(t, ordersAPI, []string{"read:orders", "write:orders", "read:menus", "write:menus"})
	staff := in.role(t, "staff", store.UserRole, scopeIDs["read:orders"], scopeIDs["read:menus"])
	appID, secret := in.createApp(t, apps.Input{Name: "Dashboard", Type: store.Traditional,
		RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{"http://localhost:3000"}})
	u := in.createUser(t, "kitchen01", "kitchen@example.com", "Kitchen-Pass-2024!")
	if err := in.Store.AssignUserRoles(context.Background(), u.ID, []string{staff.ID}); err != nil {
		t.Fatal(err)
	}
	return &restaurant{instance: in, appID: appID, appSecret: secret, user: u, scopeIDs: scopeIDs}
}

func (r *restaurant) oauthConfig(p *gooidc.Provider) *oauth2.Config {
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return &oauth2.Config{ClientID: r.appID, ClientSecret: r.appSecret, Endpoint: ep, RedirectURL: redirectURI,
		Scopes: []string{gooidc.ScopeOpenID, gooidc.ScopeOfflineAccess, "profile", "email", "roles", "read:orders", "write:orders"}}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		r := newRestaurant(t, dbURL)
		ctx := context.Background()
		provider, err := gooidc.NewProvider(ctx, r.Issuer)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		cfg := r.oauthConfig(provider)
		verifier := oauth2.GenerateVerifier()
		authURL := cfg.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("nonce-456"),
			oauth2.SetAuthURLParam("resource", ordersAPI), oauth2.SetAuthURLParam("prompt", "consent"))

		b := newBrowser(redirectURI)
		loc := b.signIn(t, authURL, "kitchen01", "Kitchen-Pass-2024!")
		q := loc.Query()
		if q.Get("state") != "state-123" || q.Get("iss") != r.Issuer || q.Get("code") == "" {
			t.Fatalf("callback query = %v", q)
		}

		tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("code exchange: %v", err)
		}
		rawID, _ := tok.Extra("id_token").(string)
		idToken, err := provider.Verifier(&gooidc.Config{ClientID: r.appID}).Verify(ctx, rawID)
		if err != nil {
			t.Fatalf("ID token verification: %v", err)
		}
		var claims struct {
			Nonce         string   `json:"nonce"`
			Username      string   `json:"username"`
			Name          string   `json:"name"`
			Email         string   `json:"email"`
			EmailVerified bool     `json:"email_verified"`
			Roles         []string `json:"roles"`
			Aud           any      `json:"aud"`
			AuthTime      int64    `json:"auth_time"`
		}
		if err := idToken.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idToken.Subject != r.user.ID || claims.Nonce != "nonce-456" || claims.Username != "kitchen01" ||
			claims.Email != "kitchen@example.com" || !claims.EmailVerified || !slices.Equal(claims.Roles, []string{"staff"}) ||
			claims.Name != "Test kitchen01" || claims.AuthTime == 0 {
			t.Fatalf("ID token claims = %+v, sub %s", claims, idToken.Subject)
		}
		if _, ok := claims.Aud.(string); !ok {
			t.Fatalf("aud is %T, Logto's SDKs need a string", claims.Aud)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}
		if strings.Count(tok.AccessToken, ".") == 2 {
			t.Fatal("access token without resource should be opaque")
		}

		// The opaque access token serves userinfo.
		info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if info.Subject != r.user.ID || info.Email != "kitchen@example.com" {
			t.Fatalf("userinfo = %+v", info)
		}

		// A refresh with resource yields a JWT for the API, as @logto/node's getAccessToken(resource) asks.
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "resource": {ordersAPI}}
		resp := tokenRequest(t, r.Issuer, r.appID, r.appSecret, form)
		if resp.status != 200 {
			t.Fatalf("refresh with resource: %d %s", resp.status, resp.raw)
		}
		at := verifyAccessToken(t, ctx, r.Issuer, ordersAPI, resp.AccessToken)
		if at.Scope != "read:orders" || at.ClientID != r.appID || at.Subject != r.user.ID || at.Typ != "at+jwt" {
			t.Fatalf("access token = %+v (write:orders is requested but no role grants it)", at)
		}
		if resp.RefreshToken == "" || resp.RefreshToken == tok.RefreshToken {
			t.Fatal("refresh token did not rotate")
		}

		// x/oauth2's own refresh uses the rotated token.
		ts := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: resp.RefreshToken})
		if _, err := ts.Token(); err != nil {
			t.Fatalf("x/oauth2 refresh: %v", err)
		}
	})
}

func TestClientCredentials(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		_, ids := in.apiResource(t, ordersAPI, []string{"read:orders", "write:orders", "read:menus"})
		in.role(t, "order-worker", store.M2MRole, ids["read:orders"], ids["write:orders"])
		appID, secret := in.createApp(t, apps.Input{Name: "worker", Type: store.MachineToMachine, RoleNames: []string{"order-worker"}})
		ctx := context.Background()
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			cc := clientcredentials.Config{ClientID: appID, ClientSecret: secret, TokenURL: in.Issuer + "/token", AuthStyle: style,
				Scopes: []string{"read:orders", "write:orders", "read:menus"}, EndpointParams: url.Values{"resource": {ordersAPI}}}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatalf("client_credentials (style %d): %v", style, err)
			}
			at := verifyAccessToken(t, ctx, in.Issuer, ordersAPI, tok.AccessToken)
			if at.Scope != "read:orders write:orders" || at.Subject != appID || at.ClientID != appID {
				t.Fatalf("M2M token = %+v", at)
			}
		}

		// The built-in Management API role grants "all" on the Management API.
		mgmtID, mgmtSecret := in.createApp(t, apps.Input{Name: "mgmt", Type: store.MachineToMachine, RoleNames: []string{"Logto Management API access"}})
		resp := tokenRequest(t, in.Issuer, mgmtID, mgmtSecret, url.Values{"grant_type": {"client_credentials"},
			"resource": {"https://default.logto.app/api"}, "scope": {"all"}})
		if resp.status != 200 || resp.Scope != "all" {
			t.Fatalf("management token: %d %s", resp.status, resp.raw)
		}

		// Wrong secret, unknown resource, a user app, no resource.
		cases := []struct {
			name       string
			id, secret string
			form       url.Values
			status     int
			code       string
		}{
			{"wrong secret", appID, secret + "x", url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI}}, 401, "invalid_client"},
			{"unknown client", "nope", secret, url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI}}, 401, "invalid_client"},
			{"unknown resource", appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://unknown.example"}}, 400, "invalid_target"},
			{"no resource", appID, secret, url.Values{"grant_type": {"client_credentials"}}, 400, "invalid_target"},
			{"two resources", appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI, "https://default.logto.app/api"}}, 400, "invalid_target"},
			{"unsupported grant", appID, secret, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
			{"missing grant", appID, secret, url.Values{}, 400, "invalid_request"},
		}
		for _, c := range cases {
			resp := tokenRequest(t, in.Issuer, c.id, c.secret, c.form)
			if resp.status != c.status || resp.Error != c.code {
				t.Errorf("%s: got %d %s, want %d %s", c.name, resp.status, resp.raw, c.status, c.code)
			}
			if c.code == "invalid_client" && resp.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: no WWW-Authenticate header", c.name)
			}
		}
		// Ungranted scopes are dropped, not refused.
		resp = tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI}, "scope": {"read:menus"}})
		if resp.status != 200 || resp.Scope != "" {
			t.Fatalf("ungranted scope: %d %s", resp.status, resp.raw)
		}
	})
}

// accessToken is the header and claims of a JWT access token, checked by go-oidc.
type accessToken struct {
	Typ      string
	Subject  string `json:"sub"`
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
	Aud      any    `json:"aud"`
	JTI      string `json:"jti"`
}

// verifyAccessToken checks a JWT access token's signature against the
// published JWKS, its issuer, audience and expiry, with go-oidc.
func verifyAccessToken(t *testing.T, ctx context.Context, issuer, audience, raw string) accessToken {
	t.Helper()
	keySet := gooidc.NewRemoteKeySet(ctx, issuer+"/jwks")
	v := gooidc.NewVerifier(issuer, keySet, &gooidc.Config{ClientID: audience, SupportedSigningAlgs: []string{"ES256", "RS256"}})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("access token verification: %v", err)
	}
	var at accessToken
	if err := tok.Claims(&at); err != nil {
		t.Fatal(err)
	}
	if a, ok := at.Aud.(string); !ok || a != audience {
		t.Fatalf("aud = %#v, want the string %q", at.Aud, audience)
	}
	if at.JTI == "" {
		t.Fatal("no jti")
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	var h struct{ Typ string }
	json.Unmarshal(header, &h)
	at.Typ = h.Typ
	return at
}

type tokenResult struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
	status       int
	header       http.Header
	raw          string
}

// tokenRequest posts form to the token endpoint with HTTP Basic client
// authentication (none when secret is empty: client_id goes in the body).
func tokenRequest(t *testing.T, issuer, clientID, secret string, form url.Values) tokenResult {
	t.Helper()
	req, _ := http.NewRequest("POST", issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	} else {
		form.Set("client_id", clientID)
		req.Body = http.NoBody
		req, _ = http.NewRequest("POST", issuer+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) tokenResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out tokenResult
	var buf strings.Builder
	dec := json.NewDecoder(teeReader{resp.Body, &buf})
	dec.Decode(&out)
	out.status, out.header, out.raw = resp.StatusCode, resp.Header, buf.String()
	return out
}
