package genericoidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/genericoidc"
)

const redirectURI = "https://auth.gatehouse.test/callback/conn-oidc"

var eve = connectortest.FakeAccount{ID: "user-0042", Email: "eve@example.com", EmailVerified: true, Name: "Eve Park",
	Picture: "https://idp.oidc.example/avatars/eve.png", Phone: "+15555550142"}

type harness = connectortest.Harness[*connectortest.FakeOIDC]

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := connectortest.NewHarness(t, genericoidc.Factory(), connectortest.NewFakeOIDC, eve,
		connector.AuthRequest{State: "state-o", Nonce: "nonce-o", RedirectURI: redirectURI, Locale: "de"})
	h.NewVerifier = oauth2.GenerateVerifier
	h.Fake.RegisterRedirectURI(redirectURI)
	return h
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	fl := h.Authorize(s)
	if got := fl.AuthURL.Host + fl.AuthURL.Path; got != "idp.oidc.example/authorize" {
		t.Errorf("authorization endpoint %s", got)
	}
	q := fl.AuthURL.Query()
	sum := sha256.Sum256([]byte(fl.Req.CodeVerifier))
	for k, v := range map[string]string{"client_id": "gatehouse-fake-client", "redirect_uri": redirectURI, "response_type": "code",
		"scope": "openid profile email phone", "state": "state-o", "nonce": "nonce-o", "ui_locales": "de",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256"} {
		if q.Get(k) != v {
			t.Errorf("authorization parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	u, err := s.UserInfo(context.Background(), fl.Callback())
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != eve.ID || u.Email != eve.Email || u.Name != eve.Name || u.Avatar != eve.Picture || u.Phone != eve.Phone {
		t.Errorf("user = %+v", u)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["iss"] != "https://idp.oidc.example" || raw["sub"] != eve.ID {
		t.Errorf("rawData = %s (%v), want the ID token's claims", u.RawData, err)
	}
}

func TestTokenEndpointAuthMethods(t *testing.T) {
	cases := []struct {
		method, alg string
	}{
		{"client_secret_post", ""},
		{"client_secret_basic", ""},
		{"client_secret_jwt", ""},
		{"client_secret_jwt", "HS384"},
		{"client_secret_jwt", "HS512"},
	}
	for _, c := range cases {
		t.Run(c.method+c.alg, func(t *testing.T) {
			h := newHarness(t)
			h.Fake.SetTokenEndpointAuthMethod(c.method)
			change := map[string]any{}
			if c.alg != "" {
				change["clientSecretJwtSigningAlgorithm"] = c.alg
			}
			if _, err := h.SignIn(h.Social(change)); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("method the provider does not take", func(t *testing.T) {
		h := newHarness(t)
		s := h.Social(nil) // client_secret_post
		h.Fake.SetTokenEndpointAuthMethod("client_secret_basic")
		_, err := h.SignIn(s)
		var ue *connector.UpstreamError
		if !errors.As(err, &ue) || ue.Code != "invalid_client" {
			t.Fatalf("err = %v, want invalid_client", err)
		}
	})
	t.Run("wrong secret in the assertion", func(t *testing.T) {
		h := newHarness(t)
		h.Fake.SetTokenEndpointAuthMethod("client_secret_jwt")
		_, err := h.SignIn(h.Social(map[string]any{"clientSecret": strings.Repeat("x", 40)}))
		var ue *connector.UpstreamError
		if !errors.As(err, &ue) || ue.Code != "invalid_client" {
			t.Fatalf("err = %v, want invalid_client", err)
		}
	})
}

func TestAuthRequestOptionsAndCustomConfig(t *testing.T) {
	h := newHarness(t)
	s := h.Social(map[string]any{
		"authRequestOptionalConfig": map[string]any{"responseMode": "form_post", "prompt": "login consent",
			"loginHint": "eve@example.com", "maxAge": "600", "uiLocales": "fr-CA", "acrValues": "urn:mace:incommon:iap:silver", "display": "page"},
		// Logto snake_cases the keys; Gatehouse's own parameters win.
		"customConfig": map[string]any{"accessType": "offline", "audience": "https://api.example", "state": "forged",
			"redirectUri": "https://evil.example/cb", "code": "forged", "grantType": "password"},
	})
	fl := h.Authorize(s) // form_post: FollowAuthorization reads the posted form
	q := fl.AuthURL.Query()
	for k, v := range map[string]string{"response_mode": "form_post", "prompt": "login consent", "login_hint": "eve@example.com",
		"max_age": "600", "ui_locales": "fr-CA", "acr_values": "urn:mace:incommon:iap:silver", "display": "page",
		"access_type": "offline", "audience": "https://api.example", "state": "state-o", "redirect_uri": redirectURI} {
		if q.Get(k) != v || len(q[k]) != 1 {
			t.Errorf("authorization parameter %s = %q, want %q", k, q[k], v)
		}
	}
	if fl.Params.Get("code") == "" || fl.Params.Get("state") != "state-o" {
		t.Fatalf("posted form %v", fl.Params)
	}
	if _, err := s.UserInfo(context.Background(), fl.Callback()); err != nil {
		t.Fatalf("customConfig must not replace code or grant_type: %v", err)
	}
}

func TestEmail(t *testing.T) {
	cases := []struct {
		name                     string
		verified, strs, omit     bool
		acceptStrings, trustMiss bool
		want                     string
	}{
		{name: "verified", verified: true, want: eve.Email},
		{name: "unverified", verified: false},
		{name: "unverified, trusting missing claims", verified: false, trustMiss: true},
		{name: "string true refused by default", verified: true, strs: true},
		{name: "string true accepted", verified: true, strs: true, acceptStrings: true, want: eve.Email},
		{name: "string false accepted as false", verified: false, strs: true, acceptStrings: true},
		{name: "no email_verified", omit: true},
		{name: "no email_verified, trusted", omit: true, trustMiss: true, want: eve.Email},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			acct := eve
			acct.EmailVerified = c.verified
			h.Fake.SetAccount(acct)
			h.Fake.SetStringBooleans(c.strs)
			h.Fake.OmitEmailVerified(c.omit)
			u, err := h.SignIn(h.Social(map[string]any{"acceptStringTypedBooleanClaims": c.acceptStrings, "trustUnverifiedEmail": c.trustMiss}))
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != c.want {
				t.Errorf("email = %q, want %q", u.Email, c.want)
			}
		})
	}
}

func TestIDTokenVerificationConfig(t *testing.T) {
	later := func(d time.Duration) func(h *harness) {
		return func(h *harness) { h.Env.Now = func() time.Time { return time.Now().Add(d) } }
	}
	cases := []struct {
		name   string
		change map[string]any
		setup  func(h *harness)
		reason string // "" means the sign-in succeeds
	}{
		{name: "issuer list", change: map[string]any{"idTokenVerificationConfig.issuer": []string{"https://a.example", "https://idp.oidc.example"}}},
		{name: "no issuer configured", change: map[string]any{"idTokenVerificationConfig.issuer": nil}},
		{name: "another issuer", change: map[string]any{"idTokenVerificationConfig.issuer": "https://idp.other.example"}, reason: "issuer"},
		{name: "algorithm allowed", change: map[string]any{"idTokenVerificationConfig.algorithms": []string{"ES256"}}},
		{name: "algorithm not allowed", change: map[string]any{"idTokenVerificationConfig.algorithms": []string{"RS256"}}, reason: "ES256"},
		{name: "subject", change: map[string]any{"idTokenVerificationConfig.subject": eve.ID}},
		{name: "another subject", change: map[string]any{"idTokenVerificationConfig.subject": "user-0001"}, reason: "sub"},
		{name: "typ", change: map[string]any{"idTokenVerificationConfig.typ": "JWT"}},
		{name: "another typ", change: map[string]any{"idTokenVerificationConfig.typ": "at+jwt"}, reason: "typ"},
		{name: "audience setting ignored", change: map[string]any{"idTokenVerificationConfig.audience": "someone-else"}},
		{name: "expired", setup: later(time.Hour + 2*time.Minute), reason: "expired"},
		{name: "expired within the clock tolerance", change: map[string]any{"idTokenVerificationConfig.clockTolerance": "5 minutes"},
			setup: later(time.Hour + 2*time.Minute)},
		{name: "clock tolerance in seconds", change: map[string]any{"idTokenVerificationConfig.clockTolerance": 300},
			setup: later(time.Hour + 2*time.Minute)},
		{name: "older than maxTokenAge", change: map[string]any{"idTokenVerificationConfig.maxTokenAge": "5m"}, setup: later(10 * time.Minute),
			reason: "too long ago"},
		{name: "within maxTokenAge", change: map[string]any{"idTokenVerificationConfig.maxTokenAge": "1h"}, setup: later(10 * time.Minute)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if c.setup != nil {
				c.setup(h)
			}
			u, err := h.SignIn(h.Social(c.change))
			if c.reason == "" {
				if err != nil || u.ID != eve.ID {
					t.Fatalf("user %+v, err %v", u, err)
				}
				return
			}
			if !errors.Is(err, connector.ErrInvalidResponse) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("err = %v, want ErrInvalidResponse about %s", err, c.reason)
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	cases := []struct {
		fail connectortest.FailMode
		code string
	}{
		{connectortest.FailAuthorize, "access_denied"},
		{connectortest.FailToken, "invalid_grant"},
	}
	for _, c := range cases {
		h := newHarness(t)
		h.Fake.SetFail(c.fail)
		_, err := h.SignIn(h.Social(nil))
		var ue *connector.UpstreamError
		if !errors.As(err, &ue) || ue.Code != c.code {
			t.Errorf("fail mode %d: err = %v, want %s", c.fail, err, c.code)
		}
	}
}

func TestPKCEVerifierSent(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	cb := h.Authorize(s).Callback()
	cb.CodeVerifier = oauth2.GenerateVerifier()
	_, err := s.UserInfo(context.Background(), cb)
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestUntrustworthyIDTokens(t *testing.T) {
	cases := map[string]struct {
		setup  func(*connectortest.FakeOIDC)
		reason string
	}{
		"wrong nonce":    {func(f *connectortest.FakeOIDC) { f.SetFail(connectortest.FailWrongNonce) }, "nonce"},
		"bad signature":  {func(f *connectortest.FakeOIDC) { f.SetFail(connectortest.FailBadSignature) }, "signature"},
		"wrong audience": {func(f *connectortest.FakeOIDC) { f.SetAudience("someone-else") }, "audience"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			c.setup(h.Fake)
			u, err := h.SignIn(h.Social(nil))
			if !errors.Is(err, connector.ErrInvalidResponse) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("user %+v, err = %v, want ErrInvalidResponse about %s", u, err, c.reason)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		change map[string]any
		field  string
	}{
		{map[string]any{"authorizationEndpoint": nil}, "authorizationEndpoint"},
		{map[string]any{"authorizationEndpoint": "http://idp.oidc.example/authorize"}, "authorizationEndpoint"},
		{map[string]any{"tokenEndpoint": "/token"}, "tokenEndpoint"},
		{map[string]any{"clientId": nil}, "clientId"},
		{map[string]any{"clientSecret": ""}, "clientSecret"},
		{map[string]any{"scope": nil}, "scope"},
		{map[string]any{"responseType": "token"}, "responseType"},
		{map[string]any{"grantType": "password"}, "grantType"},
		{map[string]any{"tokenEndpointAuthMethod": "private_key_jwt"}, "tokenEndpointAuthMethod"},
		{map[string]any{"clientSecretJwtSigningAlgorithm": "RS256"}, "clientSecretJwtSigningAlgorithm"},
		{map[string]any{"tokenEndpointAuthMethod": "client_secret_jwt", "clientSecret": "short"}, "clientSecret"},
		{map[string]any{"tokenEndpointAuthMethod": "client_secret_jwt", "clientSecretJwtSigningAlgorithm": "HS512",
			"clientSecret": strings.Repeat("s", 48)}, "clientSecret"},
		{map[string]any{"trustUnverifiedEmail": "yes"}, "trustUnverifiedEmail"},
		{map[string]any{"idTokenVerificationConfig": nil}, "idTokenVerificationConfig"},
		{map[string]any{"idTokenVerificationConfig": "https://idp.oidc.example/jwks"}, "idTokenVerificationConfig"},
		{map[string]any{"idTokenVerificationConfig.jwksUri": nil}, "idTokenVerificationConfig.jwksUri"},
		{map[string]any{"idTokenVerificationConfig.issuer": 5}, "idTokenVerificationConfig.issuer"},
		{map[string]any{"idTokenVerificationConfig.algorithms": []string{"ES256", "HS256"}}, "idTokenVerificationConfig.algorithms[1]"},
		{map[string]any{"idTokenVerificationConfig.clockTolerance": "soon"}, "idTokenVerificationConfig.clockTolerance"},
		{map[string]any{"idTokenVerificationConfig.maxTokenAge": -1}, "idTokenVerificationConfig.maxTokenAge"},
		{map[string]any{"idTokenVerificationConfig.subject": 1}, "idTokenVerificationConfig.subject"},
		{map[string]any{"authRequestOptionalConfig": map[string]any{"responseMode": "fragment"}}, "authRequestOptionalConfig.responseMode"},
		{map[string]any{"authRequestOptionalConfig": map[string]any{"prompt": 1}}, "authRequestOptionalConfig.prompt"},
		{map[string]any{"customConfig": map[string]any{"resource": 1}}, "customConfig"},
	}
	for _, c := range cases {
		raw := h.Config(c.change)
		err := genericoidc.Factory().Validate(raw)
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("Validate(%v) = %v, want a ConfigError on %q", c.change, err, c.field)
		}
	}
	for _, change := range []map[string]any{
		nil,
		{"authorizationEndpoint": "http://localhost:8080/authorize", "tokenEndpoint": "http://127.0.0.1:8080/token"},
		{"responseType": "code", "grantType": "authorization_code", "idTokenVerificationConfig.clockTolerance": "30 secs",
			"idTokenVerificationConfig.maxTokenAge": 3600, "idTokenVerificationConfig.crit": map[string]any{"b64": true},
			"idTokenVerificationConfig.currentDate": "2024-01-01T00:00:00Z", "customConfig": map[string]any{"resource": "x"}},
	} {
		if err := genericoidc.Factory().Validate(h.Config(change)); err != nil {
			t.Errorf("Validate(%v) = %v", change, err)
		}
	}
}

func TestFactory(t *testing.T) {
	f := genericoidc.Factory()
	if f.Metadata.ID != "oidc" || f.Metadata.Target != "oidc" || !f.Metadata.IsStandard || f.SingleInstance || f.Type != connector.TypeSocial {
		t.Errorf("factory = %+v, single %v", f.Metadata, f.SingleInstance)
	}
	masked := string(f.Mask(json.RawMessage(`{"clientId":"c","clientSecret":"fake-oidc-client-secret-0123456789"}`)))
	if strings.Contains(masked, "fake-oidc") {
		t.Errorf("masked config %s", masked)
	}
}
