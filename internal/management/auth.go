package management

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// authenticate admits requests that carry a Management API access token
// issued by this server: signed by its own keys (checked in-process, never
// over HTTP), for the Management API resource, unexpired, with scope "all".
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if adminID, ok := r.Context().Value(administratorKey{}).(string); ok && adminID != "" {
			// An in-process caller (the admin console) that has already
			// authenticated its administrator.
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, &tokenClaims{Subject: adminID, Scope: Scope})))
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" {
			writeJSON(w, http.StatusUnauthorized, &Error{Code: "auth.authorization_header_missing", Message: "Authorization header is missing."})
			return
		}
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			writeJSON(w, http.StatusUnauthorized, &Error{Code: "auth.authorization_token_type_not_supported", Message: "Authorization type is not supported. Use a Bearer token."})
			return
		}
		claims, ok := a.verify(strings.TrimSpace(token))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse", error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, &Error{Code: "auth.unauthorized", Message: "Unauthorized. Please check credentials and its scope."})
			return
		}
		if !slices.Contains(strings.Fields(claims.Scope), Scope) {
			writeJSON(w, http.StatusForbidden, &Error{Code: "auth.forbidden", Message: "Forbidden. Please check your user roles and permissions."})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, claims)))
	})
}

// administratorKey holds the id of an administrator that an in-process
// caller authenticated (AsAdministrator).
type administratorKey struct{}

// AsAdministrator returns a context in which Management API requests are
// made by the console administrator adminID: authenticate admits them
// without a token. Only code in this process can put the value in a
// request's context (no header or cookie can), so this opens nothing to
// HTTP clients; the console uses it to call Handler directly.
func AsAdministrator(ctx context.Context, adminID string) context.Context {
	return context.WithValue(ctx, administratorKey{}, adminID)
}

// callerKey holds the verified claims of the request's token.
type callerKey struct{}

// caller returns the verified claims of the request's token, or nil.
func caller(r *http.Request) *tokenClaims {
	c, _ := r.Context().Value(callerKey{}).(*tokenClaims)
	return c
}

type tokenClaims struct {
	Issuer   string `json:"iss"`
	Audience any    `json:"aud"`
	Expiry   int64  `json:"exp"`
	Scope    string `json:"scope"`
	Subject  string `json:"sub"`
	ClientID string `json:"client_id"`
}

func (a *API) verify(token string) (*tokenClaims, bool) {
	payload, err := a.tokens.VerifyPayload(token)
	if err != nil {
		return nil, false
	}
	var c tokenClaims
	if json.Unmarshal(payload, &c) != nil || c.Issuer != a.issuer || c.Expiry <= a.now().Unix() {
		return nil, false
	}
	switch aud := c.Audience.(type) {
	case string:
		return &c, aud == Indicator
	case []any:
		return &c, slices.Contains(aud, any(Indicator))
	}
	return nil, false
}
