package management

import (
	"cmp"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func (a *API) registerConfigs() {
	a.handle("GET", "/api/configs/oidc/{keyType}", "GetOidcKeys", 200, "List the OIDC signing keys (no private material)", a.getOidcKeys)
	a.handle("DELETE", "/api/configs/oidc/{keyType}/{keyId}", "DeleteOidcKey", 204, "Delete an OIDC signing key", a.deleteOidcKey)
	a.handle("POST", "/api/configs/oidc/{keyType}/rotate", "RotateOidcKeys", 200, "Rotate the OIDC signing keys", a.rotateOidcKeys)
}

// Logto's key types. Gatehouse signs tokens with the private keys; it keeps
// no cookie keys (its cookies hold random identifiers, not signed data), so
// that list is always empty and cannot be rotated.
const (
	privateKeys = "private-keys"
	cookieKeys  = "cookie-keys"
)

// Logto's signing key statuses.
const (
	keyNext     = "Next"
	keyCurrent  = "Current"
	keyPrevious = "Previous"
)

// minRotationDelay is the least time between a rotation and the moment the
// new key starts signing: three reloads of every process's key ring (each
// reloads every 15 s), so that all of them publish the new key, and can
// verify its tokens, before any signs with it. It is also the keys
// package's default propagation.
const minRotationDelay = 45 * time.Second

// maxRotationGracePeriod bounds rotationGracePeriod (seconds).
const maxRotationGracePeriod = 365 * 24 * 3600

// oidcKeyJSON is Logto's OidcConfigKeysResponse: never any key material.
// createdAt is in seconds, as Logto records its keys; effectiveAt, when the
// key starts signing, in milliseconds, as Logto reports it.
type oidcKeyJSON struct {
	ID                  string `json:"id"`
	CreatedAt           int64  `json:"createdAt"`
	SigningKeyAlgorithm string `json:"signingKeyAlgorithm,omitempty"`
	Status              string `json:"status,omitempty"`
	EffectiveAt         *int64 `json:"effectiveAt,omitempty"`
}

// keyType reads the keyType path parameter.
func keyType(r *http.Request) (string, error) {
	switch t := r.PathValue("keyType"); t {
	case privateKeys, cookieKeys:
		return t, nil
	}
	return "", invalid("keyType", "must be private-keys or cookie-keys")
}

// keyFamily is Logto's signingKeyAlgorithm for a JWS algorithm.
func keyFamily(alg string) string {
	if strings.HasPrefix(alg, "ES") {
		return "EC"
	}
	return "RSA"
}

// keyActive mirrors the key ring's rule: a key signs from NotBefore until
// RetiredAt (0: no end).
func keyActive(k *store.SigningKey, now int64) bool {
	return k.NotBefore <= now && (k.RetiredAt == 0 || k.RetiredAt > now)
}

// signsFirst orders keys as the key ring picks among active ones: the
// latest NotBefore, then the latest CreatedAt, then the greater ID.
func signsFirst(x, y *store.SigningKey) int {
	if c := cmp.Compare(y.NotBefore, x.NotBefore); c != 0 {
		return c
	}
	if c := cmp.Compare(y.CreatedAt, x.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(y.ID, x.ID)
}

// toOidcKeysJSON lists the ring newest first, as Logto lists its keys: the
// key that signs for each algorithm now is Current, keys that will sign
// later are Next, and everything else (retired, outranked, or imported to
// verify only) is Previous.
func toOidcKeysJSON(ring []store.SigningKey, now int64) []oidcKeyJSON {
	current := map[string]*store.SigningKey{}
	for i := range ring {
		k := &ring[i]
		if keyActive(k, now) && (current[k.Algorithm] == nil || signsFirst(k, current[k.Algorithm]) < 0) {
			current[k.Algorithm] = k
		}
	}
	sorted := slices.Clone(ring)
	slices.SortFunc(sorted, func(x, y store.SigningKey) int {
		if c := cmp.Compare(y.CreatedAt, x.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(y.ID, x.ID)
	})
	out := make([]oidcKeyJSON, 0, len(sorted))
	for i := range sorted {
		k := &sorted[i]
		j := oidcKeyJSON{ID: k.ID, CreatedAt: k.CreatedAt / 1000, SigningKeyAlgorithm: keyFamily(k.Algorithm), Status: keyPrevious}
		switch {
		case k.NotBefore == keys.NeverSigns:
		case current[k.Algorithm] != nil && current[k.Algorithm].ID == k.ID:
			j.Status = keyCurrent
		case k.NotBefore > now && (k.RetiredAt == 0 || k.RetiredAt > k.NotBefore):
			j.Status = keyNext
		}
		if k.NotBefore != keys.NeverSigns {
			at := k.NotBefore
			j.EffectiveAt = &at
		}
		out = append(out, j)
	}
	return out
}

// writeOidcKeys answers the key list of keyType.
func (a *API) writeOidcKeys(w http.ResponseWriter, r *http.Request, typ string) error {
	if typ == cookieKeys {
		writeJSON(w, http.StatusOK, []oidcKeyJSON{})
		return nil
	}
	ring, err := a.store.ListSigningKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toOidcKeysJSON(ring, a.now().UnixMilli()))
	return nil
}

func (a *API) getOidcKeys(w http.ResponseWriter, r *http.Request) error {
	typ, err := keyType(r)
	if err != nil {
		return err
	}
	return a.writeOidcKeys(w, r, typ)
}

func oidcKeyNotFound(keyID string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "oidc.key_not_found", Message: "The key with ID `" + keyID + "` does not exist."}
}

// signingCovered reports whether some key of alg signs at every instant
// from now on: one active now, and each one's retirement met by another
// that is active by then, ending with one that never retires.
func signingCovered(ring []store.SigningKey, alg string, now int64) bool {
	for t := now; ; {
		next := int64(-1)
		for i := range ring {
			k := &ring[i]
			if k.Algorithm != alg || !keyActive(k, t) {
				continue
			}
			if k.RetiredAt == 0 {
				return true
			}
			next = max(next, k.RetiredAt)
		}
		if next < 0 {
			return false
		}
		t = next // later than t, so the loop ends
	}
}

func (a *API) deleteOidcKey(w http.ResponseWriter, r *http.Request) error {
	typ, err := keyType(r)
	if err != nil {
		return err
	}
	keyID := r.PathValue("keyId")
	if typ == cookieKeys {
		return oidcKeyNotFound(keyID)
	}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		ring, err := tx.ListSigningKeys(r.Context())
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ring, func(k store.SigningKey) bool { return k.ID == keyID })
		if i < 0 {
			return oidcKeyNotFound(keyID)
		}
		// Never leave an algorithm without a key to sign with, now or
		// once a pending rotation retires the current key.
		alg, now := ring[i].Algorithm, a.now().UnixMilli()
		rest := slices.Delete(slices.Clone(ring), i, i+1)
		if signingCovered(ring, alg, now) && !signingCovered(rest, alg, now) {
			return unprocessable("oidc.key_required",
				"At least one key must be kept: "+keyID+" is the "+alg+" key that signs now or will sign next. Rotate first.")
		}
		if err := tx.DeleteSigningKey(r.Context(), keyID); errors.Is(err, store.ErrNotFound) {
			return oidcKeyNotFound(keyID)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) rotateOidcKeys(w http.ResponseWriter, r *http.Request) error {
	typ, err := keyType(r)
	if err != nil {
		return err
	}
	var body struct {
		SigningKeyAlgorithm *string  `json:"signingKeyAlgorithm"`
		RotationGracePeriod *float64 `json:"rotationGracePeriod"`
	}
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if typ == cookieKeys {
		return unprocessable("oidc.cookie_keys_not_supported",
			"Gatehouse keeps no OIDC cookie keys, so there are none to rotate; only private-keys can be rotated.")
	}
	alg := keys.ES256 // Logto's default, EC
	if seen["signingKeyAlgorithm"] {
		switch {
		case body.SigningKeyAlgorithm == nil:
			return invalid("signingKeyAlgorithm", "must be RSA or EC")
		case *body.SigningKeyAlgorithm == "EC":
		case *body.SigningKeyAlgorithm == "RSA":
			alg = keys.RS256
		default:
			return invalid("signingKeyAlgorithm", "must be RSA or EC")
		}
	}
	delay := minRotationDelay
	if seen["rotationGracePeriod"] {
		g := body.RotationGracePeriod
		if g == nil || *g != math.Trunc(*g) || *g < 0 || *g > maxRotationGracePeriod {
			return invalid("rotationGracePeriod", "must be a whole number of seconds from 0 to 31536000")
		}
		// The new key cannot sign before every process has published it.
		delay = max(delay, time.Duration(*g)*time.Second)
	}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		// Every process's key ring loads the new key at its next reload and
		// switches to it at its NotBefore; the old key retires then and
		// stays published while its tokens may live.
		_, err := keys.Rotate(r.Context(), tx, a.sealer, alg, a.now(), delay)
		return err
	})
	if err != nil {
		return err
	}
	return a.writeOidcKeys(w, r, typ)
}
