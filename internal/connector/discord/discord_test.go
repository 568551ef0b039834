package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/connector/discord"
)

const (
	redirectURI = "https://auth.example.com/callback/dc1"
	verifier    = "M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag"
)

var wumpus = connectortest.FakeAccount{ID: "80351110224678912", Email: "wumpus@example.com", EmailVerified: true,
	Name: "Wumpus", Picture: "https://example.com/wumpus.png"}

type harness = connectortest.Harness[*connectortest.FakeDiscord]

func newHarness(t *testing.T, acct connectortest.FakeAccount) *harness {
	t.Helper()
	return connectortest.NewHarness(t, discord.Factory(), connectortest.NewFakeDiscord, acct,
		connector.AuthRequest{State: "st-2", CodeVerifier: verifier, RedirectURI: redirectURI})
}

func upstream(t *testing.T, err error, code string) {
	t.Helper()
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != code {
		t.Fatalf("err = %v, want upstream error %s", err, code)
	}
}

func TestSignIn(t *testing.T) {
	h := newHarness(t, wumpus)
	h.Fake.RegisterRedirectURI(redirectURI)
	s := h.Social(nil)
	cb := h.Authorize(s).Callback()
	q := h.Fake.LastAuthorization()
	if q.Get("response_type") != "code" || q.Get("scope") != discord.DefaultScope || q.Get("code_challenge_method") != "S256" {
		t.Errorf("authorization request = %v", q)
	}
	u, err := s.UserInfo(context.Background(), cb)
	if err != nil {
		t.Fatal(err)
	}
	want := discord.AvatarURLPrefix + wumpus.ID + "/" + h.Fake.AvatarHash(wumpus) + ".png"
	if u.ID != wumpus.ID || u.Email != wumpus.Email || u.Name != "Wumpus" || u.Avatar != want {
		t.Errorf("user = %+v, want avatar %s", u, want)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["username"] != "wumpus" {
		t.Errorf("rawData = %s", u.RawData)
	}
	if tr := h.Fake.LastTokenRequest(); tr.Get("code_verifier") != verifier || tr.Get("redirect_uri") != redirectURI {
		t.Errorf("token request = %v", tr)
	}
}

func TestUnverifiedEmailIsLeftOut(t *testing.T) {
	acct := wumpus
	acct.EmailVerified = false
	acct.Name, acct.Picture = "", ""
	h := newHarness(t, acct)
	s := h.Social(nil)
	u, err := h.SignIn(s)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "" || u.Avatar != "" || u.Name != "user"+acct.ID {
		t.Errorf("user = %+v, want no email, no avatar, the username as name", u)
	}
}

func TestUnregisteredRedirectURI(t *testing.T) {
	h := newHarness(t, wumpus)
	h.Fake.RegisterRedirectURI("https://elsewhere.example/callback")
	s := h.Social(nil)
	u, _ := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "s", RedirectURI: redirectURI})
	_, _, err := connectortest.FollowAuthorization(h.Client, u)
	var ae *connectortest.AuthorizationError
	if !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("err = %v, want Discord's error page", err)
	}
}

func TestErrors(t *testing.T) {
	h := newHarness(t, wumpus)
	s := h.Social(nil)

	h.Fake.SetFail(connectortest.FailAuthorize)
	_, err := h.SignIn(s)
	upstream(t, err, "access_denied")

	h.Fake.SetFail(connectortest.FailToken)
	_, err = h.SignIn(s)
	upstream(t, err, "invalid_grant")
	h.Fake.SetFail(connectortest.FailNone)

	cb := h.Authorize(s).Callback()
	cb.CodeVerifier = ""
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "invalid_grant")

	cb = h.Authorize(s).Callback()
	if _, err := s.UserInfo(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "invalid_grant")

	wrong, _ := json.Marshal(map[string]string{"clientId": connectortest.FakeDiscordClientID, "clientSecret": "wrong"})
	s2, _ := discord.Factory().NewSocial(wrong, connector.Env{HTTPClient: h.Client})
	_, err = h.SignIn(s2)
	upstream(t, err, "invalid_client")

	h.Fake.SetAccount(connectortest.FakeAccount{Name: "nobody"})
	if _, err := h.SignIn(s); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("profile without id: err = %v, want ErrInvalidResponse", err)
	}
	if _, err := s.UserInfo(context.Background(), connector.Callback{Params: url.Values{}}); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("callback without code: err = %v, want ErrInvalidResponse", err)
	}
}

func TestValidate(t *testing.T) {
	f := discord.Factory()
	for _, tc := range []struct{ config, field string }{
		{`{"clientSecret":"s"}`, "clientId"},
		{`{"clientId":"id","clientSecret":""}`, "clientSecret"},
		{`{"clientId":"id","clientSecret":"s","scope":["identify"]}`, "scope"},
		{`"x"`, ""},
	} {
		err := f.Validate(json.RawMessage(tc.config))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("Validate(%s) = %v, want a ConfigError for %q", tc.config, err, tc.field)
		}
	}
	if f.Metadata.ID != "discord-universal" || f.Metadata.Target != "discord" || !f.SingleInstance {
		t.Errorf("metadata = %+v", f.Metadata)
	}
	if masked := string(f.Mask(json.RawMessage(`{"clientId":"id","clientSecret":"very-secret-value-123"}`))); strings.Contains(masked, "very-secret") {
		t.Errorf("masked = %s", masked)
	}
}
