package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func newKEK(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

func mustNew(t *testing.T, kek []byte) *Sealer {
	t.Helper()
	s, err := New(kek)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTripWithKEK(t *testing.T) {
	s := mustNew(t, newKEK(t))
	if !s.Encrypted() {
		t.Fatal("Encrypted() = false with a KEK")
	}
	for _, plain := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("secret "), 500)} {
		sealed, err := s.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "v1:") {
			t.Fatalf("sealed = %q, want v1: prefix", sealed)
		}
		if len(plain) > 0 && strings.Contains(sealed, base64.StdEncoding.EncodeToString(plain)) {
			t.Fatal("sealed value carries the plaintext")
		}
		got, err := s.Open(sealed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
	}
}

func TestNonceIsRandom(t *testing.T) {
	s := mustNew(t, newKEK(t))
	a, _ := s.Seal([]byte("same"))
	b, _ := s.Seal([]byte("same"))
	if a == b {
		t.Fatal("two seals of one value are equal: nonce is not random")
	}
}

func TestPlainWithoutKEK(t *testing.T) {
	for _, s := range []*Sealer{mustNew(t, nil), mustNew(t, []byte{}), nil} {
		if s.Encrypted() {
			t.Fatal("Encrypted() = true without a KEK")
		}
		sealed, err := s.Seal([]byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		if sealed != "plain:aGVsbG8=" {
			t.Fatalf("sealed = %q", sealed)
		}
		got, err := s.Open(sealed)
		if err != nil || string(got) != "hello" {
			t.Fatalf("Open = %q, %v", got, err)
		}
	}
}

func TestPlainOpensAfterAddingKEK(t *testing.T) {
	old, _ := mustNew(t, nil).Seal([]byte("old secret"))
	got, err := mustNew(t, newKEK(t)).Open(old)
	if err != nil || string(got) != "old secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestOpenV1WithoutKEK(t *testing.T) {
	sealed, _ := mustNew(t, newKEK(t)).Seal([]byte("x"))
	_, err := mustNew(t, nil).Open(sealed)
	if err == nil || !strings.Contains(err.Error(), "set ENCRYPTION_KEY") {
		t.Fatalf("err = %v, want one that says to set ENCRYPTION_KEY", err)
	}
}

func TestOpenWithWrongKEK(t *testing.T) {
	sealed, _ := mustNew(t, newKEK(t)).Seal([]byte("x"))
	_, err := mustNew(t, newKEK(t)).Open(sealed)
	if err == nil || !strings.Contains(err.Error(), "not the key") {
		t.Fatalf("err = %v, want a wrong-key error", err)
	}
}

func TestOpenMalformed(t *testing.T) {
	s := mustNew(t, newKEK(t))
	sealed, _ := s.Seal([]byte("x"))
	raw, _ := base64.StdEncoding.DecodeString(sealed[3:])
	raw[len(raw)-1] ^= 1
	tampered := "v1:" + base64.StdEncoding.EncodeToString(raw)
	for _, v := range []string{"", "hello", "v2:abc", "v1:!!!", "v1:AAAA", "plain:!!!", tampered} {
		if _, err := s.Open(v); err == nil {
			t.Errorf("Open(%q) succeeded", v)
		}
	}
}

func TestNewRejectsWrongLength(t *testing.T) {
	for _, n := range []int{1, 16, 24, 31, 33, 64} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New with %d-byte key succeeded", n)
		}
	}
}

func TestParseKEK(t *testing.T) {
	key := newKEK(t)
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(key),
		base64.RawStdEncoding.EncodeToString(key),
		base64.URLEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		hex.EncodeToString(key),
		strings.ToUpper(hex.EncodeToString(key)),
		" " + base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := ParseKEK(s)
		if err != nil {
			t.Errorf("ParseKEK(%q): %v", s, err)
			continue
		}
		if !bytes.Equal(got, key) {
			t.Errorf("ParseKEK(%q) = %x, want %x", s, got, key)
		}
	}
	if got, err := ParseKEK("  "); got != nil || err != nil {
		t.Errorf("ParseKEK(blank) = %x, %v; want nil, nil", got, err)
	}
	for _, s := range []string{
		"short",
		base64.StdEncoding.EncodeToString(key[:16]),
		base64.StdEncoding.EncodeToString(append(key, 0)),
		hex.EncodeToString(key)[:63] + "g",
	} {
		_, err := ParseKEK(s)
		if err == nil {
			t.Errorf("ParseKEK(%q) succeeded", s)
			continue
		}
		if !strings.Contains(err.Error(), "ENCRYPTION_KEY") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
			t.Errorf("error %q does not name the setting and how to make a key", err)
		}
	}
}
