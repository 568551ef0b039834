// Package genericoidc is Logto's standard OIDC connector (factory "oidc"):
// sign-in with any OpenID Connect provider from its endpoints, client
// credentials and ID token verification settings, in Logto's config
// shape. Being standard, it allows several connectors, each with its own
// target, name and logo in the connector's metadata.
//
// As in Logto, the profile comes from the ID token alone, the email only
// when email_verified is true (or, with trustUnverifiedEmail, when the
// provider sends no email_verified at all), and a missing nonce is
// accepted while a wrong one is not. Unlike Logto, Gatehouse also sends a
// PKCE challenge (servers without PKCE ignore it), requires https
// endpoints (http only on loopback), and never lets customConfig replace a
// protocol parameter that it sets itself.
package genericoidc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

const factoryID = "oidc"

// Factory returns the standard OIDC factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:    connector.TypeSocial,
		Secrets: [][]string{{"clientSecret"}},
		Metadata: connector.Metadata{
			ID:       factoryID,
			Target:   factoryID,
			Platform: &platform,
			Name:     map[string]string{"en": "OIDC", "zh-CN": "OIDC", "tr-TR": "OIDC", "ko": "OIDC"},
			Logo:     logoLight,
			LogoDark: &logoDark,
			Description: map[string]string{
				"en": "Sign in with any OpenID Connect 1.0 provider.",
			},
			Readme:     readme,
			IsStandard: true,
			FormItems:  formItems(),
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

func formItems() []connector.FormItem {
	return []connector.FormItem{
		{Type: connector.FormText, Key: "authorizationEndpoint", Label: "Authorization Endpoint", Required: true, Placeholder: "<authorization-endpoint>"},
		{Type: connector.FormText, Key: "tokenEndpoint", Label: "Token Endpoint", Required: true, Placeholder: "<token-endpoint>"},
		{Type: connector.FormText, Key: "clientId", Label: "Client ID", Required: true, Placeholder: "<client-id>"},
		{Type: connector.FormText, Key: "clientSecret", Label: "Client Secret", Required: true, Placeholder: "<client-secret>", IsConfidential: true},
		{Type: connector.FormSelect, Key: "tokenEndpointAuthMethod", Label: "Token Endpoint Auth Method", Required: true, DefaultValue: authPost,
			SelectItems: []connector.SelectItem{{Value: authPost, Title: authPost}, {Value: authBasic, Title: authBasic}, {Value: authJWT, Title: authJWT}},
			Description: "The method used for client authentication at the token endpoint in OAuth 2.0."},
		{Type: connector.FormSelect, Key: "clientSecretJwtSigningAlgorithm", Label: "Client Secret JWT Signing Algorithm", Required: true, DefaultValue: "HS256",
			SelectItems: []connector.SelectItem{{Value: "HS256", Title: "HS256"}, {Value: "HS384", Title: "HS384"}, {Value: "HS512", Title: "HS512"}},
			Description: "The signing algorithm used for the client secret JWT."},
		{Type: connector.FormMultilineText, Key: "scope", Label: "Scope", Required: true, Placeholder: "Enter the scopes (separated by a space)"},
		{Type: connector.FormSwitch, Key: "acceptStringTypedBooleanClaims", Label: "Accept String-typed Boolean Claims", DefaultValue: false,
			Description: "Read `email_verified` and `phone_verified` sent as the strings \"true\"/\"false\" as booleans."},
		{Type: connector.FormSwitch, Key: "trustUnverifiedEmail", Label: "Trust Unverified Email", DefaultValue: false,
			Description: "Take the `email` claim when the provider sends no `email_verified` claim at all. An email the provider marks unverified is never taken."},
		{Type: connector.FormJSON, Key: "idTokenVerificationConfig", Label: "ID Token Verification Config", Required: true,
			DefaultValue: map[string]string{"jwksUri": "<jwks-uri>"}},
		{Type: connector.FormJSON, Key: "authRequestOptionalConfig", Label: "Authentication Request Optional Config", DefaultValue: map[string]string{}},
		{Type: connector.FormJSON, Key: "customConfig", Label: "Custom Config", DefaultValue: map[string]string{}},
	}
}

type provider struct {
	cfg *config
	rp  *oidcrp.RP
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	c := &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: p.cfg.AuthorizationEndpoint, TokenURL: p.cfg.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  redirectURI,
		Scopes:       oidcrp.Scopes(p.cfg.Scope, "openid"),
	}
	switch p.cfg.TokenEndpointAuthMethod {
	case authBasic:
		c.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	case authJWT:
		// The secret signs the assertion and is not sent.
		c.ClientSecret = ""
	}
	return c
}

// Parameters Gatehouse sets itself, which customConfig cannot replace.
var (
	reservedAuth  = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}
	reservedToken = []string{"grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier", "client_assertion", "client_assertion_type"}
)

