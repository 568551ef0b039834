package webhook

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

func TestBackoff(t *testing.T) {
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second,
		5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if Backoff(1000) != 5*time.Minute {
		t.Error("Backoff overflows")
	}
	// Retrying for 25 hours at most every 5 minutes is some 300 attempts:
	// more than a day of retries.
	var total time.Duration
	n := 0
	for total < 24*time.Hour {
		n++
		total += Backoff(n)
	}
	if total+Backoff(n+1) > GiveUpAfter {
		t.Fatalf("retries stop before a day has passed: %s after %d attempts", total, n)
	}
}

func TestSign(t *testing.T) {
	// HMAC-SHA256 test vector (RFC 4231 case 2).
	if got := Sign("Jefe", []byte("what do ya want for nothing?")); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("Sign = %s", got)
	}
}

func TestSendHeadersAndAnswers(t *testing.T) {
	var got http.Header
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		gotBody, _ = io.ReadAll(r.Body)
		if r.URL.Path == "/fail" {
			w.WriteHeader(503)
		}
		w.Write([]byte(strings.Repeat("é", 2000))) // 4000 bytes, cut inside a character
	}))
	defer srv.Close()
	body := []byte(`{"event":"User.Created"}`)
	cfg := store.HookConfig{URL: srv.URL + "/ok", Headers: map[string]string{
		"Authorization": "Bearer t", "User-Agent": "custom", SignatureHeader: "forged"}}
	res := Send(context.Background(), nil, cfg, "k3y", body)
	if !res.OK() || res.StatusCode != 200 || len(res.Body) != MaxResponseBody || res.Duration <= 0 {
		t.Fatalf("result %+v", res)
	}
	if string(gotBody) != string(body) || got.Get("Content-Type") != "application/json" || got.Get("Authorization") != "Bearer t" ||
		got.Get("User-Agent") != "custom" || got.Get(SignatureHeader) != Sign("k3y", body) {
		t.Fatalf("headers %v", got)
	}
	if s := validUTF8(res.Body); !strings.HasSuffix(s, "é") && !strings.HasSuffix(s, "\uFFFD") {
		t.Fatalf("stored body ends %q", s[len(s)-4:])
	}
	cfg.URL = srv.URL + "/fail"
	if res := Send(context.Background(), nil, cfg, "k", body); res.OK() || res.StatusCode != 503 || res.Err == nil {
		t.Fatalf("503: %+v", res)
	}
	if res := Send(context.Background(), nil, store.HookConfig{URL: srv.URL}, "k", body); got.Get("User-Agent") != DefaultUserAgent || !res.OK() {
		t.Fatalf("default user agent: %q", got.Get("User-Agent"))
	}
}

func TestSendFailures(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String() + "/hook?token=s3cret"
	ln.Close()
	redirect := httptest.NewServer(http.RedirectHandler("https://example.com", http.StatusFound))
	defer redirect.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.ReadAll(r.Body); <-r.Context().Done() }))
	defer slow.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if res := Send(ctx, nil, store.HookConfig{URL: slow.URL + "?token=s3cret"}, "k", []byte(`{}`)); res.OK() || strings.Contains(res.Err.Error(), "s3cret") {
		t.Errorf("slow endpoint: %+v", res)
	}
	for name, url := range map[string]string{"untrusted TLS": tlsSrv.URL + "?token=s3cret", "refused": refused,
		"redirect": redirect.URL + "?token=s3cret", "bad URL": "::?token=s3cret"} {
		res := Send(context.Background(), nil, store.HookConfig{URL: url}, "k", []byte(`{}`))
		if res.OK() || res.Err == nil {
			t.Errorf("%s: %+v", name, res)
		} else if strings.Contains(res.Err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the URL's query: %v", name, res.Err)
		}
	}
}

