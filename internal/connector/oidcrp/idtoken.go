package oidcrp

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// Check is what an ID token must satisfy besides a signature by a key of
// the provider's JWKS.
type Check struct {
	// Issuers are the accepted iss values. Empty means the caller checks
	// the issuer itself (Microsoft's multi-tenant issuer).
	Issuers []string
	// ClientID must be in aud, and be azp when aud has several values.
	ClientID string
	// Algorithms are the accepted signature algorithms; empty means RS256.
	Algorithms []string
	// Nonce is the nonce of the authorization request; the token's nonce
	// must equal it. An empty Nonce means none was sent, and then the
	// token must carry none.
	Nonce string
	// NonceOptional accepts a token without a nonce claim, for providers
	// that ignore the nonce parameter (LinkedIn); a nonce that is present
	// must still match.
	NonceOptional bool
	// Leeway is the clock skew allowed; 0 means DefaultLeeway.
	Leeway time.Duration
	// MaxAge, when set, rejects tokens whose iat is older.
	MaxAge time.Duration
	// Subject, when set, is the only accepted sub.
	Subject string
	// Type, when set, is the only accepted typ header.
	Type string
}

// VerifyIDToken checks raw against keys and chk. Every failure wraps
// connector.ErrInvalidResponse and says which check failed.
func (rp *RP) VerifyIDToken(ctx context.Context, keys oidc.KeySet, raw string, chk Check) (*oidc.IDToken, error) {
	algs := chk.Algorithms
	if len(algs) == 0 {
		algs = []string{oidc.RS256}
	}
	leeway := chk.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}
	// go-oidc checks the signature, the algorithm and aud; exp, nbf and
	// iss are checked below, with leeway and several accepted issuers.
	v := oidc.NewVerifier("", keys, &oidc.Config{
		ClientID:             chk.ClientID,
		SupportedSigningAlgs: algs,
		SkipIssuerCheck:      true,
		SkipExpiryCheck:      true,
		Now:                  rp.Now,
	})
	tok, err := v.Verify(rp.Context(ctx), raw)
	if err != nil {
		return nil, invalid("ID token rejected: %v", err)
	}
	if len(chk.Issuers) > 0 && !slices.Contains(chk.Issuers, tok.Issuer) {
		return nil, invalid("ID token issuer %q is not the provider's", tok.Issuer)
	}
	if tok.Subject == "" {
		return nil, invalid("ID token has no sub")
	}
	var extra struct {
		NotBefore *json.Number `json:"nbf"`
		AZP       string       `json:"azp"`
	}
	if err := tok.Claims(&extra); err != nil {
		return nil, invalid("ID token claims: %v", err)
	}
	// OpenID Connect Core 3.1.3.7: a token for several audiences must
	// name the client as its authorized party.
	if len(tok.Audience) > 1 && extra.AZP != chk.ClientID {
		return nil, invalid("ID token has several audiences and another authorized party (azp)")
	}
	now := rp.Now()
	if tok.Expiry.IsZero() {
		return nil, invalid("ID token has no exp")
	}
	if !now.Before(tok.Expiry.Add(leeway)) {
		return nil, invalid("ID token expired at %s", tok.Expiry.UTC().Format(time.RFC3339))
	}
	if extra.NotBefore != nil {
		nbf, err := extra.NotBefore.Float64()
		if err != nil {
			return nil, invalid("ID token nbf is not a number")
		}
		if now.Add(leeway).Before(time.Unix(int64(nbf), 0)) {
			return nil, invalid("ID token is not valid yet (nbf)")
		}
	}
	if chk.MaxAge > 0 {
		if tok.IssuedAt.IsZero() {
			return nil, invalid("ID token has no iat")
		}
		if now.Sub(tok.IssuedAt) > chk.MaxAge+leeway {
			return nil, invalid("ID token was issued too long ago")
		}
	}
	switch {
	case chk.Nonce == "" && tok.Nonce != "":
		return nil, invalid("ID token carries a nonce that was never sent")
	case chk.Nonce != "" && tok.Nonce == "" && !chk.NonceOptional:
		return nil, invalid("ID token carries no nonce")
	case chk.Nonce != "" && tok.Nonce != "" && subtle.ConstantTimeCompare([]byte(chk.Nonce), []byte(tok.Nonce)) != 1:
		return nil, invalid("ID token nonce does not match the authorization request")
	}
	if chk.Subject != "" && tok.Subject != chk.Subject {
		return nil, invalid("ID token sub is not the configured subject")
	}
	if chk.Type != "" {
		typ, err := headerType(raw, algs)
		if err != nil {
			return nil, err
		}
		if !sameType(typ, chk.Type) {
			return nil, invalid("ID token typ %q is not %q", typ, chk.Type)
		}
	}
	return tok, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{connector.ErrInvalidResponse}, args...)...)
}

