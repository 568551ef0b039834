// Package genericoauth is Logto's standard "oauth2" social connector: any
// provider that speaks the OAuth 2.0 authorization code grant and has an
// endpoint that describes the signed-in user as JSON. The config names the
// three endpoints, how the client authenticates at the token endpoint
// (client_secret_post, client_secret_basic or client_secret_jwt), extra
// parameters (customConfig) and where in the profile each field is
// (profileMap, dot paths into nested objects and arrays).
//
// Being standard, the factory allows several connectors, each with its own
// target and button.
//
// Email and phone: OAuth 2.0 has no standard way to say an address is
// verified, so the administrator who maps "email" vouches for it. Gatehouse
// still drops it when the provider says otherwise: when profileMap names an
// emailVerified path, the email is kept only if that value is true; without
// one, a sibling "<field>_verified" member (email_verified beside email, as
// in OpenID Connect) that is false drops it. Phones follow the same rules
// with phoneVerified and phone_verified / phone_number_verified.
package genericoauth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

// FactoryID is Logto's id of the generic OAuth 2.0 connector.
const FactoryID = "oauth2"

// Token endpoint client authentication methods (Logto's names).
const (
	AuthClientSecretPost  = "client_secret_post"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretJWT   = "client_secret_jwt"
)

// clientAssertionLifetime is how long a client_secret_jwt assertion is
// valid (Logto's ten minutes).
const clientAssertionLifetime = 10 * time.Minute

const maxBody = 1 << 20

// defaultProfileMap is Logto's: each field under its own name.
var defaultProfileMap = profileMap{id: "id", email: "email", phone: "phone", name: "name", avatar: "avatar"}

// Factory returns the oauth2 factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:    connector.TypeSocial,
		Secrets: [][]string{{"clientSecret"}},
		Metadata: connector.Metadata{
			ID:         FactoryID,
			Target:     "oauth2",
			Platform:   &platform,
			IsStandard: true,
			Name:       map[string]string{"en": "OAuth 2.0", "zh-CN": "OAuth 2.0", "tr-TR": "OAuth 2.0", "ko": "OAuth 2.0"},
			Logo:       logo(),
			Description: map[string]string{
				"en": "The OAuth 2.0 authorization framework enables a third-party application to obtain limited access to an HTTP service.",
			},
			Readme: readme,
			FormItems: []connector.FormItem{
				{Type: connector.FormText, Key: "authorizationEndpoint", Label: "Authorization Endpoint", Required: true, Placeholder: "<authorization-endpoint>"},
				{Type: connector.FormText, Key: "tokenEndpoint", Label: "Token Endpoint", Required: true, Placeholder: "<token-endpoint>"},
				{Type: connector.FormText, Key: "userInfoEndpoint", Label: "User Info Endpoint", Required: true, Placeholder: "<user-info-endpoint>"},
				{Type: connector.FormText, Key: "clientId", Label: "Client ID", Required: true, Placeholder: "<client-id>"},
				{Type: connector.FormText, Key: "clientSecret", Label: "Client Secret", Required: true, Placeholder: "<client-secret>", IsConfidential: true},
				{Type: connector.FormSelect, Key: "tokenEndpointAuthMethod", Label: "Token Endpoint Auth Method", Required: true,
					DefaultValue: AuthClientSecretPost,
					SelectItems: []connector.SelectItem{{Value: AuthClientSecretPost, Title: AuthClientSecretPost},
						{Value: AuthClientSecretBasic, Title: AuthClientSecretBasic}, {Value: AuthClientSecretJWT, Title: AuthClientSecretJWT}},
					Description: "The method used for client authentication at the token endpoint in OAuth 2.0."},
				{Type: connector.FormSelect, Key: "clientSecretJwtSigningAlgorithm", Label: "Client Secret JWT Signing Algorithm",
					DefaultValue: "HS256",
					SelectItems:  []connector.SelectItem{{Value: "HS256", Title: "HS256"}, {Value: "HS384", Title: "HS384"}, {Value: "HS512", Title: "HS512"}},
					Description:  "The signing algorithm of the client secret JWT (client_secret_jwt only)."},
				{Type: connector.FormSelect, Key: "tokenEndpointResponseType", Label: "Token Endpoint Response Type", DefaultValue: "query-string",
					SelectItems: []connector.SelectItem{{Value: "query-string", Title: "query-string"}, {Value: "json", Title: "json"}}},
				{Type: connector.FormMultilineText, Key: "scope", Label: "Scope", Placeholder: "Enter the scopes (separated by a space)"},
				{Type: connector.FormJSON, Key: "profileMap", Label: "Profile Map",
					DefaultValue: map[string]string{"id": "id", "email": "email", "phone": "phone", "name": "name", "avatar": "avatar"},
					Description:  "Where each field is in the user info: a member name or a dot path (\"data.user.id\")."},
				{Type: connector.FormJSON, Key: "customConfig", Label: "Custom Config", DefaultValue: map[string]string{},
					Description: "Extra parameters sent to the authorization and token endpoints."},
			},
		},
		Validate: func(raw json.RawMessage) error {
			_, err := parseConfig(raw)
			return err
		},
		NewSocial: func(raw json.RawMessage, env connector.Env) (connector.Social, error) {
			cfg, err := parseConfig(raw)
			if err != nil {
				return nil, err
			}
			rp := oidcrp.New(env)
			return &provider{cfg: cfg, client: rp.HTTP, now: rp.Now}, nil
		},
	}
}

