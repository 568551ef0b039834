package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// oidcKeyEntry is Logto's OidcConfigKeysResponse.
type oidcKeyEntry struct {
	ID                  string `json:"id"`
	CreatedAt           int64  `json:"createdAt"`
	SigningKeyAlgorithm string `json:"signingKeyAlgorithm"`
	Status              string `json:"status"`
	EffectiveAt         *int64 `json:"effectiveAt"`
}

var keyRoutes = []struct{ method, path string }{
	{"GET", "/api/configs/oidc/private-keys"},
	{"GET", "/api/configs/oidc/cookie-keys"},
	{"DELETE", "/api/configs/oidc/private-keys/x"},
	{"POST", "/api/configs/oidc/private-keys/rotate"},
	{"POST", "/api/configs/oidc/cookie-keys/rotate"},
}

func TestManagementOidcKeysNeedToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	before, err := in.Store.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	anon := &mgmt{t: t, base: in.URL}
	for _, rt := range keyRoutes {
		if code := anon.fails(rt.method, rt.path, nil, 401); code != "auth.authorization_header_missing" {
			t.Errorf("%s %s without a token: %s", rt.method, rt.path, code)
		}
	}
	// A real key id, too.
	anon.fails("DELETE", "/api/configs/oidc/private-keys/"+before[0].ID, nil, 401)
	after, err := in.Store.ListSigningKeys(context.Background())
	if err != nil || len(after) != len(before) {
		t.Fatalf("keys after refused calls: %d, want %d (%v)", len(after), len(before), err)
	}
}

// oidcKeys lists the private keys and checks that no key material leaks.
func (m *mgmt) oidcKeys() []oidcKeyEntry {
	m.t.Helper()
	status, _, raw := m.call("GET", "/api/configs/oidc/private-keys", nil)
	if status != 200 {
		m.t.Fatalf("private keys: %d %s", status, raw)
	}
	checkNoKeyMaterial(m.t, raw)
	var out []oidcKeyEntry
	decodeOidcKeys(m.t, raw, &out)
	return out
}

func checkNoKeyMaterial(t *testing.T, raw []byte) {
	t.Helper()
	for _, leak := range []string{"BEGIN", "PRIVATE", "sealed", "Sealed", `"value"`, `"d"`, `"k"`} {
		if strings.Contains(string(raw), leak) {
			t.Fatalf("key list carries %s: %s", leak, raw)
		}
	}
}

func decodeOidcKeys(t *testing.T, raw []byte, out *[]oidcKeyEntry) {
	t.Helper()
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("key list %s: %v", raw, err)
	}
}

func keyByID(keys []oidcKeyEntry, id string) *oidcKeyEntry {
	for i := range keys {
		if keys[i].ID == id {
			return &keys[i]
		}
	}
	return nil
}

