package genericoidc

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

// Token endpoint client authentication methods (Logto's names).
const (
	authPost  = "client_secret_post"
	authBasic = "client_secret_basic"
	authJWT   = "client_secret_jwt"
)

var (
	authMethods = []string{authPost, authBasic, authJWT}
	// hmacAlgs are client_secret_jwt's algorithms with the shortest secret
	// each accepts (RFC 7518 §3.2: a key at least as long as the hash).
	hmacAlgs = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}
	// signingAlgs are the ID token algorithms accepted when the config
	// names none: every asymmetric algorithm go-oidc verifies.
	signingAlgs = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}
	// responseModes are those that bring the code to the server: the
	// fragment never reaches it.
	responseModes = []string{"query", "form_post"}
)

// config is Logto's OIDC connector config (@logto/connector-oidc).
type config struct {
	ResponseType                    string            `json:"responseType"`
	GrantType                       string            `json:"grantType"`
	AuthorizationEndpoint           string            `json:"authorizationEndpoint"`
	TokenEndpoint                   string            `json:"tokenEndpoint"`
	ClientID                        string            `json:"clientId"`
	ClientSecret                    string            `json:"clientSecret"`
	TokenEndpointAuthMethod         string            `json:"tokenEndpointAuthMethod"`
	ClientSecretJWTSigningAlgorithm string            `json:"clientSecretJwtSigningAlgorithm"`
	Scope                           string            `json:"scope"`
	AcceptStringTypedBooleanClaims  bool              `json:"acceptStringTypedBooleanClaims"`
	TrustUnverifiedEmail            bool              `json:"trustUnverifiedEmail"`
	IDTokenVerificationConfig       *verifyConfig     `json:"idTokenVerificationConfig"`
	AuthRequestOptionalConfig       *authOptions      `json:"authRequestOptionalConfig"`
	CustomConfig                    map[string]string `json:"customConfig"`

	// Parsed from IDTokenVerificationConfig.
	issuers        []string
	clockTolerance time.Duration
	maxTokenAge    time.Duration
}

// verifyConfig is Logto's idTokenVerificationConfig: jose's jwtVerify
// options plus jwksUri.
type verifyConfig struct {
	JWKSURI string          `json:"jwksUri"`
	Issuer  json.RawMessage `json:"issuer"`
	// Audience is accepted and ignored, as in Logto: the audience is
	// always the client id.
	Audience       json.RawMessage `json:"audience"`
	Algorithms     []string        `json:"algorithms"`
	ClockTolerance json.RawMessage `json:"clockTolerance"`
	// Crit lists extension headers jose would accept. None are
	// understood here, so a token with a crit header is refused whatever
	// this says.
	Crit        map[string]any  `json:"crit"`
	CurrentDate json.RawMessage `json:"currentDate"`
	MaxTokenAge json.RawMessage `json:"maxTokenAge"`
	Subject     string          `json:"subject"`
	Typ         string          `json:"typ"`
}

// authOptions is Logto's authRequestOptionalConfig.
type authOptions struct {
	ResponseMode string `json:"responseMode"`
	Display      string `json:"display"`
	Prompt       string `json:"prompt"`
	MaxAge       string `json:"maxAge"`
	UILocales    string `json:"uiLocales"`
	IDTokenHint  string `json:"idTokenHint"`
	LoginHint    string `json:"loginHint"`
	AcrValues    string `json:"acrValues"`
}

