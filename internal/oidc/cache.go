package oidc

import (
	"sync"
	"time"
)

// ttlCache keeps recently read records for a short time so the token hot
// path does not touch the database. Entries expire after ttl, which bounds
// how long a change made on another node goes unseen.
type ttlCache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.RWMutex
	entries map[K]cacheEntry[V]
}

type cacheEntry[V any] struct {
	value   V
	expires time.Time
}

func newTTLCache[K comparable, V any](ttl time.Duration, max int, now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, max: max, now: now, entries: make(map[K]cacheEntry[V])}
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || c.now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	if len(c.entries) >= c.max {
		// Only records that exist are cached, so overflow means many live
		// records; dropping everything costs a round of database reads.
		clear(c.entries)
	}
	c.entries[k] = cacheEntry[V]{value: v, expires: c.now().Add(c.ttl)}
	c.mu.Unlock()
}

// purge drops every entry, after a local write that many entries may reflect.
func (c *ttlCache[K, V]) purge() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// load returns the cached value for k or calls fetch and caches its result.
func (c *ttlCache[K, V]) load(k K, fetch func() (V, error)) (V, error) {
	if v, ok := c.get(k); ok {
		return v, nil
	}
	v, err := fetch()
	if err != nil {
		return v, err
	}
	c.put(k, v)
	return v, nil
}
