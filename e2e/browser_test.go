package e2e

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const (
	browserUser     = "ada"
	browserPassword = "Analytical-Engine-1843!"
)

// browserSite is a server on SQLite with a Traditional app whose redirect
// URI is a loopback callback, a user, and an authorization URL with PKCE.
type browserSite struct {
	*instance
	appID, appSecret string
	user             *store.User
	callback         *appCallback
	verifier         string
	authURL          string
}

func newBrowserSite(t *testing.T) *browserSite {
	t.Helper()
	in := start(t, sqltestSQLite(t))
	cb := newAppCallback(t)
	appID, secret := in.createApp(t, apps.Input{Name: "Analytical Engine", Type: store.Traditional, RedirectURIs: []string{cb.URL}})
	u := in.createUser(t, browserUser, "ada@example.com", browserPassword)
	verifier, challenge := pkce("browser-")
	return &browserSite{instance: in, appID: appID, appSecret: secret, user: u, callback: cb, verifier: verifier,
		authURL: authURL(in.Issuer, appID, url.Values{"redirect_uri": {cb.URL}, "state": {"browser-state"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}})}
}

// openSignIn navigates to the authorization URL and waits for the sign-in form.
func (s *browserSite) openSignIn(t *testing.T, tab context.Context) {
	t.Helper()
	browserDo(t, tab, chromedp.Navigate(s.authURL), chromedp.WaitVisible(chromedp.ID("identifier")))
	if loc := browserRun(t, tab, chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/sign-in/") {
		t.Fatalf("the authorization request led to %s, not to the sign-in page", loc)
	}
}

// submitAndLand runs the actions that submit the sign-in form and checks
// that the browser lands on the application's callback with a code.
func (s *browserSite) submitAndLand(t *testing.T, tab context.Context, submit ...chromedp.Action[chromedp.Void]) url.Values {
	t.Helper()
	resp, err := chromedp.RunResponse(tab, submit...)
	if err != nil {
		t.Fatalf("submitting the sign-in form: %v", err)
	}
	if !strings.HasPrefix(resp.URL, s.callback.URL+"?") || resp.Status != 200 {
		t.Fatalf("after signing in the browser shows %s (status %d), not the application's callback", resp.URL, resp.Status)
	}
	q := s.callback.wait(t, tab)
	if q.Get("code") == "" || q.Get("state") != "browser-state" || q.Get("iss") != s.Issuer {
		t.Fatalf("callback query = %v", q)
	}
	if loc := browserRun(t, tab, chromedp.Location()); !strings.HasPrefix(loc, s.callback.URL+"?") {
		t.Fatalf("location after sign-in = %s", loc)
	}
	if body := browserRun(t, tab, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(body, "signed in") {
		t.Fatalf("callback page shows %q", body)
	}
	return q
}

// exchange redeems the code at the token endpoint and checks the tokens.
func (s *browserSite) exchange(t *testing.T, code string) {
	t.Helper()
	res := tokenRequest(t, s.Issuer, s.appID, s.appSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {s.callback.URL}, "code_verifier": {s.verifier}})
	if res.status != 200 || res.AccessToken == "" || res.IDToken == "" || res.RefreshToken == "" {
		t.Fatalf("code exchange: %d %s", res.status, res.raw)
	}
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, s.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idToken, err := provider.Verifier(&gooidc.Config{ClientID: s.appID}).Verify(ctx, res.IDToken)
	if err != nil {
		t.Fatalf("id token: %v", err)
	}
	if idToken.Subject != s.user.ID {
		t.Fatalf("id token subject = %q, want %q", idToken.Subject, s.user.ID)
	}
}

func TestBrowserSignIn(t *testing.T) {
	s := newBrowserSite(t)
	tab := newTab(t)
	s.openSignIn(t, tab)
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.ID("identifier"), browserUser),
		chromedp.SendKeys(chromedp.ID("password"), browserPassword))
	q := s.submitAndLand(t, tab, chromedp.Click(chromedp.CSS(`#sign-in-form button[type="submit"]`)))
	s.exchange(t, q.Get("code"))
}

