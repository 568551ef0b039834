package connectortest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MicrosoftConsumersTenant is the directory of personal Microsoft
// accounts: their ID tokens carry it as tid.
const MicrosoftConsumersTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// FakeMicrosoftTenant is the fake application's home directory (tenant
// id) that FakeMicrosoft.Config names.
const FakeMicrosoftTenant = "4f1f3c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b"

// FakeMicrosoft is the Microsoft identity platform (v2.0 endpoints) on
// its real hosts: login.microsoftonline.com serves
// /{tenant}/oauth2/v2.0/authorize, /{tenant}/oauth2/v2.0/token and
// /{tenant}/discovery/v2.0/keys for any tenant segment (common,
// organizations, consumers, a tenant id), and graph.microsoft.com serves
// /v1.0/me. ID tokens are RS256 with iss
// https://login.microsoftonline.com/{tid}/v2.0, tid the account's
// directory, oid the account id (FakeAccount.ID, also the Graph id), and
// xms_edov true when FakeAccount.EmailVerified.
type FakeMicrosoft struct {
	*openIDFake
	userTenant   string // guarded by mu
	issuerTenant string // guarded by mu
}

const (
	fakeMicrosoftClientID     = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
	fakeMicrosoftClientSecret = "fake~microsoft~client~secret~0123"
)

// NewFakeMicrosoft registers Microsoft's hosts on u, signing acct in as a
// member of FakeMicrosoftTenant.
func NewFakeMicrosoft(u *Upstream, acct FakeAccount) *FakeMicrosoft {
	f := &FakeMicrosoft{
		openIDFake: newOpenIDFake("https://login.microsoftonline.com", fakeMicrosoftClientID, fakeMicrosoftClientSecret, jose.RS256, acct),
		userTenant: FakeMicrosoftTenant,
	}
	login := http.NewServeMux()
	login.HandleFunc("/{tenant}/oauth2/v2.0/authorize", f.authorize)
	login.HandleFunc("/{tenant}/oauth2/v2.0/token", f.token)
	login.HandleFunc("/{tenant}/discovery/v2.0/keys", f.serveJWKS)
	u.Handle("login.microsoftonline.com", login)
	graph := http.NewServeMux()
	graph.HandleFunc("/v1.0/me", f.me)
	u.Handle("graph.microsoft.com", graph)
	return f
}

var _ FakeProvider = (*FakeMicrosoft)(nil)

// FactoryID is Logto's Microsoft (Azure AD) connector id.
func (f *FakeMicrosoft) FactoryID() string { return "azuread-universal" }

// Config is an azuread-universal config for this fake, single-tenant in
// FakeMicrosoftTenant.
func (f *FakeMicrosoft) Config() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"clientId": f.clientID, "clientSecret": f.clientSecret,
		"cloudInstance": "https://login.microsoftonline.com", "tenantId": FakeMicrosoftTenant})
	return b
}

// SetUserTenant makes the next accounts members of directory tid
// (MicrosoftConsumersTenant for a personal account). The fake issues the
// token whatever the request's tenant segment, so that tests can check
// the connector's own tenant checks.
func (f *FakeMicrosoft) SetUserTenant(tid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.userTenant = tid
}

// SetIssuerTenant makes the next ID tokens name tid in iss while tid
// stays the account's ("" restores a consistent issuer).
func (f *FakeMicrosoft) SetIssuerTenant(tid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issuerTenant = tid
}

var microsoftPrompts = []string{"login", "none", "consent", "select_account"}

