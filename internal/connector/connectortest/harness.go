package connectortest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// Harness runs a social connector against a fake provider on an Upstream
// of its own, for a connector package's tests: it builds the connector
// from the fake's config, plays the browser's part of the authorization
// and hands the callback back.
type Harness[F FakeProvider] struct {
	T        testing.TB
	Upstream *Upstream
	// Client is the connector's HTTP client and the browser's, one
	// client so that connections are reused.
	Client *http.Client
	Fake   F
	// Factory builds the connector that Social returns.
	Factory *connector.Factory
	// Env is the connector's environment; Social and NewSocial set its
	// HTTPClient to Client.
	Env connector.Env
	// Request is what Authorize asks for. Its RedirectURI is where the
	// fake must send the browser back.
	Request connector.AuthRequest
	// NewVerifier, when set, gives each Authorize a fresh code verifier
	// in place of Request's.
	NewVerifier func() string
	// SentBack, when set, checks the URL the fake sent the browser back
	// to; nil requires Request.RedirectURI exactly.
	SentBack func(target string) bool
}

// NewHarness starts an Upstream, closed when the test ends, with the fake
// made by newFake signing in acct. Register redirect URIs on h.Fake if the
// test wants the fake to check them.
func NewHarness[F FakeProvider](t testing.TB, factory *connector.Factory, newFake func(*Upstream, FakeAccount) F,
	acct FakeAccount, req connector.AuthRequest) *Harness[F] {
	t.Helper()
	u, err := StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Close)
	return &Harness[F]{T: t, Upstream: u, Client: u.Client(), Fake: newFake(u, acct), Factory: factory, Request: req}
}

// Config returns the fake's config with change applied: a nil value
// deletes a field, and a dotted key ("parent.field") changes a field of a
// nested object.
func (h *Harness[F]) Config(change map[string]any) json.RawMessage {
	h.T.Helper()
	var cfg map[string]any
	if err := json.Unmarshal(h.Fake.Config(), &cfg); err != nil {
		h.T.Fatal(err)
	}
	for k, v := range change {
		m := cfg
		if parent, field, nested := strings.Cut(k, "."); nested {
			sub, _ := cfg[parent].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				cfg[parent] = sub
			}
			m, k = sub, field
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	raw, _ := json.Marshal(cfg)
	return raw
}

// Social builds the connector of h.Factory from the fake's config with
// change applied (see Config).
func (h *Harness[F]) Social(change map[string]any) connector.Social {
	h.T.Helper()
	return h.NewSocial(h.Factory, h.Config(change))
}

// NewSocial validates config with f and builds f's connector on h.Env.
func (h *Harness[F]) NewSocial(f *connector.Factory, config json.RawMessage) connector.Social {
	h.T.Helper()
	if err := f.Validate(config); err != nil {
		h.T.Fatalf("Validate(%s): %v", config, err)
	}
	env := h.Env
	env.HTTPClient = h.Client
	s, err := f.NewSocial(config, env)
	if err != nil {
		h.T.Fatal(err)
	}
	return s
}

// Flow is one authorization: the request, the authorization URL it made,
// and the parameters the fake sent back (in the query, or in a posted
// form).
type Flow struct {
	Req     connector.AuthRequest
	AuthURL *url.URL
	Params  url.Values
}

// Authorize runs the browser's part: it opens s's authorization URL for
// h.Request and follows the fake back to the redirect URI.
func (h *Harness[F]) Authorize(s connector.Social) *Flow {
	h.T.Helper()
	req := h.Request
	if h.NewVerifier != nil {
		req.CodeVerifier = h.NewVerifier()
	}
	raw, err := s.AuthorizationURL(context.Background(), req)
	if err != nil {
		h.T.Fatal(err)
	}
	au, err := url.Parse(raw)
	if err != nil {
		h.T.Fatal(err)
	}
	target, params, err := FollowAuthorization(h.Client, raw)
	if err != nil {
		h.T.Fatalf("authorization: %v", err)
	}
	ok := target == req.RedirectURI
	if h.SentBack != nil {
		ok = h.SentBack(target)
	}
	if !ok {
		h.T.Fatalf("the provider sent the browser to %q, want %q", target, req.RedirectURI)
	}
	return &Flow{Req: req, AuthURL: au, Params: params}
}

// Callback is the callback of the flow, as the server hands it to the
// connector.
func (f *Flow) Callback() connector.Callback {
	return connector.Callback{Params: f.Params, RedirectURI: f.Req.RedirectURI, Nonce: f.Req.Nonce, CodeVerifier: f.Req.CodeVerifier}
}

// SignIn authorizes and asks s for the user.
func (h *Harness[F]) SignIn(s connector.Social) (*connector.SocialUser, error) {
	h.T.Helper()
	return s.UserInfo(context.Background(), h.Authorize(s).Callback())
}
