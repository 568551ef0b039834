package loadtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeProvider is a minimal OpenID provider, strict where the load tool
// could get things wrong: client authentication, refresh-token rotation
// with reuse detection, PKCE S256, a cookie-bound interaction and a CSRF
// token hidden in an HTML form.
type fakeProvider struct {
	srv                                 *httptest.Server
	clientID, clientSecret, redirectURI string
	username, password, resource        string

	mu           sync.Mutex
	interactions map[string]*interaction // by interaction cookie
	codes        map[string]*interaction
	refresh      map[string]*refreshToken
	revoked      map[int]bool // refresh-token families

	families, tokenRequests, clientCredentialsGrants, refreshGrants,
	codeGrants, reuses, signInPages, callbackHits atomic.Int64
}

type interaction struct {
	redirectURI, state, challenge, scope, csrf string
	signedIn                                   bool
}

type refreshToken struct {
	family int
	used   bool
}

func newFakeProvider(t *testing.T) *fakeProvider {
	p := &fakeProvider{
		clientID:     "bench-client",
		clientSecret: "s3cret/+=",
		username:     "alice@example.com",
		password:     "correct horse",
		resource:     "https://api.example.com",
		interactions: map[string]*interaction{},
		codes:        map[string]*interaction{},
		refresh:      map[string]*refreshToken{},
		revoked:      map[int]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /oidc/auth", p.authorize)
	mux.HandleFunc("GET /oidc/interaction/{uid}", p.signInPage)
	mux.HandleFunc("POST /oidc/interaction/login", p.signInSubmit)
	mux.HandleFunc("GET /oidc/auth/resume", p.resume)
	mux.HandleFunc("POST /oidc/token", p.token)
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		p.callbackHits.Add(1) // the tool must never follow the redirect here
		http.Error(w, "not for robots", http.StatusTeapot)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.redirectURI = p.srv.URL + "/callback"
	return p
}

func (p *fakeProvider) issuer() string { return p.srv.URL + "/oidc" }

func (p *fakeProvider) config(s Scenario) Config {
	return Config{
		Issuer: p.issuer(), ClientID: p.clientID, ClientSecret: p.clientSecret,
		Resource: p.resource, Scope: "read:things", RedirectURI: p.redirectURI,
		Username: p.username, Password: p.password, Scenario: s,
	}
}

func (p *fakeProvider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"issuer":                 p.issuer(),
		"authorization_endpoint": p.issuer() + "/auth",
		"token_endpoint":         p.issuer() + "/token",
	})
}

func (p *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code", q.Get("client_id") != p.clientID,
		q.Get("redirect_uri") != p.redirectURI, q.Get("code_challenge_method") != "S256",
		q.Get("code_challenge") == "", q.Get("state") == "", q.Get("nonce") == "",
		q.Get("prompt") != "login", q.Get("resource") != p.resource,
		!strings.Contains(q.Get("scope"), "openid"):
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	uid := randomID()
	p.mu.Lock()
	p.interactions[uid] = &interaction{
		redirectURI: q.Get("redirect_uri"), state: q.Get("state"), challenge: q.Get("code_challenge"),
		scope: q.Get("scope"), csrf: randomID() + "&x", // "&" proves entities are decoded
	}
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "_interaction", Value: uid, Path: "/oidc", HttpOnly: true})
	http.Redirect(w, r, "/oidc/interaction/"+uid, http.StatusFound)
}

