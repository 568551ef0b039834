package oidc

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// tokenResponse is the token endpoint's success body (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// accessTokenClaims are the claims of a JWT access token (RFC 9068) with
// Logto's shape: aud is the resource indicator as a string.
type accessTokenClaims struct {
	JTI      string `json:"jti"`
	Subject  string `json:"sub"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
	Issuer   string `json:"iss"`
	Audience string `json:"aud"`
}

// opaqueToken is what the database holds for an opaque access token.
type opaqueToken struct {
	ClientID string   `json:"client_id"`
	UserID   string   `json:"user_id"`
	Scope    []string `json:"scope"`
	IssuedAt int64    `json:"iat"`
}

// signAccessToken issues a JWT access token for resource.
func (p *Provider) signAccessToken(subject, clientID string, res *store.Resource, scopes []string, now time.Time) (string, int, error) {
	ttl := res.AccessTokenTTL
	if ttl <= 0 {
		ttl = 3600
	}
	claims := accessTokenClaims{
		JTI:      id.New(21),
		Subject:  subject,
		IssuedAt: now.Unix(),
		Expiry:   now.Unix() + int64(ttl),
		Scope:    strings.Join(scopes, " "),
		ClientID: clientID,
		Issuer:   p.issuer,
		Audience: res.Indicator,
	}
	tok, err := p.keys.Sign("ES256", "at+jwt", claims)
	return tok, ttl, err
}

// putOpaqueAccessToken stores an opaque access token, good at /oidc/me.
func (p *Provider) putOpaqueAccessToken(ctx context.Context, st store.Store, g *grant, familyID string, now time.Time) (string, int, error) {
	tok := newToken()
	payload, _ := json.Marshal(opaqueToken{ClientID: g.ClientID, UserID: g.UserID, Scope: oidcScopes(g.Scope), IssuedAt: now.Unix()})
	err := st.PutObject(ctx, &store.OIDCObject{
		Kind:      store.KindAccessToken,
		ID:        digest(tok),
		FamilyID:  familyID,
		Payload:   payload,
		ExpiresAt: now.Add(p.opt.AccessTokenTTL).UnixMilli(),
	})
	return tok, int(p.opt.AccessTokenTTL / time.Second), err
}

// putRefreshToken stores a new refresh token of the grant's family.
func (p *Provider) putRefreshToken(ctx context.Context, st store.Store, c *client, g *grant, familyID string, now time.Time) (string, error) {
	ttl := p.opt.RefreshTokenTTL
	if d := c.app.CustomClientMetadata.RefreshTokenTTLInDays; d > 0 {
		ttl = time.Duration(d) * 24 * time.Hour
	}
	tok := newToken()
	payload, _ := json.Marshal(g)
	err := st.PutObject(ctx, &store.OIDCObject{
		Kind:      store.KindRefreshToken,
		ID:        digest(tok),
		FamilyID:  familyID,
		Payload:   payload,
		ExpiresAt: now.Add(ttl).UnixMilli(),
	})
	return tok, err
}

// signIDToken issues an ID token for u to client c.
func (p *Provider) signIDToken(ctx context.Context, st store.Store, c *client, u *store.User, g *grant, now time.Time) (string, error) {
	claims, err := p.userClaims(ctx, st, u, g.Scope)
	if err != nil {
		return "", err
	}
	ttl := p.opt.IDTokenTTL
	if s := c.app.CustomClientMetadata.IDTokenTTL; s > 0 {
		ttl = time.Duration(s) * time.Second
	}
	claims["iss"] = p.issuer
	claims["aud"] = c.app.ID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(ttl).Unix()
	if g.AuthTime > 0 {
		claims["auth_time"] = g.AuthTime
	}
	if g.Nonce != "" {
		claims["nonce"] = g.Nonce
	}
	return p.keys.Sign(c.app.IDTokenSigningAlg, "JWT", claims)
}

// oidcScopes keeps the OpenID Connect scopes of a grant, which are the ones
// an opaque access token serves at /oidc/me.
func oidcScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if slices.Contains(supportedScopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// resourceScopes returns the requested scopes that the subject's roles grant on res.
func (p *Provider) resourceScopes(ctx context.Context, st store.Store, subject store.Subject, res *store.Resource, requested []string) ([]string, error) {
	granted, err := p.grantedScopes(ctx, st, subject, res.ID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(requested))
	for _, s := range requested {
		if slices.Contains(granted, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
