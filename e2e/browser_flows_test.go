package e2e

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// The flows of the hosted pages that go beyond a password sign-in, driven
// in Chromium as a person would: sign-up with an emailed code (through an
// HTTP email service and through a real SMTP server), forgot password,
// passwordless sign-in, third-party consent, sign-out confirmation, the
// translated pages, and the terms checkbox.

// browserFlowSite is a browserSite whose sign-in experience can send codes:
// an email connector delivers them to mb (an HTTP email service), and the
// settings are set through the Management API.
type browserFlowSite struct {
	*browserSite
	m  *mgmt
	mb *mailbox
}

// newBrowserFlowSite sets up a browserSite with Logto's HTTP email connector
// pointed at an in-test mailbox, then PATCHes settings (when not nil) into
// the sign-in experience.
func newBrowserFlowSite(t *testing.T, settings map[string]any) *browserFlowSite {
	t.Helper()
	s := &browserFlowSite{browserSite: newBrowserSite(t)}
	s.m = s.management(t)
	s.mb = newMailbox(t)
	s.m.do("POST", "/api/connectors", map[string]any{"connectorId": "http-email", "config": map[string]any{"endpoint": s.mb.URL}}, 200, nil)
	if settings != nil {
		s.m.do("PATCH", "/api/sign-in-exp", settings, 200, nil)
	}
	return s
}

