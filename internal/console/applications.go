package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// secretCookie names an application secret to show once on the next view
// of its application: the application id and the secret's name, never
// the secret.
const secretCookie = "gatehouse-console-secret"

type appJSON struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Description        *string `json:"description"`
	Type               string  `json:"type"`
	Secret             string  `json:"secret"`
	IsThirdParty       bool    `json:"isThirdParty"`
	CreatedAt          int64   `json:"createdAt"`
	OIDCClientMetadata struct {
		RedirectURIs           []string `json:"redirectUris"`
		PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	} `json:"oidcClientMetadata"`
}

type secretJSON struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	CreatedAt int64  `json:"createdAt"`
	ExpiresAt *int64 `json:"expiresAt"`
}

type roleJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	CreatedAt   int64  `json:"createdAt"`
}

var appTypes = []option{
	{"Traditional", "Traditional web application"},
	{"SPA", "Single-page application"},
	{"Native", "Native application"},
	{"MachineToMachine", "Machine-to-machine"},
}

// appFields maps the API's fields and codes to the application forms'.
var appFields = fieldMap{
	"name": "name", "type": "type", "description": "description",
	"oidcClientMetadata.redirectUris":           "redirectUris",
	"oidcClientMetadata.postLogoutRedirectUris": "postLogoutRedirectUris",
	"redirectUris":                   "redirectUris",
	"postLogoutRedirectUris":         "postLogoutRedirectUris",
	"application.type_not_supported": "type",
}

func (c *Console) applicationRoutes(mux *http.ServeMux) {
	mux.Handle("GET /applications", c.get(c.listApplications))
	mux.Handle("GET /applications/new", c.get(c.newApplication))
	mux.Handle("POST /applications/new", c.post(c.createApplication))
	mux.Handle("GET /applications/{id}", c.get(c.showApplication))
	mux.Handle("POST /applications/{id}", c.post(c.updateApplication))
	mux.Handle("GET /applications/{id}/delete", c.get(c.confirmDeleteApplication))
	mux.Handle("POST /applications/{id}/delete", c.post(c.deleteApplication))
	mux.Handle("GET /applications/{id}/secrets/{name}/rotate", c.get(c.confirmRotateSecret))
	mux.Handle("POST /applications/{id}/secrets/{name}/rotate", c.post(c.rotateSecret))
	mux.Handle("POST /applications/{id}/roles", c.post(c.assignApplicationRole))
	mux.Handle("POST /applications/{id}/roles/{roleId}/remove", c.post(c.removeApplicationRole))
}

func (c *Console) listApplications(w http.ResponseWriter, r *http.Request, s *session) {
	var list []appJSON
	l, err := c.list(r, s, "/api/applications", nil, &list)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "apps", view{Title: "Applications", Section: "applications", Data: struct {
		List    []appJSON
		Listing listing
	}{list, l}})
}

func (c *Console) renderNewApplication(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "app_new", view{Title: "Create an application", Section: "applications", Data: struct {
		Form  *form
		Types []option
	}{f, appTypes}})
}

func (c *Console) newApplication(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(nil)
	f.Values["type"] = r.URL.Query().Get("type")
	if f.Values["type"] == "" {
		f.Values["type"] = "Traditional"
	}
	c.renderNewApplication(w, r, s, http.StatusOK, f)
}

