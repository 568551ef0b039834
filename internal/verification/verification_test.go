package verification_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-auth/gatehouse/internal/verification"
)

// outbox is a Connectors that records messages instead of sending them.
type outbox struct {
	mu   sync.Mutex
	msgs []connector.Message
	fail error
	none bool
}

func (o *outbox) Sender(_ context.Context, t connector.Type) (connector.Sender, error) {
	if o.none {
		return nil, connector.ErrNoConnector
	}
	return senderFunc(func(_ context.Context, m connector.Message) error {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.fail != nil {
			return o.fail
		}
		m.UsageType = string(t) + "/" + m.UsageType
		o.msgs = append(o.msgs, m)
		return nil
	}), nil
}

type senderFunc func(context.Context, connector.Message) error

func (f senderFunc) Send(ctx context.Context, m connector.Message) error { return f(ctx, m) }

func (o *outbox) last(t *testing.T) connector.Message {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		t.Fatal("nothing sent")
	}
	return o.msgs[len(o.msgs)-1]
}

func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	svc   *verification.Service
	out   *outbox
	clock *testClock
	st    store.Store
	logs  *bytes.Buffer
}

func stores(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqltest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		st, _ := sqltest.Postgres(t)
		fn(t, st)
	})
}

func newFixture(st store.Store) *fixture {
	f := &fixture{out: &outbox{}, clock: &testClock{now: time.Unix(1_750_000_000, 0)}, st: st, logs: &bytes.Buffer{}}
	f.svc = verification.New(verification.Options{Store: st, Connectors: f.out, Now: f.clock.Now,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return f
}

const ann = "Ann@Example.com"

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("%s: error %v, want %v", what, got, want)
	}
}

func TestLifecycle(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(st)
		if err := f.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeSignIn, "de", "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		m := f.out.last(t)
		if len(m.Code) != 6 || strings.Trim(m.Code, "0123456789") != "" {
			t.Fatalf("code %q", m.Code)
		}
		if m.To != "ann@example.com" || m.UsageType != "Email/SignIn" || m.Locale != "de" || m.IP != "203.0.113.7" {
			t.Fatalf("message %+v", m)
		}

		// A code is bound to its purpose and target.
		wantErr(t, "other purpose", f.svc.Verify(ctx, verification.ChannelEmail, ann, verification.PurposeRegister, m.Code), verification.ErrCodeInvalid)
		wantErr(t, "other target", f.svc.Verify(ctx, verification.ChannelEmail, "bob@example.com", verification.PurposeSignIn, m.Code), verification.ErrCodeInvalid)
		// Right once (the address compared without case), then used.
		if err := f.svc.Verify(ctx, verification.ChannelEmail, " ann@example.COM ", verification.PurposeSignIn, " "+m.Code+" "); err != nil {
			t.Fatalf("right code: %v", err)
		}
		wantErr(t, "reused code", f.svc.Verify(ctx, verification.ChannelEmail, ann, verification.PurposeSignIn, m.Code), verification.ErrCodeInvalid)

		// Stored only as a digest, under an id that is a digest of
		// (channel, target, purpose).
		sum := sha256.Sum256([]byte("email\x00ann@example.com\x00SignIn"))
		o, err := st.GetObject(ctx, store.KindVerificationCode, hex.EncodeToString(sum[:]), f.clock.Now().UnixMilli())
		if err != nil {
			t.Fatalf("code record: %v", err)
		}
		if o.ConsumedAt == 0 || bytes.Contains(o.Payload, []byte(m.Code)) || !bytes.Contains(o.Payload, []byte(`"digest"`)) {
			t.Fatalf("stored %+v %s", o, o.Payload)
		}
		if strings.Contains(f.logs.String(), m.Code) || strings.Contains(f.logs.String(), "ann@example.com") {
			t.Fatalf("logs carry the code or the address:\n%s", f.logs)
		}
		if !strings.Contains(f.logs.String(), "a***@example.com") {
			t.Fatalf("logs lack the redacted address:\n%s", f.logs)
		}
	})
}

