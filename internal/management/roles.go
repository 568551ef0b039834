package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/users"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

func (a *API) registerRoles() {
	a.handle("GET", "/api/roles", "ListRoles", 200, "List roles", a.listRoles)
	a.handle("POST", "/api/roles", "CreateRole", 200, "Create a role", a.createRole)
	a.handle("GET", "/api/roles/{id}", "GetRole", 200, "Get a role", a.getRole)
	a.handle("PATCH", "/api/roles/{id}", "UpdateRole", 200, "Update a role", a.updateRole)
	a.handle("DELETE", "/api/roles/{id}", "DeleteRole", 204, "Delete a role", a.deleteRole)
	a.handle("GET", "/api/roles/{id}/scopes", "ListRoleScopes", 200, "List a role's API resource scopes", a.listRoleScopes)
	a.handle("POST", "/api/roles/{id}/scopes", "CreateRoleScope", 200, "Link API resource scopes to a role", a.createRoleScope)
	a.handle("DELETE", "/api/roles/{id}/scopes/{scopeId}", "DeleteRoleScope", 204, "Unlink an API resource scope from a role", a.deleteRoleScope)
	a.handle("GET", "/api/roles/{id}/users", "ListRoleUsers", 200, "List the users holding a role", a.listRoleUsers)
	a.handle("POST", "/api/roles/{id}/users", "CreateRoleUser", 201, "Assign a role to users", a.createRoleUser)
	a.handle("DELETE", "/api/roles/{id}/users/{userId}", "DeleteRoleUser", 204, "Remove a role from a user", a.deleteRoleUser)
	a.handle("GET", "/api/roles/{id}/applications", "ListRoleApplications", 200, "List the applications holding a role", a.listRoleApplications)
	a.handle("POST", "/api/roles/{id}/applications", "CreateRoleApplication", 201, "Assign a role to M2M applications", a.createRoleApplication)
	a.handle("DELETE", "/api/roles/{id}/applications/{applicationId}", "DeleteRoleApplication", 204, "Remove a role from an application", a.deleteRoleApplication)
}

// maxRoleText is the length limit of role names and descriptions (Logto's
// varchar(128) columns).
const maxRoleText = 128

// roleFeaturedCount is how many holders a role list entry shows.
const roleFeaturedCount = 3

// roleFeaturedUserJSON is a user as a role list entry shows it.
type roleFeaturedUserJSON struct {
	ID     string  `json:"id"`
	Avatar *string `json:"avatar"`
	Name   *string `json:"name"`
}

// roleFeaturedApplicationJSON is an application as a role list entry shows it.
type roleFeaturedApplicationJSON struct {
	ID   string                `json:"id"`
	Name string                `json:"name"`
	Type store.ApplicationType `json:"type"`
}

// roleListItemJSON is a role with its holders, as GET /api/roles lists it.
type roleListItemJSON struct {
	roleJSON
	UsersCount           int                           `json:"usersCount"`
	FeaturedUsers        []roleFeaturedUserJSON        `json:"featuredUsers"`
	ApplicationsCount    int                           `json:"applicationsCount"`
	FeaturedApplications []roleFeaturedApplicationJSON `json:"featuredApplications"`
}

// roleScopeItemJSON is a scope with its resource, as a role's scope list shows it.
type roleScopeItemJSON struct {
	scopeJSON
	Resource resourceJSON `json:"resource"`
}

func roleNullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// roleByID fetches a role through st, turning a missing one into Logto's 404.
func roleByID(ctx context.Context, st store.Store, roleID string) (*store.Role, error) {
	role, err := st.GetRole(ctx, roleID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("role", roleID)
	}
	return role, err
}

// roleCheckText validates a role name or description.
func roleCheckText(field, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return invalid(field, "must not be empty")
	}
	if utf8.RuneCountInString(v) > maxRoleText {
		return invalid(field, fmt.Sprintf("must be at most %d characters", maxRoleText))
	}
	return nil
}