// activeElement returns the id of the focused element once the page has
// given focus to an element with an id.
func activeElement(t *testing.T, tab context.Context) string {
	t.Helper()
	return browserRun(t, tab, chromedp.Poll[string](`document.activeElement && document.activeElement.id`))
}

func TestBrowserKeyboardOnly(t *testing.T) {
	s := newBrowserSite(t)
	tab := newTab(t)
	s.openSignIn(t, tab)
	if id := activeElement(t, tab); id != "identifier" {
		t.Fatalf("focus starts on #%s, want the identifier field", id)
	}
	browserDo(t, tab, chromedp.KeyEvent(browserUser), chromedp.KeyEvent(kb.Tab))
	if id := activeElement(t, tab); id != "password" {
		t.Fatalf("Tab from the identifier field moves focus to #%s, want the password field", id)
	}
	browserDo(t, tab, chromedp.KeyEvent(browserPassword))
	if v := browserRun(t, tab, chromedp.Value(chromedp.ID("identifier"))); v != browserUser {
		t.Fatalf("identifier field holds %q after typing", v)
	}
	q := s.submitAndLand(t, tab, chromedp.KeyEvent(kb.Enter))
	s.exchange(t, q.Get("code"))
}

func TestBrowserSignInPageRenders(t *testing.T) {
	s := newBrowserSite(t)
	// The brand colour set in the sign-in experience is the one drawn.
	s.management(t).do("PATCH", "/api/sign-in-exp", map[string]any{"color": map[string]any{"primaryColor": "#0A7F5A"}}, 200, nil)
	tab := newTab(t)
	resp := browserRun(t, tab, chromedp.NavigateResponse(s.authURL))
	if resp.Status != 200 || !strings.HasPrefix(resp.URL, s.URL+"/sign-in/") {
		t.Fatalf("authorization request led to %s (status %d)", resp.URL, resp.Status)
	}
	browserDo(t, tab, chromedp.WaitVisible(chromedp.CSS(`button[type="submit"]`)))
	// Autofocus lands a moment after the load: wait for it, so that the
	// screenshot shows the focused field the same way every time.
	if id := activeElement(t, tab); id != "identifier" {
		t.Errorf("focus starts on #%s, want the identifier field", id)
	}

	// The screenshot is not blank and shows the brand colour (the button).
	shot := browserRun(t, tab, chromedp.FullScreenshot(100))
	saveScreenshot(t, "sign-in.png", shot)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	bg, differ, primary := pixelStats(img, [3]uint8{0x0a, 0x7f, 0x5a}, 6)
	total := img.Bounds().Dx() * img.Bounds().Dy()
	t.Logf("screenshot %dx%d: background #%02x%02x%02x, %.1f%% other pixels, %d pixels of the primary colour",
		img.Bounds().Dx(), img.Bounds().Dy(), bg[0], bg[1], bg[2], 100*float64(differ)/float64(total), primary)
	if differ*50 < total {
		t.Errorf("the sign-in page looks blank: only %d of %d pixels differ from the background", differ, total)
	}
	if primary < 1000 {
		t.Errorf("the brand colour #0A7F5A covers only %d pixels: the Sign in button is not drawn in the configured colour", primary)
	}

	// Every visible input has a label.
	unlabelled := browserRun(t, tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('input'))
		.filter(i => i.type !== 'hidden')
		.filter(i => !i.id || !document.querySelector('label[for="' + CSS.escape(i.id) + '"]'))
		.map(i => i.name || i.outerHTML)`))
	if len(unlabelled) > 0 {
		t.Errorf("inputs without a <label for>: %v", unlabelled)
	}
	labels := browserRun(t, tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('label')).map(l => l.htmlFor + '=' + l.textContent.trim())`))
	if strings.Join(labels, ",") != "identifier=Username or email,password=Password" {
		t.Errorf("labels = %q", labels)
	}

	// The page runs no script, and its Content-Security-Policy blocks inline script.
	csp, _ := resp.Headers["Content-Security-Policy"].(string)
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none' and no script-src", csp)
	}
	if n := browserRun(t, tab, chromedp.Evaluate[int](`document.querySelectorAll('script').length`)); n != 0 {
		t.Errorf("the sign-in page has %d script elements", n)
	}
	ran := browserRun(t, tab, chromedp.Evaluate[bool](`(() => {
		window.__inlineRan = false;
		const s = document.createElement('script');
		s.textContent = 'window.__inlineRan = true';
		document.body.appendChild(s);
		return window.__inlineRan;
	})()`))
	if ran {
		t.Errorf("an inline script ran on the sign-in page: the Content-Security-Policy %q does not block it", csp)
	}
}

