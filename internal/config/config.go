// Package config reads Gatehouse's settings from flags and environment
// variables (flags win), using the names Logto's operators already know.
package config

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Config is the validated configuration of a Gatehouse process.
type Config struct {
	// Endpoint is the public base URL without a trailing slash; the issuer is Endpoint + "/oidc".
	Endpoint string
	Port     int
	// Bind is the address the public listener binds to ("" means all interfaces).
	Bind          string
	AdminEndpoint string
	AdminPort     int
	AdminBind     string
	DBURL         string
	// TrustProxyHeader makes the server honour X-Forwarded-Proto and X-Forwarded-Host.
	TrustProxyHeader bool
	// EncryptionKey is the raw key-encryption key setting (see internal/seal); empty means none.
	EncryptionKey string
	LogLevel      string
	LogFormat     string
	// Argon2 is the cost of new password hashes.
	Argon2Memory  uint32 // KiB
	Argon2Time    uint32
	Argon2Threads uint8
	// LogRetentionDays is how long audit log entries are kept; 0 keeps them forever.
	LogRetentionDays int
}

// Issuer returns the OpenID issuer identifier.
func (c *Config) Issuer() string { return c.Endpoint + "/oidc" }

type setting struct {
	env, def, usage string
	dst             *string
}

// Register adds the serve settings as flags on fs and returns a function
// that, after fs.Parse, fills and validates a Config. Environment variables
// supply values for flags that were not given.
func Register(fs *flag.FlagSet) func() (*Config, error) {
	var raw struct {
		endpoint, port, bind, adminEndpoint, adminPort, adminBind, dbURL, trustProxy, encKey, logLevel, logFormat string
		argonMemory, argonTime, argonThreads, logRetention                                                        string
	}
	settings := []setting{
		{"ENDPOINT", "", "public base URL; the issuer is ENDPOINT/oidc (default http://localhost:PORT)", &raw.endpoint},
		{"PORT", "3001", "public listener port", &raw.port},
		{"BIND", "", "public listener address (default all interfaces)", &raw.bind},
		{"ADMIN_ENDPOINT", "", "admin console base URL (optional; the console works at whatever address reaches it)", &raw.adminEndpoint},
		{"ADMIN_PORT", "3002", "admin listener port", &raw.adminPort},
		{"ADMIN_BIND", "127.0.0.1", "admin listener address; set 0.0.0.0 only on purpose", &raw.adminBind},
		{"DB_URL", "sqlite:./data/gatehouse.db", "database: sqlite:PATH or postgres://user@host:port/db", &raw.dbURL},
		{"TRUST_PROXY_HEADER", "false", "honour X-Forwarded-Proto/Host from a reverse proxy", &raw.trustProxy},
		{"ENCRYPTION_KEY", "", "32-byte key (base64 or hex) that encrypts signing keys and client secrets at rest", &raw.encKey},
		{"LOG_LEVEL", "info", "debug, info, warn or error", &raw.logLevel},
		{"LOG_FORMAT", "text", "text or json", &raw.logFormat},
		{"ARGON2_MEMORY", "19456", "Argon2id memory cost of new password hashes, in KiB", &raw.argonMemory},
		{"ARGON2_TIME", "2", "Argon2id iterations of new password hashes", &raw.argonTime},
		{"ARGON2_THREADS", "1", "Argon2id parallelism of new password hashes", &raw.argonThreads},
		{"LOG_RETENTION_DAYS", "30", "days to keep audit log entries (0 keeps them forever)", &raw.logRetention},
	}
	for _, s := range settings {
		name := strings.ToLower(strings.ReplaceAll(s.env, "_", "-"))
		fs.StringVar(s.dst, name, s.def, s.usage+" [$"+s.env+"]")
	}
	return func() (*Config, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for _, s := range settings {
			name := strings.ToLower(strings.ReplaceAll(s.env, "_", "-"))
			if v, ok := os.LookupEnv(s.env); ok && !given[name] && v != "" {
				*s.dst = v
			}
		}
		c, err := build(raw.endpoint, raw.port, raw.bind, raw.adminEndpoint, raw.adminPort, raw.adminBind,
			raw.dbURL, raw.trustProxy, raw.encKey, raw.logLevel, raw.logFormat)
		if err != nil {
			return nil, err
		}
		if err := c.parseArgon2(raw.argonMemory, raw.argonTime, raw.argonThreads); err != nil {
			return nil, err
		}
		return c, c.parseLogRetention(raw.logRetention)
	}
}

