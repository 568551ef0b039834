package oidc

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// refresh is the refresh_token grant (RFC 6749 §6). With resource
// (RFC 8707) it yields a JWT access token for that API resource: this is how
// Logto's SDKs get a token per resource. Refresh tokens rotate on every use.
func (p *Provider) refresh(r *http.Request, c *client, form url.Values, info *grantInfo) (*tokenResponse, *Error) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return nil, errInvalidRequest("refresh_token is required")
	}
	resource, e := singleResource(form)
	if e != nil {
		return nil, e
	}
	requested := strings.Fields(form.Get("scope"))
	return p.redeem(r.Context(), c, store.KindRefreshToken, rt, info, func(tx store.Store, familyID string, g *grant) (*tokenResponse, *Error) {
		tokenScopes := g.Scope
		if len(requested) > 0 {
			for _, s := range requested {
				if !slices.Contains(g.Scope, s) {
					return nil, errInvalidScope("scope exceeds the original grant: " + s)
				}
			}
			tokenScopes = dedupe(requested)
		}
		return p.issueUserTokens(r.Context(), tx, c, g, tokenScopes, familyID, resource)
	})
}
