// Package console is the admin console: server-rendered pages on the admin
// listener for everything the Management API does. Administrators sign in
// with a password (their own table, not the applications' users); every
// change goes through the Management API's handler called in-process with
// the administrator in the request context, so the console shows the API's
// validation errors and leaves the same audit log entries and webhooks. It
// never calls the server over HTTP, so it works at whatever address the
// operator reaches the admin listener by (an SSH tunnel, a reverse proxy).
package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/throttle"
)

// Session lifetimes: a session ends after IdleTimeout without a request,
// and AbsoluteTimeout after sign-in whatever its use.
const (
	IdleTimeout     = time.Hour
	AbsoluteTimeout = 12 * time.Hour
)

// MinPasswordLength is the shortest administrator password accepted.
const MinPasswordLength = 12

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures the console.
type Options struct {
	Store store.Store
	// API is the Management API's handler (management.API.Handler); the
	// console calls its ServeHTTP directly.
	API http.Handler
	// Endpoint is the server's public base URL, for the callback URLs that
	// identity providers need (never the admin address).
	Endpoint string
	// AdminEndpoint, when set, is an origin that form posts may also come
	// from (a reverse proxy that rewrites Host).
	AdminEndpoint string
	Password      password.Params
	// ClientIP returns the request's source address as the server trusts it.
	ClientIP func(*http.Request) string
	// TrustProxyHeader makes X-Forwarded-Proto=https count as HTTPS for
	// the session cookie.
	TrustProxyHeader bool
	// MaxFailures and FailureWindow set the sign-in lockout per username
	// and per IP.
	MaxFailures   int
	FailureWindow time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
}

// Console serves the admin console.
type Console struct {
	st       store.Store
	api      http.Handler
	opt      Options
	log      *slog.Logger
	now      func() time.Time
	failures *throttle.Shared
	pages    map[string]*template.Template
	cop      *http.CrossOriginProtection
	// hasAdmin turns true once an administrator is known to exist; the
	// last administrator cannot be deleted, so it never turns back.
	hasAdmin atomic.Bool
}

// New returns the console.
func New(opt Options) *Console {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Password.Memory == 0 {
		opt.Password = password.DefaultParams
	}
	if opt.ClientIP == nil {
		opt.ClientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	if opt.MaxFailures <= 0 {
		opt.MaxFailures = 10
	}
	if opt.FailureWindow <= 0 {
		opt.FailureWindow = 10 * time.Minute
	}
	failures := throttle.NewShared(opt.Store, opt.MaxFailures, opt.FailureWindow)
	failures.Now = opt.Now
	c := &Console{st: opt.Store, api: opt.API, opt: opt, log: opt.Logger, now: opt.Now, failures: failures}
	c.pages = parsePages()
	return c
}

// pageNames are the page templates; each defines "content" for the layout.
var pageNames = []string{
	"setup", "signin", "error", "confirm", "dashboard",
	"apps", "app_new", "app",
	"resources", "resource_new", "resource",
	"roles", "role_new", "role",
	"users", "user_new", "user",
	"connectors", "connector_new", "connector",
	"sso", "sso_new",
	"signinexp", "keys", "logs",
	"hooks", "hook_new", "hook",
	"admins", "admin_new", "password",
}

func parsePages() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New("").Funcs(templateFuncs).ParseFS(templateFS,
			"templates/layout.html", "templates/parts.html", "templates/hook_form.html", "templates/"+name+".html"))
	}
	return out
}

// Routes registers the console on mux (the admin listener's). Every form
// post must carry the session's token and come from the console's own
// origin (Sec-Fetch-Site / Origin).
func (c *Console) Routes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	if c.opt.AdminEndpoint != "" {
		if err := cop.AddTrustedOrigin(strings.TrimSuffix(c.opt.AdminEndpoint, "/")); err != nil {
			c.log.Warn("ADMIN_ENDPOINT is not usable as a trusted origin for the console's forms", "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, nil, http.StatusForbidden, "Request refused", "This form was sent from another site. Reload the console and try again.")
	}))
	c.cop = cop

	mux.Handle("GET /assets/", http.StripPrefix("/assets/", staticHandler()))
	mux.HandleFunc("GET /setup", c.showSetup)
	mux.Handle("POST /setup", cop.Handler(http.HandlerFunc(c.submitSetup)))
	mux.HandleFunc("GET /sign-in", c.showSignIn)
	mux.Handle("POST /sign-in", cop.Handler(http.HandlerFunc(c.submitSignIn)))
	mux.Handle("POST /sign-out", c.post(c.signOut))

	mux.Handle("GET /{$}", c.get(c.dashboard))
	c.applicationRoutes(mux)
	c.resourceRoutes(mux)
	c.roleRoutes(mux)
	c.userRoutes(mux)
	c.connectorRoutes(mux)
	c.signInExpRoutes(mux)
	c.keyRoutes(mux)
	c.logRoutes(mux)
	c.hookRoutes(mux)
	c.adminRoutes(mux)
	// Anything else is a console page that does not exist.
	mux.Handle("/", c.get(func(w http.ResponseWriter, r *http.Request, s *session) {
		c.notFound(w, r, s)
	}))
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// securityHeaders are set on every page: no script but the console's own
// file, no framing, nothing cached.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data: https:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	// same-origin, not no-referrer: with no-referrer browsers send
	// "Origin: null" on form posts, which the cross-origin check refuses.
	h.Set("Referrer-Policy", "same-origin")
}

// view is what every page template gets.
type view struct {
	Title string
	// Section marks the navigation entry of the page.
	Section string
	// Admin is the signed-in administrator's username; "" on the pages
	// before sign-in, which show no navigation.
	Admin string
	CSRF  string
	// Notice is a one-time message after a successful action.
	Notice string
	Data   any
}

// render writes a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, v view) {
	if s != nil {
		v.Admin = s.admin.Username
		v.CSRF = s.CSRFSecret
		if v.Notice == "" {
			v.Notice = c.takeNotice(w, r)
		}
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("rendering a console page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage renders a message page.
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, s *session, status int, title, detail string) {
	c.render(w, r, s, status, "error", view{Title: title, Data: detail})
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	c.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no such page, or what it showed was deleted.")
}

// serverError logs err and shows a page without its details.
func (c *Console) serverError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	c.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	c.errorPage(w, r, s, http.StatusInternalServerError, "Something went wrong", "The server could not complete this request. Details are in the server's log.")
}

// seeOther redirects after a successful post (post/redirect/get).
func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
