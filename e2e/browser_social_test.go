package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/server"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Social sign-in through the hosted pages in Chromium, against fake
// identity providers that answer on the providers' real host names (the
// browser reaches them by a host-resolver rule, the server by its upstream
// HTTP client): the person clicks "Continue with ...", the provider sends
// the browser back to /callback/<connector id>, and the application gets
// tokens for the user who holds that identity.

// socialSite is a browserSite whose server reaches the fake providers of up.
type socialSite struct {
	*browserSite
	m  *mgmt
	up *connectortest.Upstream
}

func newSocialSite(t *testing.T) *socialSite {
	t.Helper()
	up, err := connectortest.StartUpstream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	in, _ := startServerWith(t, sqltestSQLite(t), []server.Option{server.WithUpstreamClient(up.Client())})
	cb := newAppCallback(t)
	appID, secret := in.createApp(t, apps.Input{Name: "Restaurant dashboard", Type: store.Traditional, RedirectURIs: []string{cb.URL}})
	u := in.createUser(t, browserUser, "ada@example.com", browserPassword)
	verifier, challenge := pkce("social-")
	s := &socialSite{browserSite: &browserSite{instance: in, appID: appID, appSecret: secret, user: u, callback: cb, verifier: verifier,
		authURL: authURL(in.Issuer, appID, url.Values{"redirect_uri": {cb.URL}, "state": {"browser-state"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}})}, up: up}
	s.m = in.management(t)
	// A typical app: people sign up with an email address, no password.
	s.m.do("PATCH", "/api/sign-in-exp", map[string]any{"signUp": map[string]any{"identifiers": []string{"email"}, "password": false, "verify": true}}, 200, nil)
	return s
}

// land runs the click that leaves for the provider and waits until the
// browser is back at the application's callback (a provider may answer
// with a page that posts itself back, as Apple's form_post does), then
// returns the callback's query.
func (s *socialSite) land(t *testing.T, tab context.Context, click chromedp.Action[chromedp.Void]) url.Values {
	t.Helper()
	browserDo(t, tab, click)
	var loc string
	if !waitFor(10*time.Second, func() bool {
		loc = browserRun(t, tab, chromedp.Location())
		return strings.HasPrefix(loc, s.callback.URL+"?")
	}) {
		t.Fatalf("the browser stopped at %s: %q", loc, text(t, tab, "body"))
	}
	q := s.callback.wait(t, tab)
	if q.Get("code") == "" || q.Get("state") != "browser-state" {
		t.Fatalf("callback query = %v", q)
	}
	return q
}

// addConnector creates the connector of fake through the Management API,
// shows it on the sign-in page, and returns its id and target.
func (s *socialSite) addConnector(t *testing.T, fake connectortest.FakeProvider) (id, target string) {
	t.Helper()
	var c struct {
		ID     string `json:"id"`
		Target string `json:"target"`
	}
	s.m.do("POST", "/api/connectors", map[string]any{"connectorId": fake.FactoryID(), "config": json.RawMessage(fake.Config())}, 200, &c)
	if c.ID == "" || c.Target == "" {
		t.Fatalf("created connector has id %q and target %q", c.ID, c.Target)
	}
	s.m.do("PATCH", "/api/sign-in-exp", map[string]any{"socialSignInConnectorTargets": []string{c.Target}}, 200, nil)
	return c.ID, c.Target
}

// tab starts Chromium with the fake providers' host names mapped to the
// upstream server; its certificates are the test's own.
func (s *socialSite) tab(t *testing.T) context.Context {
	t.Helper()
	return newTabWith(t, chromedp.Flag("host-resolver-rules", s.up.HostResolverRules()), chromedp.Flag("ignore-certificate-errors", true))
}

// continueWith opens the sign-in page in tab and returns the click on the
// connector's button, for the caller to run and follow.
func (s *socialSite) continueWith(t *testing.T, tab context.Context, connectorID string) chromedp.Action[chromedp.Void] {
	t.Helper()
	button := chromedp.CSS(`a.provider[href$="/social/` + connectorID + `"]`)
	browserDo(t, tab, chromedp.Navigate(s.authURL), chromedp.WaitVisible(button))
	return chromedp.Click(button)
}

