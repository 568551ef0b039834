package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The deployment files are configuration that tests cannot run here (no
// Docker daemon in CI), so these tests pin the properties that keep a
// deployment safe: the admin listener never reaches a public address, the
// database is persistent and healthy before Gatehouse starts, and the image
// runs as non-root.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       any            `yaml:"build"`
	Restart     string         `yaml:"restart"`
	Environment yaml.Node      `yaml:"environment"`
	Ports       []yaml.Node    `yaml:"ports"`
	Volumes     []yaml.Node    `yaml:"volumes"`
	DependsOn   yaml.Node      `yaml:"depends_on"`
	Healthcheck map[string]any `yaml:"healthcheck"`
}

func loadCompose(t *testing.T, path string) composeFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, name := range []string{"postgres", "gatehouse"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("%s: no %q service", path, name)
		}
	}
	return c
}

// env returns a service's environment, whether written as a map or a list;
// a list entry without "=" (a Coolify declaration) maps to "".
func (s composeService) env(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	switch s.Environment.Kind {
	case 0:
	case yaml.MappingNode:
		var m map[string]string
		if err := s.Environment.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			env[k] = v
		}
	case yaml.SequenceNode:
		var l []string
		if err := s.Environment.Decode(&l); err != nil {
			t.Fatal(err)
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	default:
		t.Fatalf("environment is neither a map nor a list")
	}
	return env
}

type portMapping struct{ raw, hostIP, published, target string }

// ports parses the short ("[IP:]HOST:CONTAINER[/proto]") and long
// (target/published/host_ip) port syntaxes.
func (s composeService) ports(t *testing.T) []portMapping {
	t.Helper()
	var out []portMapping
	for _, n := range s.Ports {
		switch n.Kind {
		case yaml.ScalarNode:
			raw := n.Value
			spec, _, _ := strings.Cut(raw, "/")
			parts := strings.Split(spec, ":")
			p := portMapping{raw: raw, target: parts[len(parts)-1]}
			switch len(parts) {
			case 1:
			case 2:
				p.published = parts[0]
			case 3:
				p.hostIP, p.published = parts[0], parts[1]
			default:
				t.Fatalf("port %q: cannot parse (IPv6 host addresses are not expected here)", raw)
			}
			out = append(out, p)
		case yaml.MappingNode:
			var m struct {
				Target    any    `yaml:"target"`
				Published any    `yaml:"published"`
				HostIP    string `yaml:"host_ip"`
			}
			if err := n.Decode(&m); err != nil {
				t.Fatal(err)
			}
			out = append(out, portMapping{raw: fmt.Sprint(m), hostIP: m.HostIP,
				published: fmt.Sprint(m.Published), target: fmt.Sprint(m.Target)})
		default:
			t.Fatalf("ports entry of kind %d", n.Kind)
		}
	}
	return out
}

var composeVar = regexp.MustCompile(`\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*`)

