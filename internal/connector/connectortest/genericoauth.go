package connectortest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FakeOAuth2Host is the made-up host of FakeOAuth2.
const FakeOAuth2Host = "auth.oauth2.example"

// FakeOAuth2 is a plain OAuth 2.0 provider (RFC 6749) at
// https://auth.oauth2.example, for Logto's generic "oauth2" connector:
// /oauth/authorize, /oauth/token (client_secret_basic, client_secret_post
// or client_secret_jwt with HS256/384/512; JSON or query-string answers,
// see SetTokenResponseType) and /oauth/userinfo.
//
// The user info nests its members, to exercise profileMap's dot paths:
//
//	{"sub": ID, "uid": ID as a number when it is one,
//	 "profile": {"display_name": Name, "picture": {"url": Picture}},
//	 "contact": {"email": Email, "email_verified": EmailVerified, "phone": Phone, "phone_verified": true},
//	 "emails": [{"value": Email, "verified": EmailVerified}]}
//
// An empty FakeAccount.ID leaves sub and uid out. FailToken answers 400
// invalid_grant.
type FakeOAuth2 struct {
	*authCodeBook
	settings     sync.Mutex // guards the fields below
	responseType string
	authMethod   string
}

// Client credentials the fake accepts.
const (
	FakeOAuth2ClientID     = "gatehouse-test-client"
	FakeOAuth2ClientSecret = "oauth2-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
)

// NewFakeOAuth2 registers auth.oauth2.example on u.
func NewFakeOAuth2(u *Upstream, acct FakeAccount) *FakeOAuth2 {
	f := &FakeOAuth2{authCodeBook: newAuthCodeBook(acct, map[string]string{FakeOAuth2ClientID: FakeOAuth2ClientSecret}),
		responseType: "json"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", f.authorize)
	mux.HandleFunc("POST /oauth/token", f.tokenEndpoint)
	mux.HandleFunc("GET /oauth/userinfo", f.userinfo)
	u.Handle(FakeOAuth2Host, mux)
	return f
}

// FactoryID is "oauth2".
func (f *FakeOAuth2) FactoryID() string { return "oauth2" }

// Config is an oauth2 connector config for the fake: its endpoints and
// credentials, client_secret_post, the token response type the fake uses,
// and a profileMap for its nested user info.
func (f *FakeOAuth2) Config() json.RawMessage {
	f.settings.Lock()
	rt := f.responseType
	f.settings.Unlock()
	c, _ := json.Marshal(map[string]any{
		"authorizationEndpoint":     "https://" + FakeOAuth2Host + "/oauth/authorize",
		"tokenEndpoint":             "https://" + FakeOAuth2Host + "/oauth/token",
		"userInfoEndpoint":          "https://" + FakeOAuth2Host + "/oauth/userinfo",
		"clientId":                  FakeOAuth2ClientID,
		"clientSecret":              FakeOAuth2ClientSecret,
		"tokenEndpointAuthMethod":   "client_secret_post",
		"tokenEndpointResponseType": rt,
		"scope":                     "profile email",
		"profileMap": map[string]string{"id": "sub", "name": "profile.display_name", "avatar": "profile.picture.url",
			"email": "contact.email", "phone": "contact.phone"},
	})
	return c
}

// SetTokenResponseType makes the token endpoint answer "json" (the
// default) or "query-string" (form-encoded, as some providers do).
func (f *FakeOAuth2) SetTokenResponseType(t string) {
	f.settings.Lock()
	defer f.settings.Unlock()
	f.responseType = t
}

// LastTokenAuthMethod is how the client authenticated at the last
// successful token request: client_secret_basic, client_secret_post or
// client_secret_jwt.
func (f *FakeOAuth2) LastTokenAuthMethod() string {
	f.settings.Lock()
	defer f.settings.Unlock()
	return f.authMethod
}

func (f *FakeOAuth2) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.recordAuthorization(q)
	if !f.knownClient(q.Get("client_id")) {
		http.Error(w, "invalid_client: unknown client_id", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if !f.redirectAllowed(redirect, false) {
		http.Error(w, "invalid_request: redirect_uri is not registered for this client", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	back := func(v url.Values) {
		if state != "" {
			v.Set("state", state)
		}
		f.redirectBack(w, redirect, v, "")
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	}
	acct, fail := f.current()
	switch fail {
	case FailAuthorize:
		back(url.Values{"error": {"access_denied"}, "error_description": {"The user denied the request."}})
		return
	case FailWrongState:
		state = "tampered-" + state
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" && method == "" {
		method = "plain"
	}
	code := f.issueCode(issuedCode{clientID: q.Get("client_id"), redirectURI: redirect, scope: q.Get("scope"),
		challenge: challenge, challengeMethod: method, acct: acct})
	back(url.Values{"code": {code}})
}

func (f *FakeOAuth2) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(status int, code, description string) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+FakeOAuth2Host+`"`)
		}
		f.writeJSON(w, status, map[string]string{"error": code, "error_description": description})
	}
	if err := r.ParseForm(); err != nil {
		oauthErr(http.StatusBadRequest, "invalid_request", "The request body cannot be parsed.")
		return
	}
	f.recordTokenRequest(r.PostForm)
	id, method, ok := f.authenticateClient(r)
	if !ok {
		oauthErr(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "Only authorization_code is supported.")
		return
	}
	if _, mode := f.current(); mode == FailToken {
		oauthErr(http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or expired.")
		return
	}
	grant, problem := f.redeem(r.PostForm.Get("code"), id, r.PostForm.Get("redirect_uri"), r.PostForm.Get("code_verifier"), false)
	switch problem {
	case redeemOK:
	case redeemWrongRedirect:
		oauthErr(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request.")
		return
	case redeemWrongVerifier:
		oauthErr(http.StatusBadRequest, "invalid_grant", "PKCE verification failed.")
		return
	default:
		oauthErr(http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or expired.")
		return
	}
	tok := f.issueToken(issuedToken{clientID: id, scope: grant.scope, acct: grant.acct})
	f.settings.Lock()
	f.authMethod = method
	rt := f.responseType
	f.settings.Unlock()
	if rt == "query-string" {
		v := url.Values{"access_token": {tok}, "token_type": {"bearer"}, "expires_in": {"3600"}, "scope": {grant.scope}}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(v.Encode()))
		return
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 3600, "scope": grant.scope})
}

// authenticateClient accepts any of the three methods Logto's connector
// uses, reporting which.
func (f *FakeOAuth2) authenticateClient(r *http.Request) (id, method string, ok bool) {
	if _, _, basic := r.BasicAuth(); basic {
		id, secret := f.clientCredentials(r)
		return id, "client_secret_basic", f.authenticate(id, secret)
	}
	if a := r.PostForm.Get("client_assertion"); a != "" {
		if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return "", "", false
		}
		id = r.PostForm.Get("client_id")
		return id, "client_secret_jwt", f.checkClientAssertion(id, a)
	}
	id = r.PostForm.Get("client_id")
	return id, "client_secret_post", f.authenticate(id, r.PostForm.Get("client_secret"))
}