// current returns the interaction bound to the request's cookie.
func (p *fakeProvider) current(r *http.Request) (string, *interaction) {
	c, err := r.Cookie("_interaction")
	if err != nil {
		return "", nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.Value, p.interactions[c.Value]
}

// signInPage carries decoys a naive parser would fall for: forms in the
// title, a script and a comment, a disabled hidden input, a second form.
func (p *fakeProvider) signInPage(w http.ResponseWriter, r *http.Request) {
	uid, in := p.current(r)
	if in == nil || uid != r.PathValue("uid") {
		http.Error(w, "no interaction cookie", http.StatusBadRequest)
		return
	}
	p.signInPages.Add(1)
	p.renderSignIn(w, uid, in, "")
}

func (p *fakeProvider) renderSignIn(w http.ResponseWriter, uid string, in *interaction, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!DOCTYPE html>
<html><head><title>Sign in <form action="/title"></title>
<script>var decoy = '<form action="/script"><input type="hidden" name="x" value="y">';</script>
</head><body>
<!-- <form action="/comment"> -->
<p class=error>%s</p>
<FORM Method="post" Action='login?step=1' class=signin>
  <INPUT TYPE="Hidden" name="csrf_token" value="%s">
  <input type=hidden name=uid value=%s>
  <input type="hidden" name="stale" value="1" disabled>
  <label>Email <input type="text" name="identifier" autofocus></label>
  <label>Password <input type="password" name="password"/></label>
  <button type="submit">Sign in</button>
</FORM>
<form action="/second"><input type="hidden" name="second" value="1"></form>
</body></html>`, html.EscapeString(message), html.EscapeString(in.csrf), uid)
}

func (p *fakeProvider) signInSubmit(w http.ResponseWriter, r *http.Request) {
	uid, in := p.current(r)
	if in == nil || r.FormValue("uid") != uid || r.URL.Query().Get("step") != "1" {
		http.Error(w, "no interaction", http.StatusBadRequest)
		return
	}
	if r.PostFormValue("csrf_token") != in.csrf || r.PostForm.Has("stale") || r.PostForm.Has("second") || r.PostForm.Has("x") {
		http.Error(w, "csrf or stray field: "+r.PostForm.Encode(), http.StatusForbidden)
		return
	}
	if r.PostFormValue("identifier") != p.username || r.PostFormValue("password") != p.password {
		p.renderSignIn(w, uid, in, "Wrong email or password")
		return
	}
	p.mu.Lock()
	in.signedIn = true
	p.mu.Unlock()
	http.Redirect(w, r, "../auth/resume", http.StatusSeeOther)
}

func (p *fakeProvider) resume(w http.ResponseWriter, r *http.Request) {
	uid, in := p.current(r)
	p.mu.Lock()
	if in == nil || !in.signedIn {
		p.mu.Unlock()
		http.Error(w, "not signed in", http.StatusBadRequest)
		return
	}
	delete(p.interactions, uid)
	code := randomID()
	p.codes[code] = in
	p.mu.Unlock()
	http.Redirect(w, r, in.redirectURI+"?code="+code+"&state="+url.QueryEscape(in.state), http.StatusFound)
}

func (p *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	p.tokenRequests.Add(1)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if r.PostForm.Has("client_secret") {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request") // two methods at once
			return
		}
	} else {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != p.clientID || secret != p.clientSecret {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	switch r.PostFormValue("grant_type") {
	case "client_credentials":
		if r.PostFormValue("resource") != p.resource || r.PostFormValue("scope") != "read:things" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_target")
			return
		}
		p.clientCredentialsGrants.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{"access_token": randomID(), "token_type": "Bearer", "expires_in": 3600})
	case "refresh_token":
		p.refreshGrant(w, r)
	case "authorization_code":
		p.codeGrant(w, r)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func (p *fakeProvider) refreshGrant(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("resource") != p.resource {
		writeOAuthError(w, http.StatusBadRequest, "invalid_target")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rt := p.refresh[r.PostFormValue("refresh_token")]
	switch {
	case rt == nil, p.revoked[rt.family]:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant")
		return
	case rt.used:
		// Reuse means theft or a confused client: the whole family dies.
		p.reuses.Add(1)
		p.revoked[rt.family] = true
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	rt.used = true
	p.refreshGrants.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": randomID(), "token_type": "Bearer", "expires_in": 3600,
		"refresh_token": p.newRefreshTokenLocked(rt.family),
	})
}

func (p *fakeProvider) codeGrant(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	code := r.PostFormValue("code")
	in := p.codes[code]
	delete(p.codes, code) // codes are single-use
	if in == nil || r.PostFormValue("redirect_uri") != in.redirectURI {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != in.challenge {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	p.codeGrants.Add(1)
	resp := map[string]any{"access_token": randomID(), "id_token": "x.y.z", "token_type": "Bearer"}
	if strings.Contains(in.scope, "offline_access") {
		resp["refresh_token"] = p.newRefreshTokenLocked(int(p.families.Add(1)))
	}
	writeJSON(w, http.StatusOK, resp)
}

// newRefreshTokenLocked issues a token of family; p.mu must be held.
func (p *fakeProvider) newRefreshTokenLocked(family int) string {
	token := randomID() + "/+=" // characters that must be form-escaped
	p.refresh[token] = &refreshToken{family: family}
	return token
}

// issueRefreshToken starts a chain out of band, as an operator would by
// signing in once in a browser.
func (p *fakeProvider) issueRefreshToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.newRefreshTokenLocked(int(p.families.Add(1)))
}

func writeOAuthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": "fake provider says " + code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string { return rand.Text() }
