// Package oidc is Gatehouse's OpenID Connect provider: discovery, the
// authorization endpoint and its interactions, the token endpoint (one file
// per grant), userinfo, end-session, revocation and introspection, with
// Logto's paths and token shapes.
package oidc

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/throttle"
)

// ManagementAPIIndicator is the resource indicator of the built-in Management API.
const ManagementAPIIndicator = "https://default.logto.app/api"

// KeyRing signs the provider's tokens and verifies tokens it signed.
type KeyRing interface {
	// Sign returns a compact JWS of claims, signed with the active key of
	// alg ("" for the default), with the given typ header.
	Sign(alg, typ string, claims any) (string, error)
	// VerifyPayload checks a compact JWS against the published keys and
	// returns its payload; it checks no claims.
	VerifyPayload(token string) ([]byte, error)
	JWKS() []byte
	Algorithms() []string
}

// ErrorPage renders an HTML page that explains an error to the user.
type ErrorPage func(w http.ResponseWriter, r *http.Request, status int, title, detail string)

// Options configures a Provider. Zero durations take the defaults, which
// are Logto's.
type Options struct {
	// Issuer is ENDPOINT + "/oidc".
	Issuer string
	// SignInURL is where the browser is sent to sign in; the interaction
	// id is appended as a path segment.
	SignInURL string
	// SecureCookies sets the Secure attribute (the endpoint is https).
	SecureCookies bool
	// ClientIP returns the request's source address as the server trusts it.
	ClientIP func(*http.Request) string
	// ErrorPage shows errors that must not be redirected to the client.
	ErrorPage ErrorPage
	// SignOutPage asks a signed-in user to confirm a sign-out that no
	// application asked for; the form posts token to /oidc/session/end/confirm.
	SignOutPage func(w http.ResponseWriter, r *http.Request, token string)
	// SignedOutPage tells the user they are signed out.
	SignedOutPage func(w http.ResponseWriter, r *http.Request)
	Logger        *slog.Logger
	Now           func() time.Time
	// Audit records token requests, interactions and sign-outs; nil
	// records nothing. It must not block (see audit.Writer).
	Audit audit.Logger

	CodeTTL         time.Duration // 10 minutes
	IDTokenTTL      time.Duration // 1 hour
	AccessTokenTTL  time.Duration // 1 hour, for opaque tokens
	RefreshTokenTTL time.Duration // 14 days
	SessionTTL      time.Duration // 14 days
	InteractionTTL  time.Duration // 1 hour
	// CacheTTL bounds how long a change made on another node (an
	// application, a secret, a role) may go unseen here.
	CacheTTL time.Duration // 10 seconds
}

// Provider serves the /oidc endpoints.
type Provider struct {
	store  store.Store
	keys   KeyRing
	issuer string
	opt    Options
	log    *slog.Logger
	now    func() time.Time

	clients   *ttlCache[string, *client]
	resources *ttlCache[string, *store.Resource]
	grants    *ttlCache[grantKey, []string]

	// clientFailures throttles wrong client secrets per client and per IP.
	clientFailures *throttle.Limiter
}

type grantKey struct {
	subject    store.Subject
	resourceID string
}

