package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/internal/console"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// The admin console in Chromium: each test starts a server on SQLite and a
// browser of its own, signs in on the admin listener, and drives the
// console's forms as an operator would.

const (
	consoleAdmin    = "operator"
	consolePassword = "a long admin password"
)

// consoleSite is a server whose console has an administrator, and a tab
// signed in to it.
type consoleSite struct {
	*instance
	tab context.Context
}

// newConsoleSite starts a server, creates an administrator in the store (as
// gatehouse admin create does) and signs in through the console's page.
func newConsoleSite(t *testing.T) *consoleSite {
	t.Helper()
	in := start(t, sqltestSQLite(t))
	mustAdmin(t, in)
	s := &consoleSite{instance: in, tab: newTab(t)}
	s.signIn(t)
	return s
}

// signIn signs in on /sign-in and checks that the dashboard shows.
func (s *consoleSite) signIn(t *testing.T) {
	t.Helper()
	s.open(t, "/sign-in")
	s.fill(t, map[string]string{"username": consoleAdmin, "password": consolePassword})
	s.submit(t, "#sign-in-form", "/")
	wantHeading(t, s.tab, "Dashboard")
}

// open navigates to a console path and waits for its heading.
func (s *consoleSite) open(t *testing.T, path string) {
	t.Helper()
	browserDo(t, s.tab, chromedp.Navigate(s.AdminURL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
}

// fill sets form fields by name. Text inputs are typed into; textareas
// and selects are set.
func (s *consoleSite) fill(t *testing.T, fields map[string]string) {
	t.Helper()
	for name, value := range fields {
		sel := chromedp.CSS(`[name="` + name + `"]`)
		tag := browserRun(t, s.tab, chromedp.Evaluate[string](`document.querySelector('[name="`+name+`"]').tagName`))
		switch {
		case tag == "INPUT" && value != "":
			browserDo(t, s.tab, chromedp.Clear(sel), chromedp.SendKeys(sel, value))
		case value == "":
			browserDo(t, s.tab, chromedp.Clear(sel))
		default:
			browserDo(t, s.tab, chromedp.SetValue(sel, value))
		}
	}
}

// submit clicks the submit button of the form matched by css and checks
// that the browser ends on wantPath (a path, or a prefix ending in "/").
func (s *consoleSite) submit(t *testing.T, form, wantPath string) *url.URL {
	t.Helper()
	resp := navigateBy(t, s.tab, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)))
	return s.wantPath(t, resp.URL, wantPath)
}

// follow clicks a link or a button and checks the page it leads to.
func (s *consoleSite) follow(t *testing.T, css, wantPath string) *url.URL {
	t.Helper()
	resp := navigateBy(t, s.tab, chromedp.Click(chromedp.CSS(css)))
	return s.wantPath(t, resp.URL, wantPath)
}

func (s *consoleSite) wantPath(t *testing.T, got, want string) *url.URL {
	t.Helper()
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	ok := u.Path == want || (strings.HasSuffix(want, "/") && strings.HasPrefix(u.Path, want) && u.Path != want)
	if !ok || !strings.HasPrefix(got, s.AdminURL+"/") {
		alert := browserRun(t, s.tab, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[role=alert], .field-error')).map(e => e.textContent.trim()).join(' | ')`))
		t.Fatalf("the browser shows %s, want the console page %s (errors on the page: %q)", got, want, alert)
	}
	return u
}

// wantFieldError checks that the field named name is marked invalid and
// that the message next to it contains want.
func (s *consoleSite) wantFieldError(t *testing.T, name, want string) {
	t.Helper()
	got := browserRun(t, s.tab, chromedp.Evaluate[string](`(() => {
		const f = document.querySelector('[name="`+name+`"]');
		if (!f) return 'no field';
		if (f.getAttribute('aria-invalid') !== 'true') return 'not aria-invalid';
		const e = f.closest('.field').querySelector('.field-error');
		return e ? e.textContent.trim() : 'no .field-error next to it';
	})()`))
	if !strings.Contains(got, want) {
		t.Fatalf("field %s: %q, want an error containing %q", name, got, want)
	}
}

// text is the text of the element with the given id.
func (s *consoleSite) textOf(t *testing.T, id string) string {
	t.Helper()
	got := browserRun(t, s.tab, chromedp.Evaluate[*string](`(e => e && e.textContent)(document.getElementById('`+id+`'))`))
	if got == nil {
		t.Fatalf("the page %s has no element #%s", browserRun(t, s.tab, chromedp.Location()), id)
	}
	return strings.TrimSpace(*got)
}

// has reports whether an element matches css.
func (s *consoleSite) has(t *testing.T, css string) bool {
	t.Helper()
	return browserRun(t, s.tab, chromedp.Evaluate[bool](`document.querySelector('`+css+`') !== null`))
}

// notice returns the page's one-time notice.
func (s *consoleSite) notice(t *testing.T) string {
	t.Helper()
	return browserRun(t, s.tab, chromedp.Evaluate[string](`(document.querySelector('.notice') || {textContent: ''}).textContent.trim()`))
}

// newAdmin builds an administrator with the tests' cheap password cost.
func newAdmin(username, pw string) (*store.Administrator, error) {
	return console.NewAdministrator(username, pw, testPassword)
}
