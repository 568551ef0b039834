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
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
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
			_, err := oidcrp.ParseClient(raw)
			return err
		},
		NewSocial: func(raw json.RawMessage, env connector.Env) (connector.Social, error) {
			cfg, err := oidcrp.ParseClient(raw)
			if err != nil {
				return nil, err
			}
			rp := oidcrp.New(env)
			rp.TokenError = graphError
			return &provider{cfg: cfg, rp: rp}, nil
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

type provider struct {
	cfg oidcrp.Client
	rp  *oidcrp.RP
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	return p.cfg.OAuth2(AuthorizationEndpoint, TokenEndpoint, redirectURI)
}

// AuthorizationURL sends the browser to Facebook's login dialog.
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" || req.RedirectURI == "" {
		return "", errors.New("facebook: authorization request without state or redirect URI")
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, oauth2.SetAuthURLParam("scope", p.cfg.ScopeOr(DefaultScope))), nil
}

// UserInfo exchanges the callback's code and reads the account from /me.
func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	tok, err := p.rp.Exchange(ctx, p.oauth(cb.RedirectURI), code)
	if err != nil {
		return nil, err
	}

	// appsecret_proof shows the call comes from the app's server, and is
	// required when the app enables "Require App Secret".
	mac := hmac.New(sha256.New, []byte(p.cfg.Secret))
	mac.Write([]byte(tok.AccessToken))
	q := url.Values{"fields": {userFields}, "appsecret_proof": {hex.EncodeToString(mac.Sum(nil))}}
	status, body, err := p.rp.Get(ctx, UserEndpoint+"?"+q.Encode(), tok.AccessToken, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, graphError(status, body)
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
// "code", "error_subcode"}}) into an UpstreamError. Facebook's token
// endpoint answers them too, and x/oauth2 cannot read them (its error
// member is an object), so the RP's TokenError is graphError.
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
	return &connector.UpstreamError{Code: e.Error.Type, Description: oidcrp.Clip(desc + ")")}
}

// logo draws a monogram in Facebook's blue: Gatehouse ships no third-party
// artwork.
func logo() string {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="#0866ff"/>` +
		`<text x="12.6" y="18.4" font-family="Helvetica,Arial,sans-serif" font-size="17" font-weight="700" text-anchor="middle" fill="#ffffff">f</text></svg>`
	return oidcrp.LogoURI(svg)
}
