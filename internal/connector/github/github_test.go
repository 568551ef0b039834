package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/github"
)

const (
	redirectURI = "https://auth.example.com/callback/gh1"
	verifier    = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

var mona = connectortest.FakeAccount{ID: "583231", Email: "mona@example.com", EmailVerified: true,
	Name: "Mona Lisa", Picture: "https://avatars.githubusercontent.com/u/583231?v=4"}

type harness = connectortest.Harness[*connectortest.FakeGitHub]

func newHarness(t *testing.T, acct connectortest.FakeAccount) *harness {
	t.Helper()
	return connectortest.NewHarness(t, github.Factory(), connectortest.NewFakeGitHub, acct,
		connector.AuthRequest{State: "st-1", CodeVerifier: verifier, RedirectURI: redirectURI})
}

func TestSignIn(t *testing.T) {
	h := newHarness(t, mona)
	s := h.Social(nil)
	cb := h.Authorize(s).Callback()
	if cb.Params.Get("state") != "st-1" {
		t.Errorf("state = %q", cb.Params.Get("state"))
	}
	q := h.Fake.LastAuthorization()
	if q.Get("client_id") != connectortest.FakeGitHubClientID || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("scope") != github.DefaultScope || q.Get("redirect_uri") != redirectURI {
		t.Errorf("authorization request = %v", q)
	}
	u, err := s.UserInfo(context.Background(), cb)
	if err != nil {
		t.Fatal(err)
	}
	if tr := h.Fake.LastTokenRequest(); tr.Get("code_verifier") != verifier {
		t.Errorf("token request carried code_verifier %q", tr.Get("code_verifier"))
	}
	if u.ID != "583231" || u.Email != mona.Email || u.Name != mona.Name || u.Avatar != mona.Picture {
		t.Errorf("user = %+v", u)
	}
	var raw struct {
		UserInfo   map[string]any   `json:"userInfo"`
		UserEmails []map[string]any `json:"userEmails"`
	}
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw.UserInfo["login"] != "octo-583231" || len(raw.UserEmails) != 3 {
		t.Errorf("rawData = %s (%v)", u.RawData, err)
	}
}

func TestUnverifiedPrimaryEmailIsLeftOut(t *testing.T) {
	acct := mona
	acct.EmailVerified = false
	acct.Name = ""
	h := newHarness(t, acct)
	s := h.Social(nil)
	u, err := h.SignIn(s)
	if err != nil {
		t.Fatal(err)
	}
	// /user shows the address publicly and a verified noreply address is
	// listed, but neither is a verified primary.
	if u.Email != "" {
		t.Errorf("email = %q, want none", u.Email)
	}
	if u.Name != "octo-583231" {
		t.Errorf("name = %q, want the login when GitHub has no name", u.Name)
	}
}

func TestWithoutEmailScope(t *testing.T) {
	h := newHarness(t, mona)
	s := h.Social(map[string]any{"scope": "read:user"})
	u, err := h.SignIn(s)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "583231" || u.Email != "" {
		t.Errorf("user = %+v, want the id and no email", u)
	}
	if got := h.Fake.LastAuthorization().Get("scope"); got != "read:user" {
		t.Errorf("scope sent = %q", got)
	}
}

func TestAccessDenied(t *testing.T) {
	h := newHarness(t, mona)
	h.Fake.SetFail(connectortest.FailAuthorize)
	s := h.Social(nil)
	_, err := h.SignIn(s)
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "access_denied" {
		t.Fatalf("err = %v, want access_denied", err)
	}
}

func TestTokenErrors(t *testing.T) {
	h := newHarness(t, mona)
	s := h.Social(nil)
	upstream := func(err error, code string) {
		t.Helper()
		var ue *connector.UpstreamError
		if !errors.As(err, &ue) || ue.Code != code {
			t.Fatalf("err = %v, want upstream error %s", err, code)
		}
	}

	h.Fake.SetFail(connectortest.FailToken)
	_, err := h.SignIn(s)
	upstream(err, "bad_verification_code")
	h.Fake.SetFail(connectortest.FailNone)

	cb := h.Authorize(s).Callback()
	cb.CodeVerifier = "another-verifier-of-sufficient-length-0123456789"
	_, err = s.UserInfo(context.Background(), cb)
	upstream(err, "bad_verification_code")

	cb = h.Authorize(s).Callback()
	cb.RedirectURI = "https://auth.example.com/callback/other"
	_, err = s.UserInfo(context.Background(), cb)
	upstream(err, "redirect_uri_mismatch")

	cb = h.Authorize(s).Callback()
	if _, err := s.UserInfo(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserInfo(context.Background(), cb)
	upstream(err, "bad_verification_code") // a code works once

	bad := github.Factory()
	wrong, _ := json.Marshal(map[string]string{"clientId": connectortest.FakeGitHubClientID, "clientSecret": "not-the-secret"})
	s2, _ := bad.NewSocial(wrong, connector.Env{HTTPClient: h.Client})
	_, err = h.SignIn(s2)
	upstream(err, "incorrect_client_credentials")
}

func TestInvalidResponses(t *testing.T) {
	h := newHarness(t, connectortest.FakeAccount{Name: "No Id"})
	s := h.Social(nil)
	if _, err := h.SignIn(s); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("profile without id: err = %v, want ErrInvalidResponse", err)
	}
	h.Fake.SetAccount(connectortest.FakeAccount{ID: "not-a-number"})
	if _, err := h.SignIn(s); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("non-numeric id: err = %v, want ErrInvalidResponse", err)
	}
	_, err := s.UserInfo(context.Background(), connector.Callback{Params: url.Values{"state": {"st-1"}}, RedirectURI: redirectURI})
	if !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("callback without code: err = %v, want ErrInvalidResponse", err)
	}
}

