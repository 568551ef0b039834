package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// introspect is token introspection (RFC 7662) for confidential clients.
// Anything that is not an active token of ours answers {"active":false}.
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	form, c, ok := p.clientForm(w, r)
	if !ok {
		return
	}
	if !c.app.Type.Confidential() {
		writeError(w, errInvalidClient("introspection requires a confidential client"))
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeError(w, errInvalidRequest("token is required"))
		return
	}
	inactive := map[string]any{"active": false}
	if strings.Count(tok, ".") == 2 {
		writeJSON(w, http.StatusOK, p.introspectJWT(tok, inactive))
		return
	}
	ctx := r.Context()
	for _, kind := range []store.ObjectKind{store.KindAccessToken, store.KindRefreshToken} {
		obj, err := p.store.GetObject(ctx, kind, digest(tok), p.nowMillis())
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			writeError(w, errServer())
			return
		}
		if obj.ConsumedAt != 0 {
			break
		}
		var body struct {
			ClientID string   `json:"client_id"`
			UserID   string   `json:"user_id"`
			Scope    []string `json:"scope"`
			IssuedAt int64    `json:"iat"`
		}
		if json.Unmarshal(obj.Payload, &body) != nil {
			break
		}
		if u, err := p.store.GetUser(ctx, body.UserID); err != nil || u.IsSuspended {
			break
		}
		tokenType := "Bearer"
		if kind == store.KindRefreshToken {
			tokenType = "refresh_token"
		}
		resp := map[string]any{
			"active":     true,
			"sub":        body.UserID,
			"client_id":  body.ClientID,
			"scope":      strings.Join(body.Scope, " "),
			"exp":        obj.ExpiresAt / 1000,
			"token_type": tokenType,
			"iss":        p.issuer,
		}
		if body.IssuedAt != 0 {
			resp["iat"] = body.IssuedAt
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	writeJSON(w, http.StatusOK, inactive)
}

func (p *Provider) introspectJWT(tok string, inactive map[string]any) map[string]any {
	payload, err := p.verifyJWT(tok)
	if err != nil {
		return inactive
	}
	var at accessTokenClaims
	if json.Unmarshal(payload, &at) != nil || at.Issuer != p.issuer || at.Audience == "" || at.JTI == "" ||
		at.Expiry <= p.now().Unix() {
		return inactive
	}
	return map[string]any{
		"active":     true,
		"sub":        at.Subject,
		"client_id":  at.ClientID,
		"scope":      at.Scope,
		"exp":        at.Expiry,
		"iat":        at.IssuedAt,
		"token_type": "Bearer",
		"aud":        at.Audience,
		"iss":        at.Issuer,
	}
}
