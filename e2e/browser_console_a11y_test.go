package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserConsoleAccessibility runs axe-core on the console's pages, in
// light and dark mode, with field errors and a one-time secret showing:
// every input labelled, contrast at WCAG AA, landmarks and names right.
func TestBrowserConsoleAccessibility(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	s := &consoleSite{instance: in, tab: newTab(t)}
	s.open(t, "/setup")
	checkA11y(t, s.tab, "console-setup")
	mustAdmin(t, in)
	s.signIn(t)
	s.createUser(t, "ada", "ada@example.com", "Analytical-Engine-1843!")
	checkA11y(t, s.tab, "console-dashboard")

	s.open(t, "/applications/new")
	s.fill(t, map[string]string{"name": "Web", "redirectUris": "not a url"})
	s.submit(t, "#app-form", "/applications/new")
	checkA11y(t, s.tab, "console-app-new-error")
	s.fill(t, map[string]string{"redirectUris": "https://app.example/cb"})
	s.submit(t, "#app-form", "/applications/")
	checkA11y(t, s.tab, "console-app")

	// One page of each kind: a list, forms with every kind of control.
	for _, path := range []string{"/users", "/connectors", "/sign-in-experience", "/webhooks/new", "/administrators", "/administrators/new", "/account/password"} {
		s.open(t, path)
		checkA11y(t, s.tab, "console"+strings.ReplaceAll(path, "/", "-"))
	}
	s.open(t, "/users")
	s.follow(t, `td a[href^="/users/"]`, "/users/")
	checkA11y(t, s.tab, "console-user")
	s.open(t, "/roles")
	s.follow(t, `td a[href^="/roles/"]`, "/roles/")
	checkA11y(t, s.tab, "console-role")
	s.follow(t, `a[href$="/delete"]`, "/roles/")
	checkA11y(t, s.tab, "console-confirm")

	// Keyboard: the first Tab reaches the skip link, which is then shown.
	s.open(t, "/users")
	browserDo(t, s.tab, chromedp.KeyEvent(kb.Tab))
	if got := browserRun(t, s.tab, chromedp.Evaluate[string](`document.activeElement.className + ' ' + getComputedStyle(document.activeElement).left`)); got != "skip 8px" {
		t.Fatalf("the first Tab focuses %q, want the visible skip link", got)
	}
}
