package genericoauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/genericoauth"
)

const redirectURI = "https://auth.example.com/callback/oa1"

var ada = connectortest.FakeAccount{ID: "u-1815", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace",
	Picture: "https://auth.oauth2.example/avatars/ada.png", Phone: "+441234567890"}

type harness = connectortest.Harness[*connectortest.FakeOAuth2]

func newHarness(t *testing.T, acct connectortest.FakeAccount) *harness {
	t.Helper()
	return connectortest.NewHarness(t, genericoauth.Factory(), connectortest.NewFakeOAuth2, acct,
		connector.AuthRequest{State: "st-6", RedirectURI: redirectURI, CodeVerifier: "v"})
}

func upstream(t *testing.T, err error, code string) {
	t.Helper()
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != code {
		t.Fatalf("err = %v, want upstream error %s", err, code)
	}
}

func TestSignIn(t *testing.T) {
	h := newHarness(t, ada)
	h.Fake.RegisterRedirectURI(redirectURI)
	u, err := h.SignIn(h.Social(nil))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != ada.ID || u.Name != ada.Name || u.Avatar != ada.Picture || u.Email != ada.Email || u.Phone != ada.Phone {
		t.Errorf("user = %+v", u)
	}
	var raw map[string]any
	if json.Unmarshal(u.RawData, &raw) != nil || raw["sub"] != ada.ID {
		t.Errorf("rawData = %s", u.RawData)
	}
	q := h.Fake.LastAuthorization()
	if q.Get("response_type") != "code" || q.Get("client_id") != connectortest.FakeOAuth2ClientID || q.Get("scope") != "profile email" ||
		q.Get("state") != "st-6" || q.Get("redirect_uri") != redirectURI || q.Has("code_challenge") {
		t.Errorf("authorization request = %v", q)
	}
	if m := h.Fake.LastTokenAuthMethod(); m != genericoauth.AuthClientSecretPost {
		t.Errorf("token auth method = %q", m)
	}
}

func TestTokenEndpointAuthMethods(t *testing.T) {
	h := newHarness(t, ada)
	for _, tc := range []struct{ method, alg string }{
		{genericoauth.AuthClientSecretBasic, ""},
		{genericoauth.AuthClientSecretJWT, ""},
		{genericoauth.AuthClientSecretJWT, "HS384"},
		{genericoauth.AuthClientSecretJWT, "HS512"},
	} {
		changes := map[string]any{"tokenEndpointAuthMethod": tc.method}
		if tc.alg != "" {
			changes["clientSecretJwtSigningAlgorithm"] = tc.alg
		}
		if _, err := h.SignIn(h.Social(changes)); err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.alg, err)
			continue
		}
		if got := h.Fake.LastTokenAuthMethod(); got != tc.method {
			t.Errorf("fake saw %s, want %s", got, tc.method)
		}
		if tr := h.Fake.LastTokenRequest(); tr.Has("client_secret") {
			t.Errorf("%s sent the secret in the form", tc.method)
		}
	}

	for _, method := range []string{genericoauth.AuthClientSecretBasic, genericoauth.AuthClientSecretJWT, genericoauth.AuthClientSecretPost} {
		_, err := h.SignIn(h.Social(map[string]any{"tokenEndpointAuthMethod": method, "clientSecret": "wrong"}))
		upstream(t, err, "invalid_client")
	}

	// The assertion's times come from the connector's clock: one from a
	// day ago has expired.
	h.Env.Now = func() time.Time { return time.Now().Add(-24 * time.Hour) }
	s := h.Social(map[string]any{"tokenEndpointAuthMethod": genericoauth.AuthClientSecretJWT})
	_, err := h.SignIn(s)
	upstream(t, err, "invalid_client")
}

func TestQueryStringTokenAnswers(t *testing.T) {
	h := newHarness(t, ada)
	h.Fake.SetTokenResponseType("query-string")
	for _, declared := range []string{"query-string", "json"} {
		if _, err := h.SignIn(h.Social(map[string]any{"tokenEndpointResponseType": declared})); err != nil {
			t.Errorf("form-encoded answer, declared %s: %v", declared, err)
		}
	}
	h.Fake.SetTokenResponseType("json")
	if _, err := h.SignIn(h.Social(map[string]any{"tokenEndpointResponseType": "query-string"})); err != nil {
		t.Errorf("JSON answer, declared query-string: %v", err)
	}
}

func TestEmailVerification(t *testing.T) {
	acct := ada
	acct.EmailVerified = false
	h := newHarness(t, acct)
	u, err := h.SignIn(h.Social(nil))
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "" || u.Phone != ada.Phone {
		t.Errorf("user = %+v: want contact.email dropped because contact.email_verified is false, the phone kept", u)
	}

	explicit := map[string]any{"profileMap": map[string]string{"id": "sub", "email": "emails.0.value", "emailVerified": "emails.0.verified"}}
	u, err = h.SignIn(h.Social(explicit))
	if err != nil || u.Email != "" {
		t.Errorf("unverified with emailVerified path: %+v, %v", u, err)
	}
	h.Fake.SetAccount(ada)
	u, err = h.SignIn(h.Social(explicit))
	if err != nil || u.Email != ada.Email {
		t.Errorf("verified with emailVerified path: %+v, %v", u, err)
	}
	// A flag path that leads nowhere vouches for nothing.
	u, err = h.SignIn(h.Social(map[string]any{"profileMap": map[string]string{"id": "sub", "email": "contact.email", "emailVerified": "contact.nope"}}))
	if err != nil || u.Email != "" {
		t.Errorf("missing flag: %+v, %v", u, err)
	}
}

