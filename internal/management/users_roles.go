package management

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func (a *API) registerUserRoles() {
	a.handle("GET", "/api/users/{userId}/roles", "ListUserRoles", 200, "List a user's roles", a.listUserRoles)
	a.handle("PUT", "/api/users/{userId}/roles", "ReplaceUserRoles", 200, "Replace a user's roles", a.replaceUserRoles)
	a.handle("POST", "/api/users/{userId}/roles", "AssignUserRoles", 201, "Assign roles to a user", a.assignUserRoles)
	a.handle("DELETE", "/api/users/{userId}/roles/{roleId}", "DeleteUserRole", 204, "Remove a role from a user", a.deleteUserRole)
}

func (a *API) listUserRoles(w http.ResponseWriter, r *http.Request) error {
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	search, err := parseSearch(r.URL.Query(), roleSearchFields)
	if err != nil {
		return err
	}
	match, err := search.matcher(roleSearchFields)
	if err != nil {
		return err
	}
	u, err := userByID(r, a.store)
	if err != nil {
		return err
	}
	held, err := a.store.ListUserRoles(r.Context(), u.ID)
	if err != nil {
		return err
	}
	roles := held[:0:0]
	for _, role := range held {
		if role.Type == store.UserRole && match(map[string]string{"id": role.ID, "name": role.Name, "description": role.Description}) {
			roles = append(roles, role)
		}
	}
	return writeList(w, toRolesJSON(pageOf(roles, page)), len(roles), paged)
}

// userRoleIDs reads the roleIds of a role assignment body.
func userRoleIDs(r *http.Request) ([]string, error) {
	var body struct {
		RoleIDs []string `json:"roleIds"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	return roleBodyIDs("roleIds", body.RoleIDs, false)
}

// checkUserRoles makes sure every id names a role users can hold.
func checkUserRoles(r *http.Request, st store.Store, roleIDs []string) error {
	for _, roleID := range roleIDs {
		role, err := roleByID(r.Context(), st, roleID)
		if err != nil {
			return err
		}
		if role.Type != store.UserRole {
			return &Error{Status: http.StatusUnprocessableEntity, Code: "user.invalid_role_type",
				Message: "The role " + role.Name + " is a machine-to-machine role and cannot be assigned to users.",
				Data:    map[string]string{"roleId": role.ID}}
		}
	}
	return nil
}

func heldRoleIDs(r *http.Request, st store.Store, userID string) ([]string, error) {
	held, err := st.ListUserRoles(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(held))
	for i, role := range held {
		ids[i] = role.ID
	}
	return ids, nil
}

func (a *API) assignUserRoles(w http.ResponseWriter, r *http.Request) error {
	roleIDs, err := userRoleIDs(r)
	if err != nil {
		return err
	}
	added := []string{}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		u, err := userByID(r, tx)
		if err != nil {
			return err
		}
		held, err := heldRoleIDs(r, tx, u.ID)
		if err != nil {
			return err
		}
		for _, roleID := range roleIDs {
			if !slices.Contains(held, roleID) {
				added = append(added, roleID)
			}
		}
		if err := checkUserRoles(r, tx, added); err != nil {
			return err
		}
		if len(added) == 0 {
			return nil
		}
		return tx.AssignUserRoles(r.Context(), u.ID, added)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string][]string{"roleIds": roleIDs, "addedRoleIds": added})
	return nil
}

func (a *API) replaceUserRoles(w http.ResponseWriter, r *http.Request) error {
	roleIDs, err := userRoleIDs(r)
	if err != nil {
		return err
	}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		u, err := userByID(r, tx)
		if err != nil {
			return err
		}
		if err := checkUserRoles(r, tx, roleIDs); err != nil {
			return err
		}
		held, err := heldRoleIDs(r, tx, u.ID)
		if err != nil {
			return err
		}
		for _, roleID := range held {
			if !slices.Contains(roleIDs, roleID) {
				if err := tx.RemoveUserRole(r.Context(), u.ID, roleID); err != nil {
					return err
				}
			}
		}
		var added []string
		for _, roleID := range roleIDs {
			if !slices.Contains(held, roleID) {
				added = append(added, roleID)
			}
		}
		if len(added) == 0 {
			return nil
		}
		return tx.AssignUserRoles(r.Context(), u.ID, added)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]string{"roleIds": roleIDs})
	return nil
}

func (a *API) deleteUserRole(w http.ResponseWriter, r *http.Request) error {
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		u, err := userByID(r, tx)
		if err != nil {
			return err
		}
		roleID := r.PathValue("roleId")
		if err := tx.RemoveUserRole(r.Context(), u.ID, roleID); errors.Is(err, store.ErrNotFound) {
			return &Error{Status: http.StatusNotFound, Code: "entity.not_found",
				Message: "The user does not hold the role with ID `" + roleID + "`."}
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
