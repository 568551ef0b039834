// Package server wires Gatehouse together: it opens the store, prepares
// keys, builds the public and admin handlers with their middleware, and
// runs the listeners until shut down.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/config"
	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/catalog"
	"github.com/gatehouse-auth/gatehouse/internal/console"
	"github.com/gatehouse-auth/gatehouse/internal/experience"
	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/management"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/setup"
	"github.com/gatehouse-auth/gatehouse/internal/sso"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/internal/verification"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

// Server is a configured Gatehouse process.
type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	Store    *sqlstore.Store
	Keys     *keys.Ring
	Sealer   *seal.Sealer
	Provider *oidc.Provider
	API      *management.API
	Webhooks *webhook.Worker
	// Audit writes the audit log (/api/logs) in the background.
	Audit  *audit.Writer
	now    func() time.Time
	public http.Handler
	admin  http.Handler
}

// Option adjusts how Open builds a server.
type Option func(*options)

type options struct {
	now      func() time.Time
	password *password.Params
	upstream *http.Client
}

// WithPasswordCost overrides the Argon2id cost; tests use a cheap one.
func WithPasswordCost(p password.Params) Option { return func(o *options) { o.password = &p } }

// WithUpstreamClient makes the server reach identity providers and HTTP
// connectors through c; tests point it at fake providers on loopback.
func WithUpstreamClient(c *http.Client) Option { return func(o *options) { o.upstream = c } }

// WithClock makes the server read time from now; tests use it to expire codes and tokens.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Open opens the database named by cfg, brings it up to date (schema,
// built-in records, signing keys) and builds the handlers.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*Server, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	kek, err := seal.ParseKEK(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(kek)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, cfg.DBURL)
	if err != nil {
		return nil, err
	}
	ring := keys.New(st, sealer, keys.Options{Now: o.now})
	if err := setup.Run(ctx, st, ring); err != nil {
		st.Close()
		return nil, err
	}
	if err := ring.Load(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("loading signing keys: %w", err)
	}
	s := &Server{cfg: cfg, log: log, Store: st, Keys: ring, Sealer: sealer, now: o.now}
	s.Audit = audit.NewWriter(st, audit.Options{Logger: log, Now: o.now})
	clientIP := ClientIP(cfg.TrustProxyHeader)
	secure := strings.HasPrefix(cfg.Endpoint, "https://")
	senders := connector.NewService(st, sealer, connector.Options{Registry: catalog.Registry(), HTTPClient: o.upstream, Now: o.now})
	verifier := verification.New(verification.Options{Store: st, Connectors: senders, Now: o.now, Logger: log})
	pw := password.Params{Memory: cfg.Argon2Memory, Time: cfg.Argon2Time, Threads: cfg.Argon2Threads}
	if o.password != nil {
		pw = *o.password
	}
	enterprise := sso.NewService(st, sealer, sso.Options{HTTPClient: o.upstream, Now: o.now, Endpoint: cfg.Endpoint})
	pages := experience.New(st, nil, experience.Options{ClientIP: clientIP, Logger: log, Now: o.now, Codes: codes{verifier}, Password: pw, Audit: s.Audit,
		Social: senders, SSO: ssoPages{enterprise}, Endpoint: cfg.Endpoint})
	s.Provider = oidc.New(st, ringAdapter{ring}, oidc.Options{
		Issuer:        cfg.Issuer(),
		SignInURL:     cfg.Endpoint + "/sign-in",
		SecureCookies: secure,
		ClientIP:      clientIP,
		ErrorPage:     pages.ErrorPage,
		SignOutPage:   pages.SignOutPage,
		SignedOutPage: pages.SignedOutPage,
		Logger:        log,
		Now:           o.now,
		Audit:         s.Audit,
	})
	pages.SetProvider(s.Provider)

	s.API = management.New(management.Options{
		Changed: s.Provider.PurgeCaches,
		Store:   st, Sealer: sealer, Tokens: ringAdapter{ring}, Issuer: cfg.Issuer(), Logger: log, Now: o.now, Password: pw,
		Health: func(ctx context.Context) error { return st.DB().PingContext(ctx) },
		Events: management.Events{ClientIP: clientIP},
		Audit:  s.Audit,

		Connectors: senders,
		SSO:        enterprise,
	})
	s.Webhooks = webhook.NewWorker(st, webhook.Options{Sealer: sealer, Now: o.now, Logger: log})
	mux := http.NewServeMux()
	s.Provider.Routes(mux)
	pages.Routes(mux)
	s.API.Register(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/oidc/.well-known/openid-configuration", http.StatusFound)
	})
	s.public = recoverPanics(log, logRequests(log, baseHeaders(mux)))

	adminMux := http.NewServeMux()
	adminMux.Handle("GET /api/status", s.API.StatusHandler())
	console.New(console.Options{Store: st, API: s.API.Handler(), Endpoint: cfg.Endpoint, AdminEndpoint: cfg.AdminEndpoint,
		Password: pw, ClientIP: clientIP, TrustProxyHeader: cfg.TrustProxyHeader, Logger: log, Now: o.now}).Routes(adminMux)
	s.admin = recoverPanics(log, logRequests(log, baseHeaders(adminMux)))
	return s, nil
}

