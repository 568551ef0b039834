package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Headers of a delivery. The user agent is Logto's default, so that
// receivers written for Logto recognise the requests; a hook's own headers
// may override it and the content type, never the signature.
const (
	SignatureHeader  = "logto-signature-sha-256"
	DefaultUserAgent = "Logto (https://logto.io/)"
)

// Timeout bounds one delivery attempt, as Logto's.
const Timeout = 10 * time.Second

// MaxResponseBody is how much of a response body an attempt records.
const MaxResponseBody = 1024

// Sign returns the hex HMAC-SHA256 of body under key: the value of the
// logto-signature-sha-256 header.
func Sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// DefaultClient returns the client deliveries use: Timeout per request,
// redirects not followed (a redirect is a failed attempt), any http(s)
// URL allowed, loopback and private addresses included, as in Logto.
func DefaultClient() *http.Client {
	return &http.Client{
		Timeout: Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
	}
}

// Result is the outcome of one request to a hook.
type Result struct {
	StatusCode int // 0 when no response came back
	Body       []byte
	Duration   time.Duration
	Err        error // transport failure, or the non-2xx status
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Err == nil }

// Send posts body to cfg.URL signed with key, and reports the answer.
func Send(ctx context.Context, client *http.Client, cfg store.HookConfig, key string, body []byte) Result {
	if client == nil {
		client = DefaultClient()
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: errors.New("the hook URL is not valid")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", DefaultUserAgent)
	for k, v := range cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set(SignatureHeader, Sign(key, body))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Result{Duration: time.Since(start), Err: transportError(err)}
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	// Read a little more so the connection can be reused, but never wait
	// long on a receiver that streams.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res := Result{StatusCode: resp.StatusCode, Body: got, Duration: time.Since(start)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.Err = fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return res
}

// transportError describes a request that got no answer without
// repeating the URL, whose query may hold a credential: the error is
// logged and shown in the hook's logs.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer within %s", Timeout)
		}
		err = ue.Err
	}
	return fmt.Errorf("request failed: %w", err)
}

// TestPayload is the body Logto posts for a hook test of event: made-up
// data of the event's kind.
func TestPayload(hookID, event string, now time.Time) []byte {
	p := map[string]any{"hookId": hookID, "event": event, "createdAt": isoTime(now), "userAgent": "fake-user-agent"}
	if ie, ok := interactionEvents[event]; ok {
		ms := now.UnixMilli()
		p["interactionEvent"] = ie
		p["sessionId"] = "fake-session-id"
		p["userIp"] = "fake-user-ip"
		p["userId"] = "fake-id"
		p["user"] = map[string]any{"id": "fake-id", "username": "fake-user", "primaryEmail": "fake-user@fake-service.com",
			"primaryPhone": "1234567890", "name": "Fake User", "avatar": "https://fake-service.com/avatars/fake-user.png",
			"customData": map[string]any{"theme": "light"}, "identities": map[string]any{}, "profile": map[string]any{},
			"applicationId": "fake-application-id", "isSuspended": false, "lastSignInAt": ms, "createdAt": ms, "updatedAt": ms}
		p["application"] = map[string]any{"id": "fake-spa-application-id", "type": "SPA", "name": "Fake Application",
			"description": "Fake application data for testing"}
	} else {
		p["path"] = "/fake-path/:id"
		p["method"] = "POST"
		p["status"] = 200
		p["params"] = map[string]string{"id": "fake-id"}
		p["data"] = map[string]string{"result": "success"}
	}
	body, _ := json.Marshal(p)
	return body
}
