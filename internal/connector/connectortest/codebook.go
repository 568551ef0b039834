package connectortest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// authCodeLifetime is how long an authorization code stays redeemable; every
// provider faked here documents ten minutes.
const authCodeLifetime = 10 * time.Minute

// authCodeBook is what an OAuth 2.0 provider remembers between its
// authorization, token and profile endpoints: its registered clients, the
// codes it issued (single use, bound to a client, a redirect URI and a PKCE
// challenge) and the access tokens it handed out. The plain OAuth 2.0 fakes
// of this package (Facebook, GitHub, Discord, WeChat, generic OAuth 2.0)
// embed one and keep only their wire formats to themselves. Every method is
// safe for concurrent use.
type authCodeBook struct {
	redirectRegistry
	mu        sync.Mutex
	clients   map[string]string // client id → secret
	acct      FakeAccount
	fail      FailMode
	codes     map[string]*issuedCode
	tokens    map[string]issuedToken
	lastAuth  url.Values
	lastToken url.Values
}

type issuedCode struct {
	clientID        string
	redirectURI     string
	scope           string
	challenge       string
	challengeMethod string
	acct            FakeAccount
	expires         time.Time
	used            bool
}

type issuedToken struct {
	clientID string
	scope    string
	acct     FakeAccount
}

// redeemProblem is why a code was refused at the token endpoint; each fake
// turns it into its provider's own error.
type redeemProblem int

const (
	redeemOK redeemProblem = iota
	redeemUnknown
	redeemExpired
	redeemReused
	redeemWrongClient
	redeemWrongRedirect
	redeemWrongVerifier
)

func newAuthCodeBook(acct FakeAccount, clients map[string]string) *authCodeBook {
	return &authCodeBook{clients: clients, acct: acct,
		codes: map[string]*issuedCode{}, tokens: map[string]issuedToken{}}
}

// SetAccount changes who signs in next. Codes and tokens issued before keep
// the account they were issued for.
func (b *authCodeBook) SetAccount(a FakeAccount) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.acct = a
}

// SetFail makes the next sign-ins misbehave (FailNone to stop). Modes that
// only concern ID tokens (FailWrongNonce, FailBadSignature) have no effect
// on providers that issue none.
func (b *authCodeBook) SetFail(m FailMode) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = m
}

// LastAuthorization returns the query of the last request to the
// authorization endpoint (nil before any), for tests that check what the
// connector sent.
func (b *authCodeBook) LastAuthorization() url.Values {
	b.mu.Lock()
	defer b.mu.Unlock()
	return codeBookClone(b.lastAuth)
}

// LastTokenRequest returns the form of the last request to the token
// endpoint (nil before any), client secret included: it is the fake's own.
func (b *authCodeBook) LastTokenRequest() url.Values {
	b.mu.Lock()
	defer b.mu.Unlock()
	return codeBookClone(b.lastToken)
}

func (b *authCodeBook) recordAuthorization(q url.Values) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastAuth = codeBookClone(q)
}

func (b *authCodeBook) recordTokenRequest(form url.Values) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastToken = codeBookClone(form)
}

func (b *authCodeBook) current() (FakeAccount, FailMode) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.acct, b.fail
}

func (b *authCodeBook) knownClient(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.clients[id]
	return ok && id != ""
}

// authenticate reports whether secret is the client's, in constant time.
func (b *authCodeBook) authenticate(id, secret string) bool {
	b.mu.Lock()
	want, ok := b.clients[id]
	b.mu.Unlock()
	return ok && id != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
}

func (b *authCodeBook) secretOf(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clients[id]
}

// issueCode records a grant and returns its code.
func (b *authCodeBook) issueCode(c issuedCode) string {
	code := b.newToken("")
	c.expires = time.Now().Add(authCodeLifetime)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.codes[code] = &c
	return code
}