func (f *FakeMicrosoft) authorize(w http.ResponseWriter, r *http.Request) {
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
		back("unsupported_response_type", "AADSTS700054: response_type 'code' is expected.")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		back("invalid_request", "AADSTS900144: The request body must contain the openid scope.")
		return
	case q.Get("response_mode") != "" && q.Get("response_mode") != "query" && q.Get("response_mode") != "form_post":
		back("invalid_request", "AADSTS900144: Unsupported response_mode.")
		return
	}
	for _, p := range strings.Fields(q.Get("prompt")) {
		if !slices.Contains(microsoftPrompts, p) {
			back("invalid_request", "AADSTS90023: Invalid prompt value.")
			return
		}
	}
	if m := q.Get("code_challenge_method"); m != "" && m != "S256" && m != "plain" {
		back("invalid_request", "AADSTS501491: Invalid code_challenge_method.")
		return
	}
	if req.fail == FailAuthorize {
		openIDRedirect(w, req.redirectURI, map[string][]string{"error": {"access_denied"},
			"error_description": {"AADSTS65004: User declined to consent to access the app."}, "state": {req.callbackState()}})
		return
	}
	req.grant.tenant = r.PathValue("tenant")
	code := f.issueCode(req.grant)
	openIDRedirect(w, req.redirectURI, map[string][]string{"code": {code}, "state": {req.callbackState()},
		"session_state": {"fake-session-" + randomHex()}})
}

func (f *FakeMicrosoft) token(w http.ResponseWriter, r *http.Request) {
	if !openIDPostOnly(w, r) {
		return
	}
	form := r.PostForm
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if bid, bsecret, ok := openIDBasicAuth(r); ok {
		id, secret = bid, bsecret
	}
	if id != f.clientID || !f.clientSecretOK(secret) {
		openIDOAuthError(w, http.StatusUnauthorized, "invalid_client",
			"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		openIDOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
		return
	}
	g := f.redeem(form.Get("code"))
	if code, desc := openIDCheckCode(g, form); code != "" {
		openIDOAuthError(w, http.StatusBadRequest, code, "AADSTS70008: "+desc)
		return
	}
	if g.tenant != r.PathValue("tenant") {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS50148: The code was issued for another tenant.")
		return
	}
	if g.fail == FailToken {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70000: The provided authorization code is invalid or expired.")
		return
	}
	f.mu.Lock()
	tid, issTid := f.userTenant, f.issuerTenant
	f.mu.Unlock()
	if issTid == "" {
		issTid = tid
	}
	now := time.Now()
	claims := f.idTokenClaims(g, now)
	pairwise := sha256.Sum256([]byte(g.account.ID + "|" + f.clientID))
	claims["iss"] = "https://login.microsoftonline.com/" + issTid + "/v2.0"
	claims["sub"] = base64.RawURLEncoding.EncodeToString(pairwise[:])
	claims["nbf"] = now.Unix()
	claims["ver"] = "2.0"
	claims["tid"] = tid
	claims["oid"] = g.account.ID
	claims["aio"] = "fake-aio"
	if g.account.Name != "" {
		claims["name"] = g.account.Name
	}
	if g.account.Email != "" {
		claims["preferred_username"] = g.account.Email
		claims["email"] = g.account.Email
		if g.account.EmailVerified {
			claims["xms_edov"] = true
		}
	}
	idToken, err := f.sign(claims, g.fail)
	if err != nil {
		openIDOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	access := f.issueAccessToken(g, "eyJ0eXAiOiJKV1Qi.fake-graph-")
	openIDJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "scope": "openid profile email User.Read",
		"expires_in": 4196, "ext_expires_in": 4196, "access_token": access, "id_token": idToken})
}

// me is Microsoft Graph's GET /v1.0/me.
func (f *FakeMicrosoft) me(w http.ResponseWriter, r *http.Request) {
	g := f.bearer(r)
	if g == nil {
		openIDJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid."}})
		return
	}
	a := g.account
	given, family := openIDSplitName(a.Name)
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	openIDJSON(w, http.StatusOK, map[string]any{
		"@odata.context":    "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
		"businessPhones":    []string{},
		"displayName":       nullable(a.Name),
		"givenName":         nullable(given),
		"surname":           nullable(family),
		"jobTitle":          nil,
		"mail":              nullable(a.Email),
		"mobilePhone":       nullable(a.Phone),
		"officeLocation":    nil,
		"preferredLanguage": nil,
		"userPrincipalName": nullable(a.Email),
		"id":                a.ID,
	})
}