// emailSignUpSettings: sign in with email and password, sign up with email
// and password, the email verified with a code.
var emailSignUpSettings = map[string]any{
	"signIn": map[string]any{"methods": []map[string]any{{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
	"signUp": map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true},
}

// authorize returns the site's authorization URL (same client, redirect
// URI, state and PKCE challenge) with extra parameters set or replaced.
func (s *browserSite) authorize(extra url.Values) string {
	u, err := url.Parse(s.authURL)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	for k, v := range extra {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// navigateBy runs actions that make the tab load a page (a navigation, a
// click on a link or on a submit button) and returns the response of the
// page that ends up shown, after redirects.
func navigateBy(t *testing.T, tab context.Context, actions ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(tab, actions...)
	if err != nil {
		t.Fatalf("browser: loading a page: %v", err)
	}
	return resp
}

// expectPage checks that resp is a page of the server with the given
// status whose path matches pattern (path.Match: "/sign-in/*/code" stands
// for the code page of any interaction), and, when form is not "", waits
// until the element with that id is visible.
func (s *browserSite) expectPage(t *testing.T, tab context.Context, resp *network.Response, status int, pattern, form string) {
	t.Helper()
	u, err := url.Parse(resp.URL)
	if err != nil {
		t.Fatalf("page URL %q: %v", resp.URL, err)
	}
	if ok, _ := path.Match(pattern, u.Path); !ok || resp.Status != int64(status) || !strings.HasPrefix(resp.URL, s.URL+"/") {
		t.Fatalf("the browser shows %s (status %d), want the page %s with status %d", resp.URL, resp.Status, pattern, status)
	}
	if form != "" {
		browserDo(t, tab, chromedp.WaitVisible(chromedp.ID(form)))
	}
}

// text returns the rendered text of the first element matching css.
func text(t *testing.T, tab context.Context, css string) string {
	t.Helper()
	return strings.TrimSpace(browserRun(t, tab, chromedp.Text(chromedp.CSS(css))))
}

// wantHeading fails unless the page's <h1> reads want.
func wantHeading(t *testing.T, tab context.Context, want string) {
	t.Helper()
	if h := text(t, tab, "h1"); h != want {
		t.Fatalf("the page's heading is %q, want %q (page %s)", h, want, browserRun(t, tab, chromedp.Location()))
	}
}

// wantAlert fails unless the page shows an alert containing want.
func wantAlert(t *testing.T, tab context.Context, want string) {
	t.Helper()
	browserDo(t, tab, chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)))
	if a := text(t, tab, `[role="alert"]`); !strings.Contains(a, want) {
		t.Fatalf("the alert says %q, want it to say %q", a, want)
	}
}

// noCallback fails when the application's callback was reached.
func (s *browserSite) noCallback(t *testing.T, when string) {
	t.Helper()
	select {
	case q := <-s.callback.received:
		t.Fatalf("%s reached the application's callback with %v", when, q)
	default:
	}
}

// submitButton is the submit button of the form with the given id.
func submitButton(form string) chromedp.CSS {
	return chromedp.CSS(`#` + form + ` button[type="submit"]`)
}

// landWithError runs actions that end the interaction with an error and
// checks that the browser lands on the application's callback with it.
func (s *browserSite) landWithError(t *testing.T, tab context.Context, wantErr string, actions ...chromedp.Action[chromedp.Void]) url.Values {
	t.Helper()
	resp := navigateBy(t, tab, actions...)
	if !strings.HasPrefix(resp.URL, s.callback.URL+"?") || resp.Status != 200 {
		t.Fatalf("the browser shows %s (status %d), not the application's callback", resp.URL, resp.Status)
	}
	q := s.callback.wait(t, tab)
	if q.Get("error") != wantErr || q.Get("code") != "" || q.Get("state") != "browser-state" {
		t.Fatalf("callback query = %v, want error=%s and state=browser-state without a code", q, wantErr)
	}
	return q
}

// redeem exchanges an authorization code of the client at the token
// endpoint, verifies the ID token, and returns its subject.
func (s *browserSite) redeem(t *testing.T, clientID, secret, code string) string {
	t.Helper()
	res := tokenRequest(t, s.Issuer, clientID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {s.callback.URL}, "code_verifier": {s.verifier}})
	if res.status != 200 || res.AccessToken == "" || res.IDToken == "" {
		t.Fatalf("code exchange: %d %s", res.status, res.raw)
	}
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, s.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idToken, err := provider.Verifier(&gooidc.Config{ClientID: clientID}).Verify(ctx, res.IDToken)
	if err != nil {
		t.Fatalf("id token: %v", err)
	}
	return idToken.Subject
}

// userByEmail returns the account with the email, failing when there is none.
func (s *browserSite) userByEmail(t *testing.T, email string) *store.User {
	t.Helper()
	u, err := s.Store.FindUserByIdentifier(context.Background(), store.ByEmail, email)
	if err != nil {
		t.Fatalf("no account with the email %s: %v", email, err)
	}
	return u
}

// wantPassword fails unless pw is u's password.
func wantPassword(t *testing.T, u *store.User, pw string) {
	t.Helper()
	if ok, err := password.Verify(pw, u.PasswordDigest, u.PasswordAlgorithm); err != nil || !ok {
		t.Fatalf("the password of %s is not the one typed (%v)", u.ID, err)
	}
}

// signUpWithEmailCode fills and submits the registration form and returns
// when the code page is shown for email.
func (s *browserSite) signUpWithEmailCode(t *testing.T, tab context.Context, email, pw string) {
	t.Helper()
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.authorize(url.Values{"interaction_mode": {"signUp"}}))), 200, "/sign-in/*", "register-form")
	wantHeading(t, tab, "Create your account")
	if id := activeElement(t, tab); id != "identifier" {
		t.Fatalf("focus starts on #%s on the registration page, want the email field", id)
	}
	if typ := browserRun(t, tab, chromedp.Evaluate[string](`document.getElementById('identifier').type`)); typ != "email" {
		t.Errorf("the registration page's identifier field has type %q, want email", typ)
	}
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("identifier"), email), chromedp.SendKeys(chromedp.ID("password"), pw))
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("register-form"))), 200, "/sign-in/*/code", "code-form")
	wantHeading(t, tab, "Enter the verification code")
	if sub := text(t, tab, ".subtitle"); !strings.Contains(sub, email) {
		t.Fatalf("the code page says %q, want it to name %s", sub, email)
	}
	if id := activeElement(t, tab); id != "code" {
		t.Fatalf("focus starts on #%s on the code page, want the code field", id)
	}
	s.noCallback(t, "registering before the code was entered")
}

func TestBrowserSignUpWithEmailCode(t *testing.T) {
	s := newBrowserFlowSite(t, emailSignUpSettings)
	tab := newTab(t)
	const email, pw = "grace@example.com", "Compiler-Pioneer-1952!"
	s.signUpWithEmailCode(t, tab, email, pw)
	code := s.mb.last(t, email, "Register")

	// A wrong code is refused on the page, which stays usable.
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("code"), wrongCode(code)))
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("code-form"))), 400, "/sign-in/*/code", "code-form")
	wantAlert(t, tab, "The code is incorrect.")
	if _, err := s.Store.FindUserByIdentifier(context.Background(), store.ByEmail, email); err == nil {
		t.Fatal("the account was created before the right code was entered")
	}

	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("code"), code))
	q := s.submitAndLand(t, tab, chromedp.Click(submitButton("code-form")))
	u := s.userByEmail(t, email)
	if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != u.ID {
		t.Fatalf("the ID token's subject is %q, want the new account %q", sub, u.ID)
	}
	wantPassword(t, u, pw)
}

