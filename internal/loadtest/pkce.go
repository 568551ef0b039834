package loadtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// randomToken returns 32 random bytes base64url-encoded: 43 characters,
// the shortest PKCE verifier RFC 7636 allows, and plenty for state and nonce.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// s256Challenge derives the PKCE S256 code_challenge of a verifier.
func s256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