// roleBodyIDs validates a list of ids from a request body: present, not
// empty when nonEmpty, and no empty id. It returns the ids without
// duplicates, in their first order.
func roleBodyIDs(field string, ids []string, nonEmpty bool) ([]string, error) {
	if ids == nil {
		return nil, invalid(field, "is required")
	}
	if nonEmpty && len(ids) == 0 {
		return nil, invalid(field, "must name at least one id")
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, v := range ids {
		if v == "" {
			return nil, invalid(field, "ids must not be empty")
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

func roleNameInUse(name string) *Error {
	return unprocessable("role.name_in_use", "The role name "+name+" is already in use.")
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request) error {
	page, _, err := readPage(r, false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.RoleFilter{Search: searchTerm(r), ExcludeUserID: q.Get("excludeUserId"), ExcludeApplicationID: q.Get("excludeApplicationId")}
	if v, ok := q["type"]; ok {
		typ := store.RoleType(v[0])
		if typ != store.UserRole && typ != store.M2MRole {
			return invalid("type", "expected User or MachineToMachine")
		}
		f.Type = typ
	}
	ctx := r.Context()
	roles, total, err := a.store.FindRoles(ctx, f, page)
	if err != nil {
		return err
	}
	out := make([]roleListItemJSON, 0, len(roles))
	for i := range roles {
		item := roleListItemJSON{roleJSON: toRoleJSON(&roles[i]), FeaturedUsers: []roleFeaturedUserJSON{}, FeaturedApplications: []roleFeaturedApplicationJSON{}}
		featured := store.Page{Page: 1, PageSize: roleFeaturedCount}
		holders, n, err := a.store.ListRoleUsers(ctx, roles[i].ID, "", featured)
		if err != nil {
			return err
		}
		item.UsersCount = n
		for _, u := range holders {
			item.FeaturedUsers = append(item.FeaturedUsers, roleFeaturedUserJSON{ID: u.ID, Avatar: roleNullable(u.Avatar), Name: roleNullable(u.Name)})
		}
		machines, n, err := a.store.ListRoleApplications(ctx, roles[i].ID, "", featured)
		if err != nil {
			return err
		}
		item.ApplicationsCount = n
		for _, app := range machines {
			item.FeaturedApplications = append(item.FeaturedApplications, roleFeaturedApplicationJSON{ID: app.ID, Name: app.Name, Type: app.Type})
		}
		out = append(out, item)
	}
	return writeList(w, out, total, true)
}

// roleWriteBody is what create and update accept.
type roleWriteBody struct {
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	Type        *string  `json:"type"`
	IsDefault   *bool    `json:"isDefault"`
	ScopeIDs    []string `json:"scopeIds"`
}

func (a *API) createRole(w http.ResponseWriter, r *http.Request) error {
	var body roleWriteBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if body.Name == nil {
		return invalid("name", "is required")
	}
	if err := roleCheckText("name", *body.Name, true); err != nil {
		return err
	}
	if body.Description == nil {
		return invalid("description", "is required")
	}
	if err := roleCheckText("description", *body.Description, false); err != nil {
		return err
	}
	role := &store.Role{Name: *body.Name, Description: *body.Description, Type: store.UserRole}
	if body.Type != nil {
		role.Type = store.RoleType(*body.Type)
		if role.Type != store.UserRole && role.Type != store.M2MRole {
			return invalid("type", "expected User or MachineToMachine")
		}
	}
	if body.IsDefault != nil {
		role.IsDefault = *body.IsDefault
	}
	var scopeIDs []string
	if seen["scopeIds"] && body.ScopeIDs != nil {
		if scopeIDs, err = roleBodyIDs("scopeIds", body.ScopeIDs, false); err != nil {
			return err
		}
	}
	ctx := r.Context()
	err = a.store.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.GetRoleByName(ctx, role.Name); err == nil {
			return roleNameInUse(role.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.CreateRole(ctx, role); store.IsConflict(err) {
			return roleNameInUse(role.Name)
		} else if err != nil {
			return err
		}
		if len(scopeIDs) > 0 {
			if err := roleScopesAllowed(ctx, tx, role, scopeIDs); err != nil {
				return err
			}
			if err := tx.AddRoleScopes(ctx, role.ID, scopeIDs); err != nil {
				return err
			}
		}
		return a.emit(r, tx, webhook.RoleCreated, http.StatusOK, toRoleJSON(role))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role))
	return nil
}

// roleScopesAllowed verifies that every scope exists and may be granted to role:
// the Management API's scopes are for machine-to-machine roles only.
func roleScopesAllowed(ctx context.Context, st store.Store, role *store.Role, scopeIDs []string) error {
	indicators := map[string]string{}
	for _, scopeID := range scopeIDs {
		scope, err := st.GetScope(ctx, scopeID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("scope", scopeID)
		} else if err != nil {
			return err
		}
		if role.Type != store.UserRole {
			continue
		}
		indicator, ok := indicators[scope.ResourceID]
		if !ok {
			res, err := st.GetResource(ctx, scope.ResourceID)
			if err != nil {
				return err
			}
			indicator = res.Indicator
			indicators[scope.ResourceID] = indicator
		}
		if indicator == Indicator {
			return &Error{Status: http.StatusBadRequest, Code: "role.management_api_scopes_not_assignable_to_user_role",
				Message: "Management API scopes cannot be assigned to a user role.", Data: map[string]string{"scopeId": scopeID}}
		}
	}
	return nil
}

func (a *API) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := roleByID(r.Context(), a.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role))
	return nil
}

func (a *API) updateRole(w http.ResponseWriter, r *http.Request) error {
	var body roleWriteBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Name != nil {
		if err := roleCheckText("name", *body.Name, true); err != nil {
			return err
		}
	}
	if body.Description != nil {
		if err := roleCheckText("description", *body.Description, false); err != nil {
			return err
		}
	}
	ctx := r.Context()
	var role *store.Role
	err := a.store.InTx(ctx, func(tx store.Store) error {
		var err error
		if role, err = roleByID(ctx, tx, r.PathValue("id")); err != nil {
			return err
		}
		if body.Name != nil && *body.Name != role.Name {
			if other, err := tx.GetRoleByName(ctx, *body.Name); err == nil && other.ID != role.ID {
				return roleNameInUse(*body.Name)
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			role.Name = *body.Name
		}
		if body.Description != nil {
			role.Description = *body.Description
		}
		if body.IsDefault != nil {
			role.IsDefault = *body.IsDefault
		}
		if err := tx.UpdateRole(ctx, role); store.IsConflict(err) {
			return roleNameInUse(role.Name)
		} else if err != nil {
			return err
		}
		return a.emit(r, tx, webhook.RoleDataUpdated, http.StatusOK, toRoleJSON(role))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role))
	return nil
}

// deleteRole deletes a role with its scope grants and assignments. The
// built-in "Logto Management API access" role can be deleted too, as in
// Logto's OSS edition; Gatehouse seeds it again on the next start.
func (a *API) deleteRole(w http.ResponseWriter, r *http.Request) error {
	roleID := r.PathValue("id")
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		if err := tx.DeleteRole(r.Context(), roleID); err != nil {
			return err
		}
		return a.emit(r, tx, webhook.RoleDeleted, http.StatusNoContent, nil)
	})
	return deleted(w, err, "role", roleID)
}

func (a *API) listRoleScopes(w http.ResponseWriter, r *http.Request) error {
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	ctx := r.Context()
	role, err := roleByID(ctx, a.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	scopes, err := a.store.ListRoleScopes(ctx, role.ID)
	if err != nil {
		return err
	}
	if term := strings.ToLower(searchTerm(r)); term != "" {
		kept := scopes[:0]
		for _, s := range scopes {
			if strings.Contains(strings.ToLower(s.ID), term) || strings.Contains(strings.ToLower(s.Name), term) ||
				strings.Contains(strings.ToLower(s.Description), term) {
				kept = append(kept, s)
			}
		}
		scopes = kept
	}
	total := len(scopes)
	scopes = pageOf(scopes, page)
	resources := map[string]resourceJSON{}
	out := make([]roleScopeItemJSON, 0, len(scopes))
	for i := range scopes {
		res, ok := resources[scopes[i].ResourceID]
		if !ok {
			found, err := a.store.GetResource(ctx, scopes[i].ResourceID)
			if err != nil {
				return err
			}
			res = toResourceJSON(found)
			resources[found.ID] = res
		}
		out = append(out, roleScopeItemJSON{scopeJSON: toScopeJSON(&scopes[i]), Resource: res})
	}
	return writeList(w, out, total, paged)
}

func (a *API) createRoleScope(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ScopeIDs []string `json:"scopeIds"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	scopeIDs, err := roleBodyIDs("scopeIds", body.ScopeIDs, false)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var scopes []store.Scope
	err = a.store.InTx(ctx, func(tx store.Store) error {
		role, err := roleByID(ctx, tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		current, err := tx.ListRoleScopes(ctx, role.ID)
		if err != nil {
			return err
		}
		held := make(map[string]bool, len(current))
		for _, s := range current {
			held[s.ID] = true
		}
		for _, scopeID := range scopeIDs {
			if held[scopeID] {
				return &Error{Status: http.StatusUnprocessableEntity, Code: "role.scope_exists",
					Message: "The scope " + scopeID + " has already been added to this role.", Data: map[string]string{"scopeId": scopeID}}
			}
		}
		if err := roleScopesAllowed(ctx, tx, role, scopeIDs); err != nil {
			return err
		}
		if len(scopeIDs) > 0 {
			if err := tx.AddRoleScopes(ctx, role.ID, scopeIDs); err != nil {
				return err
			}
		}
		if scopes, err = tx.ListRoleScopes(ctx, role.ID); err != nil {
			return err
		}
		return a.emit(r, tx, webhook.RoleScopesUpdated, http.StatusOK, toScopesJSON(scopes))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toScopesJSON(scopes))
	return nil
}

func (a *API) deleteRoleScope(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := a.store.InTx(ctx, func(tx store.Store) error {
		role, err := roleByID(ctx, tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		scopeID := r.PathValue("scopeId")
		if err := tx.RemoveRoleScope(ctx, role.ID, scopeID); errors.Is(err, store.ErrNotFound) {
			return notFound("scope", scopeID)
		} else if err != nil {
			return err
		}
		return a.emit(r, tx, webhook.RoleScopesUpdated, http.StatusNoContent, nil)
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) listRoleUsers(w http.ResponseWriter, r *http.Request) error {
	page, _, err := readPage(r, false)
	if err != nil {
		return err
	}
	ctx := r.Context()
	role, err := roleByID(ctx, a.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	list, total, err := a.store.ListRoleUsers(ctx, role.ID, searchTerm(r), page)
	if err != nil {
		return err
	}
	out := make([]users.JSON, 0, len(list))
	for i := range list {
		out = append(out, users.ToJSON(&list[i]))
	}
	return writeList(w, out, total, true)
}

func (a *API) createRoleUser(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		UserIDs []string `json:"userIds"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	return a.addRoleHolders(w, r, userHolders, "userIds", body.UserIDs)
}

func (a *API) deleteRoleUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := a.store.InTx(ctx, func(tx store.Store) error {
		role, err := roleByID(ctx, tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		userID := r.PathValue("userId")
		if err := tx.RemoveUserRole(ctx, userID, role.ID); errors.Is(err, store.ErrNotFound) {
			return notFound("user", userID)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) listRoleApplications(w http.ResponseWriter, r *http.Request) error {
	page, _, err := readPage(r, false)
	if err != nil {
		return err
	}
	ctx := r.Context()
	role, err := roleByID(ctx, a.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	list, total, err := a.store.ListRoleApplications(ctx, role.ID, searchTerm(r), page)
	if err != nil {
		return err
	}
	out, err := a.applicationsJSON(r, list)
	if err != nil {
		return err
	}
	return writeList(w, out, total, true)
}

func (a *API) createRoleApplication(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ApplicationIDs []string `json:"applicationIds"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	return a.addRoleHolders(w, r, applicationHolders, "applicationIds", body.ApplicationIDs)
}

// roleHolders is one kind of role holder (users or M2M applications), for
// the handler that adds holders to a role.
type roleHolders struct {
	kind, idKey                 string // "user", "userId"
	roleType                    store.RoleType
	wrongRoleCode, wrongRoleMsg string
	existsCode                  string
	held                        func(ctx context.Context, tx store.Store, id string) ([]store.Role, error)
	check                       func(ctx context.Context, tx store.Store, id string) error
	assign                      func(ctx context.Context, tx store.Store, id, roleID string) error
}

var (
	userHolders = roleHolders{
		kind: "user", idKey: "userId", roleType: store.UserRole,
		wrongRoleCode: "user.invalid_role_type", wrongRoleMsg: " is a machine-to-machine role and cannot be assigned to users.",
		existsCode: "role.user_exists",
		held: func(ctx context.Context, tx store.Store, id string) ([]store.Role, error) {
			return tx.ListUserRoles(ctx, id)
		},
		check: func(ctx context.Context, tx store.Store, id string) error {
			_, err := tx.GetUser(ctx, id)
			return err
		},
		assign: func(ctx context.Context, tx store.Store, id, roleID string) error {
			return tx.AssignUserRoles(ctx, id, []string{roleID})
		},
	}
	applicationHolders = roleHolders{
		kind: "application", idKey: "applicationId", roleType: store.M2MRole,
		wrongRoleCode: "application.invalid_role_type", wrongRoleMsg: " is a user role and cannot be assigned to applications.",
		existsCode: "role.application_exists",
		held: func(ctx context.Context, tx store.Store, id string) ([]store.Role, error) {
			return tx.ListApplicationRoles(ctx, id)
		},
		check: func(ctx context.Context, tx store.Store, id string) error {
			app, err := tx.GetApplication(ctx, id)
			if err == nil && app.Type != store.MachineToMachine {
				return unprocessable("application.invalid_type", "Only machine to machine applications can have associated roles.")
			}
			return err
		},
		assign: func(ctx context.Context, tx store.Store, id, roleID string) error {
			return tx.AssignApplicationRoles(ctx, id, []string{roleID})
		},
	}
)

// addRoleHolders gives the role of the path to every holder in ids, in one
// transaction: all of them or, on any error, none.
func (a *API) addRoleHolders(w http.ResponseWriter, r *http.Request, h roleHolders, field string, ids []string) error {
	ids, err := roleBodyIDs(field, ids, true)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = a.store.InTx(ctx, func(tx store.Store) error {
		role, err := roleByID(ctx, tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if role.Type != h.roleType {
			return unprocessable(h.wrongRoleCode, "The role "+role.Name+h.wrongRoleMsg)
		}
		for _, id := range ids {
			held, err := h.held(ctx, tx, id)
			if err != nil {
				return err
			}
			for _, x := range held {
				if x.ID == role.ID {
					return &Error{Status: http.StatusUnprocessableEntity, Code: h.existsCode,
						Message: "The " + h.kind + " " + id + " already has this role.", Data: map[string]string{h.idKey: id}}
				}
			}
		}
		for _, id := range ids {
			if err := h.check(ctx, tx, id); errors.Is(err, store.ErrNotFound) {
				return notFound(h.kind, id)
			} else if err != nil {
				return err
			}
		}
		for _, id := range ids {
			if err := h.assign(ctx, tx, id, role.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (a *API) deleteRoleApplication(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := a.store.InTx(ctx, func(tx store.Store) error {
		role, err := roleByID(ctx, tx, r.PathValue("id"))
		if err != nil {
			return err
		}
		appID := r.PathValue("applicationId")
		if err := tx.RemoveApplicationRole(ctx, appID, role.ID); errors.Is(err, store.ErrNotFound) {
			return notFound("application", appID)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}
