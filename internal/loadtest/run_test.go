package loadtest

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkClean asserts a run did exactly want operations, all successful,
// with sane latency figures.
func checkClean(t *testing.T, res Result, want int) {
	t.Helper()
	if res.Ops != want || res.Errors != 0 {
		t.Fatalf("ops %d errors %d (want %d, 0); first error: %s", res.Ops, res.Errors, want, res.FirstError)
	}
	if res.FirstError != "" {
		t.Errorf("FirstError = %q with no errors", res.FirstError)
	}
	if res.PerSecond <= 0 || res.Elapsed <= 0 {
		t.Errorf("PerSecond %v Elapsed %v", res.PerSecond, res.Elapsed)
	}
	if !(0 < res.P50 && res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.Max) {
		t.Errorf("percentiles out of order: p50 %v p90 %v p99 %v max %v", res.P50, res.P90, res.P99, res.Max)
	}
}

func TestClientCredentials(t *testing.T) {
	for _, method := range []string{"", "basic", "post"} {
		t.Run("auth="+method, func(t *testing.T) {
			p := newFakeProvider(t)
			cfg := p.config(ScenarioClientCredentials)
			cfg.AuthMethod = method
			cfg.Requests = 200
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkClean(t, res, 200)
			if got := p.clientCredentialsGrants.Load(); got != 200 {
				t.Errorf("provider granted %d, want 200", got)
			}
			if res.Scenario != ScenarioClientCredentials {
				t.Errorf("Scenario = %q", res.Scenario)
			}
		})
	}
}

func TestRequestsLimitIsExact(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioClientCredentials)
	cfg.Requests = 37 // not a multiple of Concurrency
	cfg.Concurrency = 8
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res, 37)
	if got := p.tokenRequests.Load(); got != 37 {
		t.Errorf("provider saw %d token requests, want 37", got)
	}
}

func TestWrongSecretCountsErrors(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioClientCredentials)
	cfg.ClientSecret = "wrong"
	cfg.Requests = 10
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 10 || res.Errors != 10 {
		t.Fatalf("ops %d errors %d, want 10 and 10", res.Ops, res.Errors)
	}
	if !strings.Contains(res.FirstError, "401") || !strings.Contains(res.FirstError, "invalid_client") {
		t.Errorf("FirstError = %q, want the status and OAuth error", res.FirstError)
	}
	if res.PerSecond != 0 || res.P99 != 0 {
		t.Errorf("failures must not count as throughput or latency: %v", res)
	}
	if !strings.Contains(res.String(), "first error") {
		t.Errorf("String() hides the error: %s", res)
	}
}

func TestRefreshRotatesPerWorkerChains(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioRefresh)
	cfg.Concurrency = 4
	cfg.Requests = 100
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res, 100)
	if got := p.codeGrants.Load(); got != 4 {
		t.Errorf("%d sign-ins to seed 4 workers", got)
	}
	if got := p.refreshGrants.Load(); got != 100 {
		t.Errorf("provider refreshed %d, want 100", got)
	}
	if got := p.reuses.Load(); got != 0 {
		t.Errorf("%d refresh tokens reused", got)
	}
}

func TestRefreshFromGivenTokens(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioRefresh)
	cfg.Username, cfg.RedirectURI = "", "" // no way to sign in: tokens must suffice
	cfg.RefreshTokens = []string{p.issueRefreshToken(), p.issueRefreshToken()}
	cfg.Concurrency = 2
	cfg.Requests = 40
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res, 40)
	if p.codeGrants.Load() != 0 || p.reuses.Load() != 0 {
		t.Errorf("sign-ins %d reuses %d, want none", p.codeGrants.Load(), p.reuses.Load())
	}
}

func TestRefreshReplacesRejectedChain(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioRefresh)
	cfg.RefreshTokens = []string{"unknown-token"}
	cfg.Concurrency = 1
	cfg.Requests = 10
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 10 || res.Errors != 1 || !strings.Contains(res.FirstError, "invalid_grant") {
		t.Fatalf("ops %d errors %d first %q; want 10 ops, the 1 rejected", res.Ops, res.Errors, res.FirstError)
	}
	if got := p.codeGrants.Load(); got != 1 {
		t.Errorf("%d sign-ins, want 1 to replace the dead chain", got)
	}
}

func TestRefreshWorkerStopsOnDeadChainWithoutSignIn(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioRefresh)
	cfg.Username = ""
	cfg.RefreshTokens = []string{"unknown-token"}
	cfg.Concurrency = 1
	cfg.Requests = 10
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 1 || res.Errors != 1 {
		t.Fatalf("ops %d errors %d; a dead chain must not be hammered", res.Ops, res.Errors)
	}
}