// redeem checks a code presented at the token endpoint and, when all is
// well, uses it up. redirectURI "" is accepted only when optional is true
// (GitHub's redirect_uri is optional at its token endpoint; WeChat's does
// not exist). A wrong client or verifier leaves the code unused, as the
// provider cannot tell the legitimate client from a confused one.
func (b *authCodeBook) redeem(code, clientID, redirectURI, verifier string, optional bool) (issuedCode, redeemProblem) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.codes[code]
	switch {
	case c == nil:
		return issuedCode{}, redeemUnknown
	case c.used:
		return issuedCode{}, redeemReused
	case time.Now().After(c.expires):
		return issuedCode{}, redeemExpired
	case c.clientID != clientID:
		return issuedCode{}, redeemWrongClient
	case redirectURI != c.redirectURI && !(redirectURI == "" && optional):
		return issuedCode{}, redeemWrongRedirect
	}
	if c.challenge != "" && !pkceVerified(c.challenge, c.challengeMethod, verifier) {
		return issuedCode{}, redeemWrongVerifier
	}
	c.used = true
	return *c, redeemOK
}

func (b *authCodeBook) issueToken(t issuedToken) string {
	tok := b.newToken("")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens[tok] = t
	return tok
}

func (b *authCodeBook) token(tok string) (issuedToken, bool) {
	if tok == "" {
		return issuedToken{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.tokens[tok]
	return t, ok
}

// newToken returns prefix followed by 32 random hex characters.
func (b *authCodeBook) newToken(prefix string) string {
	return prefix + randomHex()
}

// redirectBack sends the browser to redirectURI with params added to its
// query (keeping the query it had), plus fragment when not "".
func (b *authCodeBook) redirectBack(w http.ResponseWriter, redirectURI string, params url.Values, fragment string) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
		return
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	u.Fragment = fragment
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}

// writeJSON answers with v as JSON.
func (b *authCodeBook) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// orNull is s, or JSON null for "".
func (b *authCodeBook) orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bearer returns the access token of an "Authorization: Bearer" header
// (any case of the scheme), or "".
func (b *authCodeBook) bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// clientCredentials reads a client's id and secret from HTTP Basic (decoded
// per RFC 6749 §2.3.1) or else from the form.
func (b *authCodeBook) clientCredentials(r *http.Request) (id, secret string) {
	if u, p, ok := r.BasicAuth(); ok {
		if du, err := url.QueryUnescape(u); err == nil {
			u = du
		}
		if dp, err := url.QueryUnescape(p); err == nil {
			p = dp
		}
		return u, p
	}
	return r.Form.Get("client_id"), r.Form.Get("client_secret")
}

// redirectRegistry is a fake client's registered redirect URIs, as an
// administrator registers them in the provider's developer console. Every
// method is safe for concurrent use.
type redirectRegistry struct {
	mu   sync.Mutex
	uris []string // none means any absolute http(s) URL
}

// RegisterRedirectURI registers a redirect URI. Until one is registered
// any absolute http or https URL is accepted, so that a test need not know
// its callback URL in advance; afterwards only registered ones are, and
// others get the provider's error page.
func (r *redirectRegistry) RegisterRedirectURI(uri string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.uris, uri) {
		r.uris = append(r.uris, uri)
	}
}

// redirectAllowed checks a redirect URI against the registered ones: the
// whole URI, or only its host for providers that register a callback domain
// (WeChat).
func (r *redirectRegistry) redirectAllowed(uri string, hostOnly bool) bool {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.uris) == 0 {
		return true
	}
	for _, reg := range r.uris {
		if !hostOnly && reg == uri {
			return true
		}
		if ru, err := url.Parse(reg); hostOnly && err == nil && strings.EqualFold(ru.Host, u.Host) {
			return true
		}
	}
	return false
}

// pkceVerified reports whether verifier answers an RFC 7636 challenge made
// with method (S256, or plain for anything else), in constant time.
func pkceVerified(challenge, method, verifier string) bool {
	if verifier == "" {
		return false
	}
	got := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		got = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// randomHex returns 32 random hex characters: codes, tokens and ids of the
// fakes are random, so that no test can pass by guessing one.
func randomHex() string {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic("connectortest: no randomness: " + err.Error())
	}
	return hex.EncodeToString(r[:])
}

func codeBookClone(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
