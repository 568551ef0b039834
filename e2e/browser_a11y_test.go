package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// The hosted pages checked with axe-core (pinned in e2e/js/package.json),
// in light and in dark mode. A violation of impact "serious" or "critical"
// fails the test; the others are logged.

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript returns axe.min.js, installing e2e/js's npm packages first
// when they are missing.
func axeScript(t *testing.T) string {
	t.Helper()
	npmInstall(t)
	axeOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join(jsDir, "node_modules", "axe-core", "axe.min.js"))
		axeSource, axeErr = string(raw), err
	})
	if axeErr != nil {
		t.Fatalf("axe-core is missing from e2e/js/node_modules (it is pinned in e2e/js/package.json): %v", axeErr)
	}
	return axeSource
}

type axeNode struct {
	Target  string `json:"target"`
	HTML    string `json:"html"`
	Summary string `json:"summary"`
}

type axeViolation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []axeNode `json:"nodes"`
}

// axeRun runs axe on the whole document and returns its violations.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({
		target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)).join(' | '),
		html: n.html, summary: n.failureSummary || ''}))})))`

// colorScheme emulates prefers-color-scheme in the tab ("light" or "dark").
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// checkA11y runs axe-core on the page shown in the tab, in light mode and
// in dark mode, and fails the test on every serious or critical violation.
// The page's Content-Security-Policy (no script at all) does not apply to
// scripts that DevTools evaluates, so axe is injected that way.
func checkA11y(t *testing.T, tab context.Context, name string) {
	t.Helper()
	src := axeScript(t)
	var serious []string
	backgrounds := map[string]string{}
	for _, scheme := range []string{"light", "dark"} {
		browserDo(t, tab, colorScheme(scheme))
		if dark := browserRun(t, tab, chromedp.Evaluate[bool](`matchMedia('(prefers-color-scheme: dark)').matches`)); dark != (scheme == "dark") {
			t.Fatalf("%s: emulating prefers-color-scheme: %s did not take (dark = %v)", name, scheme, dark)
		}
		backgrounds[scheme] = browserRun(t, tab, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
		if !browserRun(t, tab, chromedp.Evaluate[bool](`typeof window.axe === 'object'`)) {
			browserDo(t, tab, chromedp.Evaluate[chromedp.Void](src))
		}
		violations := browserRun(t, tab, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
		saveScreenshot(t, "a11y-"+name+"-"+scheme+".png", browserRun(t, tab, chromedp.FullScreenshot(100)))
		for _, v := range violations {
			var b strings.Builder
			fmt.Fprintf(&b, "%s mode: %s [%s]: %s (%s)", scheme, v.ID, v.Impact, v.Help, v.HelpURL)
			for _, n := range v.Nodes {
				fmt.Fprintf(&b, "\n\t\t%s  %s", n.Target, n.HTML)
				if n.Summary != "" {
					fmt.Fprintf(&b, "\n\t\t\t%s", strings.ReplaceAll(n.Summary, "\n", "\n\t\t\t"))
				}
			}
			if v.Impact == "serious" || v.Impact == "critical" {
				serious = append(serious, b.String())
			} else {
				t.Logf("%s page, %s", name, b.String())
			}
		}
	}
	if backgrounds["light"] == backgrounds["dark"] {
		t.Errorf("%s page: the background is %s in light and in dark mode: the dark-mode styles are not applied although the settings enable dark mode", name, backgrounds["light"])
	}
	if len(serious) > 0 {
		t.Errorf("%s page (%s): %d serious or critical accessibility violations:\n\t%s",
			name, browserRun(t, tab, chromedp.Location()), len(serious), strings.Join(serious, "\n\t"))
	}
}

// a11ySettings turn on every element the pages can show: two identifiers,
// a forgot-password link, passwordless sign-in, registration with email,
// password and code, the terms with a checkbox everywhere, and dark mode
// (off by default: the pages then stay light) with the default colours.
var a11ySettings = map[string]any{
	"color": map[string]any{"primaryColor": "#6139F6", "isDarkModeEnabled": true, "darkPrimaryColor": "#8768F8"},
	"signIn": map[string]any{"methods": []map[string]any{
		{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true},
		{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": true}}},
	"signUp":                map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true},
	"forgotPasswordMethods": []string{"EmailVerificationCode"},
	"termsOfUseUrl":         "https://example.com/terms",
	"privacyPolicyUrl":      "https://example.com/privacy",
	"agreeToTermsPolicy":    "Manual",
}

// signInAs fills the sign-in form shown in the tab, ticking the terms box
// when there is one.
func signInAs(t *testing.T, tab context.Context, username, pw string) {
	t.Helper()
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("identifier"), username), chromedp.SendKeys(chromedp.ID("password"), pw))
	if browserRun(t, tab, chromedp.Evaluate[bool](`!!document.getElementById('agree')`)) {
		browserDo(t, tab, chromedp.Click(chromedp.ID("agree")))
	}
}

func TestBrowserAccessibility(t *testing.T) {
	axeScript(t) // before the clock of the first browser starts
	s := newBrowserFlowSite(t, a11ySettings)
	partnerID, _ := s.createApp(t, apps.Input{Name: "Partner Analytics", Type: store.Traditional,
		RedirectURIs: []string{s.callback.URL}, IsThirdParty: true})

	t.Run("sign-in", func(t *testing.T) {
		tab := newTab(t)
		s.openSignIn(t, tab)
		checkA11y(t, tab, "sign-in")
	})
	t.Run("sign-in-error", func(t *testing.T) {
		tab := newTab(t)
		s.openSignIn(t, tab)
		signInAs(t, tab, browserUser, "not-the-password")
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("sign-in-form"))), 400, "/sign-in/*", "sign-in-form")
		wantAlert(t, tab, "incorrect")
		checkA11y(t, tab, "sign-in-error")
	})
	t.Run("register", func(t *testing.T) {
		tab := newTab(t)
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.authorize(url.Values{"interaction_mode": {"signUp"}}))), 200, "/sign-in/*", "register-form")
		checkA11y(t, tab, "register")
		// Refused (terms not ticked): the page with its error.
		browserDo(t, tab, chromedp.SendKeys(chromedp.ID("identifier"), "new@example.com"), chromedp.SendKeys(chromedp.ID("password"), "Str0ng-Passphrase!"))
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("register-form"))), 400, "/sign-in/*/register", "register-form")
		wantAlert(t, tab, "Agree to the terms")
		checkA11y(t, tab, "register-error")
	})
	t.Run("forgot-password-and-code", func(t *testing.T) {
		tab := newTab(t)
		s.openSignIn(t, tab)
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(chromedp.CSS(`a[href$="/forgot-password"]`))), 200, "/sign-in/*/forgot-password", "identify-form")
		checkA11y(t, tab, "forgot-password")
		browserDo(t, tab, chromedp.SendKeys(chromedp.ID("identifier"), s.user.PrimaryEmail))
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("identify-form"))), 200, "/sign-in/*/code", "code-form")
		checkA11y(t, tab, "code")
		code := s.mb.last(t, s.user.PrimaryEmail, "ForgotPassword")
		browserDo(t, tab, chromedp.SendKeys(chromedp.ID("code"), wrongCode(code)), chromedp.SendKeys(chromedp.ID("password"), "Difference-Engine-1822!"))
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("code-form"))), 400, "/sign-in/*/code", "code-form")
		wantAlert(t, tab, "incorrect")
		checkA11y(t, tab, "code-error")
	})
	t.Run("consent", func(t *testing.T) {
		tab := newTab(t)
		u := s.authorize(url.Values{"client_id": {partnerID}})
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(u)), 200, "/sign-in/*", "sign-in-form")
		signInAs(t, tab, browserUser, browserPassword)
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("sign-in-form"))), 200, "/sign-in/*", "consent-form")
		checkA11y(t, tab, "consent")
	})
	t.Run("sign-out", func(t *testing.T) {
		tab := newTab(t)
		s.openSignIn(t, tab)
		signInAs(t, tab, browserUser, browserPassword)
		s.submitAndLand(t, tab, chromedp.Click(submitButton("sign-in-form")))
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Navigate(s.Issuer+"/session/end")), 200, "/oidc/session/end", "sign-out-form")
		checkA11y(t, tab, "sign-out")
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Click(submitButton("sign-out-form"))), 200, "/oidc/session/end/confirm", "")
		checkA11y(t, tab, "signed-out")
	})
	// Last, as it moves the server's clock past the interaction's lifetime.
	t.Run("expired", func(t *testing.T) {
		tab := newTab(t)
		s.openSignIn(t, tab)
		s.Clock.Advance(61 * time.Minute)
		s.expectPage(t, tab, navigateBy(t, tab, chromedp.Reload()), 400, "/sign-in/*", "")
		wantHeading(t, tab, "Sign-in expired")
		checkA11y(t, tab, "expired")
	})
}
