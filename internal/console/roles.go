package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

type roleScopeJSON struct {
	scopeJSON
	Resource resourceJSON `json:"resource"`
}

var roleFields = fieldMap{
	"name": "name", "description": "description", "type": "type",
	"role.name_in_use": "name",
}

var roleTypes = []option{{"User", "User role"}, {"MachineToMachine", "Machine-to-machine role"}}

func (c *Console) roleRoutes(mux *http.ServeMux) {
	mux.Handle("GET /roles", c.get(c.listRoles))
	mux.Handle("GET /roles/new", c.get(c.newRole))
	mux.Handle("POST /roles/new", c.post(c.createRole))
	mux.Handle("GET /roles/{id}", c.get(c.showRole))
	mux.Handle("POST /roles/{id}", c.post(c.updateRole))
	mux.Handle("GET /roles/{id}/delete", c.get(c.confirmDeleteRole))
	mux.Handle("POST /roles/{id}/delete", c.post(c.deleteRole))
	mux.Handle("POST /roles/{id}/scopes", c.post(c.addRoleScope))
	mux.Handle("POST /roles/{id}/scopes/{scopeId}/remove", c.post(c.removeRoleScope))
	mux.Handle("POST /roles/{id}/users", c.post(c.addRoleUser))
	mux.Handle("POST /roles/{id}/users/{userId}/remove", c.post(c.removeRoleUser))
	mux.Handle("POST /roles/{id}/applications", c.post(c.addRoleApplication))
	mux.Handle("POST /roles/{id}/applications/{appId}/remove", c.post(c.removeRoleApplication))
}

func (c *Console) listRoles(w http.ResponseWriter, r *http.Request, s *session) {
	var list []roleJSON
	l, err := c.list(r, s, "/api/roles", nil, &list)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "roles", view{Title: "Roles", Section: "roles", Data: struct {
		List    []roleJSON
		Listing listing
	}{list, l}})
}

func (c *Console) renderNewRole(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "role_new", view{Title: "Create a role", Section: "roles", Data: struct {
		Form  *form
		Types []option
	}{f, roleTypes}})
}

func (c *Console) newRole(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderNewRole(w, r, s, http.StatusOK, formOf(map[string]string{"type": "User"}))
}

func (c *Console) createRole(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	name, desc := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("description"))
	if name == "" {
		f.Errors["name"] = "Enter a name."
	}
	if desc == "" {
		f.Errors["description"] = "Enter a description."
	}
	if len(f.Errors) > 0 {
		c.renderNewRole(w, r, s, http.StatusBadRequest, f)
		return
	}
	var role roleJSON
	if _, err := c.call(r, s, http.MethodPost, "/api/roles", map[string]any{"name": name, "description": desc, "type": f.Get("type")}, &role); err != nil {
		c.failForm(w, r, s, err, f, roleFields, func(status int) { c.renderNewRole(w, r, s, status, f) })
		return
	}
	c.redirectTo(w, r, "/roles/"+url.PathEscape(role.ID), "Role "+role.Name+" created.")
}

type rolePage struct {
	Role        roleJSON
	Form        *form
	Scopes      []roleScopeJSON
	OtherScopes []option
	Users       []userJSON
	UserListing listing
	UserForm    *form
	Apps        []appJSON
	OtherApps   []option
}

func (c *Console) showRole(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderRole(w, r, s, http.StatusOK, nil, nil)
}

func (c *Console) renderRole(w http.ResponseWriter, r *http.Request, s *session, status int, edit, userForm *form) {
	roleID := r.PathValue("id")
	base := "/api/roles/" + url.PathEscape(roleID)
	p := rolePage{Form: edit, UserForm: userForm}
	if _, err := c.call(r, s, http.MethodGet, base, nil, &p.Role); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if _, err := c.call(r, s, http.MethodGet, base+"/scopes", nil, &p.Scopes); err != nil {
		c.fail(w, r, s, err)
		return
	}
	var resources []resourceJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/resources?includeScopes=true", nil, &resources); err != nil {
		c.fail(w, r, s, err)
		return
	}
	held := map[string]bool{}
	for _, sc := range p.Scopes {
		held[sc.ID] = true
	}
	for _, res := range resources {
		if res.Indicator == managementIndicator && p.Role.Type == "User" {
			continue // the API refuses Management API permissions on user roles
		}
		for _, sc := range res.Scopes {
			if !held[sc.ID] {
				p.OtherScopes = append(p.OtherScopes, option{sc.ID, res.Name + ": " + sc.Name})
			}
		}
	}
	if p.Role.Type == "MachineToMachine" {
		if _, err := c.call(r, s, http.MethodGet, base+"/applications?page_size=100", nil, &p.Apps); err != nil {
			c.fail(w, r, s, err)
			return
		}
		var others []appJSON
		if _, err := c.call(r, s, http.MethodGet, "/api/applications?types=MachineToMachine&page_size=100&excludeRoleId="+url.QueryEscape(roleID), nil, &others); err != nil {
			c.fail(w, r, s, err)
			return
		}
		for _, a := range others {
			p.OtherApps = append(p.OtherApps, option{a.ID, a.Name})
		}
	} else {
		l, err := c.list(r, s, base+"/users", nil, &p.Users)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		p.UserListing = l
	}
	if p.Form == nil {
		p.Form = formOf(map[string]string{"name": p.Role.Name, "description": p.Role.Description})
	}
	if p.UserForm == nil {
		p.UserForm = newForm(nil)
	}
	c.render(w, r, s, status, "role", view{Title: p.Role.Name, Section: "roles", Data: p})
}

