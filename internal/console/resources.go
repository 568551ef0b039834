package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

type resourceJSON struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Indicator      string      `json:"indicator"`
	IsDefault      bool        `json:"isDefault"`
	AccessTokenTTL int         `json:"accessTokenTtl"`
	Scopes         []scopeJSON `json:"scopes"`
}

type scopeJSON struct {
	ID          string  `json:"id"`
	ResourceID  string  `json:"resourceId"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   int64   `json:"createdAt"`
}

// managementIndicator is the built-in Management API resource, which the
// API refuses to change.
const managementIndicator = "https://default.logto.app/api"

var resourceFields = fieldMap{
	"name": "name", "indicator": "indicator", "accessTokenTtl": "accessTokenTtl",
	"resource.resource_identifier_in_use": "indicator",
}

var scopeFields = fieldMap{
	"name": "scopeName", "description": "scopeDescription",
	"scope.name_exists": "scopeName", "scope.name_with_space": "scopeName",
}

func (c *Console) resourceRoutes(mux *http.ServeMux) {
	mux.Handle("GET /resources", c.get(c.listResources))
	mux.Handle("GET /resources/new", c.get(c.newResource))
	mux.Handle("POST /resources/new", c.post(c.createResource))
	mux.Handle("GET /resources/{id}", c.get(c.showResource))
	mux.Handle("POST /resources/{id}", c.post(c.updateResource))
	mux.Handle("GET /resources/{id}/delete", c.get(c.confirmDeleteResource))
	mux.Handle("POST /resources/{id}/delete", c.post(c.deleteResource))
	mux.Handle("POST /resources/{id}/default", c.post(c.setDefaultResource))
	mux.Handle("POST /resources/{id}/scopes", c.post(c.createScope))
	mux.Handle("GET /resources/{id}/scopes/{scopeId}/delete", c.get(c.confirmDeleteScope))
	mux.Handle("POST /resources/{id}/scopes/{scopeId}/delete", c.post(c.deleteScope))
}

func (c *Console) listResources(w http.ResponseWriter, r *http.Request, s *session) {
	var list []resourceJSON
	l, err := c.list(r, s, "/api/resources", nil, &list)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "resources", view{Title: "API resources", Section: "resources", Data: struct {
		List    []resourceJSON
		Listing listing
	}{list, l}})
}

func (c *Console) renderNewResource(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "resource_new", view{Title: "Create an API resource", Section: "resources", Data: f})
}

func (c *Console) newResource(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderNewResource(w, r, s, http.StatusOK, formOf(map[string]string{"accessTokenTtl": "3600"}))
}

// resourceBody reads the name and token lifetime fields of a form.
func resourceBody(f *form) map[string]any {
	body := map[string]any{}
	if strings.TrimSpace(f.Get("name")) == "" {
		f.Errors["name"] = "Enter a name."
	} else {
		body["name"] = strings.TrimSpace(f.Get("name"))
	}
	if v := strings.TrimSpace(f.Get("accessTokenTtl")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Errors["accessTokenTtl"] = "Enter a whole number of seconds."
		} else {
			body["accessTokenTtl"] = n
		}
	}
	return body
}

func (c *Console) createResource(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	body := resourceBody(f)
	if ind := strings.TrimSpace(f.Get("indicator")); ind == "" {
		f.Errors["indicator"] = "Enter the API identifier, for example https://api.example.com."
	} else {
		body["indicator"] = ind
	}
	if len(f.Errors) > 0 {
		c.renderNewResource(w, r, s, http.StatusBadRequest, f)
		return
	}
	var res resourceJSON
	if _, err := c.call(r, s, http.MethodPost, "/api/resources", body, &res); err != nil {
		c.failForm(w, r, s, err, f, resourceFields, func(status int) { c.renderNewResource(w, r, s, status, f) })
		return
	}
	c.redirectTo(w, r, "/resources/"+url.PathEscape(res.ID), "API resource "+res.Name+" created.")
}

type resourcePage struct {
	Resource   resourceJSON
	Form       *form
	Scope      *form
	Scopes     []scopeJSON
	Management bool
}

func (c *Console) showResource(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderResource(w, r, s, http.StatusOK, nil, nil)
}

func (c *Console) renderResource(w http.ResponseWriter, r *http.Request, s *session, status int, edit, scope *form) {
	base := "/api/resources/" + url.PathEscape(r.PathValue("id"))
	p := resourcePage{Form: edit, Scope: scope}
	if _, err := c.call(r, s, http.MethodGet, base, nil, &p.Resource); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if _, err := c.call(r, s, http.MethodGet, base+"/scopes", nil, &p.Scopes); err != nil {
		c.fail(w, r, s, err)
		return
	}
	p.Management = p.Resource.Indicator == managementIndicator
	if p.Form == nil {
		p.Form = formOf(map[string]string{"name": p.Resource.Name, "accessTokenTtl": strconv.Itoa(p.Resource.AccessTokenTTL)})
	}
	if p.Scope == nil {
		p.Scope = newForm(nil)
	}
	c.render(w, r, s, status, "resource", view{Title: p.Resource.Name, Section: "resources", Data: p})
}

func (c *Console) updateResource(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	body := resourceBody(f)
	if len(f.Errors) > 0 {
		c.renderResource(w, r, s, http.StatusBadRequest, f, nil)
		return
	}
	resID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodPatch, "/api/resources/"+url.PathEscape(resID), body, nil); err != nil {
		c.failForm(w, r, s, err, f, resourceFields, func(status int) { c.renderResource(w, r, s, status, f, nil) })
		return
	}
	c.redirectTo(w, r, "/resources/"+url.PathEscape(resID), "Changes saved.")
}

func (c *Console) setDefaultResource(w http.ResponseWriter, r *http.Request, s *session) {
	resID := r.PathValue("id")
	isDefault := r.PostForm.Get("isDefault") == "true"
	if _, err := c.call(r, s, http.MethodPatch, "/api/resources/"+url.PathEscape(resID)+"/is-default", map[string]any{"isDefault": isDefault}, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/resources/"+url.PathEscape(resID), "Default API resource changed.")
}

func (c *Console) confirmDeleteResource(w http.ResponseWriter, r *http.Request, s *session) {
	var res resourceJSON
	resID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodGet, "/api/resources/"+url.PathEscape(resID), nil, &res); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "resources", "Delete "+res.Name+"?", confirmation{
		Message: "The API resource " + res.Indicator + " and its permissions are deleted, and roles lose them. Tokens for it can no longer be issued. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete API resource", Back: "/resources/" + url.PathEscape(resID)})
}

func (c *Console) deleteResource(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/resources/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/resources", "API resource deleted.")
}

func (c *Console) createScope(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	resID := r.PathValue("id")
	name := strings.TrimSpace(f.Get("scopeName"))
	if name == "" {
		f.Errors["scopeName"] = "Enter the permission's name, for example read:orders."
		c.renderResource(w, r, s, http.StatusBadRequest, nil, f)
		return
	}
	body := map[string]any{"name": name, "description": strings.TrimSpace(f.Get("scopeDescription"))}
	if _, err := c.call(r, s, http.MethodPost, "/api/resources/"+url.PathEscape(resID)+"/scopes", body, nil); err != nil {
		c.failForm(w, r, s, err, f, scopeFields, func(status int) { c.renderResource(w, r, s, status, nil, f) })
		return
	}
	c.redirectTo(w, r, "/resources/"+url.PathEscape(resID), "Permission "+name+" added.")
}

func (c *Console) confirmDeleteScope(w http.ResponseWriter, r *http.Request, s *session) {
	resID := r.PathValue("id")
	c.confirm(w, r, s, "resources", "Delete this permission?", confirmation{
		Message: "Roles that grant this permission lose it, and new tokens no longer carry it. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete permission", Back: "/resources/" + url.PathEscape(resID)})
}

func (c *Console) deleteScope(w http.ResponseWriter, r *http.Request, s *session) {
	resID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodDelete, "/api/resources/"+url.PathEscape(resID)+"/scopes/"+url.PathEscape(r.PathValue("scopeId")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/resources/"+url.PathEscape(resID), "Permission deleted.")
}
