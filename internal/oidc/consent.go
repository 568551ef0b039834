package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// kindConsent records what a user allowed a third-party application.
const kindConsent store.ObjectKind = "Consent"

// consentTTL bounds how long a consent is remembered.
const consentTTL = 365 * 24 * time.Hour

type consentRecord struct {
	Scope     []string `json:"scope"`
	Resources []string `json:"resources,omitempty"`
}

func consentID(userID, clientID string) string { return digest(userID + "\x00" + clientID) }

// needsConsent reports whether userID must consent before req's client gets
// a code: first-party applications never ask; third-party applications ask
// when prompt=consent is sent or the request goes beyond what was allowed.
func (p *Provider) needsConsent(ctx context.Context, req *authRequest, userID string) (bool, error) {
	c, err := p.lookupClient(ctx, req.ClientID)
	if err != nil {
		return false, err
	}
	if !c.app.IsThirdParty {
		return false, nil
	}
	if req.hasPrompt("consent") {
		return true, nil
	}
	obj, err := p.store.GetObject(ctx, kindConsent, consentID(userID, req.ClientID), p.nowMillis())
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	var rec consentRecord
	if json.Unmarshal(obj.Payload, &rec) != nil {
		return true, nil
	}
	for _, s := range req.Scope {
		if !slices.Contains(rec.Scope, s) {
			return true, nil
		}
	}
	for _, r := range req.Resources {
		if !slices.Contains(rec.Resources, r) {
			return true, nil
		}
	}
	return false, nil
}

// recordConsent remembers that userID allowed what req asks.
func (p *Provider) recordConsent(ctx context.Context, req *authRequest, userID string) error {
	payload, _ := json.Marshal(consentRecord{Scope: req.Scope, Resources: req.Resources})
	return p.store.PutObject(ctx, &store.OIDCObject{
		Kind: kindConsent, ID: consentID(userID, req.ClientID), Payload: payload,
		ExpiresAt: p.now().Add(consentTTL).UnixMilli(),
	})
}

// NeedsConsent reports whether the interaction must show the consent page
// to userID before it completes.
func (p *Provider) NeedsConsent(r *http.Request, interactionID, userID string) (bool, error) {
	st, err := p.loadInteraction(r, interactionID)
	if err != nil {
		return false, err
	}
	return p.needsConsent(r.Context(), &st.Request, userID)
}

// GrantConsent records that userID allowed what the interaction asks.
func (p *Provider) GrantConsent(r *http.Request, interactionID, userID string) error {
	st, err := p.loadInteraction(r, interactionID)
	if err != nil {
		return err
	}
	return p.recordConsent(r.Context(), &st.Request, userID)
}

// ErrConsentRequired means a third-party application's interaction was
// completed without the user's consent.
var ErrConsentRequired = errors.New("the user has not consented to this application")
