package keys

import (
	"crypto"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// snapshot is one immutable generation of the ring.
type snapshot struct {
	keys []*ringKey          // published keys, newerFirst
	byID map[string]*ringKey // the same keys by kid
	jwks []byte
}

// ringKey is a published key: its record, which may change from one load to
// the next, and its opened material, which does not.
type ringKey struct {
	rec store.SigningKey
	*material
}

// material is a key opened from its sealed form. It is reused across loads
// while the sealed value is unchanged, which saves decrypting and parsing
// keys every reload and keeps the signers cached.
type material struct {
	kid     string
	alg     jose.SignatureAlgorithm
	sealed  string
	private crypto.Signer
	public  crypto.PublicKey

	// signers caches one compactSigner per typ header value.
	signers sync.Map // string → *compactSigner
}

func emptySnapshot() *snapshot {
	return &snapshot{byID: map[string]*ringKey{}, jwks: []byte(`{"keys":[]}`)}
}

func buildSnapshot(records []store.SigningKey, prev *snapshot, sealer *seal.Sealer, now int64, retention time.Duration) (*snapshot, error) {
	s := &snapshot{byID: make(map[string]*ringKey, len(records))}
	for _, rec := range records {
		if !isPublished(&rec, now, retention) {
			continue
		}
		m := prev.reusable(rec)
		if m == nil {
			var err error
			if m, err = openMaterial(rec, sealer); err != nil {
				return nil, fmt.Errorf("keys: loading %s key %s: %w", rec.Algorithm, rec.ID, err)
			}
		}
		k := &ringKey{rec: rec, material: m}
		s.keys = append(s.keys, k)
		s.byID[rec.ID] = k
	}
	slices.SortFunc(s.keys, func(a, b *ringKey) int { return newerFirst(&a.rec, &b.rec) })
	jwks, err := s.marshalJWKS(now)
	if err != nil {
		return nil, err
	}
	s.jwks = jwks
	return s, nil
}

// reusable returns the material of rec's key from s if rec has not changed
// in a way that matters to it.
func (s *snapshot) reusable(rec store.SigningKey) *material {
	old := s.byID[rec.ID]
	if old == nil || old.sealed != rec.Sealed || string(old.alg) != rec.Algorithm {
		return nil
	}
	return old.material
}

func openMaterial(rec store.SigningKey, sealer *seal.Sealer) (*material, error) {
	pemBytes, err := sealer.Open(rec.Sealed)
	if err != nil {
		return nil, err
	}
	priv, err := parsePEM(pemBytes)
	if err != nil {
		return nil, err
	}
	if err := checkFits(rec.Algorithm, priv); err != nil {
		return nil, err
	}
	return &material{
		kid:     rec.ID,
		alg:     jose.SignatureAlgorithm(rec.Algorithm),
		sealed:  rec.Sealed,
		private: priv,
		public:  priv.Public(),
	}, nil
}

// marshalJWKS lists the keys that sign now first, so that a client that
// wrongly takes the first key without matching the kid still gets the
// right one most of the time.
func (s *snapshot) marshalJWKS(now int64) ([]byte, error) {
	ordered := slices.Clone(s.keys)
	slices.SortStableFunc(ordered, func(a, b *ringKey) int {
		return boolRank(isActive(&b.rec, now)) - boolRank(isActive(&a.rec, now))
	})
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(ordered))}
	for _, k := range ordered {
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:       k.public,
			KeyID:     k.kid,
			Algorithm: string(k.alg),
			Use:       "sig",
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("keys: encoding JWKS: %w", err)
	}
	return b, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// signingKey returns the newest key of alg that is active at now, or nil.
func (s *snapshot) signingKey(alg string, now int64) *ringKey {
	for _, k := range s.keys {
		if k.rec.Algorithm == alg && isActive(&k.rec, now) {
			return k
		}
	}
	return nil
}

// signer returns the cached signer for typ, building it on first use.
func (m *material) signer(typ string) (*compactSigner, error) {
	if s, ok := m.signers.Load(typ); ok {
		return s.(*compactSigner), nil
	}
	s, err := newCompactSigner(m.kid, string(m.alg), typ, m.private)
	if err != nil {
		return nil, fmt.Errorf("keys: building signer for key %s: %w", m.kid, err)
	}
	actual, _ := m.signers.LoadOrStore(typ, s)
	return actual.(*compactSigner), nil
}
