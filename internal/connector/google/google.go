// Package google is Logto's Google connector (google-universal): sign-in
// with Google's OpenID Connect provider, with PKCE (S256) and a nonce,
// the ID token verified against Google's JWKS, and the profile read from
// Google's userinfo endpoint as Logto's connector reads it.
package google

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

const (
	factoryID = "google-universal"
	target    = "google"

	authURL     = "https://accounts.google.com/o/oauth2/v2/auth"
	tokenURL    = "https://oauth2.googleapis.com/token"
	jwksURL     = "https://www.googleapis.com/oauth2/v3/certs"
	userinfoURL = "https://openidconnect.googleapis.com/v1/userinfo"
	issuer      = "https://accounts.google.com"

	defaultScope = "openid profile email"
)

// Google accepts these prompts; it has no "login" (Logto leaves it out too).
var prompts = []string{"none", "consent", "select_account"}

// Factory returns the google-universal factory.
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
			Name:     map[string]string{"en": "Google", "zh-CN": "Google", "tr-TR": "Google", "ko": "Google"},
			Logo:     logo,
			Description: map[string]string{
				"en": "Sign in with a Google account or a Google Workspace account.",
			},
			Readme: readme,
			FormItems: []connector.FormItem{
				{Type: connector.FormText, Key: "clientId", Label: "Client ID", Required: true, Placeholder: "<client-id>"},
				{Type: connector.FormText, Key: "clientSecret", Label: "Client Secret", Required: true, Placeholder: "<client-secret>", IsConfidential: true},
				{Type: connector.FormMultilineText, Key: "scope", Label: "Scope", Placeholder: "Enter the scopes (separated by a space)",
					Description: "The `scope` determines permissions granted by the user's authorization. `openid` is always requested."},
				{Type: connector.FormMultiSelect, Key: "prompts", Label: "Prompts", DefaultValue: []string{"select_account"},
					SelectItems: []connector.SelectItem{{Value: "none"}, {Value: "consent"}, {Value: "select_account"}}},
				{Type: connector.FormSwitch, Key: "offlineAccess", Label: "Refresh access token", DefaultValue: false,
					Description: "Ask Google for offline access (`access_type=offline`). Gatehouse does not store provider tokens, so this only changes what Google asks the user."},
				{Type: connector.FormText, Key: "hostedDomain", Label: "Hosted domain", Placeholder: "example.com",
					Description: "Only accept Google Workspace accounts of this domain (the ID token's `hd` claim). `*` accepts any Workspace account and refuses consumer accounts. Empty accepts every account."},
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
	ClientID      string   `json:"clientId"`
	ClientSecret  string   `json:"clientSecret"`
	Scope         string   `json:"scope"`
	Prompts       []string `json:"prompts"`
	OfflineAccess bool     `json:"offlineAccess"`
	// OneTap is Logto's Google One Tap settings. The hosted pages run no
	// script, so One Tap is not offered; the field is accepted so that
	// Logto configs validate.
	OneTap *struct {
		IsEnabled         *bool `json:"isEnabled"`
		AutoSelect        *bool `json:"autoSelect"`
		CloseOnTapOutside *bool `json:"closeOnTapOutside"`
		ItpSupport        *bool `json:"itpSupport"`
	} `json:"oneTap"`
	// HostedDomain is Gatehouse's own: Logto's Google connector has no
	// domain restriction.
	HostedDomain string `json:"hostedDomain"`
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
	if err := oidcrp.Prompts("prompts", c.Prompts, prompts...); err != nil {
		return nil, err
	}
	c.HostedDomain = strings.ToLower(strings.TrimSpace(c.HostedDomain))
	if strings.ContainsAny(c.HostedDomain, " /@:") {
		return nil, &connector.ConfigError{Field: "hostedDomain", Reason: "expected a domain name such as example.com, or *"}
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
	opts = append(opts, oidcrp.PKCEChallenge(req.CodeVerifier)...)
	if len(p.cfg.Prompts) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", strings.Join(p.cfg.Prompts, " ")))
	}
	if p.cfg.OfflineAccess {
		opts = append(opts, oauth2.AccessTypeOffline)
	}
	if p.cfg.HostedDomain != "" {
		// hd only narrows Google's account chooser; UserInfo checks the
		// ID token's hd claim, which is what counts.
		opts = append(opts, oauth2.SetAuthURLParam("hd", p.cfg.HostedDomain))
	}
	if req.Locale != "" {
		opts = append(opts, oauth2.SetAuthURLParam("hl", req.Locale))
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	tok, err := p.rp.Exchange(ctx, p.oauth(cb.RedirectURI), code, oidcrp.PKCE(cb.CodeVerifier)...)
	if err != nil {
		return nil, err
	}
	rawID, err := oidcrp.IDToken(tok)
	if err != nil {
		return nil, err
	}
	idt, err := p.rp.VerifyIDToken(ctx, p.rp.KeySet(jwksURL), rawID, oidcrp.Check{
		// Google documents both forms of its issuer.
		Issuers:  []string{issuer, "accounts.google.com"},
		ClientID: p.cfg.ClientID,
		Nonce:    cb.Nonce,
	})
	if err != nil {
		return nil, err
	}
	if err := p.checkHostedDomain(idt.Claims); err != nil {
		return nil, err
	}
	return p.rp.UserInfo(ctx, "Google", userinfoURL, tok.AccessToken, idt.Subject)
}

// checkHostedDomain enforces hostedDomain on the ID token's hd claim,
// which Google sets for Workspace accounts only.
func (p *provider) checkHostedDomain(claims func(any) error) error {
	want := p.cfg.HostedDomain
	if want == "" {
		return nil
	}
	var c struct {
		HD string `json:"hd"`
	}
	if err := claims(&c); err != nil {
		return fmt.Errorf("%w: Google ID token claims: %v", connector.ErrInvalidResponse, err)
	}
	switch {
	case c.HD == "":
		return &connector.UpstreamError{Code: "hosted_domain_mismatch", Description: "the Google account is not a Google Workspace account"}
	case want != "*" && !strings.EqualFold(c.HD, want):
		return &connector.UpstreamError{Code: "hosted_domain_mismatch", Description: "the Google account does not belong to " + want}
	}
	return nil
}
