package connectortest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// FakeWeChat stands in for the WeChat Open Platform: open.weixin.qq.com's
// QR-code page for a Website Application, and api.weixin.qq.com's token
// and userinfo endpoints for it and for a Mobile Application (see Native),
// both apps bound to one Open Platform account.
//
// As WeChat does, the APIs answer HTTP 200 with {"errcode", "errmsg"} on
// failure, a refusal sends the browser back with the state and no code, and
// the redirect URI is checked by host only (WeChat registers a callback
// domain). FakeAccount.ID is the unionid; each app sees its own openid
// (OpenID). An empty ID leaves openid and unionid out of the token answer.
// FailToken answers errcode 40029 (invalid code).
//
// FakeWeChat is the FakeProvider of "wechat-web"; Native returns the one of
// "wechat-native". Both share the account, fail mode and codes.
type FakeWeChat struct {
	*authCodeBook
	noUnion atomic.Bool
	native  *FakeWeChatNative
}

// FakeWeChatNative is the Mobile Application of a FakeWeChat, the
// FakeProvider of "wechat-native". Authorize plays the WeChat app.
type FakeWeChatNative struct {
	*authCodeBook
}

// WeChat app credentials the fake accepts.
const (
	FakeWeChatWebAppID        = "wx5f0d0c3b2a1e4d6c"
	FakeWeChatWebAppSecret    = "7c4a8d09ca3762af61e59520943dc264"
	FakeWeChatNativeAppID     = "wx9e8d7c6b5a4f3e2d"
	FakeWeChatNativeAppSecret = "e10adc3949ba59abbe56e057f20f883e"
)

// NewFakeWeChat registers open.weixin.qq.com and api.weixin.qq.com on u.
func NewFakeWeChat(u *Upstream, acct FakeAccount) *FakeWeChat {
	book := newAuthCodeBook(acct, map[string]string{
		FakeWeChatWebAppID:    FakeWeChatWebAppSecret,
		FakeWeChatNativeAppID: FakeWeChatNativeAppSecret,
	})
	f := &FakeWeChat{authCodeBook: book}
	f.native = &FakeWeChatNative{authCodeBook: book}
	open := http.NewServeMux()
	open.HandleFunc("GET /connect/qrconnect", f.qrconnect)
	u.Handle("open.weixin.qq.com", open)
	api := http.NewServeMux()
	api.HandleFunc("GET /sns/oauth2/access_token", f.accessToken)
	api.HandleFunc("GET /sns/userinfo", f.userinfo)
	u.Handle("api.weixin.qq.com", api)
	return f
}

// FactoryID is "wechat-web".
func (f *FakeWeChat) FactoryID() string { return "wechat-web" }

// Config is a wechat-web config with the website app's credentials.
func (f *FakeWeChat) Config() json.RawMessage {
	c, _ := json.Marshal(map[string]string{"appId": FakeWeChatWebAppID, "appSecret": FakeWeChatWebAppSecret})
	return c
}

// Native returns the fake's Mobile Application.
func (f *FakeWeChat) Native() *FakeWeChatNative { return f.native }

// SetUnionID makes WeChat give unionids (the default) or not, as for an app
// bound to no Open Platform account.
func (f *FakeWeChat) SetUnionID(on bool) { f.noUnion.Store(!on) }

// OpenID is the openid app appID sees for a.
func (f *FakeWeChat) OpenID(appID string, a FakeAccount) string {
	sum := sha256.Sum256([]byte(appID + "\x00" + a.ID))
	return "o" + base64.RawURLEncoding.EncodeToString(sum[:])[:27]
}

// FactoryID is "wechat-native".
func (n *FakeWeChatNative) FactoryID() string { return "wechat-native" }

// Config is a wechat-native config with the mobile app's credentials.
func (n *FakeWeChatNative) Config() json.RawMessage {
	c, _ := json.Marshal(map[string]string{"appId": FakeWeChatNativeAppID, "appSecret": FakeWeChatNativeAppSecret,
		"universalLinks": "https://app.example.com/wechat/"})
	return c
}

