package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

type hookJSON struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Events []string `json:"events"`
	Config struct {
		URL string `json:"url"`
	} `json:"config"`
	SigningKey     string `json:"signingKey"`
	Enabled        bool   `json:"enabled"`
	CreatedAt      int64  `json:"createdAt"`
	ExecutionStats *struct {
		SuccessCount int `json:"successCount"`
		RequestCount int `json:"requestCount"`
	} `json:"executionStats"`
}

type hookAttemptJSON struct {
	ID        string `json:"id"`
	CreatedAt int64  `json:"createdAt"`
	Payload   struct {
		Key      string `json:"key"`
		Result   string `json:"result"`
		Error    string `json:"error"`
		Attempt  int    `json:"attempt"`
		Response *struct {
			StatusCode int `json:"statusCode"`
		} `json:"response"`
	} `json:"payload"`
}

var hookFields = fieldMap{"name": "name", "events": "events", "config.url": "url", "config": "url", "enabled": "enabled"}

func (c *Console) hookRoutes(mux *http.ServeMux) {
	mux.Handle("GET /webhooks", c.get(c.listHooks))
	mux.Handle("GET /webhooks/new", c.get(c.newHook))
	mux.Handle("POST /webhooks/new", c.post(c.createHook))
	mux.Handle("GET /webhooks/{id}", c.get(c.showHook))
	mux.Handle("POST /webhooks/{id}", c.post(c.updateHook))
	mux.Handle("GET /webhooks/{id}/delete", c.get(c.confirmDeleteHook))
	mux.Handle("POST /webhooks/{id}/delete", c.post(c.deleteHook))
}

func (c *Console) listHooks(w http.ResponseWriter, r *http.Request, s *session) {
	var list []hookJSON
	l, err := c.list(r, s, "/api/hooks", url.Values{"includeExecutionStats": {"true"}}, &list)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	// The hooks API has no search: filter the page by name and URL.
	if q := strings.ToLower(l.Q); q != "" {
		kept := list[:0]
		for _, h := range list {
			if strings.Contains(strings.ToLower(h.Name+" "+h.Config.URL), q) {
				kept = append(kept, h)
			}
		}
		list = kept
	}
	c.render(w, r, s, http.StatusOK, "hooks", view{Title: "Webhooks", Section: "webhooks", Data: struct {
		List    []hookJSON
		Listing listing
	}{list, l}})
}

type hookForm struct {
	Form   *form
	Events []string
	// Checked is the set of events ticked on the form.
	Checked map[string]bool
}

func newHookForm(f *form, events []string) hookForm {
	checked := map[string]bool{}
	for _, e := range events {
		checked[e] = true
	}
	return hookForm{Form: f, Events: webhook.Events, Checked: checked}
}

func (c *Console) renderNewHook(w http.ResponseWriter, r *http.Request, s *session, status int, hf hookForm) {
	c.render(w, r, s, status, "hook_new", view{Title: "Create a webhook", Section: "webhooks", Data: hf})
}

func (c *Console) newHook(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderNewHook(w, r, s, http.StatusOK, newHookForm(formOf(map[string]string{"enabled": "true"}), nil))
}

// hookBody reads the hook form; a missing name or URL is noted on it.
func hookBody(r *http.Request, f *form) map[string]any {
	name, u := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("url"))
	if name == "" {
		f.Errors["name"] = "Enter a name."
	}
	if u == "" {
		f.Errors["url"] = "Enter the URL events are posted to."
	}
	events := r.PostForm["events"]
	if len(events) == 0 {
		f.Errors["events"] = "Choose at least one event."
	}
	return map[string]any{"name": name, "events": events, "config": map[string]any{"url": u}, "enabled": f.Get("enabled") == "true"}
}

func (c *Console) createHook(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	body := hookBody(r, f)
	hf := newHookForm(f, r.PostForm["events"])
	if len(f.Errors) > 0 {
		c.renderNewHook(w, r, s, http.StatusBadRequest, hf)
		return
	}
	var h hookJSON
	if _, err := c.call(r, s, http.MethodPost, "/api/hooks", body, &h); err != nil {
		c.failForm(w, r, s, err, f, hookFields, func(status int) { c.renderNewHook(w, r, s, status, hf) })
		return
	}
	c.redirectTo(w, r, "/webhooks/"+url.PathEscape(h.ID), "Webhook "+h.Name+" created.")
}

type hookPage struct {
	Fields   hookForm
	Hook     hookJSON
	Attempts []hookAttemptJSON
}

func (c *Console) showHook(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderHook(w, r, s, http.StatusOK, nil, nil)
}

func (c *Console) renderHook(w http.ResponseWriter, r *http.Request, s *session, status int, f *form, events []string) {
	base := "/api/hooks/" + url.PathEscape(r.PathValue("id"))
	var p hookPage
	if _, err := c.call(r, s, http.MethodGet, base, nil, &p.Hook); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if _, err := c.call(r, s, http.MethodGet, base+"/recent-logs?page_size=20", nil, &p.Attempts); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if f == nil {
		f = formOf(map[string]string{"name": p.Hook.Name, "url": p.Hook.Config.URL, "enabled": boolValue(p.Hook.Enabled)})
		events = p.Hook.Events
	}
	p.Fields = newHookForm(f, events)
	c.render(w, r, s, status, "hook", view{Title: p.Hook.Name, Section: "webhooks", Data: p})
}

func (c *Console) updateHook(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	body := hookBody(r, f)
	if len(f.Errors) > 0 {
		c.renderHook(w, r, s, http.StatusBadRequest, f, r.PostForm["events"])
		return
	}
	hookID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodPatch, "/api/hooks/"+url.PathEscape(hookID), body, nil); err != nil {
		c.failForm(w, r, s, err, f, hookFields, func(status int) { c.renderHook(w, r, s, status, f, r.PostForm["events"]) })
		return
	}
	c.redirectTo(w, r, "/webhooks/"+url.PathEscape(hookID), "Changes saved.")
}

func (c *Console) confirmDeleteHook(w http.ResponseWriter, r *http.Request, s *session) {
	var h hookJSON
	hookID := r.PathValue("id")
	if _, err := c.call(r, s, http.MethodGet, "/api/hooks/"+url.PathEscape(hookID), nil, &h); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.confirm(w, r, s, "webhooks", "Delete "+h.Name+"?", confirmation{
		Message: "The webhook " + h.Name + " and its delivery history are deleted; events no longer go to " + h.Config.URL + ". This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete webhook", Back: "/webhooks/" + url.PathEscape(hookID)})
}

func (c *Console) deleteHook(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/hooks/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/webhooks", "Webhook deleted.")
}
