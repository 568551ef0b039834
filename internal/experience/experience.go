// Package experience serves the hosted sign-in pages: server-rendered
// forms that work without JavaScript, bound to an OpenID Connect
// interaction of internal/oidc, configured by the sign-in experience
// settings (internal/signinexp) and translated into the embedded languages.
package experience

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/throttle"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pages = map[string]*template.Template{}

func init() {
	for _, name := range []string{"signin", "error", "register", "identify", "code", "consent", "message", "signout", "sso", "link"} {
		pages[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+name+".html"))
	}
}

// Interactions is what the pages need from the OpenID provider.
type Interactions interface {
	Interaction(r *http.Request, id string) (*oidc.Interaction, error)
	CompleteInteraction(w http.ResponseWriter, r *http.Request, id, userID string) error
	AbortInteraction(w http.ResponseWriter, r *http.Request, id, code, description string) error
	SavePagesState(r *http.Request, id string, state []byte) error
	NeedsConsent(r *http.Request, id, userID string) (bool, error)
	GrantConsent(r *http.Request, id, userID string) error
}

// Codes sends and checks one-time verification codes (internal/verification).
type Codes interface {
	Send(ctx context.Context, channel, to, purpose, locale, ip string) error
	Verify(ctx context.Context, channel, to, purpose, code string) error
}

// Options configures the pages.
type Options struct {
	Password password.Params
	// Codes sends verification codes; without it the pages offer no
	// code-based flows.
	Codes Codes
	// ClientIP returns the request's source address as the server trusts it.
	ClientIP func(*http.Request) string
	// MaxFailures and FailureWindow set the lockout per identifier and per IP.
	MaxFailures   int
	FailureWindow time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
	// Audit records sign-in, registration and password reset attempts;
	// nil records nothing.
	Audit audit.Logger
	// Social and SSO are the upstream identity providers; nil offers none.
	Social SocialConnectors
	SSO    EnterpriseSSO
	// Endpoint is the server's public URL (ENDPOINT), for the callback
	// URLs given to providers.
	Endpoint string
}

// Pages serves /sign-in.
type Pages struct {
	store    store.Store
	provider Interactions
	opt      Options
	failures *throttle.Shared
	// posts counts identity providers' posted callbacks per address.
	posts *throttle.Limiter
	log   *slog.Logger
}

// postedCallbacksPerWindow bounds the form-posted callbacks (Apple, SAML)
// one address may make in 10 minutes; people make one per sign-in.
const postedCallbacksPerWindow = 60

// New returns the sign-in pages.
func New(st store.Store, provider Interactions, opt Options) *Pages {
	if opt.MaxFailures <= 0 {
		opt.MaxFailures = 10
	}
	if opt.FailureWindow <= 0 {
		opt.FailureWindow = 10 * time.Minute
	}
	if opt.Password.Memory == 0 {
		opt.Password = password.DefaultParams
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.ClientIP == nil {
		opt.ClientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	// Failures are counted in the database so that every process of a
	// deployment locks an identifier or an address together.
	failures := throttle.NewShared(st, opt.MaxFailures, opt.FailureWindow)
	failures.Now = opt.Now
	return &Pages{store: st, provider: provider, opt: opt, failures: failures, log: opt.Logger,
		posts: throttle.New(postedCallbacksPerWindow, 10*time.Minute)}
}

// SetProvider connects the pages to the OpenID provider, which in turn
// renders its error pages through them.
func (p *Pages) SetProvider(provider Interactions) { p.provider = provider }

// Routes registers the pages on mux. Form posts are refused when they come
// from another site (Origin / Sec-Fetch-Site), on top of the per-form token.
func (p *Pages) Routes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.errorPage(w, r, http.StatusForbidden, "page.refused.title", "page.cross_site.detail")
	}))
	// Assets live outside /sign-in/, whose next segment is an interaction.
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", staticHandler()))
	mux.HandleFunc("GET /assets/theme.css", p.theme)
	get := func(pattern string, h interactionHandler) { mux.Handle("GET "+pattern, p.viewed(h)) }
	post := func(pattern string, h interactionHandler) { mux.Handle("POST "+pattern, cop.Handler(p.posted(h))) }
	get("/sign-in/{interaction}", p.showFirstScreen)
	post("/sign-in/{interaction}", p.submitSignIn)
	get("/sign-in/{interaction}/register", p.showRegister)
	post("/sign-in/{interaction}/register", p.submitRegister)
	get("/sign-in/{interaction}/forgot-password", p.showForgotPassword)
	post("/sign-in/{interaction}/forgot-password", p.submitForgotPassword)
	get("/sign-in/{interaction}/passwordless", p.showPasswordless)
	post("/sign-in/{interaction}/passwordless", p.submitPasswordless)
	get("/sign-in/{interaction}/code", p.showCode)
	post("/sign-in/{interaction}/code", p.submitCode)
	post("/sign-in/{interaction}/code/resend", p.resendCode)
	post("/sign-in/{interaction}/consent", p.submitConsent)
	post("/sign-in/{interaction}/profile", p.submitProfile)
	get("/sign-in/{interaction}/social/{connector}", p.startSocial)
	get("/sign-in/{interaction}/sso", p.showSSO)
	post("/sign-in/{interaction}/sso", p.submitSSO)
	get("/sign-in/{interaction}/sso/{connector}", p.startSSO)
	get("/sign-in/{interaction}/link", p.showLink)
	post("/sign-in/{interaction}/link", p.submitLink)
	// Providers come back here, by GET or by a cross-site form post, which
	// no CSRF token can protect: the state does (see callback).
	mux.HandleFunc("GET /callback/{connector}", p.callback)
	mux.HandleFunc("POST /callback/{connector}", p.callbackPost)
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Title    string
	Lang     string
	Tr       translator
	Branding signinexp.Branding
	DarkMode bool
}

