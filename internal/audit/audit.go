// Package audit records who signed in, from where, and what failed, as
// Logto's logs: entries with Logto's keys and payload shape, which the
// Management API lists at /api/logs.
//
// Entries are written off the request path: Log encodes an entry and hands
// it to a bounded buffer that a background batcher writes to the store
// every 200 ms or 500 entries. When the buffer is full, entries are dropped
// and counted, so that a slow database never slows a token request down.
//
// What an entry may carry is fixed here, not by the callers: request
// parameters pass through an allow-list, so that passwords, codes, client
// secrets, tokens and Authorization headers never reach the log.
package audit

import (
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Logto's log keys that Gatehouse writes.
const (
	// InteractionCreate: an authorization request sent the browser to sign in.
	InteractionCreate = "Interaction.Create"
	// InteractionEnd: a sign-in interaction ended, with a code for the
	// application (Success) or an error sent to it (Error).
	InteractionEnd = "Interaction.End"
	// The submits of the sign-in pages' flows: a password or code sign-in,
	// a registration, a password reset.
	SignInSubmit         = "Interaction.SignIn.Submit"
	RegisterSubmit       = "Interaction.Register.Submit"
	ForgotPasswordSubmit = "Interaction.ForgotPassword.Submit"

	// The token endpoint, one key per grant type.
	ExchangeByAuthorizationCode = "ExchangeTokenBy.AuthorizationCode"
	ExchangeByRefreshToken      = "ExchangeTokenBy.RefreshToken"
	ExchangeByClientCredentials = "ExchangeTokenBy.ClientCredentials"
	ExchangeByUnknown           = "ExchangeTokenBy.Unknown"
	// RevokeToken: a token revocation request.
	RevokeToken = "RevokeToken"
)

// Gatehouse's own keys, for events Logto does not log.
const (
	// SessionEnd: a browser session was signed out.
	SessionEnd = "Session.End"
	// ManagementAPIWrite: a successful non-GET Management API request.
	ManagementAPIWrite = "ManagementApi.Write"
)

// VerificationCodeCreate is Logto's key for sending a verification code
// during an interaction event (SignIn, Register, ForgotPassword) by email
// or phone: Interaction.SignIn.Verification.EmailVerificationCode.Create.
func VerificationCodeCreate(event, channel string) string {
	kind := "EmailVerificationCode"
	if channel == "phone" {
		kind = "PhoneVerificationCode"
	}
	return "Interaction." + event + ".Verification." + kind + ".Create"
}

// SubmitKey is the submit key of an interaction event.
func SubmitKey(event string) string { return "Interaction." + event + ".Submit" }

// ListedPrefixes are the key prefixes GET /api/logs lists when no key is
// asked for: Logto's audit keys (it leaves out webhook and JWT customizer
// logs) and Gatehouse's own.
var ListedPrefixes = []string{"ExchangeTokenBy", "RevokeToken", "Interaction", "Unknown", "Session.", "ManagementApi."}

// ActivePrefixes are the keys whose successful entries make a user
// active on the dashboard: token exchanges, as Logto counts them, and
// sign-ins and registrations (which a code exchange normally follows).
var ActivePrefixes = []string{"ExchangeTokenBy.", SignInSubmit, RegisterSubmit}

// Result is Logto's log result.
type Result string

const (
	Success Result = "Success"
	Error   Result = "Error"
)

// Entry is one event to record. Zero fields are left out.
type Entry struct {
	Key    string
	Result Result // Success when empty
	// Error says what failed: a string, or an object such as an OAuth
	// error's {error, error_description}.
	Error         any
	IP            string
	UserAgent     string
	UserID        string
	ApplicationID string
	// SessionID and InteractionID are public references (see Ref), never
	// the values that grant access.
	SessionID     string
	InteractionID string
	// Params are request parameters. Only the names in allowedParams are
	// kept; everything else is dropped.
	Params map[string]any
	// TokenTypes and Scope describe issued tokens, as Logto's token logs do.
	TokenTypes []string
	Scope      string
	// At is when it happened; zero means the writer's clock.
	At time.Time
}

// allowedParams are the request parameters an entry may carry. Nothing
// secret is among them: no password, code, code_verifier, client_secret,
// client_assertion, token, refresh_token, state, nonce or header.
var allowedParams = map[string]bool{
	// OAuth requests
	"grant_type": true, "client_id": true, "redirect_uri": true, "resource": true, "scope": true,
	"token_type_hint": true, "response_type": true, "prompt": true, "ui_locales": true,
	"first_screen": true, "interaction_mode": true,
	// Sign-in pages: who tried, and how
	"identifier": true, "method": true, "event": true,
	// Management API writes (method is also the sign-in method above)
	"path": true, "route": true, "status": true,
}

// Logger records entries. A nil Logger in the packages that take one
// records nothing.
type Logger interface {
	Log(Entry)
}

// maxText bounds every string an entry carries.
const maxText = 512

func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	s = s[:maxText]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Encode turns e into a store entry: Logto's payload, the parameters
// filtered through the allow-list, every string clipped. The entry's ID
// is left for the store to fill in.
func Encode(e Entry, now time.Time) store.LogEntry {
	if e.Result == "" {
		e.Result = Success
	}
	if e.At.IsZero() {
		e.At = now
	}
	userID, appID := clip(e.UserID), clip(e.ApplicationID)
	b := make([]byte, 0, 384)
	b = append(b, `{"key":`...)
	b = appendString(b, e.Key)
	b = append(b, `,"result":`...)
	b = appendString(b, string(e.Result))
	if e.Error != nil {
		if v, ok := cleanValue(e.Error); ok {
			b = append(b, `,"error":`...)
			b = appendValue(b, v)
		}
	}
	for _, f := range [...]struct{ name, value string }{
		{"ip", e.IP}, {"userAgent", e.UserAgent}, {"userId", userID}, {"applicationId", appID},
		{"sessionId", e.SessionID}, {"interactionId", e.InteractionID},
	} {
		if f.value != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendString(b, clip(f.value))
		}
	}
	if keys := paramKeys(e.Params); len(keys) > 0 {
		b = append(b, `,"params":{`...)
		n := 0
		for _, k := range keys {
			v, ok := cleanValue(e.Params[k])
			if !ok {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendString(b, k)
			b = append(b, ':')
			b = appendValue(b, v)
		}
		b = append(b, '}')
		if n == 0 {
			b = b[:len(b)-len(`,"params":{}`)]
		}
	}
	if len(e.TokenTypes) > 0 {
		b = append(b, `,"tokenTypes":`...)
		b = appendValue(b, e.TokenTypes)
	}
	if e.Scope != "" {
		b = append(b, `,"scope":`...)
		b = appendString(b, clip(e.Scope))
	}
	b = append(b, '}')
	// Encode runs in the order entries were logged; an ordered id keeps
	// that order among entries of the same millisecond.
	return store.LogEntry{ID: id.Ordered(), Key: e.Key, Result: string(e.Result), UserID: userID, ApplicationID: appID,
		Payload: b, CreatedAt: e.At.UnixMilli()}
}

// paramKeys lists the allowed parameter names of params, sorted.
func paramKeys(params map[string]any) []string {
	if len(params) == 0 {
		return nil
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		if allowedParams[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// cleanValue keeps strings (clipped), numbers, booleans, string lists and
// string maps, and objects of those one level deep; anything else is
// dropped.
func cleanValue(v any) (any, bool) {
	switch x := v.(type) {
	case string, bool, int, int64, float64, []string, map[string]string:
		return x, true
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			switch v.(type) {
			case string, bool, int, int64, float64, []string, map[string]string:
				out[k] = v
			}
		}
		return out, true
	}
	return nil, false
}

// appendValue appends the JSON of a value cleanValue kept.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendString(b, clip(x))
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, clip(s))
		}
		return append(b, ']')
	case map[string]string:
		return appendObject(b, x, func(b []byte, s string) []byte { return appendString(b, clip(s)) })
	case map[string]any:
		return appendObject(b, x, appendValue)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Ref derives a public reference to a secret value (a session or
// interaction id that grants access): the same value always gives the
// same reference, so entries can be correlated, and the reference gives
// nothing away.
func Ref(kind, secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("gatehouse audit reference\x00" + kind + "\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:15])
}

// appendObject writes m as a JSON object with sorted keys.
func appendObject[V any](b []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, clip(k))
		b = append(b, ':')
		b = value(b, m[k])
	}
	return append(b, '}')
}