func checkComposeInvariants(t *testing.T, path string) composeFile {
	t.Helper()
	c := loadCompose(t, path)
	pg, gh := c.Services["postgres"], c.Services["gatehouse"]

	if pg.Image != "postgres:17" {
		t.Errorf("postgres image %q, want postgres:17", pg.Image)
	}
	named := false
	for _, v := range pg.Volumes {
		var src, dst string
		if v.Kind == yaml.ScalarNode {
			parts := strings.Split(v.Value, ":")
			if len(parts) >= 2 {
				src, dst = parts[0], parts[1]
			}
		} else {
			var m struct{ Type, Source, Target string }
			v.Decode(&m)
			if m.Type == "volume" {
				src, dst = m.Source, m.Target
			}
		}
		if _, declared := c.Volumes[src]; declared && dst == "/var/lib/postgresql/data" {
			named = true
		}
	}
	if !named {
		t.Errorf("postgres data (/var/lib/postgresql/data) is not on a named volume declared under volumes:")
	}
	if hc := fmt.Sprint(pg.Healthcheck["test"]); !strings.Contains(hc, "pg_isready") {
		t.Errorf("postgres healthcheck %q does not run pg_isready", hc)
	}

	// No service may publish the admin port, or PostgreSQL, on a public
	// address; the admin port must be published somewhere (on loopback).
	adminPublished := false
	for name, s := range c.Services {
		for _, p := range s.ports(t) {
			if p.target == "3002" || p.target == "5432" {
				if p.hostIP != "127.0.0.1" {
					t.Errorf("%s publishes container port %s as %q: it must be bound to 127.0.0.1", name, p.target, p.raw)
				}
				if p.target == "3002" && name == "gatehouse" {
					adminPublished = true
				}
			}
		}
	}
	if !adminPublished {
		t.Errorf("the gatehouse admin port 3002 is not published on 127.0.0.1")
	}

	env := gh.env(t)
	dbURL := env["DB_URL"]
	u, err := url.Parse(composeVar.ReplaceAllString(dbURL, "x"))
	if err != nil || u.Scheme != "postgres" || u.Hostname() != "postgres" {
		t.Errorf("DB_URL %q does not point at the postgres service (%v)", dbURL, err)
	}
	pgEnv := pg.env(t)
	if pw := pgEnv["POSTGRES_PASSWORD"]; pw == "" || !strings.Contains(dbURL, ":"+pw+"@") {
		t.Errorf("DB_URL %q does not carry postgres's POSTGRES_PASSWORD %q", dbURL, pw)
	}
	if u != nil && (u.User.Username() != pgEnv["POSTGRES_USER"] || strings.TrimPrefix(u.Path, "/") != pgEnv["POSTGRES_DB"]) {
		t.Errorf("DB_URL %q does not match POSTGRES_USER %q / POSTGRES_DB %q", dbURL, pgEnv["POSTGRES_USER"], pgEnv["POSTGRES_DB"])
	}
	if env["TRUST_PROXY_HEADER"] != "true" {
		t.Errorf("TRUST_PROXY_HEADER = %q, want true", env["TRUST_PROXY_HEADER"])
	}
	// A loopback bind inside the container would make the published admin
	// port dead; the host-side 127.0.0.1 is what keeps it private.
	if env["ADMIN_BIND"] != "0.0.0.0" {
		t.Errorf("ADMIN_BIND = %q, want 0.0.0.0 inside the container", env["ADMIN_BIND"])
	}
	if env["ENCRYPTION_KEY"] == "" {
		t.Errorf("ENCRYPTION_KEY is not wired to a variable")
	}
	var deps map[string]struct{ Condition string }
	if err := gh.DependsOn.Decode(&deps); err != nil || deps["postgres"].Condition != "service_healthy" {
		t.Errorf("gatehouse must depend on postgres with condition service_healthy (%v)", err)
	}
	for name, s := range c.Services {
		if s.Restart != "unless-stopped" {
			t.Errorf("%s restart %q, want unless-stopped", name, s.Restart)
		}
	}
	if b, ok := gh.Build.(string); !ok || b != ".." {
		t.Errorf("gatehouse build %v, want .. (the repository root)", gh.Build)
	}
	return c
}

func TestComposeInvariants(t *testing.T) {
	c := checkComposeInvariants(t, "../deploy/docker-compose.yaml")
	gh := c.Services["gatehouse"]
	published := false
	for _, p := range gh.ports(t) {
		if p.target == "3001" {
			published = true
			// The proxy headers are trusted, so the public listener must
			// be reachable only by the reverse proxy on this host.
			if !strings.HasPrefix(p.raw, "127.0.0.1:") {
				t.Errorf("port 3001 is published as %q; with TRUST_PROXY_HEADER=true it must be bound to 127.0.0.1", p.raw)
			}
		}
	}
	if !published {
		t.Errorf("gatehouse does not publish port 3001 for the reverse proxy")
	}
	env := gh.env(t)
	if !strings.HasPrefix(env["ENDPOINT"], "${ENDPOINT") {
		t.Errorf("ENDPOINT %q is not taken from $ENDPOINT", env["ENDPOINT"])
	}
	// The placeholder password is marked as one to change.
	if pw := c.Services["postgres"].env(t)["POSTGRES_PASSWORD"]; !strings.Contains(pw, "${POSTGRES_PASSWORD") || !strings.Contains(pw, "change") {
		t.Errorf("POSTGRES_PASSWORD %q: want ${POSTGRES_PASSWORD:-change-me…}", pw)
	}
}

