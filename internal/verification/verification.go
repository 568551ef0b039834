// Package verification sends and checks one-time verification codes by
// email and SMS, for the hosted sign-in pages: sign-in, registration and
// password reset by code.
//
// A code is six digits from crypto/rand, valid for 10 minutes, good for one
// successful check and for at most 5 wrong ones. The store keeps only a
// salted HMAC-SHA-256 digest of it, in an OIDC object of kind
// VerificationCode whose id is a SHA-256 digest of (channel, target,
// purpose), so neither codes nor addresses are stored in the clear. Sending
// a new code for the same (channel, target, purpose) replaces the old one.
//
// Sending is rate limited per target (one code per 60 s, ten per hour) and
// per client IP (thirty per hour). The sends are counted in the database
// (throttle.Shared), so every process of a deployment enforces the same
// limits; only two sends racing on two processes in the same instant can
// both pass a limit's last slot.
//
// Codes and targets are never logged in full: log lines carry a redacted
// target such as "a***@example.com" or "***67".
package verification

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/throttle"
)

// Purpose is what a code is for; it is the connector template usage type.
type Purpose string

const (
	PurposeSignIn         Purpose = "SignIn"
	PurposeRegister       Purpose = "Register"
	PurposeForgotPassword Purpose = "ForgotPassword"
	PurposeGeneric        Purpose = "Generic"
)

// Channel is how a code travels.
type Channel string

const (
	ChannelEmail Channel = "email"
	ChannelPhone Channel = "phone"
)

// The rules.
const (
	CodeTTL      = 10 * time.Minute
	MaxAttempts  = 5 // wrong codes before a code is dead
	codeDigits   = 6
	SendInterval = 60 * time.Second // between two codes to one target
	// SendsPerHour bounds the codes sent to one target in any hour, and
	// SendsPerIPPerHour those requested from one client IP.
	SendsPerHour      = 10
	SendsPerIPPerHour = 30
	// keepAfterExpiry is how long a code's record outlives the code, so that
	// a late check is told "expired" rather than "wrong".
	keepAfterExpiry = time.Hour
)

// Errors of Send and Verify.
var (
	// ErrNoConnector means no email (or SMS) connector is configured. It is
	// connector.ErrNoConnector itself.
	ErrNoConnector = connector.ErrNoConnector
	// ErrCodeInvalid means the code is wrong, was used already, or was
	// never sent.
	ErrCodeInvalid = errors.New("verification: the code is not valid")
	// ErrCodeExpired means the code was right or wrong but is older than
	// CodeTTL; a new one must be sent.
	ErrCodeExpired = errors.New("verification: the code has expired")
	// ErrTooManyAttempts means MaxAttempts wrong codes were given: the code
	// is dead and a new one must be sent.
	ErrTooManyAttempts = errors.New("verification: too many wrong codes")
)

// RateLimitedError is Send's answer when a target or an IP has had too many
// codes; RetryAfter is when the next one can go.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("verification: too many codes requested; retry in %s", e.RetryAfter.Round(time.Second))
}

// Connectors gives the sender of the configured connector of a type;
// *connector.Service is one.
type Connectors interface {
	Sender(ctx context.Context, t connector.Type) (connector.Sender, error)
}

// Options configures a Service.
type Options struct {
	Store      store.Store
	Connectors Connectors
	Now        func() time.Time
	Logger     *slog.Logger
}

// Service sends and verifies codes. It is safe for concurrent use.
type Service struct {
	store      store.Store
	connectors Connectors
	now        func() time.Time
	log        *slog.Logger

	mu                     sync.Mutex // makes a rate-limit check and its count one step in this process
	perMinute, perHour, ip *throttle.Shared
}

// New returns a Service.
func New(opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Service{store: opt.Store, connectors: opt.Connectors, now: opt.Now, log: opt.Logger,
		perMinute: throttle.NewShared(opt.Store, 1, SendInterval),
		perHour:   throttle.NewShared(opt.Store, SendsPerHour, time.Hour),
		ip:        throttle.NewShared(opt.Store, SendsPerIPPerHour, time.Hour),
	}
	for _, l := range []*throttle.Shared{s.perMinute, s.perHour, s.ip} {
		l.Now = opt.Now
	}
	return s
}

