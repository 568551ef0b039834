// Package wechat holds the WeChat social connectors of Logto: "wechat-web"
// (QR-code sign-in on a website, through a Website Application of the
// WeChat Open Platform) and "wechat-native" (sign-in inside an iOS or
// Android app through the WeChat SDK, with a Mobile Application).
//
// Both exchange the code at WeChat's non-standard token endpoint (a GET
// with the app id and secret in the query, answering HTTP 200 with an
// errcode on failure) and read /sns/userinfo. The account id is the
// unionid when WeChat gives one, which is the same for a person across all
// apps of one Open Platform account, so that the web and native connectors
// find the same user; else it is the openid, which is per app. WeChat
// shares no email address.
package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

// Logto's factory ids of the WeChat connectors.
const (
	WebFactoryID    = "wechat-web"
	NativeFactoryID = "wechat-native"
)

// WeChat's endpoints.
const (
	QRConnectEndpoint = "https://open.weixin.qq.com/connect/qrconnect"
	TokenEndpoint     = "https://api.weixin.qq.com/sns/oauth2/access_token"
	UserInfoEndpoint  = "https://api.weixin.qq.com/sns/userinfo"
	// NativeScheme starts the URL the native connector gives the app: the
	// app's WeChat SDK reads app_id, state and universal_link from it.
	NativeScheme = "wechat://"
)

// DefaultWebScope is the web connector's scope when the config has none:
// the only one a Website Application has.
const DefaultWebScope = "snsapi_login"

const maxBody = 1 << 20

// WebFactory returns the wechat-web factory.
func WebFactory() *connector.Factory {
	f := factory(WebFactoryID, "Web", false)
	f.Metadata.FormItems = []connector.FormItem{
		{Type: connector.FormText, Key: "appId", Label: "App ID", Required: true, Placeholder: "<app-id>"},
		{Type: connector.FormText, Key: "appSecret", Label: "App Secret", Required: true, Placeholder: "<app-secret>", IsConfidential: true},
		{Type: connector.FormMultilineText, Key: "scope", Label: "Scope", Placeholder: "Enter the scopes (separated by a space)",
			Description: "The `scope` determines permissions granted by the user's authorization. Leave it empty for `" + DefaultWebScope + "`."},
	}
	f.Metadata.Readme = webReadme
	return f
}

// NativeFactory returns the wechat-native factory.
func NativeFactory() *connector.Factory {
	f := factory(NativeFactoryID, "Native", true)
	f.Metadata.FormItems = []connector.FormItem{
		{Type: connector.FormText, Key: "appId", Label: "App ID", Required: true, Placeholder: "<app-id>"},
		{Type: connector.FormText, Key: "appSecret", Label: "App Secret", Required: true, Placeholder: "<app-secret>", IsConfidential: true},
		{Type: connector.FormText, Key: "universalLinks", Label: "Universal Links", Placeholder: "<universal-links>"},
	}
	f.Metadata.Readme = nativeReadme
	return f
}

func factory(id, platform string, native bool) *connector.Factory {
	return &connector.Factory{
		Type:           connector.TypeSocial,
		SingleInstance: true,
		Secrets:        [][]string{{"appSecret"}},
		Metadata: connector.Metadata{
			ID:       id,
			Target:   "wechat",
			Platform: &platform,
			Name:     map[string]string{"en": "WeChat", "zh-CN": "微信", "tr-TR": "WeChat", "ko": "WeChat"},
			Logo:     logo(),
			Description: map[string]string{
				"en":    "WeChat is a cross-platform instant messaging app.",
				"zh-CN": "微信是一款跨平台的即时通讯软件。",
			},
		},
		Validate: func(raw json.RawMessage) error {
			_, err := parseConfig(raw, native)
			return err
		},
		NewSocial: func(raw json.RawMessage, env connector.Env) (connector.Social, error) {
			cfg, err := parseConfig(raw, native)
			if err != nil {
				return nil, err
			}
			return &provider{cfg: cfg, native: native, client: oidcrp.New(env).HTTP}, nil
		},
	}
}

