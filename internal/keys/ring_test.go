package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

var ctx = context.Background()

func mustOpenPlain(t *testing.T, sealed string) []byte {
	t.Helper()
	b, err := (*seal.Sealer)(nil).Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newRing returns a loaded ring over a fresh store, with ES256 and RS256
// keys from Ensure.
func newRing(t testing.TB) (*Ring, *memKeys, *clock) {
	t.Helper()
	st, c := newMemKeys(), newClock()
	r := New(st, nil, Options{Now: c.Now})
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return r, st, c
}

type claims struct {
	Sub string `json:"sub"`
	Aud string `json:"aud"`
}

func signedKid(t *testing.T, r *Ring, alg string) string {
	t.Helper()
	tok, err := r.Sign(alg, "JWT", claims{Sub: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := r.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

func jwksKids(t *testing.T, r *Ring) []string {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	slices.Sort(kids)
	return kids
}

func TestEnsureCreatesEachAlgorithmOnce(t *testing.T) {
	r, st, c := newRing(t)
	c.Advance(time.Hour)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	all, _ := st.ListSigningKeys(ctx)
	var algs []string
	for _, k := range all {
		algs = append(algs, k.Algorithm)
		if k.NotBefore != k.CreatedAt {
			t.Errorf("Ensure made %s key that signs from %d, not at once (%d)", k.Algorithm, k.NotBefore, k.CreatedAt)
		}
	}
	slices.Sort(algs)
	if !slices.Equal(algs, []string{ES256, RS256}) {
		t.Fatalf("keys = %v, want one ES256 and one RS256", algs)
	}
	if got := r.Algorithms(); !slices.Equal(got, []string{ES256, RS256}) {
		t.Fatalf("Algorithms() = %v", got)
	}
}

func TestEnsureReplacesRetiredKeys(t *testing.T) {
	r, st, c := newRing(t)
	old := signedKid(t, r, ES256)
	st.RetireSigningKey(ctx, old, c.Now().UnixMilli())
	c.Advance(time.Millisecond)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	r.Load(ctx)
	if got := signedKid(t, r, ES256); got == old {
		t.Fatal("Ensure kept signing with a retired key")
	}
}

// Two processes that run Ensure at once leave two active keys; every ring
// must pick the same one, the newest, and verify tokens of both.
func TestTwoActiveKeysPickNewest(t *testing.T) {
	st, c := newMemKeys(), newClock()
	now := c.Now()
	a, _ := Create(ctx, st, nil, ES256, now, now)
	b, _ := Create(ctx, st, nil, ES256, now, now.Add(time.Millisecond))
	twin1, _ := Create(ctx, st, nil, ES384, now, now)
	twin2, _ := Create(ctx, st, nil, ES384, now, now)
	newest384 := max(twin1.ID, twin2.ID)

	r1 := New(st, nil, Options{Now: c.Now})
	r2 := New(st, nil, Options{Now: c.Now})
	for _, r := range []*Ring{r1, r2} {
		if err := r.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if got := signedKid(t, r, ES256); got != b.ID {
			t.Errorf("ES256 signs with %s, want the newer %s (not %s)", got, b.ID, a.ID)
		}
		if got := signedKid(t, r, ES384); got != newest384 {
			t.Errorf("ES384 signs with %s, want %s", got, newest384)
		}
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	r, st, c := newRing(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	imported, err := Import(ctx, st, nil, pkcs8(t, p384), true, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ alg, want, typ string }{
		{"", ES256, "JWT"},
		{ES256, ES256, "at+jwt"},
		{RS256, RS256, "JWT"},
		{ES384, ES384, ""},
	} {
		in := claims{Sub: "user-" + tc.want, Aud: "https://api.example.com/?a=1&b=<2>"}
		tok, err := r.Sign(tc.alg, tc.typ, in)
		if err != nil {
			t.Fatalf("Sign(%q): %v", tc.alg, err)
		}
		h, payload, err := r.Verify(tok)
		if err != nil {
			t.Fatalf("Verify of %s token: %v", tc.want, err)
		}
		if h.Alg != tc.want || h.Typ != tc.typ || h.Kid == "" {
			t.Errorf("header = %+v, want alg %s, typ %q", h, tc.want, tc.typ)
		}
		if tc.want == ES384 && h.Kid != imported.ID {
			t.Errorf("ES384 signed by %s, want the imported %s", h.Kid, imported.ID)
		}
		var out claims
		if err := json.Unmarshal(payload, &out); err != nil || out != in {
			t.Errorf("payload = %s (%v), want %+v", payload, err, in)
		}
		// A relying party with only the JWKS must verify it too.
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tc.want)})
		if err != nil {
			t.Fatal(err)
		}
		keys := set.Key(h.Kid)
		if len(keys) != 1 {
			t.Fatalf("JWKS has %d keys with kid %s", len(keys), h.Kid)
		}
		if _, err := jws.Verify(keys[0]); err != nil {
			t.Errorf("%s token does not verify against the JWKS: %v", tc.want, err)
		}
	}
}

func TestSignErrors(t *testing.T) {
	empty := New(newMemKeys(), nil, Options{})
	if _, err := empty.Sign("", "JWT", claims{}); err == nil {
		t.Error("an unloaded ring signed")
	}
	r, _, _ := newRing(t)
	if _, err := r.Sign(ES512, "JWT", claims{}); err == nil {
		t.Error("signed ES512 without an ES512 key")
	}
	if _, err := r.Sign("", "JWT", func() {}); err == nil {
		t.Error("signed claims that JSON cannot encode")
	}
}

func TestJWKSPublishesPublicKeysOnly(t *testing.T) {
	r, _, _ := newRing(t)
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.JWKS(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(doc.Keys))
	}
	for _, k := range doc.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v has private member %q", k["kid"], private)
			}
		}
		if k["use"] != "sig" || k["kid"] == "" || (k["alg"] != ES256 && k["alg"] != RS256) {
			t.Errorf("JWKS key %v lacks use, kid or alg", k)
		}
	}
	if got := string(New(newMemKeys(), nil, Options{}).JWKS()); got != `{"keys":[]}` {
		t.Errorf("empty ring JWKS = %s", got)
	}
}

