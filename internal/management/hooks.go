package management

import (
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

// Events configures the API's side of webhooks: what the events it emits
// say about the request, and how hook tests are sent.
type Events struct {
	// ClientIP returns the request's source address as the server trusts
	// it; nil means the connection's address.
	ClientIP func(*http.Request) string
	// Client sends hook tests; nil means webhook.DefaultClient().
	Client *http.Client
}

func (a *API) registerHooks() {
	a.handle("GET", "/api/hooks", "ListHooks", 200, "List hooks", a.listHooks)
	a.handle("POST", "/api/hooks", "CreateHook", 201, "Create a hook", a.createHook)
	a.handle("GET", "/api/hooks/{id}", "GetHook", 200, "Get a hook", a.getHook)
	a.handle("PATCH", "/api/hooks/{id}", "UpdateHook", 200, "Update a hook", a.updateHook)
	a.handle("DELETE", "/api/hooks/{id}", "DeleteHook", 204, "Delete a hook", a.deleteHook)
	a.handle("GET", "/api/hooks/{id}/recent-logs", "ListHookRecentLogs", 200, "List a hook's recent delivery attempts", a.listHookRecentLogs)
	a.handle("POST", "/api/hooks/{id}/test", "CreateHookTest", 204, "Send test events to a hook", a.createHookTest)
	a.handle("PATCH", "/api/hooks/{id}/signing-key", "UpdateHookSigningKey", 200, "Regenerate a hook's signing key", a.updateHookSigningKey)
}

// emit enqueues a data event about this request in tx, the transaction of
// the change it reports. status is the answer the request is about to get.
func (a *API) emit(r *http.Request, tx store.Store, event string, status int, data any) error {
	ip := ""
	if a.events.ClientIP != nil {
		ip = a.events.ClientIP(r)
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = host
	}
	// Logto's API router is mounted at /api: its payloads carry the path
	// and the route below it, /users/abc and /users/:userId.
	ev := webhook.Event{Name: event, At: a.now(), UserAgent: r.UserAgent(), IP: ip,
		Path: strings.TrimPrefix(r.URL.Path, "/api"), Method: r.Method, Status: status, Data: data}
	if _, pattern, ok := strings.Cut(r.Pattern, " "); ok {
		route := strings.TrimPrefix(pattern, "/api")
		for _, name := range pathParams(pattern) {
			route = strings.Replace(route, "{"+name+"}", ":"+name, 1)
			if ev.Params == nil {
				ev.Params = map[string]string{}
			}
			ev.Params[name] = r.PathValue(name)
		}
		ev.MatchedRoute = route
	}
	return webhook.Enqueue(r.Context(), tx, ev)
}

// hookJSON is Logto's Hook.
type hookJSON struct {
	TenantID       string           `json:"tenantId"`
	ID             string           `json:"id"`
	Name           string           `json:"name"`
	Event          *string          `json:"event"`
	Events         []string         `json:"events"`
	Config         store.HookConfig `json:"config"`
	SigningKey     string           `json:"signingKey"`
	Enabled        bool             `json:"enabled"`
	CreatedAt      int64            `json:"createdAt"`
	ExecutionStats *hookStatsJSON   `json:"executionStats,omitempty"`
}

type hookStatsJSON struct {
	SuccessCount int `json:"successCount"`
	RequestCount int `json:"requestCount"`
}

func (a *API) toHookJSON(h *store.Hook) (hookJSON, error) {
	key, err := a.sealer.Open(h.SealedSigningKey)
	if err != nil {
		return hookJSON{}, err
	}
	j := hookJSON{TenantID: tenantID, ID: h.ID, Name: h.Name, Events: h.Events, Config: h.Config,
		SigningKey: string(key), Enabled: h.Enabled, CreatedAt: h.CreatedAt}
	if j.Events == nil {
		j.Events = []string{}
	}
	if h.Event != "" {
		j.Event = &h.Event
	}
	return j, nil
}

// withStats adds the last 24 hours' execution stats to hooks when the
// request asks for them.
func (a *API) withStats(r *http.Request, hooks []hookJSON) error {
	if !truthy(r.URL.Query().Get("includeExecutionStats")) {
		return nil
	}
	stats, err := a.store.HookStats(r.Context(), a.now().Add(-24*time.Hour).UnixMilli())
	if err != nil {
		return err
	}
	for i := range hooks {
		s := stats[hooks[i].ID]
		hooks[i].ExecutionStats = &hookStatsJSON{SuccessCount: s.SuccessCount, RequestCount: s.RequestCount}
	}
	return nil
}

func (a *API) hookByID(r *http.Request, st store.Store) (*store.Hook, error) {
	hookID := r.PathValue("id")
	h, err := st.GetHook(r.Context(), hookID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("hook", hookID)
	}
	return h, err
}

func (a *API) listHooks(w http.ResponseWriter, r *http.Request) error {
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	list, total, err := a.store.ListHooks(r.Context(), page)
	if err != nil {
		return err
	}
	out := make([]hookJSON, 0, len(list))
	for i := range list {
		j, err := a.toHookJSON(&list[i])
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	if err := a.withStats(r, out); err != nil {
		return err
	}
	return writeList(w, out, total, paged)
}

func (a *API) getHook(w http.ResponseWriter, r *http.Request) error {
	h, err := a.hookByID(r, a.store)
	if err != nil {
		return err
	}
	j, err := a.toHookJSON(h)
	if err != nil {
		return err
	}
	out := []hookJSON{j}
	if err := a.withStats(r, out); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out[0])
	return nil
}

// hookBody is what CreateHook and UpdateHook accept.
type hookBody struct {
	Name    *string         `json:"name"`
	Event   *string         `json:"event"`
	Events  *[]string       `json:"events"`
	Config  *hookConfigBody `json:"config"`
	Enabled *bool           `json:"enabled"`
}

type hookConfigBody struct {
	URL     *string           `json:"url"`
	Headers map[string]string `json:"headers"`
	Retries *float64          `json:"retries"`
}

// hookEvents checks an events list: non-empty, every name one of Logto's.
func hookEvents(field string, events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, invalid(field, "must list at least one event")
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		if !webhook.Known(e) {
			return nil, invalid(field, "unknown event "+strconv.Quote(e))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// hookConfig checks a config: an absolute http(s) URL (loopback and
// private addresses included, as in Logto), string headers, and Logto's
// deprecated retries from 0 to 3.
func hookConfig(field string, c *hookConfigBody) (store.HookConfig, error) {
	if c == nil {
		return store.HookConfig{}, invalid(field, "expected object")
	}
	if c.URL == nil {
		return store.HookConfig{}, invalid(field+".url", "is required")
	}
	u, err := url.Parse(*c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return store.HookConfig{}, invalid(field+".url", "must be an absolute http or https URL")
	}
	cfg := store.HookConfig{URL: *c.URL}
	if len(c.Headers) > 0 {
		cfg.Headers = map[string]string{}
		for k, v := range c.Headers {
			if k == "" || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
				return store.HookConfig{}, invalid(field+".headers", "invalid header "+strconv.Quote(k))
			}
			cfg.Headers[k] = v
		}
	}
	if c.Retries != nil {
		n := *c.Retries
		if n != math.Trunc(n) || n < 0 || n > 3 {
			return store.HookConfig{}, invalid(field+".retries", "must be an integer from 0 to 3")
		}
		r := int(n)
		cfg.Retries = &r
	}
	return cfg, nil
}

func hookName(name *string) (string, error) {
	if name == nil {
		return "", invalid("name", "expected string, got null")
	}
	if len([]rune(*name)) > 256 {
		return "", invalid("name", "must be at most 256 characters")
	}
	return *name, nil
}

// newSigningKey returns a fresh signing key, sealed for the store, and in the clear.
func (a *API) newSigningKey() (sealed, plain string, err error) {
	plain = id.Secret(32)
	sealed, err = a.sealer.Seal([]byte(plain))
	return sealed, plain, err
}

func (a *API) createHook(w http.ResponseWriter, r *http.Request) error {
	var body hookBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	h := &store.Hook{ID: id.New(id.RecordLength), Enabled: true, CreatedAt: a.now().UnixMilli()}
	if seen["name"] {
		if h.Name, err = hookName(body.Name); err != nil {
			return err
		}
	}
	if body.Event != nil {
		if !webhook.Known(*body.Event) {
			return invalid("event", "unknown event "+strconv.Quote(*body.Event))
		}
		h.Event = *body.Event
	}
	if body.Events != nil {
		if h.Events, err = hookEvents("events", *body.Events); err != nil {
			return err
		}
	} else if h.Event != "" {
		h.Events = []string{h.Event}
	}
	if len(h.Events) == 0 {
		return &Error{Status: http.StatusBadRequest, Code: "hook.missing_events", Message: "You need to provide at least one event.",
			Data: map[string]string{"field": "events"}}
	}
	if h.Config, err = hookConfig("config", body.Config); err != nil {
		return err
	}
	if seen["enabled"] {
		if body.Enabled == nil {
			return invalid("enabled", "expected boolean, got null")
		}
		h.Enabled = *body.Enabled
	}
	if h.SealedSigningKey, _, err = a.newSigningKey(); err != nil {
		return err
	}
	if err := a.store.CreateHook(r.Context(), h); err != nil {
		return err
	}
	j, err := a.toHookJSON(h)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, j)
	return nil
}

func (a *API) updateHook(w http.ResponseWriter, r *http.Request) error {
	var body hookBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	var name string
	if seen["name"] {
		if name, err = hookName(body.Name); err != nil {
			return err
		}
	}
	if body.Event != nil && !webhook.Known(*body.Event) {
		return invalid("event", "unknown event "+strconv.Quote(*body.Event))
	}
	var events []string
	if seen["events"] {
		if body.Events == nil {
			return invalid("events", "expected array, got null")
		}
		if events, err = hookEvents("events", *body.Events); err != nil {
			return err
		}
	}
	var cfg store.HookConfig
	if seen["config"] {
		if cfg, err = hookConfig("config", body.Config); err != nil {
			return err
		}
	}
	if seen["enabled"] && body.Enabled == nil {
		return invalid("enabled", "expected boolean, got null")
	}
	var result *store.Hook
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		h, err := a.hookByID(r, tx)
		if err != nil {
			return err
		}
		if seen["name"] {
			h.Name = name
		}
		if seen["event"] {
			h.Event = ""
			if body.Event != nil {
				h.Event = *body.Event
			}
		}
		if seen["events"] {
			h.Events = events
		}
		if seen["config"] {
			h.Config = cfg
		}
		if seen["enabled"] {
			h.Enabled = *body.Enabled
		}
		result = h
		return tx.UpdateHook(r.Context(), h)
	})
	if err != nil {
		return err
	}
	j, err := a.toHookJSON(result)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (a *API) deleteHook(w http.ResponseWriter, r *http.Request) error {
	hookID := r.PathValue("id")
	return deleted(w, a.store.DeleteHook(r.Context(), hookID), "hook", hookID)
}

