package loadtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxBodyBytes bounds how much of any response is read, so a misbehaving
// server cannot make the tool itself the bottleneck.
const maxBodyBytes = 1 << 20

// Header values shared read-only by every request, to spare an allocation
// per request on the hot path.
var (
	formContentType = []string{"application/x-www-form-urlencoded"}
	acceptJSON      = []string{"application/json"}
)

// tokenClient posts grants to the token endpoint, authenticating the client
// the way the config asks.
type tokenClient struct {
	http     *http.Client
	endpoint string
	// authorization is the client_secret_basic header value, nil otherwise.
	authorization []string
	// clientParams is appended to every form: client_id and, for
	// client_secret_post, client_secret; empty for client_secret_basic.
	clientParams string
}

// newTokenClient prepares client authentication once for the whole run.
func newTokenClient(client *http.Client, endpoint string, cfg Config) *tokenClient {
	tc := &tokenClient{http: client, endpoint: endpoint}
	switch {
	case cfg.ClientSecret == "":
		// A public client identifies itself and proves nothing but PKCE.
		tc.clientParams = "client_id=" + url.QueryEscape(cfg.ClientID)
	case cfg.AuthMethod == "post":
		tc.clientParams = "client_id=" + url.QueryEscape(cfg.ClientID) +
			"&client_secret=" + url.QueryEscape(cfg.ClientSecret)
	default:
		// RFC 6749 section 2.3.1 form-encodes both parts before base64.
		credentials := url.QueryEscape(cfg.ClientID) + ":" + url.QueryEscape(cfg.ClientSecret)
		tc.authorization = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(credentials))}
	}
	return tc
}

// appendClientParams ends a form with the client's own parameters.
func (tc *tokenClient) appendClientParams(form []byte) []byte {
	if tc.clientParams == "" {
		return form
	}
	if len(form) > 0 {
		form = append(form, '&')
	}
	return append(form, tc.clientParams...)
}

// tokenResponse is the part of a token endpoint answer a run checks.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// grantError is a token endpoint answer that is not a usable token.
type grantError struct {
	status      int
	code        string
	description string
}

func (e *grantError) Error() string {
	msg := fmt.Sprintf("token endpoint: status %d", e.status)
	if e.code != "" {
		msg += " " + e.code
	}
	if e.description != "" {
		msg += ": " + e.description
	}
	return msg
}

// rejected reports whether the provider refused the grant itself (as
// opposed to failing transiently), which for a rotating refresh token
// means its chain is over.
func (e *grantError) rejected() bool {
	return e.status == http.StatusBadRequest || e.status == http.StatusUnauthorized
}

// isRejectedGrant reports whether err is a grantError that rejected().
func isRejectedGrant(err error) bool {
	var ge *grantError
	return errors.As(err, &ge) && ge.rejected()
}

// exchange posts form, a complete urlencoded body including the client's
// parameters, and succeeds only on status 200 with an access_token. buf is
// the caller's reusable read buffer.
func (tc *tokenClient) exchange(ctx context.Context, form []byte, buf *bytes.Buffer) (tokenResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tc.endpoint, bytes.NewReader(form))
	if err != nil {
		return tokenResponse{}, err
	}
	req.Header["Content-Type"] = formContentType
	req.Header["Accept"] = acceptJSON
	if tc.authorization != nil {
		req.Header["Authorization"] = tc.authorization
	}
	resp, err := tc.http.Do(req)
	if err != nil {
		return tokenResponse{}, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxBodyBytes))
	// Draining what the limit left keeps the connection reusable.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return tokenResponse{}, fmt.Errorf("token endpoint: reading response: %w", err)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(buf.Bytes(), &tr)
	if resp.StatusCode != http.StatusOK {
		ge := &grantError{status: resp.StatusCode, code: tr.Error, description: tr.ErrorDescription}
		if jsonErr != nil {
			ge.description = snippet(buf.Bytes())
		}
		return tokenResponse{}, ge
	}
	if jsonErr != nil {
		return tokenResponse{}, fmt.Errorf("token endpoint: status 200 but body is not JSON: %w", jsonErr)
	}
	if tr.AccessToken == "" {
		return tokenResponse{}, errors.New("token endpoint: status 200 but no access_token")
	}
	return tr, nil
}

// appendParam appends key=value, form-encoded, to a form body.
func appendParam(form []byte, key, value string) []byte {
	if len(form) > 0 {
		form = append(form, '&')
	}
	form = append(form, key...)
	form = append(form, '=')
	// QueryEscape returns value itself, without allocating, when nothing
	// needs escaping, which is the usual case for tokens.
	return append(form, url.QueryEscape(value)...)
}
