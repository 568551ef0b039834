package connectortest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The OpenID fakes (Google, Microsoft, Apple, LinkedIn, generic OIDC) share
// the machinery in this file: a signing key published as a JWKS,
// single-use authorization codes bound to the client, redirect URI, PKCE
// challenge and nonce of their request, and access tokens for a profile
// endpoint. Each provider's file adds its hosts, paths, parameters and
// payload shapes.

// openIDKeyMaterial holds the fakes' ID token keys, made once per test
// binary because RSA keys take tens of milliseconds to generate. The rogue
// keys sign FailBadSignature tokens under the published kid.
type openIDKeyMaterial struct {
	rsa, rogueRSA *rsa.PrivateKey
	ec, rogueEC   *ecdsa.PrivateKey
}

var openIDKeys = sync.OnceValue(func() *openIDKeyMaterial {
	m := &openIDKeyMaterial{}
	var err error
	for _, k := range []**rsa.PrivateKey{&m.rsa, &m.rogueRSA} {
		if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic("connectortest: generating an RSA key: " + err.Error())
		}
	}
	for _, k := range []**ecdsa.PrivateKey{&m.ec, &m.rogueEC} {
		if *k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic("connectortest: generating an EC key: " + err.Error())
		}
	}
	return m
})

// openIDFake is one fake OpenID provider's state. Its exported methods
// are promoted to the provider types that embed it.
type openIDFake struct {
	// Fixed at construction.
	issuer       string
	clientID     string
	clientSecret string
	alg          jose.SignatureAlgorithm // RS256 or ES256
	kid          string

	redirectRegistry
	mu       sync.Mutex
	account  FakeAccount
	fail     FailMode
	audience string
	codes    map[string]*openIDGrant
	tokens   map[string]*openIDGrant
	seq      int
	last     url.Values
}

// openIDGrant is what an authorization code or access token stands for.
type openIDGrant struct {
	redirectURI string
	challenge   string
	method      string
	nonce       string
	scope       string
	account     FakeAccount
	fail        FailMode
	audience    string
	// tenant is the account's directory: the path tenant of a Microsoft
	// request, Google's hosted domain.
	tenant string
	// offline is Google's access_type=offline.
	offline bool
}

func newOpenIDFake(issuer, clientID, clientSecret string, alg jose.SignatureAlgorithm, acct FakeAccount) *openIDFake {
	kid := "fake-rsa-1"
	if alg == jose.ES256 {
		kid = "fake-ec-1"
	}
	return &openIDFake{issuer: issuer, clientID: clientID, clientSecret: clientSecret, alg: alg, kid: kid,
		account: acct, codes: map[string]*openIDGrant{}, tokens: map[string]*openIDGrant{}}
}

// SetAccount changes who signs in next.
func (f *openIDFake) SetAccount(a FakeAccount) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.account = a
}

// SetFail makes the next sign-ins misbehave (FailNone to stop).
func (f *openIDFake) SetFail(m FailMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = m
}

// SetAudience makes the next ID tokens name aud as their audience instead
// of the client id ("" restores the client id), for wrong-audience tests.
func (f *openIDFake) SetAudience(aud string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audience = aud
}

// LastAuthorization returns the query of the last request to the
// authorization endpoint (nil before any), for tests that check what the
// connector sent.
func (f *openIDFake) LastAuthorization() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return codeBookClone(f.last)
}

// ClientID returns the client id the fake accepts.
func (f *openIDFake) ClientID() string { return f.clientID }

// openIDAuthRequest is the part of an authorization request every fake
// checks the same way. When it returns ok=false it has answered.
type openIDAuthRequest struct {
	query       url.Values
	redirectURI string
	state       string
	grant       *openIDGrant
	fail        FailMode
}

