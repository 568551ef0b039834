package wechat_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/wechat"
)

const redirectURI = "https://auth.example.com/callback/wx1"

var xiaoming = connectortest.FakeAccount{ID: "o6_bmasdasdsad6_2sgVt7hMZOPfL", Name: "小明",
	Picture: "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132"}

type harness = connectortest.Harness[*connectortest.FakeWeChat]

// newHarness signs in with the web connector; its Authorize goes through the
// QR-code page as a phone that scanned it would.
func newHarness(t *testing.T, acct connectortest.FakeAccount) *harness {
	t.Helper()
	return connectortest.NewHarness(t, wechat.WebFactory(), connectortest.NewFakeWeChat, acct,
		connector.AuthRequest{State: "st-4", RedirectURI: redirectURI, Locale: "en-US"})
}

func upstream(t *testing.T, err error, code string) {
	t.Helper()
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != code {
		t.Fatalf("err = %v, want upstream error %s", err, code)
	}
}

func TestWebAuthorizationURL(t *testing.T) {
	s, err := wechat.WebFactory().NewSocial(json.RawMessage(`{"appId":"wxabc","appSecret":"s"}`), connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "a b", RedirectURI: "https://auth.example.com/callback/x?y=1", Locale: "zh-CN"})
	if err != nil {
		t.Fatal(err)
	}
	want := "https://open.weixin.qq.com/connect/qrconnect?appid=wxabc&redirect_uri=https%3A%2F%2Fauth.example.com%2Fcallback%2Fx%3Fy%3D1" +
		"&response_type=code&scope=snsapi_login&state=a+b&lang=cn#wechat_redirect"
	if u != want {
		t.Errorf("URL =\n %s\nwant\n %s", u, want)
	}
}

func TestWebSignIn(t *testing.T) {
	h := newHarness(t, xiaoming)
	h.Fake.RegisterRedirectURI("https://auth.example.com/")
	s := h.Social(nil)
	cb := h.Authorize(s).Callback()
	if q := h.Fake.LastAuthorization(); q.Get("lang") != "en" || q.Get("scope") != "snsapi_login" {
		t.Errorf("QR page request = %v", q)
	}
	u, err := s.UserInfo(context.Background(), cb)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != xiaoming.ID || u.Name != xiaoming.Name || u.Avatar != xiaoming.Picture || u.Email != "" {
		t.Errorf("user = %+v, want the unionid as id", u)
	}
	var raw map[string]any
	if json.Unmarshal(u.RawData, &raw) != nil || raw["openid"] != h.Fake.OpenID(connectortest.FakeWeChatWebAppID, xiaoming) {
		t.Errorf("rawData = %s", u.RawData)
	}
	if tr := h.Fake.LastTokenRequest(); tr.Get("appid") != connectortest.FakeWeChatWebAppID || tr.Get("grant_type") != "authorization_code" {
		t.Errorf("token request = %v", tr)
	}
}