func (c *Console) createApplication(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	name, typ := strings.TrimSpace(f.Get("name")), f.Get("type")
	if name == "" {
		f.Errors["name"] = "Enter a name."
	}
	if typ == "" {
		f.Errors["type"] = "Choose a type."
	}
	if len(f.Errors) > 0 {
		c.renderNewApplication(w, r, s, http.StatusBadRequest, f)
		return
	}
	body := map[string]any{"name": name, "type": typ}
	redirects, logouts := lines(f.Get("redirectUris")), lines(f.Get("postLogoutRedirectUris"))
	if len(redirects) > 0 || len(logouts) > 0 {
		body["oidcClientMetadata"] = map[string]any{"redirectUris": redirects, "postLogoutRedirectUris": logouts}
	}
	if d := strings.TrimSpace(f.Get("description")); d != "" {
		body["description"] = d
	}
	var app appJSON
	if _, err := c.call(r, s, http.MethodPost, "/api/applications", body, &app); err != nil {
		c.failForm(w, r, s, err, f, appFields, func(status int) { c.renderNewApplication(w, r, s, status, f) })
		return
	}
	if app.Secret != "" {
		c.showSecretOnce(w, r, app.ID, "Default secret")
	}
	c.redirectTo(w, r, "/applications/"+url.PathEscape(app.ID), "Application "+app.Name+" created.")
}

// showSecretOnce makes the next view of the application show one secret.
func (c *Console) showSecretOnce(w http.ResponseWriter, r *http.Request, appID, name string) {
	c.setCookie(w, r, secretCookie, url.QueryEscape(appID+"\n"+name), 120)
}

// takeSecret returns the name of the secret of appID to show now, and
// forgets it.
func (c *Console) takeSecret(w http.ResponseWriter, r *http.Request, appID string) string {
	ck, err := r.Cookie(secretCookie)
	if err != nil {
		return ""
	}
	c.setCookie(w, r, secretCookie, "", -1)
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	id, name, ok := strings.Cut(v, "\n")
	if !ok || id != appID {
		return ""
	}
	return name
}

type appPage struct {
	App     appJSON
	Form    *form
	Secrets []secretJSON
	// Shown is the secret shown once, "" when none.
	Shown      string
	ShownName  string
	Roles      []roleJSON
	OtherRoles []option
	Issuer     string
	Endpoint   string
}

func (c *Console) showApplication(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderApplication(w, r, s, http.StatusOK, nil)
}

// renderApplication shows an application; f, when not nil, is the edit
// form as posted, with its errors.
func (c *Console) renderApplication(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	appID := r.PathValue("id")
	base := "/api/applications/" + url.PathEscape(appID)
	var p appPage
	if _, err := c.call(r, s, http.MethodGet, base, nil, &p.App); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if f == nil {
		f = formOf(map[string]string{
			"name": p.App.Name, "description": deref(p.App.Description),
			"redirectUris":           strings.Join(p.App.OIDCClientMetadata.RedirectURIs, "\n"),
			"postLogoutRedirectUris": strings.Join(p.App.OIDCClientMetadata.PostLogoutRedirectURIs, "\n"),
		})
	}
	p.Form = f
	p.Issuer = strings.TrimSuffix(c.opt.Endpoint, "/") + "/oidc"
	p.Endpoint = c.opt.Endpoint
	if p.App.Type == "Traditional" || p.App.Type == "MachineToMachine" {
		if _, err := c.call(r, s, http.MethodGet, base+"/secrets", nil, &p.Secrets); err != nil {
			c.fail(w, r, s, err)
			return
		}
		if name := c.takeSecret(w, r, appID); name != "" {
			for _, sec := range p.Secrets {
				if sec.Name == name {
					p.Shown, p.ShownName = sec.Value, sec.Name
				}
			}
		}
	}
	if p.App.Type == "MachineToMachine" {
		if _, err := c.call(r, s, http.MethodGet, base+"/roles", nil, &p.Roles); err != nil {
			c.fail(w, r, s, err)
			return
		}
		var all []roleJSON
		if _, err := c.call(r, s, http.MethodGet, "/api/roles?type=MachineToMachine&page_size=100", nil, &all); err != nil {
			c.fail(w, r, s, err)
			return
		}
		held := map[string]bool{}
		for _, ro := range p.Roles {
			held[ro.ID] = true
		}
		for _, ro := range all {
			if !held[ro.ID] {
				p.OtherRoles = append(p.OtherRoles, option{ro.ID, ro.Name})
			}
		}
	}
	c.render(w, r, s, status, "app", view{Title: p.App.Name, Section: "applications", Data: p})
}