func TestTestPayload(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	var p map[string]any
	json.Unmarshal(TestPayload("hook1", PostSignIn, now), &p)
	if p["hookId"] != "hook1" || p["event"] != PostSignIn || p["createdAt"] != "2024-05-06T07:08:09.123Z" || p["interactionEvent"] != "SignIn" || p["user"] == nil {
		t.Fatalf("interaction sample %v", p)
	}
	p = nil
	json.Unmarshal(TestPayload("hook1", RoleCreated, now), &p)
	if p["data"] == nil || p["path"] == nil || p["user"] != nil {
		t.Fatalf("data sample %v", p)
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestWorker(t *testing.T) {
	st := sqltest.SQLite(t)
	ctx := t.Context()
	sealer, _ := seal.New(nil)
	var calls atomic.Int32
	var failing atomic.Bool
	failing.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get(SignatureHeader) != Sign("secret", mustRead(r)) {
			w.WriteHeader(401)
			return
		}
		if failing.Load() {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	key, _ := sealer.Seal([]byte("secret"))
	hook := &store.Hook{Events: []string{UserCreated}, Config: store.HookConfig{URL: srv.URL}, SealedSigningKey: key, Enabled: true}
	off := &store.Hook{Events: []string{UserCreated}, Config: store.HookConfig{URL: srv.URL}, SealedSigningKey: key}
	for _, h := range []*store.Hook{hook, off} {
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	clk := &fakeClock{now: time.Now()}
	w := NewWorker(st, Options{Sealer: sealer, Now: clk.Now, PollInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	wctx, stop := context.WithCancel(ctx)
	done := w.Start(wctx)
	defer func() { stop(); <-done }()

	err := st.InTx(ctx, func(tx store.Store) error {
		return Enqueue(ctx, tx, Event{Name: UserCreated, At: clk.Now(), User: &store.User{ID: "u1", Username: "alice", PasswordDigest: "secret-digest"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The clock moves on only once the worker has recorded an attempt:
	// the retry time is counted from when it records, and a clock moved
	// before that would put the retry out of the test's reach.
	recorded := func(n int) {
		t.Helper()
		waitFor(t, func() bool {
			list, _, _ := st.ListHookAttempts(ctx, hook.ID, store.HookAttemptFilter{}, store.Page{})
			return len(list) == n
		})
	}
	waitFor(t, func() bool { return calls.Load() == 1 })
	recorded(1)
	time.Sleep(100 * time.Millisecond)
	if calls.Load() != 1 {
		t.Fatal("retried before the backoff")
	}
	clk.Add(FirstRetry)
	waitFor(t, func() bool { return calls.Load() == 2 })
	recorded(2)
	failing.Store(false)
	clk.Add(2 * FirstRetry)
	waitFor(t, func() bool { return calls.Load() == 3 })
	var list []store.HookAttempt
	waitFor(t, func() bool {
		list, _, _ = st.ListHookAttempts(ctx, hook.ID, store.HookAttemptFilter{}, store.Page{})
		return len(list) == 3
	})
	if !list[0].Success || list[1].Success || list[1].StatusCode != 500 || list[0].Attempt != 3 {
		t.Fatalf("attempts %+v", list)
	}
	var p map[string]any
	json.Unmarshal(list[0].Request, &p)
	if p["event"] != UserCreated || p["hookId"] != hook.ID || strings.Contains(string(list[0].Request), "secret-digest") {
		t.Fatalf("payload %s", list[0].Request)
	}
	if data, _ := p["data"].(map[string]any); data["username"] != "alice" {
		t.Fatalf("data %v", p["data"])
	}
	// The disabled hook got nothing enqueued.
	if l, _, _ := st.ListHookAttempts(ctx, off.ID, store.HookAttemptFilter{}, store.Page{}); len(l) != 0 {
		t.Fatal("a disabled hook was called")
	}

	// A hook disabled after the event was enqueued drops it.
	before := calls.Load()
	hook.Enabled = false
	err = st.InTx(ctx, func(tx store.Store) error {
		if err := Enqueue(ctx, tx, Event{Name: UserCreated, At: clk.Now().Add(time.Hour)}); err != nil {
			return err
		}
		return tx.UpdateHook(ctx, hook)
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	time.Sleep(150 * time.Millisecond)
	if calls.Load() != before {
		t.Fatal("a disabled hook was called")
	}
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
