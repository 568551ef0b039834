package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Retry schedule: the first retry 10 s after a failure, then doubling,
// capped at 5 minutes, until the event is 25 hours old.
const (
	FirstRetry  = 10 * time.Second
	MaxRetry    = 5 * time.Minute
	GiveUpAfter = 25 * time.Hour
)

// Backoff is the wait after the n-th failed attempt of a delivery (n from 1).
func Backoff(n int) time.Duration {
	d := FirstRetry
	for i := 1; i < n && d < MaxRetry; i++ {
		d *= 2
	}
	return min(d, MaxRetry)
}

// Options configures a Worker.
type Options struct {
	// Sealer opens the hooks' signing keys.
	Sealer *seal.Sealer
	// Client posts the deliveries; nil means DefaultClient().
	Client *http.Client
	// Now is the clock for due times and records; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// PollInterval is how often the outbox is checked besides the
	// wake-ups of Enqueue in this process (default 500 ms).
	PollInterval time.Duration
	// Concurrency bounds the attempts in flight (default 16): a slow hook
	// holds one slot, not the others.
	Concurrency int
	// Lease is how long a claimed delivery stays with this worker before
	// another may take it (default 30 s, three request timeouts).
	Lease time.Duration
	// Backoff and GiveUpAfter override the retry schedule (tests).
	Backoff     func(failures int) time.Duration
	GiveUpAfter time.Duration
	// Retention is how long finished deliveries and their attempts are
	// kept (default 14 days).
	Retention time.Duration
}

// Worker delivers the outbox.
type Worker struct {
	store store.Store
	opt   Options
	log   *slog.Logger
}

// NewWorker returns a worker over st.
func NewWorker(st store.Store, opt Options) *Worker {
	if opt.Client == nil {
		opt.Client = DefaultClient()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = 500 * time.Millisecond
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 16
	}
	if opt.Lease <= 0 {
		opt.Lease = 3 * Timeout
	}
	if opt.Backoff == nil {
		opt.Backoff = Backoff
	}
	if opt.GiveUpAfter <= 0 {
		opt.GiveUpAfter = GiveUpAfter
	}
	if opt.Retention <= 0 {
		opt.Retention = 14 * 24 * time.Hour
	}
	return &Worker{store: st, opt: opt, log: opt.Logger}
}

// Start runs the worker in a goroutine until ctx ends; the returned
// channel closes once it has stopped and its attempts in flight are over.
func (w *Worker) Start(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return done
}

// Run delivers due events until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	woken := subscribe()
	defer unsubscribe(woken)
	poll := time.NewTicker(w.opt.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	slots := make(chan struct{}, w.opt.Concurrency)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	for {
		w.claim(ctx, slots, &inFlight)
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-woken:
			// Enqueue pokes from inside its transaction: give it a moment
			// to commit (on SQLite the claim would queue behind it anyway).
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		case <-prune.C:
			before := w.opt.Now().Add(-w.opt.Retention).UnixMilli()
			if n, err := w.store.PruneHookDeliveries(ctx, before); err != nil && ctx.Err() == nil {
				w.log.Warn("pruning old webhook deliveries failed", "err", err)
			} else if n > 0 {
				w.log.Debug("pruned old webhook deliveries", "count", n)
			}
		}
	}
}

// claim leases as many due deliveries as there are free slots and starts
// an attempt for each.
func (w *Worker) claim(ctx context.Context, slots chan struct{}, inFlight *sync.WaitGroup) {
	free := cap(slots) - len(slots)
	if free == 0 || ctx.Err() != nil {
		return
	}
	now := w.opt.Now()
	due, err := w.store.ClaimDueDeliveries(ctx, now.UnixMilli(), free, now.Add(w.opt.Lease).UnixMilli())
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("reading due webhook deliveries failed", "err", err)
		}
		return
	}
	for _, d := range due {
		slots <- struct{}{}
		inFlight.Add(1)
		go func() {
			defer func() { <-slots; inFlight.Done() }()
			w.attempt(ctx, d)
		}()
	}
}

// attempt makes one delivery attempt and records it.
func (w *Worker) attempt(ctx context.Context, d store.HookDelivery) {
	// Recording outlives a shutdown that cancels the request.
	record := context.WithoutCancel(ctx)
	hook, err := w.store.GetHook(ctx, d.HookID)
	if errors.Is(err, store.ErrNotFound) {
		return // deleted with its deliveries
	} else if err != nil {
		w.release(record, d, err)
		return
	}
	if !hook.Enabled {
		// A disabled hook's pending events are dropped, as Logto would
		// not have sent them.
		if err := w.store.FailDelivery(record, d.ID, nil, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			w.log.Warn("dropping a webhook delivery failed", "hook_id", d.HookID, "err", err)
		}
		return
	}
	var res Result
	key, err := w.opt.Sealer.Open(hook.SealedSigningKey)
	if err != nil {
		res.Err = errors.New("the hook's signing key cannot be opened: check ENCRYPTION_KEY")
	} else {
		res = Send(ctx, w.opt.Client, hook.Config, string(key), d.Payload)
	}
	if res.Err != nil && ctx.Err() != nil {
		// Shutting down: the attempt was cut short, not failed. Give the
		// delivery back as it was, for the next worker.
		w.release(record, d, nil)
		return
	}
	now := w.opt.Now()
	a := &store.HookAttempt{Attempt: d.Attempts + 1, Success: res.OK(), StatusCode: res.StatusCode,
		DurationMs: res.Duration.Milliseconds(), ResponseBody: validUTF8(res.Body), CreatedAt: now.UnixMilli()}
	if res.Err != nil {
		a.Error = res.Err.Error()
	}
	if res.OK() {
		err = w.store.CompleteDelivery(record, d.ID, a)
	} else {
		next := now.Add(w.opt.Backoff(a.Attempt))
		if next.Sub(time.UnixMilli(d.CreatedAt)) > w.opt.GiveUpAfter {
			w.log.Warn("giving up on a webhook delivery", "hook_id", d.HookID, "event", d.Event, "attempts", a.Attempt, "err", a.Error)
			err = w.store.FailDelivery(record, d.ID, a, 0)
		} else {
			w.log.Info("webhook delivery failed; will retry", "hook_id", d.HookID, "event", d.Event, "attempt", a.Attempt,
				"retry_in", next.Sub(now).String(), "err", a.Error)
			err = w.store.FailDelivery(record, d.ID, a, next.UnixMilli())
		}
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		w.log.Warn("recording a webhook attempt failed", "hook_id", d.HookID, "err", err)
	}
}

// release gives a claimed delivery back without counting an attempt.
func (w *Worker) release(ctx context.Context, d store.HookDelivery, cause error) {
	if cause != nil {
		w.log.Warn("webhook delivery postponed", "hook_id", d.HookID, "err", cause)
	}
	next := d.NextAttemptAt
	if cause != nil {
		next = w.opt.Now().Add(FirstRetry).UnixMilli()
	}
	if err := w.store.FailDelivery(ctx, d.ID, nil, next); err != nil && !errors.Is(err, store.ErrNotFound) {
		w.log.Warn("releasing a webhook delivery failed", "hook_id", d.HookID, "err", err)
	}
}

// validUTF8 keeps a truncated or binary body storable as text (PostgreSQL
// takes neither invalid UTF-8 nor NUL in TEXT).
func validUTF8(b []byte) string {
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "")
}
