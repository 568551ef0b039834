// Package id generates the random identifiers and secrets Gatehouse hands out.
package id

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"sync/atomic"
	"time"
)

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Record lengths as Logto uses them: 21 characters for most records, 12 for users.
const (
	RecordLength = 21
	UserLength   = 12
)

// New returns a random identifier of n characters from [a-z0-9], as Logto's ids are.
func New(n int) string { return draw(lowerAlnum, n) }

// Secret returns a client secret of n characters from [A-Za-z0-9]; 43
// characters carry more than 256 bits.
func Secret(n int) string { return draw(alnum, n) }

// Token returns 32 random bytes, base64url-encoded: an opaque token value.
func Token() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// draw picks n characters from alphabet uniformly by rejection sampling.
func draw(alphabet string, n int) string {
	limit := byte(256 - 256%len(alphabet))
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if b < limit {
				out = append(out, alphabet[int(b)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// lastOrdered is the nanosecond stamp of the last Ordered id.
var lastOrdered atomic.Int64

// Ordered returns a 21-character id from [a-z0-9] whose first 12 characters
// encode a clock that strictly increases within the process, so ids sort in
// the order they were made (log entries written in the same millisecond
// keep their order); the rest is random.
func Ordered() string {
	now := time.Now().UnixNano()
	for {
		last := lastOrdered.Load()
		if now <= last {
			now = last + 1
		}
		if lastOrdered.CompareAndSwap(last, now) {
			break
		}
	}
	stamp := strconv.FormatInt(now, 36)
	for len(stamp) < 12 {
		stamp = "0" + stamp
	}
	return stamp + New(RecordLength-12)
}
