package password

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"
)

// RFC 9106 §5: 32 KiB, 3 passes, 4 lanes, 32-byte tag, with secret and
// associated data.
func TestArgon2RFC9106Vectors(t *testing.T) {
	password := bytes.Repeat([]byte{0x01}, 32)
	salt := bytes.Repeat([]byte{0x02}, 16)
	secret := bytes.Repeat([]byte{0x03}, 8)
	data := bytes.Repeat([]byte{0x04}, 12)
	for _, tc := range []struct {
		name string
		mode argon2Mode
		tag  string
	}{
		{"Argon2d §5.1", modeArgon2d, "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb"},
		{"Argon2i §5.2", modeArgon2i, "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8"},
		{"Argon2id §5.3", modeArgon2id, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"},
	} {
		got := hex.EncodeToString(argon2Key(tc.mode, password, salt, secret, data, 3, 32, 4, 32))
		if got != tc.tag {
			t.Errorf("%s: tag = %s, want %s", tc.name, got, tc.tag)
		}
	}
}

// The Argon2i and Argon2id modes of argon2Key must agree with x/crypto,
// including memory sizes that are not a multiple of 4·lanes, several
// passes, more than one address block per segment, and long tags.
func TestArgon2MatchesXCrypto(t *testing.T) {
	for _, tc := range []struct {
		time, memory uint32
		lanes        uint8
		keyLen       uint32
	}{
		{1, 8, 1, 32},
		{2, 64, 1, 16},
		{3, 1037, 3, 32},
		{1, 2048, 4, 64},
		{4, 300, 2, 100},
		{2, 1024, 1, 1500},
	} {
		name := fmt.Sprintf("t=%d,m=%d,p=%d,len=%d", tc.time, tc.memory, tc.lanes, tc.keyLen)
		pw, salt := []byte("correct horse "+name), []byte("sodium chloride!")
		wantI := argon2.Key(pw, salt, tc.time, tc.memory, tc.lanes, tc.keyLen)
		gotI := argon2Key(modeArgon2i, pw, salt, nil, nil, tc.time, tc.memory, uint32(tc.lanes), tc.keyLen)
		if !bytes.Equal(gotI, wantI) {
			t.Errorf("Argon2i %s: %x, want %x", name, gotI, wantI)
		}
		wantID := argon2.IDKey(pw, salt, tc.time, tc.memory, tc.lanes, tc.keyLen)
		gotID := argon2Key(modeArgon2id, pw, salt, nil, nil, tc.time, tc.memory, uint32(tc.lanes), tc.keyLen)
		if !bytes.Equal(gotID, wantID) {
			t.Errorf("Argon2id %s: %x, want %x", name, gotID, wantID)
		}
	}
}