func TestValidate(t *testing.T) {
	f := github.Factory()
	for _, tc := range []struct{ config, field string }{
		{`{"clientSecret":"s"}`, "clientId"},
		{`{"clientId":"  ","clientSecret":"s"}`, "clientId"},
		{`{"clientId":"id"}`, "clientSecret"},
		{`{"clientId":"id","clientSecret":"s","scope":7}`, "scope"},
		{`{"clientId":1,"clientSecret":"s"}`, "clientId"},
		{`[]`, ""},
		{``, ""},
	} {
		err := f.Validate(json.RawMessage(tc.config))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("Validate(%s) = %v, want a ConfigError for %q", tc.config, err, tc.field)
		}
	}
	masked := string(f.Mask(json.RawMessage(`{"clientId":"id","clientSecret":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}`)))
	if strings.Contains(masked, "0f1e2d3c4b5a6978") || !strings.Contains(masked, `"clientId":"id"`) {
		t.Errorf("masked config = %s", masked)
	}
	if f.Metadata.ID != "github-universal" || f.Metadata.Target != "github" || *f.Metadata.Platform != "Universal" || f.Type != connector.TypeSocial {
		t.Errorf("metadata = %+v", f.Metadata)
	}
}

func TestAuthorizationURLNeedsStateAndRedirect(t *testing.T) {
	s, err := github.Factory().NewSocial(json.RawMessage(`{"clientId":"a","clientSecret":"b"}`), connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{RedirectURI: redirectURI}); err == nil {
		t.Error("an authorization URL without state was built")
	}
	u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "x", RedirectURI: redirectURI})
	if err != nil || !strings.HasPrefix(u, github.AuthorizationEndpoint+"?") || strings.Contains(u, "code_challenge") {
		t.Errorf("URL without verifier = %s, %v", u, err)
	}
}

// TestConcurrentSignIns runs sign-ins of different people at once against
// one connector and one fake, for the race detector.
func TestConcurrentSignIns(t *testing.T) {
	h := newHarness(t, mona)
	s := h.Social(nil)
	errs := make(chan error, 16)
	for i := 0; i < cap(errs); i++ {
		go func() {
			u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "s", CodeVerifier: verifier, RedirectURI: redirectURI})
			if err != nil {
				errs <- err
				return
			}
			_, params, err := connectortest.FollowAuthorization(h.Client, u)
			if err != nil {
				errs <- err
				return
			}
			got, err := s.UserInfo(context.Background(), connector.Callback{Params: params, RedirectURI: redirectURI, CodeVerifier: verifier})
			if err == nil && got.ID != mona.ID {
				err = errors.New("wrong account " + got.ID)
			}
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
