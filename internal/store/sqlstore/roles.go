package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const roleColumns = `id, name, description, type, is_default, created_at`

func scanRole(sc scanner) (store.Role, error) {
	var r store.Role
	err := sc.Scan(&r.ID, &r.Name, &r.Description, &r.Type, &r.IsDefault, &r.CreatedAt)
	return r, err
}

// CreateRole inserts r, filling in ID and CreatedAt when they are zero. Role
// names are unique.
func (s *Store) CreateRole(ctx context.Context, r *store.Role) error {
	if r.ID == "" {
		r.ID = id.New(id.RecordLength)
	}
	if r.CreatedAt == 0 {
		r.CreatedAt = nowMillis()
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		r.ID, r.Name, r.Description, string(r.Type), r.IsDefault, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("create role: %w", s.mapErr(err))
	}
	return nil
}

// GetRole returns the role with the given id.
func (s *Store) GetRole(ctx context.Context, roleID string) (*store.Role, error) {
	r, err := scanRole(s.q.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE id = $1`, roleID))
	if err != nil {
		return nil, fmt.Errorf("get role %s: %w", roleID, s.mapErr(err))
	}
	return &r, nil
}

// GetRoleByName returns the role with the given name, compared exactly.
func (s *Store) GetRoleByName(ctx context.Context, name string) (*store.Role, error) {
	r, err := scanRole(s.q.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE name = $1`, name))
	if err != nil {
		return nil, fmt.Errorf("get role %q: %w", name, s.mapErr(err))
	}
	return &r, nil
}

// ListRoles returns the roles of roleType (all when it is empty) in creation
// order with their total count.
func (s *Store) ListRoles(ctx context.Context, roleType store.RoleType, page store.Page) ([]store.Role, int, error) {
	return s.FindRoles(ctx, store.RoleFilter{Type: roleType}, page)
}

// FindRoles returns the roles that pass f in creation order with their total
// count before paging.
func (s *Store) FindRoles(ctx context.Context, f store.RoleFilter, page store.Page) ([]store.Role, int, error) {
	var a args
	var where []string
	if f.Type != "" {
		where = append(where, "type = "+a.add(string(f.Type)))
	}
	if f.Search != "" {
		where = append(where, s.dialect.containsFold(&a, f.Search, "id", "name", "description"))
	}
	if f.ExcludeUserID != "" {
		where = append(where, "id NOT IN (SELECT role_id FROM users_roles WHERE user_id = "+a.add(f.ExcludeUserID)+")")
	}
	if f.ExcludeApplicationID != "" {
		where = append(where, "id NOT IN (SELECT role_id FROM applications_roles WHERE application_id = "+a.add(f.ExcludeApplicationID)+")")
	}
	roles, total, err := listPage(ctx, s, "roles", roleColumns, strings.Join(where, " AND "), a, page, scanRole)
	if err != nil {
		return nil, 0, fmt.Errorf("list roles: %w", err)
	}
	return roles, total, nil
}

// ListRoleUsers returns the users holding roleID that match search in
// creation order with their total count before paging.
func (s *Store) ListRoleUsers(ctx context.Context, roleID, search string, page store.Page) ([]store.User, int, error) {
	var a args
	where := "id IN (SELECT user_id FROM users_roles WHERE role_id = " + a.add(roleID) + ")"
	if search != "" {
		where += " AND " + s.dialect.containsFold(&a, search, "id", "username", "primary_email", "primary_phone", "name")
	}
	users, total, err := listPage(ctx, s, "users", userColumns, where, a, page, scanUser)
	if err != nil {
		return nil, 0, fmt.Errorf("list users of role %s: %w", roleID, err)
	}
	return users, total, nil
}

