package password

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

const legacyPass = "Legacy-Pass-2024!"

// fastParams keep tests quick; DefaultParams is exercised once.
var fastParams = Params{Memory: 64, Time: 1, Threads: 1}

func mustVerify(t *testing.T, pw, digest, alg string) bool {
	t.Helper()
	ok, err := Verify(pw, digest, alg)
	if err != nil {
		t.Fatalf("Verify(%q, %q, %s): %v", pw, digest, alg, err)
	}
	return ok
}

func TestHashRoundTrip(t *testing.T) {
	digest, err := Hash("hunter2 ✓", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(digest) {
		t.Fatalf("digest %q is not the expected PHC string", digest)
	}
	if !mustVerify(t, "hunter2 ✓", digest, Argon2id) {
		t.Error("the right password does not verify")
	}
	if mustVerify(t, "hunter2", digest, Argon2id) {
		t.Error("a wrong password verifies")
	}
	if NeedsUpgrade(Argon2id, digest, DefaultParams) {
		t.Error("a fresh digest needs an upgrade")
	}
}

func TestHashSaltsEachDigest(t *testing.T) {
	a, _ := Hash("same", fastParams)
	b, _ := Hash("same", fastParams)
	if a == b {
		t.Fatal("two hashes of one password are equal")
	}
}

func TestHashRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{Memory: 64, Time: 0, Threads: 1},
		{Memory: 64, Time: 1, Threads: 0},
		{Memory: 7, Time: 1, Threads: 1},
		{Memory: 2 << 20, Time: 1, Threads: 1},
		{Memory: 64, Time: 1001, Threads: 1},
	} {
		if _, err := Hash("pw", p); err == nil {
			t.Errorf("Hash with %+v succeeded", p)
		}
	}
}

// phcOf builds a PHC string from an independently computed key.
func phcOf(variant string, m, t uint32, p uint8, salt, key []byte) string {
	return fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, m, t, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestVerifyArgon2FromXCrypto(t *testing.T) {
	salt := []byte("0123456789abcdef")
	argon2i := phcOf("argon2i", 256, 3, 2, salt, argon2.Key([]byte(legacyPass), salt, 3, 256, 2, 32))
	if !mustVerify(t, legacyPass, argon2i, Argon2i) || mustVerify(t, "wrong", argon2i, Argon2i) {
		t.Errorf("Argon2i digest from argon2.Key misverifies")
	}
	// Other salt and key lengths than Hash uses.
	argon2id := phcOf("argon2id", 100, 2, 1, salt[:8], argon2.IDKey([]byte(legacyPass), salt[:8], 2, 100, 1, 20))
	if !mustVerify(t, legacyPass, argon2id, Argon2id) || mustVerify(t, "wrong", argon2id, Argon2id) {
		t.Errorf("Argon2id digest from argon2.IDKey misverifies")
	}
}

// Digests made with the reference implementation's argon2 command, e.g.
// echo -n 'Legacy-Pass-2024!' | argon2 saltsaltsalt1234 -d -m 10 -t 3 -p 2 -e
func TestVerifyReferenceDigests(t *testing.T) {
	for _, tc := range []struct{ alg, digest string }{
		{Argon2d, "$argon2d$v=19$m=1024,t=3,p=2$c2FsdHNhbHRzYWx0MTIzNA$MujiROiywD/i7ytrwu5QuWWSceYialfH5icqBQdH/u0"},
		{Argon2d, "$argon2d$v=19$m=100,t=1,p=1$YW5vdGhlcnNhbHQ$Gf54wZm5eY9gkFLe+w0y1Ituh2WBZ25L"},
		{Argon2i, "$argon2i$v=19$m=4096,t=2,p=4$c2FsdHNhbHRzYWx0MTIzNA$GsgrqBQvsFUe9lPU8klaHcRGzZzw3L9YGYAQ5laRvzU"},
		{Argon2id, "$argon2id$v=19$m=4096,t=2,p=4$c2FsdHNhbHRzYWx0MTIzNA$/FdTkHpCxoAPEsO8eUQ9zN38z4R7EJgExcN/XfygqAs"},
	} {
		if !mustVerify(t, legacyPass, tc.digest, tc.alg) {
			t.Errorf("%s %s does not verify", tc.alg, tc.digest)
		}
		if mustVerify(t, legacyPass+" ", tc.digest, tc.alg) {
			t.Errorf("%s %s verifies a wrong password", tc.alg, tc.digest)
		}
	}
}

func TestVerifyBcrypt(t *testing.T) {
	fixture := "$2a$10$7VzLBpWK3rkbHc9dx/N2W.DjpcEHW1/fJOXzfKlBlkoIdC/2HivVa"
	if !mustVerify(t, legacyPass, fixture, Bcrypt) {
		t.Error("bcrypt fixture does not verify")
	}
	if mustVerify(t, "legacy-pass-2024!", fixture, Bcrypt) {
		t.Error("bcrypt fixture verifies a wrong password")
	}
	generated, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// $2b$ and $2y$ differ from $2a$ only in bugs of old C implementations,
	// so the same hash under each prefix must verify.
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		digest := prefix + string(generated[4:])
		if !mustVerify(t, "s3cret", digest, Bcrypt) || mustVerify(t, "s3cret!", digest, Bcrypt) {
			t.Errorf("%s digest misverifies", prefix)
		}
	}
}

