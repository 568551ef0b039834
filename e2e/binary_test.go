package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// gatehouseBinary builds cmd/gatehouse once per test run.
func gatehouseBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gatehouse")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/gatehouse").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cli runs a gatehouse command and returns stdout, stderr and the exit code.
func cli(t *testing.T, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gatehouseBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// handedOut remembers the ports freePort gave, so that two calls never
// return the same one (the kernel may offer a just-closed port again).
var (
	handedOutMu sync.Mutex
	handedOut   = map[int]bool{}
)

func freePort(t *testing.T) int {
	t.Helper()
	handedOutMu.Lock()
	defer handedOutMu.Unlock()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut[port] {
			handedOut[port] = true
			return port
		}
	}
}

// serveProcess starts `gatehouse serve` and waits until it answers.
func serveProcess(t *testing.T, env []string) (baseURL string) {
	t.Helper()
	port, adminPort := freePort(t), freePort(t)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PORT="); ok {
			fmt.Sscan(v, &port)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, gatehouseBinary(t), "serve")
	cmd.Env = append(os.Environ(), append([]string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ADMIN_PORT=%d", adminPort)}, env...)...)
	cmd.Dir = t.TempDir()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logDone := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
		}
		close(logDone)
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		<-logDone
		if t.Failed() {
			t.Logf("server on port %d logged:\n%s", port, logs.String())
		}
	})
	baseURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(baseURL + "/api/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 204 {
				return baseURL
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("gatehouse serve on port %d did not become ready", port)
	return ""
}

func TestCLIBootstrap(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		env := []string{"DB_URL=" + dbURL}
		if _, stderr, code := cli(t, env, "", "db", "migrate"); code != 0 {
			t.Fatalf("db migrate: %d %s", code, stderr)
		}
		out, stderr, code := cli(t, env, "", "app", "create", "--type", "MachineToMachine", "--name", "bootstrap", "--role", "Logto Management API access")
		if code != 0 {
			t.Fatalf("app create: %d %s", code, stderr)
		}
		var app struct{ ID, Secret, Type string }
		if err := json.Unmarshal([]byte(out), &app); err != nil || app.ID == "" || len(app.Secret) < 43 || app.Type != "MachineToMachine" {
			t.Fatalf("app create printed %q (%v)", out, err)
		}
		out, stderr, code = cli(t, env, "", "app", "create", "--type", "Traditional", "--name", "web",
			"--redirect-uri", "https://app.example/callback", "--redirect-uri", "http://localhost:3000/callback",
			"--post-logout-redirect-uri", "https://app.example")
		if code != 0 || !strings.Contains(out, `"https://app.example/callback"`) || !strings.Contains(out, `"http://localhost:3000/callback"`) {
			t.Fatalf("traditional app create: %d %s %s", code, out, stderr)
		}
		out, stderr, code = cli(t, env, "S3cret-pass!\n", "user", "create", "--username", "alice", "--email", "alice@example.com", "--password-stdin")
		if code != 0 || !strings.Contains(out, `"username": "alice"`) || strings.Contains(out, "argon2") {
			t.Fatalf("user create: %d %s %s", code, out, stderr)
		}
		// Bad input: non-zero exit, one clear line on stderr, nothing on stdout.
		for _, args := range [][]string{
			{"app", "create", "--type", "Desktop", "--name", "x"},
			{"app", "create", "--type", "SPA", "--name", "x", "--redirect-uri", "not a url"},
			{"app", "create", "--type", "MachineToMachine", "--name", "x", "--role", "no such role"},
			{"user", "create", "--username", "alice", "--password-stdin"},
			{"user", "create", "--username", "9bad"},
		} {
			out, stderr, code := cli(t, env, "pw\n", args...)
			if code == 0 || out != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stderr == "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, stderr)
			}
		}

		// The bootstrap app takes a Management API token from a running server.
		base := serveProcess(t, env)
		res := tokenRequest(t, base+"/oidc", app.ID, app.Secret, map[string][]string{
			"grant_type": {"client_credentials"}, "resource": {"https://default.logto.app/api"}, "scope": {"all"}})
		if res.status != 200 || res.Scope != "all" {
			t.Fatalf("token for the bootstrap app: %d %s", res.status, res.raw)
		}
	})
}

func TestServeRejectsBadSettings(t *testing.T) {
	for _, c := range []struct{ env, want string }{
		{"PORT=http", "PORT"},
		{"ENDPOINT=localhost:3001", "ENDPOINT"},
		{"DB_URL=mysql://x", "DB_URL"},
		{"TRUST_PROXY_HEADER=maybe", "TRUST_PROXY_HEADER"},
		{"ENCRYPTION_KEY=short", "ENCRYPTION_KEY"},
	} {
		_, stderr, code := cli(t, []string{c.env}, "", "serve")
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q", c.env, code, stderr)
		}
	}
}

