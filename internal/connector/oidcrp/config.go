package oidcrp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// DecodeConfig decodes a connector config, which must be a JSON object,
// into dst, a pointer to a struct tagged with Logto's field names. Unknown
// fields are ignored, as Logto's validators strip them; JSON null counts
// as absent; a field of the wrong type is a *connector.ConfigError naming
// it.
func DecodeConfig(raw json.RawMessage, dst any) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &connector.ConfigError{Reason: "expected a JSON object"}
	}
	err := json.Unmarshal(trimmed, dst)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &connector.ConfigError{Field: te.Field, Reason: "expected " + kind(te.Type)}
	}
	return &connector.ConfigError{Reason: "expected a JSON object"}
}

func kind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return kind(t.Elem())
	}
	return "another type"
}

// Required reports an empty required field.
func Required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return &connector.ConfigError{Field: field, Reason: "is required"}
	}
	return nil
}

// EndpointURL checks a provider endpoint: an absolute https URL, or http
// on a loopback host (a provider on the administrator's own machine).
// Credentials and tokens travel to these URLs, so plain http elsewhere is
// refused.
func EndpointURL(field, value string) error {
	if err := Required(field, value); err != nil {
		return err
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return &connector.ConfigError{Field: field, Reason: "expected an absolute https URL"}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return &connector.ConfigError{Field: field, Reason: "expected an https URL (http is accepted for localhost only)"}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Prompts checks an OpenID prompt list against the values a provider
// accepts, naming the offending element.
func Prompts(field string, prompts []string, allowed ...string) error {
	for i, p := range prompts {
		if !slices.Contains(allowed, p) {
			return &connector.ConfigError{Field: field + "[" + strconv.Itoa(i) + "]",
				Reason: "expected one of " + strings.Join(allowed, ", ")}
		}
	}
	return nil
}

// Scopes splits a space-separated scope (Logto's connectors also accept
// "+" between scopes) and appends each of want that is missing, keeping
// the order and dropping duplicates.
func Scopes(scope string, want ...string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == '+' || r == '\t' || r == '\n' }) {
		add(s)
	}
	for _, s := range want {
		add(s)
	}
	return out
}

// LogoURI renders an SVG drawing as a data URI, the form in which Logto
// serves its connectors' logos.
func LogoURI(svg string) string {
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}

// Client is the config of a plain OAuth 2.0 social connector (Facebook,
// GitHub, Discord): Logto's clientId, clientSecret and scope.
type Client struct {
	// ID is clientId, trimmed.
	ID string
	// Secret is clientSecret as given.
	Secret string
	// Scope is scope, trimmed; "" means the provider's default.
	Scope string
}

// ParseClient reads and checks a Client config: clientId must not be
// blank and clientSecret must not be empty.
func ParseClient(raw json.RawMessage) (Client, error) {
	var c struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		Scope        string `json:"scope"`
	}
	if err := DecodeConfig(raw, &c); err != nil {
		return Client{}, err
	}
	if err := Required("clientId", c.ClientID); err != nil {
		return Client{}, err
	}
	if c.ClientSecret == "" {
		return Client{}, &connector.ConfigError{Field: "clientSecret", Reason: "is required"}
	}
	return Client{ID: strings.TrimSpace(c.ClientID), Secret: c.ClientSecret, Scope: strings.TrimSpace(c.Scope)}, nil
}

// OAuth2 returns the x/oauth2 config of c at a provider's endpoints, the
// client credentials sent in the token request's body.
func (c Client) OAuth2(authURL, tokenURL, redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret,
		RedirectURL:  redirectURI,
		Endpoint:     oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}

// ScopeOr returns c's scope, or def when the config has none.
func (c Client) ScopeOr(def string) string {
	if c.Scope != "" {
		return c.Scope
	}
	return def
}

// PKCE returns the token request option that sends verifier as the PKCE
// code_verifier, or none when the authorization request sent no challenge.
func PKCE(verifier string) []oauth2.AuthCodeOption {
	if verifier == "" {
		return nil
	}
	return []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
}

// PKCEChallenge returns the authorization request option that sends the
// S256 challenge of verifier, or none when there is no verifier; PKCE
// sends the verifier itself at the token endpoint.
func PKCEChallenge(verifier string) []oauth2.AuthCodeOption {
	if verifier == "" {
		return nil
	}
	return []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
}

// OpenID returns the x/oauth2 config of c at an OpenID provider's
// endpoints: as OAuth2, asking for c's scope (def when it is blank) with
// openid always among the scopes.
func (c Client) OpenID(authURL, tokenURL, redirectURI, def string) *oauth2.Config {
	cfg := c.OAuth2(authURL, tokenURL, redirectURI)
	scope := c.Scope
	if strings.TrimSpace(scope) == "" {
		scope = def
	}
	cfg.Scopes = Scopes(scope, "openid")
	return cfg
}