// TestBrowserSignUpWithSMTP is the same sign-up with Logto's SMTP connector
// sending the code through a real SMTP server on loopback (STARTTLS on a
// certificate made for the test, AUTH PLAIN); the test reads the code from
// the message the server received.
func TestBrowserSignUpWithSMTP(t *testing.T) {
	s := &browserFlowSite{browserSite: newBrowserSite(t)}
	s.m = s.management(t)
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: smtpPassword})
	s.m.do("POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": smtpConnectorConfig(srv, smtpPassword)}, 200, nil)
	s.m.do("PATCH", "/api/sign-in-exp", emailSignUpSettings, 200, nil)
	tab := newTab(t)
	const email, pw = "hopper@example.com", "Mark-II-Moth-1947!"
	s.signUpWithEmailCode(t, tab, email, pw)

	// The code page is shown once the message was handed over; allow for a
	// slow delivery all the same.
	waitFor(5*time.Second, func() bool { return len(srv.Mails()) > 0 })
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("the SMTP server received %d messages, want 1", len(mails))
	}
	m := mails[0]
	if !slices.Equal(m.To, []string{email}) || m.From != "no-reply@example.com" || !m.TLS || m.AuthUser != "mailer" {
		t.Fatalf("message from %q to %v (TLS %v, authenticated as %q), want from no-reply@example.com to %s over TLS as mailer",
			m.From, m.To, m.TLS, m.AuthUser, email)
	}
	if subj := m.Header("Subject"); subj != "Register code" {
		t.Errorf("subject = %q, want the Register template's", subj)
	}
	code := m.Code()
	if code == "" || !strings.Contains(m.Body(), "Your code is "+code+".") {
		t.Fatalf("no code in the message body %q", m.Body())
	}

	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("code"), code))
	q := s.submitAndLand(t, tab, chromedp.Click(submitButton("code-form")))
	u := s.userByEmail(t, email)
	if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != u.ID {
		t.Fatalf("the ID token's subject is %q, want the new account %q", sub, u.ID)
	}
	wantPassword(t, u, pw)
}

func TestBrowserForgotPassword(t *testing.T) {
	s := newBrowserFlowSite(t, map[string]any{"forgotPasswordMethods": []string{"EmailVerificationCode"}})
	tab := newTab(t)
	const newPassword = "Difference-Engine-1822!"
	s.openSignIn(t, tab)
	link := chromedp.CSS(`#sign-in-form a[href$="/forgot-password"]`)
	if l := browserRun(t, tab, chromedp.Text(link)); l != "Forgot your password?" {
		t.Fatalf("the forgot-password link reads %q", l)
	}
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(link)), 200, "/sign-in/*/forgot-password", "identify-form")
	wantHeading(t, tab, "Reset your password")
	if id := activeElement(t, tab); id != "identifier" {
		t.Fatalf("focus starts on #%s, want the email field", id)
	}
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("identifier"), s.user.PrimaryEmail))
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("identify-form"))), 200, "/sign-in/*/code", "code-form")
	if l := text(t, tab, `label[for="password"]`); l != "New password" {
		t.Fatalf("the code page's password field is labelled %q, want New password", l)
	}
	code := s.mb.last(t, s.user.PrimaryEmail, "ForgotPassword")
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("code"), code), chromedp.SendKeys(chromedp.ID("password"), newPassword))
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("code-form"))), 200, "/sign-in/*/code", "")
	wantHeading(t, tab, "Password changed")
	if p := text(t, tab, "main"); !strings.Contains(p, "Your password was changed.") {
		t.Fatalf("the page says %q", p)
	}
	u, err := s.Store.GetUser(context.Background(), s.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantPassword(t, u, newPassword)

	// Back to sign in, with the new password.
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(chromedp.CSS(`main a`))), 200, "/sign-in/*", "sign-in-form")
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.ID("identifier"), browserUser),
		chromedp.SendKeys(chromedp.ID("password"), newPassword))
	q := s.submitAndLand(t, tab, chromedp.Click(submitButton("sign-in-form")))
	if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != s.user.ID {
		t.Fatalf("the ID token's subject is %q, want %q", sub, s.user.ID)
	}
}

