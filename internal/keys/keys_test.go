package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func TestKeyIDLogtoFixture(t *testing.T) {
	var jwk jose.JSONWebKey
	err := json.Unmarshal([]byte(`{"kty":"EC","crv":"P-384","x":"WYMd56RMZ6mfpUQWIBAEqNmPuOTxcRmfY1WZ2uNLG7Zbtm5SHDin52c9SjkpRDkV","y":"wNcCA4Yh191Hl30eCU57ff0hMVu-_dAQEJWtmM77XJoZbue_p0ZkWAN_Fh5gwS2m"}`), &jwk)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := KeyID(jwk.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := "3diczKvfEsX6QPNnW56Faaw5EEC2SZ0kHEQYsGYCOVk"; kid != want {
		t.Fatalf("KeyID = %s, want %s", kid, want)
	}
}

func TestKeyIDRejectsUnknownKeys(t *testing.T) {
	if _, err := KeyID("not a key"); err == nil {
		t.Fatal("KeyID of a string succeeded")
	}
}

func TestGenerate(t *testing.T) {
	for alg, check := range map[string]func(crypto.Signer) bool{
		ES256: func(k crypto.Signer) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve == elliptic.P256() },
		ES384: func(k crypto.Signer) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve == elliptic.P384() },
		RS256: func(k crypto.Signer) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.N.BitLen() == 2048 },
	} {
		k, err := Generate(alg)
		if err != nil {
			t.Fatalf("Generate(%s): %v", alg, err)
		}
		if !check(k) {
			t.Errorf("Generate(%s) = %T, wrong kind of key", alg, k)
		}
	}
	for _, alg := range []string{"", "HS256", "none", "EdDSA"} {
		if _, err := Generate(alg); err == nil {
			t.Errorf("Generate(%q) succeeded", alg)
		}
	}
}

func pemOf(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PRIVATE KEY", der)
}

func TestImportFormats(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	sec1, _ := x509.MarshalECPrivateKey(p384)
	// openssl ecparam -genkey writes the curve first, then the key.
	sec1WithParams := append(pemOf(t, "EC PARAMETERS", []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}), pemOf(t, "EC PRIVATE KEY", sec1)...)

	for _, tc := range []struct {
		name string
		pem  []byte
		pub  crypto.PublicKey
		alg  string
	}{
		{"PKCS#8 P-256", pkcs8(t, p256), p256.Public(), ES256},
		{"SEC1 P-384", sec1WithParams, p384.Public(), ES384},
		{"PKCS#8 P-521", pkcs8(t, p521), p521.Public(), ES512},
		{"PKCS#1 RSA", pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsa2048)), rsa2048.Public(), RS256},
	} {
		st := newMemKeys()
		now := time.UnixMilli(1_700_000_000_000)
		k, err := Import(context.Background(), st, nil, tc.pem, false, now)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		kid, _ := KeyID(tc.pub)
		if k.ID != kid || k.Algorithm != tc.alg || k.NotBefore != NeverSigns || k.RetiredAt != 0 || k.CreatedAt != now.UnixMilli() {
			t.Errorf("%s: stored %+v, want ID %s, alg %s, verify-only", tc.name, *k, kid, tc.alg)
		}
		if got := st.get(kid); got != *k {
			t.Errorf("%s: store holds %+v, Import returned %+v", tc.name, got, *k)
		}
		if !strings.HasPrefix(k.Sealed, "plain:") {
			t.Errorf("%s: sealed = %q", tc.name, k.Sealed)
		}
	}
}

func TestImportRejects(t *testing.T) {
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := x509.MarshalPKIXPublicKey(p256.Public())
	for name, in := range map[string][]byte{
		"empty":       nil,
		"not PEM":     []byte("hello"),
		"public key":  pemOf(t, "PUBLIC KEY", pub),
		"RSA-1024":    pkcs8(t, rsa1024),
		"Ed25519":     pkcs8(t, edKey),
		"garbage DER": pemOf(t, "PRIVATE KEY", []byte{1, 2, 3}),
		"encrypted":   pemOf(t, "ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}),
	} {
		if _, err := Import(context.Background(), newMemKeys(), nil, in, true, time.Now()); err == nil {
			t.Errorf("Import of %s succeeded", name)
		}
	}
}

func TestImportTwiceConflicts(t *testing.T) {
	st := newMemKeys()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := Import(context.Background(), st, nil, pkcs8(t, p256), false, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := Import(context.Background(), st, nil, pkcs8(t, p256), true, time.Now())
	if !store.IsConflict(err) {
		t.Fatalf("second Import: %v, want a conflict", err)
	}
}

func TestCreateStoresThumbprintAndPKCS8(t *testing.T) {
	st := newMemKeys()
	now := time.UnixMilli(1_700_000_000_000)
	k, err := Create(context.Background(), st, nil, ES384, now.Add(time.Minute), now)
	if err != nil {
		t.Fatal(err)
	}
	if k.NotBefore != now.Add(time.Minute).UnixMilli() || k.CreatedAt != now.UnixMilli() || k.Algorithm != ES384 {
		t.Fatalf("stored %+v", *k)
	}
	m, err := openMaterial(*k, nil)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := KeyID(m.public)
	if k.ID != kid {
		t.Fatalf("ID %s is not the thumbprint %s", k.ID, kid)
	}
	if !strings.Contains(string(mustOpenPlain(t, k.Sealed)), "-----BEGIN PRIVATE KEY-----") {
		t.Fatal("stored key is not PKCS#8 PEM")
	}
}