// Authorize plays the WeChat app that the native connector's wechat://
// URL opens: it checks the app id and returns what the app sends to its
// callback (code and state; the state alone when the user refuses).
func (n *FakeWeChatNative) Authorize(authURL string) (url.Values, error) {
	u, err := url.Parse(authURL)
	if err != nil || u.Scheme != "wechat" {
		return nil, fmt.Errorf("not a wechat:// URL: %q", authURL)
	}
	q := u.Query()
	n.recordAuthorization(q)
	if q.Get("app_id") != FakeWeChatNativeAppID {
		return nil, errors.New("WeChat SDK: unknown app_id " + q.Get("app_id"))
	}
	state := q.Get("state")
	acct, fail := n.current()
	switch fail {
	case FailAuthorize:
		return url.Values{"state": {state}}, nil
	case FailWrongState:
		state = "tampered-" + state
	}
	code := n.issueCode(issuedCode{clientID: FakeWeChatNativeAppID, scope: "snsapi_userinfo", acct: acct})
	return url.Values{"code": {code}, "state": {state}}, nil
}

// apiError answers as WeChat's APIs do: HTTP 200 with an errcode.
func (f *FakeWeChat) apiError(w http.ResponseWriter, code int, msg string) {
	f.writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg + ", rid: 6571a2b3-1c2d3e4f-5a6b7c8d"})
}

func (f *FakeWeChat) qrconnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.recordAuthorization(q)
	// WeChat shows its errors on a page of its own; the fake answers 400.
	if q.Get("appid") != FakeWeChatWebAppID {
		http.Error(w, "参数错误 (invalid appid)", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if !f.redirectAllowed(redirect, true) {
		http.Error(w, "redirect_uri 参数错误", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" || !strings.Contains(","+strings.ReplaceAll(q.Get("scope"), " ", ",")+",", ",snsapi_login,") {
		http.Error(w, "Scope 参数错误或没有 Scope 权限", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	acct, fail := f.current()
	switch fail {
	case FailAuthorize:
		f.redirectBack(w, redirect, url.Values{"state": {state}}, "")
		return
	case FailWrongState:
		state = "tampered-" + state
	}
	code := f.issueCode(issuedCode{clientID: FakeWeChatWebAppID, scope: q.Get("scope"), acct: acct})
	f.redirectBack(w, redirect, url.Values{"code": {code}, "state": {state}}, "")
}

func (f *FakeWeChat) accessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.recordTokenRequest(q)
	appID := q.Get("appid")
	switch {
	case !f.knownClient(appID):
		f.apiError(w, 40013, "invalid appid")
		return
	case !f.authenticate(appID, q.Get("secret")):
		f.apiError(w, 40125, "invalid appsecret")
		return
	case q.Get("grant_type") != "authorization_code":
		f.apiError(w, 40002, "invalid grant_type")
		return
	}
	if _, mode := f.current(); mode == FailToken {
		f.apiError(w, 40029, "invalid code")
		return
	}
	grant, problem := f.redeem(q.Get("code"), appID, "", "", true)
	switch problem {
	case redeemOK:
	case redeemReused:
		f.apiError(w, 40163, "code been used")
		return
	case redeemExpired:
		f.apiError(w, 42003, "code expired")
		return
	default:
		f.apiError(w, 40029, "invalid code")
		return
	}
	tok := f.issueToken(issuedToken{clientID: appID, scope: grant.scope, acct: grant.acct})
	body := map[string]any{"access_token": tok, "expires_in": 7200, "refresh_token": f.newToken("r"), "scope": grant.scope}
	if grant.acct.ID != "" {
		body["openid"] = f.OpenID(appID, grant.acct)
		if !f.noUnion.Load() {
			body["unionid"] = grant.acct.ID
		}
	}
	f.writeJSON(w, http.StatusOK, body)
}

func (f *FakeWeChat) userinfo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	t, ok := f.token(q.Get("access_token"))
	switch {
	case !ok:
		f.apiError(w, 40001, "invalid credential, access_token is invalid or not latest")
		return
	case q.Get("openid") != f.OpenID(t.clientID, t.acct):
		f.apiError(w, 40003, "invalid openid")
		return
	case t.scope == "snsapi_base":
		f.apiError(w, 48001, "api unauthorized")
		return
	}
	a := t.acct
	body := map[string]any{"openid": f.OpenID(t.clientID, a), "nickname": a.Name, "sex": 0, "language": "",
		"city": "", "province": "", "country": "CN", "headimgurl": a.Picture, "privilege": []string{}}
	if !f.noUnion.Load() {
		body["unionid"] = a.ID
	}
	f.writeJSON(w, http.StatusOK, body)
}

var (
	_ FakeProvider = (*FakeWeChat)(nil)
	_ FakeProvider = (*FakeWeChatNative)(nil)
)
