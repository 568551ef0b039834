package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The public names of the proxied deployment. .test is reserved (RFC 2606):
// these names resolve nowhere, so only a client told where they are (the
// browser's resolver rule, the test's dialer) reaches them.
const (
	proxyHost      = "auth.example.test"
	proxyAdminHost = "admin.auth.example.test"
	proxyEndpoint  = "https://" + proxyHost
	proxyAdminURL  = "https://" + proxyAdminHost
)

// tlsProxy is nginx terminating TLS on a loopback port for both names.
type tlsProxy struct {
	port  int
	roots *x509.CertPool
	logs  func() string
}

// nginxBinary finds Debian's nginx, which scripts/ensure-nginx.sh installs.
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	t.Fatal("the reverse-proxy test needs nginx: run scripts/ensure-nginx.sh (as root) to install Debian's nginx-light package")
	return ""
}

// writeSelfSignedCert writes cert.pem and key.pem for hosts into dir and
// returns a pool that trusts the certificate.
func writeSelfSignedCert(t *testing.T, dir string, hosts ...string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0]},
		DNSNames:              hosts,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// nginxConf is a complete nginx configuration: one TLS port, the public
// name to Gatehouse's public listener, the admin name to its admin
// listener, anything else refused. Every path is under the test's directory.
const nginxConf = `{{USER}}worker_processes 1;
error_log stderr notice;
events { worker_connections 128; }
http {
    access_log {{DIR}}/access.log;
    client_body_temp_path {{DIR}}/client_body;
    proxy_temp_path {{DIR}}/proxy;
    fastcgi_temp_path {{DIR}}/fastcgi;
    uwsgi_temp_path {{DIR}}/uwsgi;
    scgi_temp_path {{DIR}}/scgi;
    ssl_certificate {{DIR}}/cert.pem;
    ssl_certificate_key {{DIR}}/key.pem;

    server {
        listen 127.0.0.1:{{PORT}} ssl default_server;
        server_name _;
        return 421;
    }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name {{PUBLIC_HOST}};
        location / {
            proxy_pass http://127.0.0.1:{{PUBLIC_PORT}};
            proxy_set_header Host              $host;
            proxy_set_header X-Forwarded-Host  $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
        }
    }
    server {
        listen 127.0.0.1:{{PORT}} ssl;
        server_name {{ADMIN_HOST}};
        location / {
            proxy_pass http://127.0.0.1:{{ADMIN_PORT}};
            proxy_set_header Host              $host;
            proxy_set_header X-Forwarded-Host  $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
        }
    }
}
`