// payload is what the store keeps of a code.
type payload struct {
	Salt      []byte `json:"salt"`
	Digest    []byte `json:"digest"`
	Attempts  int    `json:"attempts"`
	ExpiresAt int64  `json:"expiresAt"` // Unix ms; the code's own expiry
}

// Send creates a fresh 6-digit code for (channel, to, purpose), replacing
// any earlier one, and sends it with the configured connector. Errors:
// ErrNoConnector, a *RateLimitedError, or the connector's failure.
func (s *Service) Send(ctx context.Context, ch Channel, to string, purpose Purpose, locale, ip string) error {
	target, err := normalize(ch, to)
	if err != nil {
		return err
	}
	if err := checkPurpose(purpose); err != nil {
		return err
	}
	typ := connector.TypeEmail
	if ch == ChannelPhone {
		typ = connector.TypeSMS
	}
	if s.connectors == nil {
		return ErrNoConnector
	}
	sender, err := s.connectors.Sender(ctx, typ)
	if err != nil {
		return err
	}
	if err := s.admit(ctx, ch, target, ip); err != nil {
		var limited *RateLimitedError
		if errors.As(err, &limited) {
			s.log.Info("verification code refused: rate limited", "channel", ch, "to", Redact(ch, target), "ip", ip)
		}
		return err
	}

	code, err := newCode()
	if err != nil {
		return err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("verification: %w", err)
	}
	id := objectID(ch, target, purpose)
	now := s.now()
	p := payload{Salt: salt, Digest: digest(salt, id, code), ExpiresAt: now.Add(CodeTTL).UnixMilli()}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	obj := &store.OIDCObject{Kind: store.KindVerificationCode, ID: id, Payload: raw,
		ExpiresAt: now.Add(CodeTTL + keepAfterExpiry).UnixMilli()}
	if err := s.store.PutObject(ctx, obj); err != nil {
		return fmt.Errorf("verification: storing the code: %w", err)
	}
	msg := connector.Message{To: target, UsageType: string(purpose), Code: code, Locale: locale, IP: ip}
	if err := sender.Send(ctx, msg); err != nil {
		// The code never reached anyone: forget it (best effort), and let
		// the user retry at once (the hourly limits still count it).
		_ = s.store.DeleteObject(context.WithoutCancel(ctx), store.KindVerificationCode, id)
		if err := s.perMinute.Reset(context.WithoutCancel(ctx), minuteKey(ch, target)); err != nil {
			s.log.Warn("clearing the send interval after a failed send failed", "err", err)
		}
		s.log.Warn("verification code not sent", "channel", ch, "purpose", purpose, "to", Redact(ch, target), "err", err)
		return fmt.Errorf("verification: sending the code: %w", err)
	}
	s.log.Info("verification code sent", "channel", ch, "purpose", purpose, "to", Redact(ch, target))
	return nil
}

// Verify checks a code; a right code is consumed (single use). Errors:
// ErrCodeInvalid (wrong, used, or never sent), ErrCodeExpired, and
// ErrTooManyAttempts: the fifth wrong code kills the code, and every check
// after that, right code or not, answers ErrTooManyAttempts.
func (s *Service) Verify(ctx context.Context, ch Channel, to string, purpose Purpose, code string) error {
	target, err := normalize(ch, to)
	if err != nil {
		return err
	}
	if err := checkPurpose(purpose); err != nil {
		return err
	}
	id := objectID(ch, target, purpose)
	code = strings.TrimSpace(code)
	now := s.now().UnixMilli()
	var result error
	// ConsumeObject claims the record: of concurrent checks exactly one
	// holds it (on PostgreSQL the others wait on the row lock until this
	// transaction ends, then see its outcome), so attempts are counted
	// without lost updates and a right code is accepted once.
	err = s.store.InTx(ctx, func(tx store.Store) error {
		result = nil
		o, err := tx.ConsumeObject(ctx, store.KindVerificationCode, id, now)
		consumed := errors.Is(err, store.ErrConsumed)
		switch {
		case errors.Is(err, store.ErrNotFound):
			result = ErrCodeInvalid
			return nil
		case err != nil && !consumed:
			return err
		}
		var p payload
		if err := json.Unmarshal(o.Payload, &p); err != nil {
			return fmt.Errorf("verification: reading the code record: %w", err)
		}
		switch {
		case p.Attempts >= MaxAttempts:
			result = ErrTooManyAttempts
			return nil
		case now >= p.ExpiresAt:
			result = ErrCodeExpired // and it stays consumed: dead
			return nil
		case consumed:
			result = ErrCodeInvalid // used already
			return nil
		}
		if hmac.Equal(digest(p.Salt, id, code), p.Digest) {
			return nil // right: stays consumed
		}
		p.Attempts++
		raw, err := json.Marshal(p)
		if err != nil {
			return err
		}
		o.Payload = raw
		if p.Attempts >= MaxAttempts {
			result = ErrTooManyAttempts
			return tx.UpdateObjectPayload(ctx, store.KindVerificationCode, id, raw) // stays consumed: dead
		}
		result = ErrCodeInvalid
		o.ConsumedAt = 0 // release the claim for the next try
		return tx.PutObject(ctx, o)
	})
	if err != nil {
		return fmt.Errorf("verification: %w", err)
	}
	if result != nil {
		s.log.Info("verification code rejected", "channel", ch, "purpose", purpose, "to", Redact(ch, target), "reason", result)
	}
	return result
}