func TestRefreshNeedsTokensOrSignIn(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioRefresh)
	cfg.Username = ""
	cfg.RefreshTokens = []string{p.issueRefreshToken()}
	cfg.Concurrency = 2
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "RefreshTokens") {
		t.Fatalf("err = %v", err)
	}
}

func TestSignIn(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioSignIn)
	cfg.Concurrency = 4
	cfg.Requests = 20
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res, 20)
	if p.signInPages.Load() != 20 || p.codeGrants.Load() != 20 {
		t.Errorf("pages %d code grants %d, want 20 each", p.signInPages.Load(), p.codeGrants.Load())
	}
	if got := p.callbackHits.Load(); got != 0 {
		t.Errorf("redirect URI fetched %d times", got)
	}
}

func TestSignInWrongPassword(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioSignIn)
	cfg.Password = "wrong"
	cfg.Requests = 3
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 3 || res.Errors != 3 || !strings.Contains(res.FirstError, "wrong credentials") {
		t.Fatalf("ops %d errors %d first %q", res.Ops, res.Errors, res.FirstError)
	}
}

func TestRateCompletesRequests(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioClientCredentials)
	cfg.Rate = 50
	cfg.Requests = 20
	cfg.Concurrency = 4
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res, 20)
	// Operation 19 is not due before 19/50 s: timers never fire early, so
	// this lower bound cannot flake.
	if res.Elapsed < 380*time.Millisecond {
		t.Errorf("20 ops at 50/s took only %v", res.Elapsed)
	}
}

func TestDurationBoundsRun(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioClientCredentials)
	cfg.Duration = 200 * time.Millisecond
	cfg.Concurrency = 2
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res, res.Ops)
	if res.Ops == 0 || res.Elapsed < cfg.Duration {
		t.Errorf("ops %d in %v", res.Ops, res.Elapsed)
	}
}

func TestCancelStopsRun(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioClientCredentials)
	cfg.Duration = time.Hour
	cfg.Rate = 200
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	began := time.Now()
	res, err := Run(ctx, cfg)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(began) > 3*time.Second {
		t.Errorf("Run took %v to notice cancellation", time.Since(began))
	}
	if res.Ops == 0 || res.Errors != 0 {
		t.Errorf("partial result ops %d errors %d (%s)", res.Ops, res.Errors, res.FirstError)
	}
}

func TestProgressLines(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioClientCredentials)
	cfg.Duration = 1300 * time.Millisecond // one tick, with room for a slow scheduler
	cfg.Rate = 100
	var out bytes.Buffer
	cfg.Progress = &out
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	line := out.String()
	if !progressLine.MatchString(line) {
		t.Errorf("progress output %q, want one line like %q", line, progressLine)
	}
}

var progressLine = regexp.MustCompile(`^ *1\.\d+s +\d+ ops +\d+\.\d ops/s +0 errors\n$`)

func TestConfigErrors(t *testing.T) {
	good := Config{Issuer: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "s", Scenario: ScenarioClientCredentials}
	for name, mutate := range map[string]func(*Config){
		"no issuer":       func(c *Config) { c.Issuer = "" },
		"no client":       func(c *Config) { c.ClientID = "" },
		"bad auth method": func(c *Config) { c.AuthMethod = "jwt" },
		"bad scenario":    func(c *Config) { c.Scenario = "password" },
		"no secret":       func(c *Config) { c.ClientSecret = "" },
		"signin no user":  func(c *Config) { c.Scenario = ScenarioSignIn; c.RedirectURI = "http://x/cb" },
		"negative rate":   func(c *Config) { c.Rate = -1 },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := Run(context.Background(), cfg); err == nil || !strings.HasPrefix(err.Error(), "loadtest: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestDiscoveryFailure(t *testing.T) {
	p := newFakeProvider(t)
	cfg := p.config(ScenarioClientCredentials)
	cfg.Issuer = p.srv.URL + "/nowhere"
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v", err)
	}
}

func TestResultString(t *testing.T) {
	r := Result{Scenario: ScenarioRefresh, Ops: 1000, Errors: 2, Elapsed: 2 * time.Second, PerSecond: 499,
		P50: 1234567 * time.Nanosecond, P90: 2 * time.Millisecond, P99: 3 * time.Millisecond, Max: 4 * time.Millisecond}
	want := "refresh: 1000 ops in 2s (499.0 ops/s), 2 errors, p50 1.23ms p90 2ms p99 3ms max 4ms"
	if got := r.String(); got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
}
