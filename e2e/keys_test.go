package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func jwksKids(t *testing.T, issuer string) []string {
	t.Helper()
	resp, err := http.Get(issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ Kid, Alg string } }
	json.NewDecoder(resp.Body).Decode(&set)
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

func tokenKid(t *testing.T, raw string) string {
	t.Helper()
	header, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	json.Unmarshal(header, &h)
	return h.Kid
}

func TestKeyRotation(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		ctx := context.Background()
		appID, secret := in.createApp(t, apps.Input{Name: "w", Type: store.MachineToMachine, RoleNames: []string{"Logto Management API access"}})
		mint := func() string {
			res := tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://default.logto.app/api"}})
			if res.status != 200 {
				t.Fatalf("token: %d %s", res.status, res.raw)
			}
			verifyAccessToken(t, ctx, in.Issuer, "https://default.logto.app/api", res.AccessToken)
			return res.AccessToken
		}
		oldKid := tokenKid(t, mint())

		next, err := keys.Rotate(ctx, in.Store, in.sealer, "ES256", in.Clock.Now(), 45*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Keys.Load(ctx); err != nil {
			t.Fatal(err)
		}
		// Published before it signs, so every verifier knows it first.
		if kids := jwksKids(t, in.Issuer); !slices.Contains(kids, next.ID) || !slices.Contains(kids, oldKid) {
			t.Fatalf("after rotation JWKS = %v", kids)
		}
		if kid := tokenKid(t, mint()); kid != oldKid {
			t.Fatalf("the new key signs before its propagation delay: %s", kid)
		}
		in.Clock.Advance(46 * time.Second)
		if kid := tokenKid(t, mint()); kid != next.ID {
			t.Fatalf("after the delay tokens are signed by %s, want %s", kid, next.ID)
		}
		// The old key stays published while its tokens may live, then goes.
		in.Keys.Load(ctx)
		if kids := jwksKids(t, in.Issuer); !slices.Contains(kids, oldKid) {
			t.Fatalf("retired key unpublished too early: %v", kids)
		}
		in.Clock.Advance(25 * time.Hour)
		in.Keys.Load(ctx)
		if kids := jwksKids(t, in.Issuer); slices.Contains(kids, oldKid) || !slices.Contains(kids, next.ID) {
			t.Fatalf("after retention JWKS = %v", kids)
		}
	})
}

func TestKeysCommands(t *testing.T) {
	env := []string{"DB_URL=" + sqltestSQLite(t)}
	out, stderr, code := cli(t, env, "", "keys", "rotate", "--propagation", "0s")
	if code != 0 {
		t.Fatalf("keys rotate: %s", stderr)
	}
	var rotated struct{ ID, Algorithm string }
	json.Unmarshal([]byte(out), &rotated)
	if rotated.Algorithm != "ES256" || rotated.ID == "" {
		t.Fatalf("keys rotate printed %s", out)
	}

	// A P-384 key from another server (Logto's default) is imported for verification.
	priv, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	pemPath := filepath.Join(t.TempDir(), "logto.pem")
	os.WriteFile(pemPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	out, stderr, code = cli(t, env, "", "keys", "import", "--pem", pemPath)
	if code != 0 || !strings.Contains(out, `"ES384"`) || !strings.Contains(out, `"verifyOnly": true`) {
		t.Fatalf("keys import: %d %s %s", code, out, stderr)
	}
	var imported struct{ ID string }
	json.Unmarshal([]byte(out), &imported)
	wantKid, _ := keys.KeyID(&priv.PublicKey)
	if imported.ID != wantKid {
		t.Fatalf("imported kid %s, want the RFC 7638 thumbprint %s", imported.ID, wantKid)
	}
	out, _, _ = cli(t, env, "", "keys", "list")
	var list []struct {
		ID, Algorithm string
		RetiredAt     int64
	}
	json.Unmarshal([]byte(out), &list)
	var es256, retired, es384 int
	for _, k := range list {
		switch k.Algorithm {
		case "ES256":
			es256++
			if k.RetiredAt != 0 {
				retired++
			}
		case "ES384":
			es384++
		}
	}
	if es256 != 2 || retired != 1 || es384 != 1 {
		t.Fatalf("keys list = %s", out)
	}
	base := serveProcess(t, env)
	if kids := jwksKids(t, base+"/oidc"); !slices.Contains(kids, wantKid) || !slices.Contains(kids, rotated.ID) {
		t.Fatalf("JWKS %v lacks the imported or rotated key", kids)
	}
	if _, stderr, code := cli(t, env, "", "keys", "import", "--pem", "/nonexistent"); code == 0 || stderr == "" {
		t.Fatal("import of a missing file succeeded")
	}
}

func TestTokenEndpointCORS(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	spaID, _ := in.createApp(t, apps.Input{Name: "spa", Type: store.SPA, RedirectURIs: []string{"http://localhost:5173/callback"},
		CORSAllowedOrigins: []string{"https://extra.example"}})
	try := func(origin string) string {
		req, _ := http.NewRequest("POST", in.Issuer+"/token", strings.NewReader(url.Values{"grant_type": {"refresh_token"},
			"client_id": {spaID}, "refresh_token": {"unknown"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		res := do(t, req)
		if res.Error != "invalid_grant" {
			t.Fatalf("token from %s: %d %s", origin, res.status, res.raw)
		}
		return res.header.Get("Access-Control-Allow-Origin")
	}
	for origin, allowed := range map[string]bool{"http://localhost:5173": true, "https://extra.example": true, "https://evil.example": false} {
		if got := try(origin); (got == origin) != allowed || (!allowed && got != "") {
			t.Errorf("origin %s: Access-Control-Allow-Origin %q", origin, got)
		}
	}
	req, _ := http.NewRequest("OPTIONS", in.Issuer+"/token", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}