// Handler returns the public handler (OpenID provider, sign-in pages, API).
func (s *Server) Handler() http.Handler { return s.public }

// AdminHandler returns the admin listener's handler.
func (s *Server) AdminHandler() http.Handler { return s.admin }

// Run serves the public and admin listeners until ctx ends, then shuts
// down gracefully. Background work (key reloads, expired state cleanup)
// runs alongside.
func (s *Server) Run(ctx context.Context) error {
	pub, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Bind, strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return fmt.Errorf("PORT: cannot listen on %d: %w", s.cfg.Port, err)
	}
	adm, err := net.Listen("tcp", net.JoinHostPort(s.cfg.AdminBind, strconv.Itoa(s.cfg.AdminPort)))
	if err != nil {
		pub.Close()
		return fmt.Errorf("ADMIN_PORT: cannot listen on %s:%d: %w", s.cfg.AdminBind, s.cfg.AdminPort, err)
	}
	return s.Serve(ctx, pub, adm)
}

// Serve is Run on listeners the caller opened.
func (s *Server) Serve(ctx context.Context, public, admin net.Listener) error {
	if ip := net.ParseIP(s.cfg.AdminBind); ip != nil && !ip.IsLoopback() {
		s.log.Warn("the admin listener is reachable from the network; bind it to 127.0.0.1 unless that is intended",
			"ADMIN_BIND", s.cfg.AdminBind)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); s.Keys.Run(ctx) }()
	go func() { defer wg.Done(); s.sweepExpired(ctx) }()
	go func() { defer wg.Done(); s.Webhooks.Run(ctx) }()
	go func() { defer wg.Done(); s.sweepLogs(ctx) }()

	servers := []*http.Server{
		{Handler: s.public, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)},
		{Handler: s.admin, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)},
	}
	errs := make(chan error, 2)
	for i, ln := range []net.Listener{public, admin} {
		go func() { errs <- servers[i].Serve(ln) }()
	}
	s.log.Info("gatehouse is serving", "issuer", s.cfg.Issuer(), "public", public.Addr().String(),
		"admin", admin.Addr().String(), "database", s.Store.Dialect())
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	for _, srv := range servers {
		srv.Shutdown(shutdown)
	}
	cancel()
	wg.Wait()
	// The requests are done: write what they logged.
	if ferr := s.Audit.Flush(shutdown); ferr != nil && !errors.Is(ferr, audit.ErrClosed) {
		s.log.Warn("writing the last audit log entries failed", "err", ferr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// sweepExpired deletes expired protocol state now and then.
func (s *Server) sweepExpired(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Store.DeleteExpiredObjects(ctx, time.Now().UnixMilli()); err != nil {
				s.log.Warn("deleting expired sessions and tokens failed", "err", err)
			} else if n > 0 {
				s.log.Debug("deleted expired sessions and tokens", "count", n)
			}
		}
	}
}

// sweepLogs deletes audit log entries older than LOG_RETENTION_DAYS, once
// at start and then daily. LOG_RETENTION_DAYS=0 keeps them forever.
func (s *Server) sweepLogs(ctx context.Context) {
	if s.cfg.LogRetentionDays <= 0 {
		return
	}
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		if n, err := s.SweepLogs(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("deleting old audit log entries failed", "err", err)
		} else if n > 0 {
			s.log.Info("deleted old audit log entries", "count", n, "retention_days", s.cfg.LogRetentionDays)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepLogs deletes the audit log entries that LOG_RETENTION_DAYS no
// longer keeps and returns how many went; with a retention of 0 it
// deletes nothing.
func (s *Server) SweepLogs(ctx context.Context) (int, error) {
	if s.cfg.LogRetentionDays <= 0 {
		return 0, nil
	}
	before := s.now().Add(-time.Duration(s.cfg.LogRetentionDays) * 24 * time.Hour).UnixMilli()
	return s.Store.DeleteLogsBefore(ctx, before)
}

// Close writes the buffered audit log entries and releases the database.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Audit.Close(ctx); err != nil {
		s.log.Warn("writing the last audit log entries failed", "err", err)
	}
	return s.Store.Close()
}

// ringAdapter gives the provider the verification call it needs.
type ringAdapter struct{ *keys.Ring }

func (a ringAdapter) VerifyPayload(token string) ([]byte, error) {
	_, payload, err := a.Ring.Verify(token)
	return payload, err
}
