package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// exchangeCode is the authorization_code grant (RFC 6749 §4.1.3, RFC 7636).
func (p *Provider) exchangeCode(r *http.Request, c *client, form url.Values, info *grantInfo) (*tokenResponse, *Error) {
	code := form.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code is required")
	}
	resource, e := singleResource(form)
	if e != nil {
		return nil, e
	}
	return p.redeem(r.Context(), c, store.KindCode, code, info, func(tx store.Store, familyID string, g *grant) (*tokenResponse, *Error) {
		if form.Get("redirect_uri") != g.RedirectURI {
			return nil, errInvalidGrant("redirect_uri does not match the authorization request")
		}
		verifier := form.Get("code_verifier")
		switch {
		case g.CodeChallenge == "" && verifier != "":
			return nil, errInvalidGrant("code_verifier sent for a request without code_challenge")
		case g.CodeChallenge != "" && !pkceMatches(verifier, g.CodeChallenge):
			return nil, errInvalidGrant("code_verifier does not match code_challenge")
		}
		return p.issueUserTokens(r.Context(), tx, c, g, g.Scope, familyID, resource)
	})
}

// redeem consumes a single-use code or refresh token and issues tokens for
// its grant in the same transaction, so a failure leaves the token usable
// and a success can happen once. A token presented again after use is
// treated as stolen: its whole family is revoked (RFC 6749 §4.1.2, and
// refresh token reuse detection as in RFC 9700 §4.14.2). info learns the
// grant's user and session for the audit log.
func (p *Provider) redeem(ctx context.Context, c *client, kind store.ObjectKind, token string, info *grantInfo,
	issue func(tx store.Store, familyID string, g *grant) (*tokenResponse, *Error)) (*tokenResponse, *Error) {
	invalid := errInvalidGrant("the grant is invalid, expired, revoked or already used")
	var (
		resp         *tokenResponse
		oauthErr     *Error
		revokeFamily string
	)
	rollback := errors.New("rollback")
	err := p.store.InTx(ctx, func(tx store.Store) error {
		obj, err := tx.ConsumeObject(ctx, kind, digest(token), p.nowMillis())
		switch {
		case errors.Is(err, store.ErrConsumed):
			revokeFamily, oauthErr = obj.FamilyID, invalid
			return rollback
		case errors.Is(err, store.ErrNotFound):
			oauthErr = invalid
			return rollback
		case err != nil:
			return err
		}
		var g grant
		if err := json.Unmarshal(obj.Payload, &g); err != nil {
			return err
		}
		if g.ClientID != c.app.ID {
			// Another client's grant: the entry names no user for it.
			oauthErr = errInvalidGrant("the grant was issued to another client")
			return rollback
		}
		info.userID, info.sessionID = g.UserID, g.SessionID
		resp, oauthErr = issue(tx, obj.FamilyID, &g)
		if oauthErr != nil {
			if oauthErr.revokeFamily {
				revokeFamily = obj.FamilyID
			}
			return rollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, rollback) {
		p.log.Error("redeeming grant failed", "kind", kind, "err", err)
		return nil, errServer()
	}
	if revokeFamily != "" {
		n, err := p.store.RevokeFamily(ctx, revokeFamily)
		if err != nil {
			p.log.Error("revoking token family failed", "err", err)
		} else {
			p.log.Warn("token family revoked", "reason", oauthErr.Description, "kind", kind, "client_id", c.app.ID, "revoked", n)
		}
	}
	return resp, oauthErr
}

func pkceMatches(verifier, challenge string) bool {
	if !validPKCEValue(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// issueUserTokens issues the tokens of a user grant through st: an access
// token for tokenScopes (a JWT when a resource is named, opaque otherwise),
// an ID token when openid was granted, and a refresh token of the same
// family carrying the whole grant when offline_access was granted.
func (p *Provider) issueUserTokens(ctx context.Context, st store.Store, c *client, g *grant, tokenScopes []string, familyID, resource string) (*tokenResponse, *Error) {
	u, err := st.GetUser(ctx, g.UserID)
	if errors.Is(err, store.ErrNotFound) {
		e := errInvalidGrant("the user no longer exists")
		e.revokeFamily = true
		return nil, e
	} else if err != nil {
		return nil, errServer()
	}
	if u.IsSuspended {
		e := errInvalidGrant("the user is suspended")
		e.revokeFamily = true
		return nil, e
	}
	now := p.now()
	resp := &tokenResponse{TokenType: "Bearer"}
	if resource != "" {
		if !slices.Contains(g.Resources, resource) {
			return nil, errInvalidTarget("resource was not part of the authorization: " + resource)
		}
		res, err := p.resourceByIndicator(ctx, st, resource)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errInvalidTarget("resource indicator is not registered: " + resource)
		} else if err != nil {
			return nil, errServer()
		}
		scopes, err := p.resourceScopes(ctx, st, store.Subject{UserID: u.ID}, res, tokenScopes)
		if err != nil {
			return nil, errServer()
		}
		if resp.AccessToken, resp.ExpiresIn, err = p.signAccessToken(u.ID, c.app.ID, res, scopes, now); err != nil {
			p.log.Error("signing access token failed", "err", err)
			return nil, errServer()
		}
		resp.Scope = strings.Join(scopes, " ")
	} else {
		opaque := *g
		opaque.Scope = tokenScopes
		if resp.AccessToken, resp.ExpiresIn, err = p.putOpaqueAccessToken(ctx, st, &opaque, familyID, now); err != nil {
			p.log.Error("storing access token failed", "err", err)
			return nil, errServer()
		}
		resp.Scope = strings.Join(oidcScopes(tokenScopes), " ")
	}
	if slices.Contains(tokenScopes, "openid") {
		idg := *g
		idg.Scope = tokenScopes
		if resp.IDToken, err = p.signIDToken(ctx, st, c, u, &idg, now); err != nil {
			p.log.Error("signing ID token failed", "err", err)
			return nil, errServer()
		}
	}
	if slices.Contains(g.Scope, "offline_access") && c.app.Type != store.MachineToMachine {
		if resp.RefreshToken, err = p.putRefreshToken(ctx, st, c, g, familyID, now); err != nil {
			p.log.Error("storing refresh token failed", "err", err)
			return nil, errServer()
		}
	}
	return resp, nil
}
