package linkedin_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/linkedin"
)

const redirectURI = "https://auth.gatehouse.test/callback/conn-linkedin"

var di = connectortest.FakeAccount{ID: "782bbtaQ", Email: "di@example.com", EmailVerified: true, Name: "Di Ortiz",
	Picture: "https://media.licdn.com/dms/image/di"}

type harness = connectortest.Harness[*connectortest.FakeLinkedIn]

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := connectortest.NewHarness(t, linkedin.Factory(), connectortest.NewFakeLinkedIn, di,
		connector.AuthRequest{State: "state-l", Nonce: "nonce-l", CodeVerifier: "verifier-l-0123456789012345678901234567890123", RedirectURI: redirectURI})
	h.Fake.RegisterRedirectURI(redirectURI)
	return h
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	fl := h.Authorize(s)
	if got := fl.AuthURL.Host + fl.AuthURL.Path; got != "www.linkedin.com/oauth/v2/authorization" {
		t.Errorf("authorization endpoint %s", got)
	}
	q := fl.AuthURL.Query()
	for k, v := range map[string]string{"client_id": h.Fake.ClientID(), "redirect_uri": redirectURI, "response_type": "code",
		"scope": "openid profile email", "state": "state-l", "nonce": "nonce-l"} {
		if q.Get(k) != v {
			t.Errorf("authorization parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	u, err := s.UserInfo(context.Background(), fl.Callback())
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != di.ID || u.Email != di.Email || u.Name != di.Name || u.Avatar != di.Picture {
		t.Errorf("user = %+v", u)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["sub"] != di.ID || raw["locale"] == nil {
		t.Errorf("rawData = %s (%v), want LinkedIn's userinfo", u.RawData, err)
	}
}

func TestScopeKeepsOpenID(t *testing.T) {
	h := newHarness(t)
	fl := h.Authorize(h.Social(map[string]any{"scope": "profile email"}))
	if got := fl.AuthURL.Query().Get("scope"); got != "profile email openid" {
		t.Errorf("scope = %q", got)
	}
}

func TestUnverifiedEmailLeftOut(t *testing.T) {
	h := newHarness(t)
	acct := di
	acct.EmailVerified = false
	h.Fake.SetAccount(acct)
	u, err := h.SignIn(h.Social(nil))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != di.ID || u.Email != "" {
		t.Errorf("user = %+v", u)
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

func TestTokenErrors(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(h *harness) connector.Social
		code   string
		secret string
	}{
		{"code refused", func(h *harness) connector.Social {
			h.Fake.SetFail(connectortest.FailToken)
			return h.Social(nil)
		}, "invalid_request", ""},
		{"wrong secret", func(h *harness) connector.Social {
			return h.Social(map[string]any{"clientSecret": "WPL_AP1.wrong-secret"})
		}, "invalid_client", "WPL_AP1.wrong-secret"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.SignIn(c.setup(h))
			var ue *connector.UpstreamError
			if !errors.As(err, &ue) || ue.Code != c.code {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
			if c.secret != "" && strings.Contains(err.Error(), c.secret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

func TestUntrustworthyIDTokens(t *testing.T) {
	cases := map[string]struct {
		setup  func(*connectortest.FakeLinkedIn)
		reason string
	}{
		"nonce never sent": {func(f *connectortest.FakeLinkedIn) { f.SetFail(connectortest.FailWrongNonce) }, "nonce"},
		"bad signature":    {func(f *connectortest.FakeLinkedIn) { f.SetFail(connectortest.FailBadSignature) }, "signature"},
		"wrong audience":   {func(f *connectortest.FakeLinkedIn) { f.SetAudience("someone-else") }, "audience"},
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
	cases := []struct {
		config, field string
	}{
		{`{"clientSecret":"s"}`, "clientId"},
		{`{"clientId":"c"}`, "clientSecret"},
		{`{"clientId":"c","clientSecret":null}`, "clientSecret"},
		{`{"clientId":"c","clientSecret":"s","scope":["openid"]}`, "scope"},
		{`"c"`, ""},
	}
	for _, c := range cases {
		err := linkedin.Factory().Validate(json.RawMessage(c.config))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("Validate(%s) = %v, want a ConfigError on %q", c.config, err, c.field)
		}
	}
	if err := linkedin.Factory().Validate(json.RawMessage(`{"clientId":"c","clientSecret":"s","scope":"openid email"}`)); err != nil {
		t.Error(err)
	}
}

func TestFactory(t *testing.T) {
	f := linkedin.Factory()
	if f.Metadata.ID != "linkedin-universal" || f.Metadata.Target != "linkedin" || f.Type != connector.TypeSocial || !f.SingleInstance {
		t.Errorf("factory = %+v", f.Metadata)
	}
}
