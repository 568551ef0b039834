package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkClientCredentialsOp shows the tool's own cost per operation
// against a server that does nearly nothing (allocations include the
// in-process server's).
func BenchmarkClientCredentialsOp(b *testing.B) {
	body := []byte(`{"access_token":"eyJhbGciOiJFUzI1NiJ9.e30.c2ln","token_type":"Bearer","expires_in":3600}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	cfg := Config{ClientID: "c", ClientSecret: "s", Resource: "https://api", Scope: "read"}.withDefaults()
	client := &http.Client{Transport: newTransport(1)}
	op := newClientCredentialsOp(newTokenClient(client, srv.URL, cfg), cfg)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := op.do(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
