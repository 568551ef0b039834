package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

type factoryJSON struct {
	ID             string            `json:"id"`
	Type           string            `json:"type"`
	Target         string            `json:"target"`
	Name           map[string]string `json:"name"`
	Description    map[string]string `json:"description"`
	ConfigTemplate string            `json:"configTemplate"`
	IsStandard     bool              `json:"isStandard"`
	Platform       *string           `json:"platform"`
}

// Label is the factory's English name, with its platform when it has
// one (WeChat has a web and a native factory).
func (f factoryJSON) Label() string {
	n := f.Name["en"]
	if n == "" {
		n = f.ID
	}
	if f.Platform != nil && *f.Platform != "" && *f.Platform != "Universal" {
		n += " (" + *f.Platform + ")"
	}
	return n
}

type connectorJSON struct {
	ID          string            `json:"id"`
	ConnectorID string            `json:"connectorId"`
	Type        string            `json:"type"`
	Target      string            `json:"target"`
	Name        map[string]string `json:"name"`
	SyncProfile bool              `json:"syncProfile"`
	Config      json.RawMessage   `json:"config"`
}

// Label is the connector's English name.
func (c connectorJSON) Label() string {
	if n := c.Name["en"]; n != "" {
		return n
	}
	return c.ConnectorID
}

var connectorFields = fieldMap{
	"config": "config", "connectorId": "connectorId", "id": "config",
	"connector.multiple_instances_not_supported": "connectorId",
	"connector.not_found_with_connector_id":      "connectorId",
}

func (c *Console) connectorRoutes(mux *http.ServeMux) {
	mux.Handle("GET /connectors", c.get(c.listConnectors))
	mux.Handle("GET /connectors/new", c.get(c.newConnector))
	mux.Handle("POST /connectors/new", c.post(c.createConnector))
	mux.Handle("GET /connectors/{id}", c.get(c.showConnector))
	mux.Handle("POST /connectors/{id}", c.post(c.updateConnector))
	mux.Handle("GET /connectors/{id}/delete", c.get(c.confirmDeleteConnector))
	mux.Handle("POST /connectors/{id}/delete", c.post(c.deleteConnector))
	c.ssoRoutes(mux)
}

// callbackURL is where an identity provider sends users back to.
func (c *Console) callbackURL(connectorID string) string {
	return strings.TrimSuffix(c.opt.Endpoint, "/") + "/callback/" + url.PathEscape(connectorID)
}

type connectorRow struct {
	connectorJSON
	Callback string
}

func (c *Console) listConnectors(w http.ResponseWriter, r *http.Request, s *session) {
	var list []connectorJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/connectors", nil, &list); err != nil {
		c.fail(w, r, s, err)
		return
	}
	var factories []factoryJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/connector-factories", nil, &factories); err != nil {
		c.fail(w, r, s, err)
		return
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	var social, passwordless []connectorRow
	for _, conn := range list {
		if q != "" && !strings.Contains(strings.ToLower(conn.Label()+" "+conn.ConnectorID+" "+conn.ID), q) {
			continue
		}
		row := connectorRow{connectorJSON: conn}
		if conn.Type == "Social" {
			row.Callback = c.callbackURL(conn.ID)
			social = append(social, row)
		} else {
			passwordless = append(passwordless, row)
		}
	}
	sso, ssoOK, err := c.listSSO(r, s, q)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "connectors", view{Title: "Connectors", Section: "connectors", Data: struct {
		Social, Passwordless []connectorRow
		Factories            []factoryJSON
		SSO                  []ssoRow
		SSOAvailable         bool
		Listing              listing
	}{social, passwordless, factories, sso, ssoOK, listing{Q: r.URL.Query().Get("q")}}})
}

type connectorForm struct {
	Form    *form
	Factory factoryJSON
}

func (c *Console) renderNewConnector(w http.ResponseWriter, r *http.Request, s *session, status int, f *form, fac factoryJSON) {
	c.render(w, r, s, status, "connector_new", view{Title: "Add " + fac.Label(), Section: "connectors", Data: connectorForm{f, fac}})
}

func (c *Console) factory(r *http.Request, s *session, factoryID string) (factoryJSON, error) {
	var fac factoryJSON
	_, err := c.call(r, s, http.MethodGet, "/api/connector-factories/"+url.PathEscape(factoryID), nil, &fac)
	return fac, err
}

