// Package facebook is the Facebook social connector, Logto's
// "facebook-universal": Facebook Login's manually built web flow, then the
// account from the Graph API's /me.
//
// The account id is the app-scoped user id Facebook gives the app. Facebook
// returns a user's email only when the user has confirmed it with Facebook
// ("This field will not be returned if no valid email address is
// available"), so an email that is present is treated as verified.
//
// No PKCE: Facebook documents PKCE only for its OpenID Connect variant of
// the flow, still marked as in testing; the code exchange is authenticated
// by the app secret instead, and the Graph API calls carry an
// appsecret_proof.
package facebook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// FactoryID is Logto's id of the Facebook connector.
const FactoryID = "facebook-universal"

// GraphVersion is the Graph API version every call names. Facebook keeps a
// version for at least two years after its release and serves calls to a
// retired version with the oldest live one.
const GraphVersion = "v23.0"

// Facebook's endpoints.
const (
	AuthorizationEndpoint = "https://www.facebook.com/" + GraphVersion + "/dialog/oauth"
	TokenEndpoint         = "https://graph.facebook.com/" + GraphVersion + "/oauth/access_token"
	UserEndpoint          = "https://graph.facebook.com/" + GraphVersion + "/me"
)

// DefaultScope is requested when the config has none (Logto's default).
const DefaultScope = "email,public_profile"

// userFields are the /me fields read.
const userFields = "id,name,email,picture"

const maxBody = 1 << 20

// Factory returns the facebook-universal factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:           connector.TypeSocial,
		SingleInstance: true,
		Secrets:        [][]string{{"clientSecret"}},
		Metadata: connector.Metadata{
			ID:       FactoryID,
			Target:   "facebook",
			Platform: &platform,
			Name:     map[string]string{"en": "Facebook", "zh-CN": "Facebook", "tr-TR": "Facebook", "ko": "Facebook"},
			Logo:     logo(),
			Description: map[string]string{
				"en": "Facebook is a worldwide social media platform with billions of users.",
			},
			Readme: readme,
			FormItems: []connector.FormItem{
				{Type: connector.FormText, Key: "clientId", Label: "Client ID", Required: true, Placeholder: "<client-id>"},
				{Type: connector.FormText, Key: "clientSecret", Label: "Client Secret", Required: true, Placeholder: "<client-secret>", IsConfidential: true},
				{Type: connector.FormMultilineText, Key: "scope", Label: "Scope", Placeholder: "Enter the scopes (separated by a space)",
					Description: "The `scope` determines permissions granted by the user's authorization. Leave it empty for `email public_profile`."},
			},
		},
		Validate: func(raw json.RawMessage) error {
			_, err := parseConfig(raw)
			return err
		},
		NewSocial: func(raw json.RawMessage, env connector.Env) (connector.Social, error) {
			cfg, err := parseConfig(raw)
			if err != nil {
				return nil, err
			}
			client := env.HTTPClient
			if client == nil {
				client = connector.DefaultHTTPClient()
			}
			return &provider{cfg: cfg, client: client}, nil
		},
	}
}

const readme = "# Facebook\n\n" +
	"Sign in with a Facebook account (Facebook Login, Graph API " + GraphVersion + ").\n\n" +
	"1. In the Meta App Dashboard (https://developers.facebook.com/apps), create an app with the use case \"Authenticate and request data from users with Facebook Login\".\n" +
	"2. Under Facebook Login → Settings, add `<ENDPOINT>/callback/<connector id>` to **Valid OAuth Redirect URIs**.\n" +
	"3. Under App settings → Basic, copy **App ID** into `clientId` and **App secret** into `clientSecret`.\n" +
	"4. Leave `scope` empty for `email public_profile`.\n\n" +
	"While the app is in development mode only people with a role on the app (administrators, developers, testers) can sign in; publish it for everyone.\n"

type config struct {
	clientID, clientSecret, scope string
}

func parseConfig(raw json.RawMessage) (config, error) {
	var c struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		Scope        string `json:"scope"`
	}
	if err := decodeConfig(raw, &c); err != nil {
		return config{}, err
	}
	switch {
	case strings.TrimSpace(c.ClientID) == "":
		return config{}, &connector.ConfigError{Field: "clientId", Reason: "is required"}
	case c.ClientSecret == "":
		return config{}, &connector.ConfigError{Field: "clientSecret", Reason: "is required"}
	}
	return config{clientID: strings.TrimSpace(c.ClientID), clientSecret: c.ClientSecret, scope: strings.TrimSpace(c.Scope)}, nil
}

