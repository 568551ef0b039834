package store

import "context"

// Roles stores roles, the scopes they hold, and their assignment to users
// and applications.
type Roles interface {
	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, id string) (*Role, error)
	GetRoleByName(ctx context.Context, name string) (*Role, error)
	ListRoles(ctx context.Context, roleType RoleType, page Page) ([]Role, int, error)
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, id string) error

	AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error
	RemoveRoleScope(ctx context.Context, roleID, scopeID string) error
	ListRoleScopes(ctx context.Context, roleID string) ([]Scope, error)

	AssignUserRoles(ctx context.Context, userID string, roleIDs []string) error
	RemoveUserRole(ctx context.Context, userID, roleID string) error
	ListUserRoles(ctx context.Context, userID string) ([]Role, error)

	AssignApplicationRoles(ctx context.Context, appID string, roleIDs []string) error
	RemoveApplicationRole(ctx context.Context, appID, roleID string) error
	ListApplicationRoles(ctx context.Context, appID string) ([]Role, error)

	// GrantedScopes returns the names of the scopes of resourceID that the
	// subject's roles hold, without duplicates, sorted.
	GrantedScopes(ctx context.Context, subject Subject, resourceID string) ([]string, error)
}
