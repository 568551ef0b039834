package audit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Options configures a Writer; zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Now stamps entries that carry no time.
	Now func() time.Time
	// BufferSize bounds the entries waiting to be written (10,000).
	BufferSize int
	// BatchSize is the most entries written at once (500); a full batch
	// is written at once.
	BatchSize int
	// Interval is the longest an entry waits for its batch (200 ms).
	Interval time.Duration
	// WriteTimeout bounds one batch's write (10 s).
	WriteTimeout time.Duration
}

// Writer writes entries to the store in the background. Log never blocks:
// when the buffer is full the entry is dropped and counted, and the
// batcher reports the drops in the server log.
type Writer struct {
	st  store.Logs
	log *slog.Logger
	opt Options

	entries chan Entry
	flushes chan chan error
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	closed  atomic.Bool
	dropped atomic.Uint64
	failed  atomic.Uint64
}

var _ Logger = (*Writer)(nil)

// NewWriter starts a writer over st; Close stops it.
func NewWriter(st store.Logs, opt Options) *Writer {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.BufferSize <= 0 {
		opt.BufferSize = 10_000
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	if opt.Interval <= 0 {
		opt.Interval = 200 * time.Millisecond
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 10 * time.Second
	}
	w := &Writer{st: st, log: opt.Logger, opt: opt,
		entries: make(chan Entry, opt.BufferSize),
		flushes: make(chan chan error),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go w.run()
	return w
}

// Log queues e for writing without waiting; the batcher encodes it, off
// the request's path. Log takes e.Params and e.Error over: the caller
// must not change them afterwards. A nil Writer records nothing.
func (w *Writer) Log(e Entry) {
	if w == nil {
		return
	}
	if w.closed.Load() {
		w.dropped.Add(1)
		return
	}
	if e.At.IsZero() {
		e.At = w.opt.Now()
	}
	select {
	case w.entries <- e:
	default:
		w.dropped.Add(1)
	}
}

// Dropped counts the entries dropped because the buffer was full or the
// writer closed; Failed counts those whose write failed.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }
func (w *Writer) Failed() uint64  { return w.failed.Load() }

// ErrClosed is returned by Flush on a closed writer.
var ErrClosed = errors.New("audit: writer closed")

// Flush writes every entry logged before it was called and returns the
// first write error.
func (w *Writer) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case w.flushes <- reply:
	case <-w.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is buffered and stops the writer; entries logged
// afterwards are dropped.
func (w *Writer) Close(ctx context.Context) error {
	w.closed.Store(true)
	w.once.Do(func() { close(w.stop) })
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	buf := make([]Entry, 0, w.opt.BatchSize)
	rows := make([]store.LogEntry, 0, w.opt.BatchSize)
	timer := time.NewTimer(w.opt.Interval)
	timer.Stop()
	armed := false
	var reported uint64
	write := func() error {
		if armed {
			timer.Stop()
			armed = false
		}
		if len(buf) == 0 {
			return nil
		}
		rows = rows[:0]
		for i := range buf {
			rows = append(rows, Encode(buf[i], time.Time{}))
			buf[i] = Entry{} // let the request's values go
		}
		buf = buf[:0]
		err := w.insert(rows)
		if d := w.dropped.Load(); d > reported {
			w.log.Warn("the audit log buffer was full: entries were dropped", "dropped", d-reported, "dropped_total", d)
			reported = d
		}
		return err
	}
	// drain takes every queued entry, writing full batches as it goes.
	drain := func() error {
		var first error
		for {
			select {
			case e := <-w.entries:
				buf = append(buf, e)
				if len(buf) >= w.opt.BatchSize {
					if err := write(); err != nil && first == nil {
						first = err
					}
				}
				continue
			default:
			}
			if err := write(); err != nil && first == nil {
				first = err
			}
			return first
		}
	}
	for {
		select {
		case e := <-w.entries:
			buf = append(buf, e)
			if len(buf) >= w.opt.BatchSize {
				write()
			} else if !armed {
				timer.Reset(w.opt.Interval)
				armed = true
			}
		case <-timer.C:
			armed = false
			write()
		case reply := <-w.flushes:
			reply <- drain()
		case <-w.stop:
			drain()
			return
		}
	}
}

func (w *Writer) insert(batch []store.LogEntry) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.opt.WriteTimeout)
	defer cancel()
	err := w.st.InsertLogs(ctx, batch)
	if err != nil {
		w.failed.Add(uint64(len(batch)))
		w.log.Error("writing the audit log failed; entries lost", "entries", len(batch), "err", err)
	}
	return err
}