func TestProfileMap(t *testing.T) {
	h := newHarness(t, connectortest.FakeAccount{ID: "12345", Name: "N"})
	u, err := h.SignIn(h.Social(map[string]any{"profileMap": map[string]string{"id": "uid"}}))
	if err != nil || u.ID != "12345" {
		t.Errorf("numeric id: %+v, %v", u, err)
	}
	// Logto's default map looks for "id", which this provider lacks.
	_, err = h.SignIn(h.Social(map[string]any{"profileMap": nil}))
	if !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("default profileMap: err = %v, want ErrInvalidResponse", err)
	}
	_, err = h.SignIn(h.Social(map[string]any{"profileMap": map[string]string{"id": "profile"}}))
	if !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("id mapped to an object: err = %v, want ErrInvalidResponse", err)
	}
	h.Fake.SetAccount(connectortest.FakeAccount{Name: "no id"})
	if _, err := h.SignIn(h.Social(nil)); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("profile without id: err = %v, want ErrInvalidResponse", err)
	}
}

func TestCustomConfigAndEndpointQuery(t *testing.T) {
	h := newHarness(t, ada)
	cfg := map[string]any{
		"authorizationEndpoint": "https://" + connectortest.FakeOAuth2Host + "/oauth/authorize?tenant=t1",
		"customConfig":          map[string]string{"accessType": "offline", "audience": "https://api.example", "state": "hijack", "XMLHttp": "1"},
	}
	if _, err := h.SignIn(h.Social(cfg)); err != nil {
		t.Fatal(err)
	}
	q := h.Fake.LastAuthorization()
	if q.Get("tenant") != "t1" || q.Get("access_type") != "offline" || q.Get("audience") != "https://api.example" ||
		q.Get("xml_http") != "1" || q.Get("state") != "st-6" || q.Has("accessType") {
		t.Errorf("authorization request = %v", q)
	}
	if tr := h.Fake.LastTokenRequest(); tr.Get("access_type") != "offline" || tr.Get("audience") != "https://api.example" {
		t.Errorf("token request = %v", tr)
	}
}

func TestErrors(t *testing.T) {
	h := newHarness(t, ada)
	s := h.Social(nil)

	h.Fake.SetFail(connectortest.FailAuthorize)
	_, err := h.SignIn(s)
	upstream(t, err, "access_denied")

	h.Fake.SetFail(connectortest.FailToken)
	_, err = h.SignIn(s)
	upstream(t, err, "invalid_grant")
	h.Fake.SetFail(connectortest.FailNone)

	cb := h.Authorize(s).Callback()
	if _, err := s.UserInfo(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "invalid_grant")

	cb = h.Authorize(s).Callback()
	cb.RedirectURI = "https://auth.example.com/callback/other"
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "invalid_grant")

	if _, err := s.UserInfo(context.Background(), connector.Callback{Params: url.Values{"state": {"x"}}}); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("callback without code: err = %v, want ErrInvalidResponse", err)
	}

	bad := h.Social(map[string]any{"userInfoEndpoint": "https://" + connectortest.FakeOAuth2Host + "/nowhere"})
	_, err = h.SignIn(bad)
	upstream(t, err, "http_404")
}

func TestValidate(t *testing.T) {
	base := map[string]any{
		"authorizationEndpoint": "https://idp.example/authorize", "tokenEndpoint": "https://idp.example/token",
		"userInfoEndpoint": "https://idp.example/me", "clientId": "c", "clientSecret": "s",
	}
	f := genericoauth.Factory()
	with := func(k string, v any) json.RawMessage {
		c := map[string]any{}
		for key, val := range base {
			c[key] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		raw, _ := json.Marshal(c)
		return raw
	}
	if err := f.Validate(with("scope", "read")); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	for _, tc := range []struct {
		key   string
		value any
		field string
	}{
		{"authorizationEndpoint", nil, "authorizationEndpoint"},
		{"tokenEndpoint", "ftp://idp.example/token", "tokenEndpoint"},
		{"userInfoEndpoint", "/me", "userInfoEndpoint"},
		{"clientId", nil, "clientId"},
		{"clientSecret", "", "clientSecret"},
		{"responseType", "token", "responseType"},
		{"grantType", "password", "grantType"},
		{"tokenEndpointAuthMethod", "private_key_jwt", "tokenEndpointAuthMethod"},
		{"clientSecretJwtSigningAlgorithm", "RS256", "clientSecretJwtSigningAlgorithm"},
		{"tokenEndpointResponseType", "xml", "tokenEndpointResponseType"},
		{"profileMap", map[string]any{"id": 1}, "profileMap.id"},
		{"profileMap", map[string]any{"email": "a..b"}, "profileMap.email"},
		{"profileMap", "id", "profileMap"},
		{"customConfig", map[string]any{"prompt": true}, "customConfig.prompt"},
		{"customConfig", map[string]any{"accessType": "a", "access_type": "b"}, "customConfig"},
		{"scope", []string{"a"}, "scope"},
	} {
		err := f.Validate(with(tc.key, tc.value))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s=%v: Validate = %v, want a ConfigError for %q", tc.key, tc.value, err, tc.field)
		}
	}
	if !f.Metadata.IsStandard || f.SingleInstance || f.Metadata.ID != "oauth2" {
		t.Errorf("factory: standard=%v single=%v id=%s", f.Metadata.IsStandard, f.SingleInstance, f.Metadata.ID)
	}
	if m := string(f.Mask(with("clientSecret", "oauth2-secret-9f8e7d6c5b4a"))); strings.Contains(m, "oauth2-secret") {
		t.Errorf("masked = %s", m)
	}
}
