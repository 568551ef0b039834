package loadtest

import (
	"fmt"
	"strings"
	"time"
)

// Result summarises a run.
type Result struct {
	// Scenario is the scenario that ran.
	Scenario Scenario
	// Ops counts finished operations, failed ones included; Errors counts
	// the failed ones.
	Ops, Errors int
	// Elapsed is the wall time of the measured part of the run, after
	// discovery and per-worker setup.
	Elapsed time.Duration
	// PerSecond is successful operations per second of Elapsed, so a
	// provider that fails fast does not look fast.
	PerSecond float64
	// P50, P90, P99 and Max are latencies of successful operations. With a
	// Rate they are measured from when an operation was due, not from when
	// a worker got to it, so a provider that falls behind is not flattered.
	P50, P90, P99, Max time.Duration
	// FirstError describes the first failed operation, for diagnosis.
	FirstError string
}

// String returns the result as one human-readable line.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d ops in %s (%.1f ops/s), %d errors, p50 %s p90 %s p99 %s max %s",
		r.Scenario, r.Ops, r.Elapsed.Round(time.Millisecond), r.PerSecond, r.Errors,
		roundLatency(r.P50), roundLatency(r.P90), roundLatency(r.P99), roundLatency(r.Max))
	if r.FirstError != "" {
		fmt.Fprintf(&b, "; first error: %s", r.FirstError)
	}
	return b.String()
}

// roundLatency keeps three significant digits or so, enough for a human to
// compare runs without a wall of nanoseconds.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond)
	}
	return d
}
