package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// signInHTML follows an authorization request to the sign-in page with the
// given Accept-Language and returns the page.
func signInHTML(t *testing.T, b *browser, authURL, acceptLanguage string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", authURL, nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("sign-in page: %d", resp.StatusCode)
	}
	return string(body)
}

func TestSignInPageLanguages(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	_, challenge := pkce("lang-")
	base := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	cases := []struct{ acceptLanguage, uiLocales, lang, title, label string }{
		{"", "", "en", "Sign in", "Username or email"},
		{"fr-FR,fr;q=0.9,en;q=0.5", "", "fr", "Se connecter", "Nom d&#39;utilisateur ou adresse e-mail"},
		{"de-DE", "", "de", "Anmelden", "Benutzername oder E-Mail-Adresse"},
		{"es-419,es;q=0.8", "", "es", "Iniciar sesión", "Nombre de usuario o correo electrónico"},
		{"zh-CN,zh;q=0.9", "", "zh-CN", "登录", "用户名或邮箱"},
		{"ja", "", "ja", "サインイン", "ユーザー名またはメールアドレス"},
		{"fr", "ja de", "ja", "サインイン", ""}, // ui_locales wins over the browser
		{"ko-KR", "", "en", "Sign in", ""}, // unsupported: the fallback
	}
	for _, c := range cases {
		extra := url.Values{}
		for k, v := range base {
			extra[k] = v
		}
		if c.uiLocales != "" {
			extra.Set("ui_locales", c.uiLocales)
		}
		html := signInHTML(t, newBrowser(redirectURI), authURL(r.Issuer, r.appID, extra), c.acceptLanguage)
		if !strings.Contains(html, `<html lang="`+c.lang+`">`) || !strings.Contains(html, "<h1>"+c.title+"</h1>") ||
			(c.label != "" && !strings.Contains(html, `<label for="identifier">`+c.label+`</label>`)) {
			t.Errorf("Accept-Language %q, ui_locales %q: want lang %s, title %s, label %s; page:\n%.1500s", c.acceptLanguage, c.uiLocales, c.lang, c.title, c.label, html)
		}
	}
}

func TestSignInFollowsSettings(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	m := r.management(t)
	_, challenge := pkce("settings-")
	u := authURL(r.Issuer, r.appID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}})

	// Email only: the username no longer signs in, the email does.
	m.do("PATCH", "/api/sign-in-exp", map[string]any{
		"color":     map[string]any{"primaryColor": "#0A7F5A"},
		"customCss": ".card { border: 1px solid #0A7F5A; }",
		"signIn":    map[string]any{"methods": []map[string]any{{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
		"signUp":    map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true},
		"branding":  map[string]any{"logoUrl": "https://cdn.example/logo.svg"},
	}, 200, nil)
	b := newBrowser(redirectURI)
	html := signInHTML(t, b, u, "")
	if !strings.Contains(html, `<label for="identifier">Email</label>`) || !strings.Contains(html, `type="email"`) ||
		!strings.Contains(html, `src="https://cdn.example/logo.svg"`) {
		t.Fatalf("email-only page:\n%s", html)
	}
	action, csrf := b.signInPage(t, u)
	if resp := b.submit(t, action, csrf, "kitchen01", "Kitchen-Pass-2024!"); resp.StatusCode != 400 {
		t.Fatalf("username sign-in with email-only settings: %d", resp.StatusCode)
	}
	if loc := b.signIn(t, u, "kitchen@example.com", "Kitchen-Pass-2024!"); loc.Query().Get("code") == "" {
		t.Fatal("email sign-in gave no code")
	}
	resp, err := http.Get(r.URL + "/assets/theme.css")
	if err != nil {
		t.Fatal(err)
	}
	css, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(css), "--primary: #0A7F5A") || !strings.Contains(string(css), ".card { border: 1px solid #0A7F5A; }") {
		t.Fatalf("theme.css = %s", css)
	}
}

func TestIdentifierParameterNarrowsTheSignInPage(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	_, challenge := pkce("identifier-")
	u := authURL(r.Issuer, r.appID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"identifier": {"email"}, "login_hint": {"kitchen@example.com"}})
	b := newBrowser(redirectURI)
	html := signInHTML(t, b, u, "")
	if !strings.Contains(html, `<label for="identifier">Email</label>`) || !strings.Contains(html, `value="kitchen@example.com"`) {
		t.Fatalf("identifier=email with login_hint:\n%.800s", html)
	}
	action, csrf := b.signInPage(t, u)
	if resp := b.submit(t, action, csrf, "kitchen01", "Kitchen-Pass-2024!"); resp.StatusCode != 400 {
		t.Fatalf("username on an email-only screen: %d", resp.StatusCode)
	}
	if loc := newBrowser(redirectURI).signIn(t, u, "kitchen@example.com", "Kitchen-Pass-2024!"); loc.Query().Get("code") == "" {
		t.Fatal("email sign-in failed")
	}
}