func (c *Console) updateApplication(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	if strings.TrimSpace(f.Get("name")) == "" {
		f.Errors["name"] = "Enter a name."
		c.renderApplication(w, r, s, http.StatusBadRequest, f)
		return
	}
	body := map[string]any{"name": strings.TrimSpace(f.Get("name")), "description": strings.TrimSpace(f.Get("description"))}
	if _, ok := r.PostForm["redirectUris"]; ok {
		body["oidcClientMetadata"] = map[string]any{"redirectUris": lines(f.Get("redirectUris")),
			"postLogoutRedirectUris": lines(f.Get("postLogoutRedirectUris"))}
	}
	appID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodPatch, "/api/applications/"+url.PathEscape(appID), body, nil); err != nil {
		c.failForm(w, r, s, err, f, appFields, func(status int) { c.renderApplication(w, r, s, status, f) })
		return
	}
	c.redirectTo(w, r, "/applications/"+url.PathEscape(appID), "Changes saved.")
}

func (c *Console) confirmDeleteApplication(w http.ResponseWriter, r *http.Request, s *session) {
	var app appJSON
	appID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodGet, "/api/applications/"+url.PathEscape(appID), nil, &app); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "applications", "Delete "+app.Name+"?", confirmation{
		Message: "The application " + app.Name + " (" + app.ID + ") and its secrets are deleted, and its users can no longer sign in to it. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete application", Back: "/applications/" + url.PathEscape(appID)})
}

func (c *Console) deleteApplication(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/applications/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/applications", "Application deleted.")
}

func (c *Console) confirmRotateSecret(w http.ResponseWriter, r *http.Request, s *session) {
	appID, name := r.PathValue("id"), r.PathValue("name")
	var app appJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/applications/"+url.PathEscape(appID), nil, &app); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "applications", "Rotate the secret "+name+"?", confirmation{
		Message: "A new secret replaces " + name + " of " + app.Name + ". The old one stops working at once: update every service that uses it.",
		Action:  r.URL.Path, Button: "Rotate secret", Back: "/applications/" + url.PathEscape(appID)})
}

// rotateSecret replaces a secret by a new one of the same name: add the
// new one under a temporary name, delete the old one, then rename.
func (c *Console) rotateSecret(w http.ResponseWriter, r *http.Request, s *session) {
	appID, name := r.PathValue("id"), r.PathValue("name")
	base := "/api/applications/" + url.PathEscape(appID) + "/secrets"
	temp := fmt.Sprintf("%s (rotated %d)", name, c.now().UnixMilli())
	if _, err := c.call(r, s, http.MethodPost, base, map[string]any{"name": temp}, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if _, err := c.call(r, s, http.MethodDelete, base+"/"+url.PathEscape(name), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if _, err := c.call(r, s, http.MethodPatch, base+"/"+url.PathEscape(temp), map[string]any{"name": name}, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.showSecretOnce(w, r, appID, name)
	c.redirectTo(w, r, "/applications/"+url.PathEscape(appID), "Secret rotated. Copy the new secret now: it is not shown again.")
}

func (c *Console) assignApplicationRole(w http.ResponseWriter, r *http.Request, s *session) {
	appID := r.PathValue("id")
	roleID := r.PostForm.Get("roleId")
	if roleID == "" {
		c.redirectTo(w, r, "/applications/"+url.PathEscape(appID), "Choose a role to assign.")
		return
	}
	if _, err := c.call(r, s, http.MethodPost, "/api/applications/"+url.PathEscape(appID)+"/roles", map[string]any{"roleIds": []string{roleID}}, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/applications/"+url.PathEscape(appID), "Role assigned.")
}

func (c *Console) removeApplicationRole(w http.ResponseWriter, r *http.Request, s *session) {
	appID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodDelete, "/api/applications/"+url.PathEscape(appID)+"/roles/"+url.PathEscape(r.PathValue("roleId")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/applications/"+url.PathEscape(appID), "Role removed.")
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
