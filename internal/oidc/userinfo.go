package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// userinfo serves /oidc/me for opaque access tokens (OpenID Connect Core §5.3).
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "a bearer access token is required"})
		return
	}
	obj, err := p.store.GetObject(r.Context(), store.KindAccessToken, digest(tok), p.nowMillis())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		p.log.Error("access token lookup failed", "err", err)
		writeError(w, errServer())
		return
	}
	var at opaqueToken
	if err != nil || json.Unmarshal(obj.Payload, &at) != nil {
		invalidToken(w, "the access token is invalid or expired")
		return
	}
	if c, err := p.lookupClient(r.Context(), at.ClientID); err == nil {
		allowOrigin(w, r, c)
	}
	u, err := p.store.GetUser(r.Context(), at.UserID)
	if err != nil || u.IsSuspended {
		invalidToken(w, "the access token's user is no longer active")
		return
	}
	claims, err := p.userClaims(r.Context(), p.store, u, at.Scope)
	if err != nil {
		writeError(w, errServer())
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

func invalidToken(w http.ResponseWriter, description string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse", error="invalid_token", error_description="`+description+`"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": description})
}

// bearerToken reads an RFC 6750 bearer token from the Authorization header
// or, for POST, the access_token form field.
func bearerToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", false
		}
		tok = strings.TrimSpace(tok)
		return tok, tok != ""
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
		if r.ParseForm() == nil {
			if tok := r.PostForm.Get("access_token"); tok != "" {
				return tok, true
			}
		}
	}
	return "", false
}
