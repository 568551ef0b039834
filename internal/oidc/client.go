package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// client is an application as the protocol needs it, with its secret digests.
type client struct {
	app     store.Application
	secrets []secretDigest
	// origins are the origins allowed to call the token and userinfo
	// endpoints from a browser: the app's redirect URIs' origins and its
	// CORS allowed origins.
	origins map[string]bool
}

type secretDigest struct {
	digest    []byte
	expiresAt int64
}

// lookupClient returns the application with id, cached; store.ErrNotFound if none.
func (p *Provider) lookupClient(ctx context.Context, id string) (*client, error) {
	if id == "" || len(id) > 256 {
		return nil, store.ErrNotFound
	}
	return p.clients.load(id, func() (*client, error) {
		app, err := p.store.GetApplication(ctx, id)
		if err != nil {
			return nil, err
		}
		c := &client{app: *app, origins: map[string]bool{}}
		if app.Type.Confidential() {
			secrets, err := p.store.ListApplicationSecrets(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, s := range secrets {
				c.secrets = append(c.secrets, secretDigest{digest: s.Digest, expiresAt: s.ExpiresAt})
			}
		}
		for _, u := range app.OIDCClientMetadata.RedirectURIs {
			if o := originOf(u); o != "" {
				c.origins[o] = true
			}
		}
		for _, o := range app.CustomClientMetadata.CORSAllowedOrigins {
			c.origins[strings.TrimRight(o, "/")] = true
		}
		return c, nil
	})
}

// secretMatches compares the SHA-256 digest of the presented secret with
// every live stored digest in constant time. Secrets carry 256 bits of
// randomness, so a fast digest is as safe as a slow password hash here.
func (c *client) secretMatches(secret string, nowMillis int64) bool {
	sum := sha256.Sum256([]byte(secret))
	ok := 0
	for _, s := range c.secrets {
		live := s.expiresAt == 0 || s.expiresAt > nowMillis
		if subtle.ConstantTimeCompare(sum[:], s.digest) == 1 && live {
			ok = 1
		}
	}
	return ok == 1
}

// clientCredentials is what a request presents to authenticate a client.
type clientCredentials struct {
	id, secret string
	hasSecret  bool
	basic      bool
}

// readClientCredentials takes the client's id and secret from HTTP Basic
// (RFC 6749 §2.3.1: both form-urlencoded) or from the form body. Using two
// methods at once is refused, except that a client_id in the body may
// repeat the Basic id, as @logto/node sends it.
func readClientCredentials(r *http.Request, form url.Values) (clientCredentials, *Error) {
	var cc clientCredentials
	if user, pass, ok := r.BasicAuth(); ok {
		cc.basic = true
		cc.id, cc.secret, cc.hasSecret = formUnescape(user), formUnescape(pass), true
		if form.Has("client_secret") {
			return cc, errInvalidRequest("client authentication must use one method only")
		}
		if id := form.Get("client_id"); id != "" && id != cc.id {
			return cc, errInvalidClient("client_id does not match the authenticated client")
		}
		return cc, nil
	}
	if h := r.Header.Get("Authorization"); h != "" && !strings.HasPrefix(strings.ToLower(h), "basic ") {
		return cc, errInvalidClient("unsupported Authorization scheme for client authentication")
	}
	cc.id = form.Get("client_id")
	if form.Has("client_secret") {
		cc.secret, cc.hasSecret = form.Get("client_secret"), true
	}
	if cc.id == "" {
		return cc, errInvalidClient("client authentication is required")
	}
	return cc, nil
}

// formUnescape decodes an application/x-www-form-urlencoded value, and
// leaves a value that is not validly encoded as it is (raw senders).
func formUnescape(s string) string {
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return s
}

// authenticateClient identifies and authenticates the calling client.
// Confidential clients must present a live secret; public clients must not.
// Failures are counted per client and per source IP; once either passes the
// limit the failure is answered with 429 instead of 401. A correct
// credential is never refused by the limiter.
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (*client, *Error) {
	cc, e := readClientCredentials(r, form)
	if e != nil {
		return nil, e
	}
	c, err := p.lookupClient(r.Context(), cc.id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		p.log.Error("client lookup failed", "err", err)
		return nil, errServer()
	}
	var failure *Error
	switch {
	case c == nil:
		failure = errInvalidClient("client authentication failed")
	case c.app.Type.Confidential():
		if !cc.hasSecret || !c.secretMatches(cc.secret, p.nowMillis()) {
			failure = errInvalidClient("client authentication failed")
		}
	case cc.hasSecret && cc.secret != "":
		failure = errInvalidClient("this client is public and must not send a secret")
	}
	if failure == nil {
		return c, nil
	}
	ipKey, clientKey := "ip:"+p.opt.ClientIP(r), "client:"+cc.id
	p.clientFailures.Fail(ipKey, clientKey)
	if wait, blocked := p.clientFailures.Blocked(ipKey, clientKey); blocked {
		return nil, &Error{Code: "invalid_client", Description: "too many failed client authentications; retry later",
			Status: http.StatusTooManyRequests, RetryAfter: int(wait/time.Second) + 1}
	}
	return nil, failure
}

// originOf returns scheme://host[:port] of an http(s) URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
