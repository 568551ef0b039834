package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

type userJSON struct {
	ID           string          `json:"id"`
	Username     *string         `json:"username"`
	PrimaryEmail *string         `json:"primaryEmail"`
	PrimaryPhone *string         `json:"primaryPhone"`
	Name         *string         `json:"name"`
	LastSignInAt *int64          `json:"lastSignInAt"`
	CreatedAt    int64           `json:"createdAt"`
	IsSuspended  bool            `json:"isSuspended"`
	HasPassword  bool            `json:"hasPassword"`
	CustomData   json.RawMessage `json:"customData"`
}

// Label is what lists show for the user.
func (u userJSON) Label() string {
	for _, p := range []*string{u.Name, u.Username, u.PrimaryEmail, u.PrimaryPhone} {
		if p != nil && *p != "" {
			return *p
		}
	}
	return u.ID
}

var userFields = fieldMap{
	"username": "username", "primaryEmail": "primaryEmail", "primaryPhone": "primaryPhone", "name": "name", "password": "password",
	"user.username_already_in_use": "username",
	"user.email_already_in_use":    "primaryEmail",
	"user.phone_already_in_use":    "primaryPhone",
}

func (c *Console) userRoutes(mux *http.ServeMux) {
	mux.Handle("GET /users", c.get(c.listUsers))
	mux.Handle("GET /users/new", c.get(c.newUser))
	mux.Handle("POST /users/new", c.post(c.createUser))
	mux.Handle("GET /users/{id}", c.get(c.showUser))
	mux.Handle("POST /users/{id}", c.post(c.updateUser))
	mux.Handle("GET /users/{id}/delete", c.get(c.confirmDeleteUser))
	mux.Handle("POST /users/{id}/delete", c.post(c.deleteUser))
	mux.Handle("POST /users/{id}/password", c.post(c.resetUserPassword))
	mux.Handle("POST /users/{id}/suspension", c.post(c.setUserSuspended))
	mux.Handle("POST /users/{id}/roles", c.post(c.assignUserRole))
	mux.Handle("POST /users/{id}/roles/{roleId}/remove", c.post(c.removeUserRole))
	mux.Handle("GET /users/{id}/identities/{target}/remove", c.get(c.confirmRemoveIdentity))
	mux.Handle("POST /users/{id}/identities/{target}/remove", c.post(c.removeIdentity))
}

func (c *Console) listUsers(w http.ResponseWriter, r *http.Request, s *session) {
	var list []userJSON
	l, err := c.list(r, s, "/api/users", nil, &list)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "users", view{Title: "Users", Section: "users", Data: struct {
		List    []userJSON
		Listing listing
	}{list, l}})
}

func (c *Console) renderNewUser(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "user_new", view{Title: "Create a user", Section: "users", Data: f})
}

func (c *Console) newUser(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderNewUser(w, r, s, http.StatusOK, newForm(nil))
}

// userBody is the JSON of the identifier fields that the form filled in.
func userBody(f *form, names ...string) map[string]any {
	body := map[string]any{}
	for _, n := range names {
		if v := strings.TrimSpace(f.Get(n)); v != "" {
			body[n] = v
		}
	}
	return body
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	body := userBody(f, "username", "primaryEmail", "primaryPhone", "name")
	if f.Get("password") != "" {
		body["password"] = f.Get("password")
	}
	if body["username"] == nil && body["primaryEmail"] == nil && body["primaryPhone"] == nil {
		f.Errors["username"] = "Enter a username, an email address or a phone number."
		c.renderNewUser(w, r, s, http.StatusBadRequest, f)
		return
	}
	var u userJSON
	if _, err := c.call(r, s, http.MethodPost, "/api/users", body, &u); err != nil {
		c.failForm(w, r, s, err, f, userFields, func(status int) { c.renderNewUser(w, r, s, status, f) })
		return
	}
	c.redirectTo(w, r, "/users/"+url.PathEscape(u.ID), "User created.")
}

type identityRow struct {
	Target, ID, Kind string
}

type userPage struct {
	User       userJSON
	Form       *form
	Password   *form
	Roles      []roleJSON
	OtherRoles []option
	Identities []identityRow
}

func (c *Console) showUser(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderUser(w, r, s, http.StatusOK, nil, nil)
}