// startNginx runs nginx as a child process in front of Gatehouse's public
// and admin ports until the test ends.
func startNginx(t *testing.T, publicPort, adminPort int) *tlsProxy {
	t.Helper()
	bin := nginxBinary(t)
	dir := t.TempDir()
	roots := writeSelfSignedCert(t, dir, proxyHost, proxyAdminHost)
	port := freePort(t)
	user := ""
	if os.Geteuid() == 0 {
		// A root master switches its workers to nobody, who cannot enter
		// the test's private temporary directory.
		user = "user root;\n"
	}
	conf := strings.NewReplacer("{{USER}}", user, "{{DIR}}", dir, "{{PORT}}", strconv.Itoa(port),
		"{{PUBLIC_HOST}}", proxyHost, "{{ADMIN_HOST}}", proxyAdminHost,
		"{{PUBLIC_PORT}}", strconv.Itoa(publicPort), "{{ADMIN_PORT}}", strconv.Itoa(adminPort)).Replace(nginxConf)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-e", "stderr", "-p", dir+"/", "-c", confPath, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+";")
	var mu sync.Mutex
	var out bytes.Buffer
	cmd.Stdout = lockedWriter{&mu, &out}
	cmd.Stderr = lockedWriter{&mu, &out}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	logs := func() string {
		mu.Lock()
		defer mu.Unlock()
		access, _ := os.ReadFile(filepath.Join(dir, "access.log"))
		return out.String() + "\naccess log:\n" + string(access)
	}
	t.Cleanup(func() {
		// SIGQUIT: finish open requests, then stop master and workers.
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx:\n%s", logs())
		}
	})
	p := &tlsProxy{port: port, roots: roots, logs: logs}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("nginx exited at start:\n%s", logs())
		default:
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			&tls.Config{ServerName: proxyHost, RootCAs: roots})
		if err == nil {
			conn.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not answer TLS on port %d: %v\n%s", port, err, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// client returns an HTTP client that reaches the two public names at the
// proxy, as DNS would in production, and trusts the proxy's certificate
// only. It does not follow redirects when noRedirects is set.
func (p *tlsProxy) client(noRedirects bool) *http.Client {
	proxyAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err == nil && port == "443" && (host == proxyHost || host == proxyAdminHost) {
				addr = proxyAddr
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	if noRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// jsonCall sends a JSON request with a bearer token and decodes the answer.
func jsonCall(t *testing.T, c *http.Client, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d, body %.300s: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// urlsIn collects every string in a JSON document that looks like a URL.
func urlsIn(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "http://") || strings.HasPrefix(x, "https://") {
			*out = append(*out, x)
		}
	case []any:
		for _, e := range x {
			urlsIn(e, out)
		}
	case map[string]any:
		for _, e := range x {
			urlsIn(e, out)
		}
	}
}

// discoveryURLs fetches the discovery document and returns its URLs.
func discoveryURLs(t *testing.T, c *http.Client, rawURL, host string) []string {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("discovery at %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("discovery at %s: status %d, %v", rawURL, resp.StatusCode, err)
	}
	var urls []string
	urlsIn(doc, &urls)
	return urls
}

// TestReverseProxyTLS runs Gatehouse behind a real nginx terminating TLS for
// auth.example.test and admin.auth.example.test, names that resolve nowhere.
// The browser reaches them through a resolver rule: it sets up the console,
// creates an application and a user there, and signs the user in to a
// relying party that uses go-oidc and x/oauth2. Gatehouse itself runs as a
// separate process on this machine, which cannot resolve those names
// either, so nothing it does may depend on calling its own public URL.
func TestReverseProxyTLS(t *testing.T) {
	ctx := context.Background()
	for _, host := range []string{proxyHost, proxyAdminHost} {
		lookup, cancel := context.WithTimeout(ctx, 5*time.Second)
		addrs, err := net.DefaultResolver.LookupHost(lookup, host)
		cancel()
		if err == nil {
			t.Fatalf("%s resolves to %v on this machine; the test relies on it resolving nowhere", host, addrs)
		}
	}

	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "gatehouse.db")
	// An M2M application for the Management API, made before the server
	// starts, as a setup script would.
	out, stderr, code := cli(t, []string{"DB_URL=" + dbURL}, "", "app", "create", "--type", "MachineToMachine", "--name", "ops", "--role", "Logto Management API access")
	if code != 0 {
		t.Fatalf("app create: %s", stderr)
	}
	var ops struct{ ID, Secret string }
	json.Unmarshal([]byte(out), &ops)

	// serveWithAdmin shows the server's log when the test fails.
	base, adminPort, _ := serveWithAdmin(t, []string{"DB_URL=" + dbURL, "ENDPOINT=" + proxyEndpoint,
		"TRUST_PROXY_HEADER=true", "BIND=127.0.0.1"})
	publicPort, _ := strconv.Atoi(strings.TrimPrefix(base, "http://127.0.0.1:"))
	proxy := startNginx(t, publicPort, adminPort)
	client := proxy.client(false)

	// Discovery through the proxy names only the public URL...
	urls := discoveryURLs(t, client, proxyEndpoint+"/oidc/.well-known/openid-configuration", "")
	if len(urls) < 5 {
		t.Fatalf("discovery lists only %v", urls)
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, proxyEndpoint+"/") {
			t.Errorf("discovery through the proxy lists %s, not under %s", u, proxyEndpoint)
		}
	}
	// ...and so does discovery asked for directly, under another Host.
	for _, u := range discoveryURLs(t, http.DefaultClient, base+"/oidc/.well-known/openid-configuration", "evil.example:1234") {
		if !strings.HasPrefix(u, proxyEndpoint+"/") {
			t.Errorf("discovery with Host evil.example lists %s", u)
		}
	}
	// A Host that nginx does not serve is refused, not proxied.
	other, _ := http.NewRequest("GET", proxyEndpoint+"/oidc/jwks", nil)
	other.Host = "other.example.test"
	if resp, err := client.Do(other); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a request for another Host through the proxy: %v %v, want 421", resp, err)
	} else {
		resp.Body.Close()
	}

	// The Management API behind the proxy: a token from the public token
	// endpoint, checked in-process.
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://default.logto.app/api"}, "scope": {"all"}}
	req, _ := http.NewRequest("POST", proxyEndpoint+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ops.ID, ops.Secret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var mtok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&mtok)
	resp.Body.Close()
	if resp.StatusCode != 200 || mtok.AccessToken == "" {
		t.Fatalf("client_credentials through the proxy: %d", resp.StatusCode)
	}

	cb := newAppCallback(t)
	tab := newTabWith(t,
		chromedp.Flag("host-resolver-rules", fmt.Sprintf("MAP %s 127.0.0.1:%d,MAP %s 127.0.0.1:%d", proxyHost, proxy.port, proxyAdminHost, proxy.port)),
		chromedp.Flag("ignore-certificate-errors", true))

	const username, userPassword = "grace", "Proxy-Sign-In-2026!"
	var appID, appSecret, userID string
	if consoleServed(t, proxy) {
		appID, appSecret, userID = consoleSetup(t, tab, cb.URL, username, userPassword)
	} else {
		// The console is not served yet: the same records through the
		// Management API, still through the proxy.
		t.Log("the admin listener serves no console (/setup is 404): the application and user are created with the Management API")
		var app struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		}
		if st := jsonCall(t, client, "POST", proxyEndpoint+"/api/applications", mtok.AccessToken, map[string]any{"name": "Proxy App", "type": "Traditional",
			"oidcClientMetadata": map[string]any{"redirectUris": []string{cb.URL}, "postLogoutRedirectUris": []string{}}}, &app); st != 200 || app.Secret == "" {
			t.Fatalf("create application through the proxy: %d", st)
		}
		var user struct {
			ID string `json:"id"`
		}
		if st := jsonCall(t, client, "POST", proxyEndpoint+"/api/users", mtok.AccessToken, map[string]any{"username": username,
			"primaryEmail": "grace@example.com", "password": userPassword}, &user); st != 200 {
			t.Fatalf("create user through the proxy: %d", st)
		}
		appID, appSecret, userID = app.ID, app.Secret, user.ID
	}
	// The Management API sees what was created.
	var listed []struct {
		ID string `json:"id"`
	}
	if st := jsonCall(t, client, "GET", proxyEndpoint+"/api/applications?search="+url.QueryEscape("Proxy App"), mtok.AccessToken, nil, &listed); st != 200 || len(listed) != 1 || listed[0].ID != appID {
		t.Fatalf("the Management API through the proxy lists %v (status %d), want %s", listed, st, appID)
	}

	// The relying party: go-oidc and x/oauth2 on a client that reaches the
	// proxy.
	rpCtx := gooidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, client), client)
	provider, err := gooidc.NewProvider(rpCtx, proxyEndpoint+"/oidc")
	if err != nil {
		t.Fatalf("discovery with go-oidc through the proxy: %v", err)
	}
	conf := oauth2.Config{ClientID: appID, ClientSecret: appSecret, Endpoint: provider.Endpoint(), RedirectURL: cb.URL,
		Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}}
	verifier := oauth2.GenerateVerifier()
	state, nonce := "proxy-state", "proxy-nonce-"+strconv.FormatInt(time.Now().UnixNano(), 36)
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce))

	browserDo(t, tab, chromedp.Navigate(authURL), chromedp.WaitVisible(chromedp.ID("identifier")))
	if loc := browserRun(t, tab, chromedp.Location()); !strings.HasPrefix(loc, proxyEndpoint+"/sign-in/") {
		t.Fatalf("the authorization request led the browser to %s, not to %s/sign-in/", loc, proxyEndpoint)
	}
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.ID("identifier"), username),
		chromedp.SendKeys(chromedp.ID("password"), userPassword))
	landed, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`#sign-in-form button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submitting the sign-in form: %v", err)
	}
	if !strings.HasPrefix(landed.URL, cb.URL+"?") {
		t.Fatalf("after signing in the browser shows %s (status %d), not the application's callback", landed.URL, landed.Status)
	}
	q := cb.wait(t, tab)
	if q.Get("state") != state || q.Get("iss") != proxyEndpoint+"/oidc" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	tok, err := conf.Exchange(rpCtx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange through the proxy: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idToken, err := provider.Verifier(&gooidc.Config{ClientID: appID}).Verify(rpCtx, rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idToken.Issuer != proxyEndpoint+"/oidc" || idToken.Subject != userID || idToken.Nonce != nonce {
		t.Fatalf("ID token iss %q sub %q nonce %q; want %s/oidc, %s, %s", idToken.Issuer, idToken.Subject, idToken.Nonce, proxyEndpoint, userID, nonce)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token for offline_access")
	}
	info, err := provider.UserInfo(rpCtx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != userID {
		t.Fatalf("userinfo through the proxy: %+v, %v", info, err)
	}
	// The refresh token works through the proxy too.
	refreshed, err := conf.TokenSource(rpCtx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	if err != nil || refreshed.AccessToken == "" || refreshed.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh through the proxy: %v", err)
	}
}

// consoleServed reports whether the admin listener serves the console's
// first-administrator page.
func consoleServed(t *testing.T, proxy *tlsProxy) bool {
	t.Helper()
	resp, err := proxy.client(true).Get(proxyAdminURL + "/setup")
	if err != nil {
		t.Fatalf("admin listener through the proxy: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusNotFound
}

var consolePath = regexp.MustCompile(`^` + regexp.QuoteMeta(proxyAdminURL) + `/(applications|users)/([^/?#]+)$`)

// consoleSetup drives the admin console in the browser: the first
// administrator, a sign-out and a sign-in, then a Traditional application
// and a user. It returns the application's id and secret and the user's id.
func consoleSetup(t *testing.T, tab context.Context, redirectURI, username, userPassword string) (appID, appSecret, userID string) {
	t.Helper()
	const admin, adminPassword = "operator", "Console-Proxy-2026!"
	submit := func(form string) string {
		t.Helper()
		resp, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)))
		if err != nil {
			t.Fatalf("submitting %s: %v", form, err)
		}
		if resp.Status != 200 {
			t.Fatalf("submitting %s led to %s with status %d", form, resp.URL, resp.Status)
		}
		return resp.URL
	}

	// Before any administrator exists every page leads to /setup.
	browserDo(t, tab, chromedp.Navigate(proxyAdminURL+"/"), chromedp.WaitVisible(chromedp.CSS(`[name="username"]`)))
	if loc := browserRun(t, tab, chromedp.Location()); loc != proxyAdminURL+"/setup" {
		t.Fatalf("the console's front page led to %s, want %s/setup", loc, proxyAdminURL)
	}
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.CSS(`[name="username"]`), admin),
		chromedp.SendKeys(chromedp.CSS(`[name="password"]`), adminPassword))
	if loc := submit(`form:has([name="password"])`); loc != proxyAdminURL+"/" {
		t.Fatalf("first administrator setup led to %s, want the console's front page", loc)
	}

	// Sign out, then sign in again with the new account.
	if _, err := chromedp.RunResponse(tab, chromedp.Submit(chromedp.CSS(`form[action="/sign-out"]`))); err != nil {
		t.Fatalf("signing out of the console: %v", err)
	}
	browserDo(t, tab, chromedp.Navigate(proxyAdminURL+"/sign-in"), chromedp.WaitVisible(chromedp.CSS(`[name="username"]`)))
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.CSS(`[name="username"]`), admin),
		chromedp.SendKeys(chromedp.CSS(`[name="password"]`), adminPassword))
	if loc := submit(`form:has([name="password"])`); loc != proxyAdminURL+"/" {
		t.Fatalf("console sign-in led to %s, want the console's front page", loc)
	}
	// nginx said X-Forwarded-Proto: https and TRUST_PROXY_HEADER is on, so
	// the console knows the browser is on HTTPS: its cookies are Secure
	// (and __Host- prefixed) although Gatehouse itself speaks plain HTTP.
	var cookies network.GetCookiesResult
	browserDo(t, tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
		cookies, err = cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{proxyAdminURL + "/"}})
		return err
	}))
	hostCookie := false
	for _, c := range cookies.Cookies {
		if !c.Secure || !c.HTTPOnly {
			t.Errorf("console cookie %s: Secure %v, HttpOnly %v; want both behind the TLS proxy", c.Name, c.Secure, c.HTTPOnly)
		}
		hostCookie = hostCookie || strings.HasPrefix(c.Name, "__Host-")
	}
	if !hostCookie {
		t.Errorf("no __Host- cookie among the console's cookies %v: the console did not see HTTPS", cookieNames(cookies.Cookies))
	}

	browserDo(t, tab, chromedp.Navigate(proxyAdminURL+"/applications/new"), chromedp.WaitVisible(chromedp.CSS(`[name="name"]`)))
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.CSS(`[name="name"]`), "Proxy App"),
		chromedp.SetValue(chromedp.CSS(`select[name="type"]`), "Traditional"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="redirectUris"]`), redirectURI))
	loc := submit(`form:has([name="redirectUris"])`)
	m := consolePath.FindStringSubmatch(loc)
	if m == nil || m[1] != "applications" {
		t.Fatalf("creating the application led to %s, want %s/applications/{id}", loc, proxyAdminURL)
	}
	shown := `(id => { const e = document.getElementById(id); return e ? (e.value || e.textContent).trim() : ""; })`
	appID = browserRun(t, tab, chromedp.Evaluate[string](shown+`("app-id")`))
	appSecret = browserRun(t, tab, chromedp.Evaluate[string](shown+`("app-secret")`))
	if appID != m[2] || appSecret == "" {
		t.Fatalf("the application page shows id %q (URL says %q) and a secret of %d characters", appID, m[2], len(appSecret))
	}

	browserDo(t, tab, chromedp.Navigate(proxyAdminURL+"/users/new"), chromedp.WaitVisible(chromedp.CSS(`[name="username"]`)))
	browserDo(t, tab,
		chromedp.SendKeys(chromedp.CSS(`[name="username"]`), username),
		chromedp.SendKeys(chromedp.CSS(`[name="primaryEmail"]`), "grace@example.com"),
		chromedp.SendKeys(chromedp.CSS(`[name="password"]`), userPassword))
	loc = submit(`form:has([name="primaryEmail"])`)
	if m = consolePath.FindStringSubmatch(loc); m == nil || m[1] != "users" {
		t.Fatalf("creating the user led to %s, want %s/users/{id}", loc, proxyAdminURL)
	}
	t.Logf("console through the proxy: administrator %s set up and signed in; created application %s and user %s", admin, appID, m[2])
	return appID, appSecret, m[2]
}

func cookieNames(cs []*network.Cookie) []string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}
