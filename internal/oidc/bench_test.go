package oidc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/setup"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

// BenchmarkClientCredentials measures the server side of one
// client_credentials token: routing, client authentication, cached role
// lookup, ES256 signing and the JSON response.
func BenchmarkClientCredentials(b *testing.B) {
	ctx := context.Background()
	st := sqltest.SQLite(b)
	sealer, _ := seal.New(nil)
	ring := keys.New(st, sealer, keys.Options{})
	if err := setup.Run(ctx, st, ring); err != nil {
		b.Fatal(err)
	}
	if err := ring.Load(ctx); err != nil {
		b.Fatal(err)
	}
	created, err := apps.Create(ctx, st, sealer, apps.Input{Name: "bench", Type: store.MachineToMachine, RoleNames: []string{setup.ManagementAPIRoleName}})
	if err != nil {
		b.Fatal(err)
	}
	p := oidc.New(st, ringVerifier{ring}, oidc.Options{Issuer: "http://localhost:3001/oidc"})
	mux := http.NewServeMux()
	p.Routes(mux)
	body := url.Values{"grant_type": {"client_credentials"}, "resource": {setup.ManagementAPIIndicator}, "scope": {"all"}}.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(created.App.ID, created.Secret)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

type ringVerifier struct{ *keys.Ring }

func (r ringVerifier) VerifyPayload(token string) ([]byte, error) {
	_, p, err := r.Ring.Verify(token)
	return p, err
}
