package loadtest

import (
	"fmt"
	"io"
	"time"
)

// startProgress writes a status line to w every second until the returned
// stop is called; stop returns only once nothing more will be written, so
// the caller may reuse w right away.
func startProgress(w io.Writer, start time.Time, t *tally) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ticker := time.NewTicker(time.Second)
		defer ticker.Stop()
		lastTime, lastOps := start, int64(0)
		for {
			select {
			case <-done:
				return
			case now := <-ticker.C:
				ops := t.ops.Load()
				// The rate over the last interval shows warm-up and
				// degradation that a cumulative average would hide.
				rate := float64(ops-lastOps) / now.Sub(lastTime).Seconds()
				fmt.Fprintf(w, "%6.1fs %10d ops %10.1f ops/s %8d errors\n",
					now.Sub(start).Seconds(), ops, rate, t.errors.Load())
				lastTime, lastOps = now, ops
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