func TestWrongCodes(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(st)
		if err := f.svc.Send(ctx, verification.ChannelPhone, "+1 (555) 010-9999", verification.PurposeRegister, "", ""); err != nil {
			t.Fatal(err)
		}
		m := f.out.last(t)
		if m.To != "15550109999" || m.UsageType != "Sms/Register" {
			t.Fatalf("message %+v", m)
		}
		wrong := fmt.Sprintf("%06d", (atoi(m.Code)+1)%1_000_000)
		for i := 1; i < verification.MaxAttempts; i++ {
			wantErr(t, fmt.Sprintf("wrong code %d", i), f.svc.Verify(ctx, verification.ChannelPhone, "15550109999", verification.PurposeRegister, wrong), verification.ErrCodeInvalid)
		}
		// The fifth wrong code kills it; the right one no longer works.
		wantErr(t, "fifth wrong code", f.svc.Verify(ctx, verification.ChannelPhone, "15550109999", verification.PurposeRegister, wrong), verification.ErrTooManyAttempts)
		wantErr(t, "right code after", f.svc.Verify(ctx, verification.ChannelPhone, "+15550109999", verification.PurposeRegister, m.Code), verification.ErrTooManyAttempts)

		// A new code starts afresh (after the resend interval).
		f.clock.Advance(verification.SendInterval)
		if err := f.svc.Send(ctx, verification.ChannelPhone, "15550109999", verification.PurposeRegister, "", ""); err != nil {
			t.Fatal(err)
		}
		m = f.out.last(t)
		wantErr(t, "wrong once", f.svc.Verify(ctx, verification.ChannelPhone, "15550109999", verification.PurposeRegister, "abc"), verification.ErrCodeInvalid)
		if err := f.svc.Verify(ctx, verification.ChannelPhone, "15550109999", verification.PurposeRegister, m.Code); err != nil {
			t.Fatalf("right code after a wrong one: %v", err)
		}
	})
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestExpiryAndReplace(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(st)
		send := func() string {
			t.Helper()
			if err := f.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeForgotPassword, "", ""); err != nil {
				t.Fatal(err)
			}
			return f.out.last(t).Code
		}
		verify := func(code string) error {
			return f.svc.Verify(ctx, verification.ChannelEmail, ann, verification.PurposeForgotPassword, code)
		}
		code := send()
		f.clock.Advance(verification.CodeTTL - time.Second)
		wantErr(t, "wrong just before expiry", verify("x"), verification.ErrCodeInvalid)
		f.clock.Advance(time.Second)
		wantErr(t, "right at expiry", verify(code), verification.ErrCodeExpired)
		wantErr(t, "again", verify(code), verification.ErrCodeExpired)
		f.clock.Advance(2 * time.Hour)
		wantErr(t, "long after", verify(code), verification.ErrCodeInvalid)

		// Resending replaces: the old code stops working.
		old := send()
		f.clock.Advance(verification.SendInterval)
		fresh := send()
		for old == fresh { // one in a million
			f.clock.Advance(verification.SendInterval)
			fresh = send()
		}
		wantErr(t, "replaced code", verify(old), verification.ErrCodeInvalid)
		if err := verify(fresh); err != nil {
			t.Fatalf("new code: %v", err)
		}
	})
}

func TestRateLimits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(sqltest.SQLite(t))
	send := func(to, ip string) error {
		return f.svc.Send(ctx, verification.ChannelEmail, to, verification.PurposeSignIn, "", ip)
	}
	if err := send(ann, "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
	// One per minute per target, whatever the IP or the case.
	var rl *verification.RateLimitedError
	if err := send("ann@example.COM", "198.51.100.2"); !errors.As(err, &rl) || rl.RetryAfter != verification.SendInterval {
		t.Fatalf("second send: %v", err)
	}
	f.clock.Advance(30 * time.Second)
	if err := send(ann, ""); !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Fatalf("after 30 s: %v", err)
	}
	// Ten per hour per target.
	for i := 1; i < verification.SendsPerHour; i++ {
		f.clock.Advance(verification.SendInterval)
		if err := send(ann, ""); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	f.clock.Advance(verification.SendInterval)
	if err := send(ann, ""); !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > time.Hour {
		t.Fatalf("11th send in the hour: %v", err)
	}
	if n := f.out.count(); n != verification.SendsPerHour {
		t.Fatalf("%d sent, want %d", n, verification.SendsPerHour)
	}
	f.clock.Advance(time.Hour)
	if err := send(ann, ""); err != nil {
		t.Fatalf("an hour later: %v", err)
	}

	// Thirty per hour per IP, over different targets.
	ip := "192.0.2.9"
	for i := 0; i < verification.SendsPerIPPerHour; i++ {
		if err := send(fmt.Sprintf("user%d@example.com", i), ip); err != nil {
			t.Fatalf("ip send %d: %v", i, err)
		}
	}
	if err := send("another@example.com", ip); !errors.As(err, &rl) {
		t.Fatalf("31st send from one IP: %v", err)
	}
	if err := send("another@example.com", "192.0.2.10"); err != nil {
		t.Fatalf("another IP: %v", err)
	}
}