const readme = "# OAuth 2.0\n\n" +
	"Sign in with any OAuth 2.0 provider (authorization code grant) that has a user info endpoint answering JSON.\n\n" +
	"1. Register a client at the provider with the redirect URI `<ENDPOINT>/callback/<connector id>`.\n" +
	"2. Fill in `authorizationEndpoint`, `tokenEndpoint`, `userInfoEndpoint`, `clientId`, `clientSecret` and `scope` from the provider's documentation.\n" +
	"3. `tokenEndpointAuthMethod`: `client_secret_post` (default), `client_secret_basic` or `client_secret_jwt` (with `clientSecretJwtSigningAlgorithm` HS256/HS384/HS512).\n" +
	"4. `profileMap` says where each field is in the user info, as member names or dot paths: `{\"id\": \"sub\", \"name\": \"data.name\", \"email\": \"email\", \"avatar\": \"picture.url\"}`. " +
	"Only `id` is required. Map `email` only to an address the provider has verified; `emailVerified` (a Gatehouse addition) can name a boolean that must be true.\n" +
	"5. `customConfig`: extra string parameters for both endpoints, such as `{\"audience\": \"https://api.example.com\"}`; keys are converted to snake_case as Logto does.\n\n" +
	"Token answers are read as JSON when they are JSON and as a query string otherwise, whatever `tokenEndpointResponseType` says.\n"

type profileMap struct {
	id, email, phone, name, avatar string
	emailVerified, phoneVerified   string // Gatehouse's additions; "" means the sibling rule
}

type config struct {
	authorizationEndpoint, tokenEndpoint, userInfoEndpoint *url.URL
	clientID, clientSecret                                 string
	authMethod                                             string
	jwtAlgorithm                                           string
	scope                                                  string
	profile                                                profileMap
	custom                                                 [][2]string // snake_case key, value; sorted by key
}