const webReadme = "# WeChat (web)\n\n" +
	"QR-code sign-in with WeChat on a website.\n\n" +
	"1. On the WeChat Open Platform (https://open.weixin.qq.com), create a **Website Application** (网站应用) and wait for its review.\n" +
	"2. Set its **Authorization callback domain** (授权回调域) to the host of `<ENDPOINT>` (for example `auth.example.com`).\n" +
	"3. Copy **AppID** into `appId` and **AppSecret** into `appSecret`. Leave `scope` empty for `snsapi_login`.\n\n" +
	"The identity is the unionid when the app is bound to an Open Platform account, else the openid. WeChat shares no email.\n"

const nativeReadme = "# WeChat (native)\n\n" +
	"Sign-in with the WeChat app from an iOS or Android app, through the WeChat SDK.\n\n" +
	"1. On the WeChat Open Platform (https://open.weixin.qq.com), create a **Mobile Application** (移动应用) with your bundle ID / package name and signature, and wait for its review.\n" +
	"2. Copy **AppID** into `appId` and **AppSecret** into `appSecret`; on iOS set `universalLinks` to the app's Universal Link.\n\n" +
	"The authorization URL is `wechat://?app_id=...&state=...[&universal_link=...]`, for the SDK; the app sends the code it gets back to " +
	"`<ENDPOINT>/callback/<connector id>`. Bind the web and native apps to one Open Platform account so that both give the same unionid.\n"

type config struct {
	appID, appSecret, scope, universalLinks string
}

func parseConfig(raw json.RawMessage, native bool) (config, error) {
	var c struct {
		AppID          string `json:"appId"`
		AppSecret      string `json:"appSecret"`
		Scope          string `json:"scope"`
		UniversalLinks string `json:"universalLinks"`
	}
	if err := oidcrp.DecodeConfig(raw, &c); err != nil {
		return config{}, err
	}
	if err := oidcrp.Required("appId", c.AppID); err != nil {
		return config{}, err
	}
	if c.AppSecret == "" {
		return config{}, &connector.ConfigError{Field: "appSecret", Reason: "is required"}
	}
	out := config{appID: strings.TrimSpace(c.AppID), appSecret: c.AppSecret, scope: strings.TrimSpace(c.Scope),
		universalLinks: strings.TrimSpace(c.UniversalLinks)}
	if native && out.universalLinks != "" {
		if u, err := url.Parse(out.universalLinks); err != nil || u.Scheme != "https" || u.Host == "" {
			return config{}, &connector.ConfigError{Field: "universalLinks", Reason: "expected an https URL"}
		}
	}
	return out, nil
}

type provider struct {
	cfg    config
	native bool
	client *http.Client
}

// AuthorizationURL returns, for the web connector, WeChat's QR-code page
// (its parameters in the order WeChat documents, then the fragment WeChat
// requires); for the native connector, the wechat:// URL that Logto's
// native SDKs hand to the WeChat SDK.
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" {
		return "", errors.New("wechat: authorization request without state")
	}
	if p.native {
		q := url.Values{"app_id": {p.cfg.appID}, "state": {req.State}}
		if p.cfg.universalLinks != "" {
			q.Set("universal_link", p.cfg.universalLinks)
		}
		return NativeScheme + "?" + q.Encode(), nil
	}
	if req.RedirectURI == "" {
		return "", errors.New("wechat: authorization request without redirect URI")
	}
	scope := p.cfg.scope
	if scope == "" {
		scope = DefaultWebScope
	}
	var b strings.Builder
	b.WriteString(QRConnectEndpoint)
	b.WriteString("?appid=" + url.QueryEscape(p.cfg.appID))
	b.WriteString("&redirect_uri=" + url.QueryEscape(req.RedirectURI))
	b.WriteString("&response_type=code")
	b.WriteString("&scope=" + url.QueryEscape(scope))
	b.WriteString("&state=" + url.QueryEscape(req.State))
	// The QR page speaks Simplified Chinese ("cn") or English ("en").
	if req.Locale != "" {
		lang := "en"
		if strings.HasPrefix(strings.ToLower(req.Locale), "zh") {
			lang = "cn"
		}
		b.WriteString("&lang=" + lang)
	}
	b.WriteString("#wechat_redirect")
	return b.String(), nil
}

