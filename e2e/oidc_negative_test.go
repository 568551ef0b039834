package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// pkce returns a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func authURL(issuer, clientID string, extra url.Values) string {
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"openid offline_access profile"}, "state": {"s1"}}
	for k, v := range extra {
		q[k] = v
	}
	return issuer + "/auth?" + q.Encode()
}

// codeFor signs in through the browser and returns a fresh authorization code.
func (r *restaurant) codeFor(t *testing.T, challenge string, extra url.Values) string {
	t.Helper()
	if extra == nil {
		extra = url.Values{}
	}
	if challenge != "" {
		extra.Set("code_challenge", challenge)
		extra.Set("code_challenge_method", "S256")
	}
	loc := newBrowser(redirectURI).signIn(t, authURL(r.Issuer, r.appID, extra), "kitchen01", "Kitchen-Pass-2024!")
	return loc.Query().Get("code")
}

func (r *restaurant) exchange(t *testing.T, code, verifier string, extra url.Values) tokenResult {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	for k, v := range extra {
		form[k] = v
	}
	return tokenRequest(t, r.Issuer, r.appID, r.appSecret, form)
}

func TestAuthorizationCodeMisuse(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		r := newRestaurant(t, dbURL)
		verifier, challenge := pkce("verifier-")

		t.Run("reused code revokes its tokens", func(t *testing.T) {
			code := r.codeFor(t, challenge, nil)
			first := r.exchange(t, code, verifier, nil)
			if first.status != 200 || first.RefreshToken == "" {
				t.Fatalf("first exchange: %d %s", first.status, first.raw)
			}
			second := r.exchange(t, code, verifier, nil)
			if second.status != 400 || second.Error != "invalid_grant" {
				t.Fatalf("replayed code: %d %s", second.status, second.raw)
			}
			refresh := tokenRequest(t, r.Issuer, r.appID, r.appSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}})
			if refresh.status != 400 || refresh.Error != "invalid_grant" {
				t.Fatalf("refresh token of a replayed code still works: %d %s", refresh.status, refresh.raw)
			}
			if status := userinfoStatus(t, r.Issuer, first.AccessToken); status != 401 {
				t.Fatalf("access token of a replayed code still works at userinfo: %d", status)
			}
		})

		t.Run("PKCE mismatch", func(t *testing.T) {
			code := r.codeFor(t, challenge, nil)
			other, _ := pkce("another-")
			if res := r.exchange(t, code, other, nil); res.status != 400 || res.Error != "invalid_grant" {
				t.Fatalf("wrong verifier: %d %s", res.status, res.raw)
			}
			// The failed attempt did not use the code up.
			if res := r.exchange(t, code, verifier, nil); res.status != 200 {
				t.Fatalf("right verifier after a wrong one: %d %s", res.status, res.raw)
			}
			code = r.codeFor(t, challenge, nil)
			if res := r.exchange(t, code, "", nil); res.status != 400 || res.Error != "invalid_grant" {
				t.Fatalf("missing verifier: %d %s", res.status, res.raw)
			}
		})

		t.Run("expired code", func(t *testing.T) {
			code := r.codeFor(t, challenge, nil)
			r.Clock.Advance(11 * time.Minute)
			defer r.Clock.Advance(-11 * time.Minute)
			if res := r.exchange(t, code, verifier, nil); res.status != 400 || res.Error != "invalid_grant" {
				t.Fatalf("expired code: %d %s", res.status, res.raw)
			}
		})

		t.Run("redirect_uri mismatch at the token endpoint", func(t *testing.T) {
			code := r.codeFor(t, challenge, nil)
			if res := r.exchange(t, code, verifier, url.Values{"redirect_uri": {"http://localhost:3000/other"}}); res.status != 400 || res.Error != "invalid_grant" {
				t.Fatalf("other redirect_uri: %d %s", res.status, res.raw)
			}
		})

		t.Run("code of another client", func(t *testing.T) {
			otherID, otherSecret := r.createApp(t, apps.Input{Name: "other", Type: store.Traditional, RedirectURIs: []string{redirectURI}})
			code := r.codeFor(t, challenge, nil)
			res := tokenRequest(t, r.Issuer, otherID, otherSecret, url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {redirectURI}, "code_verifier": {verifier}})
			if res.status != 400 || res.Error != "invalid_grant" {
				t.Fatalf("foreign client: %d %s", res.status, res.raw)
			}
		})

		t.Run("resource not authorized", func(t *testing.T) {
			code := r.codeFor(t, challenge, nil)
			if res := r.exchange(t, code, verifier, url.Values{"resource": {ordersAPI}}); res.status != 400 || res.Error != "invalid_target" {
				t.Fatalf("resource absent from the authorization: %d %s", res.status, res.raw)
			}
		})
	})
}