func (a *API) updateHookSigningKey(w http.ResponseWriter, r *http.Request) error {
	var result *store.Hook
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		h, err := a.hookByID(r, tx)
		if err != nil {
			return err
		}
		if h.SealedSigningKey, _, err = a.newSigningKey(); err != nil {
			return err
		}
		result = h
		return tx.UpdateHook(r.Context(), h)
	})
	if err != nil {
		return err
	}
	j, err := a.toHookJSON(result)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// createHookTest posts a made-up payload of each event to the config of
// the body, signed with the hook's key, and reports the first failure.
func (a *API) createHookTest(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Events *[]string       `json:"events"`
		Config *hookConfigBody `json:"config"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Events == nil {
		return invalid("events", "is required")
	}
	events, err := hookEvents("events", *body.Events)
	if err != nil {
		return err
	}
	cfg, err := hookConfig("config", body.Config)
	if err != nil {
		return err
	}
	h, err := a.hookByID(r, a.store)
	if err != nil {
		return err
	}
	key, err := a.sealer.Open(h.SealedSigningKey)
	if err != nil {
		return err
	}
	results := make([]webhook.Result, len(events))
	var wg sync.WaitGroup
	for i, ev := range events {
		wg.Go(func() {
			results[i] = webhook.Send(r.Context(), a.events.Client, cfg, string(key), webhook.TestPayload(h.ID, ev, a.now()))
		})
	}
	wg.Wait()
	for _, res := range results {
		switch {
		case res.OK():
		case res.StatusCode != 0:
			return &Error{Status: http.StatusUnprocessableEntity, Code: "hook.endpoint_responded_with_error",
				Message: "The endpoint answered with status " + strconv.Itoa(res.StatusCode) + ".",
				Data:    map[string]any{"responseStatus": res.StatusCode, "responseBody": string(res.Body)}}
		default:
			return &Error{Status: http.StatusUnprocessableEntity, Code: "hook.send_test_payload_failed",
				Message: "Sending the test payload failed: " + res.Err.Error()}
		}
	}
	return noContent(w)
}

// hookLogJSON is Logto's log entry for a hook request (key TriggerHook.<event>).
type hookLogJSON struct {
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Payload   hookLogPayload `json:"payload"`
	CreatedAt int64          `json:"createdAt"`
}

type hookLogPayload struct {
	Key         string `json:"key"`
	Result      string `json:"result"`
	HookID      string `json:"hookId"`
	HookRequest struct {
		Body json.RawMessage `json:"body"`
	} `json:"hookRequest"`
	Response *hookLogResponse `json:"response,omitempty"`
	Error    string           `json:"error,omitempty"`
	// Gatehouse's additions: which attempt of the delivery, and its time.
	Attempt    int   `json:"attempt"`
	DurationMs int64 `json:"durationMs"`
}

type hookLogResponse struct {
	StatusCode int `json:"statusCode"`
	Body       any `json:"body"`
}

const hookLogPrefix = "TriggerHook."

// timeBound reads a start_time or end_time parameter: Unix milliseconds,
// a finite number.
func timeBound(r *http.Request, name string) (int64, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, invalid(name, "must be a finite number of Unix milliseconds")
	}
	return int64(f), true, nil
}

func (a *API) listHookRecentLogs(w http.ResponseWriter, r *http.Request) error {
	page, _, err := readPage(r, false)
	if err != nil {
		return err
	}
	start, hasStart, err := timeBound(r, "start_time")
	if err != nil {
		return err
	}
	end, hasEnd, err := timeBound(r, "end_time")
	if err != nil {
		return err
	}
	if hasStart && hasEnd && start > end {
		return invalid("start_time", "must not be after end_time")
	}
	f := store.HookAttemptFilter{Since: start, Until: end}
	if !hasStart && !hasEnd {
		f.Since = a.now().Add(-24 * time.Hour).UnixMilli()
	}
	if key := r.URL.Query().Get("logKey"); key != "" {
		event, ok := strings.CutPrefix(key, hookLogPrefix)
		if !ok || event == "" {
			// Only hook requests are logged under a hook.
			w.Header().Set("Total-Number", "0")
			writeJSON(w, http.StatusOK, []hookLogJSON{})
			return nil
		}
		f.Event = event
	}
	// Like Logto, an unknown hook simply has no logs.
	list, total, err := a.store.ListHookAttempts(r.Context(), r.PathValue("id"), f, page)
	if err != nil {
		return err
	}
	out := make([]hookLogJSON, 0, len(list))
	for _, at := range list {
		p := hookLogPayload{Key: hookLogPrefix + at.Event, Result: "Success", HookID: at.HookID, Error: at.Error,
			Attempt: at.Attempt, DurationMs: at.DurationMs}
		if !at.Success {
			p.Result = "Error"
		}
		p.HookRequest.Body = at.Request
		if at.StatusCode != 0 {
			var parsed any
			if json.Unmarshal([]byte(at.ResponseBody), &parsed) != nil {
				parsed = at.ResponseBody
			}
			p.Response = &hookLogResponse{StatusCode: at.StatusCode, Body: parsed}
		}
		out = append(out, hookLogJSON{ID: at.ID, Key: p.Key, Payload: p, CreatedAt: at.CreatedAt})
	}
	return writeList(w, out, total, true)
}