func TestWithoutUnionIDTheOpenIDIsTheIdentity(t *testing.T) {
	h := newHarness(t, xiaoming)
	h.Fake.SetUnionID(false)
	s := h.Social(nil)
	u, err := h.SignIn(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := h.Fake.OpenID(connectortest.FakeWeChatWebAppID, xiaoming); u.ID != want {
		t.Errorf("id = %q, want the openid %q", u.ID, want)
	}
}

func TestNativeSignInMatchesWeb(t *testing.T) {
	h := newHarness(t, xiaoming)
	native := h.Fake.Native()
	s := h.NewSocial(wechat.NativeFactory(), native.Config())
	u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "st-5"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "wechat://?app_id=" + connectortest.FakeWeChatNativeAppID + "&state=st-5&universal_link=" +
		url.QueryEscape("https://app.example.com/wechat/"); u != want {
		t.Errorf("native URL = %s, want %s", u, want)
	}
	params, err := native.Authorize(u)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.UserInfo(context.Background(), connector.Callback{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != xiaoming.ID {
		t.Errorf("native id = %q, want the unionid %q that the web connector also gives", got.ID, xiaoming.ID)
	}

	// The web app's code is not the mobile app's.
	web := h.Social(nil)
	_, err = s.UserInfo(context.Background(), h.Authorize(web).Callback())
	upstream(t, err, "40029")
}

func TestErrors(t *testing.T) {
	h := newHarness(t, xiaoming)
	s := h.Social(nil)

	h.Fake.SetFail(connectortest.FailAuthorize)
	cb := h.Authorize(s).Callback()
	if cb.Params.Has("code") || cb.Params.Get("state") != "st-4" {
		t.Fatalf("refusal callback = %v", cb.Params)
	}
	_, err := s.UserInfo(context.Background(), cb)
	upstream(t, err, "access_denied")
	_, err = s.UserInfo(context.Background(), connector.Callback{Params: url.Values{"error": {"access_denied"}}})
	upstream(t, err, "access_denied")

	h.Fake.SetFail(connectortest.FailToken)
	_, err = h.SignIn(s)
	upstream(t, err, "40029")
	h.Fake.SetFail(connectortest.FailNone)

	cb = h.Authorize(s).Callback()
	if _, err := s.UserInfo(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "40163")

	wrong := h.NewSocial(wechat.WebFactory(), json.RawMessage(`{"appId":"`+connectortest.FakeWeChatWebAppID+`","appSecret":"wrong-secret"}`))
	_, err = wrong.UserInfo(context.Background(), h.Authorize(s).Callback())
	upstream(t, err, "40125")
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("error %q shows the secret", err)
	}

	h.Fake.SetAccount(connectortest.FakeAccount{Name: "nobody"})
	if _, err := h.SignIn(s); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("token without openid: err = %v, want ErrInvalidResponse", err)
	}
}

func TestTransportErrorsHideTheSecret(t *testing.T) {
	h := newHarness(t, xiaoming)
	s := h.Social(nil)
	cb := h.Authorize(s).Callback()
	h.Upstream.Close()
	_, err := s.UserInfo(context.Background(), cb)
	if err == nil || strings.Contains(err.Error(), connectortest.FakeWeChatWebAppSecret) || strings.Contains(err.Error(), "secret=") {
		t.Errorf("err = %v, want a transport error without the query", err)
	}
}

func TestUnregisteredCallbackDomain(t *testing.T) {
	h := newHarness(t, xiaoming)
	h.Fake.RegisterRedirectURI("https://other.example/")
	s := h.Social(nil)
	u, _ := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "s", RedirectURI: redirectURI})
	_, _, err := connectortest.FollowAuthorization(h.Client, u)
	var ae *connectortest.AuthorizationError
	if !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("err = %v, want WeChat's error page", err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		f             *connector.Factory
		config, field string
	}{
		{wechat.WebFactory(), `{"appSecret":"s"}`, "appId"},
		{wechat.WebFactory(), `{"appId":"wx1"}`, "appSecret"},
		{wechat.WebFactory(), `{"appId":"wx1","appSecret":"s","scope":1}`, "scope"},
		{wechat.NativeFactory(), `{"appId":"wx1","appSecret":"s","universalLinks":"not a url"}`, "universalLinks"},
		{wechat.NativeFactory(), `{"appId":"wx1","appSecret":"s","universalLinks":false}`, "universalLinks"},
		{wechat.NativeFactory(), `[1]`, ""},
	} {
		err := tc.f.Validate(json.RawMessage(tc.config))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s.Validate(%s) = %v, want a ConfigError for %q", tc.f.Metadata.ID, tc.config, err, tc.field)
		}
	}
	web, native := wechat.WebFactory(), wechat.NativeFactory()
	if web.Metadata.ID != "wechat-web" || *web.Metadata.Platform != "Web" || native.Metadata.ID != "wechat-native" ||
		*native.Metadata.Platform != "Native" || web.Metadata.Target != "wechat" || native.Metadata.Target != "wechat" {
		t.Errorf("metadata: %+v / %+v", web.Metadata, native.Metadata)
	}
	if m := string(web.Mask(json.RawMessage(`{"appId":"wx1","appSecret":"7c4a8d09ca3762af61e59520943dc264"}`))); strings.Contains(m, "7c4a8d09") {
		t.Errorf("masked = %s", m)
	}
}
