// Package experience serves the hosted sign-in pages: server-rendered
// forms that work without JavaScript, bound to an OpenID Connect
// interaction of internal/oidc.
package experience

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/throttle"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pages = map[string]*template.Template{
	"signin": parsePage("signin"),
	"error":  parsePage("error"),
}

func parsePage(name string) *template.Template {
	return template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
}

// Interactions is what the pages need from the OpenID provider.
type Interactions interface {
	Interaction(r *http.Request, id string) (*oidc.Interaction, error)
	CompleteInteraction(w http.ResponseWriter, r *http.Request, id, userID string) error
}

// Options configures the pages.
type Options struct {
	Password password.Params
	// ClientIP returns the request's source address as the server trusts it.
	ClientIP func(*http.Request) string
	// MaxFailures and FailureWindow set the lockout per identifier and per IP.
	MaxFailures   int
	FailureWindow time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
}

// Pages serves /sign-in.
type Pages struct {
	store    store.Store
	provider Interactions
	opt      Options
	failures *throttle.Limiter
	log      *slog.Logger
}

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
	failures := throttle.New(opt.MaxFailures, opt.FailureWindow)
	failures.Now = opt.Now
	return &Pages{store: st, provider: provider, opt: opt, failures: failures, log: opt.Logger}
}

// SetProvider connects the pages to the OpenID provider, which in turn
// renders its error pages through them.
func (p *Pages) SetProvider(provider Interactions) { p.provider = provider }

// Routes registers the pages on mux. Form posts are refused when they come
// from another site (Origin / Sec-Fetch-Site), on top of the per-form token.
func (p *Pages) Routes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.ErrorPage(w, r, http.StatusForbidden, "Request refused", "This form was posted from another site, so it was refused.")
	}))
	mux.Handle("GET /sign-in/static/", http.StripPrefix("/sign-in/", staticHandler()))
	mux.HandleFunc("GET /sign-in/{interaction}", p.showSignIn)
	mux.Handle("POST /sign-in/{interaction}", cop.Handler(http.HandlerFunc(p.submitSignIn)))
}

func staticHandler() http.Handler {
	files := http.FileServerFS(staticFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

type signInView struct {
	Title, AppName, InteractionID, CSRFToken, Identifier, Error string
}

func (p *Pages) showSignIn(w http.ResponseWriter, r *http.Request) {
	in, ok := p.interaction(w, r)
	if !ok {
		return
	}
	ident := in.LoginHint
	if ident == "" {
		ident = in.Identifier
	}
	p.render(w, http.StatusOK, "signin", in, signInView{Title: "Sign in", AppName: in.ClientName,
		InteractionID: in.ID, CSRFToken: in.CSRFToken, Identifier: ident})
}

func (p *Pages) submitSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.ErrorPage(w, r, http.StatusBadRequest, "Invalid form", "The form could not be read.")
		return
	}
	in, ok := p.interaction(w, r)
	if !ok {
		return
	}
	if !in.CSRFMatches(r.PostForm.Get("csrf_token")) {
		p.ErrorPage(w, r, http.StatusForbidden, "Request refused", "The form's security token is missing or wrong. Go back to the application and sign in again.")
		return
	}
	identifier := strings.TrimSpace(r.PostForm.Get("identifier"))
	secret := r.PostForm.Get("password")
	view := signInView{Title: "Sign in", AppName: in.ClientName, InteractionID: in.ID, CSRFToken: in.CSRFToken, Identifier: identifier}
	if identifier == "" || secret == "" {
		view.Error = "Enter your username or email and your password."
		p.render(w, http.StatusBadRequest, "signin", in, view)
		return
	}
	idKey, ipKey := "id:"+strings.ToLower(identifier), "ip:"+p.clientIP(r)
	if wait, blocked := p.failures.Blocked(idKey, ipKey); blocked {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		view.Error = "Too many failed attempts. Try again in " + humanWait(secs) + "."
		p.render(w, http.StatusTooManyRequests, "signin", in, view)
		return
	}
	u, err := p.verify(r.Context(), identifier, secret)
	if err != nil {
		if !errors.Is(err, errBadCredentials) {
			p.log.Error("sign-in failed", "err", err)
			p.ErrorPage(w, r, http.StatusInternalServerError, "Server error", "Sign-in could not be completed. Try again later.")
			return
		}
		p.failures.Fail(idKey, ipKey)
		view.Error = "The username, email or password is incorrect."
		p.render(w, http.StatusBadRequest, "signin", in, view)
		return
	}
	if u.IsSuspended {
		view.Error = "This account is suspended. Contact the application's support."
		p.render(w, http.StatusForbidden, "signin", in, view)
		return
	}
	p.failures.Reset(idKey)
	if err := p.provider.CompleteInteraction(w, r, in.ID, u.ID); err != nil {
		p.interactionError(w, r, err)
	}
}