func (c *Console) newConnector(w http.ResponseWriter, r *http.Request, s *session) {
	fac, err := c.factory(r, s, r.URL.Query().Get("factory"))
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	tmpl := fac.ConfigTemplate
	if tmpl == "" {
		tmpl = "{}"
	}
	c.renderNewConnector(w, r, s, http.StatusOK, formOf(map[string]string{"connectorId": fac.ID, "config": indentJSON(tmpl)}), fac)
}

// configOf parses the config textarea, noting an error on the form.
func configOf(f *form) json.RawMessage {
	raw := strings.TrimSpace(f.Get("config"))
	if raw == "" {
		raw = "{}"
	}
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil || m == nil {
		f.Errors["config"] = "Enter the settings as a JSON object, for example {\"host\": \"smtp.example.com\"}."
		return nil
	}
	return json.RawMessage(raw)
}

func (c *Console) createConnector(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	fac, err := c.factory(r, s, f.Get("connectorId"))
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	config := configOf(f)
	if len(f.Errors) > 0 {
		c.renderNewConnector(w, r, s, http.StatusBadRequest, f, fac)
		return
	}
	body := map[string]any{"connectorId": fac.ID, "config": config}
	if fac.Type == "Social" {
		body["syncProfile"] = f.Get("syncProfile") == "true"
	}
	var conn connectorJSON
	if _, err := c.call(r, s, http.MethodPost, "/api/connectors", body, &conn); err != nil {
		c.failForm(w, r, s, err, f, connectorFields, func(status int) { c.renderNewConnector(w, r, s, status, f, fac) })
		return
	}
	c.redirectTo(w, r, "/connectors/"+url.PathEscape(conn.ID), "Connector "+conn.Label()+" added.")
}

type connectorPage struct {
	Connector connectorJSON
	Form      *form
	Callback  string
}

func (c *Console) showConnector(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderConnector(w, r, s, http.StatusOK, nil)
}

func (c *Console) renderConnector(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	var p connectorPage
	if _, err := c.call(r, s, http.MethodGet, "/api/connectors/"+url.PathEscape(r.PathValue("id")), nil, &p.Connector); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if f == nil {
		// Secrets come back masked; sending a masked value back keeps the
		// stored secret.
		f = formOf(map[string]string{"config": indentJSON(string(p.Connector.Config))})
		if p.Connector.SyncProfile {
			f.Values["syncProfile"] = "true"
		}
	}
	p.Form = f
	if p.Connector.Type == "Social" {
		p.Callback = c.callbackURL(p.Connector.ID)
	}
	c.render(w, r, s, status, "connector", view{Title: p.Connector.Label(), Section: "connectors", Data: p})
}

func (c *Console) updateConnector(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	config := configOf(f)
	if len(f.Errors) > 0 {
		c.renderConnector(w, r, s, http.StatusBadRequest, f)
		return
	}
	connID := r.PathValue("id")
	body := map[string]any{"config": config}
	if _, ok := r.PostForm["social"]; ok {
		body["syncProfile"] = f.Get("syncProfile") == "true"
	}
	if _, err := c.call(r, s, http.MethodPatch, "/api/connectors/"+url.PathEscape(connID), body, nil); err != nil {
		c.failForm(w, r, s, err, f, connectorFields, func(status int) { c.renderConnector(w, r, s, status, f) })
		return
	}
	c.redirectTo(w, r, "/connectors/"+url.PathEscape(connID), "Changes saved.")
}

func (c *Console) confirmDeleteConnector(w http.ResponseWriter, r *http.Request, s *session) {
	var conn connectorJSON
	connID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodGet, "/api/connectors/"+url.PathEscape(connID), nil, &conn); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "connectors", "Delete "+conn.Label()+"?", confirmation{
		Message: "The connector " + conn.Label() + " (" + conn.ID + ") and its settings are deleted. Sign-ins that depend on it stop working. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete connector", Back: "/connectors/" + url.PathEscape(connID)})
}

func (c *Console) deleteConnector(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/connectors/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/connectors", "Connector deleted.")
}

// indentJSON pretty-prints a JSON document for a textarea; text that is
// not JSON is returned as it is.
func indentJSON(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}