// TestRateLimitsAcrossProcesses: two services on one database, as two
// server processes on one PostgreSQL, enforce one set of send limits.
func TestRateLimitsAcrossProcesses(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		a, b := newFixture(st), newFixture(st)
		b.clock = a.clock
		b.svc = verification.New(verification.Options{Store: st, Connectors: b.out, Now: a.clock.Now,
			Logger: slog.New(slog.DiscardHandler)})
		if err := a.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeSignIn, "", "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		var rl *verification.RateLimitedError
		if err := b.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeRegister, "", "198.51.100.2"); !errors.As(err, &rl) {
			t.Fatalf("a second code within the interval from another process: %v, want rate limited", err)
		}
		ip := "192.0.2.77"
		for i := 0; i < verification.SendsPerIPPerHour; i++ {
			svc := a.svc
			if i%2 == 1 {
				svc = b.svc
			}
			if err := svc.Send(ctx, verification.ChannelEmail, fmt.Sprintf("p%d@example.com", i), verification.PurposeSignIn, "", ip); err != nil {
				t.Fatalf("send %d from %s: %v", i, ip, err)
			}
		}
		if err := a.svc.Send(ctx, verification.ChannelEmail, "late@example.com", verification.PurposeSignIn, "", ip); !errors.As(err, &rl) {
			t.Fatalf("send %d from one address over two processes: %v, want rate limited", verification.SendsPerIPPerHour+1, err)
		}
		if sent := a.out.count() + b.out.count(); sent != 1+verification.SendsPerIPPerHour {
			t.Fatalf("%d codes sent, want %d", sent, 1+verification.SendsPerIPPerHour)
		}
	})
}

func TestSendFailures(t *testing.T) {
	ctx := context.Background()
	f := newFixture(sqltest.SQLite(t))
	f.out.none = true
	wantErr(t, "no connector", f.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeSignIn, "", ""), verification.ErrNoConnector)
	wantErr(t, "no connector (same error)", f.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeSignIn, "", ""), connector.ErrNoConnector)
	f.out.none = false

	// A failed send leaves no usable code and tells the caller.
	boom := errors.New("smtp down")
	f.out.fail = boom
	wantErr(t, "failing connector", f.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeSignIn, "", ""), boom)
	f.out.fail = nil
	// The failed send does not hold the user back a minute.
	if err := f.svc.Send(ctx, verification.ChannelEmail, ann, verification.PurposeSignIn, "", ""); err != nil {
		t.Fatalf("retry after a failed send: %v", err)
	}

	for _, tc := range []struct {
		ch      verification.Channel
		to      string
		purpose verification.Purpose
	}{
		{verification.ChannelEmail, "", verification.PurposeSignIn},
		{verification.ChannelEmail, "not-an-address", verification.PurposeSignIn},
		{verification.ChannelPhone, "call me", verification.PurposeSignIn},
		{"fax", "123456", verification.PurposeSignIn},
		{verification.ChannelEmail, ann, "Nonsense"},
	} {
		if err := f.svc.Send(ctx, tc.ch, tc.to, tc.purpose, "", ""); err == nil {
			t.Errorf("Send(%q, %q, %q) succeeded", tc.ch, tc.to, tc.purpose)
		}
		if err := f.svc.Verify(ctx, tc.ch, tc.to, tc.purpose, "123456"); err == nil {
			t.Errorf("Verify(%q, %q, %q) succeeded", tc.ch, tc.to, tc.purpose)
		}
	}
	wantErr(t, "never sent", f.svc.Verify(ctx, verification.ChannelEmail, "nobody@example.com", verification.PurposeSignIn, "123456"), verification.ErrCodeInvalid)
}