// DatabaseURL resolves the DB_URL setting for commands that need only the
// database: the flag value when given, else the environment, else the default.
func DatabaseURL(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv("DB_URL"); v != "" {
		return v
	}
	return "sqlite:./data/gatehouse.db"
}

func build(endpoint, port, bind, adminEndpoint, adminPort, adminBind, dbURL, trustProxy, encKey, logLevel, logFormat string) (*Config, error) {
	c := &Config{Bind: bind, AdminBind: adminBind, DBURL: dbURL, EncryptionKey: encKey}
	var err error
	if c.Port, err = parsePort("PORT", port); err != nil {
		return nil, err
	}
	if c.AdminPort, err = parsePort("ADMIN_PORT", adminPort); err != nil {
		return nil, err
	}
	if endpoint == "" {
		endpoint = "http://localhost:" + strconv.Itoa(c.Port)
	}
	if c.Endpoint, err = parseBaseURL("ENDPOINT", endpoint); err != nil {
		return nil, err
	}
	if adminEndpoint != "" {
		if c.AdminEndpoint, err = parseBaseURL("ADMIN_ENDPOINT", adminEndpoint); err != nil {
			return nil, err
		}
	}
	if bind != "" && net.ParseIP(bind) == nil && bind != "localhost" {
		return nil, fmt.Errorf("BIND: %q is not an IP address", bind)
	}
	if net.ParseIP(adminBind) == nil && adminBind != "localhost" {
		return nil, fmt.Errorf("ADMIN_BIND: %q is not an IP address", adminBind)
	}
	if c.TrustProxyHeader, err = strconv.ParseBool(trustProxy); err != nil {
		return nil, fmt.Errorf("TRUST_PROXY_HEADER: %q is not a boolean (use true or false)", trustProxy)
	}
	if !strings.HasPrefix(dbURL, "sqlite:") && !strings.HasPrefix(dbURL, "postgres://") &&
		!strings.HasPrefix(dbURL, "postgresql://") && !strings.HasPrefix(dbURL, "file:") {
		return nil, fmt.Errorf("DB_URL: %q is neither sqlite:PATH nor postgres://...", redactURL(dbURL))
	}
	switch logLevel {
	case "debug", "info", "warn", "error":
		c.LogLevel = logLevel
	default:
		return nil, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", logLevel)
	}
	switch logFormat {
	case "text", "json":
		c.LogFormat = logFormat
	default:
		return nil, fmt.Errorf("LOG_FORMAT: %q is not text or json", logFormat)
	}
	return c, nil
}

func parsePort(name, v string) (int, error) {
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("%s: %q is not a port number (0-65535)", name, v)
	}
	return p, nil
}

func parseBaseURL(name, v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s: %q is not an absolute http(s) URL", name, v)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%s: %q must not carry a query, fragment or credentials", name, v)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// redactURL hides a password in a database URL so that errors can show the rest.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v
	}
	return u.Redacted()
}

// parseArgon2 reads the password hashing cost. OWASP's floor for Argon2id is
// 19 MiB with 2 iterations; lower values are refused so that a typo cannot
// weaken every new password.
func (c *Config) parseArgon2(memory, iterations, threads string) error {
	m, err := strconv.ParseUint(memory, 10, 32)
	if err != nil || m < 8*1024 || m > 4*1024*1024 {
		return fmt.Errorf("ARGON2_MEMORY: %q is not a memory cost in KiB from 8192 to 4194304", memory)
	}
	t, err := strconv.ParseUint(iterations, 10, 32)
	if err != nil || t < 1 || t > 100 {
		return fmt.Errorf("ARGON2_TIME: %q is not an iteration count from 1 to 100", iterations)
	}
	if m*t < 19*1024*2 {
		return fmt.Errorf("ARGON2_MEMORY and ARGON2_TIME: %d KiB × %d iterations is below OWASP's minimum (19456 KiB × 2)", m, t)
	}
	p, err := strconv.ParseUint(threads, 10, 8)
	if err != nil || p < 1 || p > 16 {
		return fmt.Errorf("ARGON2_THREADS: %q is not a parallelism from 1 to 16", threads)
	}
	c.Argon2Memory, c.Argon2Time, c.Argon2Threads = uint32(m), uint32(t), uint8(p)
	return nil
}

// parseLogRetention reads LOG_RETENTION_DAYS: whole days, 0 for forever.
func (c *Config) parseLogRetention(v string) error {
	d, err := strconv.Atoi(v)
	if err != nil || d < 0 || d > 36500 {
		return fmt.Errorf("LOG_RETENTION_DAYS: %q is not a number of days from 0 (keep forever) to 36500", v)
	}
	c.LogRetentionDays = d
	return nil
}
