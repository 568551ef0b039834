package sso

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

const testEndpoint = "https://auth.example.com"

// harness is a Service on a fresh SQLite store whose HTTP client reaches
// fake identity providers on an Upstream, with a clock tests can move.
type harness struct {
	t   *testing.T
	up  *connectortest.Upstream
	st  store.Store
	svc *Service

	mu     sync.Mutex
	offset time.Duration
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	up, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	kek := make([]byte, seal.KeySize)
	rand.Read(kek)
	sealer, err := seal.New(kek)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, up: up, st: sqltest.SQLite(t)}
	h.svc = NewService(h.st, sealer, Options{HTTPClient: up.Client(), Now: h.now, Endpoint: testEndpoint + "/"})
	return h
}

func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Now().Add(h.offset)
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.offset += d
	h.mu.Unlock()
}

var alice = connectortest.FakeAccount{ID: "00u-alice-1", Email: "alice@acme.example", EmailVerified: true, Name: "Alice Smith"}

// create stores a connector for a fake and returns its id.
func (h *harness) create(fake connectortest.FakeProvider, config json.RawMessage, domains ...string) *Connector {
	h.t.Helper()
	if config == nil {
		config = fake.Config()
	}
	c, err := h.svc.Create(context.Background(), CreateInput{ProviderName: fake.FactoryID(), ConnectorName: "conn " + id.New(6),
		Config: config, Domains: domains})
	if err != nil {
		h.t.Fatalf("create %s connector: %v", fake.FactoryID(), err)
	}
	return c
}

func (h *harness) open(connID string) Provider {
	h.t.Helper()
	_, p, err := h.svc.Open(context.Background(), connID)
	if err != nil {
		h.t.Fatalf("open %s: %v", connID, err)
	}
	return p
}

// signIn is one sign-in as the hosted pages run it: a fresh state, nonce
// and verifier; the browser to AuthorizationURL; whatever the provider
// sends back to the callback URL handed to UserInfo.
type signIn struct {
	req      connector.AuthRequest
	authURL  string
	target   string
	returned url.Values
}

func (h *harness) start(p Provider, connID string) *signIn {
	h.t.Helper()
	s := &signIn{req: connector.AuthRequest{State: id.New(21) + "." + id.New(22), Nonce: id.Token(), CodeVerifier: id.Token(),
		RedirectURI: testEndpoint + "/callback/" + connID, Locale: "en"}}
	var err error
	if s.authURL, err = p.AuthorizationURL(context.Background(), s.req); err != nil {
		h.t.Fatalf("authorization URL: %v", err)
	}
	if s.target, s.returned, err = connectortest.FollowAuthorization(h.up.Client(), s.authURL); err != nil {
		h.t.Fatalf("at the provider: %v", err)
	}
	if s.target != s.req.RedirectURI {
		h.t.Fatalf("the provider sent the browser to %q, want the callback %q", s.target, s.req.RedirectURI)
	}
	return s
}

func (s *signIn) callback() connector.Callback {
	return connector.Callback{Params: s.returned, RedirectURI: s.req.RedirectURI, Nonce: s.req.Nonce, CodeVerifier: s.req.CodeVerifier}
}

func (h *harness) finish(p Provider, s *signIn) (*connector.SocialUser, error) {
	return p.UserInfo(context.Background(), s.callback())
}

// wantInvalid expects a refused answer; the reason must mention each of
// reasons, so that a test fails when the refusal comes from another check
// than the one it is about.
func wantInvalid(t *testing.T, err error, what string, reasons ...string) {
	t.Helper()
	if !errors.Is(err, connector.ErrInvalidResponse) {
		t.Fatalf("%s: error = %v, want connector.ErrInvalidResponse", what, err)
	}
	for _, r := range reasons {
		if !strings.Contains(err.Error(), r) {
			t.Fatalf("%s: refused for another reason: %v (want %q)", what, err, r)
		}
	}
	t.Logf("%s: refused: %v", what, err)
}

func wantUpstream(t *testing.T, err error, code string) {
	t.Helper()
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != code {
		t.Fatalf("error = %v, want an UpstreamError %q", err, code)
	}
}

func wantConfigError(t *testing.T, err error, code, field string) *ConfigError {
	t.Helper()
	ce, ok := IsConfigError(err)
	if !ok || ce.Code != code || (field != "" && ce.Field != field) {
		t.Fatalf("error = %v, want a ConfigError %s on %q", err, code, field)
	}
	return ce
}