func TestComposeCoolifyInvariants(t *testing.T) {
	c := checkComposeInvariants(t, "../deploy/docker-compose.coolify.yaml")
	gh := c.Services["gatehouse"]
	env := gh.env(t)
	if !regexp.MustCompile(`^\$\{?SERVICE_(FQDN|URL)_GATEHOUSE\}?$`).MatchString(env["ENDPOINT"]) {
		t.Errorf("ENDPOINT %q, want ${SERVICE_FQDN_GATEHOUSE}", env["ENDPOINT"])
	}
	if _, ok := env["SERVICE_FQDN_GATEHOUSE_3001"]; !ok {
		t.Errorf("SERVICE_FQDN_GATEHOUSE_3001 is not declared: Coolify's proxy would not route to port 3001")
	}
	for _, p := range gh.ports(t) {
		if p.target == "3001" {
			t.Errorf("the Coolify variant publishes 3001 (%q); Coolify's proxy routes to it", p.raw)
		}
	}
	if pw := c.Services["postgres"].env(t)["POSTGRES_PASSWORD"]; !strings.Contains(pw, "SERVICE_PASSWORD_") {
		t.Errorf("POSTGRES_PASSWORD %q is not a Coolify SERVICE_PASSWORD_* variable", pw)
	}
	// SERVICE_HEX_32_* is 64 hex digits and SERVICE_REALBASE64_32_* base64
	// of 32 bytes: both decode to the 32 bytes ENCRYPTION_KEY needs.
	// SERVICE_BASE64_* is a plain random string and would stop start-up.
	if k := env["ENCRYPTION_KEY"]; !regexp.MustCompile(`^\$\{?SERVICE_(HEX_32|REALBASE64_32)_[A-Z0-9_]+\}?$`).MatchString(k) {
		t.Errorf("ENCRYPTION_KEY %q: want a Coolify variable that yields 32 bytes (SERVICE_HEX_32_*)", k)
	}
}

func TestDockerfileInvariants(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, drop comments.
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var stages [][]string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("instruction before FROM: %q", line)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], line)
	}
	if len(stages) < 2 {
		t.Fatalf("%d FROM lines, want a multi-stage build", len(stages))
	}
	has := func(lines []string, prefix, substr string) bool {
		for _, l := range lines {
			if strings.HasPrefix(strings.ToUpper(l), prefix) && strings.Contains(l, substr) {
				return true
			}
		}
		return false
	}
	var build []string
	for _, s := range stages[:len(stages)-1] {
		build = append(build, s...)
	}
	if !has(build, "RUN ", "CGO_ENABLED=0") || !has(build, "RUN ", "go build") {
		t.Errorf("no CGO_ENABLED=0 go build in the build stage")
	}
	final := stages[len(stages)-1]
	from := strings.Fields(final[0])[1]
	nonroot := strings.HasSuffix(from, ":nonroot")
	for _, l := range final {
		if f := strings.Fields(l); strings.ToUpper(f[0]) == "USER" {
			user, _, _ := strings.Cut(f[1], ":")
			nonroot = user != "root" && user != "0"
		}
	}
	if !nonroot {
		t.Errorf("the final stage (%s) does not run as a non-root user", from)
	}
	if !has(final, "HEALTHCHECK ", "healthcheck") {
		t.Errorf("no HEALTHCHECK running `gatehouse healthcheck` in the final stage")
	}
	for _, want := range []string{"ADMIN_BIND=0.0.0.0", "DB_URL=sqlite:/data/"} {
		if !has(final, "ENV ", want) {
			t.Errorf("final stage has no ENV %s", want)
		}
	}
	if !has(final, "EXPOSE ", "3001") || !has(final, "EXPOSE ", "3002") {
		t.Errorf("final stage does not EXPOSE 3001 and 3002")
	}
	if !has(final, "ENTRYPOINT ", `"/gatehouse"`) || !has(final, "CMD ", `"serve"`) {
		t.Errorf(`want ENTRYPOINT ["/gatehouse"] CMD ["serve"]`)
	}
}