func TestVerifyHexDigests(t *testing.T) {
	pw := "pässword"
	sha1Sum := sha1.Sum([]byte(pw))
	sha256Sum := sha256.Sum256([]byte(pw))
	md5Sum := md5.Sum([]byte(pw))
	for _, tc := range []struct{ alg, digest, pw string }{
		{SHA1, hex.EncodeToString(sha1Sum[:]), pw},
		{SHA256, hex.EncodeToString(sha256Sum[:]), pw},
		{MD5, hex.EncodeToString(md5Sum[:]), pw},
		{SHA1, "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", "password"},
		{SHA256, "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "password"},
		{MD5, "5f4dcc3b5aa765d61d8327deb882cf99", "password"},
	} {
		if !mustVerify(t, tc.pw, tc.digest, tc.alg) {
			t.Errorf("%s %s does not verify %q", tc.alg, tc.digest, tc.pw)
		}
		if mustVerify(t, tc.pw+"x", tc.digest, tc.alg) {
			t.Errorf("%s %s verifies a wrong password", tc.alg, tc.digest)
		}
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	good := "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43)
	for _, tc := range []struct{ alg, digest string }{
		{"", ""},
		{"argon2id", good}, // algorithm names are case-sensitive, as in Logto
		{"Legacy", good},
		{Argon2id, ""},
		{Argon2id, "argon2id$v=19$m=64,t=1,p=1$c2FsdA$AAAAAAAA"},
		{Argon2id, "$argon2id$m=64,t=1,p=1$c2FsdA$AAAAAAAA"},            // no version (v=16)
		{Argon2id, "$argon2id$v=16$m=64,t=1,p=1$c2FsdA$AAAAAAAA"},       // old version
		{Argon2id, "$argon2id$v=19$m=64,t=1$c2FsdA$AAAAAAAA"},           // missing p
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=1,p=1$c2FsdA$AAAAAAAA"},   // repeated p
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=1,x=1$c2FsdA$AAAAAAAA"},   // unknown parameter
		{Argon2id, "$argon2id$v=19$m=-1,t=1,p=1$c2FsdA$AAAAAAAA"},       // negative
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=1$c2Fsd!$AAAAAAAA"},       // bad base64
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=1$$AAAAAAAA"},             // empty salt
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$AA"},             // key too short
		{Argon2id, "$argon2id$v=19$m=2097152,t=1,p=1$c2FsdA$AAAAAAAA"},  // 2 GiB
		{Argon2id, "$argon2id$v=19$m=64,t=1001,p=1$c2FsdA$AAAAAAAA"},    // too many passes
		{Argon2id, "$argon2id$v=19$m=4096,t=1,p=256$c2FsdA$AAAAAAAA"},   // too many lanes
		{Argon2id, "$argon2id$v=19$m=64,t=0,p=1$c2FsdA$AAAAAAAA"},       // no passes
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=0$c2FsdA$AAAAAAAA"},       // no lanes
		{Argon2id, "$argon2id$v=19$m=15,t=1,p=2$c2FsdA$AAAAAAAA"},       // m < 8p
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$AAAAAAAA$extra"}, // extra field
		{Argon2id, "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$AAAAAAAA"},        // variant mismatch
		{Argon2d, "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$AAAAAAAA"},        // variant mismatch
		{Argon2id, "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"},
		{Bcrypt, ""},
		{Bcrypt, "$2x$10$7VzLBpWK3rkbHc9dx/N2W.DjpcEHW1/fJOXzfKlBlkoIdC/2HivVa"},
		{Bcrypt, "$2a$10$short"},
		{Bcrypt, "$2a$xx$7VzLBpWK3rkbHc9dx/N2W.DjpcEHW1/fJOXzfKlBlkoIdC/2HivVa"},
		{Bcrypt, "$2a$31$7VzLBpWK3rkbHc9dx/N2W.DjpcEHW1/fJOXzfKlBlkoIdC/2HivVa"}, // absurd cost
		{Bcrypt, good},
		{SHA1, ""},
		{SHA1, "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd"},    // odd length
		{SHA1, "5baa61e4c9b93f3f0682250b6cf8331b7ee68f"},     // too short
		{SHA256, "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"}, // a SHA1 digest
		{MD5, "zf4dcc3b5aa765d61d8327deb882cf99"},
		{MD5, " 5f4dcc3b5aa765d61d8327deb882cf99"},
	} {
		ok, err := Verify("password", tc.digest, tc.alg)
		if err == nil || ok {
			t.Errorf("Verify(%s, %q) = %v, %v; want an error", tc.alg, tc.digest, ok, err)
		}
	}
}

func TestNeedsUpgrade(t *testing.T) {
	current, _ := Hash("pw", fastParams)
	weaker, _ := Hash("pw", Params{Memory: 32, Time: 1, Threads: 1})
	for _, tc := range []struct {
		alg, digest string
		want        bool
	}{
		{Argon2id, current, false},
		{Argon2id, weaker, true},
		{Argon2id, "garbage", true},
		{Argon2i, strings.Replace(current, "argon2id", "argon2i", 1), true},
		{Argon2id, strings.Replace(current, "argon2id", "argon2i", 1), true},
		{Bcrypt, "$2a$10$7VzLBpWK3rkbHc9dx/N2W.DjpcEHW1/fJOXzfKlBlkoIdC/2HivVa", true},
		{MD5, "5f4dcc3b5aa765d61d8327deb882cf99", true},
	} {
		if got := NeedsUpgrade(tc.alg, tc.digest, fastParams); got != tc.want {
			t.Errorf("NeedsUpgrade(%s, %q) = %v, want %v", tc.alg, tc.digest, got, tc.want)
		}
	}
}

func TestDummyVerifyAcceptsAnyParams(t *testing.T) {
	DummyVerify(fastParams)
	DummyVerify(Params{}) // falls back to DefaultParams instead of panicking
}

func TestSlotsBoundConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 4 * cap(slots) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			withSlot(func() struct{} {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				running.Add(-1)
				return struct{}{}
			})
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > int32(cap(slots)) {
		t.Fatalf("%d computations ran at once, want at most %d", p, cap(slots))
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyArgon2d(b *testing.B) {
	digest := phcOf("argon2d", DefaultParams.Memory, DefaultParams.Time, DefaultParams.Threads,
		[]byte("0123456789abcdef"), make([]byte, 32))
	for b.Loop() {
		Verify("correct horse battery staple", digest, Argon2d)
	}
}
