package connectortest

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// The plain OAuth 2.0 fakes share their authorization endpoint behaviour:
// the code and state come back, FailWrongState changes the state,
// FailAuthorize sends the provider's refusal, and a redirect URI that was
// not registered gets an error page, never a redirect.
func TestOAuthFakesAuthorizationEndpoints(t *testing.T) {
	up, err := StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	acct := FakeAccount{ID: "42", Name: "Someone", Email: "someone@example.com", EmailVerified: true}
	const back = "https://auth.example.com/callback/c1"
	for _, tc := range []struct {
		fake interface {
			FakeProvider
			RegisterRedirectURI(string)
		}
		authURL string
		refusal func(url.Values) bool
	}{
		{NewFakeGitHub(up, acct), "https://github.com/login/oauth/authorize?client_id=" + FakeGitHubClientID,
			func(v url.Values) bool { return v.Get("error") == "access_denied" }},
		{NewFakeDiscord(up, acct), "https://discord.com/oauth2/authorize?response_type=code&scope=identify&client_id=" + FakeDiscordClientID,
			func(v url.Values) bool { return v.Get("error") == "access_denied" }},
		{NewFakeFacebook(up, acct), "https://www.facebook.com/v23.0/dialog/oauth?client_id=" + FakeFacebookAppID,
			func(v url.Values) bool {
				return v.Get("error") == "access_denied" && v.Get("error_reason") == "user_denied"
			}},
		{NewFakeWeChat(up, acct), "https://open.weixin.qq.com/connect/qrconnect?response_type=code&scope=snsapi_login&appid=" + FakeWeChatWebAppID,
			func(v url.Values) bool { return !v.Has("code") && !v.Has("error") }},
		{NewFakeOAuth2(up, acct), "https://" + FakeOAuth2Host + "/oauth/authorize?response_type=code&client_id=" + FakeOAuth2ClientID,
			func(v url.Values) bool { return v.Get("error") == "access_denied" }},
	} {
		t.Run(tc.fake.FactoryID(), func(t *testing.T) {
			c := up.Client()
			u := tc.authURL + "&state=s1&redirect_uri=" + url.QueryEscape(back)
			target, params, err := FollowAuthorization(c, u)
			// Facebook adds "#_=_", which browsers keep to themselves.
			if target, _, _ = strings.Cut(target, "#"); err != nil || target != back || params.Get("code") == "" || params.Get("state") != "s1" {
				t.Fatalf("sign-in: %s %v %v", target, params, err)
			}

			tc.fake.SetFail(FailWrongState)
			if _, params, err = FollowAuthorization(c, u); err != nil || params.Get("code") == "" || params.Get("state") == "s1" {
				t.Errorf("FailWrongState: %v %v", params, err)
			}
			tc.fake.SetFail(FailAuthorize)
			if _, params, err = FollowAuthorization(c, u); err != nil || !tc.refusal(params) || params.Get("state") != "s1" {
				t.Errorf("FailAuthorize: %v %v", params, err)
			}
			tc.fake.SetFail(FailNone)

			tc.fake.RegisterRedirectURI("https://elsewhere.example/cb")
			_, _, err = FollowAuthorization(c, u)
			var ae *AuthorizationError
			if !errors.As(err, &ae) || ae.Status != 400 {
				t.Errorf("unregistered redirect URI: %v", err)
			}
			tc.fake.RegisterRedirectURI(back)
			if _, params, err = FollowAuthorization(c, u); err != nil || params.Get("code") == "" {
				t.Errorf("registered redirect URI: %v %v", params, err)
			}

			bad := tc.authURL[:len(tc.authURL)-3] + "xyz&state=s1&redirect_uri=" + url.QueryEscape(back)
			if _, _, err = FollowAuthorization(c, bad); !errors.As(err, &ae) {
				t.Errorf("unknown client: %v", err)
			}
		})
	}
}