// request is one page view: the settings in force and the language chosen.
type request struct {
	ctx      context.Context
	settings *signinexp.Settings
	tr       translator
}

func (p *Pages) begin(r *http.Request, uiLocales string) request {
	s, err := signinexp.Load(r.Context(), p.store)
	if err != nil {
		p.log.Error("loading the sign-in experience failed; using defaults", "err", err)
		s = signinexp.Default()
	}
	return request{ctx: r.Context(), settings: s, tr: pick(r, uiLocales, s.LanguageInfo.AutoDetect, s.LanguageInfo.FallbackLanguage)}
}

func (q request) page(titleKey string) page {
	return page{Title: q.tr.T(titleKey), Lang: q.tr.Lang(), Tr: q.tr, Branding: q.settings.Branding, DarkMode: q.settings.Color.IsDarkModeEnabled}
}

// theme serves the brand colours and custom CSS of the settings, so pages
// carry no inline style and the CSP can forbid it.
func (p *Pages) theme(w http.ResponseWriter, r *http.Request) {
	s, err := signinexp.Load(r.Context(), p.store)
	if err != nil {
		s = signinexp.Default()
	}
	var b strings.Builder
	onPrimary, link := brandColors(s.Color.PrimaryColor, lightCard)
	b.WriteString(":root { --primary: " + s.Color.PrimaryColor + "; --on-primary: " + onPrimary + "; --link: " + link + "; }\n")
	switch {
	case s.Color.IsDarkModeEnabled:
		dark := s.Color.DarkPrimaryColor
		if dark == "" {
			dark = s.Color.PrimaryColor
		}
		onPrimary, link := brandColors(dark, darkCard)
		b.WriteString("@media (prefers-color-scheme: dark) { :root { --primary: " + dark + "; --on-primary: " + onPrimary + "; --link: " + link + "; } }\n")
	case !s.Color.IsDarkModeEnabled:
		// Dark mode off: the page stays light whatever the system prefers.
		b.WriteString("@media (prefers-color-scheme: dark) { :root { " + lightColors + " } }\n")
	}
	if s.CustomCSS != nil {
		b.WriteString(*s.CustomCSS)
		b.WriteString("\n")
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write([]byte(b.String()))
}

// lightColors restates the light palette of style.css.
const lightColors = "--text: #1a1c1d; --muted: #5f6368; --bg: #f4f5f7; --card: #fff; --error: #b3261e; --focus: var(--primary);"

// errorPage renders a translated error page.
func (p *Pages) errorPage(w http.ResponseWriter, r *http.Request, status int, titleKey, detailKey string) {
	q := p.begin(r, r.URL.Query().Get("ui_locales"))
	p.render(w, status, "error", nil, struct {
		page
		Detail string
	}{q.page(titleKey), q.tr.T(detailKey)})
}

// ErrorPage renders an error page with a message given in English; it is
// also the OpenID provider's error page.
func (p *Pages) ErrorPage(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	q := p.begin(r, r.URL.Query().Get("ui_locales"))
	pg := q.page("")
	pg.Title = title
	p.render(w, status, "error", nil, struct {
		page
		Detail string
	}{pg, detail})
}

func (p *Pages) render(w http.ResponseWriter, status int, name string, in *oidc.Interaction, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		p.log.Error("rendering page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	formAction := "'self'"
	if in != nil && in.RedirectTarget != "" {
		// Browsers apply form-action to the redirect that follows a post,
		// so the client's redirect target must be allowed too.
		formAction += " " + in.RedirectTarget
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data: https:; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin keeps the interaction out of the app's logs while the
	// form post still carries a real Origin for the cross-site check.
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// interaction loads the interaction named in the path or shows why it cannot.
func (p *Pages) interaction(w http.ResponseWriter, r *http.Request) (*oidc.Interaction, bool) {
	in, err := p.provider.Interaction(r, r.PathValue("interaction"))
	if err != nil {
		p.interactionError(w, r, err)
		return nil, false
	}
	return in, true
}

func (p *Pages) interactionError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, oidc.ErrInteractionNotFound):
		p.errorPage(w, r, http.StatusBadRequest, "page.expired.title", "page.expired.detail")
	case errors.Is(err, oidc.ErrInteractionForeign):
		p.errorPage(w, r, http.StatusBadRequest, "page.foreign.title", "page.foreign.detail")
	default:
		p.log.Error("interaction failed", "err", err)
		p.errorPage(w, r, http.StatusInternalServerError, "page.server_error.title", "page.server_error.detail")
	}
}