// identityOf returns the user's identity at target, failing when absent.
func identityOf(t *testing.T, u *store.User, target string) (userID string, details map[string]any) {
	t.Helper()
	var ids map[string]struct {
		UserID  string         `json:"userId"`
		Details map[string]any `json:"details"`
	}
	if err := json.Unmarshal(u.Identities, &ids); err != nil {
		t.Fatalf("identities of %s: %v (%s)", u.ID, err, u.Identities)
	}
	id, ok := ids[target]
	if !ok {
		t.Fatalf("user %s has no %s identity: %s", u.ID, target, u.Identities)
	}
	return id.UserID, id.Details
}

func (s *socialSite) userByID(t *testing.T, id string) *store.User {
	t.Helper()
	u, err := s.Store.GetUser(context.Background(), id)
	if err != nil {
		t.Fatalf("user %s: %v", id, err)
	}
	return u
}

type fakeConstructor func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider

var socialProviders = []struct {
	name string
	fake fakeConstructor
}{
	{"google", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeGoogle(u, a)
	}},
	{"microsoft", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeMicrosoft(u, a)
	}},
	{"apple", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeApple(u, a)
	}},
	{"linkedin", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeLinkedIn(u, a)
	}},
	{"facebook", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeFacebook(u, a)
	}},
	{"github", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeGitHub(u, a)
	}},
	{"discord", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeDiscord(u, a)
	}},
	{"wechat", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeWeChat(u, a)
	}},
	{"oauth2", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeOAuth2(u, a)
	}},
	{"oidc", func(u *connectortest.Upstream, a connectortest.FakeAccount) connectortest.FakeProvider {
		return connectortest.NewFakeOIDC(u, a)
	}},
}

// TestBrowserSocialSignIn signs a new person up through every social
// provider, and signs them in again by the same identity.
func TestBrowserSocialSignIn(t *testing.T) {
	for i, p := range socialProviders {
		t.Run(p.name, func(t *testing.T) {
			s := newSocialSite(t)
			// Providers that give no email (WeChat) sign up without one.
			s.m.do("PATCH", "/api/sign-in-exp", map[string]any{"socialSignIn": map[string]any{"skipRequiredIdentifiers": true}}, 200, nil)
			account := connectortest.FakeAccount{ID: "1000" + strconv.Itoa(i), Email: "grace." + p.name + "@example.com", EmailVerified: true,
				Name: "Grace " + p.name, Picture: "https://images.example/grace.png"}
			fake := p.fake(s.up, account)
			connectorID, target := s.addConnector(t, fake)
			tab := s.tab(t)
			q := s.land(t, tab, s.continueWith(t, tab, connectorID))
			sub := s.redeem(t, s.appID, s.appSecret, q.Get("code"))
			u := s.userByID(t, sub)
			if sub == s.user.ID {
				t.Fatalf("the social sign-in signed in the existing password user")
			}
			if got, _ := identityOf(t, u, target); got != account.ID {
				t.Fatalf("the new user's %s identity is %q, want %q", target, got, account.ID)
			}
			if u.PrimaryEmail != "" && u.PrimaryEmail != account.Email {
				t.Fatalf("the new user's email is %q", u.PrimaryEmail)
			}

			// Again, with prompt=login so the session does not short-cut it:
			// the same identity signs the same user in.
			s.authURL = s.authorize(url.Values{"prompt": {"login"}})
			q = s.land(t, tab, s.continueWith(t, tab, connectorID))
			if again := s.redeem(t, s.appID, s.appSecret, q.Get("code")); again != sub {
				t.Fatalf("the second sign-in with the same identity gave user %s, the first %s", again, sub)
			}
		})
	}
}

// failedSignIn runs a social sign-in that must stop on the server's page
// with status and a message containing want, without reaching the app.
func (s *socialSite) failedSignIn(t *testing.T, tab context.Context, connectorID string, status int64, want string) {
	t.Helper()
	resp := navigateBy(t, tab, s.continueWith(t, tab, connectorID))
	if !strings.HasPrefix(resp.URL, s.URL+"/callback/"+connectorID) || resp.Status != status {
		t.Fatalf("the browser shows %s (status %d), want the callback's error page with status %d", resp.URL, resp.Status, status)
	}
	if body := text(t, tab, "main, body"); !strings.Contains(body, want) {
		t.Fatalf("the page says %q, want %q", body, want)
	}
	s.noCallback(t, "a failed social sign-in")
}

