package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Scenario names what one operation of a run is.
type Scenario string

// The scenarios Run knows.
const (
	// ScenarioClientCredentials is one client_credentials token request.
	ScenarioClientCredentials Scenario = "client_credentials"
	// ScenarioRefresh is one refresh_token grant on a rotating chain owned
	// by the worker.
	ScenarioRefresh Scenario = "refresh"
	// ScenarioSignIn is one complete authorization-code sign-in, from the
	// authorization request to the code exchange.
	ScenarioSignIn Scenario = "signin"
)

// Defaults applied by Run to zero-valued Config fields.
const (
	DefaultConcurrency     = 8
	DefaultDuration        = 10 * time.Second
	DefaultIdentifierField = "identifier"
	DefaultPasswordField   = "password"
)

// Config describes one load run against one provider.
type Config struct {
	// Issuer is the provider's issuer URL; discovery is fetched from
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret authenticate the client at the token
	// endpoint. An empty secret means a public client (PKCE only).
	ClientID, ClientSecret string
	// AuthMethod is "basic" (client_secret_basic, the default) or "post"
	// (client_secret_post).
	AuthMethod string
	// Resource is sent as the RFC 8707 resource indicator on
	// client_credentials and refresh grants and on authorization requests.
	Resource string
	// Scope is sent on client_credentials grants. Sign-ins always ask for
	// "openid offline_access profile".
	Scope string
	// RedirectURI is the client's registered redirect URI; the sign-in
	// stops at the redirect to it and never fetches it.
	RedirectURI string
	// Username and Password are typed into the sign-in form.
	Username, Password string
	// IdentifierField and PasswordField are the form field names for
	// Username and Password; defaults "identifier" and "password".
	IdentifierField, PasswordField string
	// RefreshTokens seeds the refresh scenario: worker i starts its chain
	// from RefreshTokens[i]. Workers without one sign in once to get their
	// own, because rotation makes a chain unusable by two workers.
	RefreshTokens []string

	// Scenario selects what one operation is.
	Scenario Scenario
	// Concurrency is the number of workers; default 8.
	Concurrency int
	// Duration bounds the run when Requests is zero; default 10s.
	Duration time.Duration
	// Requests, when positive, makes the run stop after exactly this many
	// operations instead of after Duration.
	Requests int
	// Rate, when positive, paces operations open-loop at this many per
	// second in total, whatever the workers' latency.
	Rate float64
	// Progress, when not nil, receives a status line every second.
	Progress io.Writer
	// HTTPClient is used instead of a client tuned for Concurrency. Its
	// Jar and CheckRedirect are ignored by sign-ins, which manage both.
	HTTPClient *http.Client
}

// withDefaults returns cfg with zero fields set to their defaults and the
// worker count clamped so that no worker exists only to do setup.
func (cfg Config) withDefaults() Config {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Requests > 0 && cfg.Concurrency > cfg.Requests {
		cfg.Concurrency = cfg.Requests
	}
	if cfg.Duration <= 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.AuthMethod == "" {
		cfg.AuthMethod = "basic"
	}
	if cfg.IdentifierField == "" {
		cfg.IdentifierField = DefaultIdentifierField
	}
	if cfg.PasswordField == "" {
		cfg.PasswordField = DefaultPasswordField
	}
	return cfg
}

// canSignIn reports whether the config holds what a sign-in needs.
func (cfg Config) canSignIn() bool {
	return cfg.RedirectURI != "" && cfg.Username != ""
}

// validate reports the first reason cfg (with defaults applied) cannot run.
func (cfg Config) validate() error {
	if cfg.Issuer == "" {
		return errors.New("loadtest: Issuer is required")
	}
	if cfg.ClientID == "" {
		return errors.New("loadtest: ClientID is required")
	}
	if cfg.AuthMethod != "basic" && cfg.AuthMethod != "post" {
		return fmt.Errorf("loadtest: AuthMethod %q: want \"basic\" or \"post\"", cfg.AuthMethod)
	}
	if cfg.Requests < 0 || cfg.Rate < 0 {
		return errors.New("loadtest: Requests and Rate must not be negative")
	}
	switch cfg.Scenario {
	case ScenarioClientCredentials:
		if cfg.ClientSecret == "" {
			return errors.New("loadtest: client_credentials needs ClientSecret")
		}
	case ScenarioSignIn:
		if !cfg.canSignIn() {
			return errors.New("loadtest: signin needs RedirectURI and Username")
		}
	case ScenarioRefresh:
		if len(cfg.RefreshTokens) < cfg.Concurrency && !cfg.canSignIn() {
			return fmt.Errorf("loadtest: refresh with %d workers needs %d RefreshTokens, or RedirectURI and Username to sign in for the missing ones",
				cfg.Concurrency, cfg.Concurrency)
		}
	default:
		return fmt.Errorf("loadtest: unknown Scenario %q: want %q, %q or %q",
			cfg.Scenario, ScenarioClientCredentials, ScenarioRefresh, ScenarioSignIn)
	}
	return nil
}
