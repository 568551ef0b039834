package keys

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// memKeys is an in-memory store.SigningKeys. ListSigningKeys returns the
// keys in map order, which varies, so that nothing relies on the order.
type memKeys struct {
	mu      sync.Mutex
	keys    map[string]store.SigningKey
	listErr error
}

func newMemKeys() *memKeys { return &memKeys{keys: map[string]store.SigningKey{}} }

func (m *memKeys) CreateSigningKey(_ context.Context, k *store.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[k.ID]; ok {
		return &store.ConflictError{Field: "id"}
	}
	m.keys[k.ID] = *k
	return nil
}

func (m *memKeys) ListSigningKeys(context.Context) ([]store.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listErr != nil {
		return nil, m.listErr
	}
	out := make([]store.SigningKey, 0, len(m.keys))
	for _, k := range m.keys {
		out = append(out, k)
	}
	return out, nil
}

func (m *memKeys) RetireSigningKey(_ context.Context, id string, at int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	if !ok {
		return store.ErrNotFound
	}
	if k.RetiredAt == 0 {
		k.RetiredAt = at
		m.keys[id] = k
	}
	return nil
}

func (m *memKeys) DeleteSigningKey(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[id]; !ok {
		return store.ErrNotFound
	}
	delete(m.keys, id)
	return nil
}

func (m *memKeys) get(id string) store.SigningKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.keys[id]
}

func (m *memKeys) setListErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.listErr = err
}

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