// TestBrowserSocialSignInRefusals: the provider's answer is refused when
// its state is not this sign-in's, when it reports an error, when its
// token endpoint fails, and when its ID token's nonce or signature is
// wrong; nothing is created.
func TestBrowserSocialSignInRefusals(t *testing.T) {
	s := newSocialSite(t)
	fake := connectortest.NewFakeGoogle(s.up, connectortest.FakeAccount{ID: "g-1", Email: "lin@example.com", EmailVerified: true, Name: "Lin"})
	connectorID, _ := s.addConnector(t, fake)
	tab := s.tab(t)
	count := func() int {
		_, n, err := s.Store.ListUsers(context.Background(), "", store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	for _, c := range []struct {
		name   string
		fail   connectortest.FailMode
		status int64
		want   string
	}{
		{"state", connectortest.FailWrongState, 400, "does not belong to this sign-in"},
		{"denied", connectortest.FailAuthorize, 400, "cancelled"},
		{"token", connectortest.FailToken, 502, "could not complete"},
		{"nonce", connectortest.FailWrongNonce, 400, "could not be verified"},
		{"signature", connectortest.FailBadSignature, 400, "could not be verified"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake.SetFail(c.fail)
			s.failedSignIn(t, tab, connectorID, c.status, c.want)
		})
	}
	if after := count(); after != before {
		t.Fatalf("refused sign-ins created %d users", after-before)
	}
	// The provider behaves again: the same browser signs in.
	fake.SetFail(connectortest.FailNone)
	q := s.land(t, tab, s.continueWith(t, tab, connectorID))
	s.redeem(t, s.appID, s.appSecret, q.Get("code"))
}

// TestBrowserSocialLinking: a provider's verified email that belongs to an
// existing user links to that user once the person says so; an unverified
// one never does.
func TestBrowserSocialLinking(t *testing.T) {
	t.Run("verified email, confirmed", func(t *testing.T) {
		s := newSocialSite(t)
		fake := connectortest.NewFakeGitHub(s.up, connectortest.FakeAccount{ID: "4242", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
		connectorID, target := s.addConnector(t, fake)
		tab := s.tab(t)
		resp := navigateBy(t, tab, s.continueWith(t, tab, connectorID))
		s.expectPage(t, tab, resp, 200, "/sign-in/*/link", "")
		q := s.submitAndLand(t, tab, chromedp.Click(chromedp.CSS(`button[value="link"]`)))
		if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != s.user.ID {
			t.Fatalf("linking signed in user %s, want the existing %s", sub, s.user.ID)
		}
		if got, _ := identityOf(t, s.userByID(t, s.user.ID), target); got != "4242" {
			t.Fatalf("linked identity = %q", got)
		}
	})
	t.Run("verified email, automatic", func(t *testing.T) {
		s := newSocialSite(t)
		fake := connectortest.NewFakeGitHub(s.up, connectortest.FakeAccount{ID: "4343", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
		connectorID, _ := s.addConnector(t, fake)
		s.m.do("PATCH", "/api/sign-in-exp", map[string]any{"socialSignIn": map[string]any{"automaticAccountLinking": true}}, 200, nil)
		tab := s.tab(t)
		q := s.land(t, tab, s.continueWith(t, tab, connectorID))
		if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != s.user.ID {
			t.Fatalf("automatic linking signed in user %s, want the existing %s", sub, s.user.ID)
		}
	})
	t.Run("unverified email", func(t *testing.T) {
		s := newSocialSite(t)
		fake := connectortest.NewFakeGitHub(s.up, connectortest.FakeAccount{ID: "4444", Email: "ada@example.com", EmailVerified: false, Name: "Not Ada"})
		connectorID, target := s.addConnector(t, fake)
		s.m.do("PATCH", "/api/sign-in-exp", map[string]any{"socialSignIn": map[string]any{"automaticAccountLinking": true}}, 200, nil)
		tab := s.tab(t)
		resp := navigateBy(t, tab, s.continueWith(t, tab, connectorID))
		if strings.Contains(resp.URL, "/link") {
			t.Fatalf("an unverified email was offered for linking")
		}
		if strings.HasPrefix(resp.URL, s.callback.URL) {
			q := s.callback.wait(t, tab)
			if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub == s.user.ID {
				t.Fatalf("an unverified email signed in the existing user")
			}
		}
		if ids := s.userByID(t, s.user.ID).Identities; strings.Contains(string(ids), target) {
			t.Fatalf("the existing user got the identity of an unverified email: %s", ids)
		}
	})
}