func TestConcurrentVerify(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(st)
		send := func(to string) string {
			t.Helper()
			if err := f.svc.Send(ctx, verification.ChannelEmail, to, verification.PurposeSignIn, "", ""); err != nil {
				t.Fatal(err)
			}
			return f.out.last(t).Code
		}
		race := func(n int, try func(i int) error) map[error]int {
			var mu sync.Mutex
			counts := map[error]int{}
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := try(i)
					mu.Lock()
					counts[err]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			return counts
		}

		// The right code, raced: accepted exactly once.
		code := send("race@example.com")
		got := race(12, func(int) error {
			return f.svc.Verify(ctx, verification.ChannelEmail, "race@example.com", verification.PurposeSignIn, code)
		})
		if got[nil] != 1 || got[verification.ErrCodeInvalid] != 11 {
			t.Fatalf("right code raced: %v", got)
		}

		// Wrong codes, raced: every attempt counted.
		code = send("wrong@example.com")
		wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
		got = race(12, func(int) error {
			return f.svc.Verify(ctx, verification.ChannelEmail, "wrong@example.com", verification.PurposeSignIn, wrong)
		})
		if got[verification.ErrCodeInvalid] != verification.MaxAttempts-1 || got[verification.ErrTooManyAttempts] != 12-(verification.MaxAttempts-1) {
			t.Fatalf("wrong codes raced: %v", got)
		}
		wantErr(t, "right code after the race", f.svc.Verify(ctx, verification.ChannelEmail, "wrong@example.com", verification.PurposeSignIn, code), verification.ErrTooManyAttempts)
	})
}

// TestThroughSMTP sends a code through a configured SMTP connector to a
// real SMTP server and verifies the code read from the mail.
func TestThroughSMTP(t *testing.T) {
	ctx := context.Background()
	st := sqltest.SQLite(t)
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: "pw-0123456789abcdef"})
	conns := connector.NewService(st, nil, connector.Options{})
	cfg := fmt.Sprintf(`{"host": %q, "port": %d, "auth": {"user": "mailer", "pass": "pw-0123456789abcdef"}, "fromEmail": "no-reply@example.com",
		"tls": {"ca": %q}, "templates": [
		{"usageType": "SignIn", "contentType": "text/plain", "subject": "Sign in", "content": "Code: {{code}}"},
		{"usageType": "Register", "contentType": "text/plain", "subject": "Register", "content": "Code: {{code}}"},
		{"usageType": "ForgotPassword", "contentType": "text/plain", "subject": "Reset", "content": "Code: {{code}}"},
		{"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "Code: {{code}}"}]}`, srv.Host, srv.Port, srv.CertPEM)
	if _, err := conns.Create(ctx, connector.CreateInput{FactoryID: connector.SMTPFactoryID, Config: []byte(cfg)}); err != nil {
		t.Fatal(err)
	}
	svc := verification.New(verification.Options{Store: st, Connectors: conns, Logger: slog.New(slog.DiscardHandler)})
	if err := svc.Send(ctx, verification.ChannelEmail, "ann@example.com", verification.PurposeSignIn, "en", ""); err != nil {
		t.Fatal(err)
	}
	m := srv.Last(t)
	if m.Header("Subject") != "Sign in" || m.Code() == "" {
		t.Fatalf("mail %q %q", m.Header("Subject"), m.Body())
	}
	if err := svc.Verify(ctx, verification.ChannelEmail, "ann@example.com", verification.PurposeSignIn, m.Code()); err != nil {
		t.Fatal(err)
	}
	// No SMS connector.
	wantErr(t, "sms", svc.Send(ctx, verification.ChannelPhone, "15550100000", verification.PurposeSignIn, "", ""), verification.ErrNoConnector)
}