func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	var opts []oauth2.AuthCodeOption
	set := func(k, v string) {
		if v != "" {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	set("nonce", req.Nonce)
	opts = append(opts, oidcrp.PKCEChallenge(req.CodeVerifier)...)
	uiLocales := ""
	if o := p.cfg.AuthRequestOptionalConfig; o != nil {
		set("response_mode", o.ResponseMode)
		set("display", o.Display)
		set("prompt", o.Prompt)
		set("max_age", o.MaxAge)
		set("id_token_hint", o.IDTokenHint)
		set("login_hint", o.LoginHint)
		set("acr_values", o.AcrValues)
		uiLocales = o.UILocales
	}
	if uiLocales == "" {
		uiLocales = req.Locale
	}
	set("ui_locales", uiLocales)
	for _, k := range sortedKeys(p.cfg.CustomConfig) {
		// Logto snake_cases customConfig's keys.
		if name := snakeCase(k); !slices.Contains(reservedAuth, name) {
			set(name, p.cfg.CustomConfig[k])
		}
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

// claims are the ID token claims the connector reads. Logto reads phone
// and phone_verified; the standard names are phone_number and
// phone_number_verified; either pair is taken.
type claims struct {
	Name                string      `json:"name"`
	Picture             string      `json:"picture"`
	Email               string      `json:"email"`
	EmailVerified       oidcrp.Flag `json:"email_verified"`
	Phone               string      `json:"phone"`
	PhoneVerified       oidcrp.Flag `json:"phone_verified"`
	PhoneNumber         string      `json:"phone_number"`
	PhoneNumberVerified oidcrp.Flag `json:"phone_number_verified"`
}

func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if cb.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(cb.CodeVerifier))
	}
	for _, k := range sortedKeys(p.cfg.CustomConfig) {
		if name := snakeCase(k); !slices.Contains(reservedToken, name) {
			opts = append(opts, oauth2.SetAuthURLParam(name, p.cfg.CustomConfig[k]))
		}
	}
	if p.cfg.TokenEndpointAuthMethod == authJWT {
		assertion, err := p.clientAssertion()
		if err != nil {
			return nil, err
		}
		opts = append(opts,
			oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", assertion))
	}
	tok, err := p.rp.Exchange(ctx, p.oauth(cb.RedirectURI), code, opts...)
	if err != nil {
		return nil, err
	}
	rawID, err := oidcrp.IDToken(tok)
	if err != nil {
		return nil, err
	}
	v := p.cfg.IDTokenVerificationConfig
	algs := v.Algorithms
	if len(algs) == 0 {
		algs = signingAlgs
	}
	idt, err := p.rp.VerifyIDToken(ctx, p.rp.KeySet(v.JWKSURI), rawID, oidcrp.Check{
		Issuers:       p.cfg.issuers,
		ClientID:      p.cfg.ClientID,
		Algorithms:    algs,
		Nonce:         cb.Nonce,
		NonceOptional: true,
		Leeway:        p.cfg.clockTolerance,
		MaxAge:        p.cfg.maxTokenAge,
		Subject:       v.Subject,
		Type:          v.Typ,
	})
	if err != nil {
		return nil, err
	}
	var c claims
	var raw json.RawMessage
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", connector.ErrInvalidResponse, err)
	}
	if err := idt.Claims(&raw); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", connector.ErrInvalidResponse, err)
	}
	strs := p.cfg.AcceptStringTypedBooleanClaims
	u := &connector.SocialUser{ID: idt.Subject, Name: c.Name, Avatar: c.Picture, RawData: raw}
	if c.EmailVerified.True(strs) || (!c.EmailVerified.Set && p.cfg.TrustUnverifiedEmail) {
		u.Email = c.Email
	}
	switch {
	case c.PhoneNumber != "" && c.PhoneNumberVerified.True(strs):
		u.Phone = c.PhoneNumber
	case c.Phone != "" && c.PhoneVerified.True(strs):
		u.Phone = c.Phone
	}
	return u, nil
}

// clientAssertion signs RFC 7523's client assertion with the client
// secret (client_secret_jwt): iss and sub the client id, aud the token
// endpoint.
func (p *provider) clientAssertion() (string, error) {
	alg := jose.SignatureAlgorithm(p.cfg.ClientSecretJWTSigningAlgorithm)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: []byte(p.cfg.ClientSecret)}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("oidc connector: preparing the client assertion signer: %w", err)
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	now := p.rp.Now()
	payload, err := json.Marshal(map[string]any{
		"iss": p.cfg.ClientID, "sub": p.cfg.ClientID, "aud": p.cfg.TokenEndpoint,
		"jti": hex.EncodeToString(jti), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	})
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oidc connector: signing the client assertion: %w", err)
	}
	return jws.CompactSerialize()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// snakeCase turns a key into snake_case as Logto's snakecase-keys does:
// words split at lower-to-upper changes ("loginHint"), before the last
// capital of an acronym followed by lower case ("XMLHttp"), and at any
// character that is not a letter or digit; then lower-cased and joined
// with "_". Keys already in snake_case are unchanged.
func snakeCase(s string) string {
	r := []rune(s)
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, c := range r {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(c) {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, c)
	}
	flush()
	return strings.Join(words, "_")
}
