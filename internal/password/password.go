// Package password hashes new passwords with Argon2id and verifies the
// digests Logto can hold: Argon2id, Argon2i, Argon2d, bcrypt, and the
// unsalted SHA1, SHA256 and MD5 digests Logto accepts for imported users.
package password

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Algorithm names, as Logto's passwordEncryptionMethod spells them.
const (
	Argon2id = "Argon2id"
	Argon2i  = "Argon2i"
	Argon2d  = "Argon2d"
	Bcrypt   = "Bcrypt"
	SHA1     = "SHA1"
	SHA256   = "SHA256"
	MD5      = "MD5"
)

// Params are Argon2 cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
}

// DefaultParams are OWASP's recommended Argon2id parameters: 19 MiB, two
// passes, one lane.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hash returns the Argon2id PHC string of pw with a random salt.
func Hash(pw string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading random salt: %w", err)
	}
	key := withSlot(func() []byte {
		return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	})
	return phc{variant: "argon2id", params: p, salt: salt, key: key}.String(), nil
}

// Verify reports whether pw matches digest, which was made with algorithm
// (a Logto passwordEncryptionMethod). A mismatch is (false, nil); an unknown
// algorithm, a malformed digest or out-of-bounds cost parameters are errors.
func Verify(pw, digest, algorithm string) (bool, error) {
	switch algorithm {
	case Argon2id:
		return verifyArgon2(pw, digest, "argon2id")
	case Argon2i:
		return verifyArgon2(pw, digest, "argon2i")
	case Argon2d:
		return verifyArgon2(pw, digest, "argon2d")
	case Bcrypt:
		return verifyBcrypt(pw, digest)
	case SHA1:
		return verifyHexDigest(pw, digest, sha1.New())
	case SHA256:
		return verifyHexDigest(pw, digest, sha256.New())
	case MD5:
		return verifyHexDigest(pw, digest, md5.New())
	}
	return false, fmt.Errorf("password: unknown algorithm %q", algorithm)
}

func verifyArgon2(pw, digest, variant string) (bool, error) {
	h, err := parsePHC(digest)
	if err != nil {
		return false, err
	}
	if h.variant != variant {
		return false, fmt.Errorf("password: digest is %s, not %s", h.variant, variant)
	}
	p := h.params
	n := uint32(len(h.key))
	got := withSlot(func() []byte {
		switch variant {
		case "argon2id":
			return argon2.IDKey([]byte(pw), h.salt, p.Time, p.Memory, p.Threads, n)
		case "argon2i":
			return argon2.Key([]byte(pw), h.salt, p.Time, p.Memory, p.Threads, n)
		default: // x/crypto has no Argon2d
			return argon2Key(modeArgon2d, []byte(pw), h.salt, nil, nil, p.Time, p.Memory, uint32(p.Threads), n)
		}
	})
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

// NeedsUpgrade reports whether a digest should be replaced by Hash(pw, p)
// after a successful sign-in: true unless it is Argon2id with exactly p's
// parameters.
func NeedsUpgrade(algorithm, digest string, p Params) bool {
	if algorithm != Argon2id {
		return true
	}
	h, err := parsePHC(digest)
	return err != nil || h.variant != "argon2id" || h.params != p
}

// dummySalt and dummyKey stand in for a stored digest in DummyVerify.
var (
	dummySalt = make([]byte, saltLen)
	dummyKey  = make([]byte, keyLen)
)

// DummyVerify costs what Verify of an Argon2id digest with parameters p
// costs, and checks nothing. Call it when the user is unknown so that a
// wrong identifier takes as long as a wrong password and sign-in timing does
// not reveal which accounts exist.
func DummyVerify(p Params) {
	if p.validate() != nil {
		p = DefaultParams
	}
	got := withSlot(func() []byte {
		return argon2.IDKey([]byte("dummy password"), dummySalt, p.Time, p.Memory, p.Threads, keyLen)
	})
	subtle.ConstantTimeCompare(got, dummyKey)
}
