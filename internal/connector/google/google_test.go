package google_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/google"
)

const redirectURI = "https://auth.gatehouse.test/callback/conn-google"

var ann = connectortest.FakeAccount{ID: "109876543210987654321", Email: "ann@example.com", EmailVerified: true,
	Name: "Ann Lee", Picture: "https://lh3.googleusercontent.com/a/ann"}

type harness struct {
	t    *testing.T
	u    *connectortest.Upstream
	fake *connectortest.FakeGoogle
	env  connector.Env
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	u, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Close)
	fake := connectortest.NewFakeGoogle(u, ann)
	fake.RegisterRedirectURI(redirectURI)
	return &harness{t: t, u: u, fake: fake, env: connector.Env{HTTPClient: u.Client()}}
}

// social builds the connector from the fake's config with changes applied.
func (h *harness) social(change map[string]any) connector.Social {
	h.t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal(h.fake.Config(), &cfg); err != nil {
		h.t.Fatal(err)
	}
	for k, v := range change {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	f := google.Factory()
	if err := f.Validate(raw); err != nil {
		h.t.Fatalf("Validate(%s): %v", raw, err)
	}
	s, err := f.NewSocial(raw, h.env)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

type flow struct {
	req     connector.AuthRequest
	authURL *url.URL
	params  url.Values
}

// authorize runs the browser's part: the authorization URL, the fake's
// redirect back to the callback.
func (h *harness) authorize(s connector.Social) *flow {
	h.t.Helper()
	req := connector.AuthRequest{State: "state-" + h.t.Name(), Nonce: "nonce-" + h.t.Name(),
		CodeVerifier: oauth2.GenerateVerifier(), RedirectURI: redirectURI, Locale: "fr"}
	raw, err := s.AuthorizationURL(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	au, err := url.Parse(raw)
	if err != nil {
		h.t.Fatal(err)
	}
	target, params, err := connectortest.FollowAuthorization(h.u.Client(), raw)
	if err != nil {
		h.t.Fatalf("authorization: %v", err)
	}
	if target != redirectURI {
		h.t.Fatalf("sent back to %q, want %q", target, redirectURI)
	}
	return &flow{req: req, authURL: au, params: params}
}

func (f *flow) callback() connector.Callback {
	return connector.Callback{Params: f.params, RedirectURI: f.req.RedirectURI, Nonce: f.req.Nonce, CodeVerifier: f.req.CodeVerifier}
}

func (h *harness) signIn(s connector.Social) (*connector.SocialUser, error) {
	h.t.Helper()
	return s.UserInfo(context.Background(), h.authorize(s).callback())
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	fl := h.authorize(s)
	q := fl.authURL.Query()
	if got := fl.authURL.Scheme + "://" + fl.authURL.Host + fl.authURL.Path; got != "https://accounts.google.com/o/oauth2/v2/auth" {
		t.Errorf("authorization endpoint %s", got)
	}
	sum := sha256.Sum256([]byte(fl.req.CodeVerifier))
	want := map[string]string{
		"client_id": h.fake.ClientID(), "redirect_uri": redirectURI, "response_type": "code", "state": fl.req.State,
		"nonce": fl.req.Nonce, "code_challenge_method": "S256", "code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]),
		"scope": "openid profile email", "hl": "fr",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("authorization parameter %s = %q, want %q", k, q.Get(k), v)
		}
	}
	for _, k := range []string{"prompt", "access_type", "hd"} {
		if q.Has(k) {
			t.Errorf("unconfigured parameter %s = %q sent", k, q.Get(k))
		}
	}
	if fl.params.Get("state") != fl.req.State {
		t.Errorf("state came back as %q", fl.params.Get("state"))
	}
	u, err := s.UserInfo(context.Background(), fl.callback())
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != ann.ID || u.Email != ann.Email || u.Name != ann.Name || u.Avatar != ann.Picture {
		t.Errorf("user = %+v", u)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["sub"] != ann.ID || raw["given_name"] != "Ann" {
		t.Errorf("rawData = %s (%v)", u.RawData, err)
	}
}

// Sign-ins run concurrently against one connector and one fake, as on a
// busy server (run with -race).
func TestConcurrentSignIns(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := connector.AuthRequest{State: "s" + strconv.Itoa(i), Nonce: "n" + strconv.Itoa(i),
				CodeVerifier: oauth2.GenerateVerifier(), RedirectURI: redirectURI}
			raw, err := s.AuthorizationURL(context.Background(), req)
			if err != nil {
				errs <- err
				return
			}
			_, params, err := connectortest.FollowAuthorization(h.u.Client(), raw)
			if err != nil {
				errs <- err
				return
			}
			u, err := s.UserInfo(context.Background(), connector.Callback{Params: params, RedirectURI: redirectURI,
				Nonce: req.Nonce, CodeVerifier: req.CodeVerifier})
			if err == nil && u.ID != ann.ID {
				err = errors.New("signed in as " + u.ID)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestScopeAlwaysHasOpenID(t *testing.T) {
	h := newHarness(t)
	fl := h.authorize(h.social(map[string]any{"scope": "email profile"}))
	if got := fl.authURL.Query().Get("scope"); got != "email profile openid" {
		t.Errorf("scope = %q", got)
	}
}

func TestOptions(t *testing.T) {
	h := newHarness(t)
	s := h.social(map[string]any{"prompts": []string{"consent", "select_account"}, "offlineAccess": true, "hostedDomain": "Example.com"})
	h.fake.SetHostedDomain("example.com")
	fl := h.authorize(s)
	q := fl.authURL.Query()
	if q.Get("prompt") != "consent select_account" || q.Get("access_type") != "offline" || q.Get("hd") != "example.com" {
		t.Errorf("prompt=%q access_type=%q hd=%q", q.Get("prompt"), q.Get("access_type"), q.Get("hd"))
	}
	if _, err := s.UserInfo(context.Background(), fl.callback()); err != nil {
		t.Fatalf("account of the hosted domain: %v", err)
	}
}

func TestHostedDomain(t *testing.T) {
	cases := []struct {
		config, account string
		ok              bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "EXAMPLE.COM", true},
		{"example.com", "other.com", false},
		{"example.com", "", false},
		{"*", "any.org", true},
		{"*", "", false},
		{"", "", true},
	}
	for _, c := range cases {
		t.Run(c.config+"/"+c.account, func(t *testing.T) {
			h := newHarness(t)
			h.fake.SetHostedDomain(c.account)
			_, err := h.signIn(h.social(map[string]any{"hostedDomain": c.config}))
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *connector.UpstreamError
			if !errors.As(err, &ue) || ue.Code != "hosted_domain_mismatch" {
				t.Fatalf("err = %v, want hosted_domain_mismatch", err)
			}
		})
	}
}

func TestUnverifiedEmailLeftOut(t *testing.T) {
	h := newHarness(t)
	acct := ann
	acct.EmailVerified = false
	h.fake.SetAccount(acct)
	u, err := h.signIn(h.social(nil))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != ann.ID || u.Email != "" {
		t.Errorf("user = %+v, want the id without the unverified email", u)
	}
}

func TestCallbackError(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFail(connectortest.FailAuthorize)
	_, err := h.signIn(h.social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "access_denied" {
		t.Fatalf("err = %v, want access_denied", err)
	}
}

func TestWrongStateIsTheCallersToCheck(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFail(connectortest.FailWrongState)
	fl := h.authorize(h.social(nil))
	if fl.params.Get("state") == fl.req.State {
		t.Fatal("the fake sent the right state back")
	}
}

func TestTokenError(t *testing.T) {
	h := newHarness(t)
	h.fake.SetFail(connectortest.FailToken)
	_, err := h.signIn(h.social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestWrongClientSecret(t *testing.T) {
	h := newHarness(t)
	_, err := h.signIn(h.social(map[string]any{"clientSecret": "GOCSPX-not-the-secret"}))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_client" {
		t.Fatalf("err = %v, want invalid_client", err)
	}
	if strings.Contains(err.Error(), "GOCSPX") {
		t.Errorf("error %q shows the secret", err)
	}
}

func TestPKCEVerifierSent(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	fl := h.authorize(s)
	cb := fl.callback()
	cb.CodeVerifier = oauth2.GenerateVerifier()
	_, err := s.UserInfo(context.Background(), cb)
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("another verifier: err = %v, want invalid_grant", err)
	}
}

func TestCodeWorksOnce(t *testing.T) {
	h := newHarness(t)
	s := h.social(nil)
	fl := h.authorize(s)
	if _, err := s.UserInfo(context.Background(), fl.callback()); err != nil {
		t.Fatal(err)
	}
	_, err := s.UserInfo(context.Background(), fl.callback())
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("replayed code: err = %v, want invalid_grant", err)
	}
}

func TestUntrustworthyIDTokens(t *testing.T) {
	cases := map[string]func(h *harness){
		"wrong nonce":    func(h *harness) { h.fake.SetFail(connectortest.FailWrongNonce) },
		"bad signature":  func(h *harness) { h.fake.SetFail(connectortest.FailBadSignature) },
		"wrong audience": func(h *harness) { h.fake.SetAudience("someone-else.apps.googleusercontent.com") },
		"expired": func(h *harness) {
			h.env.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			setup(h)
			u, err := h.signIn(h.social(nil))
			if !errors.Is(err, connector.ErrInvalidResponse) {
				t.Fatalf("user %+v, err = %v, want ErrInvalidResponse", u, err)
			}
		})
	}
}

func TestMissingCode(t *testing.T) {
	h := newHarness(t)
	_, err := h.social(nil).UserInfo(context.Background(), connector.Callback{Params: url.Values{"state": {"s"}}, RedirectURI: redirectURI})
	if !errors.Is(err, connector.ErrInvalidResponse) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnregisteredRedirectURI(t *testing.T) {
	h := newHarness(t)
	raw, err := h.social(nil).AuthorizationURL(context.Background(), connector.AuthRequest{State: "s", Nonce: "n",
		RedirectURI: "https://auth.gatehouse.test/callback/another"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = connectortest.FollowAuthorization(h.u.Client(), raw)
	var ae *connectortest.AuthorizationError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(ae.Body, "redirect_uri_mismatch") {
		t.Fatalf("err = %v, want a redirect_uri_mismatch page", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		config, field string
	}{
		{`{"clientSecret":"s"}`, "clientId"},
		{`{"clientId":"","clientSecret":"s"}`, "clientId"},
		{`{"clientId":"c"}`, "clientSecret"},
		{`{"clientId":5,"clientSecret":"s"}`, "clientId"},
		{`{"clientId":"c","clientSecret":"s","prompts":"consent"}`, "prompts"},
		{`{"clientId":"c","clientSecret":"s","prompts":["consent","login"]}`, "prompts[1]"},
		{`{"clientId":"c","clientSecret":"s","offlineAccess":"yes"}`, "offlineAccess"},
		{`{"clientId":"c","clientSecret":"s","oneTap":true}`, "oneTap"},
		{`{"clientId":"c","clientSecret":"s","hostedDomain":"me@example.com"}`, "hostedDomain"},
		{`[]`, ""},
	}
	for _, c := range cases {
		err := google.Factory().Validate(json.RawMessage(c.config))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("Validate(%s) = %v, want a ConfigError on %q", c.config, err, c.field)
		}
	}
	ok := `{"clientId":"c","clientSecret":"s","scope":"openid email","prompts":["select_account"],"offlineAccess":false,` +
		`"oneTap":{"isEnabled":true,"autoSelect":false},"hostedDomain":"example.com","unknownField":1}`
	if err := google.Factory().Validate(json.RawMessage(ok)); err != nil {
		t.Errorf("Validate(%s) = %v", ok, err)
	}
}

func TestFactory(t *testing.T) {
	f := google.Factory()
	if f.Metadata.ID != "google-universal" || f.Metadata.Target != "google" || f.Type != connector.TypeSocial ||
		f.Metadata.Platform == nil || *f.Metadata.Platform != "Universal" || !f.SingleInstance {
		t.Errorf("factory = %+v", f.Metadata)
	}
	masked := string(f.Mask(json.RawMessage(`{"clientId":"c","clientSecret":"GOCSPX-0123456789abcdef"}`)))
	if strings.Contains(masked, "GOCSPX") || !strings.Contains(masked, `"clientId":"c"`) {
		t.Errorf("masked config %s", masked)
	}
}
