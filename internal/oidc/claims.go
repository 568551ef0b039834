package oidc

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// userClaims returns the claims of u that the granted scopes release,
// with Logto's names (@logto/js idTokenClaims). Absent values are omitted,
// as OpenID Connect Core §5.3.2 asks.
func (p *Provider) userClaims(ctx context.Context, st store.Store, u *store.User, scopes []string) (map[string]any, error) {
	claims := map[string]any{"sub": u.ID}
	has := func(s string) bool { return slices.Contains(scopes, s) }
	if has("profile") {
		putString(claims, "name", u.Name)
		putString(claims, "picture", u.Avatar)
		putString(claims, "username", u.Username)
		claims["updated_at"] = u.UpdatedAt / 1000
	}
	if has("email") {
		putString(claims, "email", u.PrimaryEmail)
		claims["email_verified"] = u.PrimaryEmail != ""
	}
	if has("phone") {
		putString(claims, "phone_number", u.PrimaryPhone)
		claims["phone_number_verified"] = u.PrimaryPhone != ""
	}
	if has("roles") {
		roles, err := st.ListUserRoles(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(roles))
		for _, r := range roles {
			names = append(names, r.Name)
		}
		claims["roles"] = names
	}
	if has("custom_data") {
		claims["custom_data"] = jsonObject(u.CustomData)
	}
	if has("identities") {
		claims["identities"] = jsonObject(u.Identities)
		claims["sso_identities"] = []any{}
	}
	return claims, nil
}

func putString(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// jsonObject returns raw as a JSON value, or an empty object when unset.
func jsonObject(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}
