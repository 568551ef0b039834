package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Enterprise SSO through the hosted pages in Chromium: the person types a
// work email on the sign-in page, the email's domain routes them to their
// organisation's identity provider (a fake OpenID provider or SAML IdP on
// the upstream server), and they come back signed in; a SAML response that
// is badly signed, for another audience, expired or unsigned is refused.

// addSSO creates an SSO connector for fake routing domain, and turns SSO on.
func (s *socialSite) addSSO(t *testing.T, fake connectortest.FakeProvider, domain string) string {
	t.Helper()
	var c struct {
		ID string `json:"id"`
	}
	s.m.do("POST", "/api/sso-connectors", map[string]any{"providerName": fake.FactoryID(), "connectorName": "Acme " + fake.FactoryID(),
		"config": json.RawMessage(fake.Config()), "domains": []string{domain}}, 200, &c)
	s.m.do("PATCH", "/api/sign-in-exp", map[string]any{"singleSignOnEnabled": true}, 200, nil)
	return c.ID
}

// typeWorkEmail opens the sign-in page, submits email on the password form
// (no password: the domain decides), and returns the click on "Continue
// with ..." that leaves for the identity provider.
func (s *socialSite) typeWorkEmail(t *testing.T, tab context.Context, email string) chromedp.Action[chromedp.Void] {
	t.Helper()
	browserDo(t, tab, chromedp.Navigate(s.authURL), chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), email), chromedp.SendKeys(chromedp.ID("password"), "not-used"),
		chromedp.Click(submitButton("sign-in-form")), chromedp.WaitVisible(chromedp.CSS("a.button")))
	if href := browserRun(t, tab, chromedp.AttributeValue(chromedp.CSS("a.button"), "href")).Value; !strings.Contains(href, "/sso/") {
		t.Fatalf("the SSO page links to %q", href)
	}
	return chromedp.Click(chromedp.CSS("a.button"))
}

func TestBrowserEnterpriseSSO(t *testing.T) {
	for _, kind := range []string{"OIDC", "SAML"} {
		t.Run(kind, func(t *testing.T) {
			s := newSocialSite(t)
			acct := connectortest.FakeAccount{ID: "emp-0042", Email: "grace@acme.example", EmailVerified: true, Name: "Grace Hopper"}
			var fake connectortest.FakeProvider
			if kind == "OIDC" {
				fake = connectortest.NewFakeEnterpriseOIDC(s.up, "login.acme.example", acct)
			} else {
				fake = connectortest.NewFakeSAMLIdP(s.up, "idp.acme.example", acct)
			}
			connectorID := s.addSSO(t, fake, "acme.example")
			tab := s.tab(t)
			q := s.land(t, tab, s.typeWorkEmail(t, tab, acct.Email))
			sub := s.redeem(t, s.appID, s.appSecret, q.Get("code"))
			u := s.userByID(t, sub)
			if u.PrimaryEmail != acct.Email || u.ID == s.user.ID {
				t.Fatalf("SSO signed in %s with email %q", u.ID, u.PrimaryEmail)
			}
			ids, err := s.Store.ListUserSSOIdentities(context.Background(), sub)
			if err != nil || len(ids) != 1 || ids[0].IdentityID != acct.ID || ids[0].SSOConnectorID != connectorID {
				t.Fatalf("SSO identities of %s: %+v, %v", sub, ids, err)
			}
			var all struct {
				SSO []struct {
					Identity struct {
						IdentityID string `json:"identityId"`
					} `json:"ssoIdentity"`
				} `json:"ssoIdentities"`
			}
			s.m.do("GET", "/api/users/"+sub+"/all-identities", nil, 200, &all)
			if len(all.SSO) != 1 || all.SSO[0].Identity.IdentityID != acct.ID {
				t.Fatalf("all-identities = %+v", all)
			}

			// Again: the same SSO identity signs the same user in.
			s.authURL = s.authorize(map[string][]string{"prompt": {"login"}})
			q = s.land(t, tab, s.typeWorkEmail(t, tab, acct.Email))
			if again := s.redeem(t, s.appID, s.appSecret, q.Get("code")); again != sub {
				t.Fatalf("second SSO sign-in gave %s, first %s", again, sub)
			}
		})
	}
}

// TestBrowserEnterpriseSSOLinksExistingUser: an existing account with the
// organisation's email is the one the IdP's assertion signs in.
func TestBrowserEnterpriseSSOLinksExistingUser(t *testing.T) {
	s := newSocialSite(t)
	existing := s.createUser(t, "grace", "grace@acme.example", browserPassword)
	fake := connectortest.NewFakeSAMLIdP(s.up, "idp.acme.example", connectortest.FakeAccount{ID: "emp-7", Email: "grace@acme.example", EmailVerified: true, Name: "Grace"})
	s.addSSO(t, fake, "acme.example")
	tab := s.tab(t)
	q := s.land(t, tab, s.typeWorkEmail(t, tab, "grace@acme.example"))
	if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != existing.ID {
		t.Fatalf("SSO signed in %s, want the existing %s", sub, existing.ID)
	}
}

