// Package apple is Logto's Apple connector (apple-universal): Sign in with
// Apple for the web. Apple posts the result to the callback
// (response_mode=form_post); the code is redeemed with a client secret
// that Gatehouse signs for each request (an ES256 JWT under the
// developer's .p8 key), and the ID token from Apple's token endpoint is
// verified against Apple's JWKS with the request's nonce.
//
// Logto's Apple connector takes only clientId and scope and trusts the
// ID token posted by the browser; Gatehouse needs teamId, keyId and
// privateKey as well, and trusts only what Apple's token endpoint
// answers. The email comes from that ID token when Apple marks it
// verified (private relay addresses included); the `user` form field,
// which the browser posts unsigned on the first authorization only,
// supplies the name and nothing else.
package apple

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

const (
	factoryID = "apple-universal"
	target    = "apple"

	issuer   = "https://appleid.apple.com"
	authURL  = issuer + "/auth/authorize"
	tokenURL = issuer + "/auth/token"
	jwksURL  = issuer + "/auth/keys"

	defaultScope = "name email"

	// secretLifetime is how long a client secret is good for. Apple
	// accepts up to six months; a secret is made for each code exchange,
	// so a few minutes cover clock skew and nothing more.
	secretLifetime = 5 * time.Minute
)

// Factory returns the apple-universal factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:           connector.TypeSocial,
		SingleInstance: true,
		Secrets:        [][]string{{"privateKey"}},
		Metadata: connector.Metadata{
			ID:       factoryID,
			Target:   target,
			Platform: &platform,
			Name:     map[string]string{"en": "Apple", "zh-CN": "Apple", "tr-TR": "Apple", "ko": "Apple"},
			Logo:     logoLight,
			LogoDark: &logoDark,
			Description: map[string]string{
				"en": "Sign in with Apple, on the web and in apps.",
			},
			Readme: readme,
			FormItems: []connector.FormItem{
				{Type: connector.FormText, Key: "clientId", Label: "Identifier", Required: true, Placeholder: "<your-registered-identifier>",
					Description: "The Services ID registered for Sign in with Apple."},
				{Type: connector.FormText, Key: "teamId", Label: "Team ID", Required: true, Placeholder: "<team-id>"},
				{Type: connector.FormText, Key: "keyId", Label: "Key ID", Required: true, Placeholder: "<key-id>"},
				{Type: connector.FormMultilineText, Key: "privateKey", Label: "Private key", Required: true,
					Placeholder: "-----BEGIN PRIVATE KEY-----", IsConfidential: true,
					Description: "The contents of the .p8 key file downloaded from Apple."},
				{Type: connector.FormMultilineText, Key: "scope", Label: "Scope", Placeholder: "email name"},
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
	ClientID   string `json:"clientId"`
	TeamID     string `json:"teamId"`
	KeyID      string `json:"keyId"`
	PrivateKey string `json:"privateKey"`
	Scope      string `json:"scope"`

	key *ecdsa.PrivateKey
}

func parseConfig(raw json.RawMessage) (*config, error) {
	var c config
	if err := oidcrp.DecodeConfig(raw, &c); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, value string }{
		{"clientId", c.ClientID}, {"teamId", c.TeamID}, {"keyId", c.KeyID}, {"privateKey", c.PrivateKey},
	} {
		if err := oidcrp.Required(f.name, f.value); err != nil {
			return nil, err
		}
	}
	c.TeamID, c.KeyID = strings.TrimSpace(c.TeamID), strings.TrimSpace(c.KeyID)
	key, err := parseKey(c.PrivateKey)
	if err != nil {
		return nil, &connector.ConfigError{Field: "privateKey", Reason: err.Error()}
	}
	c.key = key
	for _, s := range strings.Fields(c.Scope) {
		if s != "name" && s != "email" {
			return nil, &connector.ConfigError{Field: "scope", Reason: "Apple accepts the scopes name and email only"}
		}
	}
	return &c, nil
}

