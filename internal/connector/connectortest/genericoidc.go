package connectortest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FakeOIDCHost is the made-up host of FakeOIDC.
const FakeOIDCHost = "idp.oidc.example"

// FakeOIDC is a standard OpenID Connect provider for Logto's generic
// "oidc" connector, served at https://idp.oidc.example: discovery at
// /.well-known/openid-configuration, /authorize (response_mode query or
// form_post), /token (the client authenticates with the method set by
// SetTokenEndpointAuthMethod: client_secret_post by default,
// client_secret_basic, or client_secret_jwt with HS256/384/512), /jwks
// and /userinfo. ID tokens are ES256 and carry the profile: name,
// picture, email and email_verified, phone_number and
// phone_number_verified.
type FakeOIDC struct {
	*openIDFake

	// Guarded by mu.
	authMethod        string
	stringBooleans    bool
	omitEmailVerified bool
}

const (
	fakeOIDCIssuer       = "https://" + FakeOIDCHost
	fakeOIDCClientID     = "gatehouse-fake-client"
	fakeOIDCClientSecret = "fake-oidc-client-secret-0123456789abcdef0123456789abcdef0123456789"
)

// NewFakeOIDC registers idp.oidc.example on u, signing acct in.
func NewFakeOIDC(u *Upstream, acct FakeAccount) *FakeOIDC {
	f := &FakeOIDC{openIDFake: newOpenIDFake(fakeOIDCIssuer, fakeOIDCClientID, fakeOIDCClientSecret, jose.ES256, acct),
		authMethod: "client_secret_post"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("/authorize", f.authorize)
	mux.HandleFunc("/token", f.token)
	mux.HandleFunc("/jwks", f.serveJWKS)
	mux.HandleFunc("/userinfo", f.userinfo)
	u.Handle(FakeOIDCHost, mux)
	return f
}

var _ FakeProvider = (*FakeOIDC)(nil)

// FactoryID is Logto's standard OIDC connector id.
func (f *FakeOIDC) FactoryID() string { return "oidc" }

// Config is an oidc connector config for this fake.
func (f *FakeOIDC) Config() json.RawMessage {
	f.mu.Lock()
	method := f.authMethod
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]any{
		"authorizationEndpoint":   fakeOIDCIssuer + "/authorize",
		"tokenEndpoint":           fakeOIDCIssuer + "/token",
		"clientId":                f.clientID,
		"clientSecret":            f.clientSecret,
		"tokenEndpointAuthMethod": method,
		"scope":                   "openid profile email phone",
		"idTokenVerificationConfig": map[string]any{
			"jwksUri": fakeOIDCIssuer + "/jwks",
			"issuer":  fakeOIDCIssuer,
		},
	})
	return b
}

// SetTokenEndpointAuthMethod sets how the token endpoint authenticates
// the client from now on (client_secret_post, client_secret_basic or
// client_secret_jwt); Config names it.
func (f *FakeOIDC) SetTokenEndpointAuthMethod(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authMethod = method
}

// SetStringBooleans makes the next ID tokens carry email_verified and
// phone_number_verified as "true"/"false" strings.
func (f *FakeOIDC) SetStringBooleans(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stringBooleans = on
}

// OmitEmailVerified makes the next ID tokens carry the email without any
// email_verified claim.
func (f *FakeOIDC) OmitEmailVerified(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.omitEmailVerified = on
}

func (f *FakeOIDC) discovery(w http.ResponseWriter, _ *http.Request) {
	openIDJSON(w, http.StatusOK, map[string]any{
		"issuer":                                fakeOIDCIssuer,
		"authorization_endpoint":                fakeOIDCIssuer + "/authorize",
		"token_endpoint":                        fakeOIDCIssuer + "/token",
		"userinfo_endpoint":                     fakeOIDCIssuer + "/userinfo",
		"jwks_uri":                              fakeOIDCIssuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "form_post"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic", "client_secret_jwt"},
		"scopes_supported":                      []string{"openid", "profile", "email", "phone"},
	})
}

