package sso

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

func TestOIDCSignIn(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeEnterpriseOIDC(h.up, "login.acme.example", alice)
	c := h.create(fake, nil, "acme.example")
	p := h.open(c.ID)
	if p.Issuer() != "https://login.acme.example" {
		t.Fatalf("issuer %q", p.Issuer())
	}

	s := h.start(p, c.ID)
	q := fake.LastAuthorization()
	for k, want := range map[string]string{"client_id": fake.ClientID(), "response_type": "code", "state": s.req.State,
		"nonce": s.req.Nonce, "code_challenge_method": "S256", "scope": "openid profile email", "redirect_uri": s.req.RedirectURI} {
		if got := q.Get(k); got != want {
			t.Errorf("authorization request %s = %q, want %q", k, got, want)
		}
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge") == s.req.CodeVerifier {
		t.Errorf("code_challenge %q: want the S256 challenge of the verifier", q.Get("code_challenge"))
	}
	if s.returned.Get("state") != s.req.State {
		t.Fatalf("state came back as %q", s.returned.Get("state"))
	}
	u, err := h.finish(p, s)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice.ID || u.Email != alice.Email || u.Name != alice.Name {
		t.Fatalf("user %+v, want %s / %s / %s", u, alice.ID, alice.Email, alice.Name)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["sub"] != alice.ID || raw["given_name"] != "Alice" {
		t.Fatalf("raw data %s (%v)", u.RawData, err)
	}

	t.Run("unverified email is left out", func(t *testing.T) {
		fake.SetAccount(connectortest.FakeAccount{ID: "00u-bob", Email: "bob@acme.example", Name: "Bob"})
		defer fake.SetAccount(alice)
		u, err := h.finish(p, h.start(p, c.ID))
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != "00u-bob" || u.Email != "" {
			t.Fatalf("user %+v: want no email", u)
		}
	})

	t.Run("a code works once", func(t *testing.T) {
		s := h.start(p, c.ID)
		if _, err := h.finish(p, s); err != nil {
			t.Fatal(err)
		}
		_, err := h.finish(p, s)
		wantUpstream(t, err, "invalid_grant")
	})

	t.Run("the PKCE verifier must match", func(t *testing.T) {
		s := h.start(p, c.ID)
		cb := s.callback()
		cb.CodeVerifier = strings.Repeat("x", 43)
		_, err := p.UserInfo(t.Context(), cb)
		wantUpstream(t, err, "invalid_grant")
	})
}

func TestOIDCNegative(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeEnterpriseOIDC(h.up, "login.acme.example", alice)
	c := h.create(fake, nil, "acme.example")
	p := h.open(c.ID)

	for _, tc := range []struct {
		name string
		mode connectortest.FailMode
		want func(t *testing.T, err error)
	}{
		{"wrong nonce", connectortest.FailWrongNonce, func(t *testing.T, err error) { wantInvalid(t, err, "wrong nonce", "nonce") }},
		{"bad signature", connectortest.FailBadSignature, func(t *testing.T, err error) { wantInvalid(t, err, "bad signature", "signature") }},
		{"token endpoint error", connectortest.FailToken, func(t *testing.T, err error) { wantUpstream(t, err, "invalid_grant") }},
		{"user denied", connectortest.FailAuthorize, func(t *testing.T, err error) { wantUpstream(t, err, "access_denied") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.SetFail(tc.mode)
			defer fake.SetFail(connectortest.FailNone)
			u, err := h.finish(p, h.start(p, c.ID))
			if err == nil {
				t.Fatalf("signed in %+v", u)
			}
			tc.want(t, err)
		})
	}

	t.Run("wrong audience", func(t *testing.T) {
		fake.SetAudience("another-client")
		defer fake.SetAudience("")
		_, err := h.finish(p, h.start(p, c.ID))
		wantInvalid(t, err, "wrong audience", "audience")
	})

	t.Run("nonce of another sign-in", func(t *testing.T) {
		s := h.start(p, c.ID)
		cb := s.callback()
		cb.Nonce = "a-different-sign-in"
		_, err := p.UserInfo(t.Context(), cb)
		wantInvalid(t, err, "foreign nonce", "nonce")
	})

	t.Run("no code", func(t *testing.T) {
		_, err := p.UserInfo(t.Context(), connector.Callback{Params: url.Values{"state": {"x"}}, RedirectURI: testEndpoint + "/callback/" + c.ID, Nonce: "n"})
		wantInvalid(t, err, "no code")
	})

	t.Run("expired ID token by the server's clock", func(t *testing.T) {
		s := h.start(p, c.ID)
		h.advance(2 * time.Hour)
		defer h.advance(-2 * time.Hour)
		_, err := h.finish(p, s)
		wantInvalid(t, err, "expired", "expired")
	})
}

func TestOIDCKinds(t *testing.T) {
	h := newHarness(t)

	t.Run("Google Workspace", func(t *testing.T) {
		fake := connectortest.NewFakeEnterpriseOIDC(h.up, "accounts.google.com", alice)
		fake.SetProviderName(ProviderGoogleWorkspace)
		var cfg map[string]any
		json.Unmarshal(fake.Config(), &cfg)
		delete(cfg, "issuer")
		cfg["offlineAccess"] = true
		raw, _ := json.Marshal(cfg)
		c := h.create(fake, raw, "acme.example")
		if strings.Contains(string(c.Config), "issuer") {
			t.Fatalf("stored config %s names an issuer", c.Config)
		}
		p := h.open(c.ID)
		if p.Issuer() != "https://accounts.google.com" {
			t.Fatalf("issuer %q", p.Issuer())
		}
		s := h.start(p, c.ID)
		q := fake.LastAuthorization()
		if q.Get("prompt") != "consent select_account" || q.Get("access_type") != "offline" || q.Get("include_granted_scopes") != "true" {
			t.Fatalf("authorization request %v: want Google Workspace's prompt, access_type and include_granted_scopes", q)
		}
		if u, err := h.finish(p, s); err != nil || u.Email != alice.Email {
			t.Fatalf("user %+v, %v", u, err)
		}
	})

	for _, kind := range []string{ProviderOkta, ProviderAzureAdOidc} {
		t.Run(kind, func(t *testing.T) {
			fake := connectortest.NewFakeEnterpriseOIDC(h.up, strings.ToLower(kind)+".acme.example", alice)
			fake.SetProviderName(kind)
			c := h.create(fake, nil)
			p := h.open(c.ID)
			if u, err := h.finish(p, h.start(p, c.ID)); err != nil || u.ID != alice.ID {
				t.Fatalf("user %+v, %v", u, err)
			}
			if got := fake.LastAuthorization().Get("prompt"); got != "" {
				t.Fatalf("prompt %q: only Google Workspace sets one", got)
			}
		})
	}
}

// TestOIDCClaims checks the mapping of claims to a user against Logto's
// rules for email and phone.
func TestOIDCClaims(t *testing.T) {
	for _, tc := range []struct {
		name      string
		trust     bool
		issuer    string
		claims    map[string]any
		wantEmail string
		wantPhone string
	}{
		{"multi-tenant without xms_edov", true, "https://login.microsoftonline.com/{tenantid}/v2.0", map[string]any{"email": "a@x.example", "email_verified": true}, "", ""},
		{"multi-tenant with xms_edov", false, "https://login.microsoftonline.com/{tenantid}/v2.0", map[string]any{"email": "a@x.example", "xms_edov": true}, "a@x.example", ""},
		{"verified", false, "", map[string]any{"email": "a@x.example", "email_verified": true}, "a@x.example", ""},
		{"unverified", true, "", map[string]any{"email": "a@x.example", "email_verified": false}, "", ""},
		{"unsaid and untrusted", false, "", map[string]any{"email": "a@x.example"}, "", ""},
		{"unsaid and trusted", true, "", map[string]any{"email": "a@x.example"}, "a@x.example", ""},
		{"string true", false, "", map[string]any{"email": "a@x.example", "email_verified": "true"}, "a@x.example", ""},
		{"phone verified", false, "", map[string]any{"phone_number": "+15550100", "phone_number_verified": true}, "", "+15550100"},
		{"phone unverified", false, "", map[string]any{"phone_number": "+15550100"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &oidcProvider{cfg: &oidcConfig{TrustUnverifiedEmail: tc.trust}}
			if tc.issuer != "" {
				p.disc = &oidcDiscovery{issuer: tc.issuer}
			}
			tc.claims["sub"] = "s1"
			u, err := p.socialUser(tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != "s1" || u.Email != tc.wantEmail || u.Phone != tc.wantPhone {
				t.Fatalf("user %+v, want email %q phone %q", u, tc.wantEmail, tc.wantPhone)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	if got := strings.Join(scopes("email offline_access+groups  openid"), " "); got != "openid profile email offline_access groups" {
		t.Fatalf("scopes = %q", got)
	}
}
