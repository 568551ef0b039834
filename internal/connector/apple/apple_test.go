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
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/apple"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

const redirectURI = "https://auth.gatehouse.test/callback/conn-apple"

var cy = connectortest.FakeAccount{ID: "001234.0123456789abcdef0123456789abcdef.1234", Email: "cy@example.com", EmailVerified: true, Name: "Cy Dune"}

type harness = connectortest.Harness[*connectortest.FakeApple]

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := connectortest.NewHarness(t, apple.Factory(), connectortest.NewFakeApple, cy,
		connector.AuthRequest{State: "state-a", Nonce: "nonce-a", CodeVerifier: "unused-verifier-0123456789012345678901234567", RedirectURI: redirectURI})
	h.Fake.RegisterRedirectURI(redirectURI)
	return h
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	fl := h.Authorize(s)
	if got := fl.AuthURL.Host + fl.AuthURL.Path; got != "appleid.apple.com/auth/authorize" {
		t.Errorf("authorization endpoint %s", got)
	}
	q := fl.AuthURL.Query()
	for k, v := range map[string]string{"client_id": h.Fake.ClientID(), "redirect_uri": redirectURI, "response_type": "code",
		"response_mode": "form_post", "scope": "name email", "state": "state-a", "nonce": "nonce-a"} {
		if q.Get(k) != v {
			t.Errorf("authorization parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Has("code_challenge") {
		t.Error("PKCE sent to Apple, which documents none")
	}
	if fl.Params.Get("state") != "state-a" || fl.Params.Get("code") == "" || fl.Params.Get("user") == "" {
		t.Fatalf("posted form %v", fl.Params)
	}
	u, err := s.UserInfo(context.Background(), fl.Callback())
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
	s := h.Social(nil)
	first, err := h.SignIn(s)
	if err != nil {
		t.Fatal(err)
	}
	fl := h.Authorize(s)
	if fl.Params.Has("user") {
		t.Fatalf("second authorization posted user %q", fl.Params.Get("user"))
	}
	second, err := s.UserInfo(context.Background(), fl.Callback())
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
			h.Fake.SetAccount(acct)
			h.Fake.SetStringBooleans(c.stringBooleans)
			u, err := h.SignIn(h.Social(nil))
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
	h.Fake.SetAccount(acct)
	s := h.Social(nil)
	fl := h.Authorize(s)
	fl.Params.Set("user", `{"name":{"firstName":"Cy","lastName":"Dune"},"email":"attacker@example.com"}`)
	u, err := s.UserInfo(context.Background(), fl.Callback())
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "" || u.Name != "Cy Dune" {
		t.Errorf("user = %+v", u)
	}
}

func TestMalformedUserFieldDropped(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	fl := h.Authorize(s)
	fl.Params.Set("user", `{"name":`)
	u, err := s.UserInfo(context.Background(), fl.Callback())
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
			_, err := h.SignIn(h.Social(change))
			var ue *connector.UpstreamError
			if !errors.As(err, &ue) || ue.Code != "invalid_client" {
				t.Fatalf("err = %v, want invalid_client", err)
			}
		})
	}
}

func TestCallbackError(t *testing.T) {
	h := newHarness(t)
	h.Fake.SetFail(connectortest.FailAuthorize)
	_, err := h.SignIn(h.Social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "user_cancelled_authorize" {
		t.Fatalf("err = %v, want user_cancelled_authorize", err)
	}
}

func TestTokenError(t *testing.T) {
	h := newHarness(t)
	h.Fake.SetFail(connectortest.FailToken)
	_, err := h.SignIn(h.Social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestCodeForAnotherRedirectURI(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	cb := h.Authorize(s).Callback()
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
		raw := h.Config(c.change)
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
	json.Unmarshal(h.Fake.Config(), &cfg)
	pemKey := cfg["privateKey"].(string)
	lines := strings.Split(strings.TrimSpace(pemKey), "\n")
	for _, key := range []string{strings.Join(lines[1:len(lines)-1], ""), strings.ReplaceAll(pemKey, "\n", `\n`)} {
		if err := apple.Factory().Validate(h.Config(map[string]any{"privateKey": key})); err != nil {
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
	masked := string(f.Mask(h.Fake.Config()))
	if strings.Contains(masked, "PRIVATE KEY") || !strings.Contains(masked, `"teamId":"FAKETEAM01"`) {
		t.Errorf("masked config %s", masked)
	}
}