func TestRotation(t *testing.T) {
	r, st, c := newRing(t)
	old := signedKid(t, r, ES256)
	oldToken, _ := r.Sign(ES256, "JWT", claims{Sub: "old"})
	rsaKid := signedKid(t, r, RS256)

	c.Advance(time.Minute)
	rotatedAt := c.Now()
	next, err := r.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	if want := rotatedAt.Add(45 * time.Second).UnixMilli(); next.NotBefore != want {
		t.Fatalf("new key signs from %d, want %d", next.NotBefore, want)
	}
	if got := st.get(old).RetiredAt; got != next.NotBefore {
		t.Fatalf("old key retires at %d, want %d", got, next.NotBefore)
	}
	if got := st.get(rsaKid).RetiredAt; got != 0 {
		t.Fatal("rotating ES256 retired the RS256 key")
	}
	if !slices.Contains(jwksKids(t, r), next.ID) {
		t.Fatal("the new key is not published before it signs")
	}

	c.Advance(44 * time.Second)
	if got := signedKid(t, r, ES256); got != old {
		t.Fatalf("before NotBefore the ring signs with %s, want the old %s", got, old)
	}
	c.Advance(time.Second)
	if got := signedKid(t, r, ES256); got != next.ID {
		t.Fatalf("at NotBefore the ring signs with %s, want the new %s", got, next.ID)
	}

	c.Advance(24*time.Hour - time.Millisecond)
	r.Load(ctx)
	if !slices.Contains(jwksKids(t, r), old) {
		t.Fatal("the retired key left the JWKS before Retention")
	}
	if _, _, err := r.Verify(oldToken); err != nil {
		t.Fatalf("a token of the retired key fails within Retention: %v", err)
	}

	c.Advance(time.Millisecond)
	if _, _, err := r.Verify(oldToken); err == nil {
		t.Fatal("a token of the retired key verifies after Retention")
	}
	r.Load(ctx)
	if slices.Contains(jwksKids(t, r), old) {
		t.Fatal("the retired key is still in the JWKS after Retention")
	}
	if got := r.Algorithms(); !slices.Equal(got, []string{ES256, RS256}) {
		t.Fatalf("Algorithms() = %v", got)
	}
}