// UserInfo exchanges the code and reads /sns/userinfo.
func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	if err := connector.CallbackError(cb.Params); err != nil {
		return nil, err
	}
	code := cb.Params.Get("code")
	if code == "" {
		// WeChat's answer when the user refuses: back to the callback with
		// the state and no code.
		return nil, &connector.UpstreamError{Code: "access_denied", Description: "The user did not authorize the app in WeChat."}
	}
	var tok struct {
		wechatError
		AccessToken string `json:"access_token"`
		OpenID      string `json:"openid"`
		UnionID     string `json:"unionid"`
	}
	q := url.Values{"appid": {p.cfg.appID}, "secret": {p.cfg.appSecret}, "code": {code}, "grant_type": {"authorization_code"}}
	if _, err := p.get(ctx, "token", TokenEndpoint, q, &tok); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" || tok.OpenID == "" {
		return nil, fmt.Errorf("wechat: %w: the token answer lacks access_token or openid", connector.ErrInvalidResponse)
	}
	var info struct {
		wechatError
		OpenID     string `json:"openid"`
		UnionID    string `json:"unionid"`
		Nickname   string `json:"nickname"`
		HeadImgURL string `json:"headimgurl"`
	}
	raw, err := p.get(ctx, "userinfo", UserInfoEndpoint, url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}}, &info)
	if err != nil {
		return nil, err
	}
	if info.OpenID != "" && info.OpenID != tok.OpenID {
		return nil, fmt.Errorf("wechat: %w: userinfo describes another openid than the token's", connector.ErrInvalidResponse)
	}
	out := &connector.SocialUser{ID: tok.OpenID, Name: info.Nickname, Avatar: info.HeadImgURL, RawData: raw}
	switch {
	case info.UnionID != "":
		out.ID = info.UnionID
	case tok.UnionID != "":
		out.ID = tok.UnionID
	}
	return out, nil
}

// wechatError is the error part of every WeChat answer.
type wechatError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (e wechatError) err() error {
	if e.ErrCode == 0 {
		return nil
	}
	return &connector.UpstreamError{Code: strconv.Itoa(e.ErrCode), Description: oidcrp.Clip(e.ErrMsg)}
}

// get calls a WeChat API and decodes its JSON answer into v, whose
// embedded wechatError reports WeChat's errors. The query carries the app
// secret or an access token, so no error names the URL.
func (p *provider) get(ctx context.Context, what, endpoint string, q url.Values, v interface{ err() error }) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("wechat: building the %s request: %w", what, err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("wechat: calling the %s endpoint: %w", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("wechat: reading the %s answer: %w", what, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &connector.UpstreamError{Code: "http_" + strconv.Itoa(resp.StatusCode), Description: "WeChat's " + what + " endpoint answered HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("wechat: %w: the %s answer is not the expected JSON: %v", connector.ErrInvalidResponse, what, err)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return body, nil
}

// logo draws a monogram in WeChat's green: Gatehouse ships no third-party
// artwork.
func logo() string {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="1" y="1" width="22" height="22" rx="6" fill="#07c160"/>` +
		`<text x="12" y="16.6" font-family="Helvetica,Arial,sans-serif" font-size="12" font-weight="700" text-anchor="middle" fill="#ffffff">W</text></svg>`
	return oidcrp.LogoURI(svg)
}
