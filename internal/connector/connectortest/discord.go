package connectortest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// FakeDiscord stands in for discord.com: the OAuth 2.0 authorization code
// flow (PKCE S256 optional, client credentials by Basic or in the form) and
// /users/@me, at the unversioned API paths and at /api/v<N>/.
//
// /users/@me shows the account's email with "verified" set from
// FakeAccount.EmailVerified, and only when the token has the email scope;
// the avatar is a hash of FakeAccount.Picture (see AvatarHash). An empty
// FakeAccount.ID leaves the id out. FailToken answers 400 invalid_grant.
type FakeDiscord struct {
	*authCodeBook
}

// Discord application credentials the fake accepts.
const (
	FakeDiscordClientID     = "1100220033004400550"
	FakeDiscordClientSecret = "dScRt-6f1c2b7e9a40d3e8b5c1f7a2e4d6b8c0"
)

var discordAPIVersion = regexp.MustCompile(`^v[0-9]+$`)

// NewFakeDiscord registers discord.com on u.
func NewFakeDiscord(u *Upstream, acct FakeAccount) *FakeDiscord {
	f := &FakeDiscord{newAuthCodeBook(acct, map[string]string{FakeDiscordClientID: FakeDiscordClientSecret})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/authorize", f.authorize)
	mux.HandleFunc("GET /api/oauth2/authorize", f.authorize)
	mux.HandleFunc("GET /api/{version}/oauth2/authorize", f.versioned(f.authorize))
	mux.HandleFunc("POST /api/oauth2/token", f.tokenEndpoint)
	mux.HandleFunc("POST /api/{version}/oauth2/token", f.versioned(f.tokenEndpoint))
	mux.HandleFunc("GET /api/users/@me", f.me)
	mux.HandleFunc("GET /api/{version}/users/@me", f.versioned(f.me))
	u.Handle("discord.com", mux)
	return f
}

// FactoryID is "discord-universal".
func (f *FakeDiscord) FactoryID() string { return "discord-universal" }

// Config is a discord-universal config with the fake's credentials.
func (f *FakeDiscord) Config() json.RawMessage {
	c, _ := json.Marshal(map[string]string{"clientId": FakeDiscordClientID, "clientSecret": FakeDiscordClientSecret})
	return c
}

// AvatarHash is the avatar hash the fake shows for a, "" without a picture.
func (f *FakeDiscord) AvatarHash(a FakeAccount) string {
	if a.Picture == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(a.Picture))
	return hex.EncodeToString(sum[:16])
}

// versioned serves h under /api/v<N>/ only.
func (f *FakeDiscord) versioned(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !discordAPIVersion.MatchString(r.PathValue("version")) {
			f.writeJSON(w, http.StatusNotFound, map[string]any{"message": "404: Not Found", "code": 0})
			return
		}
		h(w, r)
	}
}

func (f *FakeDiscord) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.recordAuthorization(q)
	if !f.knownClient(q.Get("client_id")) {
		http.Error(w, "Unknown Application", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if !f.redirectAllowed(redirect, false) {
		http.Error(w, "Invalid OAuth2 redirect_uri", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	back := func(v url.Values) {
		if state != "" {
			v.Set("state", state)
		}
		f.redirectBack(w, redirect, v, "")
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}, "error_description": {"The authorization server does not support obtaining an authorization code using this method"}})
		return
	case challenge != "" && method != "S256":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"Invalid code_challenge_method"}})
		return
	case !strings.Contains(" "+q.Get("scope")+" ", " identify "):
		back(url.Values{"error": {"invalid_scope"}, "error_description": {"The requested scope is invalid, unknown, or malformed."}})
		return
	}
	acct, fail := f.current()
	switch fail {
	case FailAuthorize:
		back(url.Values{"error": {"access_denied"}, "error_description": {"The resource owner or authorization server denied the request"}})
		return
	case FailWrongState:
		state = "tampered-" + state
	}
	code := f.issueCode(issuedCode{clientID: q.Get("client_id"), redirectURI: redirect, scope: q.Get("scope"),
		challenge: challenge, challengeMethod: method, acct: acct})
	back(url.Values{"code": {code}})
}

func (f *FakeDiscord) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(status int, code, description string) {
		body := map[string]string{"error": code}
		if description != "" {
			body["error_description"] = description
		}
		f.writeJSON(w, status, body)
	}
	// Discord accepts only form bodies at its token endpoint.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		oauthErr(http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthErr(http.StatusBadRequest, "invalid_request", "")
		return
	}
	f.recordTokenRequest(r.PostForm)
	id, secret := f.clientCredentials(r)
	if !f.authenticate(id, secret) {
		oauthErr(http.StatusUnauthorized, "invalid_client", "")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	if _, mode := f.current(); mode == FailToken {
		oauthErr(http.StatusBadRequest, "invalid_grant", `Invalid "code" in request.`)
		return
	}
	grant, problem := f.redeem(r.PostForm.Get("code"), id, r.PostForm.Get("redirect_uri"), r.PostForm.Get("code_verifier"), false)
	switch problem {
	case redeemOK:
	case redeemWrongRedirect:
		oauthErr(http.StatusBadRequest, "invalid_grant", `Invalid "redirect_uri" in request.`)
		return
	case redeemWrongVerifier:
		oauthErr(http.StatusBadRequest, "invalid_grant", `Invalid "code_verifier"`)
		return
	default:
		oauthErr(http.StatusBadRequest, "invalid_grant", `Invalid "code" in request.`)
		return
	}
	tok := f.issueToken(issuedToken{clientID: id, scope: grant.scope, acct: grant.acct})
	f.writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 604800,
		"refresh_token": f.newToken(""), "scope": grant.scope})
}

func (f *FakeDiscord) me(w http.ResponseWriter, r *http.Request) {
	t, ok := f.token(f.bearer(r))
	if !ok {
		f.writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	a := t.acct
	username := strings.ToLower(strings.Join(strings.Fields(a.Name), ""))
	if username == "" {
		username = "user" + a.ID
	}
	body := map[string]any{"username": username, "global_name": f.orNull(a.Name), "discriminator": "0",
		"avatar": f.orNull(f.AvatarHash(a)), "public_flags": 0, "flags": 0, "banner": nil, "accent_color": nil,
		"locale": "en-US", "mfa_enabled": false, "premium_type": 0}
	if a.ID != "" {
		body["id"] = a.ID
	}
	if strings.Contains(" "+t.scope+" ", " email ") {
		body["email"] = f.orNull(a.Email)
		body["verified"] = a.EmailVerified
	}
	f.writeJSON(w, http.StatusOK, body)
}

var _ FakeProvider = (*FakeDiscord)(nil)