var errBadCredentials = errors.New("bad credentials")

// verify finds the user by identifier and checks the password. An unknown
// identifier costs the same hashing time as a wrong password, so the answer
// and its timing reveal nothing about which accounts exist.
func (p *Pages) verify(ctx context.Context, identifier, secret string) (*store.User, error) {
	u, err := p.findUser(ctx, identifier)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.PasswordDigest == "") {
		password.DummyVerify(p.opt.Password)
		return nil, errBadCredentials
	} else if err != nil {
		return nil, err
	}
	ok, err := password.Verify(secret, u.PasswordDigest, u.PasswordAlgorithm)
	if err != nil {
		p.log.Warn("stored password digest cannot be checked", "user_id", u.ID, "algorithm", u.PasswordAlgorithm, "err", err)
		return nil, errBadCredentials
	}
	if !ok {
		return nil, errBadCredentials
	}
	u.LastSignInAt = p.opt.Now().UnixMilli()
	if password.NeedsUpgrade(u.PasswordAlgorithm, u.PasswordDigest, p.opt.Password) {
		if h, err := password.Hash(secret, p.opt.Password); err == nil {
			u.PasswordDigest, u.PasswordAlgorithm = h, "Argon2id"
		}
	}
	if err := p.store.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *Pages) findUser(ctx context.Context, identifier string) (*store.User, error) {
	switch {
	case strings.Contains(identifier, "@"):
		return p.store.FindUserByIdentifier(ctx, store.ByEmail, identifier)
	case looksLikePhone(identifier):
		u, err := p.store.FindUserByIdentifier(ctx, store.ByPhone, strings.TrimPrefix(identifier, "+"))
		if errors.Is(err, store.ErrNotFound) {
			return p.store.FindUserByIdentifier(ctx, store.ByUsername, identifier)
		}
		return u, err
	default:
		return p.store.FindUserByIdentifier(ctx, store.ByUsername, identifier)
	}
}

func looksLikePhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func humanWait(secs int) string {
	if secs < 120 {
		return strconv.Itoa(secs) + " seconds"
	}
	return strconv.Itoa((secs+59)/60) + " minutes"
}

func (p *Pages) clientIP(r *http.Request) string {
	if p.opt.ClientIP != nil {
		return p.opt.ClientIP(r)
	}
	return r.RemoteAddr
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
		p.ErrorPage(w, r, http.StatusBadRequest, "Sign-in expired",
			"This sign-in page has expired or was already used. Go back to the application and sign in again.")
	case errors.Is(err, oidc.ErrInteractionForeign):
		p.ErrorPage(w, r, http.StatusBadRequest, "Sign-in started elsewhere",
			"This sign-in was started in another browser. Go back to the application and sign in again from here.")
	default:
		p.log.Error("interaction failed", "err", err)
		p.ErrorPage(w, r, http.StatusInternalServerError, "Server error", "Sign-in could not be completed. Try again later.")
	}
}

// ErrorPage renders an error page; it is also the OpenID provider's.
func (p *Pages) ErrorPage(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	p.render(w, status, "error", nil, struct{ Title, Detail string }{title, detail})
}

func (p *Pages) render(w http.ResponseWriter, status int, page string, in *oidc.Interaction, data any) {
	var buf bytes.Buffer
	if err := pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		p.log.Error("rendering page failed", "page", page, "err", err)
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
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