func TestBrowserPasswordlessSignIn(t *testing.T) {
	s := newBrowserFlowSite(t, map[string]any{
		"signIn": map[string]any{"methods": []map[string]any{
			{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": false},
			{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
	})
	tab := newTab(t)
	s.openSignIn(t, tab)
	link := chromedp.CSS(`a[href$="/passwordless"]`)
	if l := browserRun(t, tab, chromedp.Text(link)); l != "Sign in with a verification code" {
		t.Fatalf("the passwordless link reads %q", l)
	}
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(link)), 200, "/sign-in/*/passwordless", "identify-form")
	wantHeading(t, tab, "Sign in with a code")
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("identifier"), s.user.PrimaryEmail))
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("identify-form"))), 200, "/sign-in/*/code", "code-form")
	if n := browserRun(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('#code-form input[type="password"]').length`)); n != 0 {
		t.Fatalf("the passwordless code page asks for a password (%d fields)", n)
	}
	code := s.mb.last(t, s.user.PrimaryEmail, "SignIn")
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("code"), code))
	q := s.submitAndLand(t, tab, chromedp.KeyEvent(kb.Enter))
	if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != s.user.ID {
		t.Fatalf("the ID token's subject is %q, want %q", sub, s.user.ID)
	}
}

func TestBrowserThirdPartyConsent(t *testing.T) {
	s := newBrowserSite(t)
	partnerID, partnerSecret := s.createApp(t, apps.Input{Name: "Partner Analytics", Type: store.Traditional,
		RedirectURIs: []string{s.callback.URL}, IsThirdParty: true})
	partner := url.Values{"client_id": {partnerID}, "scope": {"openid profile email"}}
	tab := newTab(t)
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.authorize(partner))), 200, "/sign-in/*", "sign-in-form")
	if sub := text(t, tab, ".subtitle"); sub != "to continue to Partner Analytics" {
		t.Errorf("the sign-in page's subtitle is %q", sub)
	}
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.ID("identifier"), browserUser),
		chromedp.SendKeys(chromedp.ID("password"), browserPassword))
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("sign-in-form"))), 200, "/sign-in/*", "consent-form")
	s.noCallback(t, "signing in to a third-party application before consent")
	checkConsentPage := func() {
		t.Helper()
		wantHeading(t, tab, "Partner Analytics wants to access your account")
		if lead := text(t, tab, ".subtitle"); lead != "Signed in as Test ada. If you allow, Partner Analytics may:" {
			t.Errorf("the consent page's lead is %q", lead)
		}
		scopes := browserRun(t, tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.scopes li'), li => li.textContent.trim())`))
		want := []string{"Know who you are", "See your name, username and picture", "See your email address"}
		if !slices.Equal(scopes, want) {
			t.Errorf("the consent page lists %q, want %q", scopes, want)
		}
		buttons := browserRun(t, tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#consent-form button'), b => b.value + '=' + b.textContent.trim())`))
		if !slices.Equal(buttons, []string{"allow=Allow", "deny=Cancel"}) {
			t.Errorf("the consent form's buttons are %q", buttons)
		}
	}
	checkConsentPage()
	q := s.submitAndLand(t, tab, chromedp.Click(chromedp.CSS(`#consent-form button[value="allow"]`)))
	if sub := s.redeem(t, partnerID, partnerSecret, q.Get("code")); sub != s.user.ID {
		t.Fatalf("the ID token's subject is %q, want %q", sub, s.user.ID)
	}

	// Asked again (prompt=consent, still signed in): Cancel sends the
	// browser back with access_denied.
	partner.Set("prompt", "consent")
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.authorize(partner))), 200, "/sign-in/*", "consent-form")
	checkConsentPage()
	s.landWithError(t, tab, "access_denied", chromedp.Click(chromedp.CSS(`#consent-form button[value="deny"]`)))
}