// headerType returns the typ header of a compact JWS whose signature
// VerifyIDToken has already checked.
func headerType(raw string, algs []string) (string, error) {
	sigAlgs := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		sigAlgs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSigned(raw, sigAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return "", invalid("ID token header cannot be read")
	}
	typ, _ := jws.Signatures[0].Header.ExtraHeaders[jose.HeaderType].(string)
	return typ, nil
}

// sameType compares media types as RFC 7515 §4.1.9 does: case-insensitively
// and with the "application/" prefix optional.
func sameType(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		return strings.TrimPrefix(s, "application/")
	}
	return norm(a) == norm(b)
}

// Key sets are shared by every connector built with the same HTTP client
// and JWKS URL: a connector is built for each sign-in, and the keys should
// not be fetched for each one. A set is replaced after keySetTTL so that a
// key the provider withdrew stops verifying within a day.
const (
	keySetTTL      = 24 * time.Hour
	keySetCapacity = 256
)

type keySetKey struct {
	client *http.Client
	url    string
}

type keySetEntry struct {
	set     *oidc.RemoteKeySet
	created time.Time
}

var keySets = struct {
	sync.Mutex
	m map[keySetKey]keySetEntry
}{m: map[keySetKey]keySetEntry{}}

// KeySet returns the provider key set published at jwksURL, fetched with
// the RP's client. Keys are cached; an unknown kid refetches them.
func (rp *RP) KeySet(jwksURL string) oidc.KeySet {
	k := keySetKey{rp.HTTP, jwksURL}
	now := time.Now()
	keySets.Lock()
	defer keySets.Unlock()
	if e, ok := keySets.m[k]; ok && now.Sub(e.created) < keySetTTL {
		return e.set
	}
	if len(keySets.m) >= keySetCapacity {
		clear(keySets.m)
	}
	set := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), rp.HTTP), jwksURL)
	keySets.m[k] = keySetEntry{set: set, created: now}
	return set
}

// Flag is a boolean claim as providers send it: JSON true/false, or (Apple,
// some OpenID providers) the strings "true"/"false".
type Flag struct {
	Set    bool // the claim was present
	Value  bool
	String bool // it came as a string
}

// UnmarshalJSON accepts booleans and the strings "true", "false", "1",
// "0", "yes" and "no"; anything else is false.
func (f *Flag) UnmarshalJSON(b []byte) error {
	*f = Flag{Set: true}
	var v bool
	if json.Unmarshal(b, &v) == nil {
		f.Value = v
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		f.String = true
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1", "yes":
			f.Value = true
		}
		return nil
	}
	if string(b) == "null" {
		*f = Flag{}
	}
	return nil
}

// True reports a boolean claim that is true, counting string forms only
// when allowString is set.
func (f Flag) True(allowString bool) bool {
	return f.Set && f.Value && (!f.String || allowString)
}

// UserInfo reads the OpenID Connect userinfo document of the account the
// ID token names (subject) from endpoint with the access token, and maps
// its standard claims: sub as the id, name, picture as the avatar, and the
// email only when email_verified is true. A document about another
// account, or one that does not parse, wraps connector.ErrInvalidResponse;
// provider names the provider in errors.
func (rp *RP) UserInfo(ctx context.Context, provider, endpoint, accessToken, subject string) (*connector.SocialUser, error) {
	raw, err := rp.GetJSON(ctx, endpoint, accessToken)
	if err != nil {
		return nil, err
	}
	var info struct {
		Sub           string `json:"sub"`
		Name          string `json:"name"`
		Picture       string `json:"picture"`
		Email         string `json:"email"`
		EmailVerified Flag   `json:"email_verified"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("%w: %s userinfo: %v", connector.ErrInvalidResponse, provider, err)
	}
	if info.Sub == "" || info.Sub != subject {
		return nil, fmt.Errorf("%w: %s userinfo is about another account than the ID token", connector.ErrInvalidResponse, provider)
	}
	u := &connector.SocialUser{ID: info.Sub, Name: info.Name, Avatar: info.Picture, RawData: raw}
	if info.EmailVerified.True(false) {
		u.Email = info.Email
	}
	return u, nil
}