// parseKey reads the .p8 key: a PKCS #8 PEM block, as Apple hands it out,
// or its base64 body pasted without the PEM lines. The errors never
// quote the key.
func parseKey(s string) (*ecdsa.PrivateKey, error) {
	const want = "expected the .p8 key from Apple: a PEM-encoded P-256 private key"
	s = strings.TrimSpace(strings.ReplaceAll(s, `\n`, "\n"))
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("%s", want)
		}
		der = b
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		ec, ecErr := x509.ParseECPrivateKey(der)
		if ecErr != nil {
			return nil, fmt.Errorf("%s", want)
		}
		key = ec
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s (this key is not on P-256)", want)
	}
	return ec, nil
}

type provider struct {
	cfg *config
	rp  *oidcrp.RP
}

func (p *provider) scopes() []string {
	scope := p.cfg.Scope
	if strings.TrimSpace(scope) == "" {
		scope = defaultScope
	}
	return oidcrp.Scopes(scope)
}

func (p *provider) oauth(redirectURI, secret string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: secret,
		Endpoint:     oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  redirectURI,
		Scopes:       p.scopes(),
	}
}

// AuthorizationURL asks for a code posted back with the form_post
// response mode, which Apple requires when name or email is requested.
// Apple documents no PKCE for the web flow, so the verifier is unused.
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_mode", "form_post")}
	if req.Nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", req.Nonce))
	}
	return p.oauth(req.RedirectURI, "").AuthCodeURL(req.State, opts...), nil
}

// clientSecret signs Apple's client secret: ES256 under keyId, iss the
// team id, sub the Services ID, aud Apple.
func (p *provider) clientSecret() (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: p.cfg.key, KeyID: p.cfg.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("apple: preparing the client secret signer: %w", err)
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	now := p.rp.Now()
	payload, err := json.Marshal(map[string]any{
		"iss": p.cfg.TeamID, "sub": p.cfg.ClientID, "aud": issuer,
		"iat": now.Unix(), "exp": now.Add(secretLifetime).Unix(), "jti": hex.EncodeToString(jti),
	})
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("apple: signing the client secret: %w", err)
	}
	return jws.CompactSerialize()
}

// idClaims are the ID token claims read besides the standard ones.
type idClaims struct {
	Email          string      `json:"email"`
	EmailVerified  oidcrp.Flag `json:"email_verified"`
	IsPrivateEmail oidcrp.Flag `json:"is_private_email"`
}

// formUser is the `user` field Apple posts on the first authorization.
type formUser struct {
	Name struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"name"`
}

func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	secret, err := p.clientSecret()
	if err != nil {
		return nil, err
	}
	tok, err := p.rp.Exchange(ctx, p.oauth(cb.RedirectURI, secret), code)
	if err != nil {
		return nil, err
	}
	rawID, err := oidcrp.IDToken(tok)
	if err != nil {
		return nil, err
	}
	idt, err := p.rp.VerifyIDToken(ctx, p.rp.KeySet(jwksURL), rawID, oidcrp.Check{
		Issuers:  []string{issuer},
		ClientID: p.cfg.ClientID,
		Nonce:    cb.Nonce,
	})
	if err != nil {
		return nil, err
	}
	var claims idClaims
	var all map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: Apple ID token claims: %v", connector.ErrInvalidResponse, err)
	}
	if err := idt.Claims(&all); err != nil {
		return nil, fmt.Errorf("%w: Apple ID token claims: %v", connector.ErrInvalidResponse, err)
	}
	u := &connector.SocialUser{ID: idt.Subject}
	// Apple sends email_verified as a boolean or as the string "true";
	// relay addresses (@privaterelay.appleid.com) come verified too.
	if claims.EmailVerified.True(true) && strings.Contains(claims.Email, "@") {
		u.Email = claims.Email
	}
	if raw := cb.Params.Get("user"); raw != "" {
		var fu formUser
		var doc any
		// The field is unsigned and only cosmetic: a malformed one is
		// dropped rather than failing the sign-in.
		if json.Unmarshal([]byte(raw), &fu) == nil && json.Unmarshal([]byte(raw), &doc) == nil {
			u.Name = strings.TrimSpace(strings.TrimSpace(fu.Name.FirstName) + " " + strings.TrimSpace(fu.Name.LastName))
			all["user"] = doc
		}
	}
	if u.RawData, err = json.Marshal(all); err != nil {
		return nil, err
	}
	return u, nil
}