func (f *FakeOIDC) authorize(w http.ResponseWriter, r *http.Request) {
	req, ok := f.startAuthorization(w, r)
	if !ok {
		return
	}
	q := req.query
	mode := q.Get("response_mode")
	deliver := func(params map[string][]string) {
		if mode == "form_post" {
			openIDFormPost(w, req.redirectURI, params)
		} else {
			openIDRedirect(w, req.redirectURI, params)
		}
	}
	back := func(code, description string) {
		deliver(map[string][]string{"error": {code}, "error_description": {description}, "state": {req.state}})
	}
	switch {
	case mode != "" && mode != "query" && mode != "form_post":
		mode = ""
		back("invalid_request", "unsupported response_mode")
	case q.Get("response_type") != "code":
		back("unsupported_response_type", "only code is supported")
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		back("invalid_scope", "openid is required")
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		back("invalid_request", "only S256 challenges are accepted")
	case req.fail == FailAuthorize:
		deliver(map[string][]string{"error": {"access_denied"}, "error_description": {"The user denied the request."},
			"state": {req.callbackState()}})
	default:
		deliver(map[string][]string{"code": {f.issueCode(req.grant)}, "state": {req.callbackState()}, "iss": {fakeOIDCIssuer}})
	}
}

// authenticate checks the token request's client authentication by the
// configured method.
func (f *FakeOIDC) authenticate(r *http.Request, method string) bool {
	form := r.PostForm
	switch method {
	case "client_secret_basic":
		id, secret, ok := openIDBasicAuth(r)
		return ok && id == f.clientID && f.clientSecretOK(secret) && form.Get("client_secret") == ""
	case "client_secret_jwt":
		if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
			(form.Get("client_id") != "" && form.Get("client_id") != f.clientID) || form.Get("client_secret") != "" {
			return false
		}
		return f.checkAssertion(form.Get("client_assertion"))
	default:
		_, _, basic := r.BasicAuth()
		return !basic && form.Get("client_id") == f.clientID && f.clientSecretOK(form.Get("client_secret"))
	}
}

// checkAssertion verifies an RFC 7523 client assertion signed with the
// client secret.
func (f *FakeOIDC) checkAssertion(assertion string) bool {
	jws, err := jose.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512})
	if err != nil {
		return false
	}
	payload, err := jws.Verify([]byte(f.clientSecret))
	if err != nil {
		return false
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp int64           `json:"exp"`
		Jti string          `json:"jti"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Iss != f.clientID || c.Sub != f.clientID || c.Jti == "" ||
		!time.Unix(c.Exp, 0).After(time.Now()) {
		return false
	}
	var aud string
	var auds []string
	if json.Unmarshal(c.Aud, &aud) == nil {
		auds = []string{aud}
	} else if json.Unmarshal(c.Aud, &auds) != nil {
		return false
	}
	return slices.Contains(auds, fakeOIDCIssuer+"/token") || slices.Contains(auds, fakeOIDCIssuer)
}

func (f *FakeOIDC) token(w http.ResponseWriter, r *http.Request) {
	if !openIDPostOnly(w, r) {
		return
	}
	f.mu.Lock()
	method, asStrings, omitVerified := f.authMethod, f.stringBooleans, f.omitEmailVerified
	f.mu.Unlock()
	if !f.authenticate(r, method) {
		w.Header().Set("WWW-Authenticate", `Basic realm="idp.oidc.example"`)
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	form := r.PostForm
	if form.Get("grant_type") != "authorization_code" {
		openIDOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	g := f.redeem(form.Get("code"))
	if code, desc := openIDCheckCode(g, form); code != "" {
		openIDOAuthError(w, http.StatusBadRequest, code, desc)
		return
	}
	if g.fail == FailToken {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_grant", "grant request is invalid")
		return
	}
	flag := func(b bool) any {
		if asStrings {
			if b {
				return "true"
			}
			return "false"
		}
		return b
	}
	c := f.idTokenClaims(g, time.Now())
	c["auth_time"] = time.Now().Unix()
	a := g.account
	if a.Name != "" {
		c["name"] = a.Name
	}
	if a.Picture != "" {
		c["picture"] = a.Picture
	}
	if a.Email != "" {
		c["email"] = a.Email
		if !omitVerified {
			c["email_verified"] = flag(a.EmailVerified)
		}
	}
	if a.Phone != "" {
		c["phone_number"] = a.Phone
		c["phone_number_verified"] = flag(true)
	}
	idToken, err := f.sign(c, g.fail)
	if err != nil {
		openIDOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	openIDJSON(w, http.StatusOK, map[string]any{"access_token": f.issueAccessToken(g, "at-"), "token_type": "Bearer",
		"expires_in": 3600, "scope": g.scope, "id_token": idToken})
}

func (f *FakeOIDC) userinfo(w http.ResponseWriter, r *http.Request) {
	g := f.bearer(r)
	if g == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_token", "")
		return
	}
	p := map[string]any{"sub": g.account.ID}
	if g.account.Name != "" {
		p["name"] = g.account.Name
	}
	if g.account.Email != "" {
		p["email"], p["email_verified"] = g.account.Email, g.account.EmailVerified
	}
	openIDJSON(w, http.StatusOK, p)
}
