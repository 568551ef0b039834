package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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

type rig struct {
	up     *connectortest.Upstream
	client *http.Client // one client, so that connections are reused
	fake   *connectortest.FakeDiscord
}

func start(t *testing.T, acct connectortest.FakeAccount) rig {
	t.Helper()
	up, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	return rig{up: up, client: up.Client(), fake: connectortest.NewFakeDiscord(up, acct)}
}

func (r rig) social(t *testing.T, config json.RawMessage) connector.Social {
	t.Helper()
	f := discord.Factory()
	if err := f.Validate(config); err != nil {
		t.Fatalf("Validate(%s): %v", config, err)
	}
	s, err := f.NewSocial(config, connector.Env{HTTPClient: r.client})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (r rig) authorize(t *testing.T, s connector.Social) connector.Callback {
	t.Helper()
	u, err := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "st-2", CodeVerifier: verifier, RedirectURI: redirectURI})
	if err != nil {
		t.Fatal(err)
	}
	target, params, err := connectortest.FollowAuthorization(r.client, u)
	if err != nil {
		t.Fatal(err)
	}
	if target != redirectURI {
		t.Fatalf("Discord sent the browser to %s, want %s", target, redirectURI)
	}
	return connector.Callback{Params: params, RedirectURI: redirectURI, CodeVerifier: verifier}
}

func upstream(t *testing.T, err error, code string) {
	t.Helper()
	var ue *connector.UpstreamError
	if !errors.As(err, &ue) || ue.Code != code {
		t.Fatalf("err = %v, want upstream error %s", err, code)
	}
}

func TestSignIn(t *testing.T) {
	r := start(t, wumpus)
	r.fake.RegisterRedirectURI(redirectURI)
	s := r.social(t, r.fake.Config())
	cb := r.authorize(t, s)
	q := r.fake.LastAuthorization()
	if q.Get("response_type") != "code" || q.Get("scope") != discord.DefaultScope || q.Get("code_challenge_method") != "S256" {
		t.Errorf("authorization request = %v", q)
	}
	u, err := s.UserInfo(context.Background(), cb)
	if err != nil {
		t.Fatal(err)
	}
	want := discord.AvatarURLPrefix + wumpus.ID + "/" + r.fake.AvatarHash(wumpus) + ".png"
	if u.ID != wumpus.ID || u.Email != wumpus.Email || u.Name != "Wumpus" || u.Avatar != want {
		t.Errorf("user = %+v, want avatar %s", u, want)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["username"] != "wumpus" {
		t.Errorf("rawData = %s", u.RawData)
	}
	if tr := r.fake.LastTokenRequest(); tr.Get("code_verifier") != verifier || tr.Get("redirect_uri") != redirectURI {
		t.Errorf("token request = %v", tr)
	}
}

func TestUnverifiedEmailIsLeftOut(t *testing.T) {
	acct := wumpus
	acct.EmailVerified = false
	acct.Name, acct.Picture = "", ""
	r := start(t, acct)
	s := r.social(t, r.fake.Config())
	u, err := s.UserInfo(context.Background(), r.authorize(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "" || u.Avatar != "" || u.Name != "user"+acct.ID {
		t.Errorf("user = %+v, want no email, no avatar, the username as name", u)
	}
}

func TestUnregisteredRedirectURI(t *testing.T) {
	r := start(t, wumpus)
	r.fake.RegisterRedirectURI("https://elsewhere.example/callback")
	s := r.social(t, r.fake.Config())
	u, _ := s.AuthorizationURL(context.Background(), connector.AuthRequest{State: "s", RedirectURI: redirectURI})
	_, _, err := connectortest.FollowAuthorization(r.client, u)
	var ae *connectortest.AuthorizationError
	if !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("err = %v, want Discord's error page", err)
	}
}

func TestErrors(t *testing.T) {
	r := start(t, wumpus)
	s := r.social(t, r.fake.Config())

	r.fake.SetFail(connectortest.FailAuthorize)
	_, err := s.UserInfo(context.Background(), r.authorize(t, s))
	upstream(t, err, "access_denied")

	r.fake.SetFail(connectortest.FailToken)
	_, err = s.UserInfo(context.Background(), r.authorize(t, s))
	upstream(t, err, "invalid_grant")
	r.fake.SetFail(connectortest.FailNone)

	cb := r.authorize(t, s)
	cb.CodeVerifier = ""
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "invalid_grant")

	cb = r.authorize(t, s)
	if _, err := s.UserInfo(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
	_, err = s.UserInfo(context.Background(), cb)
	upstream(t, err, "invalid_grant")

	wrong, _ := json.Marshal(map[string]string{"clientId": connectortest.FakeDiscordClientID, "clientSecret": "wrong"})
	s2, _ := discord.Factory().NewSocial(wrong, connector.Env{HTTPClient: r.client})
	_, err = s2.UserInfo(context.Background(), r.authorize(t, s2))
	upstream(t, err, "invalid_client")

	r.fake.SetAccount(connectortest.FakeAccount{Name: "nobody"})
	if _, err := s.UserInfo(context.Background(), r.authorize(t, s)); !errors.Is(err, connector.ErrInvalidResponse) {
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
