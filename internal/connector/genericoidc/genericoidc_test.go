package genericoidc_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
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

type harness struct {
	t    *testing.T
	u    *connectortest.Upstream
	fake *connectortest.FakeOIDC
	env  connector.Env
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	u, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Close)
	fake := connectortest.NewFakeOIDC(u, eve)
	fake.RegisterRedirectURI(redirectURI)
	return &harness{t: t, u: u, fake: fake, env: connector.Env{HTTPClient: u.Client()}}
}

// config returns the fake's config with changes applied; a dotted key
// changes a field of a nested object, a nil value deletes.
func (h *harness) config(change map[string]any) json.RawMessage {
	h.t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal(h.fake.Config(), &cfg); err != nil {
		h.t.Fatal(err)
	}
	for k, v := range change {
		m := cfg
		if parent, field, nested := strings.Cut(k, "."); nested {
			sub, _ := cfg[parent].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				cfg[parent] = sub
			}
			m, k = sub, field
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	raw, _ := json.Marshal(cfg)
	return raw
}

func (h *harness) social(change map[string]any) connector.Social {
	h.t.Helper()
	raw := h.config(change)
	f := genericoidc.Factory()
	if err := f.Validate(raw); err != nil {
		h.t.Fatalf("Validate(%s): %v", raw, err)
	}
	s, err := f.NewSocial(raw, h.env)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

type flow struct {
	req     connector.AuthRequest
	authURL *url.URL
	params  url.Values
}

func (h *harness) authorize(s connector.Social) *flow {
	h.t.Helper()
	req := connector.AuthRequest{State: "state-o", Nonce: "nonce-o", CodeVerifier: oauth2.GenerateVerifier(), RedirectURI: redirectURI, Locale: "de"}
	raw, err := s.AuthorizationURL(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	au, _ := url.Parse(raw)
	target, params, err := connectortest.FollowAuthorization(h.u.Client(), raw)
	if err != nil {
		h.t.Fatalf("authorization: %v", err)
	}
	if target != redirectURI {
		h.t.Fatalf("sent back to %q", target)
	}
	return &flow{req: req, authURL: au, params: params}
}

func (f *flow) callback() connector.Callback {
	return connector.Callback{Params: f.params, RedirectURI: f.req.RedirectURI, Nonce: f.req.Nonce, CodeVerifier: f.req.CodeVerifier}
}

func (h *harness) signIn(s connector.Social) (*connector.SocialUser, error) {
	h.t.Helper()
	return s.UserInfo(context.Background(), h.authorize(s).callback())
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	fl := h.authorize(s)
	if got := fl.authURL.Host + fl.authURL.Path; got != "idp.oidc.example/authorize" {
		t.Errorf("authorization endpoint %s", got)
	}
	q := fl.authURL.Query()
	sum := sha256.Sum256([]byte(fl.req.CodeVerifier))
	for k, v := range map[string]string{"client_id": "gatehouse-fake-client", "redirect_uri": redirectURI, "response_type": "code",
		"scope": "openid profile email phone", "state": "state-o", "nonce": "nonce-o", "ui_locales": "de",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256"} {
		if q.Get(k) != v {
			t.Errorf("authorization parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	u, err := s.UserInfo(context.Background(), fl.callback())
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
			h.fake.SetTokenEndpointAuthMethod(c.method)
			change := map[string]any{}
			if c.alg != "" {
				change["clientSecretJwtSigningAlgorithm"] = c.alg
			}
			if _, err := h.signIn(h.social(change)); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("method the provider does not take", func(t *testing.T) {
		h := newHarness(t)
		s := h.social(nil) // client_secret_post
		h.fake.SetTokenEndpointAuthMethod("client_secret_basic")
		_, err := h.signIn(s)
		var ue *connector.UpstreamError
		if !errors.As(err, &ue) || ue.Code != "invalid_client" {
			t.Fatalf("err = %v, want invalid_client", err)
		}
	})
	t.Run("wrong secret in the assertion", func(t *testing.T) {
		h := newHarness(t)
		h.fake.SetTokenEndpointAuthMethod("client_secret_jwt")
		_, err := h.signIn(h.social(map[string]any{"clientSecret": strings.Repeat("x", 40)}))
		var ue *connector.UpstreamError
		if !errors.As(err, &ue) || ue.Code != "invalid_client" {
			t.Fatalf("err = %v, want invalid_client", err)
		}
	})
}

func TestAuthRequestOptionsAndCustomConfig(t *testing.T) {
	h := newHarness(t)
	s := h.social(map[string]any{
		"authRequestOptionalConfig": map[string]any{"responseMode": "form_post", "prompt": "login consent",
			"loginHint": "eve@example.com", "maxAge": "600", "uiLocales": "fr-CA", "acrValues": "urn:mace:incommon:iap:silver", "display": "page"},
		// Logto snake_cases the keys; Gatehouse's own parameters win.
		"customConfig": map[string]any{"accessType": "offline", "audience": "https://api.example", "state": "forged",
			"redirectUri": "https://evil.example/cb", "code": "forged", "grantType": "password"},
	})
	fl := h.authorize(s) // form_post: FollowAuthorization reads the posted form
	q := fl.authURL.Query()
	for k, v := range map[string]string{"response_mode": "form_post", "prompt": "login consent", "login_hint": "eve@example.com",
		"max_age": "600", "ui_locales": "fr-CA", "acr_values": "urn:mace:incommon:iap:silver", "display": "page",
		"access_type": "offline", "audience": "https://api.example", "state": "state-o", "redirect_uri": redirectURI} {
		if q.Get(k) != v || len(q[k]) != 1 {
			t.Errorf("authorization parameter %s = %q, want %q", k, q[k], v)
		}
	}
	if fl.params.Get("code") == "" || fl.params.Get("state") != "state-o" {
		t.Fatalf("posted form %v", fl.params)
	}
	if _, err := s.UserInfo(context.Background(), fl.callback()); err != nil {
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
			h.fake.SetAccount(acct)
			h.fake.SetStringBooleans(c.strs)
			h.fake.OmitEmailVerified(c.omit)
			u, err := h.signIn(h.social(map[string]any{"acceptStringTypedBooleanClaims": c.acceptStrings, "trustUnverifiedEmail": c.trustMiss}))
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
		return func(h *harness) { h.env.Now = func() time.Time { return time.Now().Add(d) } }
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
			u, err := h.signIn(h.social(c.change))
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
		h.fake.SetFail(c.fail)
		_, err := h.signIn(h.social(nil))
		var ue *connector.UpstreamError
		if !errors.As(err, &ue) || ue.Code != c.code {
			t.Errorf("fail mode %d: err = %v, want %s", c.fail, err, c.code)
		}
	}
}

func TestPKCEVerifierSent(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	cb := h.authorize(s).callback()
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
			c.setup(h.fake)
			u, err := h.signIn(h.social(nil))
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
		raw := h.config(c.change)
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
		if err := genericoidc.Factory().Validate(h.config(change)); err != nil {
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
