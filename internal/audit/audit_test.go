package audit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// fakeLogs records batches; block, when set, holds every insert until closed.
type fakeLogs struct {
	store.Logs
	mu      sync.Mutex
	batches [][]store.LogEntry
	block   chan struct{}
	fail    error
}

func (f *fakeLogs) InsertLogs(ctx context.Context, entries []store.LogEntry) error {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.batches = append(f.batches, append([]store.LogEntry(nil), entries...))
	return nil
}

func (f *fakeLogs) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []int{}
	for _, b := range f.batches {
		out = append(out, len(b))
	}
	return out
}

func (f *fakeLogs) count() int {
	n := 0
	for _, s := range f.sizes() {
		n += s
	}
	return n
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func decode(t *testing.T, e store.LogEntry) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		t.Fatalf("payload %s: %v", e.Payload, err)
	}
	return m
}

func TestEncodeKeepsOnlyAllowedParams(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	e := Encode(Entry{Key: ExchangeByAuthorizationCode, IP: "192.0.2.7", UserAgent: "curl/8", UserID: "u1", ApplicationID: "app",
		Params: map[string]any{
			"grant_type": "authorization_code", "client_id": "app", "resource": []string{"https://api.example"},
			"code": "the-code", "code_verifier": "verifier", "client_secret": "s3cret", "password": "hunter2",
			"refresh_token": "rt", "token": "tok", "authorization": "Basic eA==", "state": "st",
			"identifier": map[string]string{"type": "email", "value": "ann@example.com"},
			"scope":      struct{}{}, // not a kept type
		},
		TokenTypes: []string{"AccessToken"}, Scope: "openid"}, at)
	if e.Key != ExchangeByAuthorizationCode || e.Result != "Success" || e.UserID != "u1" || e.ApplicationID != "app" ||
		e.CreatedAt != at.UnixMilli() || len(e.ID) != 21 {
		t.Fatalf("entry = %+v", e)
	}
	for _, secret := range []string{"the-code", "verifier", "s3cret", "hunter2", `"rt"`, `"tok"`, "Basic", `"st"`} {
		if strings.Contains(string(e.Payload), secret) {
			t.Errorf("payload carries %s: %s", secret, e.Payload)
		}
	}
	m := decode(t, e)
	params := m["params"].(map[string]any)
	if len(params) != 4 || params["grant_type"] != "authorization_code" || params["client_id"] != "app" {
		t.Fatalf("params = %v", params)
	}
	if id := params["identifier"].(map[string]any); id["value"] != "ann@example.com" || id["type"] != "email" {
		t.Fatalf("identifier = %v", id)
	}
	if m["key"] != ExchangeByAuthorizationCode || m["result"] != "Success" || m["ip"] != "192.0.2.7" || m["userAgent"] != "curl/8" ||
		m["scope"] != "openid" || m["tokenTypes"].([]any)[0] != "AccessToken" {
		t.Fatalf("payload = %s", e.Payload)
	}
	if _, ok := m["error"]; ok {
		t.Fatalf("a success carries an error: %s", e.Payload)
	}
}

func TestEncodeErrorsAndClipping(t *testing.T) {
	long := strings.Repeat("é", 600)
	e := Encode(Entry{Key: SignInSubmit, Result: Error, UserAgent: long,
		Error: map[string]any{"code": "session.invalid_credentials", "nested": map[string]any{"x": 1}}}, time.Now())
	m := decode(t, e)
	if e.Result != "Error" || m["result"] != "Error" {
		t.Fatalf("result: %s", e.Payload)
	}
	errObj := m["error"].(map[string]any)
	if errObj["code"] != "session.invalid_credentials" || errObj["nested"] != nil {
		t.Fatalf("error = %v", errObj)
	}
	if ua := m["userAgent"].(string); len(ua) > maxText || !strings.HasPrefix(long, ua) {
		t.Fatalf("user agent not clipped to whole characters: %d bytes", len(ua))
	}
	if _, ok := m["params"]; ok {
		t.Fatalf("empty params kept: %s", e.Payload)
	}
}

func TestRef(t *testing.T) {
	a, b := Ref("session", "x"), Ref("session", "x")
	if a != b || a == Ref("interaction", "x") || a == Ref("session", "y") || strings.Contains(a, "x") || len(a) != 20 {
		t.Fatalf("refs %q %q", a, b)
	}
	if Ref("session", "") != "" {
		t.Fatal("a reference to nothing")
	}
}

func TestKeys(t *testing.T) {
	if got := VerificationCodeCreate("ForgotPassword", "phone"); got != "Interaction.ForgotPassword.Verification.PhoneVerificationCode.Create" {
		t.Fatal(got)
	}
	if got := VerificationCodeCreate("SignIn", "email"); got != "Interaction.SignIn.Verification.EmailVerificationCode.Create" {
		t.Fatal(got)
	}
	if SubmitKey("Register") != RegisterSubmit {
		t.Fatal(SubmitKey("Register"))
	}
}

