package facebook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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

type rig struct {
	up     *connectortest.Upstream
	client *http.Client // one client, so that connections are reused
	fake   *connectortest.FakeFacebook
}

func start(t *testing.T, acct connectortest.FakeAccount) rig {
	t.Helper()
	up, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	return rig{up: up, client: up.Client(), fake: connectortest.NewFakeFacebook(up, acct)}
}

func (r rig) social(t *testing.T, config json.RawMessage) connector.Social {
	t.Helper()
	f := facebook.Factory()
	if err := f.Validate(config); err != nil {
		t.Fatalf("Validate(%s): %v", config, err)
	}
	s, err := f.NewSocial(config, connector.Env{HTTPClient: r.client})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (r rig) authorize(t *testing.T, s connector.Social) connector.Callback {
	t.Helper()
	u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "st-3", CodeVerifier: "unused-by-facebook", RedirectURI: redirectURI})
	if err != nil {
		t.Fatal(err)
	}
	target, params, err := connectortest.FollowAuthorization(r.client, u)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(target, redirectURI) {
		t.Fatalf("Facebook sent the browser to %s, want %s", target, redirectURI)
	}
	return connector.Callback{Params: params, RedirectURI: redirectURI, CodeVerifier: "unused-by-facebook"}
}

func upstream(t *testing.T, err error, code, inDescription string) {
	t.Helper()
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != code || !strings.Contains(ue.Description, inDescription) {
		t.Fatalf("err = %v, want upstream error %s mentioning %q", err, code, inDescription)
	}
}

func TestSignIn(t *testing.T) {
	r := start(t, zuck)
	r.fake.RegisterRedirectURI(redirectURI)
	s := r.social(t, r.fake.Config())
	u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "st-3", RedirectURI: redirectURI})
	if err != nil || !strings.HasPrefix(u, "https://www.facebook.com/"+facebook.GraphVersion+"/dialog/oauth?") {
		t.Fatalf("authorization URL = %s, %v", u, err)
	}
	cb := r.authorize(t, s)
	q := r.fake.LastAuthorization()
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
	if tr := r.fake.LastTokenRequest(); tr.Get("redirect_uri") != redirectURI || tr.Get("code") != cb.Params.Get("code") {
		t.Errorf("token request = %v", tr)
	}
}

func TestUnconfirmedEmailIsLeftOut(t *testing.T) {
	acct := zuck
	acct.EmailVerified = false
	r := start(t, acct)
	s := r.social(t, r.fake.Config())
	got, err := s.UserInfo(context.Background(), r.authorize(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "" || got.ID != acct.ID {
		t.Errorf("user = %+v, want the id and no email", got)
	}
}

func TestErrors(t *testing.T) {
	r := start(t, zuck)
	s := r.social(t, r.fake.Config())

	r.fake.SetFail(connectortest.FailAuthorize)
	_, err := s.UserInfo(context.Background(), r.authorize(t, s))
	upstream(t, err, "access_denied", "Permissions error")

	r.fake.SetFail(connectortest.FailToken)
	_, err = s.UserInfo(context.Background(), r.authorize(t, s))
	upstream(t, err, "OAuthException", "subcode 36007")
	r.fake.SetFail(connectortest.FailNone)

	cb := r.authorize(t, s)
	cb.RedirectURI = redirectURI + "x"
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "OAuthException", "identical")

	cb = r.authorize(t, s)
	if _, err := s.UserInfo(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "OAuthException", "has been used")

	wrong, _ := json.Marshal(map[string]string{"clientId": connectortest.FakeFacebookAppID, "clientSecret": "nope"})
	s2, _ := facebook.Factory().NewSocial(wrong, connector.Env{HTTPClient: r.client})
	_, err = s2.UserInfo(context.Background(), r.authorize(t, s2))
	upstream(t, err, "OAuthException", "client secret")

	r.fake.SetAccount(connectortest.FakeAccount{Name: "No Id"})
	if _, err := s.UserInfo(context.Background(), r.authorize(t, s)); !errors.Is(err, connector.ErrInvalidResponse) {
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