func parseConfig(raw json.RawMessage) (config, error) {
	var c struct {
		ResponseType                    string `json:"responseType"`
		GrantType                       string `json:"grantType"`
		AuthorizationEndpoint           string `json:"authorizationEndpoint"`
		TokenEndpoint                   string `json:"tokenEndpoint"`
		UserInfoEndpoint                string `json:"userInfoEndpoint"`
		ClientID                        string `json:"clientId"`
		ClientSecret                    string `json:"clientSecret"`
		TokenEndpointAuthMethod         string `json:"tokenEndpointAuthMethod"`
		ClientSecretJwtSigningAlgorithm string `json:"clientSecretJwtSigningAlgorithm"`
		TokenEndpointResponseType       string `json:"tokenEndpointResponseType"`
		Scope                           string `json:"scope"`
		ProfileMap                      *struct {
			ID            string `json:"id"`
			Email         string `json:"email"`
			Phone         string `json:"phone"`
			Name          string `json:"name"`
			Avatar        string `json:"avatar"`
			EmailVerified string `json:"emailVerified"`
			PhoneVerified string `json:"phoneVerified"`
		} `json:"profileMap"`
		CustomConfig map[string]json.RawMessage `json:"customConfig"`
	}
	if err := oidcrp.DecodeConfig(raw, &c); err != nil {
		return config{}, err
	}
	oneOf := func(field, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return &connector.ConfigError{Field: field, Reason: "expected one of " + strings.Join(allowed, ", ")}
	}
	endpoint := func(field, v string) (*url.URL, error) {
		if strings.TrimSpace(v) == "" {
			return nil, &connector.ConfigError{Field: field, Reason: "is required"}
		}
		u, err := url.Parse(strings.TrimSpace(v))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			return nil, &connector.ConfigError{Field: field, Reason: "expected an absolute http or https URL without fragment"}
		}
		return u, nil
	}
	var out config
	var err error
	if err = oneOf("responseType", c.ResponseType, "", "code"); err != nil {
		return config{}, err
	}
	if err = oneOf("grantType", c.GrantType, "", "authorization_code"); err != nil {
		return config{}, err
	}
	if out.authorizationEndpoint, err = endpoint("authorizationEndpoint", c.AuthorizationEndpoint); err != nil {
		return config{}, err
	}
	if out.tokenEndpoint, err = endpoint("tokenEndpoint", c.TokenEndpoint); err != nil {
		return config{}, err
	}
	if out.userInfoEndpoint, err = endpoint("userInfoEndpoint", c.UserInfoEndpoint); err != nil {
		return config{}, err
	}
	if out.clientID = strings.TrimSpace(c.ClientID); out.clientID == "" {
		return config{}, &connector.ConfigError{Field: "clientId", Reason: "is required"}
	}
	if out.clientSecret = c.ClientSecret; out.clientSecret == "" {
		return config{}, &connector.ConfigError{Field: "clientSecret", Reason: "is required"}
	}
	if err = oneOf("tokenEndpointAuthMethod", c.TokenEndpointAuthMethod, "", AuthClientSecretPost, AuthClientSecretBasic, AuthClientSecretJWT); err != nil {
		return config{}, err
	}
	if out.authMethod = c.TokenEndpointAuthMethod; out.authMethod == "" {
		out.authMethod = AuthClientSecretPost
	}
	if err = oneOf("clientSecretJwtSigningAlgorithm", c.ClientSecretJwtSigningAlgorithm, "", "HS256", "HS384", "HS512"); err != nil {
		return config{}, err
	}
	if out.jwtAlgorithm = c.ClientSecretJwtSigningAlgorithm; out.jwtAlgorithm == "" {
		out.jwtAlgorithm = "HS256"
	}
	if err = oneOf("tokenEndpointResponseType", c.TokenEndpointResponseType, "", "query-string", "json"); err != nil {
		return config{}, err
	}
	out.scope = strings.TrimSpace(c.Scope)
	out.profile = defaultProfileMap
	if pm := c.ProfileMap; pm != nil {
		for _, f := range []struct {
			key string
			src string
			dst *string
		}{
			{"id", pm.ID, &out.profile.id}, {"email", pm.Email, &out.profile.email}, {"phone", pm.Phone, &out.profile.phone},
			{"name", pm.Name, &out.profile.name}, {"avatar", pm.Avatar, &out.profile.avatar},
			{"emailVerified", pm.EmailVerified, &out.profile.emailVerified}, {"phoneVerified", pm.PhoneVerified, &out.profile.phoneVerified},
		} {
			p := strings.TrimSpace(f.src)
			if p == "" {
				continue
			}
			if strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
				return config{}, &connector.ConfigError{Field: "profileMap." + f.key, Reason: "expected a member name or a dot path such as data.user.id"}
			}
			*f.dst = p
		}
	}
	seen := map[string]string{}
	for k, rawValue := range c.CustomConfig {
		var v string
		if json.Unmarshal(rawValue, &v) != nil {
			return config{}, &connector.ConfigError{Field: "customConfig." + k, Reason: "expected a string"}
		}
		key := snakeCase(k)
		if key == "" {
			return config{}, &connector.ConfigError{Field: "customConfig." + k, Reason: "a key needs letters or digits"}
		}
		if other, dup := seen[key]; dup {
			return config{}, &connector.ConfigError{Field: "customConfig", Reason: "keys " + strconv.Quote(other) + " and " +
				strconv.Quote(k) + " are both sent as " + key}
		}
		seen[key] = k
		out.custom = append(out.custom, [2]string{key, v})
	}
	// Map order is random; a sorted list keeps requests reproducible.
	slices.SortFunc(out.custom, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out, nil
}

// snakeCase converts a customConfig key as Logto does (the snake-case
// package under snakecase-keys): word boundaries at lower→Upper and at
// UPPER→Upper-lower, anything but letters and digits separates words, and
// the words are lower-cased and joined with "_": accessType → access_type,
// XMLHttp → xml_http, foo-bar → foo_bar.
func snakeCase(s string) string {
	s = lowerUpper.ReplaceAllString(s, "$1 $2")
	s = upperWord.ReplaceAllString(s, "$1 $2")
	return strings.Join(strings.Fields(nonAlnum.ReplaceAllString(strings.ToLower(s), " ")), "_")
}