func TestRefreshTokenReuseRevokesFamily(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		r := newRestaurant(t, dbURL)
		verifier, challenge := pkce("refresh-")
		code := r.codeFor(t, challenge, url.Values{"resource": {ordersAPI}})
		first := r.exchange(t, code, verifier, nil)
		if first.status != 200 {
			t.Fatalf("exchange: %d %s", first.status, first.raw)
		}
		refresh := func(rt string, extra url.Values) tokenResult {
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
			for k, v := range extra {
				form[k] = v
			}
			return tokenRequest(t, r.Issuer, r.appID, r.appSecret, form)
		}
		second := refresh(first.RefreshToken, nil)
		if second.status != 200 {
			t.Fatalf("refresh: %d %s", second.status, second.raw)
		}
		// An unknown resource fails without using the token up.
		if res := refresh(second.RefreshToken, url.Values{"resource": {"https://unknown.example"}}); res.status != 400 || res.Error != "invalid_target" {
			t.Fatalf("unknown resource: %d %s", res.status, res.raw)
		}
		// A scope beyond the grant is refused.
		if res := refresh(second.RefreshToken, url.Values{"scope": {"openid email"}}); res.status != 400 || res.Error != "invalid_scope" {
			t.Fatalf("wider scope: %d %s", res.status, res.raw)
		}
		third := refresh(second.RefreshToken, url.Values{"resource": {ordersAPI}})
		if third.status != 200 {
			t.Fatalf("refresh with resource: %d %s", third.status, third.raw)
		}
		// Replaying the first refresh token revokes the whole family, including the newest token.
		if res := refresh(first.RefreshToken, nil); res.status != 400 || res.Error != "invalid_grant" {
			t.Fatalf("reused refresh token: %d %s", res.status, res.raw)
		}
		if res := refresh(third.RefreshToken, nil); res.status != 400 || res.Error != "invalid_grant" {
			t.Fatalf("the family's newest token survived a reuse: %d %s", res.status, res.raw)
		}
		if status := userinfoStatus(t, r.Issuer, second.AccessToken); status != 401 {
			t.Fatalf("the family's access token survived a reuse: %d", status)
		}
	})
}

func TestAuthorizationRequestErrors(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	spaID, _ := r.createApp(t, apps.Input{Name: "spa", Type: store.SPA, RedirectURIs: []string{redirectURI}})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string) {
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	// Errors that must never redirect: unknown client, unregistered redirect URI.
	for name, u := range map[string]string{
		"unknown client":       authURL(r.Issuer, "nope", nil),
		"foreign redirect URI": strings.Replace(authURL(r.Issuer, r.appID, nil), url.QueryEscape(redirectURI), url.QueryEscape("https://evil.example/cb"), 1),
		"redirect URI prefix":  strings.Replace(authURL(r.Issuer, r.appID, nil), url.QueryEscape(redirectURI), url.QueryEscape(redirectURI+"/x"), 1),
		"repeated client_id":   authURL(r.Issuer, r.appID, nil) + "&client_id=" + r.appID,
	} {
		resp, body := get(u)
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: status %d, location %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
		if strings.Contains(body, "goroutine") {
			t.Errorf("%s: the page shows a stack trace", name)
		}
	}
	// Errors that go back to the validated redirect URI with state.
	_, challenge := pkce("x-")
	cases := []struct {
		name     string
		clientID string
		extra    url.Values
		code     string
	}{
		{"unknown resource", r.appID, url.Values{"resource": {"https://unknown.example"}}, "invalid_target"},
		{"response_type token", r.appID, url.Values{"response_type": {"token"}}, "unsupported_response_type"},
		{"no openid", r.appID, url.Values{"scope": {"profile"}}, "invalid_scope"},
		{"SPA without PKCE", spaID, nil, "invalid_request"},
		{"plain PKCE", spaID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"plain"}}, "invalid_request"},
		{"prompt=none without session", r.appID, url.Values{"prompt": {"none"}}, "login_required"},
		{"request object", r.appID, url.Values{"request": {"eyJ..."}}, "request_not_supported"},
	}
	for _, c := range cases {
		resp, _ := get(authURL(r.Issuer, c.clientID, c.extra))
		loc, err := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
			t.Errorf("%s: status %d, location %v", c.name, resp.StatusCode, loc)
			continue
		}
		if q := loc.Query(); q.Get("error") != c.code || q.Get("state") != "s1" {
			t.Errorf("%s: redirect query %v, want error=%s", c.name, q, c.code)
		}
	}
}

