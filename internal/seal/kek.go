package seal

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// ParseKEK decodes the ENCRYPTION_KEY setting: a 32-byte key written as
// base64 (standard or URL alphabet, with or without padding) or as 64 hex
// digits. An empty or all-blank setting returns nil, meaning no encryption,
// so that callers can pass the environment variable straight through.
func ParseKEK(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("seal: ENCRYPTION_KEY must be %d random bytes in base64 or hex; make one with `openssl rand -base64 32`", KeySize)
}
