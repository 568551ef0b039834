package connectortest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// FakeGitHub stands in for github.com and api.github.com: the OAuth app
// web flow (with PKCE, S256 only, as GitHub accepts) and the REST API's
// /user and /user/emails.
//
// /user/emails lists the account's address as primary (verified only when
// FakeAccount.EmailVerified), a verified non-primary noreply address and an
// unverified non-primary one, so that a connector that takes any verified
// or any listed address is caught. /user shows the account's address as its
// public email whether verified or not.
//
// FakeAccount.ID should be a decimal number (GitHub ids are); "" leaves the
// id out of /user. FailToken answers bad_verification_code with HTTP 200,
// as GitHub does.
type FakeGitHub struct {
	*authCodeBook
}

// GitHub OAuth app credentials the fake accepts.
const (
	FakeGitHubClientID     = "Iv1.f4ce0a11b2c3d4e5"
	FakeGitHubClientSecret = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
)

// NewFakeGitHub registers github.com and api.github.com on u.
func NewFakeGitHub(u *Upstream, acct FakeAccount) *FakeGitHub {
	f := &FakeGitHub{newAuthCodeBook(acct, map[string]string{FakeGitHubClientID: FakeGitHubClientSecret})}
	web := http.NewServeMux()
	web.HandleFunc("GET /login/oauth/authorize", f.authorize)
	web.HandleFunc("POST /login/oauth/access_token", f.accessToken)
	u.Handle("github.com", web)
	api := http.NewServeMux()
	api.HandleFunc("GET /user", f.user)
	api.HandleFunc("GET /user/emails", f.emails)
	u.Handle("api.github.com", api)
	return f
}

// FactoryID is "github-universal".
func (f *FakeGitHub) FactoryID() string { return "github-universal" }

// Config is a github-universal config with the fake's credentials.
func (f *FakeGitHub) Config() json.RawMessage {
	c, _ := json.Marshal(map[string]string{"clientId": FakeGitHubClientID, "clientSecret": FakeGitHubClientSecret})
	return c
}

func (f *FakeGitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.recordAuthorization(q)
	if !f.knownClient(q.Get("client_id")) {
		http.Error(w, "Not Found", http.StatusNotFound) // GitHub's answer to an unknown client_id
		return
	}
	redirect := q.Get("redirect_uri")
	if !f.redirectAllowed(redirect, false) {
		http.Error(w, "The redirect_uri MUST match the registered callback URL for this application.", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" && method != "S256" {
		f.redirectBack(w, redirect, url.Values{"error": {"invalid_request"},
			"error_description": {"Only the S256 code challenge method is supported."}, "state": {state}}, "")
		return
	}
	acct, fail := f.current()
	switch fail {
	case FailAuthorize:
		f.redirectBack(w, redirect, url.Values{"error": {"access_denied"},
			"error_description": {"The user has denied your application access."},
			"error_uri":         {"https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"},
			"state":             {state}}, "")
		return
	case FailWrongState:
		state = "tampered-" + state
	}
	code := f.issueCode(issuedCode{clientID: q.Get("client_id"), redirectURI: redirect, scope: q.Get("scope"),
		challenge: challenge, challengeMethod: method, acct: acct})
	f.redirectBack(w, redirect, url.Values{"code": {code}, "state": {state}}, "")
}

// accessToken answers as GitHub does: HTTP 200 even for errors, as JSON
// when the request accepts it and as a form-encoded body otherwise.
func (f *FakeGitHub) accessToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.recordTokenRequest(r.PostForm)
	answer := func(fields map[string]string) {
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			f.writeJSON(w, http.StatusOK, fields)
			return
		}
		v := url.Values{}
		for k, s := range fields {
			v.Set(k, s)
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w.Write([]byte(v.Encode()))
	}
	fail := func(code, description string) {
		answer(map[string]string{"error": code, "error_description": description,
			"error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#" + strings.ReplaceAll(code, "_", "-")})
	}
	id, secret := f.clientCredentials(r)
	if !f.authenticate(id, secret) {
		fail("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.")
		return
	}
	if _, mode := f.current(); mode == FailToken {
		fail("bad_verification_code", "The code passed is incorrect or expired.")
		return
	}
	grant, problem := f.redeem(r.Form.Get("code"), id, r.Form.Get("redirect_uri"), r.Form.Get("code_verifier"), true)
	switch problem {
	case redeemOK:
	case redeemWrongRedirect:
		fail("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.")
		return
	default:
		fail("bad_verification_code", "The code passed is incorrect or expired.")
		return
	}
	tok := f.issueToken(issuedToken{clientID: id, scope: grant.scope, acct: grant.acct})
	answer(map[string]string{"access_token": "gho_" + tok, "token_type": "bearer",
		"scope": strings.Join(strings.Fields(grant.scope), ",")})
}

// account authenticates an API request (Bearer or GitHub's older "token"
// scheme), answering 401 as the REST API does when it cannot.
func (f *FakeGitHub) account(w http.ResponseWriter, r *http.Request) (issuedToken, bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token") {
		f.writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Requires authentication",
			"documentation_url": "https://docs.github.com/rest", "status": "401"})
		return issuedToken{}, false
	}
	t, ok := f.token(strings.TrimPrefix(strings.TrimSpace(tok), "gho_"))
	if !ok || r.Header.Get("User-Agent") == "" {
		f.writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials",
			"documentation_url": "https://docs.github.com/rest", "status": "401"})
		return issuedToken{}, false
	}
	return t, true
}

// Login is the account's GitHub user name as the fake shows it.
func (f *FakeGitHub) Login(a FakeAccount) string { return "octo-" + a.ID }

func (f *FakeGitHub) user(w http.ResponseWriter, r *http.Request) {
	t, ok := f.account(w, r)
	if !ok {
		return
	}
	a := t.acct
	body := map[string]any{"login": f.Login(a), "node_id": "U_kgDO" + a.ID, "type": "User", "site_admin": false,
		"html_url": "https://github.com/" + f.Login(a), "name": f.orNull(a.Name), "email": f.orNull(a.Email),
		"avatar_url": a.Picture, "company": nil, "blog": "", "location": nil, "bio": nil,
		"public_repos": 2, "followers": 1, "following": 0, "created_at": "2011-01-25T18:44:36Z"}
	if a.ID != "" {
		if n, err := strconv.ParseInt(a.ID, 10, 64); err == nil {
			body["id"] = n
		} else {
			body["id"] = a.ID
		}
	}
	f.writeJSON(w, http.StatusOK, body)
}

func (f *FakeGitHub) emails(w http.ResponseWriter, r *http.Request) {
	t, ok := f.account(w, r)
	if !ok {
		return
	}
	if !strings.Contains(" "+t.scope+" ", " user:email ") && !strings.Contains(" "+t.scope+" ", " user ") {
		f.writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found",
			"documentation_url": "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user", "status": "404"})
		return
	}
	a := t.acct
	type email struct {
		Email      string  `json:"email"`
		Primary    bool    `json:"primary"`
		Verified   bool    `json:"verified"`
		Visibility *string `json:"visibility"`
	}
	private := "private"
	var list []email
	if a.Email != "" {
		list = append(list, email{a.Email, true, a.EmailVerified, &private})
	}
	list = append(list,
		email{a.ID + "+" + f.Login(a) + "@users.noreply.github.com", false, true, nil},
		email{"unconfirmed-" + a.ID + "@example.net", false, false, nil})
	f.writeJSON(w, http.StatusOK, list)
}

var _ FakeProvider = (*FakeGitHub)(nil)