// checkClientAssertion verifies an RFC 7523 client assertion signed with
// an HMAC of the client's secret.
func (f *FakeOAuth2) checkClientAssertion(clientID, assertion string) bool {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 || !f.knownClient(clientID) {
		return false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
		Exp int64  `json:"exp"`
		Jti string `json:"jti"`
	}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	c, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(h, &header) != nil || json.Unmarshal(c, &claims) != nil {
		return false
	}
	var newHash func() hash.Hash
	switch header.Alg {
	case "HS256":
		newHash = sha256.New
	case "HS384":
		newHash = sha512.New384
	case "HS512":
		newHash = sha512.New
	default:
		return false
	}
	mac := hmac.New(newHash, []byte(f.secretOf(clientID)))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	audOK := claims.Aud == "https://"+FakeOAuth2Host+"/oauth/token"
	if list, isList := claims.Aud.([]any); isList {
		for _, a := range list {
			audOK = audOK || a == "https://"+FakeOAuth2Host+"/oauth/token"
		}
	}
	return hmac.Equal(sig, mac.Sum(nil)) && claims.Iss == clientID && claims.Sub == clientID && audOK &&
		claims.Jti != "" && time.Now().Unix() < claims.Exp
}

func (f *FakeOAuth2) userinfo(w http.ResponseWriter, r *http.Request) {
	t, ok := f.token(f.bearer(r))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		f.writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "The access token is invalid."})
		return
	}
	a := t.acct
	body := map[string]any{
		"profile": map[string]any{"display_name": a.Name, "picture": map[string]any{"url": a.Picture}},
		"contact": map[string]any{"email": f.orNull(a.Email), "email_verified": a.EmailVerified, "phone": f.orNull(a.Phone), "phone_verified": a.Phone != ""},
		"emails":  []any{map[string]any{"value": a.Email, "verified": a.EmailVerified}},
	}
	if a.ID != "" {
		body["sub"] = a.ID
		if n, err := strconv.ParseInt(a.ID, 10, 64); err == nil {
			body["uid"] = n
		}
	}
	f.writeJSON(w, http.StatusOK, body)
}

var _ FakeProvider = (*FakeOAuth2)(nil)