func (c *Console) updateRole(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	name, desc := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("description"))
	if name == "" {
		f.Errors["name"] = "Enter a name."
	}
	if desc == "" {
		f.Errors["description"] = "Enter a description."
	}
	if len(f.Errors) > 0 {
		c.renderRole(w, r, s, http.StatusBadRequest, f, nil)
		return
	}
	roleID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodPatch, "/api/roles/"+url.PathEscape(roleID), map[string]any{"name": name, "description": desc}, nil); err != nil {
		c.failForm(w, r, s, err, f, roleFields, func(status int) { c.renderRole(w, r, s, status, f, nil) })
		return
	}
	c.redirectTo(w, r, "/roles/"+url.PathEscape(roleID), "Changes saved.")
}

func (c *Console) confirmDeleteRole(w http.ResponseWriter, r *http.Request, s *session) {
	var role roleJSON
	roleID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodGet, "/api/roles/"+url.PathEscape(roleID), nil, &role); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "roles", "Delete "+role.Name+"?", confirmation{
		Message: "The role " + role.Name + " is deleted, and every user and application holding it loses its permissions. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete role", Back: "/roles/" + url.PathEscape(roleID)})
}

func (c *Console) deleteRole(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/roles/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/roles", "Role deleted.")
}

// roleChange runs one change of a role's members and returns to the role.
func (c *Console) roleChange(w http.ResponseWriter, r *http.Request, s *session, method, path string, body any, done string) {
	roleID := r.PathValue("id")
	if _, err := c.call(r, s, method, "/api/roles/"+url.PathEscape(roleID)+path, body, nil); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status < 500 && ae.Status != http.StatusNotFound {
			c.redirectTo(w, r, "/roles/"+url.PathEscape(roleID), ae.Message)
			return
		}
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/roles/"+url.PathEscape(roleID), done)
}

func (c *Console) addRoleScope(w http.ResponseWriter, r *http.Request, s *session) {
	scopeID := r.PostForm.Get("scopeId")
	if scopeID == "" {
		c.redirectTo(w, r, "/roles/"+url.PathEscape(r.PathValue("id")), "Choose a permission.")
		return
	}
	c.roleChange(w, r, s, http.MethodPost, "/scopes", map[string]any{"scopeIds": []string{scopeID}}, "Permission added.")
}

func (c *Console) removeRoleScope(w http.ResponseWriter, r *http.Request, s *session) {
	c.roleChange(w, r, s, http.MethodDelete, "/scopes/"+url.PathEscape(r.PathValue("scopeId")), nil, "Permission removed.")
}

// addRoleUser assigns the role to the user named in the form by id or by
// username.
func (c *Console) addRoleUser(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	who := strings.TrimSpace(f.Get("user"))
	if who == "" {
		f.Errors["user"] = "Enter a user ID or username."
		c.renderRole(w, r, s, http.StatusBadRequest, nil, f)
		return
	}
	var u userJSON
	_, err := c.call(r, s, http.MethodGet, "/api/users/"+url.PathEscape(who), nil, &u)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		var found []userJSON
		q := url.Values{"search.username": {who}, "mode.username": {"exact"}, "page_size": {"1"}}
		if _, err = c.call(r, s, http.MethodGet, "/api/users?"+q.Encode(), nil, &found); err == nil {
			if len(found) == 0 {
				f.Errors["user"] = "No user has this ID or username."
				c.renderRole(w, r, s, http.StatusBadRequest, nil, f)
				return
			}
			u = found[0]
		}
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.roleChange(w, r, s, http.MethodPost, "/users", map[string]any{"userIds": []string{u.ID}}, "Role assigned to "+u.Label()+".")
}

func (c *Console) removeRoleUser(w http.ResponseWriter, r *http.Request, s *session) {
	c.roleChange(w, r, s, http.MethodDelete, "/users/"+url.PathEscape(r.PathValue("userId")), nil, "User removed from the role.")
}

func (c *Console) addRoleApplication(w http.ResponseWriter, r *http.Request, s *session) {
	appID := r.PostForm.Get("applicationId")
	if appID == "" {
		c.redirectTo(w, r, "/roles/"+url.PathEscape(r.PathValue("id")), "Choose an application.")
		return
	}
	c.roleChange(w, r, s, http.MethodPost, "/applications", map[string]any{"applicationIds": []string{appID}}, "Role assigned.")
}

func (c *Console) removeRoleApplication(w http.ResponseWriter, r *http.Request, s *session) {
	c.roleChange(w, r, s, http.MethodDelete, "/applications/"+url.PathEscape(r.PathValue("appId")), nil, "Application removed from the role.")
}