// TestTwoProcessesOneDatabase starts two servers on one PostgreSQL database
// and completes a sign-in that starts on one and finishes on the other.
func TestTwoProcessesOneDatabase(t *testing.T) {
	dbURL := sqltestPostgresDSN(t)
	// Both start at once on an empty database: migrations and seeding race.
	firstPort := freePort(t)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", firstPort)
	env := []string{"DB_URL=" + dbURL, "ENDPOINT=" + endpoint}
	var wg sync.WaitGroup
	urls := make([]string, 2)
	for i := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodeEnv := env
			if i == 0 {
				// Node A listens where ENDPOINT points, as the load balancer would.
				nodeEnv = append([]string{fmt.Sprintf("PORT=%d", firstPort)}, env...)
			}
			urls[i] = serveProcess(t, nodeEnv)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	a, b := urls[0], urls[1]
	out, stderr, code := cli(t, env, "", "app", "create", "--type", "Traditional", "--name", "web", "--redirect-uri", redirectURI)
	if code != 0 {
		t.Fatalf("app create: %s", stderr)
	}
	var app struct{ ID, Secret string }
	json.Unmarshal([]byte(out), &app)
	if _, stderr, code := cli(t, env, "pw-Kitchen-2024\n", "user", "create", "--username", "kitchen01", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %s", stderr)
	}
	verifier, challenge := pkce("two-nodes-")
	br := newBrowser(redirectURI)
	// The authorization request and sign-in page come from node A...
	actionOnA, csrf := br.signInPage(t, strings.Replace(authURL(a+"/oidc", app.ID, map[string][]string{
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}), a, a, 1))
	// ...the password is posted to node B...
	actionOnB := strings.Replace(actionOnA, a, b, 1)
	resp := br.submit(t, actionOnB, csrf, "kitchen01", "pw-Kitchen-2024")
	loc, err := resp.Location()
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("sign-in on node B: %d %v", resp.StatusCode, loc)
	}
	// ...and the code is exchanged on node B, then refreshed on node A.
	res := tokenRequest(t, b+"/oidc", app.ID, app.Secret, map[string][]string{"grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}})
	if res.status != 200 || res.IDToken == "" {
		t.Fatalf("code exchange on node B: %d %s", res.status, res.raw)
	}
	// Both nodes publish the same keys and name the same issuer.
	for _, node := range []string{a, b} {
		resp, err := http.Get(node + "/oidc/jwks")
		if err != nil {
			t.Fatal(err)
		}
		var set struct{ Keys []struct{ Kid string } }
		json.NewDecoder(resp.Body).Decode(&set)
		resp.Body.Close()
		if len(set.Keys) < 2 {
			t.Fatalf("node %s publishes %d keys", node, len(set.Keys))
		}
	}
	verifyAccessTokenIssuer(t, a+"/oidc", endpoint+"/oidc", app.ID, res.IDToken)
}

// verifyAccessTokenIssuer checks a JWT against one node's JWKS and the shared issuer.
func verifyAccessTokenIssuer(t *testing.T, nodeIssuerURL, issuer, audience, raw string) {
	t.Helper()
	ctx := context.Background()
	keySet := newRemoteKeySet(ctx, nodeIssuerURL+"/jwks")
	if _, err := newVerifier(issuer, keySet, audience).Verify(ctx, raw); err != nil {
		t.Fatalf("token from one node does not verify with the other's JWKS: %v", err)
	}
}

// TestEncryptionAtRest checks that with ENCRYPTION_KEY no private key or
// client secret is readable in the database, and that the server still
// signs with those keys and accepts those secrets.
func TestEncryptionAtRest(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "enc.db")
	env := []string{"DB_URL=sqlite:" + dbPath, "ENCRYPTION_KEY=q3m0Jc0hQ0rZ9Yb6nS2lWmQ5tX8uV1aB4cD7eF0gH2I="}
	out, stderr, code := cli(t, env, "", "app", "create", "--type", "MachineToMachine", "--name", "w", "--role", "Logto Management API access")
	if code != 0 {
		t.Fatalf("app create: %s", stderr)
	}
	var app struct{ ID, Secret string }
	json.Unmarshal([]byte(out), &app)
	raw, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"PRIVATE KEY", "plain:", app.Secret} {
		if bytes.Contains(raw, []byte(leak)) {
			t.Fatalf("the database file contains %q in the clear", leak)
		}
	}
	if !bytes.Contains(raw, []byte("v1:")) {
		t.Fatal("no sealed values in the database")
	}
	base := serveProcess(t, env)
	res := tokenRequest(t, base+"/oidc", app.ID, app.Secret, map[string][]string{"grant_type": {"client_credentials"},
		"resource": {"https://default.logto.app/api"}})
	if res.status != 200 {
		t.Fatalf("token with encrypted keys: %d %s", res.status, res.raw)
	}
	// Without the key the server refuses to start instead of running keyless.
	if _, stderr, code := cli(t, []string{"DB_URL=sqlite:" + dbPath, "PORT=0", "ADMIN_PORT=0"}, "", "serve"); code == 0 || !strings.Contains(stderr, "ENCRYPTION_KEY") {
		t.Fatalf("start without the key: exit %d, %s", code, stderr)
	}
}
