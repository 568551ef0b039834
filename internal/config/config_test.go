package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func load(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	for _, k := range []string{"ENDPOINT", "PORT", "BIND", "ADMIN_ENDPOINT", "ADMIN_PORT", "ADMIN_BIND", "DB_URL",
		"TRUST_PROXY_HEADER", "ENCRYPTION_KEY", "LOG_LEVEL", "LOG_FORMAT", "ARGON2_MEMORY", "ARGON2_TIME", "ARGON2_THREADS", "LOG_RETENTION_DAYS"} {
		t.Setenv(k, env[k])
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	build := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return build()
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "http://localhost:3001" || c.Issuer() != "http://localhost:3001/oidc" || c.AdminBind != "127.0.0.1" ||
		c.AdminPort != 3002 || c.DBURL != "sqlite:./data/gatehouse.db" || c.TrustProxyHeader ||
		c.Argon2Memory != 19456 || c.Argon2Time != 2 || c.Argon2Threads != 1 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	c, err := load(t, map[string]string{"ENDPOINT": "https://auth.example.com/", "PORT": "8080", "TRUST_PROXY_HEADER": "true",
		"DB_URL": "postgres://u@db/gatehouse"}, "--port", "9090")
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "https://auth.example.com" || c.Port != 9090 || !c.TrustProxyHeader || c.DBURL != "postgres://u@db/gatehouse" {
		t.Fatalf("config = %+v (flags must win over the environment)", c)
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	for setting, value := range map[string]string{
		"PORT": "99999", "ADMIN_PORT": "x", "ENDPOINT": "ftp://x", "ADMIN_ENDPOINT": "nope",
		"ADMIN_BIND": "everywhere", "TRUST_PROXY_HEADER": "yes please", "DB_URL": "mysql://x", "LOG_LEVEL": "loud",
		"ARGON2_MEMORY": "1024", "ARGON2_TIME": "0", "ARGON2_THREADS": "x",
	} {
		_, err := load(t, map[string]string{setting: value})
		if err == nil || !strings.HasPrefix(err.Error(), setting+":") {
			t.Errorf("%s=%s: error %v", setting, value, err)
		}
	}
	_, err := load(t, map[string]string{"DB_URL": "mysql://user:hunter2@db/x"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("DB_URL error leaks the password: %v", err)
	}
}

func TestArgon2BelowTheFloor(t *testing.T) {
	_, err := load(t, map[string]string{"ARGON2_MEMORY": "9000", "ARGON2_TIME": "2"})
	if err == nil || !strings.Contains(err.Error(), "OWASP") {
		t.Fatalf("weak Argon2 cost accepted: %v", err)
	}
	c, err := load(t, map[string]string{"ARGON2_MEMORY": "65536", "ARGON2_TIME": "3", "ARGON2_THREADS": "2"})
	if err != nil || c.Argon2Memory != 65536 || c.Argon2Time != 3 || c.Argon2Threads != 2 {
		t.Fatalf("stronger cost: %+v %v", c, err)
	}
}

func TestLogRetention(t *testing.T) {
	for env, want := range map[string]int{"": 30, "0": 0, "365": 365} {
		c, err := load(t, map[string]string{"LOG_RETENTION_DAYS": env})
		if err != nil || c.LogRetentionDays != want {
			t.Fatalf("LOG_RETENTION_DAYS=%q: %+v %v, want %d", env, c, err, want)
		}
	}
	c, err := load(t, map[string]string{"LOG_RETENTION_DAYS": "7"}, "--log-retention-days", "90")
	if err != nil || c.LogRetentionDays != 90 {
		t.Fatalf("flag: %+v %v, want 90", c, err)
	}
	for _, bad := range []string{"-1", "30d", "1.5", "100000"} {
		_, err := load(t, map[string]string{"LOG_RETENTION_DAYS": bad})
		if err == nil || !strings.HasPrefix(err.Error(), "LOG_RETENTION_DAYS: ") {
			t.Errorf("LOG_RETENTION_DAYS=%s: error %v", bad, err)
		}
	}
}