// startAuthorization checks client_id and redirect_uri, which a provider
// answers with an error page (never a redirect: the redirect URI is not
// trusted yet), and snapshots who signs in.
func (f *openIDFake) startAuthorization(w http.ResponseWriter, r *http.Request) (*openIDAuthRequest, bool) {
	if err := r.ParseForm(); err != nil {
		openIDErrorPage(w, http.StatusBadRequest, "invalid_request", "the request cannot be parsed")
		return nil, false
	}
	q := r.Form
	f.mu.Lock()
	f.last = q
	acct, fail, aud := f.account, f.fail, f.audience
	f.mu.Unlock()
	if q.Get("client_id") != f.clientID {
		openIDErrorPage(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return nil, false
	}
	ru := q.Get("redirect_uri")
	if u, err := url.Parse(ru); err != nil || u.Fragment != "" || !f.redirectAllowed(ru, false) {
		openIDErrorPage(w, http.StatusBadRequest, "redirect_uri_mismatch",
			"The redirect URI in the request does not match the ones authorized for the OAuth client.")
		return nil, false
	}
	g := &openIDGrant{redirectURI: ru, challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"),
		nonce: q.Get("nonce"), scope: q.Get("scope"), account: acct, fail: fail, audience: aud}
	if g.challenge != "" && g.method == "" {
		g.method = "plain"
	}
	return &openIDAuthRequest{query: q, redirectURI: ru, state: q.Get("state"), grant: g, fail: fail}, true
}

// callbackState is the state the fake sends back: the request's, or
// another one under FailWrongState.
func (a *openIDAuthRequest) callbackState() string {
	if a.fail == FailWrongState {
		return a.state + "-tampered"
	}
	return a.state
}

// issueCode stores g under a new single-use code.
func (f *openIDFake) issueCode(g *openIDGrant) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	code := "code-" + strconv.Itoa(f.seq) + "-" + randomHex()
	f.codes[code] = g
	return code
}

// redeem takes a code's grant out of the store: a code works once.
func (f *openIDFake) redeem(code string) *openIDGrant {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.codes[code]
	delete(f.codes, code)
	return g
}

// issueAccessToken stores g under a new access token.
func (f *openIDFake) issueAccessToken(g *openIDGrant, prefix string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	tok := prefix + strconv.Itoa(f.seq) + "-" + randomHex()
	f.tokens[tok] = g
	return tok
}

// bearer returns the grant of the request's bearer access token, or nil.
func (f *openIDFake) bearer(r *http.Request) *openIDGrant {
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[strings.TrimSpace(auth[7:])]
}

// clientSecretOK compares a presented secret with the fake's in constant
// time, as a provider must.
func (f *openIDFake) clientSecretOK(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(secret), []byte(f.clientSecret)) == 1
}

// openIDBasicAuth returns RFC 6749 §2.3.1 Basic credentials: the id and
// secret are form-urlencoded before base64.
func openIDBasicAuth(r *http.Request) (id, secret string, ok bool) {
	id, secret, ok = r.BasicAuth()
	if !ok {
		return "", "", false
	}
	var err1, err2 error
	id, err1 = url.QueryUnescape(id)
	secret, err2 = url.QueryUnescape(secret)
	return id, secret, err1 == nil && err2 == nil
}

// openIDCheckCode checks a token request's grant against its code: the
// redirect URI and the PKCE verifier. It returns the OAuth error code, or
// "" when the request is good.
func openIDCheckCode(g *openIDGrant, form url.Values) (errCode, description string) {
	if g == nil {
		return "invalid_grant", "The authorization code is invalid, expired or used."
	}
	if form.Get("redirect_uri") != g.redirectURI {
		return "invalid_grant", "The redirect_uri does not match the authorization request."
	}
	if g.challenge != "" {
		verifier := form.Get("code_verifier")
		if verifier == "" {
			return "invalid_grant", "Missing code verifier."
		}
		if !pkceVerified(g.challenge, g.method, verifier) {
			return "invalid_grant", "The code verifier does not match the challenge."
		}
	}
	return "", ""
}

// idTokenClaims returns the claims every fake's ID token carries.
func (f *openIDFake) idTokenClaims(g *openIDGrant, now time.Time) map[string]any {
	aud := f.clientID
	if g.audience != "" {
		aud = g.audience
	}
	c := map[string]any{
		"iss": f.issuer,
		"aud": aud,
		"sub": g.account.ID,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	switch {
	case g.fail == FailWrongNonce:
		c["nonce"] = "not-" + g.nonce
	case g.nonce != "":
		c["nonce"] = g.nonce
	}
	return c
}

// sign signs claims as an ID token with the published key, or with the
// rogue key under the same kid when the grant is to fail FailBadSignature.
func (f *openIDFake) sign(claims map[string]any, fail FailMode) (string, error) {
	keys := openIDKeys()
	var key any
	switch {
	case f.alg == jose.ES256 && fail == FailBadSignature:
		key = keys.rogueEC
	case f.alg == jose.ES256:
		key = keys.ec
	case fail == FailBadSignature:
		key = keys.rogueRSA
	default:
		key = keys.rsa
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: f.alg, Key: jose.JSONWebKey{Key: key, KeyID: f.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// serveJWKS publishes the fake's public key.
func (f *openIDFake) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	keys := openIDKeys()
	var pub any = &keys.rsa.PublicKey
	if f.alg == jose.ES256 {
		pub = &keys.ec.PublicKey
	}
	openIDJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: pub, KeyID: f.kid, Algorithm: string(f.alg), Use: "sig"},
	}})
}

