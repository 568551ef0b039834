// Package management serves the Management API at /api with Logto's paths,
// JSON shapes and status codes, so scripts and SDKs written for Logto work
// unchanged. Requests are authenticated in-process against the server's own
// signing keys: the API never calls the server's public URL.
package management

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/sso"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Indicator is the resource indicator Management API tokens are issued for,
// and Scope the permission they must carry (Logto's OSS defaults).
const (
	Indicator = "https://default.logto.app/api"
	Scope     = "all"
)

// TokenVerifier checks a compact JWS against the server's published keys
// and returns its payload.
type TokenVerifier interface {
	VerifyPayload(token string) ([]byte, error)
}

// Options configures the API.
type Options struct {
	Store    store.Store
	Sealer   *seal.Sealer
	Tokens   TokenVerifier
	Issuer   string
	Password password.Params
	Logger   *slog.Logger
	Now      func() time.Time
	// Health reports whether the server can serve (its database answers).
	Health func(ctx context.Context) error
	// Changed is called after every successful write, so that this
	// process's caches (clients, resources, role grants) drop what the
	// write may have changed at once instead of when they expire.
	Changed func()
	// Events configures webhook events and hook tests (hooks.go).
	Events Events
	// Audit records every successful write (logs.go); nil records nothing.
	Audit audit.Logger
	// Connectors is the server's connector service, with every factory the
	// binary offers; nil means the email and SMS factories only.
	Connectors *connector.Service
	// SSO is the server's enterprise SSO service; nil builds one from
	// Store, Sealer and Issuer that reaches identity providers directly.
	SSO *sso.Service
}

// API is the Management API.
type API struct {
	store   store.Store
	sealer  *seal.Sealer
	tokens  TokenVerifier
	issuer  string
	pw      password.Params
	log     *slog.Logger
	now     func() time.Time
	health  func(ctx context.Context) error
	changed func()
	events  Events
	audit   audit.Logger

	connectors *connector.Service

	sso *sso.Service

	routes []Route
}

// Route is one operation of the API, as registered and as documented in
// /api/swagger.json.
type Route struct {
	Method, Path, OperationID, Summary string
	// Success is the status of a successful response.
	Success int
	handler handlerFunc
}

// handlerFunc is a Management API handler: it writes the success response
// itself and returns an error for everything else.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// New returns the API.
func New(opt Options) *API {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Password.Memory == 0 {
		opt.Password = password.DefaultParams
	}
	a := &API{store: opt.Store, sealer: opt.Sealer, tokens: opt.Tokens, issuer: opt.Issuer, pw: opt.Password, log: opt.Logger, now: opt.Now, health: opt.Health, changed: opt.Changed}
	if a.changed == nil {
		a.changed = func() {}
	}
	a.events = opt.Events
	a.audit = opt.Audit
	a.connectors = opt.Connectors
	a.sso = opt.SSO
	a.handle("GET", "/api/status", "GetStatus", 204, "Health check", a.status)
	a.registerApplications()
	a.registerResources()
	a.registerRoles()
	a.registerUsers()
	a.registerConfigs()
	a.registerSignInExperience()
	a.registerConnectors()
	a.registerSSOConnectors()
	a.registerHooks()
	a.registerLogs()
	a.registerPasswordCheck()
	a.registerDocs()
	return a
}

// handle adds an operation. Path uses net/http pattern wildcards ({id}).
func (a *API) handle(method, path, operationID string, success int, summary string, h handlerFunc) {
	a.routes = append(a.routes, Route{Method: method, Path: path, OperationID: operationID, Summary: summary, Success: success, handler: h})
}

// Routes returns the registered operations sorted by path and method.
func (a *API) Routes() []Route {
	out := append([]Route(nil), a.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Register adds every operation to mux. All but the public ones
// (/api/status, /api/swagger.json) require a Management API token.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes {
		h := a.serve(a.audited(rt))
		if !publicPaths[rt.Path] {
			h = a.authenticate(h)
		}
		mux.Handle(rt.Method+" "+rt.Path, h)
	}
	// Unknown paths under /api answer in the API's JSON error shape.
	mux.Handle("/api/", a.authenticate(a.serve(func(w http.ResponseWriter, r *http.Request) error {
		return &Error{Status: http.StatusNotFound, Code: "guard.invalid_input", Message: "No route matches " + r.Method + " " + r.URL.Path + "."}
	})))
}

// Handler returns every operation on a handler of its own, for trusted
// in-process callers (the admin console) that call ServeHTTP directly with
// a context from AsAdministrator: no socket, no URL of the server.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.Register(mux)
	return mux
}

var publicPaths = map[string]bool{"/api/status": true, "/api/swagger.json": true}

// serve runs h and turns its error into the API's JSON error response.
func (a *API) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
			return
		}
		if r.Method != http.MethodGet {
			a.changed()
		}
	})
}

// pathParams lists the {wildcards} of a route path.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return out
}

// status answers 204 while the database answers, 503 otherwise.
func (a *API) status(w http.ResponseWriter, r *http.Request) error {
	if a.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.health(ctx); err != nil {
			return &Error{Status: http.StatusServiceUnavailable, Code: "status.unavailable", Message: "The database is not reachable."}
		}
	}
	return noContent(w)
}

// StatusHandler serves the health check alone, for the admin listener.
func (a *API) StatusHandler() http.Handler { return a.serve(a.status) }