// A rotation while another is pending retires the pending key as well, so
// that no stray key stays active forever.
func TestRotateTwice(t *testing.T) {
	r, st, c := newRing(t)
	first, _ := r.Rotate(ctx, ES256)
	c.Advance(10 * time.Second)
	second, err := r.Rotate(ctx, ES256)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.get(first.ID).RetiredAt; got != second.NotBefore {
		t.Fatalf("pending key retires at %d, want %d", got, second.NotBefore)
	}
	c.Advance(time.Hour)
	if got := signedKid(t, r, ES256); got != second.ID {
		t.Fatalf("signs with %s, want %s", got, second.ID)
	}
}

func TestVerifyOnlyImport(t *testing.T) {
	r, st, c := newRing(t)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	imported, err := Import(ctx, st, nil, pkcs8(t, p256), false, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	r.Load(ctx)
	tok := signWith(t, p256, jose.ES256, imported.ID)
	if _, _, err := r.Verify(tok); err != nil {
		t.Fatalf("a token of a verify-only import fails: %v", err)
	}
	if signedKid(t, r, ES256) == imported.ID {
		t.Fatal("a verify-only import signs")
	}
	if _, err := r.Rotate(ctx, ES256); err != nil {
		t.Fatal(err)
	}
	if st.get(imported.ID).RetiredAt != 0 {
		t.Fatal("Rotate retired a verify-only import")
	}
	c.Advance(10 * 365 * 24 * time.Hour)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	r.Load(ctx)
	if !slices.Contains(jwksKids(t, r), imported.ID) {
		t.Fatal("a verify-only import left the JWKS")
	}
}

// signWith signs a token with key outside the ring.
func signWith(t *testing.T, key crypto.Signer, alg jose.SignatureAlgorithm, kid string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(`{"sub":"mallory"}`))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jws.CompactSerialize()
	return tok
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyRejects(t *testing.T) {
	r, _, _ := newRing(t)
	esKid, rsKid := signedKid(t, r, ES256), signedKid(t, r, RS256)
	good, _ := r.Sign(ES256, "JWT", claims{Sub: "u1"})
	parts := strings.Split(good, ".")

	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	strangerKid, _ := KeyID(stranger.Public())
	rsaKey := r.cur.Load().byID[rsKid].private

	// HS256 keyed with the published public key: the classic confusion.
	var set jose.JSONWebKeySet
	json.Unmarshal(r.JWKS(), &set)
	pubJSON, _ := json.Marshal(set.Key(esKid)[0])
	hsInput := b64(`{"alg":"HS256","kid":"`+esKid+`"}`) + "." + parts[1]
	mac := hmac.New(sha256.New, pubJSON)
	mac.Write([]byte(hsInput))
	hs256 := hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	for name, tok := range map[string]string{
		"empty":              "",
		"garbage":            "a.b.c",
		"two parts":          parts[0] + "." + parts[1],
		"JSON serialization": `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
		"alg none":           b64(`{"alg":"none","kid":"`+esKid+`"}`) + "." + parts[1] + ".",
		"alg none, no sig":   b64(`{"alg":"none","kid":"`+esKid+`"}`) + "." + parts[1],
		"HS256":              hs256,
		"no kid":             signWith(t, stranger, jose.ES256, ""),
		"unknown kid":        signWith(t, stranger, jose.ES256, strangerKid),
		"stolen kid":         signWith(t, stranger, jose.ES256, esKid),
		"PS256 on RS256 key": signWith(t, rsaKey, jose.PS256, rsKid),
		"tampered payload":   parts[0] + "." + b64(`{"sub":"admin"}`) + "." + parts[2],
	} {
		if _, _, err := r.Verify(tok); err == nil {
			t.Errorf("Verify accepted %s", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, _, err := r.Verify(good, RS256); err == nil {
		t.Error("Verify accepted ES256 when only RS256 was allowed")
	}
	if _, _, err := r.Verify(good, "none", "HS256"); err == nil {
		t.Error("Verify accepted a token when only none and HS256 were allowed")
	}
	if _, _, err := r.Verify(good, ES256, RS256); err != nil {
		t.Errorf("Verify rejected an allowed ES256 token: %v", err)
	}
}

func TestSealedWithKEK(t *testing.T) {
	kek := make([]byte, seal.KeySize)
	rand.Read(kek)
	sealer, _ := seal.New(kek)
	st := newMemKeys()
	r := New(st, sealer, Options{})
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	all, _ := st.ListSigningKeys(ctx)
	for _, k := range all {
		if !strings.HasPrefix(k.Sealed, "v1:") {
			t.Fatalf("key %s is stored as %.10q, not encrypted", k.ID, k.Sealed)
		}
	}
	tok, err := r.Sign("", "JWT", claims{Sub: "u1"})
	if err != nil {
		t.Fatal(err)
	}

	again := New(st, sealer, Options{})
	if err := again.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := again.Verify(tok); err != nil {
		t.Fatalf("a second ring with the same KEK cannot verify: %v", err)
	}

	if err := New(st, nil, Options{}).Load(ctx); err == nil || !strings.Contains(err.Error(), "ENCRYPTION_KEY") {
		t.Fatalf("Load without the KEK: %v, want an error naming ENCRYPTION_KEY", err)
	}
	rand.Read(kek)
	wrong, _ := seal.New(kek)
	if err := New(st, wrong, Options{}).Load(ctx); err == nil {
		t.Fatal("Load with a wrong KEK succeeded")
	}
}

func TestLoadKeepsPreviousKeysOnError(t *testing.T) {
	r, st, _ := newRing(t)
	st.setListErr(errors.New("database is down"))
	if err := r.Load(ctx); err == nil {
		t.Fatal("Load succeeded with a failing store")
	}
	if _, err := r.Sign("", "JWT", claims{}); err != nil {
		t.Fatalf("the ring lost its keys after a failed Load: %v", err)
	}
	st.setListErr(nil)
	st.CreateSigningKey(ctx, &store.SigningKey{ID: "bad", Algorithm: ES256, Sealed: "plain:!!"})
	if err := r.Load(ctx); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("Load of an unreadable key: %v, want an error naming it", err)
	}
	if _, err := r.Sign(RS256, "JWT", claims{}); err != nil {
		t.Fatalf("the ring lost its keys after a failed Load: %v", err)
	}
}

func TestLoadRejectsMislabelledKey(t *testing.T) {
	st := newMemKeys()
	k, _ := Create(ctx, st, nil, ES256, time.Now(), time.Now())
	st.DeleteSigningKey(ctx, k.ID)
	k.Algorithm = RS256
	st.CreateSigningKey(ctx, k)
	if err := New(st, nil, Options{}).Load(ctx); err == nil {
		t.Fatal("Load accepted an EC key labelled RS256")
	}
}

func TestRunReloads(t *testing.T) {
	st := newMemKeys()
	r := New(st, nil, Options{ReloadEvery: 5 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(runCtx); close(done) }()
	if err := New(st, nil, Options{}).Ensure(ctx); err != nil { // another process
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(r.Algorithms()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not pick up the new keys")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

// Sign, Verify and Load at once, for the race detector.
func TestConcurrentUse(t *testing.T) {
	r, _, _ := newRing(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				tok, err := r.Sign("", []string{"JWT", "at+jwt"}[i%2], claims{Sub: "u"})
				if err != nil {
					t.Error(err)
					return
				}
				if _, _, err := r.Verify(tok); err != nil {
					t.Error(err)
					return
				}
				if i == 0 {
					r.Load(ctx)
					r.JWKS()
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkSignES256(b *testing.B) {
	r, _, _ := newRing(b)
	c := claims{Sub: "user-123", Aud: "https://api.example.com"}
	for b.Loop() {
		if _, err := r.Sign(ES256, "JWT", c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignES256Parallel(b *testing.B) {
	r, _, _ := newRing(b)
	c := claims{Sub: "user-123", Aud: "https://api.example.com"}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Sign(ES256, "JWT", c); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifyES256(b *testing.B) {
	r, _, _ := newRing(b)
	tok, _ := r.Sign(ES256, "JWT", claims{Sub: "user-123", Aud: "https://api.example.com"})
	for b.Loop() {
		if _, _, err := r.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignRS256(b *testing.B) {
	r, _, _ := newRing(b)
	c := claims{Sub: "user-123", Aud: "https://api.example.com"}
	for b.Loop() {
		if _, err := r.Sign(RS256, "JWT", c); err != nil {
			b.Fatal(err)
		}
	}
}