// openIDRedirect sends the browser to redirectURI with params added to its
// query, as providers answer with response_mode=query.
func openIDRedirect(w http.ResponseWriter, redirectURI string, params url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		openIDErrorPage(w, http.StatusBadRequest, "invalid_request", "bad redirect URI")
		return
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// openIDFormPost answers with an HTML page whose form posts params to
// redirectURI as soon as it loads (OAuth 2.0 Form Post Response Mode).
func openIDFormPost(w http.ResponseWriter, redirectURI string, params url.Values) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Submit This Form</title></head>\n")
	b.WriteString(`<body onload="javascript:document.forms[0].submit()">` + "\n")
	fmt.Fprintf(&b, "<form method=\"post\" action=\"%s\">\n", html.EscapeString(redirectURI))
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range params[k] {
			fmt.Fprintf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\"/>\n", html.EscapeString(k), html.EscapeString(v))
		}
	}
	b.WriteString("<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n</body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, b.String())
}

var (
	openIDFormTag  = regexp.MustCompile(`(?is)<form\b[^>]*\baction="([^"]*)"`)
	openIDInputTag = regexp.MustCompile(`(?is)<input\b[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"`)
)

// FollowAuthorization requests authURL with c (which must not follow
// redirects, as Upstream.Client) and returns where the provider sends the
// browser back and with what: for a redirect, the Location without its
// query and the query's parameters; for a form_post page (Apple), the
// form's action and fields. Any other answer is an error naming the
// status.
func FollowAuthorization(c *http.Client, authURL string) (target string, params url.Values, err error) {
	resp, err := c.Get(authURL)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", nil, err
	}
	switch {
	case resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther:
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || !loc.IsAbs() {
			return "", nil, fmt.Errorf("authorization endpoint redirected to %q", resp.Header.Get("Location"))
		}
		params = loc.Query()
		loc.RawQuery = ""
		return loc.String(), params, nil
	case resp.StatusCode == http.StatusOK:
		m := openIDFormTag.FindSubmatch(body)
		if m == nil {
			return "", nil, errors.New("authorization endpoint answered 200 without a form to post")
		}
		params = url.Values{}
		for _, in := range openIDInputTag.FindAllSubmatch(body, -1) {
			params.Add(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
		}
		return html.UnescapeString(string(m[1])), params, nil
	}
	return "", nil, &AuthorizationError{Status: resp.StatusCode, Body: string(body)}
}

// AuthorizationError is an authorization endpoint's answer that sends the
// browser nowhere: an error page (unknown client, unregistered redirect
// URI).
type AuthorizationError struct {
	Status int
	Body   string
}

func (e *AuthorizationError) Error() string {
	return "authorization endpoint answered HTTP " + strconv.Itoa(e.Status)
}

// openIDErrorPage is a provider's HTML error page, which names the error as the
// real ones do ("Error 400: redirect_uri_mismatch").
func openIDErrorPage(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><body><h1>Error %d: %s</h1><p>%s</p></body></html>\n",
		status, html.EscapeString(code), html.EscapeString(description))
}

// openIDOAuthError answers a token request with an RFC 6749 §5.2 error.
func openIDOAuthError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]string{"error": code}
	if description != "" {
		body["error_description"] = description
	}
	openIDJSON(w, status, body)
}

func openIDJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// openIDSplitName splits a display name into given and family names at its
// first space.
func openIDSplitName(name string) (given, family string) {
	given, family, _ = strings.Cut(strings.TrimSpace(name), " ")
	return given, strings.TrimSpace(family)
}

// openIDPostOnly refuses methods other than POST, as token endpoints do.
func openIDPostOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		openIDOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST is required")
		return false
	}
	if err := r.ParseForm(); err != nil {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_request", "the body cannot be parsed")
		return false
	}
	return true
}
