package facebook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/facebook"
)

const redirectURI = "https://auth.example.com/callback/fb1"

var zuck = connectortest.FakeAccount{ID: "10160000000000001", Email: "zuck@example.com", EmailVerified: true,
	Name: "Mark Z", Picture: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10160000000000001"}

type harness = connectortest.Harness[*connectortest.FakeFacebook]

func newHarness(t *testing.T, acct connectortest.FakeAccount) *harness {
	t.Helper()
	h := connectortest.NewHarness(t, facebook.Factory(), connectortest.NewFakeFacebook, acct,
		connector.AuthRequest{State: "st-3", CodeVerifier: "unused-by-facebook", RedirectURI: redirectURI})
	// Facebook appends "#_=_" to the redirect.
	h.SentBack = func(target string) bool { return strings.HasPrefix(target, redirectURI) }
	return h
}

func upstream(t *testing.T, err error, code, inDescription string) {
	t.Helper()
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != code || !strings.Contains(ue.Description, inDescription) {
		t.Fatalf("err = %v, want upstream error %s mentioning %q", err, code, inDescription)
	}
}

func TestSignIn(t *testing.T) {
	h := newHarness(t, zuck)
	h.Fake.RegisterRedirectURI(redirectURI)
	s := h.Social(nil)
	u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "st-3", RedirectURI: redirectURI})
	if err != nil || !strings.HasPrefix(u, "https://www.facebook.com/"+facebook.GraphVersion+"/dialog/oauth?") {
		t.Fatalf("authorization URL = %s, %v", u, err)
	}
	cb := h.Authorize(s).Callback()
	q := h.Fake.LastAuthorization()
	if q.Get("client_id") != connectortest.FakeFacebookAppID || q.Get("scope") != facebook.DefaultScope || q.Get("response_type") != "code" {
		t.Errorf("dialog request = %v", q)
	}
	got, err := s.UserInfo(context.Background(), cb)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != zuck.ID || got.Email != zuck.Email || got.Name != zuck.Name || got.Avatar != zuck.Picture {
		t.Errorf("user = %+v", got)
	}
	var raw map[string]any
	if json.Unmarshal(got.RawData, &raw) != nil || raw["id"] != zuck.ID {
		t.Errorf("rawData = %s", got.RawData)
	}
	if tr := h.Fake.LastTokenRequest(); tr.Get("redirect_uri") != redirectURI || tr.Get("code") != cb.Params.Get("code") {
		t.Errorf("token request = %v", tr)
	}
}

func TestUnconfirmedEmailIsLeftOut(t *testing.T) {
	acct := zuck
	acct.EmailVerified = false
	h := newHarness(t, acct)
	s := h.Social(nil)
	got, err := h.SignIn(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "" || got.ID != acct.ID {
		t.Errorf("user = %+v, want the id and no email", got)
	}
}

func TestErrors(t *testing.T) {
	h := newHarness(t, zuck)
	s := h.Social(nil)

	h.Fake.SetFail(connectortest.FailAuthorize)
	_, err := h.SignIn(s)
	upstream(t, err, "access_denied", "Permissions error")

	h.Fake.SetFail(connectortest.FailToken)
	_, err = h.SignIn(s)
	upstream(t, err, "OAuthException", "subcode 36007")
	h.Fake.SetFail(connectortest.FailNone)

	cb := h.Authorize(s).Callback()
	cb.RedirectURI = redirectURI + "x"
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "OAuthException", "identical")

	cb = h.Authorize(s).Callback()
	if _, err := s.UserInfo(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "OAuthException", "has been used")

	wrong, _ := json.Marshal(map[string]string{"clientId": connectortest.FakeFacebookAppID, "clientSecret": "nope"})
	s2, _ := facebook.Factory().NewSocial(wrong, connector.Env{HTTPClient: h.Client})
	_, err = h.SignIn(s2)
	upstream(t, err, "OAuthException", "client secret")

	h.Fake.SetAccount(connectortest.FakeAccount{Name: "No Id"})
	if _, err := h.SignIn(s); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("profile without id: err = %v, want ErrInvalidResponse", err)
	}
	if _, err := s.UserInfo(context.Background(), connector.Callback{Params: url.Values{"state": {"x"}}}); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("callback without code: err = %v, want ErrInvalidResponse", err)
	}
}

func TestValidate(t *testing.T) {
	f := facebook.Factory()
	for _, tc := range []struct{ config, field string }{
		{`{}`, "clientId"},
		{`{"clientId":"123"}`, "clientSecret"},
		{`{"clientId":"123","clientSecret":true}`, "clientSecret"},
		{`null`, ""},
	} {
		err := f.Validate(json.RawMessage(tc.config))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("Validate(%s) = %v, want a ConfigError for %q", tc.config, err, tc.field)
		}
	}
	if f.Metadata.ID != "facebook-universal" || f.Metadata.Target != "facebook" || f.Secrets[0][0] != "clientSecret" {
		t.Errorf("factory = %+v", f.Metadata)
	}
}
