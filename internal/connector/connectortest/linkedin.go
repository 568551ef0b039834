package connectortest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FakeLinkedIn is Sign In with LinkedIn using OpenID Connect on its real
// hosts: www.linkedin.com serves /oauth/v2/authorization,
// /oauth/v2/accessToken (client credentials in the body only) and
// /oauth/openid/jwks; api.linkedin.com serves /v2/userinfo. ID tokens
// are RS256 with iss https://www.linkedin.com/oauth. Like LinkedIn, the
// fake ignores the nonce parameter: its ID tokens carry no nonce, except
// under FailWrongNonce, when they carry one that was never sent.
type FakeLinkedIn struct {
	*openIDFake
}

const (
	fakeLinkedInClientID     = "86fakelinkedin1"
	fakeLinkedInClientSecret = "WPL_AP1.fake-linkedin-secret.0123=="
)

// NewFakeLinkedIn registers LinkedIn's hosts on u, signing acct in.
func NewFakeLinkedIn(u *Upstream, acct FakeAccount) *FakeLinkedIn {
	f := &FakeLinkedIn{openIDFake: newOpenIDFake("https://www.linkedin.com/oauth", fakeLinkedInClientID, fakeLinkedInClientSecret, jose.RS256, acct)}
	www := http.NewServeMux()
	www.HandleFunc("/oauth/v2/authorization", f.authorize)
	www.HandleFunc("/oauth/v2/accessToken", f.token)
	www.HandleFunc("/oauth/openid/jwks", f.serveJWKS)
	u.Handle("www.linkedin.com", www)
	api := http.NewServeMux()
	api.HandleFunc("/v2/userinfo", f.userinfo)
	u.Handle("api.linkedin.com", api)
	return f
}

var _ FakeProvider = (*FakeLinkedIn)(nil)

// FactoryID is Logto's LinkedIn connector id.
func (f *FakeLinkedIn) FactoryID() string { return "linkedin-universal" }

// Config is a linkedin-universal config for this fake.
func (f *FakeLinkedIn) Config() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"clientId": f.clientID, "clientSecret": f.clientSecret})
	return b
}

var linkedInScopes = []string{"openid", "profile", "email", "w_member_social"}

func (f *FakeLinkedIn) authorize(w http.ResponseWriter, r *http.Request) {
	req, ok := f.startAuthorization(w, r)
	if !ok {
		return
	}
	q := req.query
	back := func(code, description string) {
		openIDRedirect(w, req.redirectURI, map[string][]string{"error": {code}, "error_description": {description}, "state": {req.state}})
	}
	if q.Get("response_type") != "code" {
		back("invalid_request", "Invalid response_type")
		return
	}
	for _, s := range strings.Fields(q.Get("scope")) {
		if !slices.Contains(linkedInScopes, s) {
			back("unauthorized_scope_error", "Scope \""+s+"\" is not authorized for your application")
			return
		}
	}
	if req.fail == FailAuthorize {
		openIDRedirect(w, req.redirectURI, map[string][]string{"error": {"user_cancelled_authorize"},
			"error_description": {"The user cancelled the authorization"}, "state": {req.callbackState()}})
		return
	}
	// LinkedIn's web flow has neither PKCE nor nonce.
	req.grant.challenge, req.grant.nonce = "", ""
	openIDRedirect(w, req.redirectURI, map[string][]string{"code": {f.issueCode(req.grant)}, "state": {req.callbackState()}})
}

func (f *FakeLinkedIn) token(w http.ResponseWriter, r *http.Request) {
	if !openIDPostOnly(w, r) {
		return
	}
	form := r.PostForm
	if form.Get("client_id") != f.clientID || !f.clientSecretOK(form.Get("client_secret")) {
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_request", "Unable to retrieve access token: grant_type is invalid")
		return
	}
	g := f.redeem(form.Get("code"))
	if code, _ := openIDCheckCode(g, form); code != "" || g.fail == FailToken {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_request",
			"Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.")
		return
	}
	claims := f.idTokenClaims(g, time.Now())
	if g.fail == FailWrongNonce {
		claims["nonce"] = "linkedin-never-sent-this-nonce"
	}
	for k, v := range linkedInProfile(g.account) {
		if k != "sub" && k != "locale" {
			claims[k] = v
		}
	}
	claims["locale"] = "en_US"
	idToken, err := f.sign(claims, g.fail)
	if err != nil {
		openIDOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	openIDJSON(w, http.StatusOK, map[string]any{"access_token": f.issueAccessToken(g, "AQV-fake-"), "expires_in": 5183999,
		"scope": strings.Join(strings.Fields(g.scope), ","), "token_type": "Bearer", "id_token": idToken})
}

func (f *FakeLinkedIn) userinfo(w http.ResponseWriter, r *http.Request) {
	g := f.bearer(r)
	if g == nil {
		openIDJSON(w, http.StatusUnauthorized, map[string]any{"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401})
		return
	}
	openIDJSON(w, http.StatusOK, linkedInProfile(g.account))
}

// linkedInProfile is LinkedIn's userinfo document for acct.
func linkedInProfile(a FakeAccount) map[string]any {
	p := map[string]any{"sub": a.ID, "locale": map[string]string{"country": "US", "language": "en"}}
	if a.Name != "" {
		given, family := openIDSplitName(a.Name)
		p["name"], p["given_name"], p["family_name"] = a.Name, given, family
	}
	if a.Picture != "" {
		p["picture"] = a.Picture
	}
	if a.Email != "" {
		p["email"] = a.Email
		p["email_verified"] = a.EmailVerified
	}
	return p
}
