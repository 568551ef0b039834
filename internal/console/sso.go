package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Enterprise SSO connectors (/api/sso-connectors). The pages show whatever
// the Management API serves: on a server without that API family they say
// so instead of failing.

type ssoJSON struct {
	ID            string          `json:"id"`
	ProviderName  string          `json:"providerName"`
	ConnectorName string          `json:"connectorName"`
	Domains       []string        `json:"domains"`
	Config        json.RawMessage `json:"config"`
	CreatedAt     int64           `json:"createdAt"`
}

type ssoRow struct {
	ssoJSON
	Callback string
}

var ssoProviders = []option{
	{"OIDC", "OpenID Connect"}, {"SAML", "SAML"}, {"AzureAdOidc", "Microsoft Entra ID (OIDC)"},
	{"AzureAD", "Microsoft Entra ID (SAML)"}, {"GoogleWorkspace", "Google Workspace"}, {"Okta", "Okta"},
}

var ssoFields = fieldMap{
	"providerName": "providerName", "connectorName": "connectorName", "config": "config", "domains": "domains",
	"single_sign_on.duplicate_connector_name": "connectorName",
	"single_sign_on.forbidden_domains":        "domains",
	"single_sign_on.duplicated_domains":       "domains",
	"single_sign_on.invalid_domain_format":    "domains",
	"connector.not_found":                     "providerName",
}

func (c *Console) ssoRoutes(mux *http.ServeMux) {
	mux.Handle("GET /sso-connectors/new", c.get(c.newSSO))
	mux.Handle("POST /sso-connectors/new", c.post(c.createSSO))
	mux.Handle("GET /sso-connectors/{id}", c.get(c.showSSO))
	mux.Handle("GET /sso-connectors/{id}/delete", c.get(c.confirmDeleteSSO))
	mux.Handle("POST /sso-connectors/{id}/delete", c.post(c.deleteSSO))
}

// noRoute reports an API answer that says the route does not exist (as
// opposed to a missing record).
func noRoute(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Code == "guard.invalid_input"
}

// listSSO lists the enterprise connectors matching q; ok is false when the
// server has no enterprise SSO API.
func (c *Console) listSSO(r *http.Request, s *session, q string) (rows []ssoRow, ok bool, err error) {
	var list []ssoJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/sso-connectors?page_size=100", nil, &list); noRoute(err) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	for _, sc := range list {
		if q != "" && !strings.Contains(strings.ToLower(sc.ConnectorName+" "+sc.ProviderName+" "+sc.ID), q) {
			continue
		}
		rows = append(rows, ssoRow{ssoJSON: sc, Callback: c.callbackURL(sc.ID)})
	}
	return rows, true, nil
}

func (c *Console) renderNewSSO(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "sso_new", view{Title: "Add an enterprise SSO connector", Section: "connectors", Data: struct {
		Form      *form
		Providers []option
	}{f, ssoProviders}})
}

func (c *Console) newSSO(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderNewSSO(w, r, s, http.StatusOK, formOf(map[string]string{"providerName": "OIDC",
		"config": "{\n  \"clientId\": \"\",\n  \"clientSecret\": \"\",\n  \"issuer\": \"\"\n}"}))
}

func (c *Console) createSSO(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	name := strings.TrimSpace(f.Get("connectorName"))
	if name == "" {
		f.Errors["connectorName"] = "Enter a name."
	}
	config := configOf(f)
	if len(f.Errors) > 0 {
		c.renderNewSSO(w, r, s, http.StatusBadRequest, f)
		return
	}
	body := map[string]any{"providerName": f.Get("providerName"), "connectorName": name, "config": config, "domains": lines(f.Get("domains"))}
	var sc ssoJSON
	if _, err := c.call(r, s, http.MethodPost, "/api/sso-connectors", body, &sc); err != nil {
		if noRoute(err) {
			c.errorPage(w, r, s, http.StatusNotFound, "Not available", "This server has no enterprise SSO yet.")
			return
		}
		c.failForm(w, r, s, err, f, ssoFields, func(status int) { c.renderNewSSO(w, r, s, status, f) })
		return
	}
	c.redirectTo(w, r, "/sso-connectors/"+url.PathEscape(sc.ID), "Enterprise connector "+sc.ConnectorName+" added.")
}

func (c *Console) showSSO(w http.ResponseWriter, r *http.Request, s *session) {
	var sc ssoJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/sso-connectors/"+url.PathEscape(r.PathValue("id")), nil, &sc); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "sso", view{Title: sc.ConnectorName, Section: "connectors",
		Data: ssoRow{ssoJSON: sc, Callback: c.callbackURL(sc.ID)}})
}

func (c *Console) confirmDeleteSSO(w http.ResponseWriter, r *http.Request, s *session) {
	var sc ssoJSON
	scID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodGet, "/api/sso-connectors/"+url.PathEscape(scID), nil, &sc); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "connectors", "Delete "+sc.ConnectorName+"?", confirmation{
		Message: "The enterprise connector " + sc.ConnectorName + " and its users' links to it are deleted. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete connector", Back: "/sso-connectors/" + url.PathEscape(scID)})
}

func (c *Console) deleteSSO(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/sso-connectors/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/connectors", "Enterprise connector deleted.")
}
