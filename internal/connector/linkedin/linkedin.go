// Package linkedin is Logto's LinkedIn connector (linkedin-universal):
// Sign In with LinkedIn using OpenID Connect. The code is redeemed with
// the client secret in the body (LinkedIn takes no Basic credentials),
// the ID token is verified against LinkedIn's JWKS, and the profile is
// read from LinkedIn's userinfo endpoint as Logto's connector reads it.
//
// LinkedIn's web flow supports neither PKCE nor the nonce parameter: the
// nonce is sent all the same, and an ID token that carries one must
// match it, but a token without one is accepted.
package linkedin

import (
	"context"
	"encoding/json"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

const (
	factoryID = "linkedin-universal"
	target    = "linkedin"

	authURL     = "https://www.linkedin.com/oauth/v2/authorization"
	tokenURL    = "https://www.linkedin.com/oauth/v2/accessToken"
	userinfoURL = "https://api.linkedin.com/v2/userinfo"
	jwksURL     = "https://www.linkedin.com/oauth/openid/jwks"
	issuer      = "https://www.linkedin.com/oauth"

	defaultScope = "openid profile email"
)

// Factory returns the linkedin-universal factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:           connector.TypeSocial,
		SingleInstance: true,
		Secrets:        [][]string{{"clientSecret"}},
		Metadata: connector.Metadata{
			ID:       factoryID,
			Target:   target,
			Platform: &platform,
			Name:     map[string]string{"en": "LinkedIn", "zh-CN": "LinkedIn", "tr-TR": "LinkedIn", "ko": "LinkedIn"},
			Logo:     logo,
			Description: map[string]string{
				"en": "Sign in with a LinkedIn account.",
			},
			Readme: readme,
			FormItems: []connector.FormItem{
				{Type: connector.FormText, Key: "clientId", Label: "Client ID", Required: true},
				{Type: connector.FormText, Key: "clientSecret", Label: "Client Secret", Required: true, IsConfidential: true},
				{Type: connector.FormMultilineText, Key: "scope", Label: "Scope",
					Description: "The `scope` determines permissions granted by the user's authorization. Defaults to `openid profile email`; `openid` is always requested."},
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
			return &provider{cfg: cfg, rp: oidcrp.New(env)}, nil
		},
	}
}

type config struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Scope        string `json:"scope"`
}

func parseConfig(raw json.RawMessage) (*config, error) {
	var c config
	if err := oidcrp.DecodeConfig(raw, &c); err != nil {
		return nil, err
	}
	if err := oidcrp.Required("clientId", c.ClientID); err != nil {
		return nil, err
	}
	if err := oidcrp.Required("clientSecret", c.ClientSecret); err != nil {
		return nil, err
	}
	return &c, nil
}

type provider struct {
	cfg *config
	rp  *oidcrp.RP
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	c := oidcrp.Client{ID: p.cfg.ClientID, Secret: p.cfg.ClientSecret, Scope: p.cfg.Scope}
	return c.OpenID(authURL, tokenURL, redirectURI, defaultScope)
}

func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	var opts []oauth2.AuthCodeOption
	if req.Nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", req.Nonce))
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	tok, err := p.rp.Exchange(ctx, p.oauth(cb.RedirectURI), code)
	if err != nil {
		return nil, err
	}
	rawID, err := oidcrp.IDToken(tok)
	if err != nil {
		return nil, err
	}
	idt, err := p.rp.VerifyIDToken(ctx, p.rp.KeySet(jwksURL), rawID, oidcrp.Check{
		Issuers:       []string{issuer},
		ClientID:      p.cfg.ClientID,
		Nonce:         cb.Nonce,
		NonceOptional: true,
	})
	if err != nil {
		return nil, err
	}
	return p.rp.UserInfo(ctx, "LinkedIn", userinfoURL, tok.AccessToken, idt.Subject)
}
