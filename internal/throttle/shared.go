package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// kindFailure is one failed attempt, kept as its own row so that nodes
// counting concurrently never lose an update.
const kindFailure store.ObjectKind = "Failure"

// Shared is a Limiter whose counts live in the database, so several
// processes on one PostgreSQL lock an identifier or an address together.
// Keys are stored only as SHA-256 digests.
type Shared struct {
	st  store.Store
	Now func() time.Time

	mu     sync.Mutex
	max    int
	window time.Duration
}

// NewShared returns a shared limiter of max failures per window.
func NewShared(st store.Store, max int, window time.Duration) *Shared {
	return &Shared{st: st, Now: time.Now, max: max, window: window}
}

// Configure changes the limit.
func (s *Shared) Configure(max int, window time.Duration) {
	s.mu.Lock()
	s.max, s.window = max, window
	s.mu.Unlock()
}

func (s *Shared) limits() (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max, s.window
}

func familyOf(key string) string {
	sum := sha256.Sum256([]byte("throttle\x00" + key))
	return "throttle:" + hex.EncodeToString(sum[:16])
}

// Fail records a failure for each key.
func (s *Shared) Fail(ctx context.Context, keys ...string) error {
	_, window := s.limits()
	now := s.Now()
	for _, k := range keys {
		if k == "" {
			continue
		}
		err := s.st.PutObject(ctx, &store.OIDCObject{Kind: kindFailure, ID: id.New(id.RecordLength), FamilyID: familyOf(k),
			Payload: []byte("{}"), ExpiresAt: now.Add(window).UnixMilli()})
		if err != nil {
			return err
		}
	}
	return nil
}

// Blocked reports whether any key has reached the limit, and for how long.
func (s *Shared) Blocked(ctx context.Context, keys ...string) (time.Duration, bool, error) {
	max, _ := s.limits()
	if max <= 0 {
		return 0, false, nil
	}
	now := s.Now()
	var wait time.Duration
	for _, k := range keys {
		n, first, err := s.st.CountFamily(ctx, kindFailure, familyOf(k), now.UnixMilli())
		if err != nil {
			return 0, false, err
		}
		if n >= max {
			if d := time.UnixMilli(first).Sub(now); d > wait {
				wait = d
			}
			if wait <= 0 {
				wait = time.Second
			}
		}
	}
	return wait, wait > 0, nil
}

// Reset forgets the failures of key, after a success.
func (s *Shared) Reset(ctx context.Context, key string) error {
	_, err := s.st.RevokeFamily(ctx, familyOf(key))
	return err
}
