package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// authRequest is a validated authorization request, kept in the
// interaction while the user signs in and in the grant afterwards.
type authRequest struct {
	ClientID        string   `json:"client_id"`
	RedirectURI     string   `json:"redirect_uri"`
	Scope           []string `json:"scope"`
	State           string   `json:"state,omitempty"`
	Nonce           string   `json:"nonce,omitempty"`
	CodeChallenge   string   `json:"code_challenge,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	Prompt          []string `json:"prompt,omitempty"`
	MaxAge          int      `json:"max_age"` // -1 when absent
	LoginHint       string   `json:"login_hint,omitempty"`
	FirstScreen     string   `json:"first_screen,omitempty"`
	InteractionMode string   `json:"interaction_mode,omitempty"`
	Identifier      string   `json:"identifier,omitempty"`
	DirectSignIn    string   `json:"direct_sign_in,omitempty"`
	UILocales       string   `json:"ui_locales,omitempty"`
}

func (a *authRequest) hasPrompt(v string) bool { return slices.Contains(a.Prompt, v) }

// Parameters of the authorization request that must not repeat
// (RFC 6749 §3.1); resource may repeat (RFC 8707).
var singleAuthParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "max_age", "response_mode", "login_hint",
	"first_screen", "interaction_mode", "identifier", "direct_sign_in", "ui_locales"}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "Invalid request", "The authorization request could not be read.")
		return
	}
	form := r.Form
	for _, k := range singleAuthParams {
		if len(form[k]) > 1 {
			p.errorPage(w, r, http.StatusBadRequest, "Invalid request", "The parameter "+k+" is repeated.")
			return
		}
	}
	// The client and redirect URI are checked first: until both hold,
	// errors are shown to the user, never sent to an unverified URI.
	c, err := p.lookupClient(r.Context(), form.Get("client_id"))
	if errors.Is(err, store.ErrNotFound) {
		p.errorPage(w, r, http.StatusBadRequest, "Unknown application",
			"No application has the client_id of this request. The application's developer should check client_id against the application's ID in Gatehouse.")
		return
	} else if err != nil {
		p.log.Error("client lookup failed", "err", err)
		p.errorPage(w, r, http.StatusInternalServerError, "Server error", "The request could not be completed. Try again later.")
		return
	}
	redirectURI := form.Get("redirect_uri")
	if c.app.Type == store.MachineToMachine || !redirectURIAllowed(&c.app, redirectURI) {
		p.errorPage(w, r, http.StatusBadRequest, "Redirect URI not registered",
			"The redirect_uri of this request is not registered for the application. The application's developer should add it, exactly as sent, to the application's redirect URIs.")
		return
	}
	state := form.Get("state")
	req, e := p.parseAuthRequest(r, c, form)
	if e != nil {
		p.redirectError(w, r, redirectURI, state, e)
		return
	}

	sess, err := p.currentSession(r)
	if err != nil {
		p.log.Error("session lookup failed", "err", err)
		p.redirectError(w, r, redirectURI, state, errServer())
		return
	}
	if sess != nil && !req.hasPrompt("login") && !p.sessionTooOld(sess, req.MaxAge) {
		if u, err := p.store.GetUser(r.Context(), sess.UserID); err == nil && !u.IsSuspended {
			need, err := p.needsConsent(r.Context(), req, sess.UserID)
			switch {
			case err != nil:
				p.redirectError(w, r, redirectURI, state, errServer())
			case !need:
				p.issueCode(w, r, req, sess.UserID, sess.AuthTime, sess.ID)
			case req.hasPrompt("none"):
				p.redirectError(w, r, redirectURI, state, newError(400, "consent_required", "the user must consent to this application"))
			default:
				p.startInteraction(w, r, req, sess)
			}
			return
		}
	}
	if req.hasPrompt("none") {
		p.redirectError(w, r, redirectURI, state, newError(400, "login_required", "end-user authentication is required"))
		return
	}
	p.startInteraction(w, r, req, nil)
}

// parseAuthRequest validates the parameters that are checked after the
// redirect URI, whose errors go back to the client.
func (p *Provider) parseAuthRequest(r *http.Request, c *client, form url.Values) (*authRequest, *Error) {
	if form.Has("request") || form.Has("request_uri") {
		return nil, newError(400, "request_not_supported", "request objects are not supported")
	}
	if rt := form.Get("response_type"); rt != "code" {
		return nil, newError(400, "unsupported_response_type", "response_type must be code")
	}
	if rm := form.Get("response_mode"); rm != "" && rm != "query" {
		return nil, errInvalidRequest("response_mode must be query")
	}
	req := &authRequest{
		ClientID:        c.app.ID,
		RedirectURI:     form.Get("redirect_uri"),
		State:           form.Get("state"),
		Nonce:           form.Get("nonce"),
		LoginHint:       form.Get("login_hint"),
		FirstScreen:     form.Get("first_screen"),
		InteractionMode: form.Get("interaction_mode"),
		Identifier:      form.Get("identifier"),
		DirectSignIn:    form.Get("direct_sign_in"),
		UILocales:       form.Get("ui_locales"),
		MaxAge:          -1,
	}
	req.Scope = dedupe(strings.Fields(form.Get("scope")))
	if !slices.Contains(req.Scope, "openid") {
		return nil, errInvalidScope("scope must contain openid")
	}
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "" && !c.app.Type.Confidential():
		return nil, errInvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256")
	case challenge != "" && method != "S256":
		return nil, errInvalidRequest("code_challenge_method must be S256")
	case challenge != "" && !validPKCEValue(challenge):
		return nil, errInvalidRequest("code_challenge is malformed")
	}
	req.CodeChallenge = challenge
	if s := form.Get("max_age"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, errInvalidRequest("max_age must be a non-negative integer")
		}
		req.MaxAge = n
	}
	req.Prompt = dedupe(strings.Fields(form.Get("prompt")))
	for _, v := range req.Prompt {
		if v != "none" && v != "login" && v != "consent" && v != "select_account" {
			return nil, errInvalidRequest("unsupported prompt value " + strconv.Quote(v))
		}
	}
	if req.hasPrompt("none") && len(req.Prompt) > 1 {
		return nil, errInvalidRequest("prompt=none must stand alone")
	}
	for _, ind := range dedupe(form["resource"]) {
		if !validResourceIndicator(ind) {
			return nil, errInvalidTarget("resource must be an absolute URI without a fragment")
		}
		if _, err := p.resourceByIndicator(r.Context(), p.store, ind); errors.Is(err, store.ErrNotFound) {
			return nil, errInvalidTarget("resource indicator is not registered: " + ind)
		} else if err != nil {
			return nil, errServer()
		}
		req.Resources = append(req.Resources, ind)
	}
	return req, nil
}

// redirectURIAllowed matches uri exactly against the registered list. A
// Native app registered with a loopback http URI may use any port
// (RFC 8252 §7.3), since the OS picks it at run time.
func redirectURIAllowed(app *store.Application, uri string) bool {
	if uri == "" {
		return false
	}
	if slices.Contains(app.OIDCClientMetadata.RedirectURIs, uri) {
		return true
	}
	if app.Type != store.Native {
		return false
	}
	got, err := url.Parse(uri)
	if err != nil || got.Scheme != "http" || !isLoopback(got.Hostname()) {
		return false
	}
	for _, reg := range app.OIDCClientMetadata.RedirectURIs {
		want, err := url.Parse(reg)
		if err == nil && want.Scheme == "http" && want.Hostname() == got.Hostname() &&
			want.EscapedPath() == got.EscapedPath() && want.RawQuery == got.RawQuery && got.Fragment == "" {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "::1" || host == "localhost"
}

// validPKCEValue checks RFC 7636's syntax for a verifier or an S256 challenge.
func validPKCEValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~') {
			return false
		}
	}
	return true
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// grant is what an authorization code, and the refresh tokens that follow
// it, carry: who authorized which client for what.
type grant struct {
	ClientID      string   `json:"client_id"`
	UserID        string   `json:"user_id"`
	Scope         []string `json:"scope"`
	Resources     []string `json:"resources,omitempty"`
	Nonce         string   `json:"nonce,omitempty"`
	AuthTime      int64    `json:"auth_time"`
	RedirectURI   string   `json:"redirect_uri,omitempty"`
	CodeChallenge string   `json:"code_challenge,omitempty"`
	SessionID     string   `json:"sid,omitempty"`
}

// issueCode stores a single-use authorization code for the request and
// sends the user agent back to the client with it.
func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, req *authRequest, userID string, authTime int64, sessionID string) {
	g := grant{
		ClientID:      req.ClientID,
		UserID:        userID,
		Scope:         req.Scope,
		Resources:     req.Resources,
		Nonce:         req.Nonce,
		AuthTime:      authTime,
		RedirectURI:   req.RedirectURI,
		CodeChallenge: req.CodeChallenge,
		SessionID:     sessionID,
	}
	payload, _ := json.Marshal(g)
	code := newToken()
	obj := &store.OIDCObject{
		Kind:      store.KindCode,
		ID:        digest(code),
		FamilyID:  newToken(),
		Payload:   payload,
		ExpiresAt: p.now().Add(p.opt.CodeTTL).UnixMilli(),
	}
	if err := p.store.PutObject(r.Context(), obj); err != nil {
		p.log.Error("storing authorization code failed", "err", err)
		p.redirectError(w, r, req.RedirectURI, req.State, errServer())
		return
	}
	q := url.Values{"code": {code}, "iss": {p.issuer}}
	if req.State != "" {
		q.Set("state", req.State)
	}
	http.Redirect(w, r, appendQuery(req.RedirectURI, q), http.StatusSeeOther)
}
