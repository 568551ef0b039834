package sso

import (
	"errors"
	"strings"
)

// Logto's error codes for a connector config that cannot be used.
const (
	CodeInvalidConfig      = "connector.invalid_config"
	CodeInvalidMetadata    = "connector.invalid_metadata"
	CodeInvalidCertificate = "connector.invalid_certificate"
)

// ConfigError reports a connector config that is malformed or that does not
// lead to a working identity provider (discovery or metadata that cannot be
// fetched or parsed). Code is Logto's error code; Field names the config
// field at fault ("config.issuer"), or is empty. Reason never holds a secret.
type ConfigError struct {
	Code   string
	Field  string
	Reason string
	Err    error
}

func (e *ConfigError) Error() string {
	msg := "sso connector config"
	if e.Field != "" {
		msg += " " + e.Field
	}
	return msg + ": " + e.Reason
}

func (e *ConfigError) Unwrap() error { return e.Err }

func invalidConfig(field, reason string) *ConfigError {
	return &ConfigError{Code: CodeInvalidConfig, Field: field, Reason: reason}
}

// IsConfigError returns the *ConfigError in err's chain, if any.
func IsConfigError(err error) (*ConfigError, bool) {
	var ce *ConfigError
	ok := errors.As(err, &ce)
	return ce, ok
}

// DomainError reports email domains that Logto refuses: public mailbox
// providers, duplicates, or strings that are no domain. Code is Logto's
// ("single_sign_on.forbidden_domains", ...).
type DomainError struct {
	Code    string
	Domains []string
}

func (e *DomainError) Error() string {
	return "sso connector domains: " + strings.TrimPrefix(e.Code, "single_sign_on.") + ": " + strings.Join(e.Domains, ", ")
}

// InputError is a request field outside the connector config with a value
// of the wrong type (Logto's guard.invalid_input).
type InputError struct {
	Field, Reason string
}

func (e *InputError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

var (
	// ErrUnknownProvider is a providerName that is none of Logto's.
	ErrUnknownProvider = errors.New("sso: unknown SSO provider name")
	// ErrTokenStorageUnsupported answers enableTokenStorage: true, which
	// needs Logto's secret vault; Gatehouse has none.
	ErrTokenStorageUnsupported = errors.New("sso: token storage is not supported")
	// ErrSigningKeyRequired answers signAuthnRequest: true: signing
	// AuthnRequests needs an SP signing key, which Gatehouse does not
	// manage, so (as Logto does for a connector without a key) it is refused.
	ErrSigningKeyRequired = errors.New("sso: signed authentication requests need an active SP signing key")
)
