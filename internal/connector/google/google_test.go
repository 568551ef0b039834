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

type harness = connectortest.Harness[*connectortest.FakeGoogle]

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := connectortest.NewHarness(t, google.Factory(), connectortest.NewFakeGoogle, ann,
		connector.AuthRequest{State: "state-" + t.Name(), Nonce: "nonce-" + t.Name(), RedirectURI: redirectURI, Locale: "fr"})
	h.NewVerifier = oauth2.GenerateVerifier
	h.Fake.RegisterRedirectURI(redirectURI)
	return h
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	fl := h.Authorize(s)
	q := fl.AuthURL.Query()
	if got := fl.AuthURL.Scheme + "://" + fl.AuthURL.Host + fl.AuthURL.Path; got != "https://accounts.google.com/o/oauth2/v2/auth" {
		t.Errorf("authorization endpoint %s", got)
	}
	sum := sha256.Sum256([]byte(fl.Req.CodeVerifier))
	want := map[string]string{
		"client_id": h.Fake.ClientID(), "redirect_uri": redirectURI, "response_type": "code", "state": fl.Req.State,
		"nonce": fl.Req.Nonce, "code_challenge_method": "S256", "code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]),
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
	if fl.Params.Get("state") != fl.Req.State {
		t.Errorf("state came back as %q", fl.Params.Get("state"))
	}
	u, err := s.UserInfo(context.Background(), fl.Callback())
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
	s := h.Social(nil)
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
			_, params, err := connectortest.FollowAuthorization(h.Upstream.Client(), raw)
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
	fl := h.Authorize(h.Social(map[string]any{"scope": "email profile"}))
	if got := fl.AuthURL.Query().Get("scope"); got != "email profile openid" {
		t.Errorf("scope = %q", got)
	}
}

func TestOptions(t *testing.T) {
	h := newHarness(t)
	s := h.Social(map[string]any{"prompts": []string{"consent", "select_account"}, "offlineAccess": true, "hostedDomain": "Example.com"})
	h.Fake.SetHostedDomain("example.com")
	fl := h.Authorize(s)
	q := fl.AuthURL.Query()
	if q.Get("prompt") != "consent select_account" || q.Get("access_type") != "offline" || q.Get("hd") != "example.com" {
		t.Errorf("prompt=%q access_type=%q hd=%q", q.Get("prompt"), q.Get("access_type"), q.Get("hd"))
	}
	if _, err := s.UserInfo(context.Background(), fl.Callback()); err != nil {
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
			h.Fake.SetHostedDomain(c.account)
			_, err := h.SignIn(h.Social(map[string]any{"hostedDomain": c.config}))
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
	h.Fake.SetAccount(acct)
	u, err := h.SignIn(h.Social(nil))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != ann.ID || u.Email != "" {
		t.Errorf("user = %+v, want the id without the unverified email", u)
	}
}

func TestCallbackError(t *testing.T) {
	h := newHarness(t)
	h.Fake.SetFail(connectortest.FailAuthorize)
	_, err := h.SignIn(h.Social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "access_denied" {
		t.Fatalf("err = %v, want access_denied", err)
	}
}

func TestWrongStateIsTheCallersToCheck(t *testing.T) {
	h := newHarness(t)
	h.Fake.SetFail(connectortest.FailWrongState)
	fl := h.Authorize(h.Social(nil))
	if fl.Params.Get("state") == fl.Req.State {
		t.Fatal("the fake sent the right state back")
	}
}

func TestTokenError(t *testing.T) {
	h := newHarness(t)
	h.Fake.SetFail(connectortest.FailToken)
	_, err := h.SignIn(h.Social(nil))
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("err = %v, want invalid_grant", err)
	}
}

func TestWrongClientSecret(t *testing.T) {
	h := newHarness(t)
	_, err := h.SignIn(h.Social(map[string]any{"clientSecret": "GOCSPX-not-the-secret"}))
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
	s := h.Social(nil)
	fl := h.Authorize(s)
	cb := fl.Callback()
	cb.CodeVerifier = oauth2.GenerateVerifier()
	_, err := s.UserInfo(context.Background(), cb)
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("another verifier: err = %v, want invalid_grant", err)
	}
}

func TestCodeWorksOnce(t *testing.T) {
	h := newHarness(t)
	s := h.Social(nil)
	fl := h.Authorize(s)
	if _, err := s.UserInfo(context.Background(), fl.Callback()); err != nil {
		t.Fatal(err)
	}
	_, err := s.UserInfo(context.Background(), fl.Callback())
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("replayed code: err = %v, want invalid_grant", err)
	}
}

func TestUntrustworthyIDTokens(t *testing.T) {
	cases := map[string]func(h *harness){
		"wrong nonce":    func(h *harness) { h.Fake.SetFail(connectortest.FailWrongNonce) },
		"bad signature":  func(h *harness) { h.Fake.SetFail(connectortest.FailBadSignature) },
		"wrong audience": func(h *harness) { h.Fake.SetAudience("someone-else.apps.googleusercontent.com") },
		"expired": func(h *harness) {
			h.Env.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			setup(h)
			u, err := h.SignIn(h.Social(nil))
			if !errors.Is(err, connector.ErrInvalidResponse) {
				t.Fatalf("user %+v, err = %v, want ErrInvalidResponse", u, err)
			}
		})
	}
}

func TestMissingCode(t *testing.T) {
	h := newHarness(t)
	_, err := h.Social(nil).UserInfo(context.Background(), connector.Callback{Params: url.Values{"state": {"s"}}, RedirectURI: redirectURI})
	if !errors.Is(err, connector.ErrInvalidResponse) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnregisteredRedirectURI(t *testing.T) {
	h := newHarness(t)
	raw, err := h.Social(nil).AuthorizationURL(context.Background(), connector.AuthRequest{State: "s", Nonce: "n",
		RedirectURI: "https://auth.gatehouse.test/callback/another"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = connectortest.FollowAuthorization(h.Upstream.Client(), raw)
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
