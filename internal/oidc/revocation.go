package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// revoke is token revocation (RFC 7009). Revoking a refresh token revokes
// its whole grant; revoking an opaque access token deletes it. JWT access
// tokens are self-contained and expire on their own. Unknown tokens, and
// tokens of other clients, are answered 200 without effect, as §2.2 asks.
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	var (
		c       *client
		revoked revocation
	)
	form, e := readForm(w, r)
	if e == nil {
		c, e = p.authenticateClient(r, form)
	}
	if e == nil {
		allowOrigin(w, r, c)
		revoked, e = p.revokeToken(r, c, form)
	}
	if e != nil {
		writeError(w, e)
	} else {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}
	if p.opt.Audit != nil {
		entry := p.requestEntry(r, audit.RevokeToken)
		entry.Params = clientParams(r, form)
		if c != nil {
			entry.ApplicationID = c.app.ID
		}
		entry.UserID = revoked.userID
		if revoked.tokenType != "" {
			entry.TokenTypes = []string{revoked.tokenType}
		}
		if e != nil {
			entry.Result, entry.Error = audit.Error, oauthError(e)
		}
		p.opt.Audit.Log(entry)
	}
}

// revocation is what a revocation request revoked, for the audit log.
type revocation struct {
	tokenType string // "RefreshToken", "AccessToken" or "" for nothing
	userID    string
}

// revokeToken revokes the token of form when it belongs to c.
func (p *Provider) revokeToken(r *http.Request, c *client, form url.Values) (revocation, *Error) {
	tok := form.Get("token")
	if tok == "" {
		return revocation{}, errInvalidRequest("token is required")
	}
	kinds := []store.ObjectKind{store.KindRefreshToken, store.KindAccessToken}
	if form.Get("token_type_hint") == "access_token" {
		kinds = []store.ObjectKind{store.KindAccessToken, store.KindRefreshToken}
	}
	ctx := r.Context()
	for _, kind := range kinds {
		obj, err := p.store.GetObject(ctx, kind, digest(tok), p.nowMillis())
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return revocation{}, errServer()
		}
		var owner struct {
			ClientID string `json:"client_id"`
			UserID   string `json:"user_id"`
		}
		if json.Unmarshal(obj.Payload, &owner) != nil || owner.ClientID != c.app.ID {
			break
		}
		if kind == store.KindRefreshToken {
			_, err = p.store.RevokeFamily(ctx, obj.FamilyID)
		} else {
			err = p.store.DeleteObject(ctx, kind, obj.ID)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return revocation{}, errServer()
		}
		done := revocation{tokenType: "AccessToken", userID: owner.UserID}
		if kind == store.KindRefreshToken {
			done.tokenType = "RefreshToken"
		}
		return done, nil
	}
	return revocation{}, nil
}
