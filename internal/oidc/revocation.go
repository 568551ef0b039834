package oidc

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// revoke is token revocation (RFC 7009). Revoking a refresh token revokes
// its whole grant; revoking an opaque access token deletes it. JWT access
// tokens are self-contained and expire on their own. Unknown tokens, and
// tokens of other clients, are answered 200 without effect, as §2.2 asks.
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	form, c, ok := p.clientForm(w, r)
	if !ok {
		return
	}
	allowOrigin(w, r, c)
	tok := form.Get("token")
	if tok == "" {
		writeError(w, errInvalidRequest("token is required"))
		return
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
			writeError(w, errServer())
			return
		}
		var owner struct {
			ClientID string `json:"client_id"`
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
			writeError(w, errServer())
			return
		}
		break
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
