package store

import "context"

// Roles stores roles, the scopes they hold, and their assignment to users
// and applications.
type Roles interface {
	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, id string) (*Role, error)
	GetRoleByName(ctx context.Context, name string) (*Role, error)
	ListRoles(ctx context.Context, roleType RoleType, page Page) ([]Role, int, error)
	// FindRoles returns the roles that pass f in creation order, and their
	// total count before paging.
	FindRoles(ctx context.Context, f RoleFilter, page Page) ([]Role, int, error)
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, id string) error

	AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error
	RemoveRoleScope(ctx context.Context, roleID, scopeID string) error
	ListRoleScopes(ctx context.Context, roleID string) ([]Scope, error)

	// ListRoleUsers returns the users holding roleID whose id, username,
	// primary email, primary phone or name contain search (ignoring case; all
	// when search is empty) in creation order, and their total count before
	// paging. A role that does not exist has none.
	ListRoleUsers(ctx context.Context, roleID, search string, page Page) ([]User, int, error)
	// ListRoleApplications returns the applications holding roleID whose id,
	// name or description contain search, in creation order, and their total
	// count before paging. A role that does not exist has none.
	ListRoleApplications(ctx context.Context, roleID, search string, page Page) ([]Application, int, error)

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

// RoleFilter selects roles. Zero values select everything.
type RoleFilter struct {
	// Type keeps only roles of this type.
	Type RoleType
	// Search is a case-insensitive substring of the id, name or description.
	Search string
	// ExcludeUserID leaves out the roles this user holds.
	ExcludeUserID string
	// ExcludeApplicationID leaves out the roles this application holds.
	ExcludeApplicationID string
}
