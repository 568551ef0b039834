package oidc

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Errors of Interaction and CompleteInteraction.
var (
	// ErrInteractionNotFound means the interaction does not exist, has
	// expired, or was already completed.
	ErrInteractionNotFound = errors.New("the sign-in request has expired or was already used")
	// ErrInteractionForeign means the interaction belongs to another browser.
	ErrInteractionForeign = errors.New("the sign-in request was started in another browser")
)

// interactionState is what the database holds for an interaction.
type interactionState struct {
	Request   authRequest `json:"request"`
	Binding   string      `json:"binding"` // digest of the browser's binding cookie
	CSRFToken string      `json:"csrf"`
	// SessionUserID is set when the browser was already signed in and the
	// interaction exists only to ask for consent.
	SessionUserID string `json:"session_user_id,omitempty"`
	SessionAuth   int64  `json:"session_auth_time,omitempty"`
	// Pages is the sign-in pages' own state (a pending registration, a
	// verified identifier...), opaque to the provider.
	Pages json.RawMessage `json:"pages,omitempty"`
}

// Interaction is the part of an authorization request the sign-in pages
// need, for a browser that has been checked to own it.
type Interaction struct {
	ID              string
	ClientID        string
	ClientName      string
	IsThirdParty    bool
	Scope           []string
	Resources       []string
	LoginHint       string
	FirstScreen     string
	InteractionMode string
	Identifier      string
	DirectSignIn    string
	UILocales       string
	// CSRFToken must come back with every form the pages post.
	CSRFToken string
	// RedirectTarget is the scheme and host (or the custom scheme) the
	// browser is sent to when the interaction ends, for the pages' CSP.
	RedirectTarget string
	// Prompt lists the request's prompt values (login, consent...).
	Prompt []string
	// PagesState is what the pages stored with SavePagesState.
	PagesState []byte
	// SignedInUserID is the user of the browser's session when the
	// interaction only needs their consent.
	SignedInUserID string
}

// CSRFMatches compares a posted token with the interaction's in constant time.
func (i *Interaction) CSRFMatches(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(i.CSRFToken)) == 1
}

// startInteraction stores the request and sends the browser to sign in.
// The interaction is bound to the browser by a cookie, so a sign-in link
// passed to someone else is useless to them.
func (p *Provider) startInteraction(w http.ResponseWriter, r *http.Request, req *authRequest, signedIn *session) {
	binding := ""
	if ck, err := r.Cookie(p.cookieName("gatehouse_interaction")); err == nil && len(ck.Value) == 43 {
		binding = ck.Value
	} else {
		binding = newToken()
	}
	interactionID := newToken()
	st := interactionState{Request: *req, Binding: digest(binding), CSRFToken: newToken()}
	if signedIn != nil {
		st.SessionUserID, st.SessionAuth = signedIn.UserID, signedIn.AuthTime
	}
	payload, _ := json.Marshal(st)
	err := p.store.PutObject(r.Context(), &store.OIDCObject{
		Kind:      store.KindInteraction,
		ID:        digest(interactionID),
		Payload:   payload,
		ExpiresAt: p.now().Add(p.opt.InteractionTTL).UnixMilli(),
	})
	if err != nil {
		p.log.Error("storing interaction failed", "err", err)
		p.redirectError(w, r, req.RedirectURI, req.State, errServer())
		return
	}
	p.setCookie(w, "gatehouse_interaction", binding, int(p.opt.InteractionTTL/time.Second))
	http.Redirect(w, r, p.opt.SignInURL+"/"+interactionID, http.StatusSeeOther)
	p.logInteractionCreate(r, req, interactionID, signedIn)
}

// loadInteraction returns the interaction's state after checking the browser owns it.
func (p *Provider) loadInteraction(r *http.Request, interactionID string) (*interactionState, error) {
	if interactionID == "" || len(interactionID) > 64 {
		return nil, ErrInteractionNotFound
	}
	obj, err := p.store.GetObject(r.Context(), store.KindInteraction, digest(interactionID), p.nowMillis())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInteractionNotFound
	} else if err != nil {
		return nil, err
	}
	if obj.ConsumedAt != 0 {
		return nil, ErrInteractionNotFound
	}
	var st interactionState
	if err := json.Unmarshal(obj.Payload, &st); err != nil {
		return nil, err
	}
	ck, err := r.Cookie(p.cookieName("gatehouse_interaction"))
	if err != nil || subtle.ConstantTimeCompare([]byte(digest(ck.Value)), []byte(st.Binding)) != 1 {
		return nil, ErrInteractionForeign
	}
	return &st, nil
}