// decodeConfig decodes a config object into v, naming the field whose value
// has the wrong type.
func decodeConfig(raw json.RawMessage, v any) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return &connector.ConfigError{Reason: "expected an object"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &connector.ConfigError{Field: te.Field, Reason: "expected a " + te.Type.String()}
		}
		return &connector.ConfigError{Reason: "expected an object"}
	}
	return nil
}

type provider struct {
	cfg    config
	client *http.Client
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.clientID,
		ClientSecret: p.cfg.clientSecret,
		RedirectURL:  redirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: AuthorizationEndpoint, TokenURL: TokenEndpoint,
			AuthStyle: oauth2.AuthStyleInParams},
	}
}

// AuthorizationURL sends the browser to Facebook's login dialog.
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" || req.RedirectURI == "" {
		return "", errors.New("facebook: authorization request without state or redirect URI")
	}
	scope := p.cfg.scope
	if scope == "" {
		scope = DefaultScope
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, oauth2.SetAuthURLParam("scope", scope)), nil
}

// UserInfo exchanges the callback's code and reads the account from /me.
func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	if err := connector.CallbackError(cb.Params); err != nil {
		return nil, err
	}
	code := cb.Params.Get("code")
	if code == "" {
		return nil, fmt.Errorf("facebook: %w: the callback carries no code", connector.ErrInvalidResponse)
	}
	tok, err := p.oauth(cb.RedirectURI).Exchange(context.WithValue(ctx, oauth2.HTTPClient, p.client), code)
	if err != nil {
		return nil, tokenError(err)
	}

	// appsecret_proof shows the call comes from the app's server, and is
	// required when the app enables "Require App Secret".
	mac := hmac.New(sha256.New, []byte(p.cfg.clientSecret))
	mac.Write([]byte(tok.AccessToken))
	q := url.Values{"fields": {userFields}, "appsecret_proof": {hex.EncodeToString(mac.Sum(nil))}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, UserEndpoint+"?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("facebook: building request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("facebook: calling %s: %w", UserEndpoint, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("facebook: reading %s: %w", UserEndpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, graphError(resp.StatusCode, body)
	}
	var me struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Email   string `json:"email"`
		Picture *struct {
			Data struct {
				URL string `json:"url"`
			} `json:"data"`
		} `json:"picture"`
	}
	if err := json.Unmarshal(body, &me); err != nil {
		return nil, fmt.Errorf("facebook: %w: /me is not the expected JSON: %v", connector.ErrInvalidResponse, err)
	}
	if me.ID == "" {
		return nil, fmt.Errorf("facebook: %w: the user has no id", connector.ErrInvalidResponse)
	}
	out := &connector.SocialUser{ID: me.ID, Name: me.Name, Email: me.Email, RawData: body}
	if me.Picture != nil {
		out.Avatar = me.Picture.Data.URL
	}
	return out, nil
}

// graphError turns a Graph API error ({"error": {"message", "type",
// "code", "error_subcode"}}) into an UpstreamError.
func graphError(status int, body []byte) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    int    `json:"code"`
			Subcode int    `json:"error_subcode"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Type == "" {
		return &connector.UpstreamError{Code: "http_" + strconv.Itoa(status), Description: "Facebook answered HTTP " + strconv.Itoa(status)}
	}
	desc := e.Error.Message + " (code " + strconv.Itoa(e.Error.Code)
	if e.Error.Subcode != 0 {
		desc += ", subcode " + strconv.Itoa(e.Error.Subcode)
	}
	return &connector.UpstreamError{Code: e.Error.Type, Description: clip(desc + ")")}
}

// tokenError maps a failed code exchange. Facebook's error member is an
// object, which x/oauth2 cannot read, so the body is parsed here.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return &connector.UpstreamError{Code: re.ErrorCode, Description: clip(re.ErrorDescription)}
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return graphError(status, re.Body)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("facebook: calling the token endpoint: %w", ue.Err)
	}
	return fmt.Errorf("facebook: %w: token response: %v", connector.ErrInvalidResponse, err)
}

// unwrapURLError drops the request URL from a transport error.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// clip bounds a provider's message before it reaches logs and pages.
func clip(s string) string {
	const max = 300
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// logo draws a monogram in Facebook's blue: Gatehouse ships no third-party
// artwork.
func logo() string {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="#0866ff"/>` +
		`<text x="12.6" y="18.4" font-family="Helvetica,Arial,sans-serif" font-size="17" font-weight="700" text-anchor="middle" fill="#ffffff">f</text></svg>`
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}
