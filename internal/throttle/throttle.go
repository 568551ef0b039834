// Package throttle counts failed credential attempts per key (an identifier,
// a client id, a source IP) over a sliding window and tells when a key is
// locked out. Successes are never throttled: callers consult it only to
// decide how to answer a failure, or before an expensive check.
package throttle

import (
	"sync"
	"time"
)

// Limiter allows at most Max failures per key within Window.
type Limiter struct {
	Max    int
	Window time.Duration
	Now    func() time.Time

	mu   sync.Mutex
	keys map[string][]time.Time
	// maxKeys bounds memory under a flood of distinct keys; past it the
	// oldest-looking half is dropped, which only ever forgives failures.
	maxKeys int
}

// New returns a limiter of max failures per window.
func New(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, Now: time.Now, keys: map[string][]time.Time{}, maxKeys: 100_000}
}

// Fail records a failure for each key.
func (l *Limiter) Fail(keys ...string) {
	now := l.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.keys) >= l.maxKeys {
		l.prune(now)
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		l.keys[k] = append(l.live(k, now), now)
	}
}

// Blocked reports whether any key has reached Max failures in the window,
// and how long until the oldest of them expires.
func (l *Limiter) Blocked(keys ...string) (time.Duration, bool) {
	now := l.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Max <= 0 {
		return 0, false
	}
	var wait time.Duration
	for _, k := range keys {
		ts := l.live(k, now)
		if len(ts) >= l.Max {
			if d := ts[len(ts)-l.Max].Add(l.Window).Sub(now); d > wait {
				wait = d
			}
		}
	}
	return wait, wait > 0
}

// Configure changes the limit, for settings that an administrator edits
// while the server runs.
func (l *Limiter) Configure(max int, window time.Duration) {
	l.mu.Lock()
	l.Max, l.Window = max, window
	l.mu.Unlock()
}

// Reset forgets the failures of key, after a success.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.keys, key)
	l.mu.Unlock()
}

func (l *Limiter) live(k string, now time.Time) []time.Time {
	ts := l.keys[k]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.Window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.keys, k)
		return nil
	}
	l.keys[k] = ts
	return ts
}

func (l *Limiter) prune(now time.Time) {
	for k := range l.keys {
		l.live(k, now)
	}
	for k := range l.keys {
		if len(l.keys) < l.maxKeys/2 {
			break
		}
		delete(l.keys, k)
	}
}
