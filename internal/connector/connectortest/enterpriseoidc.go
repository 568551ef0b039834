package connectortest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FakeEnterpriseOIDC is a company's OpenID provider (an Okta org, an Entra
// ID tenant, a Keycloak realm) at https://<host>, the issuer, as an
// enterprise SSO connector sees it: discovery at
// /.well-known/openid-configuration, then /oauth2/v1/authorize, /token,
// /keys and /userinfo, as Okta lays them out. Like Okta it takes the client
// credentials as HTTP Basic only, requires PKCE with S256, and signs ID
// tokens with RS256.
type FakeEnterpriseOIDC struct {
	*openIDFake
	host         string
	providerName string
	discoveryOff atomic.Bool
}

const (
	fakeEnterpriseClientID = "0oa1gatehousefakesso"
	// Longer than 16 characters, so that masked forms keep the last four.
	fakeEnterpriseClientSecret = "fake-enterprise-sso-client-secret-7Qx2"
)

// NewFakeEnterpriseOIDC registers host (such as "login.acme.example") on u
// as an OpenID provider that signs acct in; FactoryID is "OIDC" until
// SetProviderName says otherwise.
func NewFakeEnterpriseOIDC(u *Upstream, host string, acct FakeAccount) *FakeEnterpriseOIDC {
	host = strings.ToLower(host)
	f := &FakeEnterpriseOIDC{
		openIDFake:   newOpenIDFake("https://"+host, fakeEnterpriseClientID, fakeEnterpriseClientSecret, jose.RS256, acct),
		host:         host,
		providerName: "OIDC",
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("/oauth2/v1/authorize", f.authorize)
	mux.HandleFunc("/oauth2/v1/token", f.token)
	mux.HandleFunc("/oauth2/v1/keys", f.serveJWKS)
	mux.HandleFunc("/oauth2/v1/userinfo", f.userinfo)
	u.Handle(host, mux)
	return f
}

// Issuer is the provider's issuer, https://<host>.
func (f *FakeEnterpriseOIDC) Issuer() string { return f.issuer }

// ClientSecret is the client secret the fake accepts.
func (f *FakeEnterpriseOIDC) ClientSecret() string { return f.clientSecret }

// SetProviderName sets what FactoryID returns: "OIDC", "Okta" or
// "AzureAdOidc" (set it before use; it is not guarded).
func (f *FakeEnterpriseOIDC) SetProviderName(name string) { f.providerName = name }

// FactoryID is the SSO connector providerName the fake stands in for.
func (f *FakeEnterpriseOIDC) FactoryID() string { return f.providerName }

// Config is the SSO connector config for this fake: clientId,
// clientSecret and issuer (without /.well-known), as Logto takes them.
func (f *FakeEnterpriseOIDC) Config() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"clientId": f.clientID, "clientSecret": f.clientSecret, "issuer": f.issuer})
	return b
}

// SetDiscoveryDown makes the discovery document answer 503 (true) or
// come back (false), for connectors whose issuer cannot be reached.
func (f *FakeEnterpriseOIDC) SetDiscoveryDown(down bool) { f.discoveryOff.Store(down) }

func (f *FakeEnterpriseOIDC) discovery(w http.ResponseWriter, _ *http.Request) {
	if f.discoveryOff.Load() {
		openIDErrorPage(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is unavailable.")
		return
	}
	base := f.issuer + "/oauth2/v1"
	openIDJSON(w, http.StatusOK, map[string]any{
		"issuer":                                f.issuer,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"userinfo_endpoint":                     base + "/userinfo",
		"jwks_uri":                              base + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "phone", "offline_access"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "name", "email", "email_verified", "picture", "phone_number", "phone_number_verified"},
	})
}

func (f *FakeEnterpriseOIDC) authorize(w http.ResponseWriter, r *http.Request) {
	req, ok := f.startAuthorization(w, r)
	if !ok {
		return
	}
	q := req.query
	back := func(code, description string) {
		openIDRedirect(w, req.redirectURI, map[string][]string{"error": {code}, "error_description": {description}, "state": {req.state}})
	}
	switch {
	case q.Get("response_type") != "code":
		back("unsupported_response_type", "The response type is not supported by the authorization server.")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		back("invalid_scope", "The openid scope is required.")
		return
	case q.Get("state") == "":
		back("invalid_request", "The state parameter is required.")
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		back("invalid_request", "PKCE code challenge is required: send code_challenge with code_challenge_method=S256.")
		return
	}
	if req.fail == FailAuthorize {
		openIDRedirect(w, req.redirectURI, map[string][]string{"error": {"access_denied"},
			"error_description": {"User is not assigned to the client application."}, "state": {req.callbackState()}})
		return
	}
	code := f.issueCode(req.grant)
	openIDRedirect(w, req.redirectURI, map[string][]string{"code": {code}, "state": {req.callbackState()}})
}

func (f *FakeEnterpriseOIDC) token(w http.ResponseWriter, r *http.Request) {
	if !openIDPostOnly(w, r) {
		return
	}
	form := r.PostForm
	id, secret, ok := openIDBasicAuth(r)
	if !ok || form.Get("client_secret") != "" {
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed: use client_secret_basic.")
		return
	}
	if id != f.clientID || !f.clientSecretOK(secret) {
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_client", "The client secret supplied for a confidential client is invalid.")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		openIDOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	g := f.redeem(form.Get("code"))
	if code, desc := openIDCheckCode(g, form); code != "" {
		openIDOAuthError(w, http.StatusBadRequest, code, desc)
		return
	}
	if g.fail == FailToken {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or has expired.")
		return
	}
	claims := f.idTokenClaims(g, time.Now())
	for k, v := range enterpriseProfile(g.account) {
		claims[k] = v
	}
	idToken, err := f.sign(claims, g.fail)
	if err != nil {
		openIDOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	access := f.issueAccessToken(g, "eyJfake.")
	openIDJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": access,
		"scope": g.scope, "id_token": idToken})
}

func (f *FakeEnterpriseOIDC) userinfo(w http.ResponseWriter, r *http.Request) {
	g := f.bearer(r)
	if g == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token is invalid."`)
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid.")
		return
	}
	openIDJSON(w, http.StatusOK, enterpriseProfile(g.account))
}

// enterpriseProfile is the account's standard claims.
func enterpriseProfile(acct FakeAccount) map[string]any {
	p := map[string]any{"sub": acct.ID}
	if acct.Name != "" {
		given, family := openIDSplitName(acct.Name)
		p["name"], p["given_name"] = acct.Name, given
		if family != "" {
			p["family_name"] = family
		}
	}
	if acct.Email != "" {
		p["email"], p["email_verified"] = acct.Email, acct.EmailVerified
	}
	if acct.Picture != "" {
		p["picture"] = acct.Picture
	}
	if acct.Phone != "" {
		p["phone_number"], p["phone_number_verified"] = acct.Phone, true
	}
	return p
}
