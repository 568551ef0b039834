package oidc

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
)

// endSession is RP-initiated logout (OpenID Connect RP-Initiated Logout
// 1.0). id_token_hint is optional, as Logto's SDKs send none; a
// post_logout_redirect_uri must be registered for the client.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "Invalid request", "The sign-out request could not be read.")
		return
	}
	clientID := r.Form.Get("client_id")
	if hint := r.Form.Get("id_token_hint"); hint != "" {
		aud, ok := p.idTokenAudience(hint)
		if !ok || (clientID != "" && clientID != aud) {
			p.errorPage(w, r, http.StatusBadRequest, "Invalid sign-out request", "The id_token_hint is not an ID token this server issued for this client.")
			return
		}
		clientID = aud
	}
	target := r.Form.Get("post_logout_redirect_uri")
	// A sign-out that no application asked for (a bare link to this URL)
	// is confirmed by the user, so another site cannot sign them out.
	if target == "" && clientID == "" && p.opt.SignOutPage != nil {
		sess, err := p.currentSession(r)
		if err != nil {
			p.errorPage(w, r, http.StatusInternalServerError, "Server error", "The sign-out could not be completed. Try again later.")
			return
		}
		if sess == nil {
			p.opt.SignedOutPage(w, r)
			return
		}
		p.opt.SignOutPage(w, r, signOutToken(sess))
		return
	}
	verifiedClient := ""
	if target != "" {
		c, err := p.lookupClient(r.Context(), clientID)
		if err != nil || !slices.Contains(c.app.OIDCClientMetadata.PostLogoutRedirectURIs, target) {
			p.errorPage(w, r, http.StatusBadRequest, "Sign-out redirect not registered",
				"The post_logout_redirect_uri is not registered for the application. The application's developer should add it to the application's post sign-out redirect URIs, and send client_id or id_token_hint.")
			return
		}
		verifiedClient = c.app.ID
	} else if r.Form.Get("id_token_hint") != "" {
		verifiedClient = clientID
	}
	if err := p.endSessionLogged(w, r, verifiedClient); err != nil {
		p.log.Error("ending session failed", "err", err)
		p.errorPage(w, r, http.StatusInternalServerError, "Server error", "The sign-out could not be completed. Try again later.")
		return
	}
	if target == "" {
		p.opt.SignedOutPage(w, r)
		return
	}
	q := url.Values{}
	if s := r.Form.Get("state"); s != "" {
		q.Set("state", s)
	}
	http.Redirect(w, r, appendQuery(target, q), http.StatusSeeOther)
}

// idTokenAudience returns the client an ID token of ours was issued to. An
// expired ID token is still a valid hint.
func (p *Provider) idTokenAudience(token string) (string, bool) {
	payload, err := p.verifyJWT(token)
	if err != nil {
		return "", false
	}
	var claims struct {
		Issuer   string `json:"iss"`
		Audience string `json:"aud"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Issuer != p.issuer || claims.Audience == "" {
		return "", false
	}
	return claims.Audience, true
}

// signOutToken binds a sign-out confirmation to the session it ends.
func signOutToken(s *session) string { return digest("sign-out\x00" + s.ID) }

// confirmSignOut ends the session after the user confirmed it.
func (p *Provider) confirmSignOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "Invalid request", "The sign-out request could not be read.")
		return
	}
	sess, err := p.currentSession(r)
	if err != nil {
		p.errorPage(w, r, http.StatusInternalServerError, "Server error", "The sign-out could not be completed. Try again later.")
		return
	}
	if sess != nil {
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("xsrf")), []byte(signOutToken(sess))) != 1 {
			p.errorPage(w, r, http.StatusForbidden, "Request refused", "The sign-out form's security token is missing or wrong.")
			return
		}
		if err := p.endSessionLogged(w, r, ""); err != nil {
			p.errorPage(w, r, http.StatusInternalServerError, "Server error", "The sign-out could not be completed. Try again later.")
			return
		}
	}
	p.opt.SignedOutPage(w, r)
}

// endSessionLogged ends the browser's session and records the sign-out
// of the session it ended; clientID is the application that asked, when
// it is known.
func (p *Provider) endSessionLogged(w http.ResponseWriter, r *http.Request, clientID string) error {
	var ended *session
	if p.opt.Audit != nil {
		ended, _ = p.currentSession(r)
	}
	if err := p.endBrowserSession(w, r); err != nil {
		return err
	}
	p.logSignOut(r, ended, clientID)
	return nil
}