var (
	lowerUpper = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	upperWord  = regexp.MustCompile(`([A-Z])([A-Z][a-z])`)
	nonAlnum   = regexp.MustCompile(`[^a-z0-9]+`)
)

type provider struct {
	cfg    config
	client *http.Client
	now    func() time.Time
}

// withParams returns endpoint with params added to its query; the
// connector's own parameters win over customConfig ones of the same name.
func withParams(endpoint *url.URL, params url.Values, custom [][2]string) string {
	u := *endpoint
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	for _, kv := range custom {
		if !params.Has(kv[0]) {
			q.Set(kv[0], kv[1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// AuthorizationURL sends the browser to the provider's authorization
// endpoint. The provider is not assumed to know PKCE, so none is sent.
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" || req.RedirectURI == "" {
		return "", errors.New("oauth2 connector: authorization request without state or redirect URI")
	}
	params := url.Values{"response_type": {"code"}, "client_id": {p.cfg.clientID}, "redirect_uri": {req.RedirectURI}, "state": {req.State}}
	if p.cfg.scope != "" {
		params.Set("scope", p.cfg.scope)
	}
	return withParams(p.cfg.authorizationEndpoint, params, p.cfg.custom), nil
}

// UserInfo exchanges the callback's code and maps the user info.
func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	accessToken, tokenType, err := p.exchange(ctx, code, cb.RedirectURI)
	if err != nil {
		return nil, err
	}
	raw, profile, err := p.fetchProfile(ctx, accessToken, tokenType)
	if err != nil {
		return nil, err
	}
	return p.cfg.profile.apply(profile, raw)
}

// exchange redeems the code at the token endpoint.
func (p *provider) exchange(ctx context.Context, code, redirectURI string) (accessToken, tokenType string, err error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	switch p.cfg.authMethod {
	case AuthClientSecretPost:
		form.Set("client_id", p.cfg.clientID)
		form.Set("client_secret", p.cfg.clientSecret)
	case AuthClientSecretJWT:
		assertion, err := p.clientAssertion()
		if err != nil {
			return "", "", err
		}
		form.Set("client_id", p.cfg.clientID)
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	}
	for _, kv := range p.cfg.custom {
		if !form.Has(kv[0]) {
			form.Set(kv[0], kv[1])
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.tokenEndpoint.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", fmt.Errorf("oauth2 connector: building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if p.cfg.authMethod == AuthClientSecretBasic {
		// RFC 6749 §2.3.1: each part form-urlencoded before Basic.
		req.SetBasicAuth(url.QueryEscape(p.cfg.clientID), url.QueryEscape(p.cfg.clientSecret))
	}
	status, body, err := p.do(req, "token")
	if err != nil {
		return "", "", err
	}
	fields, ok := tokenFields(body)
	if e := fields["error"]; e != "" {
		return "", "", &connector.UpstreamError{Code: oidcrp.Clip(e), Description: oidcrp.Clip(fields["error_description"])}
	}
	if status/100 != 2 {
		return "", "", &connector.UpstreamError{Code: "http_" + strconv.Itoa(status), Description: "the token endpoint answered HTTP " + strconv.Itoa(status)}
	}
	if !ok || fields["access_token"] == "" {
		return "", "", fmt.Errorf("oauth2 connector: %w: the token answer has no access_token", connector.ErrInvalidResponse)
	}
	tokenType = fields["token_type"]
	if tokenType == "" || strings.EqualFold(tokenType, "bearer") {
		tokenType = "Bearer"
	}
	return fields["access_token"], tokenType, nil
}

// tokenFields reads a token endpoint's answer: a JSON object when it is
// one, else a query string (tokenEndpointResponseType only says which the
// provider uses, and both are recognizable). Non-string JSON members such
// as expires_in are skipped. ok is false when the body is neither.
func tokenFields(body []byte) (map[string]string, bool) {
	out := map[string]string{}
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '{' {
		var m map[string]any
		if json.Unmarshal(t, &m) != nil {
			return out, false
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out, true
	}
	q, err := url.ParseQuery(string(t))
	if err != nil {
		return out, false
	}
	for k := range q {
		out[k] = q.Get(k)
	}
	return out, true
}

// clientAssertion signs client_secret_jwt's assertion (RFC 7523) with an
// HMAC of the client secret. It is built by hand rather than with go-jose,
// which refuses HMAC keys shorter than the hash while providers issue such
// secrets and Logto signs with them.
func (p *provider) clientAssertion() (string, error) {
	var newHash func() hash.Hash
	switch p.cfg.jwtAlgorithm {
	case "HS384":
		newHash = sha512.New384
	case "HS512":
		newHash = sha512.New
	default:
		newHash = sha256.New
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("oauth2 connector: client assertion id: %w", err)
	}
	now := p.now()
	header, _ := json.Marshal(map[string]string{"alg": p.cfg.jwtAlgorithm})
	claims, _ := json.Marshal(map[string]any{"iss": p.cfg.clientID, "sub": p.cfg.clientID, "aud": p.cfg.tokenEndpoint.String(),
		"jti": hex.EncodeToString(jti[:]), "iat": now.Unix(), "exp": now.Add(clientAssertionLifetime).Unix()})
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	mac := hmac.New(newHash, []byte(p.cfg.clientSecret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// fetchProfile reads the user info endpoint.
func (p *provider) fetchProfile(ctx context.Context, accessToken, tokenType string) (json.RawMessage, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.userInfoEndpoint.String(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("oauth2 connector: building the user info request: %w", err)
	}
	req.Header.Set("Authorization", tokenType+" "+accessToken)
	req.Header.Set("Accept", "application/json")
	status, body, err := p.do(req, "user info")
	if err != nil {
		return nil, nil, err
	}
	if status/100 != 2 {
		fields, _ := tokenFields(body)
		if e := fields["error"]; e != "" {
			return nil, nil, &connector.UpstreamError{Code: oidcrp.Clip(e), Description: oidcrp.Clip(fields["error_description"])}
		}
		return nil, nil, &connector.UpstreamError{Code: "http_" + strconv.Itoa(status), Description: "the user info endpoint answered HTTP " + strconv.Itoa(status)}
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var profile map[string]any
	if err := d.Decode(&profile); err != nil || profile == nil {
		return nil, nil, fmt.Errorf("oauth2 connector: %w: the user info is not a JSON object", connector.ErrInvalidResponse)
	}
	return body, profile, nil
}

// do sends req and reads the answer. Transport errors leave the URL out:
// an administrator may have put a key in an endpoint's query.
func (p *provider) do(req *http.Request, what string) (int, []byte, error) {
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, fmt.Errorf("oauth2 connector: calling the %s endpoint: %w", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("oauth2 connector: reading the %s answer: %w", what, err)
	}
	return resp.StatusCode, body, nil
}

// apply maps a user info document to a SocialUser.
func (m profileMap) apply(profile map[string]any, raw json.RawMessage) (*connector.SocialUser, error) {
	out := &connector.SocialUser{RawData: raw}
	switch v := lookup(profile, m.id).(type) {
	case string:
		out.ID = v
	case json.Number:
		out.ID = v.String()
	}
	if out.ID == "" {
		return nil, fmt.Errorf("oauth2 connector: %w: the user info has no string or number at %q (profileMap.id)", connector.ErrInvalidResponse, m.id)
	}
	out.Name, _ = lookup(profile, m.name).(string)
	out.Avatar, _ = lookup(profile, m.avatar).(string)
	if m.vouched(profile, m.email, m.emailVerified) {
		out.Email, _ = lookup(profile, m.email).(string)
	}
	if m.vouched(profile, m.phone, m.phoneVerified) {
		switch v := lookup(profile, m.phone).(type) {
		case string:
			out.Phone = v
		case json.Number:
			out.Phone = v.String()
		}
	}
	return out, nil
}

// vouched reports whether the value at path may be trusted: the flag at
// flagPath must be true when one is configured; otherwise a sibling
// "<name>_verified" must not be false.
func (m profileMap) vouched(profile map[string]any, path, flagPath string) bool {
	if flagPath != "" {
		return truthy(lookup(profile, flagPath))
	}
	sibling := path + "_verified"
	v := lookup(profile, sibling)
	if v == nil {
		return true
	}
	return truthy(v)
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// lookup follows a dot path through objects and (by index) arrays; nil
// when it leads nowhere.
func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// logo draws a key in a circle, for a provider Gatehouse knows nothing of.
func logo() string {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#3d3d4d" stroke-width="1.5" stroke-linecap="round">` +
		`<circle cx="12" cy="12" r="10.5"/><circle cx="9" cy="12" r="2.5"/><path d="M11.5 12H18m-2 0v2.5M14 12v2"/></svg>`
	return oidcrp.LogoURI(svg)
}
