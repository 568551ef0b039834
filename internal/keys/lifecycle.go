package keys

import (
	"cmp"
	"context"
	"crypto"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// NeverSigns is the NotBefore of a key that is published but never signs.
//
// The store has no field for "verify only", and none is needed: the key
// rules (active means NotBefore <= now) already keep such a key out of
// signing, out of Ensure's count and out of Rotate's retirements, while
// publication depends on RetiredAt alone, so the key stays in the JWKS
// until it is deleted. It is 2^53-1 rather than the largest int64 so that
// it survives a round trip through JSON numbers in JavaScript.
const NeverSigns int64 = 1<<53 - 1

// isActive reports whether k may sign at now (Unix ms).
func isActive(k *store.SigningKey, now int64) bool {
	return k.NotBefore <= now && (k.RetiredAt == 0 || k.RetiredAt > now)
}

// isPublished reports whether k belongs in the JWKS at now (Unix ms): keys
// not yet active are published so that verifiers learn them before the
// first token, and retired keys stay until tokens they signed have expired.
func isPublished(k *store.SigningKey, now int64, retention time.Duration) bool {
	return k.RetiredAt == 0 || now < k.RetiredAt+retention.Milliseconds()
}

// newerFirst orders keys for signing: the latest NotBefore first, then the
// latest CreatedAt, then the ID, so that every process picks the same key.
func newerFirst(a, b *store.SigningKey) int {
	if c := cmp.Compare(b.NotBefore, a.NotBefore); c != 0 {
		return c
	}
	if c := cmp.Compare(b.CreatedAt, a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// Create generates a key for alg and stores it, sealed, with its thumbprint
// as ID. It is published at once and signs from notBefore on.
func Create(ctx context.Context, st store.SigningKeys, sealer *seal.Sealer, alg string, notBefore, now time.Time) (*store.SigningKey, error) {
	priv, err := Generate(alg)
	if err != nil {
		return nil, err
	}
	return save(ctx, st, sealer, priv, alg, notBefore.UnixMilli(), now)
}

// Import stores a private key given in PEM: PKCS#8, SEC1 ("EC PRIVATE KEY")
// or PKCS#1 ("RSA PRIVATE KEY"); P-256, P-384, P-521 or RSA of at least
// 2048 bits, signing ES256, ES384, ES512 or RS256. The ID is the key's
// thumbprint, as Logto's kid is.
//
// An imported key is published until it is deleted, so that tokens it
// signed elsewhere verify here. With sign false it never signs (NotBefore is
// NeverSigns). With sign true it signs from now on, taking over from older
// keys of its algorithm at each process's next reload; this is meant for
// migrating before the servers start, since a running process that has not
// reloaded yet cannot verify the new key's tokens for up to ReloadEvery.
func Import(ctx context.Context, st store.SigningKeys, sealer *seal.Sealer, pemBytes []byte, sign bool, now time.Time) (*store.SigningKey, error) {
	priv, err := parsePEM(pemBytes)
	if err != nil {
		return nil, err
	}
	alg, err := algorithmFor(priv)
	if err != nil {
		return nil, err
	}
	notBefore := NeverSigns
	if sign {
		notBefore = now.UnixMilli()
	}
	return save(ctx, st, sealer, priv, alg, notBefore, now)
}

func save(ctx context.Context, st store.SigningKeys, sealer *seal.Sealer, priv crypto.Signer, alg string, notBefore int64, now time.Time) (*store.SigningKey, error) {
	kid, err := KeyID(priv.Public())
	if err != nil {
		return nil, err
	}
	pemBytes, err := encodePEM(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := sealer.Seal(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("keys: sealing %s key %s: %w", alg, kid, err)
	}
	k := &store.SigningKey{
		ID:        kid,
		Algorithm: alg,
		Sealed:    sealed,
		CreatedAt: now.UnixMilli(),
		NotBefore: notBefore,
	}
	if err := st.CreateSigningKey(ctx, k); err != nil {
		return nil, fmt.Errorf("keys: storing %s key %s: %w", alg, kid, err)
	}
	return k, nil
}

// Rotate creates a key for alg that signs from now+propagation, and retires
// every key of alg that signs or is waiting to at that same instant. Every
// process publishes the new key at its next reload, well before it signs,
// and the old keys stay published for the ring's Retention after that.
// Keys imported to verify only (NeverSigns) are left alone.
func Rotate(ctx context.Context, st store.SigningKeys, sealer *seal.Sealer, alg string, now time.Time, propagation time.Duration) (*store.SigningKey, error) {
	existing, err := st.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: listing signing keys: %w", err)
	}
	// Create first: should retiring fail halfway, the new key still takes
	// over as the newest one at its NotBefore.
	k, err := Create(ctx, st, sealer, alg, now.Add(propagation), now)
	if err != nil {
		return nil, err
	}
	for _, old := range existing {
		if old.Algorithm != alg || old.RetiredAt != 0 || old.NotBefore == NeverSigns {
			continue
		}
		err := st.RetireSigningKey(ctx, old.ID, k.NotBefore)
		if err != nil && !errors.Is(err, store.ErrNotFound) { // deleted meanwhile: nothing to retire
			return k, fmt.Errorf("keys: retiring %s key %s: %w", alg, old.ID, err)
		}
	}
	return k, nil
}
