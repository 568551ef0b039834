package loadtest

import (
	"context"
	"time"
)

// worker repeats one operation until the run's limit, recording latencies
// of successful operations in its own histogram.
type worker struct {
	cfg       Config
	start     time.Time
	deadline  time.Time // zero when Requests bounds the run
	tally     *tally
	op        operation
	latencies *histogram
}

func (w *worker) run(ctx context.Context) {
	var pacer *time.Timer
	if w.cfg.Rate > 0 {
		pacer = time.NewTimer(time.Hour)
		pacer.Stop()
		defer pacer.Stop()
	}
	for ctx.Err() == nil {
		n := w.tally.tickets.Add(1) - 1
		if w.cfg.Requests > 0 && n >= int64(w.cfg.Requests) {
			return
		}
		began := time.Now()
		if pacer != nil {
			// Open loop: operation n is due at a fixed time whatever the
			// latency so far, and its latency counts from then, so falling
			// behind shows in the percentiles (no coordinated omission).
			due := w.start.Add(time.Duration(float64(n) * float64(time.Second) / w.cfg.Rate))
			if !w.deadline.IsZero() && due.After(w.deadline) {
				return
			}
			if !sleepUntil(ctx, pacer, due) {
				return
			}
			began = due
		} else if !w.deadline.IsZero() && !began.Before(w.deadline) {
			return
		}

		err := w.op.do(ctx)
		took := time.Since(began)
		if ctx.Err() != nil {
			return // interrupted, neither a success nor the provider's fault
		}
		w.tally.ops.Add(1)
		if err == nil {
			w.latencies.record(took)
			continue
		}
		w.tally.fail(err)
		if !w.op.afterFailure(ctx, err) {
			return
		}
	}
}

// sleepUntil waits for t or for ctx to end, reporting whether t came.
func sleepUntil(ctx context.Context, timer *time.Timer, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer.Reset(d)
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		timer.Stop()
		return false
	}
}