// TestBrowserSAMLRefusals: responses that must not sign anyone in.
func TestBrowserSAMLRefusals(t *testing.T) {
	s := newSocialSite(t)
	fake := connectortest.NewFakeSAMLIdP(s.up, "idp.acme.example", connectortest.FakeAccount{ID: "emp-9", Email: "eve@acme.example", EmailVerified: true, Name: "Eve"})
	connectorID := s.addSSO(t, fake, "acme.example")
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
		name string
		fail connectortest.FailMode
	}{
		{"bad signature", connectortest.FailBadSignature},
		{"wrong audience", connectortest.FailSAMLWrongAudience},
		{"expired", connectortest.FailSAMLExpired},
		{"unsigned", connectortest.FailSAMLUnsigned},
		{"other request", connectortest.FailSAMLWrongRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake.SetFail(c.fail)
			browserDo(t, tab, s.typeWorkEmail(t, tab, "eve@acme.example"))
			var loc string
			if !waitFor(10e9, func() bool {
				loc = browserRun(t, tab, chromedp.Location())
				return strings.HasPrefix(loc, s.URL+"/callback/"+connectorID)
			}) {
				t.Fatalf("the browser stopped at %s", loc)
			}
			browserDo(t, tab, chromedp.WaitVisible(chromedp.CSS("h1")))
			if body := text(t, tab, "body"); !strings.Contains(body, "could not be verified") {
				t.Fatalf("the page says %q", body)
			}
			s.noCallback(t, "a refused SAML response")
		})
	}
	if n := count(); n != before {
		t.Fatalf("refused SAML responses created %d users", n-before)
	}
}

// TestBrowserEnterpriseSSORefusesForeignEmail: an IdP that asserts an
// email outside its connector's domains signs no one in, least of all
// the existing account with that email.
func TestBrowserEnterpriseSSORefusesForeignEmail(t *testing.T) {
	s := newSocialSite(t)
	victim := s.createUser(t, "victim", "victim@other.example", browserPassword)
	fake := connectortest.NewFakeSAMLIdP(s.up, "idp.acme.example", connectortest.FakeAccount{ID: "emp-666", Email: "victim@other.example", EmailVerified: true, Name: "Mallory"})
	connectorID := s.addSSO(t, fake, "acme.example")
	tab := s.tab(t)
	browserDo(t, tab, s.typeWorkEmail(t, tab, "mallory@acme.example"))
	var loc string
	if !waitFor(10e9, func() bool {
		loc = browserRun(t, tab, chromedp.Location())
		return strings.HasPrefix(loc, s.URL+"/callback/"+connectorID)
	}) {
		t.Fatalf("the browser stopped at %s", loc)
	}
	browserDo(t, tab, chromedp.WaitVisible(chromedp.CSS("h1")))
	if body := text(t, tab, "body"); !strings.Contains(body, "did not confirm an email address in the organization's domains") {
		t.Fatalf("the page says %q", body)
	}
	s.noCallback(t, "an SSO assertion of a foreign email")
	if ids, err := s.Store.ListUserSSOIdentities(context.Background(), victim.ID); err != nil || len(ids) != 0 {
		t.Fatalf("the victim got SSO identities %+v (%v)", ids, err)
	}
}

// TestBrowserSSODomainCannotRegister: an address of an SSO domain is sent
// to its organisation's IdP from the registration form too, never
// registered with a password here.
func TestBrowserSSODomainCannotRegister(t *testing.T) {
	s := newSocialSite(t)
	fake := connectortest.NewFakeEnterpriseOIDC(s.up, "login.acme.example", connectortest.FakeAccount{ID: "emp-1", Email: "ann@acme.example", EmailVerified: true, Name: "Ann"})
	s.addSSO(t, fake, "acme.example")
	s.m.do("PATCH", "/api/sign-in-exp", map[string]any{"signUp": map[string]any{"identifiers": []string{"email"}, "password": true, "verify": false}}, 200, nil)
	tab := s.tab(t)
	browserDo(t, tab, chromedp.Navigate(s.authorize(map[string][]string{"first_screen": {"register"}})), chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), "ann@acme.example"), chromedp.SendKeys(chromedp.ID("password"), "Correct-Horse-Battery-9"),
		chromedp.Click(submitButton("register-form")), chromedp.WaitVisible(chromedp.CSS("a.button")))
	if _, err := s.Store.FindUserByIdentifier(context.Background(), store.ByEmail, "ann@acme.example"); err == nil {
		t.Fatal("an SSO-domain address was registered with a password")
	}
	q := s.land(t, tab, chromedp.Click(chromedp.CSS("a.button")))
	sub := s.redeem(t, s.appID, s.appSecret, q.Get("code"))
	if u := s.userByID(t, sub); u.PrimaryEmail != "ann@acme.example" || u.PasswordDigest != "" {
		t.Fatalf("SSO registration gave %+v", u)
	}
}