// New returns a Provider over st that signs with ring.
func New(st store.Store, ring KeyRing, opt Options) *Provider {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opt.CodeTTL, 10*time.Minute)
	def(&opt.IDTokenTTL, time.Hour)
	def(&opt.AccessTokenTTL, time.Hour)
	def(&opt.RefreshTokenTTL, 14*24*time.Hour)
	def(&opt.SessionTTL, 14*24*time.Hour)
	def(&opt.InteractionTTL, time.Hour)
	def(&opt.CacheTTL, 10*time.Second)
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.ClientIP == nil {
		opt.ClientIP = func(r *http.Request) string { return hostOnly(r.RemoteAddr) }
	}
	if opt.ErrorPage == nil {
		opt.ErrorPage = plainErrorPage
	}
	if opt.SignedOutPage == nil {
		opt.SignedOutPage = func(w http.ResponseWriter, r *http.Request) {
			plainErrorPage(w, r, http.StatusOK, "Signed out", "You have been signed out.")
		}
	}
	opt.Issuer = strings.TrimRight(opt.Issuer, "/")
	p := &Provider{
		store:          st,
		keys:           ring,
		issuer:         opt.Issuer,
		opt:            opt,
		log:            opt.Logger,
		now:            opt.Now,
		clients:        newTTLCache[string, *client](opt.CacheTTL, 10_000, opt.Now),
		resources:      newTTLCache[string, *store.Resource](opt.CacheTTL, 10_000, opt.Now),
		grants:         newTTLCache[grantKey, []string](opt.CacheTTL, 100_000, opt.Now),
		clientFailures: throttle.New(20, 10*time.Minute),
	}
	p.clientFailures.Now = opt.Now
	return p
}

// Issuer returns the issuer identifier.
func (p *Provider) Issuer() string { return p.issuer }

// Routes registers the /oidc endpoints on mux.
func (p *Provider) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", p.cors(p.discovery))
	mux.HandleFunc("GET /oidc/jwks", p.cors(p.jwks))
	mux.HandleFunc("GET /oidc/auth", p.authorize)
	mux.HandleFunc("POST /oidc/auth", p.authorize)
	mux.HandleFunc("POST /oidc/token", p.clientCORS(p.token))
	mux.HandleFunc("GET /oidc/me", p.clientCORS(p.userinfo))
	mux.HandleFunc("POST /oidc/me", p.clientCORS(p.userinfo))
	mux.HandleFunc("GET /oidc/session/end", p.endSession)
	mux.HandleFunc("POST /oidc/session/end", p.endSession)
	mux.HandleFunc("POST /oidc/session/end/confirm", p.confirmSignOut)
	mux.HandleFunc("POST /oidc/token/revocation", p.clientCORS(p.revoke))
	mux.HandleFunc("POST /oidc/token/introspection", p.introspect)
	for _, path := range []string{"/oidc/token", "/oidc/me", "/oidc/token/revocation", "/oidc/jwks", "/oidc/.well-known/openid-configuration"} {
		mux.HandleFunc("OPTIONS "+path, p.preflight)
	}
}

func (p *Provider) nowMillis() int64 { return p.now().UnixMilli() }

// resourceByIndicator returns the registered resource, cached.
func (p *Provider) resourceByIndicator(ctx context.Context, st store.Store, indicator string) (*store.Resource, error) {
	return p.resources.load(indicator, func() (*store.Resource, error) {
		return st.GetResourceByIndicator(ctx, indicator)
	})
}

// grantedScopes returns the scope names of resource that subject's roles hold, cached.
func (p *Provider) grantedScopes(ctx context.Context, st store.Store, subject store.Subject, resourceID string) ([]string, error) {
	return p.grants.load(grantKey{subject, resourceID}, func() ([]string, error) {
		return st.GrantedScopes(ctx, subject, resourceID)
	})
}

// validResourceIndicator reports whether s has RFC 8707's form: an absolute
// URI without a fragment.
func validResourceIndicator(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Fragment == "" && !strings.Contains(s, "#")
}

func hostOnly(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 && !strings.HasSuffix(addr, "]") {
		return strings.Trim(addr[:i], "[]")
	}
	return strings.Trim(addr, "[]")
}

func (p *Provider) errorPage(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	p.opt.ErrorPage(w, r, status, title, detail)
}

func plainErrorPage(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p>%s</p>",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(detail))
}

func (p *Provider) verifyJWT(token string) ([]byte, error) { return p.keys.VerifyPayload(token) }

// PurgeCaches drops every cached client, resource and role grant, after a
// local change to them.
func (p *Provider) PurgeCaches() {
	p.clients.purge()
	p.resources.purge()
	p.grants.purge()
}