// ListRoleApplications returns the applications holding roleID that match
// search in creation order with their total count before paging.
func (s *Store) ListRoleApplications(ctx context.Context, roleID, search string, page store.Page) ([]store.Application, int, error) {
	var a args
	where := "id IN (SELECT application_id FROM applications_roles WHERE role_id = " + a.add(roleID) + ")"
	if search != "" {
		where += " AND " + s.dialect.containsFold(&a, search, "id", "name", "description")
	}
	apps, total, err := listPage(ctx, s, "applications", applicationColumns, where, a, page, scanApplication)
	if err != nil {
		return nil, 0, fmt.Errorf("list applications of role %s: %w", roleID, err)
	}
	return apps, total, nil
}

// UpdateRole overwrites every field of the role r.ID except CreatedAt.
func (s *Store) UpdateRole(ctx context.Context, r *store.Role) error {
	err := s.expectOne(s.q.ExecContext(ctx, `UPDATE roles SET name = $2, description = $3, type = $4,
		is_default = $5 WHERE id = $1`, r.ID, r.Name, r.Description, string(r.Type), r.IsDefault))
	if err != nil {
		return fmt.Errorf("update role %s: %w", r.ID, err)
	}
	return nil
}

// DeleteRole deletes a role, its scope grants and its assignments.
func (s *Store) DeleteRole(ctx context.Context, roleID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM roles WHERE id = $1`, roleID)); err != nil {
		return fmt.Errorf("delete role %s: %w", roleID, err)
	}
	return nil
}

// link is a many-to-many table between two records.
type link struct {
	table, left, right string
}

var (
	roleScopes       = link{"roles_scopes", "role_id", "scope_id"}
	userRoles        = link{"users_roles", "user_id", "role_id"}
	applicationRoles = link{"applications_roles", "application_id", "role_id"}
)

// add links left to each of rights in one transaction, skipping links that
// exist already. A record that does not exist makes it ErrNotFound.
func (s *Store) add(ctx context.Context, l link, left string, rights []string) error {
	insert := `INSERT INTO ` + l.table + ` (` + l.left + `, ` + l.right + `) VALUES ($1, $2)
		ON CONFLICT (` + l.left + `, ` + l.right + `) DO NOTHING`
	return s.inTx(ctx, func(tx *Store) error {
		for _, right := range rights {
			if _, err := tx.q.ExecContext(ctx, insert, left, right); err != nil {
				return tx.mapErr(err)
			}
		}
		return nil
	})
}

// remove unlinks left from right; ErrNotFound when they were not linked.
func (s *Store) remove(ctx context.Context, l link, left, right string) error {
	return s.expectOne(s.q.ExecContext(ctx,
		`DELETE FROM `+l.table+` WHERE `+l.left+` = $1 AND `+l.right+` = $2`, left, right))
}

// AddRoleScopes grants scopes to a role; scopes it holds already are skipped.
func (s *Store) AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error {
	if err := s.add(ctx, roleScopes, roleID, scopeIDs); err != nil {
		return fmt.Errorf("add scopes to role %s: %w", roleID, err)
	}
	return nil
}

// RemoveRoleScope withdraws one scope from a role.
func (s *Store) RemoveRoleScope(ctx context.Context, roleID, scopeID string) error {
	if err := s.remove(ctx, roleScopes, roleID, scopeID); err != nil {
		return fmt.Errorf("remove scope %s from role %s: %w", scopeID, roleID, err)
	}
	return nil
}

// ListRoleScopes returns a role's scopes, of every resource, in creation
// order; none for a role that does not exist.
func (s *Store) ListRoleScopes(ctx context.Context, roleID string) ([]store.Scope, error) {
	scopes, err := queryAll(ctx, s, `SELECT `+scopeColumns+` FROM scopes
		WHERE id IN (SELECT scope_id FROM roles_scopes WHERE role_id = $1)
		ORDER BY created_at, id`, []any{roleID}, scanScope)
	if err != nil {
		return nil, fmt.Errorf("list scopes of role %s: %w", roleID, err)
	}
	return scopes, nil
}

// AssignUserRoles gives roles to a user; roles the user holds already are
// skipped.
func (s *Store) AssignUserRoles(ctx context.Context, userID string, roleIDs []string) error {
	if err := s.add(ctx, userRoles, userID, roleIDs); err != nil {
		return fmt.Errorf("assign roles to user %s: %w", userID, err)
	}
	return nil
}

// RemoveUserRole takes one role from a user.
func (s *Store) RemoveUserRole(ctx context.Context, userID, roleID string) error {
	if err := s.remove(ctx, userRoles, userID, roleID); err != nil {
		return fmt.Errorf("remove role %s from user %s: %w", roleID, userID, err)
	}
	return nil
}

// ListUserRoles returns a user's roles in creation order; none for a user
// that does not exist.
func (s *Store) ListUserRoles(ctx context.Context, userID string) ([]store.Role, error) {
	roles, err := queryAll(ctx, s, `SELECT `+roleColumns+` FROM roles
		WHERE id IN (SELECT role_id FROM users_roles WHERE user_id = $1)
		ORDER BY created_at, id`, []any{userID}, scanRole)
	if err != nil {
		return nil, fmt.Errorf("list roles of user %s: %w", userID, err)
	}
	return roles, nil
}

// AssignApplicationRoles gives roles to an application; roles it holds
// already are skipped.
func (s *Store) AssignApplicationRoles(ctx context.Context, appID string, roleIDs []string) error {
	if err := s.add(ctx, applicationRoles, appID, roleIDs); err != nil {
		return fmt.Errorf("assign roles to application %s: %w", appID, err)
	}
	return nil
}

// RemoveApplicationRole takes one role from an application.
func (s *Store) RemoveApplicationRole(ctx context.Context, appID, roleID string) error {
	if err := s.remove(ctx, applicationRoles, appID, roleID); err != nil {
		return fmt.Errorf("remove role %s from application %s: %w", roleID, appID, err)
	}
	return nil
}

// ListApplicationRoles returns an application's roles in creation order; none
// for an application that does not exist.
func (s *Store) ListApplicationRoles(ctx context.Context, appID string) ([]store.Role, error) {
	roles, err := queryAll(ctx, s, `SELECT `+roleColumns+` FROM roles
		WHERE id IN (SELECT role_id FROM applications_roles WHERE application_id = $1)
		ORDER BY created_at, id`, []any{appID}, scanRole)
	if err != nil {
		return nil, fmt.Errorf("list roles of application %s: %w", appID, err)
	}
	return roles, nil
}

// GrantedScopes returns the names of resourceID's scopes that any role of the
// subject holds, each once, sorted bytewise. A subject with a UserID is the
// user (whichever application acts for them); otherwise it is the
// application ApplicationID.
func (s *Store) GrantedScopes(ctx context.Context, subject store.Subject, resourceID string) ([]string, error) {
	var assignments, holder string
	switch {
	case subject.UserID != "":
		assignments, holder = "users_roles a", "a.user_id"
	case subject.ApplicationID != "":
		assignments, holder = "applications_roles a", "a.application_id"
	default:
		return nil, errors.New("granted scopes: subject names neither a user nor an application")
	}
	who := subject.UserID
	if who == "" {
		who = subject.ApplicationID
	}
	names, err := queryAll(ctx, s, `SELECT DISTINCT s.name FROM `+assignments+`
		JOIN roles_scopes rs ON rs.role_id = a.role_id
		JOIN scopes s ON s.id = rs.scope_id
		WHERE `+holder+` = $1 AND s.resource_id = $2`, []any{who, resourceID},
		func(sc scanner) (string, error) {
			var name string
			err := sc.Scan(&name)
			return name, err
		})
	if err != nil {
		return nil, fmt.Errorf("granted scopes of resource %s: %w", resourceID, err)
	}
	// Sorted here, not by ORDER BY, because PostgreSQL would sort by the
	// database's collation and SQLite bytewise.
	slices.Sort(names)
	return names, nil
}
