package apple_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/apple"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

const redirectURI = "https://auth.gatehouse.test/callback/conn-apple"

var cy = connectortest.FakeAccount{ID: "001234.0123456789abcdef0123456789abcdef.1234", Email: "cy@example.com", EmailVerified: true, Name: "Cy Dune"}

type harness struct {
	t    *testing.T
	u    *connectortest.Upstream
	fake *connectortest.FakeApple
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	u, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Close)
	fake := connectortest.NewFakeApple(u, cy)
	fake.RegisterRedirectURI(redirectURI)
	return &harness{t: t, u: u, fake: fake}
}

func (h *harness) config(change map[string]any) json.RawMessage {
	var cfg map[string]any
	if err := json.Unmarshal(h.fake.Config(), &cfg); err != nil {
		h.t.Fatal(err)
	}
	for k, v := range change {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	return raw
}

func (h *harness) social(change map[string]any) connector.Social {
	h.t.Helper()
	raw := h.config(change)
	f := apple.Factory()
	if err := f.Validate(raw); err != nil {
		h.t.Fatalf("Validate: %v", err)
	}
	s, err := f.NewSocial(raw, connector.Env{HTTPClient: h.u.Client()})
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

// authorize follows Apple's authorization page to the form it posts back.
func (h *harness) authorize(s connector.Social) *flow {
	h.t.Helper()
	req := connector.AuthRequest{State: "state-a", Nonce: "nonce-a", CodeVerifier: "unused-verifier-0123456789012345678901234567", RedirectURI: redirectURI}
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
		h.t.Fatalf("form posts to %q", target)
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
	if got := fl.authURL.Host + fl.authURL.Path; got != "appleid.apple.com/auth/authorize" {
		t.Errorf("authorization endpoint %s", got)
	}
	q := fl.authURL.Query()
	for k, v := range map[string]string{"client_id": h.fake.ClientID(), "redirect_uri": redirectURI, "response_type": "code",
		"response_mode": "form_post", "scope": "name email", "state": "state-a", "nonce": "nonce-a"} {
		if q.Get(k) != v {
			t.Errorf("authorization parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("code_challenge") {
		t.Error("PKCE sent to Apple, which documents none")
	}
	if fl.params.Get("state") != "state-a" || fl.params.Get("code") == "" || fl.params.Get("user") == "" {
		t.Fatalf("posted form %v", fl.params)
	}
	u, err := s.UserInfo(context.Background(), fl.callback())
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != cy.ID || u.Email != cy.Email || u.Name != "Cy Dune" {
		t.Errorf("user = %+v", u)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["sub"] != cy.ID || raw["user"] == nil {
		t.Errorf("rawData = %s (%v)", u.RawData, err)
	}
}

func TestNameOnFirstAuthorizationOnly(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	first, err := h.signIn(s)
	if err != nil {
		t.Fatal(err)
	}
	fl := h.authorize(s)
	if fl.params.Has("user") {
		t.Fatalf("second authorization posted user %q", fl.params.Get("user"))
	}
	second, err := s.UserInfo(context.Background(), fl.callback())
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != "Cy Dune" || second.Name != "" || second.ID != first.ID || second.Email != cy.Email {
		t.Errorf("first %+v, second %+v", first, second)
	}
}

func TestEmail(t *testing.T) {
	relay := "x7k2m9q4p1@privaterelay.appleid.com"
	cases := []struct {
		name           string
		email          string
		verified       bool
		stringBooleans bool
		want           string
	}{
		{"verified as a string", cy.Email, true, true, cy.Email},
		{"verified as a boolean", cy.Email, true, false, cy.Email},
		{"private relay", relay, true, true, relay},
		{"private relay, boolean", relay, true, false, relay},
		{"unverified", cy.Email, false, true, ""},
		{"unverified, boolean", cy.Email, false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			acct := cy
			acct.Email, acct.EmailVerified = c.email, c.verified
			h.fake.SetAccount(acct)
			h.fake.SetStringBooleans(c.stringBooleans)
			u, err := h.signIn(h.social(nil))
			if err != nil {
				t.Fatal(err)
			}
			if u.Email != c.want {
				t.Errorf("email = %q, want %q", u.Email, c.want)
			}
		})
	}
}

// The user field is unsigned: its email must not become the account's.
func TestPostedEmailIgnored(t *testing.T) {
	h := newHarness(t)
	acct := cy
	acct.EmailVerified = false
	h.fake.SetAccount(acct)
	s := h.social(nil)
	fl := h.authorize(s)
	fl.params.Set("user", `{"name":{"firstName":"Cy","lastName":"Dune"},"email":"attacker@example.com"}`)
	u, err := s.UserInfo(context.Background(), fl.callback())
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "" || u.Name != "Cy Dune" {
		t.Errorf("user = %+v", u)
	}
}

func TestMalformedUserFieldDropped(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	fl := h.authorize(s)
	fl.params.Set("user", `{"name":`)
	u, err := s.UserInfo(context.Background(), fl.callback())
	if err != nil || u.Name != "" || u.ID != cy.ID {
		t.Fatalf("user %+v, err %v", u, err)
	}
}

func TestClientSecretRefused(t *testing.T) {
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string]any{
		"a key that does not match": {"privateKey": connectortest.ApplePrivateKeyPEM(other)},
		"another key id":            {"keyId": "OTHERKEY01"},
		"another team":              {"teamId": "OTHERTEAM1"},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.signIn(h.social(change))
			var ue *connector.UpstreamError
			if !errors.As(err, &ue) || ue.Code != "invalid_client" {
				t.Fatalf("err = %v, want invalid_client", err)
			}
		})
	}
}

func TestCallbackError(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFail(connectortest.FailAuthorize)
	_, err := h.signIn(h.social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "user_cancelled_authorize" {
		t.Fatalf("err = %v, want user_cancelled_authorize", err)
	}
}

func TestTokenError(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFail(connectortest.FailToken)
	_, err := h.signIn(h.social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestCodeForAnotherRedirectURI(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	cb := h.authorize(s).callback()
	cb.RedirectURI = "https://auth.gatehouse.test/callback/other"
	_, err := s.UserInfo(context.Background(), cb)
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestUntrustworthyIDTokens(t *testing.T) {
	cases := map[string]struct {
		setup  func(*connectortest.FakeApple)
		reason string
	}{
		"wrong nonce":    {func(f *connectortest.FakeApple) { f.SetFail(connectortest.FailWrongNonce) }, "nonce"},
		"bad signature":  {func(f *connectortest.FakeApple) { f.SetFail(connectortest.FailBadSignature) }, "signature"},
		"wrong audience": {func(f *connectortest.FakeApple) { f.SetAudience("com.example.other") }, "audience"},
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
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	pemOf := func(der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	cases := []struct {
		change map[string]any
		field  string
	}{
		{map[string]any{"clientId": nil}, "clientId"},
		{map[string]any{"teamId": ""}, "teamId"},
		{map[string]any{"keyId": nil}, "keyId"},
		{map[string]any{"privateKey": nil}, "privateKey"},
		{map[string]any{"privateKey": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"}, "privateKey"},
		{map[string]any{"privateKey": "not a key at all"}, "privateKey"},
		{map[string]any{"privateKey": pemOf(rsaDER)}, "privateKey"},
		{map[string]any{"privateKey": pemOf(p384DER)}, "privateKey"},
		{map[string]any{"privateKey": 12}, "privateKey"},
		{map[string]any{"scope": "openid email"}, "scope"},
	}
	for _, c := range cases {
		raw := h.config(c.change)
		err := apple.Factory().Validate(raw)
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("Validate(%v) = %v, want a ConfigError on %q", c.change, err, c.field)
		}
		if err != nil && strings.Contains(err.Error(), "bm90") {
			t.Errorf("error %q quotes the key", err)
		}
	}
	// The key pasted without its PEM lines, or with literal \n, is accepted.
	var cfg map[string]any
	json.Unmarshal(h.fake.Config(), &cfg)
	pemKey := cfg["privateKey"].(string)
	lines := strings.Split(strings.TrimSpace(pemKey), "\n")
	for _, key := range []string{strings.Join(lines[1:len(lines)-1], ""), strings.ReplaceAll(pemKey, "\n", `\n`)} {
		if err := apple.Factory().Validate(h.config(map[string]any{"privateKey": key})); err != nil {
			t.Errorf("Validate(key %q...) = %v", key[:12], err)
		}
	}
}

func TestFactory(t *testing.T) {
	h := newHarness(t)
	f := apple.Factory()
	if f.Metadata.ID != "apple-universal" || f.Metadata.Target != "apple" || f.Metadata.LogoDark == nil || !f.SingleInstance {
		t.Errorf("factory = %+v", f.Metadata)
	}
	masked := string(f.Mask(h.fake.Config()))
	if strings.Contains(masked, "PRIVATE KEY") || !strings.Contains(masked, `"teamId":"FAKETEAM01"`) {
		t.Errorf("masked config %s", masked)
	}
}
