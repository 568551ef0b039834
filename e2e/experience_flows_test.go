package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// mailbox is an HTTP email service as Logto's http-email connector calls
// it; it keeps the codes it was asked to send.
type mailbox struct {
	*httptest.Server
	mu    sync.Mutex
	codes map[string][]string // "to|type" → codes in order
	sent  int
}

func newMailbox(t *testing.T) *mailbox {
	mb := &mailbox{codes: map[string][]string{}}
	mb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			To      string `json:"to"`
			Type    string `json:"type"`
			Payload struct {
				Code string `json:"code"`
			} `json:"payload"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || msg.To == "" || len(msg.Payload.Code) != 6 {
			http.Error(w, "bad message", 400)
			return
		}
		mb.mu.Lock()
		mb.codes[msg.To+"|"+msg.Type] = append(mb.codes[msg.To+"|"+msg.Type], msg.Payload.Code)
		mb.sent++
		mb.mu.Unlock()
		w.WriteHeader(204)
	}))
	t.Cleanup(mb.Close)
	return mb
}

func (mb *mailbox) last(t *testing.T, to, typ string) string {
	t.Helper()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	codes := mb.codes[to+"|"+typ]
	if len(codes) == 0 {
		t.Fatalf("no %s code was sent to %s", typ, to)
	}
	return codes[len(codes)-1]
}

func (mb *mailbox) count() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.sent
}

// flowSite is a server with an email connector and a Traditional app.
type flowSite struct {
	*restaurant
	m  *mgmt
	mb *mailbox
}

func newFlowSite(t *testing.T, settings map[string]any) *flowSite {
	r := newRestaurant(t, sqltestSQLite(t))
	m := r.management(t)
	mb := newMailbox(t)
	m.do("POST", "/api/connectors", map[string]any{"connectorId": "http-email", "config": map[string]any{"endpoint": mb.URL}}, 200, nil)
	if settings != nil {
		m.do("PATCH", "/api/sign-in-exp", settings, 200, nil)
	}
	return &flowSite{restaurant: r, m: m, mb: mb}
}

func (s *flowSite) authURL(extra url.Values) string {
	_, challenge := pkce("flows-")
	q := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	return authURL(s.Issuer, s.appID, q)
}

// page is a fetched HTML page.
type page struct {
	status int
	url    *url.URL
	body   string
	header http.Header
	// location is where a redirect the browser did not follow points.
	location *url.URL
}

func toPage(resp *http.Response) page {
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, url: resp.Request.URL, body: string(body), header: resp.Header}
	if loc, err := resp.Location(); err == nil {
		p.location = loc
	}
	return p
}

func (b *browser) get(t *testing.T, u string) page {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return toPage(resp)
}

// post submits the page's first post form with fields (plus its CSRF token).
func (b *browser) post(t *testing.T, from page, fields url.Values) page {
	t.Helper()
	a, c := formAction.FindStringSubmatch(from.body), csrfInput.FindStringSubmatch(from.body)
	if a == nil || c == nil {
		t.Fatalf("no form on %s:\n%.800s", from.url, from.body)
	}
	fields.Set("csrf_token", c[1])
	resp, err := b.PostForm(from.url.ResolveReference(&url.URL{Path: a[1]}).String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return toPage(resp)
}

// landed returns the authorization code of a response that went back to the app.
func landed(t *testing.T, p page) string {
	t.Helper()
	if p.location == nil || !strings.HasPrefix(p.location.String(), redirectURI) {
		t.Fatalf("expected a redirect to the app, got %d at %s:\n%.600s", p.status, p.url, p.body)
	}
	return p.location.Query().Get("code")
}

func TestRegistrationWithEmailVerification(t *testing.T) {
	s := newFlowSite(t, map[string]any{
		"signIn": map[string]any{"methods": []map[string]any{{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
		"signUp": map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true},
	})
	b := newBrowser(redirectURI)
	reg := b.get(t, s.authURL(url.Values{"interaction_mode": {"signUp"}}))
	if reg.status != 200 || !strings.Contains(reg.body, "Create your account") {
		t.Fatalf("register page: %d\n%.500s", reg.status, reg.body)
	}
	// A taken email, a weak password: refused with a message, nothing sent.
	if p := b.post(t, reg, url.Values{"identifier": {"kitchen@example.com"}, "password": {"Str0ng-Passphrase!"}}); p.status != 409 || !strings.Contains(p.body, "already exists") {
		t.Fatalf("taken email: %d\n%.500s", p.status, p.body)
	}
	if p := b.post(t, reg, url.Values{"identifier": {"new@example.com"}, "password": {"password"}}); p.status != 400 || !strings.Contains(p.body, `role="alert"`) {
		t.Fatalf("weak password: %d\n%.500s", p.status, p.body)
	}
	if s.mb.count() != 0 {
		t.Fatal("a code was sent for a refused registration")
	}
	codePage := b.post(t, reg, url.Values{"identifier": {"new@example.com"}, "password": {"Str0ng-Passphrase!"}})
	if codePage.status != 200 || !strings.Contains(codePage.body, "new@example.com") {
		t.Fatalf("code page: %d\n%.500s", codePage.status, codePage.body)
	}
	code := s.mb.last(t, "new@example.com", "Register")
	if p := b.post(t, codePage, url.Values{"code": {wrongCode(code)}}); p.status != 400 || !strings.Contains(p.body, "incorrect") {
		t.Fatalf("wrong code: %d\n%.500s", p.status, p.body)
	}
	authCode := landed(t, b.post(t, codePage, url.Values{"code": {code}}))
	verifier, _ := pkce("flows-")
	res := s.exchange(t, authCode, verifier, nil)
	if res.status != 200 || res.IDToken == "" {
		t.Fatalf("exchange: %d %s", res.status, res.raw)
	}
	// The new account signs in with its password.
	loc := newBrowser(redirectURI).signIn(t, s.authURL(nil), "new@example.com", "Str0ng-Passphrase!")
	if loc.Query().Get("code") == "" {
		t.Fatal("the new account cannot sign in")
	}
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestForgotPassword(t *testing.T) {
	s := newFlowSite(t, map[string]any{"forgotPasswordMethods": []string{"EmailVerificationCode"}})
	b := newBrowser(redirectURI)
	signIn := b.get(t, s.authURL(nil))
	if !strings.Contains(signIn.body, "/forgot-password") {
		t.Fatalf("no forgot-password link:\n%.800s", signIn.body)
	}
	forgot := b.get(t, signIn.url.String()+"/forgot-password")
	// An unknown address gets the same answer and no email.
	unknown := b.post(t, forgot, url.Values{"identifier": {"nobody@example.com"}})
	if unknown.status != 200 || !strings.Contains(unknown.body, "nobody@example.com") || s.mb.count() != 0 {
		t.Fatalf("unknown address: %d, %d emails", unknown.status, s.mb.count())
	}
	forgot = b.get(t, signIn.url.String()+"/forgot-password")
	codePage := b.post(t, forgot, url.Values{"identifier": {"kitchen@example.com"}})
	code := s.mb.last(t, "kitchen@example.com", "ForgotPassword")
	if p := b.post(t, codePage, url.Values{"code": {code}, "password": {"123"}}); p.status != 400 {
		t.Fatalf("weak new password: %d", p.status)
	}
	done := b.post(t, codePage, url.Values{"code": {code}, "password": {"New-Kitchen-Pass-2025"}})
	if done.status != 200 || !strings.Contains(done.body, "Password changed") {
		t.Fatalf("reset: %d\n%.500s", done.status, done.body)
	}
	// The code is used up; the old password no longer works, the new one does.
	if p := b.post(t, codePage, url.Values{"code": {code}, "password": {"Another-Pass-2025!"}}); strings.Contains(p.body, "Password changed") {
		t.Fatal("a used reset code worked again")
	}
	nb := newBrowser(redirectURI)
	action, csrf := nb.signInPage(t, s.authURL(nil))
	if resp := nb.submit(t, action, csrf, "kitchen01", "Kitchen-Pass-2024!"); resp.StatusCode != 400 {
		t.Fatalf("old password after reset: %d", resp.StatusCode)
	}
	if loc := newBrowser(redirectURI).signIn(t, s.authURL(nil), "kitchen01", "New-Kitchen-Pass-2025"); loc.Query().Get("code") == "" {
		t.Fatal("new password does not sign in")
	}
}

func TestPasswordlessSignIn(t *testing.T) {
	s := newFlowSite(t, map[string]any{
		"signIn": map[string]any{"methods": []map[string]any{
			{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": false},
			{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
	})
	b := newBrowser(redirectURI)
	signIn := b.get(t, s.authURL(nil))
	form := b.get(t, signIn.url.String()+"/passwordless")
	codePage := b.post(t, form, url.Values{"identifier": {"kitchen@example.com"}})
	code := s.mb.last(t, "kitchen@example.com", "SignIn")
	for i := 0; i < 5; i++ {
		b.post(t, codePage, url.Values{"code": {wrongCode(code)}})
	}
	// Five wrong codes kill the code, even the right one.
	if p := b.post(t, codePage, url.Values{"code": {code}}); p.status != 400 || !strings.Contains(p.body, "Too many") {
		t.Fatalf("right code after 5 wrong ones: %d\n%.500s", p.status, p.body)
	}
	// Resending at once is throttled; after a minute a new code comes.
	if p := b.postTo(t, codePage, signIn.url.Path+"/code/resend", url.Values{}); p.status != 429 {
		t.Fatalf("immediate resend: %d", p.status)
	}
	s.Clock.Advance(61e9)
	resent := b.postTo(t, codePage, signIn.url.Path+"/code/resend", url.Values{})
	fresh := s.mb.last(t, "kitchen@example.com", "SignIn")
	if resent.status != 200 || fresh == code {
		t.Fatalf("resend: %d, same code %v", resent.status, fresh == code)
	}
	authCode := landed(t, b.post(t, resent, url.Values{"code": {fresh}}))
	if authCode == "" {
		t.Fatal("no authorization code")
	}
	// Another sign-in at once is throttled for this address.
	again := newBrowser(redirectURI)
	p2 := again.get(t, s.authURL(nil))
	cp := again.post(t, again.get(t, p2.url.String()+"/passwordless"), url.Values{"identifier": {"kitchen@example.com"}})
	if cp.status != 429 || cp.header.Get("Retry-After") == "" {
		t.Fatalf("second passwordless within a minute: %d", cp.status)
	}
}

// postTo submits fields to path with the CSRF token of the page from.
func (b *browser) postTo(t *testing.T, from page, path string, fields url.Values) page {
	t.Helper()
	c := csrfInput.FindStringSubmatch(from.body)
	if c == nil {
		t.Fatalf("no CSRF token on %s", from.url)
	}
	fields.Set("csrf_token", c[1])
	resp, err := b.PostForm(from.url.ResolveReference(&url.URL{Path: path}).String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return toPage(resp)
}

func TestThirdPartyConsent(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	partnerID, _ := r.createApp(t, apps.Input{Name: "Partner Analytics", Type: store.Traditional, RedirectURIs: []string{redirectURI}, IsThirdParty: true})
	_, challenge := pkce("consent-")
	u := authURL(r.Issuer, partnerID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {"openid profile email"}})
	b := newBrowser(redirectURI)
	consent := b.post(t, b.get(t, u), url.Values{"identifier": {"kitchen01"}, "password": {"Kitchen-Pass-2024!"}})
	if consent.status != 200 || !strings.Contains(consent.body, "Partner Analytics wants to access your account") ||
		!strings.Contains(consent.body, "See your email address") {
		t.Fatalf("consent page: %d\n%.800s", consent.status, consent.body)
	}
	if code := landed(t, b.post(t, consent, url.Values{"decision": {"allow"}})); code == "" {
		t.Fatal("no code after consent")
	}
	// Remembered: the next authorization goes straight back with a code.
	again := b.get(t, u)
	if code := landed(t, again); code == "" {
		t.Fatal("consent was not remembered")
	}
	// prompt=consent asks again; Cancel sends access_denied.
	ask := b.get(t, u+"&prompt=consent")
	if !strings.Contains(ask.body, "wants to access") {
		t.Fatalf("prompt=consent did not ask:\n%.500s", ask.body)
	}
	denied := b.post(t, ask, url.Values{"decision": {"deny"}})
	if denied.location == nil || denied.location.Query().Get("error") != "access_denied" {
		t.Fatalf("deny: %d %v", denied.status, denied.location)
	}
	// prompt=none with a session cannot ask again: consent_required.
	other, _ := r.createApp(t, apps.Input{Name: "Other Partner", Type: store.Traditional, RedirectURIs: []string{redirectURI}, IsThirdParty: true})
	none := b.get(t, authURL(r.Issuer, other, url.Values{"prompt": {"none"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}))
	if none.location == nil || none.location.Query().Get("error") != "consent_required" {
		t.Fatalf("prompt=none for an app without consent: %d %v", none.status, none.location)
	}
}

func TestSignOutConfirmation(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	b := newBrowser(redirectURI)
	b.signIn(t, authURL(r.Issuer, r.appID, url.Values{"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}), "kitchen01", "Kitchen-Pass-2024!")
	confirm := b.get(t, r.Issuer+"/session/end")
	if confirm.status != 200 || !strings.Contains(confirm.body, "Do you want to sign out?") {
		t.Fatalf("confirmation page: %d\n%.500s", confirm.status, confirm.body)
	}
	forged := url.Values{"xsrf": {"forged"}}
	resp, err := b.PostForm(r.Issuer+"/session/end/confirm", forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("forged sign-out: %d", resp.StatusCode)
	}
	token := regexpFind(t, confirm.body, `name="xsrf" value="([^"]+)"`)
	resp, err = b.PostForm(r.Issuer+"/session/end/confirm", url.Values{"xsrf": {token}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "You have been signed out.") {
		t.Fatalf("sign-out: %d %s", resp.StatusCode, body)
	}
	// The session is gone: prompt=none needs a login.
	none := b.get(t, authURL(r.Issuer, r.appID, url.Values{"prompt": {"none"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}))
	if none.location == nil || none.location.Query().Get("error") != "login_required" {
		t.Fatalf("after sign-out: %d %v", none.status, none.location)
	}
}

func TestProfileCompletion(t *testing.T) {
	s := newFlowSite(t, map[string]any{
		"signIn": map[string]any{"methods": []map[string]any{{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
		"signUp": map[string]any{"identifiers": []string{"username"}, "password": true, "verify": true,
			"secondaryIdentifiers": []map[string]any{{"identifier": "email", "verify": true}}},
	})
	// An account without an email signs in and is asked for one.
	s.createUser(t, "noemail", "", "No-Email-Pass-2024!")
	b := newBrowser(redirectURI)
	ask := b.post(t, b.get(t, s.authURL(nil)), url.Values{"identifier": {"noemail"}, "password": {"No-Email-Pass-2024!"}})
	if ask.status != 200 || !strings.Contains(ask.body, "Complete your profile") {
		t.Fatalf("profile page: %d\n%.600s", ask.status, ask.body)
	}
	if p := b.post(t, ask, url.Values{"identifier": {"kitchen@example.com"}}); p.status != 409 {
		t.Fatalf("an email another account uses: %d", p.status)
	}
	codePage := b.post(t, ask, url.Values{"identifier": {"added@example.com"}})
	code := s.mb.last(t, "added@example.com", "Generic")
	if authCode := landed(t, b.post(t, codePage, url.Values{"code": {code}})); authCode == "" {
		t.Fatal("no code after completing the profile")
	}
	u, err := s.Store.FindUserByIdentifier(t.Context(), store.ByEmail, "added@example.com")
	if err != nil || u.Username != "noemail" {
		t.Fatalf("the email was not added: %v %+v", err, u)
	}
}

func TestCodeExpiryAndMissingCSRF(t *testing.T) {
	s := newFlowSite(t, map[string]any{"forgotPasswordMethods": []string{"EmailVerificationCode"}})
	b := newBrowser(redirectURI)
	signIn := b.get(t, s.authURL(nil))
	codePage := b.post(t, b.get(t, signIn.url.String()+"/forgot-password"), url.Values{"identifier": {"kitchen@example.com"}})
	code := s.mb.last(t, "kitchen@example.com", "ForgotPassword")
	// A form posted without its CSRF token is refused and uses nothing up.
	resp, err := b.PostForm(signIn.url.String()+"/code", url.Values{"code": {code}, "password": {"New-Kitchen-Pass-2025"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("post without CSRF token: %d", resp.StatusCode)
	}
	// Ten minutes later the code has expired.
	s.Clock.Advance(11 * 60e9)
	if p := b.post(t, codePage, url.Values{"code": {code}, "password": {"New-Kitchen-Pass-2025"}}); p.status != 400 || !strings.Contains(p.body, "expired") {
		t.Fatalf("expired code: %d\n%.500s", p.status, p.body)
	}
}

func TestDarkModeSetting(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	m := r.management(t)
	css := func() string {
		resp, err := http.Get(r.URL + "/assets/theme.css")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if c := css(); !strings.Contains(c, "--bg: #f4f5f7") {
		t.Fatalf("dark mode off by default should pin the light palette:\n%s", c)
	}
	m.do("PATCH", "/api/sign-in-exp", map[string]any{"color": map[string]any{"isDarkModeEnabled": true, "darkPrimaryColor": "#99AAFF"},
		"branding": map[string]any{"logoUrl": "https://cdn.example/logo.svg", "darkLogoUrl": "https://cdn.example/logo-dark.svg"}}, 200, nil)
	if c := css(); !strings.Contains(c, "--primary: #99AAFF") || strings.Contains(c, "--bg: #f4f5f7") {
		t.Fatalf("dark mode on:\n%s", c)
	}
	html := signInHTML(t, newBrowser(redirectURI), authURL(r.Issuer, r.appID, url.Values{"code_challenge": {strings.Repeat("b", 43)}, "code_challenge_method": {"S256"}}), "")
	if !strings.Contains(html, `<source srcset="https://cdn.example/logo-dark.svg" media="(prefers-color-scheme: dark)">`) {
		t.Fatalf("no dark logo:\n%.800s", html)
	}
}