func TestBrowserSignOutConfirmation(t *testing.T) {
	s := newBrowserSite(t)
	tab := newTab(t)
	s.openSignIn(t, tab)
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.ID("identifier"), browserUser),
		chromedp.SendKeys(chromedp.ID("password"), browserPassword))
	s.submitAndLand(t, tab, chromedp.Click(submitButton("sign-in-form")))

	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.Issuer+"/session/end")), 200, "/oidc/session/end", "sign-out-form")
	wantHeading(t, tab, "Sign out")
	if p := text(t, tab, "main p"); p != "Do you want to sign out?" {
		t.Fatalf("the confirmation page says %q", p)
	}
	if b := text(t, tab, string(submitButton("sign-out-form"))); b != "Sign out" {
		t.Fatalf("the sign-out button reads %q", b)
	}
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("sign-out-form"))), 200, "/oidc/session/end/confirm", "")
	if p := text(t, tab, "main"); !strings.Contains(p, "You have been signed out.") {
		t.Fatalf("after signing out the page says %q", p)
	}
	// The session is gone: an authorization without a prompt cannot sign in silently.
	s.landWithError(t, tab, "login_required", chromedp.Navigate(s.authorize(url.Values{"prompt": {"none"}})))
}

func TestBrowserSignInLanguages(t *testing.T) {
	s := newBrowserSite(t)
	tab := newTab(t)
	cases := []struct{ locale, lang, title, button, label string }{
		{"en", "en", "Sign in", "Sign in", "Username or email"},
		{"zh-CN", "zh-CN", "登录", "登录", "用户名或邮箱"},
		{"es", "es", "Iniciar sesión", "Iniciar sesión", "Nombre de usuario o correo electrónico"},
		{"fr", "fr", "Se connecter", "Se connecter", "Nom d'utilisateur ou adresse e-mail"},
		{"de", "de", "Anmelden", "Anmelden", "Benutzername oder E-Mail-Adresse"},
		{"ja", "ja", "サインイン", "サインイン", "ユーザー名またはメールアドレス"},
	}
	for _, c := range cases {
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.authorize(url.Values{"ui_locales": {c.locale}}))), 200, "/sign-in/*", "sign-in-form")
		lang := browserRun(t, tab, chromedp.Evaluate[string](`document.documentElement.lang`))
		h1, button, label := text(t, tab, "h1"), text(t, tab, string(submitButton("sign-in-form"))), text(t, tab, `label[for="identifier"]`)
		title := browserRun(t, tab, chromedp.Title())
		if lang != c.lang || h1 != c.title || button != c.button || label != c.label || title != c.title {
			t.Errorf("ui_locales=%s: <html lang=%q>, <title> %q, <h1> %q, button %q, label %q; want lang %q, title and heading %q, button %q, label %q",
				c.locale, lang, title, h1, button, label, c.lang, c.title, c.button, c.label)
		}
		if !browserRun(t, tab, chromedp.Evaluate[bool](glyphsDiffer)) {
			// scripts/ensure-chromium.sh installs a CJK font with Chromium.
			t.Errorf("ui_locales=%s: the characters of %q are all drawn as the same box: no font draws them (run scripts/ensure-chromium.sh)", c.locale, h1)
		}
		shot := browserRun(t, tab, chromedp.FullScreenshot(100))
		saveScreenshot(t, "sign-in-"+c.locale+".png", shot)
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("ui_locales=%s: the screenshot is not a PNG: %v", c.locale, err)
		}
		_, differ, _ := pixelStats(img, [3]uint8{}, 0)
		if total := img.Bounds().Dx() * img.Bounds().Dy(); differ*50 < total {
			t.Errorf("ui_locales=%s: the sign-in page looks blank: only %d of %d pixels differ from the background", c.locale, differ, total)
		}
	}
}

