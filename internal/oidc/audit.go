package oidc

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
)

// grantInfo is what a grant learned about the request for the audit log.
type grantInfo struct {
	userID    string
	sessionID string // the session's store id, never logged as it is
}

// logEvent hands e to the audit log, when there is one.
func (p *Provider) logEvent(e audit.Entry) {
	if p.opt.Audit != nil {
		p.opt.Audit.Log(e)
	}
}

// requestEntry starts an entry about r: where it came from.
func (p *Provider) requestEntry(r *http.Request, key string) audit.Entry {
	return audit.Entry{Key: key, IP: p.opt.ClientIP(r), UserAgent: r.UserAgent(), At: p.now()}
}

// sessionRef is the audit log's name for a session: a reference to its
// store id, which is not the cookie but is not published either.
func sessionRef(storeID string) string { return audit.Ref("session", storeID) }

// interactionRef is the audit log's name for an interaction, whose id in
// the sign-in URL is a credential.
func interactionRef(interactionID string) string { return audit.Ref("interaction", interactionID) }

func oauthError(e *Error) map[string]any {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	m := map[string]any{"error": e.Code, "status": status}
	if e.Description != "" {
		m["error_description"] = e.Description
	}
	return m
}

// exchangeKey is Logto's log key for a token request's grant type.
func exchangeKey(grantType string) string {
	switch grantType {
	case "authorization_code":
		return audit.ExchangeByAuthorizationCode
	case "refresh_token":
		return audit.ExchangeByRefreshToken
	case "client_credentials":
		return audit.ExchangeByClientCredentials
	}
	return audit.ExchangeByUnknown
}

// claimedClientID is the client id a request names, authenticated or not.
func claimedClientID(r *http.Request, form url.Values) string {
	if user, _, ok := r.BasicAuth(); ok {
		return formUnescape(user)
	}
	return form.Get("client_id")
}

// clientParams are the parameters of a client's form post that the audit
// log keeps: never code, code_verifier, refresh_token, token,
// client_secret or client_assertion.
func clientParams(r *http.Request, form url.Values) map[string]any {
	params := map[string]any{}
	if id := claimedClientID(r, form); id != "" {
		params["client_id"] = id
	}
	for _, k := range []string{"grant_type", "scope", "redirect_uri", "token_type_hint"} {
		if v := form.Get(k); v != "" {
			params[k] = v
		}
	}
	if rs := form["resource"]; len(rs) > 0 {
		params["resource"] = rs
	}
	return params
}

// logToken records the outcome of a token request. c is nil when the
// client did not authenticate.
func (p *Provider) logToken(r *http.Request, form url.Values, c *client, info *grantInfo, resp *tokenResponse, e *Error) {
	if p.opt.Audit == nil {
		return
	}
	entry := p.requestEntry(r, exchangeKey(form.Get("grant_type")))
	entry.Params = clientParams(r, form)
	if c != nil {
		entry.ApplicationID = c.app.ID
	}
	entry.UserID = info.userID
	entry.SessionID = sessionRef(info.sessionID)
	if e != nil {
		entry.Result, entry.Error = audit.Error, oauthError(e)
	} else if resp != nil {
		entry.Scope = resp.Scope
		entry.TokenTypes = tokenTypes(resp)
	}
	p.opt.Audit.Log(entry)
}

func tokenTypes(resp *tokenResponse) []string {
	types := make([]string, 0, 3)
	if resp.AccessToken != "" {
		types = append(types, "AccessToken")
	}
	if resp.RefreshToken != "" {
		types = append(types, "RefreshToken")
	}
	if resp.IDToken != "" {
		types = append(types, "IdToken")
	}
	return types
}

// logInteractionCreate records that req sent the browser to sign in.
func (p *Provider) logInteractionCreate(r *http.Request, req *authRequest, interactionID string, signedIn *session) {
	if p.opt.Audit == nil {
		return
	}
	e := p.requestEntry(r, audit.InteractionCreate)
	e.ApplicationID = req.ClientID
	e.InteractionID = interactionRef(interactionID)
	if signedIn != nil {
		e.UserID = signedIn.UserID
		e.SessionID = sessionRef(signedIn.ID)
	}
	params := map[string]any{"client_id": req.ClientID, "redirect_uri": req.RedirectURI, "response_type": "code",
		"scope": strings.Join(req.Scope, " ")}
	if len(req.Resources) > 0 {
		params["resource"] = req.Resources
	}
	if len(req.Prompt) > 0 {
		params["prompt"] = strings.Join(req.Prompt, " ")
	}
	for k, v := range map[string]string{"ui_locales": req.UILocales, "first_screen": req.FirstScreen, "interaction_mode": req.InteractionMode} {
		if v != "" {
			params[k] = v
		}
	}
	e.Params = params
	p.opt.Audit.Log(e)
}

// logInteractionEnd records how an interaction ended: with a code for
// userID (e is nil) or with an error for the client.
func (p *Provider) logInteractionEnd(r *http.Request, req *authRequest, interactionID, userID, sessionID string, e *Error) {
	if p.opt.Audit == nil {
		return
	}
	entry := p.requestEntry(r, audit.InteractionEnd)
	entry.ApplicationID = req.ClientID
	entry.InteractionID = interactionRef(interactionID)
	entry.UserID = userID
	entry.SessionID = sessionRef(sessionID)
	if e != nil {
		entry.Result, entry.Error = audit.Error, oauthError(e)
	}
	p.opt.Audit.Log(entry)
}

// logSignOut records the end of a browser session.
func (p *Provider) logSignOut(r *http.Request, s *session, clientID string) {
	if p.opt.Audit == nil || s == nil {
		return
	}
	e := p.requestEntry(r, audit.SessionEnd)
	e.UserID = s.UserID
	e.SessionID = sessionRef(s.ID)
	e.ApplicationID = clientID
	p.opt.Audit.Log(e)
}
