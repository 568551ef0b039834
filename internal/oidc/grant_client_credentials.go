package oidc

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// clientCredentials is the client_credentials grant (RFC 6749 §4.4) for
// machine-to-machine applications. It is the hot path: every lookup is
// cached and nothing is written.
func (p *Provider) clientCredentials(r *http.Request, c *client, form url.Values) (*tokenResponse, *Error) {
	if c.app.Type != store.MachineToMachine {
		return nil, errUnauthorizedClient("only machine-to-machine applications may use client_credentials")
	}
	indicator, e := singleResource(form)
	if e != nil {
		return nil, e
	}
	if indicator == "" {
		return nil, errInvalidTarget("resource is required: name the API resource the token is for")
	}
	ctx := r.Context()
	res, err := p.resourceByIndicator(ctx, p.store, indicator)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidTarget("resource indicator is not registered: " + indicator)
	} else if err != nil {
		return nil, errServer()
	}
	subject := store.Subject{ApplicationID: c.app.ID}
	var scopes []string
	if requested := strings.Fields(form.Get("scope")); len(requested) > 0 {
		scopes, err = p.resourceScopes(ctx, p.store, subject, res, dedupe(requested))
	} else {
		scopes, err = p.grantedScopes(ctx, p.store, subject, res.ID)
	}
	if err != nil {
		return nil, errServer()
	}
	tok, ttl, err := p.signAccessToken(c.app.ID, c.app.ID, res, scopes, p.now())
	if err != nil {
		p.log.Error("signing access token failed", "err", err)
		return nil, errServer()
	}
	return &tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: ttl, Scope: strings.Join(scopes, " ")}, nil
}
