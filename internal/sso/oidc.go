package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// tenantPlaceholder stands for the tenant id in the issuer of Microsoft
// Entra ID's multi-tenant endpoints (/common, /organizations): the ID
// token's issuer carries the tenant id found in its tid claim.
const tenantPlaceholder = "{tenantid}"

// issuedAtTolerance bounds how far an ID token's iat may be from now,
// Logto's 10 minutes.
const issuedAtTolerance = 10 * time.Minute

// oidcDiscovery is an issuer's discovery document, fetched once and shared
// by the connectors that use the issuer until the cache drops it.
type oidcDiscovery struct {
	provider *oidc.Provider
	// issuer is the discovery document's issuer: the configured one, or
	// Entra's template with {tenantid}.
	issuer string
	doc    struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		UserinfoEndpoint      string `json:"userinfo_endpoint"`
		JWKSURI               string `json:"jwks_uri"`
	}
}

// discover fetches issuer's discovery document through client. The issuer
// in the document must be the configured one, except for a trailing slash
// and Entra's {tenantid} template, which are accepted as published.
func discover(ctx context.Context, client *http.Client, issuer string) (*oidcDiscovery, error) {
	ctx = oidc.ClientContext(ctx, client)
	p, err := oidc.NewProvider(ctx, issuer)
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) && (strings.Contains(mismatch.Discovered, tenantPlaceholder) ||
		strings.TrimSuffix(mismatch.Discovered, "/") == strings.TrimSuffix(issuer, "/")) {
		p, err = oidc.NewProvider(oidc.InsecureIssuerURLContext(ctx, mismatch.Discovered), issuer)
	}
	if err != nil {
		if errors.As(err, &mismatch) {
			return nil, &ConfigError{Code: CodeInvalidConfig, Field: "config.issuer", Err: err,
				Reason: fmt.Sprintf("the discovery document names the issuer %q, not %q", mismatch.Discovered, mismatch.Provided)}
		}
		return nil, &ConfigError{Code: CodeInvalidConfig, Field: "config.issuer", Err: err,
			Reason: "the discovery document " + strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration could not be fetched: " + shortError(err)}
	}
	d := &oidcDiscovery{provider: p}
	if err := p.Claims(&d.doc); err != nil {
		return nil, &ConfigError{Code: CodeInvalidConfig, Field: "config.issuer", Reason: "the discovery document is not valid JSON", Err: err}
	}
	for name, v := range map[string]string{"authorization_endpoint": d.doc.AuthorizationEndpoint,
		"token_endpoint": d.doc.TokenEndpoint, "jwks_uri": d.doc.JWKSURI, "issuer": d.doc.Issuer} {
		if v == "" {
			return nil, &ConfigError{Code: CodeInvalidConfig, Field: "config.issuer", Reason: "the discovery document has no " + name}
		}
	}
	d.issuer = d.doc.Issuer
	return d, nil
}

