package loadtest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one HTTP request of the default client, so a hung
// connection shows up as an error instead of a silent stall.
const requestTimeout = 30 * time.Second

// Run discovers the provider, prepares one worker per Concurrency (for
// refresh, each gets its own refresh-token chain), then measures operations
// until Duration has passed or Requests operations are done.
//
// Setup failures (bad config, discovery, no refresh token) are returned as
// errors; failed operations are counted in the Result instead. If ctx is
// cancelled during the measurement, Run returns what was measured so far
// together with ctx.Err().
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	client := cfg.HTTPClient
	if client == nil {
		transport := newTransport(cfg.Concurrency)
		defer transport.CloseIdleConnections()
		client = &http.Client{Transport: transport, Timeout: requestTimeout}
	}
	ep, err := discover(ctx, client, cfg.Issuer)
	if err != nil {
		return Result{}, err
	}
	tokens := newTokenClient(client, ep.TokenEndpoint, cfg)
	var s *signer
	if cfg.Scenario != ScenarioClientCredentials && cfg.canSignIn() {
		if ep.AuthorizationEndpoint == "" {
			return Result{}, errors.New("loadtest: discovery has no authorization_endpoint, needed to sign in")
		}
		s = &signer{cfg: cfg, authorizeEndpoint: ep.AuthorizationEndpoint, base: client, tokens: tokens}
	}
	ops, err := newOperations(ctx, cfg, tokens, s)
	if err != nil {
		return Result{}, err
	}
	res := measure(ctx, cfg, ops)
	return res, ctx.Err()
}

// newTransport returns a transport that keeps one idle connection per
// worker, so connection setup is not what gets measured.
func newTransport(concurrency int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0 // no global cap; the per-host one is what matters
	t.MaxIdleConnsPerHost = concurrency
	return t
}

// tally is what workers share while measuring.
type tally struct {
	// tickets hands out operation numbers: the Requests limit and the Rate
	// schedule are both expressed in them.
	tickets    atomic.Int64
	ops        atomic.Int64
	errors     atomic.Int64
	mu         sync.Mutex
	firstError string
}

// fail counts a failed operation, keeping the first error's text because
// later ones are usually consequences of the same cause.
func (t *tally) fail(err error) {
	t.errors.Add(1)
	t.mu.Lock()
	if t.firstError == "" {
		t.firstError = err.Error()
	}
	t.mu.Unlock()
}

// measure runs every operation's worker and summarises what they saw.
func measure(ctx context.Context, cfg Config, ops []operation) Result {
	var t tally
	start := time.Now()
	var deadline time.Time
	if cfg.Requests == 0 {
		deadline = start.Add(cfg.Duration)
	}
	stopProgress := startProgress(cfg.Progress, start, &t)

	histograms := make([]histogram, len(ops))
	var wg sync.WaitGroup
	for i, op := range ops {
		w := worker{cfg: cfg, start: start, deadline: deadline, tally: &t, op: op, latencies: &histograms[i]}
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	var all histogram
	for i := range histograms {
		all.merge(&histograms[i])
	}
	res := Result{
		Scenario:   cfg.Scenario,
		Ops:        int(t.ops.Load()),
		Errors:     int(t.errors.Load()),
		Elapsed:    elapsed,
		P50:        all.percentile(0.50),
		P90:        all.percentile(0.90),
		P99:        all.percentile(0.99),
		Max:        all.max,
		FirstError: t.firstError,
	}
	if elapsed > 0 {
		res.PerSecond = float64(res.Ops-res.Errors) / elapsed.Seconds()
	}
	return res
}
