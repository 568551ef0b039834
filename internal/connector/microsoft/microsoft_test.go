package microsoft_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/microsoft"
)

const (
	redirectURI = "https://auth.gatehouse.test/callback/conn-microsoft"
	otherTenant = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

var bo = connectortest.FakeAccount{ID: "6c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f", Email: "bo@contoso.example", EmailVerified: true, Name: "Bo Chen"}

type harness = connectortest.Harness[*connectortest.FakeMicrosoft]

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := connectortest.NewHarness(t, microsoft.Factory(), connectortest.NewFakeMicrosoft, bo,
		connector.AuthRequest{State: "state-1", Nonce: "nonce-1", RedirectURI: redirectURI})
	h.NewVerifier = oauth2.GenerateVerifier
	h.Fake.RegisterRedirectURI(redirectURI)
	return h
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	fl := h.Authorize(s)
	if got := fl.AuthURL.Host + fl.AuthURL.Path; got != "login.microsoftonline.com/"+connectortest.FakeMicrosoftTenant+"/oauth2/v2.0/authorize" {
		t.Errorf("authorization endpoint %s", got)
	}
	q := fl.AuthURL.Query()
	sum := sha256.Sum256([]byte(fl.Req.CodeVerifier))
	for k, v := range map[string]string{
		"client_id": h.Fake.ClientID(), "redirect_uri": redirectURI, "response_type": "code", "response_mode": "query",
		"scope": "openid profile email User.Read", "state": "state-1", "nonce": "nonce-1",
		"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256",
	} {
		if q.Get(k) != v {
			t.Errorf("authorization parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	u, err := s.UserInfo(context.Background(), fl.Callback())
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != bo.ID || u.Name != bo.Name || u.Email != bo.Email {
		t.Errorf("user = %+v", u)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["userPrincipalName"] != bo.Email || raw["id"] != bo.ID {
		t.Errorf("rawData = %s (%v), want Graph's /me", u.RawData, err)
	}
}

func TestOptions(t *testing.T) {
	h := newHarness(t)
	fl := h.Authorize(h.Social(map[string]any{"scopes": "Calendars.Read User.Read", "prompts": []string{"login", "consent"}}))
	q := fl.AuthURL.Query()
	if q.Get("scope") != "openid profile email User.Read Calendars.Read" || q.Get("prompt") != "login consent" {
		t.Errorf("scope=%q prompt=%q", q.Get("scope"), q.Get("prompt"))
	}
}

func TestEmailNeedsVerifiedDomainOwner(t *testing.T) {
	h := newHarness(t)
	acct := bo
	acct.EmailVerified = false // the token carries email but no xms_edov
	h.Fake.SetAccount(acct)
	u, err := h.SignIn(h.Social(nil))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != bo.ID || u.Email != "" {
		t.Errorf("user = %+v, want no email", u)
	}
}

func TestTenants(t *testing.T) {
	consumers := connectortest.MicrosoftConsumersTenant
	home := connectortest.FakeMicrosoftTenant
	cases := []struct {
		name, configured, userTenant, issuerTenant string
		ok                                         bool
	}{
		{"own tenant", home, home, "", true},
		{"own tenant in capitals", strings.ToUpper(home), home, "", true},
		{"another tenant", home, otherTenant, "", false},
		{"common, any organization", "common", otherTenant, "", true},
		{"common, personal account", "common", consumers, "", true},
		{"organizations, organization", "organizations", otherTenant, "", true},
		{"organizations, personal account", "organizations", consumers, "", false},
		{"consumers, personal account", "consumers", consumers, "", true},
		{"consumers, organization", "consumers", home, "", false},
		{"tenant by domain", "contoso.onmicrosoft.com", otherTenant, "", true},
		{"issuer of another tenant", "common", otherTenant, home, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.Fake.SetUserTenant(c.userTenant)
			h.Fake.SetIssuerTenant(c.issuerTenant)
			s := h.Social(map[string]any{"tenantId": c.configured})
			fl := h.Authorize(s)
			if !strings.Contains(fl.AuthURL.Path, "/"+c.configured+"/") {
				t.Errorf("authorization path %s does not name tenant %s", fl.AuthURL.Path, c.configured)
			}
			u, err := s.UserInfo(context.Background(), fl.Callback())
			if c.ok {
				if err != nil || u.ID != bo.ID {
					t.Fatalf("user %+v, err %v", u, err)
				}
				return
			}
			if !errors.Is(err, connector.ErrInvalidResponse) || !strings.Contains(err.Error(), "tenant") {
				t.Fatalf("err = %v, want a tenant refusal", err)
			}
		})
	}
}

func TestCallbackError(t *testing.T) {
	h := newHarness(t)
	h.Fake.SetFail(connectortest.FailAuthorize)
	_, err := h.SignIn(h.Social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "access_denied" || !strings.Contains(ue.Description, "AADSTS65004") {
		t.Fatalf("err = %v, want access_denied with Microsoft's description", err)
	}
}

func TestTokenErrors(t *testing.T) {
	cases := map[string]struct {
		setup func(h *harness) (connector.Social, func(*connector.Callback))
		code  string
	}{
		"code refused": {func(h *harness) (connector.Social, func(*connector.Callback)) {
			h.Fake.SetFail(connectortest.FailToken)
			return h.Social(nil), nil
		}, "invalid_grant"},
		"wrong secret": {func(h *harness) (connector.Social, func(*connector.Callback)) {
			return h.Social(map[string]any{"clientSecret": "not-the-secret"}), nil
		}, "invalid_client"},
		"another PKCE verifier": {func(h *harness) (connector.Social, func(*connector.Callback)) {
			return h.Social(nil), func(cb *connector.Callback) { cb.CodeVerifier = oauth2.GenerateVerifier() }
		}, "invalid_grant"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			s, change := c.setup(h)
			cb := h.Authorize(s).Callback()
			if change != nil {
				change(&cb)
			}
			_, err := s.UserInfo(context.Background(), cb)
			var ue *connector.UpstreamError
			if !errors.As(err, &ue) || ue.Code != c.code {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
		})
	}
}

func TestUntrustworthyIDTokens(t *testing.T) {
	cases := map[string]struct {
		setup  func(*connectortest.FakeMicrosoft)
		reason string
	}{
		"wrong nonce":    {func(f *connectortest.FakeMicrosoft) { f.SetFail(connectortest.FailWrongNonce) }, "nonce"},
		"bad signature":  {func(f *connectortest.FakeMicrosoft) { f.SetFail(connectortest.FailBadSignature) }, "signature"},
		"wrong audience": {func(f *connectortest.FakeMicrosoft) { f.SetAudience("00000003-0000-0000-c000-000000000000") }, "audience"},
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
	base := func(change map[string]any) string {
		m := map[string]any{"clientId": "c", "clientSecret": "s", "tenantId": "common"}
		for k, v := range change {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := []struct {
		config, field string
	}{
		{base(map[string]any{"clientId": nil}), "clientId"},
		{base(map[string]any{"clientSecret": nil}), "clientSecret"},
		{base(map[string]any{"tenantId": nil}), "tenantId"},
		{base(map[string]any{"tenantId": "a/b"}), "tenantId"},
		{base(map[string]any{"tenantId": 7}), "tenantId"},
		{base(map[string]any{"cloudInstance": "http://login.microsoftonline.com"}), "cloudInstance"},
		{base(map[string]any{"cloudInstance": "https://login.microsoftonline.com/common"}), "cloudInstance"},
		{base(map[string]any{"cloudInstance": "login.microsoftonline.com"}), "cloudInstance"},
		{base(map[string]any{"prompts": []string{"select_account", "bogus"}}), "prompts[1]"},
		{base(map[string]any{"scopes": []string{"User.Read"}}), "scopes"},
	}
	for _, c := range cases {
		err := microsoft.Factory().Validate(json.RawMessage(c.config))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("Validate(%s) = %v, want a ConfigError on %q", c.config, err, c.field)
		}
	}
	for _, ok := range []string{
		base(nil),
		base(map[string]any{"cloudInstance": "https://login.microsoftonline.us/", "prompts": []string{"login"}, "scopes": "Mail.Read"}),
		base(map[string]any{"tenantId": connectortest.FakeMicrosoftTenant}),
	} {
		if err := microsoft.Factory().Validate(json.RawMessage(ok)); err != nil {
			t.Errorf("Validate(%s) = %v", ok, err)
		}
	}
}

func TestFactory(t *testing.T) {
	f := microsoft.Factory()
	if f.Metadata.ID != "azuread-universal" || f.Metadata.Target != "azuread" || f.Type != connector.TypeSocial || !f.SingleInstance {
		t.Errorf("factory = %+v", f.Metadata)
	}
	masked := string(f.Mask(json.RawMessage(`{"clientId":"c","clientSecret":"abc~0123456789abcdef","tenantId":"common"}`)))
	if strings.Contains(masked, "abc~") {
		t.Errorf("masked config %s", masked)
	}
}