// shortError keeps error text that may quote a response body to one line
// of reasonable length.
func shortError(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// scopes are Logto's: openid, profile and email always, then the
// configured ones (space- or plus-separated), each once.
func scopes(configured string) []string {
	out := []string{"openid", "profile", "email"}
	for _, s := range strings.FieldsFunc(configured, func(r rune) bool { return r == ' ' || r == '+' }) {
		dup := false
		for _, have := range out {
			if have == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// oidcProvider signs people in at an OpenID provider with the code flow,
// PKCE (S256), state and nonce.
type oidcProvider struct {
	kind   string
	cfg    *oidcConfig
	disc   *oidcDiscovery
	client *http.Client
	now    func() time.Time
}

var _ Provider = (*oidcProvider)(nil)

// Issuer is the identity namespace: the configured issuer, as Logto
// records it with SSO identities (Google's for Google Workspace).
func (p *oidcProvider) Issuer() string {
	if p.kind == ProviderGoogleWorkspace {
		return googleIssuer
	}
	return p.cfg.Issuer
}

func (p *oidcProvider) oauth(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		// client_secret_basic only, as Logto: Okta refuses a request that
		// also carries client_id in the body.
		Endpoint: oauth2.Endpoint{AuthURL: p.disc.doc.AuthorizationEndpoint, TokenURL: p.disc.doc.TokenEndpoint,
			AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: redirectURI,
		Scopes:      scopes(p.cfg.Scope),
	}
}

// AuthorizationURL returns the provider's authorization endpoint with the
// request's state, nonce and PKCE challenge.
func (p *oidcProvider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" || req.Nonce == "" || req.CodeVerifier == "" {
		return "", errors.New("sso: an OpenID sign-in needs a state, a nonce and a PKCE verifier")
	}
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("nonce", req.Nonce), oauth2.S256ChallengeOption(req.CodeVerifier)}
	if p.kind == ProviderGoogleWorkspace {
		// Google Workspace always lets the person pick the account; with
		// offline access it must ask for consent to issue a refresh token.
		prompt := "select_account"
		if p.cfg.OfflineAccess != nil && *p.cfg.OfflineAccess {
			prompt = "consent select_account"
			opts = append(opts, oauth2.AccessTypeOffline)
		}
		opts = append(opts, oauth2.SetAuthURLParam("prompt", prompt), oauth2.SetAuthURLParam("include_granted_scopes", "true"))
	}
	if req.Locale != "" {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", req.Locale))
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

// UserInfo exchanges the callback's code, verifies the ID token (signature,
// issuer, audience, expiry, iat, nonce) and returns the person's claims,
// completed by the userinfo endpoint when the provider has one.
func (p *oidcProvider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	if err := connector.CallbackError(cb.Params); err != nil {
		return nil, err
	}
	code := cb.Params.Get("code")
	if code == "" {
		return nil, fmt.Errorf("%w: the callback carries no authorization code", connector.ErrInvalidResponse)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := p.oauth(cb.RedirectURI).Exchange(ctx, code, oauth2.VerifierOption(cb.CodeVerifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return nil, &connector.UpstreamError{Code: re.ErrorCode, Description: re.ErrorDescription}
		}
		if errors.As(err, &re) {
			return nil, fmt.Errorf("sso: token endpoint answered %s", re.Response.Status)
		}
		return nil, fmt.Errorf("sso: token request failed: %w", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, fmt.Errorf("%w: the token response has no id_token", connector.ErrInvalidResponse)
	}
	claims, err := p.verifyIDToken(ctx, rawID, cb.Nonce)
	if err != nil {
		return nil, err
	}
	if p.disc.doc.UserinfoEndpoint != "" && tok.AccessToken != "" {
		info, err := p.disc.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("sso: userinfo request failed: %w", err)
		}
		var extra map[string]any
		if err := info.Claims(&extra); err != nil {
			return nil, fmt.Errorf("%w: the userinfo response is not a JSON object", connector.ErrInvalidResponse)
		}
		// OpenID Connect Core 5.3.2: a userinfo sub other than the ID
		// token's must not be used.
		if sub, _ := extra["sub"].(string); sub != claims["sub"] {
			return nil, fmt.Errorf("%w: the userinfo sub differs from the ID token's", connector.ErrInvalidResponse)
		}
		for k, v := range extra {
			claims[k] = v
		}
	}
	return p.socialUser(claims)
}

func (p *oidcProvider) verifyIDToken(ctx context.Context, raw, nonce string) (map[string]any, error) {
	tmpl := strings.Contains(p.disc.issuer, tenantPlaceholder)
	v := p.disc.provider.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.now, SkipIssuerCheck: tmpl})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: ID token: %v", connector.ErrInvalidResponse, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", connector.ErrInvalidResponse, err)
	}
	if tmpl {
		tid, _ := claims["tid"].(string)
		if tid == "" || tok.Issuer != strings.ReplaceAll(p.disc.issuer, tenantPlaceholder, tid) {
			return nil, fmt.Errorf("%w: ID token issuer %q does not match %q for its tenant", connector.ErrInvalidResponse, tok.Issuer, p.disc.issuer)
		}
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: ID token nonce does not match the sign-in's", connector.ErrInvalidResponse)
	}
	if d := p.now().Sub(tok.IssuedAt); d > issuedAtTolerance || d < -issuedAtTolerance {
		return nil, fmt.Errorf("%w: ID token issued at %s, too far from now", connector.ErrInvalidResponse, tok.IssuedAt.UTC().Format(time.RFC3339))
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return nil, fmt.Errorf("%w: ID token has no sub", connector.ErrInvalidResponse)
	}
	return claims, nil
}

// socialUser maps OpenID claims as Logto does: the email only when the
// provider marks it verified (or, when it says nothing, when the connector
// trusts unverified email), the phone only when verified.
func (p *oidcProvider) socialUser(claims map[string]any) (*connector.SocialUser, error) {
	u := &connector.SocialUser{ID: stringClaim(claims, "sub"), Name: stringClaim(claims, "name"), Avatar: stringClaim(claims, "picture")}
	if email := stringClaim(claims, "email"); email != "" {
		verified, said := boolClaim(claims, "email_verified")
		trusted := verified || (!said && p.cfg.TrustUnverifiedEmail)
		if p.disc != nil && strings.Contains(p.disc.issuer, tenantPlaceholder) {
			// A multi-tenant issuer admits every Entra tenant, whose
			// administrators can put any address in a user's email. Only
			// Entra's own statement that the domain is verified
			// (xms_edov) vouches for it.
			edov, _ := boolClaim(claims, "xms_edov")
			trusted = edov
		}
		if trusted {
			u.Email = email
		}
	}
	for _, pair := range [][2]string{{"phone_number", "phone_number_verified"}, {"phone", "phone_verified"}} {
		if phone := stringClaim(claims, pair[0]); phone != "" {
			if verified, _ := boolClaim(claims, pair[1]); verified {
				u.Phone = phone
				break
			}
		}
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("sso: encoding claims: %w", err)
	}
	u.RawData = raw
	return u, nil
}

func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// boolClaim reads a boolean claim; some providers (Amazon Cognito) send
// "true"/"false" strings. said is false when the claim is absent.
func boolClaim(claims map[string]any, name string) (value, said bool) {
	switch v := claims[name].(type) {
	case bool:
		return v, true
	case string:
		return v == "true", v == "true" || v == "false"
	}
	return false, false
}