func TestTokenEndpointInputHandling(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	post := func(contentType, body string) tokenResult {
		req, _ := http.NewRequest("POST", r.Issuer+"/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.SetBasicAuth(r.appID, r.appSecret)
		return do(t, req)
	}
	cases := []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"JSON body", "application/json", `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"malformed form", "application/x-www-form-urlencoded", "grant_type=%zz", 400, "invalid_request"},
		{"repeated parameter", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=a&code=b", 400, "invalid_request"},
		{"oversized body", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=" + strings.Repeat("a", 100<<10), 413, "invalid_request"},
		{"missing code", "application/x-www-form-urlencoded", "grant_type=authorization_code", 400, "invalid_request"},
		{"unknown code", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=nope&redirect_uri=" + url.QueryEscape(redirectURI), 400, "invalid_grant"},
	}
	for _, c := range cases {
		res := post(c.contentType, c.body)
		if res.status != c.status || res.Error != c.code {
			t.Errorf("%s: got %d %s, want %d %s", c.name, res.status, res.raw, c.status, c.code)
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", c.name, res.header)
		}
	}
	// Both Basic and a body secret at once is two methods: refused.
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI}, "client_secret": {r.appSecret}}
	if res := tokenRequest(t, r.Issuer, r.appID, r.appSecret, form); res.status != 400 || res.Error != "invalid_request" {
		t.Errorf("two client authentication methods: %d %s", res.status, res.raw)
	}
}

func TestClientSecretThrottling(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	appID, secret := in.createApp(t, apps.Input{Name: "worker", Type: store.MachineToMachine, RoleNames: []string{"Logto Management API access"}})
	form := func() url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "resource": {"https://default.logto.app/api"}}
	}
	var last tokenResult
	for i := 0; i < 25; i++ {
		last = tokenRequest(t, in.Issuer, appID, "wrong-secret", form())
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Fatalf("after 25 wrong secrets: %d %s, Retry-After %q", last.status, last.raw, last.header.Get("Retry-After"))
	}
	// The right secret is never refused by the limiter.
	if res := tokenRequest(t, in.Issuer, appID, secret, form()); res.status != 200 {
		t.Fatalf("correct secret while throttled: %d %s", res.status, res.raw)
	}
}

func TestSessionPromptAndLogout(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		r := newRestaurant(t, dbURL)
		_, challenge := pkce("session-")
		extra := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		b := newBrowser(redirectURI)
		b.signIn(t, authURL(r.Issuer, r.appID, extra), "kitchen01", "Kitchen-Pass-2024!")

		// With a session, prompt=none gets a code without a page.
		noneExtra := url.Values{"prompt": {"none"}, "nonce": {"n2"}}
		for k, v := range extra {
			noneExtra[k] = v
		}
		resp, err := b.Get(authURL(r.Issuer, r.appID, noneExtra))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
			t.Fatalf("prompt=none with a session: %d %v", resp.StatusCode, loc)
		}
		// prompt=login asks again.
		loginExtra := url.Values{"prompt": {"login"}}
		for k, v := range extra {
			loginExtra[k] = v
		}
		b.signInPage(t, authURL(r.Issuer, r.appID, loginExtra))

		// Logout to an unregistered URI is refused with a page; to a registered one it redirects with state.
		resp, _ = b.Get(r.Issuer + "/session/end?client_id=" + r.appID + "&post_logout_redirect_uri=" + url.QueryEscape("https://evil.example"))
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("logout to an unregistered URI: %d", resp.StatusCode)
		}
		b.stopAt = "http://localhost:3000"
		resp, _ = b.Get(r.Issuer + "/session/end?client_id=" + r.appID + "&state=bye&post_logout_redirect_uri=" + url.QueryEscape("http://localhost:3000"))
		resp.Body.Close()
		loc, _ = resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("state") != "bye" {
			t.Fatalf("logout: %d %v", resp.StatusCode, loc)
		}
		// The session is gone: prompt=none now needs a login.
		b.stopAt = redirectURI
		resp, _ = b.Get(authURL(r.Issuer, r.appID, noneExtra))
		resp.Body.Close()
		loc, _ = resp.Location()
		if loc == nil || loc.Query().Get("error") != "login_required" {
			t.Fatalf("prompt=none after logout: %v", loc)
		}
	})
}

func TestSignInFailures(t *testing.T) {
	r := newRestaurant(t, sqltestSQLite(t))
	_, challenge := pkce("signin-")
	u := authURL(r.Issuer, r.appID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}})
	b := newBrowser(redirectURI)
	action, csrf := b.signInPage(t, u)
	if resp := b.submit(t, action, csrf, "kitchen01", "wrong"); resp.StatusCode != 400 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp := b.submit(t, action, csrf, "nobody", "wrong"); resp.StatusCode != 400 {
		t.Fatalf("unknown user: %d", resp.StatusCode)
	}
	if resp := b.submit(t, action, "forged", "kitchen01", "Kitchen-Pass-2024!"); resp.StatusCode != 403 {
		t.Fatalf("wrong CSRF token: %d", resp.StatusCode)
	}
	// Another browser cannot use this interaction.
	if resp := newBrowser(redirectURI).submit(t, action, csrf, "kitchen01", "Kitchen-Pass-2024!"); resp.StatusCode != 400 {
		t.Fatalf("foreign browser: %d", resp.StatusCode)
	}
	// A cross-site post is refused.
	req, _ := http.NewRequest("POST", action, strings.NewReader(url.Values{"csrf_token": {csrf}, "identifier": {"kitchen01"}, "password": {"Kitchen-Pass-2024!"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site post: %d", resp.StatusCode)
	}
	// Lockout after 10 failures for the identifier, even with the right password.
	for i := 0; i < 10; i++ {
		b.submit(t, action, csrf, "kitchen01", "wrong")
	}
	if resp := b.submit(t, action, csrf, "kitchen01", "Kitchen-Pass-2024!"); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked out identifier: %d", resp.StatusCode)
	}
	// The source IP is locked too: another identifier from it is refused.
	if resp := b.submit(t, action, csrf, "someone.else", "whatever"); resp.StatusCode != 429 {
		t.Fatalf("locked out IP: %d", resp.StatusCode)
	}
	// The lockout ends with its window; email works as identifier too.
	r.Clock.Advance(11 * time.Minute)
	defer r.Clock.Advance(-11 * time.Minute)
	b2 := newBrowser(redirectURI)
	loc := b2.signIn(t, u, "KITCHEN@example.com", "Kitchen-Pass-2024!")
	if loc.Query().Get("code") == "" {
		t.Fatal("no code")
	}
}

func userinfoStatus(t *testing.T, issuer, token string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", issuer+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestConcurrentRefreshChains runs several rotating refresh chains at once,
// each refresh a transaction: on SQLite they queue for the one write lock.
func TestConcurrentRefreshChains(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		r := newRestaurant(t, dbURL)
		verifier, challenge := pkce("chains-")
		const chains, steps = 20, 5
		tokens := make([]string, chains)
		for i := range tokens {
			res := r.exchange(t, r.codeFor(t, challenge, url.Values{"resource": {ordersAPI}}), verifier, nil)
			if res.status != 200 {
				t.Fatalf("exchange: %d %s", res.status, res.raw)
			}
			tokens[i] = res.RefreshToken
		}
		// Expire the provider's caches so every chain's first refresh reads
		// the resource and the role grants inside its transaction.
		r.Clock.Advance(11 * time.Second)
		errs := make(chan string, chains)
		for i := range tokens {
			go func() {
				rt := tokens[i]
				for step := 0; step < steps; step++ {
					res := tokenRequest(t, r.Issuer, r.appID, r.appSecret, url.Values{"grant_type": {"refresh_token"},
						"refresh_token": {rt}, "resource": {ordersAPI}})
					if res.status != 200 {
						errs <- res.raw
						return
					}
					rt = res.RefreshToken
				}
				errs <- ""
			}()
		}
		for range tokens {
			if e := <-errs; e != "" {
				t.Fatalf("refresh chain failed: %s", e)
			}
		}
	})
}
