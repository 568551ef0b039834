package management

import "github.com/gatehouse-auth/gatehouse/internal/store"

// tenantID is the tenant every record belongs to in Logto's OSS edition.
const tenantID = "default"

// roleJSON is Logto's Role.
type roleJSON struct {
	TenantID    string         `json:"tenantId"`
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Type        store.RoleType `json:"type"`
	IsDefault   bool           `json:"isDefault"`
}

func toRoleJSON(r *store.Role) roleJSON {
	return roleJSON{TenantID: tenantID, ID: r.ID, Name: r.Name, Description: r.Description, Type: r.Type, IsDefault: r.IsDefault}
}

func toRolesJSON(roles []store.Role) []roleJSON {
	out := make([]roleJSON, 0, len(roles))
	for i := range roles {
		out = append(out, toRoleJSON(&roles[i]))
	}
	return out
}

// scopeJSON is Logto's Scope.
type scopeJSON struct {
	TenantID    string  `json:"tenantId"`
	ID          string  `json:"id"`
	ResourceID  string  `json:"resourceId"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   int64   `json:"createdAt"`
}

func toScopeJSON(s *store.Scope) scopeJSON {
	j := scopeJSON{TenantID: tenantID, ID: s.ID, ResourceID: s.ResourceID, Name: s.Name, CreatedAt: s.CreatedAt}
	if s.Description != "" {
		j.Description = &s.Description
	}
	return j
}

func toScopesJSON(scopes []store.Scope) []scopeJSON {
	out := make([]scopeJSON, 0, len(scopes))
	for i := range scopes {
		out = append(out, toScopeJSON(&scopes[i]))
	}
	return out
}

// resourceJSON is Logto's Resource.
type resourceJSON struct {
	TenantID       string `json:"tenantId"`
	ID             string `json:"id"`
	Name           string `json:"name"`
	Indicator      string `json:"indicator"`
	IsDefault      bool   `json:"isDefault"`
	AccessTokenTTL int    `json:"accessTokenTtl"`
}

func toResourceJSON(r *store.Resource) resourceJSON {
	return resourceJSON{TenantID: tenantID, ID: r.ID, Name: r.Name, Indicator: r.Indicator, IsDefault: r.IsDefault, AccessTokenTTL: r.AccessTokenTTL}
}