func parseConfig(raw json.RawMessage) (*config, error) {
	var c config
	if err := oidcrp.DecodeConfig(raw, &c); err != nil {
		return nil, err
	}
	if c.ResponseType != "" && c.ResponseType != "code" {
		return nil, &connector.ConfigError{Field: "responseType", Reason: "only code is supported"}
	}
	if c.GrantType != "" && c.GrantType != "authorization_code" {
		return nil, &connector.ConfigError{Field: "grantType", Reason: "only authorization_code is supported"}
	}
	if err := oidcrp.EndpointURL("authorizationEndpoint", c.AuthorizationEndpoint); err != nil {
		return nil, err
	}
	if err := oidcrp.EndpointURL("tokenEndpoint", c.TokenEndpoint); err != nil {
		return nil, err
	}
	if err := oidcrp.Required("clientId", c.ClientID); err != nil {
		return nil, err
	}
	if err := oidcrp.Required("clientSecret", c.ClientSecret); err != nil {
		return nil, err
	}
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = authPost
	}
	if !slices.Contains(authMethods, c.TokenEndpointAuthMethod) {
		return nil, &connector.ConfigError{Field: "tokenEndpointAuthMethod", Reason: "expected one of " + strings.Join(authMethods, ", ")}
	}
	if c.ClientSecretJWTSigningAlgorithm == "" {
		c.ClientSecretJWTSigningAlgorithm = "HS256"
	}
	minLen, ok := hmacAlgs[c.ClientSecretJWTSigningAlgorithm]
	if !ok {
		return nil, &connector.ConfigError{Field: "clientSecretJwtSigningAlgorithm", Reason: "expected HS256, HS384 or HS512"}
	}
	if c.TokenEndpointAuthMethod == authJWT && len(c.ClientSecret) < minLen {
		return nil, &connector.ConfigError{Field: "clientSecret", Reason: "client_secret_jwt with " + c.ClientSecretJWTSigningAlgorithm +
			" needs a secret of at least " + strconv.Itoa(minLen) + " bytes (RFC 7518 section 3.2)"}
	}
	if err := oidcrp.Required("scope", c.Scope); err != nil {
		return nil, err
	}
	if err := c.parseVerification(); err != nil {
		return nil, err
	}
	if o := c.AuthRequestOptionalConfig; o != nil && o.ResponseMode != "" && !slices.Contains(responseModes, o.ResponseMode) {
		return nil, &connector.ConfigError{Field: "authRequestOptionalConfig.responseMode", Reason: "expected query or form_post"}
	}
	return &c, nil
}

func (c *config) parseVerification() error {
	v := c.IDTokenVerificationConfig
	if v == nil {
		return &connector.ConfigError{Field: "idTokenVerificationConfig", Reason: "is required"}
	}
	const prefix = "idTokenVerificationConfig."
	if err := oidcrp.EndpointURL(prefix+"jwksUri", v.JWKSURI); err != nil {
		return err
	}
	issuers, err := stringOrList(prefix+"issuer", v.Issuer)
	if err != nil {
		return err
	}
	c.issuers = issuers
	if _, err := stringOrList(prefix+"audience", v.Audience); err != nil {
		return err
	}
	for i, a := range v.Algorithms {
		if !slices.Contains(signingAlgs, a) {
			return &connector.ConfigError{Field: prefix + "algorithms[" + strconv.Itoa(i) + "]",
				Reason: "expected one of " + strings.Join(signingAlgs, ", ")}
		}
	}
	if c.clockTolerance, err = seconds(prefix+"clockTolerance", v.ClockTolerance); err != nil {
		return err
	}
	if c.maxTokenAge, err = seconds(prefix+"maxTokenAge", v.MaxTokenAge); err != nil {
		return err
	}
	return nil
}

// stringOrList reads a field that is a string or an array of strings.
func stringOrList(field string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many, nil
	}
	return nil, &connector.ConfigError{Field: field, Reason: "expected a string or an array of strings"}
}

// jose's duration strings: a number and a unit ("30s", "5 minutes", "2h").
var durationText = regexp.MustCompile(`^(\d+(?:\.\d+)?) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)$`)

// seconds reads a duration as jose's jwtVerify takes it: a number of
// seconds, or a number with a unit.
func seconds(field string, raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	bad := &connector.ConfigError{Field: field, Reason: `expected a number of seconds or a duration such as "30s" or "5 minutes"`}
	var n float64
	if json.Unmarshal(raw, &n) == nil {
		if n < 0 || n > 365*24*3600 || math.IsNaN(n) {
			return 0, bad
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return 0, bad
	}
	m := durationText.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, bad
	}
	n, _ = strconv.ParseFloat(m[1], 64)
	unit := time.Second
	switch m[2][0] {
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	}
	d := time.Duration(n * float64(unit))
	if d > 365*24*time.Hour {
		return 0, bad
	}
	return d, nil
}
