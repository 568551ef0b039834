package oidc_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/setup"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

// BenchmarkClientCredentials measures the server side of one
// client_credentials token: routing, client authentication, cached role
// lookup, ES256 signing and the JSON response. With audit=on every token
// also gets its audit log entry, which the writer stores in the
// background in batches, in the same SQLite database; with
// audit=discard the writer's store drops the batches, which leaves what
// the request path itself pays.
func BenchmarkClientCredentials(b *testing.B) {
	b.Run("audit=off", func(b *testing.B) { benchmarkClientCredentials(b, "off") })
	b.Run("audit=discard", func(b *testing.B) { benchmarkClientCredentials(b, "discard") })
	b.Run("audit=on", func(b *testing.B) { benchmarkClientCredentials(b, "on") })
}

// discardLogs is an audit log store that keeps nothing.
type discardLogs struct{ store.Logs }

func (discardLogs) InsertLogs(context.Context, []store.LogEntry) error { return nil }

func benchmarkClientCredentials(b *testing.B, mode string) {
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
	opt := oidc.Options{Issuer: "http://localhost:3001/oidc"}
	var w *audit.Writer
	if mode != "off" {
		var logs store.Logs = st
		if mode == "discard" {
			logs = discardLogs{}
		}
		w = audit.NewWriter(logs, audit.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		defer w.Close(ctx)
		opt.Audit = w
	}
	p := oidc.New(st, ringVerifier{ring}, opt)
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
	if w != nil {
		b.StopTimer()
		if err := w.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(w.Dropped())/float64(b.N), "dropped/op")
	}
}

type ringVerifier struct{ *keys.Ring }

func (r ringVerifier) VerifyPayload(token string) ([]byte, error) {
	_, p, err := r.Ring.Verify(token)
	return p, err
}