func TestWriterBatchesBySizeAndTime(t *testing.T) {
	st := &fakeLogs{}
	w := NewWriter(st, Options{Logger: quiet, BatchSize: 3, Interval: 50 * time.Millisecond})
	defer w.Close(context.Background())
	for range 7 {
		w.Log(Entry{Key: RevokeToken})
	}
	// Two full batches go at once; the last entry waits for the interval.
	deadline := time.Now().Add(2 * time.Second)
	for st.count() < 7 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := st.sizes(); len(got) != 3 || got[0] != 3 || got[1] != 3 || got[2] != 1 {
		t.Fatalf("batches %v, want [3 3 1]", got)
	}
}

func TestWriterFlushAndClose(t *testing.T) {
	st := &fakeLogs{}
	w := NewWriter(st, Options{Logger: quiet, Interval: time.Hour})
	for range 1200 {
		w.Log(Entry{Key: ExchangeByClientCredentials})
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.count() != 1200 {
		t.Fatalf("after Flush %d entries written, want 1200", st.count())
	}
	for _, n := range st.sizes() {
		if n > 500 {
			t.Fatalf("a batch of %d entries", n)
		}
	}
	w.Log(Entry{Key: RevokeToken})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.count() != 1201 {
		t.Fatalf("Close wrote %d entries in all, want 1201", st.count())
	}
	w.Log(Entry{Key: RevokeToken})
	if w.Dropped() != 1 || !errors.Is(w.Flush(context.Background()), ErrClosed) {
		t.Fatalf("after Close: dropped %d", w.Dropped())
	}
}

// A database that does not answer must not hold a request up: Log drops
// what does not fit and returns at once.
func TestWriterNeverBlocks(t *testing.T) {
	st := &fakeLogs{block: make(chan struct{})}
	var logged strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), nil))
	w := NewWriter(st, Options{Logger: log, BufferSize: 10, BatchSize: 5, Interval: time.Millisecond})
	start := time.Now()
	for range 1000 {
		w.Log(Entry{Key: ExchangeByClientCredentials})
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("1000 Log calls against a stuck database took %v", d)
	}
	if w.Dropped() < 1000-10-5 {
		t.Fatalf("dropped %d of 1000 with room for 15", w.Dropped())
	}
	close(st.block)
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := uint64(st.count()) + w.Dropped(); got != 1000 {
		t.Fatalf("written %d + dropped %d != 1000", st.count(), w.Dropped())
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "entries were dropped") {
		t.Fatalf("drops not reported: %q", logged.String())
	}
	w.Close(context.Background())
}

func TestWriterReportsFailures(t *testing.T) {
	st := &fakeLogs{fail: errors.New("disk full")}
	w := NewWriter(st, Options{Logger: quiet})
	defer w.Close(context.Background())
	w.Log(Entry{Key: RevokeToken})
	w.Log(Entry{Key: RevokeToken})
	if err := w.Flush(context.Background()); err == nil || w.Failed() != 2 {
		t.Fatalf("flush error %v, failed %d", err, w.Failed())
	}
}

func TestNilWriter(t *testing.T) {
	var w *Writer
	w.Log(Entry{Key: RevokeToken}) // must not panic
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func BenchmarkEncode(b *testing.B) {
	e := Entry{Key: ExchangeByClientCredentials, IP: "192.0.2.1", UserAgent: "Go-http-client/1.1", ApplicationID: "abcdefghijklmnopqrstu",
		Params: map[string]any{"client_id": "abcdefghijklmnopqrstu", "grant_type": "client_credentials",
			"resource": []string{"https://default.logto.app/api"}, "scope": "all"},
		TokenTypes: []string{"AccessToken"}, Scope: "all"}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		Encode(e, now)
	}
}

func TestEncodeEscapes(t *testing.T) {
	weird := "a\"b\\c\n\r\t\x01\x7f<>&\u2028\u2029é😀\xff"
	e := Encode(Entry{Key: "Unknown", UserAgent: weird, Error: weird,
		Params: map[string]any{"identifier": map[string]string{"value": weird}, "status": 200, "resource": []string{weird}}}, time.Now())
	m := decode(t, e)
	want := strings.ToValidUTF8(weird, "\uFFFD")
	if m["userAgent"] != want || m["error"] != want {
		t.Fatalf("round trip: %q", e.Payload)
	}
	params := m["params"].(map[string]any)
	if params["identifier"].(map[string]any)["value"] != want || params["status"] != float64(200) || params["resource"].([]any)[0] != want {
		t.Fatalf("params: %s", e.Payload)
	}
	if strings.ContainsAny(string(e.Payload), "\u2028\u2029\n") {
		t.Fatalf("raw line separators: %q", e.Payload)
	}
	// No params left after filtering: no params member at all.
	e = Encode(Entry{Key: "Unknown", Params: map[string]any{"password": "x"}}, time.Now())
	if string(e.Payload) != `{"key":"Unknown","result":"Success"}` {
		t.Fatalf("payload %s", e.Payload)
	}
}
