package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Bounds on Argon2 parameters. Imported digests are untrusted input: without
// them one crafted row could make a single sign-in allocate terabytes or run
// for hours.
const (
	maxMemory = 1 << 20 // KiB: 1 GiB
	maxTime   = 1000
	maxLanes  = 255
	maxSalt   = 1024
	minKey    = 4 // RFC 9106's minimum tag length
	maxKey    = 1024
)

// phc is a parsed Argon2 PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, base64 without padding.
type phc struct {
	variant string // argon2id, argon2i or argon2d
	params  Params
	salt    []byte
	key     []byte
}

func (h phc) String() string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", h.variant, argon2Version,
		h.params.Memory, h.params.Time, h.params.Threads,
		base64.RawStdEncoding.EncodeToString(h.salt), base64.RawStdEncoding.EncodeToString(h.key))
}

var errMalformedPHC = errors.New("password: malformed Argon2 digest")

func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	// "", variant, version, parameters, salt, hash
	if len(parts) != 6 || parts[0] != "" {
		return phc{}, errMalformedPHC
	}
	h := phc{variant: parts[1]}
	switch h.variant {
	case "argon2id", "argon2i", "argon2d":
	default:
		return phc{}, fmt.Errorf("password: %q is not an Argon2 variant", h.variant)
	}
	if parts[2] != "v=19" {
		return phc{}, fmt.Errorf("password: unsupported Argon2 version %q (want v=19)", parts[2])
	}
	if err := h.parseParams(parts[3]); err != nil {
		return phc{}, err
	}
	var err error
	if h.salt, err = decodeB64(parts[4]); err != nil || len(h.salt) == 0 || len(h.salt) > maxSalt {
		return phc{}, fmt.Errorf("%w: bad salt", errMalformedPHC)
	}
	if h.key, err = decodeB64(parts[5]); err != nil || len(h.key) < minKey || len(h.key) > maxKey {
		return phc{}, fmt.Errorf("%w: bad hash", errMalformedPHC)
	}
	return h, nil
}

// parseParams reads "m=…,t=…,p=…" in any order, each exactly once.
func (h *phc) parseParams(s string) error {
	var seen [3]bool
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%w: parameter %q", errMalformedPHC, kv)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("%w: parameter %q", errMalformedPHC, kv)
		}
		var i int
		switch k {
		case "m":
			i, h.params.Memory = 0, uint32(n)
		case "t":
			i, h.params.Time = 1, uint32(n)
		case "p":
			if n > maxLanes {
				return fmt.Errorf("password: Argon2 parallelism %d is above %d", n, maxLanes)
			}
			i, h.params.Threads = 2, uint8(n)
		default:
			return fmt.Errorf("%w: unknown parameter %q", errMalformedPHC, k)
		}
		if seen[i] {
			return fmt.Errorf("%w: parameter %q repeated", errMalformedPHC, k)
		}
		seen[i] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return fmt.Errorf("%w: want m, t and p", errMalformedPHC)
	}
	return h.params.validate()
}

// validate checks p against RFC 9106's minimums and Gatehouse's maximums.
func (p Params) validate() error {
	switch {
	case p.Threads < 1:
		return errors.New("password: Argon2 parallelism must be at least 1")
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("password: Argon2 time cost %d is outside 1..%d", p.Time, maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("password: Argon2 memory %d KiB is outside %d..%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	}
	return nil
}

// decodeB64 accepts the unpadded standard base64 of PHC strings, and padded
// input too since some libraries write it.
func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
