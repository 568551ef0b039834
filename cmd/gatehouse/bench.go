package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gatehouse-auth/gatehouse/internal/loadtest"
)

// runBench drives any OpenID provider over HTTP, so Gatehouse and another
// server can be measured side by side with the same tool.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	var cfg loadtest.Config
	var scenario string
	fs.StringVar(&scenario, "scenario", "client_credentials", "client_credentials, refresh or signin")
	fs.StringVar(&cfg.Issuer, "issuer", "http://localhost:3001/oidc", "issuer of the provider under test")
	fs.StringVar(&cfg.ClientID, "client-id", "", "client id")
	fs.StringVar(&cfg.ClientSecret, "client-secret", os.Getenv("BENCH_CLIENT_SECRET"), "client secret [$BENCH_CLIENT_SECRET]")
	fs.StringVar(&cfg.AuthMethod, "auth-method", "basic", "client authentication: basic or post")
	fs.StringVar(&cfg.Resource, "resource", "", "API resource indicator")
	fs.StringVar(&cfg.Scope, "scope", "", "scopes for client_credentials")
	fs.StringVar(&cfg.RedirectURI, "redirect-uri", "", "registered redirect URI (refresh, signin)")
	fs.StringVar(&cfg.Username, "username", "", "user to sign in as (refresh, signin)")
	fs.StringVar(&cfg.Password, "password", os.Getenv("BENCH_PASSWORD"), "that user's password [$BENCH_PASSWORD]")
	fs.IntVar(&cfg.Concurrency, "concurrency", 8, "concurrent workers")
	fs.DurationVar(&cfg.Duration, "duration", loadtest.DefaultDuration, "how long to run")
	fs.IntVar(&cfg.Requests, "requests", 0, "stop after this many operations instead")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open-loop target operations per second (0 = as fast as possible)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.Scenario = loadtest.Scenario(scenario)
	cfg.Progress = stderr
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.String())
	if res.Ops == 0 || res.Errors > 0 {
		return fmt.Errorf("%d of %d operations failed; first error: %s", res.Errors, res.Ops+res.Errors, res.FirstError)
	}
	return nil
}
