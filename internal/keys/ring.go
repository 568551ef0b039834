package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Options tune a Ring. Zero fields take their defaults.
type Options struct {
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// ReloadEvery is how often Run reloads the keys from the store; 15s by
	// default.
	ReloadEvery time.Duration
	// Propagation is how long after its creation a rotated key starts
	// signing, so that every process publishes it first; 45s by default,
	// three reloads.
	Propagation time.Duration
	// Retention is how long a retired key stays published, which must
	// outlast the tokens it signed; 24h by default.
	Retention time.Duration
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ReloadEvery <= 0 {
		o.ReloadEvery = 15 * time.Second
	}
	if o.Propagation <= 0 {
		o.Propagation = 45 * time.Second
	}
	if o.Retention <= 0 {
		o.Retention = 24 * time.Hour
	}
	return o
}

// Ring holds the signing keys in memory. Load swaps in a whole new set at
// once, so Sign, Verify, JWKS and Algorithms never wait for a lock.
type Ring struct {
	st     store.SigningKeys
	sealer *seal.Sealer
	opt    Options

	cur    atomic.Pointer[snapshot]
	loadMu sync.Mutex // keeps a slow Load from replacing a newer one's result
}

// New returns an empty Ring over st. Call Ensure and then Load before use,
// and Run to follow changes made by other processes.
func New(st store.SigningKeys, sealer *seal.Sealer, opt Options) *Ring {
	r := &Ring{st: st, sealer: sealer, opt: opt.withDefaults()}
	r.cur.Store(emptySnapshot())
	return r
}

func (r *Ring) now() int64 { return r.opt.Now().UnixMilli() }

// Ensure creates an ES256 key and an RS256 key, each signing from now, when
// the store has no active key of that algorithm. Two processes running it at
// once may both create one; the newer signs and the other stays unused.
// It does not load the ring.
func (r *Ring) Ensure(ctx context.Context) error {
	existing, err := r.st.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("keys: listing signing keys: %w", err)
	}
	now := r.opt.Now()
	for _, alg := range []string{ES256, RS256} {
		hasActive := slices.ContainsFunc(existing, func(k store.SigningKey) bool {
			return k.Algorithm == alg && isActive(&k, now.UnixMilli())
		})
		if hasActive {
			continue
		}
		if _, err := Create(ctx, r.st, r.sealer, alg, now, now); err != nil {
			return err
		}
	}
	return nil
}

// Rotate rotates alg's key with the ring's Propagation (see the Rotate
// function) and reloads the ring.
func (r *Ring) Rotate(ctx context.Context, alg string) (*store.SigningKey, error) {
	k, err := Rotate(ctx, r.st, r.sealer, alg, r.opt.Now(), r.opt.Propagation)
	if err != nil {
		return k, err
	}
	return k, r.Load(ctx)
}

// Load reads the published keys from the store, opens them, and swaps them
// in. On error the previous keys stay in use.
func (r *Ring) Load(ctx context.Context) error {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	records, err := r.st.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("keys: listing signing keys: %w", err)
	}
	next, err := buildSnapshot(records, r.cur.Load(), r.sealer, r.now(), r.opt.Retention)
	if err != nil {
		return err
	}
	r.cur.Store(next)
	return nil
}

// Run reloads the ring every ReloadEvery until ctx is done. A failed reload
// is logged and the previous keys stay in use.
func (r *Ring) Run(ctx context.Context) {
	tick := time.NewTicker(r.opt.ReloadEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := r.Load(ctx); err != nil && ctx.Err() == nil {
				slog.Error("keys: reloading signing keys failed; keeping the previous ones", "err", err)
			}
		}
	}
}

// Sign returns a compact JWS of claims, marshalled with encoding/json,
// signed by the newest active key of alg ("" means ES256). The header
// carries alg, kid and, unless typ is empty, typ ("JWT", "at+jwt", ...).
func (r *Ring) Sign(alg, typ string, claims any) (string, error) {
	if alg == "" {
		alg = ES256
	}
	k := r.cur.Load().signingKey(alg, r.now())
	if k == nil {
		return "", fmt.Errorf("keys: no active %s signing key", alg)
	}
	signer, err := k.signer(typ)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("keys: encoding claims: %w", err)
	}
	tok, err := signer.signCompact(payload)
	if err != nil {
		return "", fmt.Errorf("keys: signing with %s key %s: %w", alg, k.rec.ID, err)
	}
	return tok, nil
}

// Header is the part of a verified token's JOSE header callers need.
type Header struct {
	Kid string
	Alg string
	Typ string
}

// Verify checks a compact JWS against the published key named by its kid
// and returns its header and payload. algs narrows the accepted algorithms
// (all of ES256, ES384, ES512, RS256, RS384, RS512 and PS256 when empty);
// "none" and HMAC algorithms are never accepted, and the token's alg must
// be the key's. Verify does not look at the claims.
func (r *Ring) Verify(token string, algs ...string) (Header, []byte, error) {
	allowed := verifiable
	if len(algs) > 0 {
		allowed = nil
		for _, a := range verifiable {
			if slices.Contains(algs, string(a)) {
				allowed = append(allowed, a)
			}
		}
		if len(allowed) == 0 {
			return Header{}, nil, fmt.Errorf("keys: none of the algorithms %v can be verified", algs)
		}
	}
	jws, err := jose.ParseSignedCompact(token, allowed)
	if err != nil {
		return Header{}, nil, fmt.Errorf("keys: malformed or disallowed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return Header{}, nil, errors.New("keys: token must carry exactly one signature")
	}
	jh := jws.Signatures[0].Header
	typ, _ := jh.ExtraHeaders[jose.HeaderType].(string)
	h := Header{Kid: jh.KeyID, Alg: jh.Algorithm, Typ: typ}
	if h.Kid == "" {
		return h, nil, errors.New("keys: token has no kid")
	}
	k := r.cur.Load().byID[h.Kid]
	if k == nil || !isPublished(&k.rec, r.now(), r.opt.Retention) {
		return h, nil, fmt.Errorf("keys: unknown kid %q", h.Kid)
	}
	if h.Alg != k.rec.Algorithm {
		return h, nil, fmt.Errorf("keys: token alg %s does not match key %s's %s", h.Alg, h.Kid, k.rec.Algorithm)
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return h, nil, fmt.Errorf("keys: bad signature for kid %q", h.Kid)
	}
	return h, payload, nil
}

// JWKS returns the published public keys as a JSON Web Key Set, as of the
// last Load. The slice is shared: do not modify it.
func (r *Ring) JWKS() []byte { return r.cur.Load().jwks }

// Algorithms returns the algorithms that have an active key now, sorted,
// for the discovery document.
func (r *Ring) Algorithms() []string {
	now := r.now()
	var algs []string
	for _, k := range r.cur.Load().keys {
		if isActive(&k.rec, now) && !slices.Contains(algs, k.rec.Algorithm) {
			algs = append(algs, k.rec.Algorithm)
		}
	}
	slices.Sort(algs)
	return algs
}
