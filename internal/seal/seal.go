// Package seal encrypts small secrets at rest: signing keys and client
// secrets. With a key-encryption key (KEK) values are AES-256-GCM
// ciphertexts; without one they are stored in the clear under a "plain:"
// prefix, so that a deployment can add a KEK later and still read old rows.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Prefixes of sealed values. The prefix names the format so that Open never
// has to guess, and so that a new format can be added beside these.
const (
	plainPrefix = "plain:"
	v1Prefix    = "v1:"
)

// KeySize is the length of a key-encryption key: AES-256.
const KeySize = 32

const nonceSize = 12 // the GCM standard nonce

// Sealer seals and opens values with one key-encryption key, or with none.
// It is safe for concurrent use. A nil *Sealer behaves like New(nil).
type Sealer struct {
	aead cipher.AEAD // nil when no KEK is configured
}

// New returns a Sealer for kek. An empty kek means no encryption; otherwise
// kek must be exactly KeySize bytes.
func New(kek []byte) (*Sealer, error) {
	if len(kek) == 0 {
		return &Sealer{}, nil
	}
	if len(kek) != KeySize {
		return nil, fmt.Errorf("seal: encryption key is %d bytes, want %d", len(kek), KeySize)
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Encrypted reports whether s encrypts what it seals.
func (s *Sealer) Encrypted() bool { return s != nil && s.aead != nil }

// Seal returns plain in its stored form: "v1:" followed by the base64 of a
// random nonce and the GCM ciphertext, or "plain:" followed by the base64 of
// plain when s has no key.
func (s *Sealer) Seal(plain []byte) (string, error) {
	if !s.Encrypted() {
		return plainPrefix + base64.StdEncoding.EncodeToString(plain), nil
	}
	// A random nonce is safe here: far fewer than 2^32 values are ever
	// sealed under one key.
	buf := make([]byte, nonceSize, nonceSize+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("seal: reading random nonce: %w", err)
	}
	buf = s.aead.Seal(buf, buf[:nonceSize], plain, nil)
	return v1Prefix + base64.StdEncoding.EncodeToString(buf), nil
}

// Open returns the plaintext of a value made by Seal. A "plain:" value opens
// with or without a key; a "v1:" value needs the key it was sealed with.
func (s *Sealer) Open(sealed string) ([]byte, error) {
	switch {
	case strings.HasPrefix(sealed, plainPrefix):
		plain, err := base64.StdEncoding.DecodeString(sealed[len(plainPrefix):])
		if err != nil {
			return nil, fmt.Errorf("seal: malformed plain value: %w", err)
		}
		return plain, nil
	case strings.HasPrefix(sealed, v1Prefix):
		if !s.Encrypted() {
			return nil, errors.New("seal: value was sealed with an encryption key; set ENCRYPTION_KEY")
		}
		raw, err := base64.StdEncoding.DecodeString(sealed[len(v1Prefix):])
		if err != nil {
			return nil, fmt.Errorf("seal: malformed v1 value: %w", err)
		}
		if len(raw) < nonceSize+s.aead.Overhead() {
			return nil, errors.New("seal: malformed v1 value: too short")
		}
		plain, err := s.aead.Open(nil, raw[:nonceSize], raw[nonceSize:], nil)
		if err != nil {
			return nil, errors.New("seal: cannot decrypt value: ENCRYPTION_KEY is not the key it was sealed with, or the value is corrupt")
		}
		return plain, nil
	default:
		return nil, errors.New("seal: value has an unknown format (want a \"v1:\" or \"plain:\" prefix)")
	}
}