func TestManagementOidcKeys(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		ctx := context.Background()
		m := in.management(t)
		appID, secret := in.createApp(t, apps.Input{Name: "w", Type: store.MachineToMachine, RoleNames: []string{"Logto Management API access"}})
		mintKid := func() string {
			t.Helper()
			res := tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {managementIndicator}})
			if res.status != 200 {
				t.Fatalf("token: %d %s", res.status, res.raw)
			}
			verifyAccessToken(t, ctx, in.Issuer, managementIndicator, res.AccessToken)
			return tokenKid(t, res.AccessToken)
		}

		// A fresh server has one EC and one RSA key, both current.
		initial := m.oidcKeys()
		if len(initial) != 2 {
			t.Fatalf("initial keys = %+v", initial)
		}
		var ec, rsa oidcKeyEntry
		for _, k := range initial {
			nowSec := in.Clock.Now().Unix()
			if k.Status != "Current" || k.CreatedAt < nowSec-60 || k.CreatedAt > nowSec+1 || k.EffectiveAt == nil {
				t.Fatalf("initial key %+v (createdAt in seconds, now %d)", k, nowSec)
			}
			switch k.SigningKeyAlgorithm {
			case "EC":
				ec = k
			case "RSA":
				rsa = k
			}
		}
		if ec.ID == "" || rsa.ID == "" || !slices.Contains(jwksKids(t, in.Issuer), ec.ID) {
			t.Fatalf("initial keys = %+v", initial)
		}
		if kid := mintKid(); kid != ec.ID {
			t.Fatalf("tokens signed by %s, want the EC key %s", kid, ec.ID)
		}

		// Cookie keys: Gatehouse has none.
		var cookies []oidcKeyEntry
		m.do("GET", "/api/configs/oidc/cookie-keys", nil, 200, &cookies)
		if cookies == nil || len(cookies) != 0 {
			t.Fatalf("cookie keys = %+v", cookies)
		}
		if code := m.fails("POST", "/api/configs/oidc/cookie-keys/rotate", map[string]any{}, 422); code != "oidc.cookie_keys_not_supported" {
			t.Fatalf("rotating cookie keys: %s", code)
		}
		if code := m.fails("DELETE", "/api/configs/oidc/cookie-keys/"+ec.ID, nil, 404); code != "oidc.key_not_found" {
			t.Fatalf("deleting a cookie key: %s", code)
		}
		m.fails("GET", "/api/configs/oidc/public-keys", nil, 400)
		m.fails("POST", "/api/configs/oidc/public-keys/rotate", nil, 400)
		m.fails("DELETE", "/api/configs/oidc/public-keys/"+ec.ID, nil, 400)

		// Bad rotations change nothing.
		for _, body := range []any{
			map[string]any{"signingKeyAlgorithm": "DSA"},
			map[string]any{"signingKeyAlgorithm": "ES256"},
			map[string]any{"signingKeyAlgorithm": 1},
			map[string]any{"signingKeyAlgorithm": nil},
			map[string]any{"rotationGracePeriod": -1},
			map[string]any{"rotationGracePeriod": 1.5},
			map[string]any{"rotationGracePeriod": "60"},
			"[1]",
		} {
			m.fails("POST", "/api/configs/oidc/private-keys/rotate", body, 400)
		}
		if got := m.oidcKeys(); len(got) != 2 {
			t.Fatalf("keys after refused rotations = %+v", got)
		}

		// Rotate EC (Logto's default): the new key comes first, published
		// at the next reload, and signs after the propagation delay.
		in.Clock.Advance(time.Millisecond) // the list is newest first
		before := in.Clock.Now().UnixMilli()
		var rotated []oidcKeyEntry
		status, _, raw := m.call("POST", "/api/configs/oidc/private-keys/rotate", nil)
		if status != 200 {
			t.Fatalf("rotate: %d %s", status, raw)
		}
		checkNoKeyMaterial(t, raw)
		decodeOidcKeys(t, raw, &rotated)
		if len(rotated) != 3 {
			t.Fatalf("after rotation = %+v", rotated)
		}
		next := rotated[0]
		if next.SigningKeyAlgorithm != "EC" || next.Status != "Next" || next.EffectiveAt == nil ||
			*next.EffectiveAt < before+45_000 || *next.EffectiveAt > in.Clock.Now().UnixMilli()+45_000 {
			t.Fatalf("new key %+v", next)
		}
		if k := keyByID(rotated, ec.ID); k == nil || k.Status != "Current" {
			t.Fatalf("old EC key after rotation: %+v", k)
		}
		if k := keyByID(rotated, rsa.ID); k == nil || k.Status != "Current" {
			t.Fatalf("RSA key after an EC rotation: %+v", k)
		}
		if err := in.Keys.Load(ctx); err != nil { // the ring's periodic reload, now
			t.Fatal(err)
		}
		if kids := jwksKids(t, in.Issuer); !slices.Contains(kids, next.ID) || !slices.Contains(kids, ec.ID) {
			t.Fatalf("JWKS after rotation = %v", kids)
		}
		if kid := mintKid(); kid != ec.ID {
			t.Fatalf("the new key signs before its delay: %s", kid)
		}

		// Neither the pending key nor the key it replaces may go: either
		// would leave EC without a signing key.
		for _, id := range []string{next.ID, ec.ID} {
			if code := m.fails("DELETE", "/api/configs/oidc/private-keys/"+id, nil, 422); code != "oidc.key_required" {
				t.Fatalf("deleting %s during a rotation: %s", id, code)
			}
		}
		// Nor the only RSA key.
		if code := m.fails("DELETE", "/api/configs/oidc/private-keys/"+rsa.ID, nil, 422); code != "oidc.key_required" {
			t.Fatalf("deleting the only RSA key: %s", code)
		}
		if code := m.fails("DELETE", "/api/configs/oidc/private-keys/nope", nil, 404); code != "oidc.key_not_found" {
			t.Fatalf("deleting a missing key: %s", code)
		}
		if got := m.oidcKeys(); len(got) != 3 {
			t.Fatalf("keys after refused deletes = %+v", got)
		}

		// Once the delay has passed the new key is current and signs.
		in.Clock.Advance(46 * time.Second)
		after := m.oidcKeys()
		if k := keyByID(after, next.ID); k == nil || k.Status != "Current" {
			t.Fatalf("new key after the delay: %+v", k)
		}
		if k := keyByID(after, ec.ID); k == nil || k.Status != "Previous" {
			t.Fatalf("old key after the delay: %+v", k)
		}
		if kid := mintKid(); kid != next.ID {
			t.Fatalf("after the delay tokens are signed by %s, want %s", kid, next.ID)
		}
		// The retired key may go now; it leaves the JWKS at the next reload.
		m.do("DELETE", "/api/configs/oidc/private-keys/"+ec.ID, nil, 204, nil)
		m.fails("DELETE", "/api/configs/oidc/private-keys/"+ec.ID, nil, 404)
		if got := m.oidcKeys(); len(got) != 2 || keyByID(got, ec.ID) != nil {
			t.Fatalf("keys after deleting the old one = %+v", got)
		}
		if err := in.Keys.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if kids := jwksKids(t, in.Issuer); slices.Contains(kids, ec.ID) || !slices.Contains(kids, next.ID) {
			t.Fatalf("JWKS after deleting the old key = %v", kids)
		}
		// Tokens the deleted key signed, this client's included, no longer verify.
		m.fails("GET", "/api/configs/oidc/private-keys", nil, 401)
		m = in.management(t)

		// RSA with a longer grace period.
		before = in.Clock.Now().UnixMilli()
		m.do("POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "RSA", "rotationGracePeriod": 600, "extra": true}, 200, &rotated)
		if len(rotated) != 3 || rotated[0].SigningKeyAlgorithm != "RSA" || rotated[0].Status != "Next" ||
			*rotated[0].EffectiveAt < before+600_000 || *rotated[0].EffectiveAt > in.Clock.Now().UnixMilli()+600_000 {
			t.Fatalf("RSA rotation = %+v", rotated)
		}
		stored, err := in.Store.ListSigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range stored {
			if k.ID == rotated[0].ID && k.Algorithm != "RS256" {
				t.Fatalf("RSA rotation stored a %s key", k.Algorithm)
			}
		}
	})
}