// admit applies the send limits and, when they allow, counts the send.
func (s *Service) admit(ctx context.Context, ch Channel, target, ip string) error {
	type limit struct {
		l   *throttle.Shared
		key string
	}
	limits := []limit{{s.perMinute, minuteKey(ch, target)}, {s.perHour, "code-hour:" + limitKey(ch, target)}}
	if ip != "" {
		limits = append(limits, limit{s.ip, "code-ip:" + ip})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var wait time.Duration
	for _, l := range limits {
		d, blocked, err := l.l.Blocked(ctx, l.key)
		if err != nil {
			return fmt.Errorf("verification: checking the send limits: %w", err)
		}
		if blocked && d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return &RateLimitedError{RetryAfter: wait}
	}
	for _, l := range limits {
		if err := l.l.Fail(ctx, l.key); err != nil {
			return fmt.Errorf("verification: counting the send: %w", err)
		}
	}
	return nil
}

// limitKey is the rate-limit key of a target (a digest, though the
// limiter stores keys only as digests too).
func limitKey(ch Channel, target string) string { return string(ch) + ":" + hashHex(target) }

// minuteKey is the key of the one-code-per-interval limit; each limit has
// keys of its own, since a shared limiter counts per key.
func minuteKey(ch Channel, target string) string { return "code-minute:" + limitKey(ch, target) }

// newCode draws a uniformly random six-digit code.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("verification: drawing a code: %w", err)
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

func digest(salt []byte, id, code string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(id))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// objectID names the record of (channel, target, purpose) without
// revealing the target.
func objectID(ch Channel, target string, purpose Purpose) string {
	return hashHex(string(ch) + "\x00" + target + "\x00" + string(purpose))
}

func checkPurpose(p Purpose) error {
	switch p {
	case PurposeSignIn, PurposeRegister, PurposeForgotPassword, PurposeGeneric:
		return nil
	}
	return fmt.Errorf("verification: unknown purpose %q", p)
}

// normalize returns the form of a target that codes are keyed by and sent
// to: an email address trimmed and lower-cased (as users' emails are
// compared), a phone number as its digits only (Logto's form, without "+",
// spaces or punctuation).
func normalize(ch Channel, to string) (string, error) {
	to = strings.TrimSpace(to)
	switch ch {
	case ChannelEmail:
		if to == "" || !strings.Contains(to, "@") || strings.ContainsAny(to, " \r\n") {
			return "", errors.New("verification: not an email address")
		}
		return strings.ToLower(to), nil
	case ChannelPhone:
		var b strings.Builder
		for _, r := range to {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			default:
				return "", errors.New("verification: not a phone number")
			}
		}
		if b.Len() < 4 || b.Len() > 20 {
			return "", errors.New("verification: not a phone number")
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("verification: unknown channel %q", ch)
}

// Redact shortens a target for logs: "a***@example.com" for an email
// address, "***67" for a phone number.
func Redact(ch Channel, target string) string {
	if ch == ChannelEmail {
		local, domain, ok := strings.Cut(target, "@")
		if !ok || local == "" {
			return "***"
		}
		_, n := utf8.DecodeRuneInString(local)
		return local[:n] + "***@" + domain
	}
	if len(target) <= 2 {
		return "***"
	}
	return "***" + target[len(target)-2:]
}