// Interaction returns the interaction with interactionID for the sign-in pages.
func (p *Provider) Interaction(r *http.Request, interactionID string) (*Interaction, error) {
	st, err := p.loadInteraction(r, interactionID)
	if err != nil {
		return nil, err
	}
	req := st.Request
	in := &Interaction{
		ID:              interactionID,
		ClientID:        req.ClientID,
		Scope:           req.Scope,
		Resources:       req.Resources,
		LoginHint:       req.LoginHint,
		FirstScreen:     req.FirstScreen,
		InteractionMode: req.InteractionMode,
		Identifier:      req.Identifier,
		DirectSignIn:    req.DirectSignIn,
		UILocales:       req.UILocales,
		CSRFToken:       st.CSRFToken,
		RedirectTarget:  redirectTarget(req.RedirectURI),
		Prompt:          req.Prompt,
		PagesState:      st.Pages,
		SignedInUserID:  st.SessionUserID,
	}
	if c, err := p.lookupClient(r.Context(), req.ClientID); err == nil {
		in.ClientName = c.app.Name
		in.IsThirdParty = c.app.IsThirdParty
	}
	return in, nil
}

// CompleteInteraction ends a successful sign-in of userID: the interaction
// is used up, the browser gets a fresh session, and it is sent back to the
// client with an authorization code.
func (p *Provider) CompleteInteraction(w http.ResponseWriter, r *http.Request, interactionID, userID string) error {
	st, err := p.loadInteraction(r, interactionID)
	if err != nil {
		return err
	}
	if need, err := p.needsConsent(r.Context(), &st.Request, userID); err != nil {
		return err
	} else if need {
		return ErrConsentRequired
	}
	if _, err := p.store.ConsumeObject(r.Context(), store.KindInteraction, digest(interactionID), p.nowMillis()); err != nil {
		if errors.Is(err, store.ErrConsumed) || errors.Is(err, store.ErrNotFound) {
			return ErrInteractionNotFound
		}
		return err
	}
	// A consent-only interaction keeps the browser's session and its
	// authentication time; a sign-in starts a fresh session.
	if st.SessionUserID != "" && st.SessionUserID == userID {
		if s, err := p.currentSession(r); err == nil && s != nil && s.UserID == userID {
			p.issueCode(w, r, &st.Request, userID, s.AuthTime, s.ID)
			p.logInteractionEnd(r, &st.Request, interactionID, userID, s.ID, nil)
			return nil
		}
	}
	authTime := p.now().Unix()
	s, err := p.startSession(w, r, userID, authTime)
	if err != nil {
		return err
	}
	p.issueCode(w, r, &st.Request, userID, authTime, s.ID)
	p.logInteractionEnd(r, &st.Request, interactionID, userID, s.ID, nil)
	return nil
}

// AbortInteraction ends the interaction with an OAuth error sent to the client
// (for example access_denied when the user cancels).
func (p *Provider) AbortInteraction(w http.ResponseWriter, r *http.Request, interactionID, code, description string) error {
	st, err := p.loadInteraction(r, interactionID)
	if err != nil {
		return err
	}
	if _, err := p.store.ConsumeObject(r.Context(), store.KindInteraction, digest(interactionID), p.nowMillis()); err != nil {
		return ErrInteractionNotFound
	}
	e := newError(400, code, description)
	p.redirectError(w, r, st.Request.RedirectURI, st.Request.State, e)
	p.logInteractionEnd(r, &st.Request, interactionID, "", "", e)
	return nil
}

func redirectTarget(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + ":"
}

// SavePagesState stores the sign-in pages' state with the interaction, so
// that a multi-step flow can continue on any node.
func (p *Provider) SavePagesState(r *http.Request, interactionID string, state []byte) error {
	st, err := p.loadInteraction(r, interactionID)
	if err != nil {
		return err
	}
	st.Pages = state
	payload, err := json.Marshal(st)
	if err != nil {
		return err
	}
	err = p.store.UpdateObjectPayload(r.Context(), store.KindInteraction, digest(interactionID), payload)
	if errors.Is(err, store.ErrNotFound) {
		return ErrInteractionNotFound
	}
	return err
}
