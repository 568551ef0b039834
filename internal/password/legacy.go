package password

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// maxBcryptCost bounds imported bcrypt digests: each step doubles the work,
// and cost 16 already takes seconds, so anything above is a crafted row
// rather than a real configuration.
const maxBcryptCost = 16

func verifyBcrypt(pw, digest string) (bool, error) {
	if !strings.HasPrefix(digest, "$2a$") && !strings.HasPrefix(digest, "$2b$") && !strings.HasPrefix(digest, "$2y$") {
		return false, errors.New("password: malformed bcrypt digest (want $2a$, $2b$ or $2y$)")
	}
	cost, err := bcrypt.Cost([]byte(digest))
	if err != nil {
		return false, fmt.Errorf("password: malformed bcrypt digest: %w", err)
	}
	if cost > maxBcryptCost {
		return false, fmt.Errorf("password: bcrypt cost %d is above %d", cost, maxBcryptCost)
	}
	// bcrypt itself compares in constant time.
	err = withSlot(func() error { return bcrypt.CompareHashAndPassword([]byte(digest), []byte(pw)) })
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("password: malformed bcrypt digest: %w", err)
	}
}

// verifyHexDigest checks an unsalted hex digest, as Logto accepts for
// imported SHA1, SHA256 and MD5 passwords.
func verifyHexDigest(pw, digest string, h hash.Hash) (bool, error) {
	want, err := hex.DecodeString(digest)
	if err != nil || len(want) != h.Size() {
		return false, fmt.Errorf("password: malformed digest: want %d hex digits", 2*h.Size())
	}
	h.Write([]byte(pw))
	return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1, nil
}
