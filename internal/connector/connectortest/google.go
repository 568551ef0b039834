package connectortest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FakeGoogle is Google's OpenID Connect provider on its real hosts:
// accounts.google.com (authorization), oauth2.googleapis.com (token),
// www.googleapis.com (JWKS at /oauth2/v3/certs, userinfo at
// /oauth2/v3/userinfo) and openidconnect.googleapis.com (userinfo at
// /v1/userinfo). ID tokens are RS256 with iss https://accounts.google.com.
type FakeGoogle struct {
	*openIDFake
	hostedDomain string // guarded by mu
}

// Google's fake client credentials, in the shapes Google issues.
const (
	fakeGoogleClientID     = "123456789012-fakegatehouse.apps.googleusercontent.com"
	fakeGoogleClientSecret = "GOCSPX-fake-google-client-secret"
)

// NewFakeGoogle registers Google's hosts on u, signing acct in.
func NewFakeGoogle(u *Upstream, acct FakeAccount) *FakeGoogle {
	f := &FakeGoogle{openIDFake: newOpenIDFake("https://accounts.google.com", fakeGoogleClientID, fakeGoogleClientSecret, jose.RS256, acct)}
	accounts := http.NewServeMux()
	accounts.HandleFunc("/o/oauth2/v2/auth", f.authorize)
	u.Handle("accounts.google.com", accounts)
	token := http.NewServeMux()
	token.HandleFunc("/token", f.token)
	u.Handle("oauth2.googleapis.com", token)
	apis := http.NewServeMux()
	apis.HandleFunc("/oauth2/v3/certs", f.serveJWKS)
	apis.HandleFunc("/oauth2/v3/userinfo", f.userinfo)
	u.Handle("www.googleapis.com", apis)
	oidcAPI := http.NewServeMux()
	oidcAPI.HandleFunc("/v1/userinfo", f.userinfo)
	u.Handle("openidconnect.googleapis.com", oidcAPI)
	return f
}

var _ FakeProvider = (*FakeGoogle)(nil)

// FactoryID is Logto's Google connector id.
func (f *FakeGoogle) FactoryID() string { return "google-universal" }

// Config is a google-universal config for this fake.
func (f *FakeGoogle) Config() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"clientId": f.clientID, "clientSecret": f.clientSecret, "scope": "openid profile email"})
	return b
}

// SetHostedDomain makes the next accounts Google Workspace accounts of
// domain (the hd claim); "" makes them consumer accounts without hd.
func (f *FakeGoogle) SetHostedDomain(domain string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostedDomain = domain
}

var googlePrompts = []string{"none", "consent", "select_account"}

func (f *FakeGoogle) authorize(w http.ResponseWriter, r *http.Request) {
	req, ok := f.startAuthorization(w, r)
	if !ok {
		return
	}
	q := req.query
	back := func(code, description string) {
		openIDRedirect(w, req.redirectURI, map[string][]string{"error": {code}, "error_description": {description}, "state": {req.state}})
	}
	if q.Get("response_type") != "code" {
		back("unsupported_response_type", "Only response_type=code is supported.")
		return
	}
	if !slices.Contains(strings.Fields(q.Get("scope")), "openid") {
		back("invalid_scope", "The openid scope is required.")
		return
	}
	for _, p := range strings.Fields(q.Get("prompt")) {
		if !slices.Contains(googlePrompts, p) {
			back("invalid_request", "Invalid prompt: "+p)
			return
		}
	}
	if m := q.Get("code_challenge_method"); m != "" && m != "S256" && m != "plain" {
		back("invalid_request", "Invalid code_challenge_method.")
		return
	}
	if req.fail == FailAuthorize {
		openIDRedirect(w, req.redirectURI, map[string][]string{"error": {"access_denied"}, "state": {req.callbackState()}})
		return
	}
	req.grant.offline = q.Get("access_type") == "offline"
	f.mu.Lock()
	req.grant.tenant = f.hostedDomain // Google's hosted domain is per account
	f.mu.Unlock()
	code := f.issueCode(req.grant)
	openIDRedirect(w, req.redirectURI, map[string][]string{
		"state": {req.callbackState()}, "code": {code}, "scope": {req.grant.scope}, "authuser": {"0"}, "prompt": {"none"},
	})
}

func (f *FakeGoogle) token(w http.ResponseWriter, r *http.Request) {
	if !openIDPostOnly(w, r) {
		return
	}
	form := r.PostForm
	// Google takes the client credentials in the body or as Basic.
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if bid, bsecret, ok := openIDBasicAuth(r); ok {
		id, secret = bid, bsecret
	}
	if id != f.clientID || !f.clientSecretOK(secret) {
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		openIDOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+form.Get("grant_type"))
		return
	}
	g := f.redeem(form.Get("code"))
	if code, desc := openIDCheckCode(g, form); code != "" {
		openIDOAuthError(w, http.StatusBadRequest, code, desc)
		return
	}
	if g.fail == FailToken {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_grant", "Bad Request")
		return
	}
	claims := f.idTokenClaims(g, time.Now())
	claims["azp"] = f.clientID
	for k, v := range googleProfile(g.account, g.tenant) {
		if k != "sub" {
			claims[k] = v
		}
	}
	idToken, err := f.sign(claims, g.fail)
	if err != nil {
		openIDOAuthError(w, http.StatusInternalServerError, "internal_failure", err.Error())
		return
	}
	access := f.issueAccessToken(g, "ya29.fake-")
	body := map[string]any{"access_token": access, "expires_in": 3599, "scope": g.scope, "token_type": "Bearer", "id_token": idToken}
	if g.offline {
		body["refresh_token"] = "1//fake-refresh-" + randomHex()
	}
	openIDJSON(w, http.StatusOK, body)
}

func (f *FakeGoogle) userinfo(w http.ResponseWriter, r *http.Request) {
	g := f.bearer(r)
	if g == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_request", "Invalid Credentials")
		return
	}
	openIDJSON(w, http.StatusOK, googleProfile(g.account, g.tenant))
}

// googleProfile is Google's userinfo document for acct.
func googleProfile(acct FakeAccount, hd string) map[string]any {
	p := map[string]any{"sub": acct.ID}
	if acct.Name != "" {
		given, family := openIDSplitName(acct.Name)
		p["name"] = acct.Name
		p["given_name"] = given
		if family != "" {
			p["family_name"] = family
		}
	}
	if acct.Picture != "" {
		p["picture"] = acct.Picture
	}
	if acct.Email != "" {
		p["email"] = acct.Email
		p["email_verified"] = acct.EmailVerified
	}
	if hd != "" {
		p["hd"] = hd
	}
	return p
}