// pixelStats returns the most common colour of img (the background), how
// many pixels differ from it, and how many are within tol of want on every
// channel.
func pixelStats(img image.Image, want [3]uint8, tol int) (bg [3]uint8, differ, matches int) {
	counts := map[[3]uint8]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			counts[c]++
			if near(c, want, tol) {
				matches++
			}
		}
	}
	for c, n := range counts {
		if n > counts[bg] {
			bg = c
		}
	}
	return bg, b.Dx()*b.Dy() - counts[bg], matches
}

func near(a, b [3]uint8, tol int) bool {
	for i := range a {
		if d := int(a[i]) - int(b[i]); d > tol || d < -tol {
			return false
		}
	}
	return true
}

// saveScreenshot writes a screenshot to the test's temporary directory and,
// when GATEHOUSE_SCREENSHOTS names a directory, there too for people to see.
func saveScreenshot(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(t.TempDir(), name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("GATEHOUSE_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot saved to %s", path)
	}
}

func TestBrowserWrongPasswordShowsError(t *testing.T) {
	s := newBrowserSite(t)
	tab := newTab(t)
	s.openSignIn(t, tab)
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.ID("identifier"), browserUser),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"))
	resp, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`#sign-in-form button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submitting the sign-in form: %v", err)
	}
	if resp.Status != 400 || !strings.HasPrefix(resp.URL, s.URL+"/sign-in/") {
		t.Fatalf("a wrong password led to %s (status %d)", resp.URL, resp.Status)
	}
	browserDo(t, tab, chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)))
	alert := browserRun(t, tab, chromedp.Text(chromedp.CSS(`[role="alert"]`)))
	if !strings.Contains(alert, "incorrect") {
		t.Fatalf("alert says %q, want it to say the credentials are incorrect", alert)
	}
	shot := browserRun(t, tab, chromedp.FullScreenshot(100))
	saveScreenshot(t, "sign-in-error.png", shot)
	select {
	case q := <-s.callback.received:
		t.Fatalf("a wrong password reached the application's callback with %v", q)
	default:
	}

	// The page stays usable: the identifier is kept, the password is
	// cleared and has the focus, and the right password signs in.
	if v := browserRun(t, tab, chromedp.Value(chromedp.ID("identifier"))); v != browserUser {
		t.Errorf("identifier field holds %q after the error, want %q kept", v, browserUser)
	}
	if v := browserRun(t, tab, chromedp.Value(chromedp.ID("password"))); v != "" {
		t.Errorf("password field holds %q after the error, want it empty", v)
	}
	if id := activeElement(t, tab); id != "password" {
		t.Errorf("focus after the error is on #%s, want the password field", id)
	}
	browserDo(t, tab, chromedp.SendKeys(chromedp.ID("password"), browserPassword))
	q := s.submitAndLand(t, tab, chromedp.Click(chromedp.CSS(`#sign-in-form button[type="submit"]`)))
	s.exchange(t, q.Get("code"))
}
