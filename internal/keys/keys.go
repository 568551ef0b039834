// Package keys manages the token signing key ring: generating, importing and
// rotating keys in the store, and the in-memory Ring that signs tokens,
// verifies them and publishes the JWKS.
//
// A key's life is told by two store timestamps. It is published (in the
// JWKS, and accepted by Verify) from creation until Retention after
// RetiredAt; it is active, and may sign, from NotBefore until RetiredAt.
// Among the active keys of an algorithm the newest signs, so that two
// processes creating a key at once merely leave an unused spare.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// JWS algorithm names.
const (
	ES256 = "ES256"
	ES384 = "ES384"
	ES512 = "ES512"
	RS256 = "RS256"
	RS384 = "RS384"
	RS512 = "RS512"
	PS256 = "PS256"
)

// verifiable is what Verify accepts at most: asymmetric algorithms only, so
// that neither "none" nor an HMAC keyed with a public key can pass.
var verifiable = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512, jose.PS256,
}

const minRSABits = 2048

// Generate returns a new private key for alg: ES256 (P-256), ES384 (P-384)
// or RS256 (RSA-2048).
func Generate(alg string) (crypto.Signer, error) {
	switch alg {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ES384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RS256:
		return rsa.GenerateKey(rand.Reader, minRSABits)
	}
	return nil, fmt.Errorf("keys: cannot generate %q keys (want ES256, ES384 or RS256)", alg)
}

// KeyID returns the RFC 7638 JWK thumbprint of pub (SHA-256, base64url).
// Logto names its keys the same way, so imported Logto keys keep their kid.
func KeyID(pub crypto.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("keys: computing key id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// algorithmFor picks the algorithm an imported key signs with.
func algorithmFor(key crypto.Signer) (string, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return ES256, nil
		case elliptic.P384():
			return ES384, nil
		case elliptic.P521():
			return ES512, nil
		}
		return "", fmt.Errorf("keys: unsupported elliptic curve %s", k.Curve.Params().Name)
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return "", fmt.Errorf("keys: RSA key has %d bits, want at least %d", k.N.BitLen(), minRSABits)
		}
		return RS256, nil
	}
	return "", fmt.Errorf("keys: unsupported key type %T (want ECDSA or RSA)", key)
}

// checkFits reports whether key can sign with alg, so that a stored key
// whose algorithm was edited or mislabelled fails at load, not per token.
func checkFits(alg string, key crypto.Signer) error {
	var want string
	switch alg {
	case ES256, ES384, ES512:
		want = alg
	case RS256, RS384, RS512, PS256:
		want = RS256 // any RSA key of at least minRSABits
	default:
		return fmt.Errorf("keys: unsupported algorithm %q", alg)
	}
	got, err := algorithmFor(key)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("keys: a %s key cannot sign %s", got, alg)
	}
	return nil
}