// TestDockerfileHealthcheckCommand runs the command the HEALTHCHECK uses.
func TestDockerfileHealthcheckCommand(t *testing.T) {
	base := serveProcess(t, []string{"DB_URL=sqlite:" + t.TempDir() + "/g.db"})
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	if _, stderr, code := cli(t, []string{"PORT=" + port}, "", "healthcheck"); code != 0 {
		t.Errorf("healthcheck against a running server (default URL from $PORT): exit %d, %s", code, stderr)
	}
	if _, stderr, code := cli(t, nil, "", "healthcheck", "--url", base+"/api/status"); code != 0 {
		t.Errorf("healthcheck --url: exit %d, %s", code, stderr)
	}
	for _, u := range []string{base + "/oidc/no-such-page", fmt.Sprintf("http://127.0.0.1:%d/api/status", freePort(t))} {
		out, stderr, code := cli(t, nil, "", "healthcheck", "--url", u)
		if code != 1 || out != "" || stderr == "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("healthcheck %s: exit %d, stdout %q, stderr %q; want exit 1 and one line", u, code, out, stderr)
		}
	}
}

// serveWithAdmin is serveProcess that also returns the admin port and the
// server's log, and leaves ADMIN_BIND unset unless env sets it.
func serveWithAdmin(t *testing.T, env []string) (baseURL string, adminPort int, logs func() string) {
	t.Helper()
	port := freePort(t)
	adminPort = freePort(t)
	for adminPort == port {
		adminPort = freePort(t)
	}
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADMIN_BIND=") && !strings.HasPrefix(kv, "BIND=") {
			base = append(base, kv)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, gatehouseBinary(t), "serve")
	cmd.Env = append(base, append([]string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ADMIN_PORT=%d", adminPort)}, env...)...)
	cmd.Dir = t.TempDir()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var buf bytes.Buffer
	logDone := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			buf.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
		close(logDone)
	}()
	logs = func() string { mu.Lock(); defer mu.Unlock(); return buf.String() }
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		<-logDone
		if t.Failed() {
			t.Logf("server logged:\n%s", logs())
		}
	})
	baseURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(baseURL + "/api/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 204 {
				return baseURL, adminPort, logs
			}
		}
	}
	t.Fatalf("gatehouse serve on port %d did not become ready", port)
	return "", 0, nil
}

func TestAdminListenerIsLoopbackByDefault(t *testing.T) {
	base, adminPort, logs := serveWithAdmin(t, []string{"DB_URL=sqlite:" + t.TempDir() + "/g.db"})
	publicPort := strings.TrimPrefix(base, "http://127.0.0.1:")
	admin := net.JoinHostPort("127.0.0.1", strconv.Itoa(adminPort))

	resp, err := http.Get("http://" + admin + "/api/status")
	if err != nil {
		t.Fatalf("admin listener on %s: %v", admin, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("admin /api/status: %d, want 204", resp.StatusCode)
	}
	// The start-up line names the admin address: loopback, no warning.
	if l := logs(); !strings.Contains(l, "admin="+admin) || strings.Contains(l, "reachable from the network") {
		t.Errorf("start-up log does not show the admin listener on %s alone:\n%s", admin, l)
	}

	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var ips []net.IP
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
			ips = append(ips, ipn.IP)
		}
	}
	if len(ips) == 0 {
		t.Log("this machine has no non-loopback IPv4 address; checked the loopback side only")
		return
	}
	checked := 0
	for _, ip := range ips {
		// Control: the public listener (all interfaces) answers on this
		// address, so a refusal on the admin port is the bind, not routing.
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), publicPort), 2*time.Second); err != nil {
			t.Logf("%s: public port unreachable (%v); skipping this address", ip, err)
			continue
		} else {
			c.Close()
		}
		addr := net.JoinHostPort(ip.String(), strconv.Itoa(adminPort))
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			c.Close()
			t.Errorf("admin listener accepted a connection on %s; it must bind 127.0.0.1 by default", addr)
		} else if !strings.Contains(err.Error(), "refused") {
			t.Errorf("dial %s: %v, want connection refused", addr, err)
		}
		checked++
	}
	if checked == 0 {
		t.Log("no non-loopback address reached the public listener; checked the loopback side only")
	}
}