// renderUser shows a user; edit and pw, when not nil, are the posted
// forms with their errors.
func (c *Console) renderUser(w http.ResponseWriter, r *http.Request, s *session, status int, edit, pw *form) {
	userID := r.PathValue("id")
	base := "/api/users/" + url.PathEscape(userID)
	p := userPage{Form: edit, Password: pw}
	if _, err := c.call(r, s, http.MethodGet, base, nil, &p.User); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if p.Form == nil {
		p.Form = formOf(map[string]string{"username": deref(p.User.Username), "primaryEmail": deref(p.User.PrimaryEmail),
			"primaryPhone": deref(p.User.PrimaryPhone), "name": deref(p.User.Name)})
	}
	if p.Password == nil {
		p.Password = newForm(nil)
	}
	if _, err := c.call(r, s, http.MethodGet, base+"/roles?page_size=100", nil, &p.Roles); err != nil {
		c.fail(w, r, s, err)
		return
	}
	var other []roleJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/roles?type=User&page_size=100&excludeUserId="+url.QueryEscape(userID), nil, &other); err != nil {
		c.fail(w, r, s, err)
		return
	}
	for _, ro := range other {
		p.OtherRoles = append(p.OtherRoles, option{ro.ID, ro.Name})
	}
	var ids struct {
		Social []struct {
			Target   string `json:"target"`
			Identity struct {
				UserID string `json:"userId"`
			} `json:"identity"`
		} `json:"socialIdentities"`
		SSO []struct {
			Identity struct {
				Issuer     string `json:"issuer"`
				IdentityID string `json:"identityId"`
			} `json:"ssoIdentity"`
		} `json:"ssoIdentities"`
	}
	if _, err := c.call(r, s, http.MethodGet, base+"/all-identities", nil, &ids); err != nil {
		c.fail(w, r, s, err)
		return
	}
	for _, i := range ids.Social {
		p.Identities = append(p.Identities, identityRow{Target: i.Target, ID: i.Identity.UserID, Kind: "social"})
	}
	for _, i := range ids.SSO {
		p.Identities = append(p.Identities, identityRow{Target: i.Identity.Issuer, ID: i.Identity.IdentityID, Kind: "sso"})
	}
	c.render(w, r, s, status, "user", view{Title: p.User.Label(), Section: "users", Data: p})
}

func (c *Console) updateUser(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	body := map[string]any{}
	// An emptied field clears the identifier (null), as the API does.
	for _, n := range []string{"username", "primaryEmail", "primaryPhone", "name"} {
		if v := strings.TrimSpace(f.Get(n)); v != "" {
			body[n] = v
		} else {
			body[n] = nil
		}
	}
	userID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodPatch, "/api/users/"+url.PathEscape(userID), body, nil); err != nil {
		c.failForm(w, r, s, err, f, userFields, func(status int) { c.renderUser(w, r, s, status, f, nil) })
		return
	}
	c.redirectTo(w, r, "/users/"+url.PathEscape(userID), "Changes saved.")
}

func (c *Console) resetUserPassword(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	userID := r.PathValue("id")
	if f.Get("password") == "" {
		f.Errors["password"] = "Enter the new password."
		c.renderUser(w, r, s, http.StatusBadRequest, nil, f)
		return
	}
	if _, err := c.call(r, s, http.MethodPatch, "/api/users/"+url.PathEscape(userID)+"/password", map[string]any{"password": f.Get("password")}, nil); err != nil {
		c.failForm(w, r, s, err, f, userFields, func(status int) { c.renderUser(w, r, s, status, nil, f) })
		return
	}
	c.redirectTo(w, r, "/users/"+url.PathEscape(userID), "Password changed.")
}

func (c *Console) setUserSuspended(w http.ResponseWriter, r *http.Request, s *session) {
	userID := r.PathValue("id")
	suspend := r.PostForm.Get("suspend") == "true"
	if _, err := c.call(r, s, http.MethodPatch, "/api/users/"+url.PathEscape(userID)+"/is-suspended", map[string]any{"isSuspended": suspend}, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	msg := "User reinstated."
	if suspend {
		msg = "User suspended: they cannot sign in, and their tokens no longer refresh."
	}
	c.redirectTo(w, r, "/users/"+url.PathEscape(userID), msg)
}

func (c *Console) confirmDeleteUser(w http.ResponseWriter, r *http.Request, s *session) {
	var u userJSON
	userID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodGet, "/api/users/"+url.PathEscape(userID), nil, &u); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "users", "Delete "+u.Label()+"?", confirmation{
		Message: "The user " + u.Label() + " (" + u.ID + "), their roles and identities are deleted. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete user", Back: "/users/" + url.PathEscape(userID)})
}

func (c *Console) deleteUser(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/users/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/users", "User deleted.")
}

func (c *Console) assignUserRole(w http.ResponseWriter, r *http.Request, s *session) {
	userID := r.PathValue("id")
	roleID := r.PostForm.Get("roleId")
	if roleID == "" {
		c.redirectTo(w, r, "/users/"+url.PathEscape(userID), "Choose a role to assign.")
		return
	}
	if _, err := c.call(r, s, http.MethodPost, "/api/users/"+url.PathEscape(userID)+"/roles", map[string]any{"roleIds": []string{roleID}}, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/users/"+url.PathEscape(userID), "Role assigned.")
}

func (c *Console) removeUserRole(w http.ResponseWriter, r *http.Request, s *session) {
	userID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodDelete, "/api/users/"+url.PathEscape(userID)+"/roles/"+url.PathEscape(r.PathValue("roleId")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/users/"+url.PathEscape(userID), "Role removed.")
}

func (c *Console) confirmRemoveIdentity(w http.ResponseWriter, r *http.Request, s *session) {
	userID, target := r.PathValue("id"), r.PathValue("target")
	c.confirm(w, r, s, "users", "Remove the "+target+" identity?", confirmation{
		Message: "The user can no longer sign in with " + target + " until they link it again.",
		Action:  r.URL.Path, Button: "Remove identity", Back: "/users/" + url.PathEscape(userID)})
}

func (c *Console) removeIdentity(w http.ResponseWriter, r *http.Request, s *session) {
	userID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodDelete, "/api/users/"+url.PathEscape(userID)+"/identities/"+url.PathEscape(r.PathValue("target")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/users/"+url.PathEscape(userID), "Identity removed.")
}