func TestBrowserRegistrationTerms(t *testing.T) {
	s := newBrowserFlowSite(t, map[string]any{
		"termsOfUseUrl":      "https://example.com/terms",
		"agreeToTermsPolicy": "Manual",
		"signUp":             map[string]any{"identifiers": []string{"username"}, "password": true, "verify": false},
	})
	const username, pw = "lovelace", "Bernoulli-Numbers-1843!"
	tab := newTab(t)
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.authorize(url.Values{"interaction_mode": {"signUp"}}))), 200, "/sign-in/*", "register-form")
	if l := text(t, tab, `label[for="agree"]`); l != "I agree to the Terms of use." {
		t.Fatalf("the terms checkbox is labelled %q", l)
	}
	if href := browserRun(t, tab, chromedp.Evaluate[string](`document.querySelector('label[for="agree"] a').href`)); href != "https://example.com/terms" {
		t.Fatalf("the terms link goes to %q", href)
	}
	checked := func() bool {
		return browserRun(t, tab, chromedp.Evaluate[bool](`document.getElementById('agree').checked`))
	}
	if checked() {
		t.Fatal("the terms checkbox starts ticked")
	}

	// Without ticking the box: refused with a message, no account.
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("identifier"), username), chromedp.SendKeys(chromedp.ID("password"), pw))
	s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("register-form"))), 400, "/sign-in/*/register", "register-form")
	wantAlert(t, tab, "Agree to the terms to continue.")
	if _, err := s.Store.FindUserByIdentifier(context.Background(), store.ByUsername, username); err == nil {
		t.Fatal("an account was created without agreeing to the terms")
	}
	s.noCallback(t, "registering without agreeing to the terms")
	if v := browserRun(t, tab, chromedp.Value(chromedp.ID("identifier"))); v != username {
		t.Errorf("the username field holds %q after the error, want %q kept", v, username)
	}
	if checked() {
		t.Fatal("the terms checkbox is ticked after the refusal")
	}

	// From the keyboard: the password again, Tab to the box, Space ticks it.
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("password"), pw), chromedp.KeyEvent(kb.Tab))
	if id := activeElement(t, tab); id != "agree" {
		t.Fatalf("Tab from the password field moves focus to #%s, want the terms checkbox", id)
	}
	browserDo(t, tab, chromedp.KeyEvent(" "))
	if !checked() {
		t.Fatal("Space on the focused terms checkbox did not tick it")
	}
	q := s.submitAndLand(t, tab, chromedp.Click(submitButton("register-form")))
	u, err := s.Store.FindUserByIdentifier(context.Background(), store.ByUsername, username)
	if err != nil {
		t.Fatalf("no account %s after agreeing: %v", username, err)
	}
	if sub := s.redeem(t, s.appID, s.appSecret, q.Get("code")); sub != u.ID {
		t.Fatalf("the ID token's subject is %q, want the new account %q", sub, u.ID)
	}
	wantPassword(t, u, pw)
}

// TestBrowserSignInTerms: with agreeToTermsPolicy "Manual" the terms are
// agreed to on every sign-in (ManualRegistrationOnly asks on registration
// only), so the password sign-in page shows the checkbox and refuses a
// sign-in without it.
func TestBrowserSignInTerms(t *testing.T) {
	s := newBrowserFlowSite(t, map[string]any{"termsOfUseUrl": "https://example.com/terms", "agreeToTermsPolicy": "Manual"})
	tab := newTab(t)
	s.openSignIn(t, tab)
	if l := text(t, tab, `#sign-in-form label[for="agree"]`); l != "I agree to the Terms of use." {
		t.Fatalf("the sign-in page's terms checkbox is labelled %q", l)
	}
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.ID("identifier"), browserUser),
		chromedp.SendKeys(chromedp.ID("password"), browserPassword))
	resp := navigateBy(t, tab, chromedp.Click(submitButton("sign-in-form")))
	if strings.HasPrefix(resp.URL, s.callback.URL) {
		t.Fatalf("with agreeToTermsPolicy Manual, a sign-in without ticking the terms checkbox was let through to %s: "+
			"the password sign-in (submitSignIn) ignores the checkbox it shows", resp.URL)
	}
	s.expectPage(t, tab, resp, 400, "/sign-in/*", "sign-in-form")
	wantAlert(t, tab, "Agree to the terms to continue.")
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("password"), browserPassword), chromedp.Click(chromedp.ID("agree")))
	q := s.submitAndLand(t, tab, chromedp.Click(submitButton("sign-in-form")))
	s.exchange(t, q.Get("code"))
}

// glyphsDiffer tells whether the distinct characters of the page's <h1>,
// drawn in its font, look different from each other; when a machine has no
// font for a script, every character is drawn as the same empty box.
const glyphsDiffer = `(() => {
	const h = document.querySelector('h1');
	const chars = [...new Set(h.textContent.trim())].filter(c => c.trim() !== '');
	if (chars.length < 2) return true;
	const canvas = document.createElement('canvas');
	canvas.width = canvas.height = 64;
	const g = canvas.getContext('2d');
	const draw = ch => {
		g.clearRect(0, 0, 64, 64);
		g.font = getComputedStyle(h).font;
		g.fillText(ch, 4, 48);
		return g.getImageData(0, 0, 64, 64).data.join();
	};
	return new Set(chars.map(draw)).size > 1;
})()`

// waitFor polls cond every 20 ms until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
