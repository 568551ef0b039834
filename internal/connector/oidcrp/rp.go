// Package oidcrp is the OpenID Connect relying party (and OAuth 2.0
// client) that Gatehouse's social connectors share (Google, Microsoft,
// Apple, LinkedIn and the generic OIDC connector, and the plain OAuth 2.0
// ones: Facebook, GitHub, Discord): the authorization code exchange through
// golang.org/x/oauth2, ID token verification through
// github.com/coreos/go-oidc/v3 with each provider's JWKS, profile requests
// with the access token, and the mapping of provider answers to the
// connector package's errors (*connector.UpstreamError for what the
// provider reported, connector.ErrInvalidResponse for what cannot be
// trusted).
//
// Every request goes through the connector environment's HTTP client and
// every time check through its clock, so that tests can stand in for the
// providers' real hosts.
package oidcrp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// maxBody bounds what is read of a provider's answer.
const maxBody = 1 << 20

// RP is a relying party: the HTTP client and clock of one connector.
type RP struct {
	HTTP *http.Client
	Now  func() time.Time
	// TokenError, when set, reads a token endpoint's error answer that
	// carries no RFC 6749 error code (Facebook's Graph API errors); by
	// default such an answer is reported by its HTTP status.
	TokenError func(status int, body []byte) error
}

// New returns the relying party of a connector environment; a nil HTTP
// client means connector.DefaultHTTPClient().
func New(env connector.Env) *RP {
	c := env.HTTPClient
	if c == nil {
		c = connector.DefaultHTTPClient()
	}
	return &RP{HTTP: c, Now: env.Clock()}
}

// Context returns ctx carrying the RP's HTTP client for x/oauth2 and
// go-oidc, which take their client from the context.
func (rp *RP) Context(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, rp.HTTP)
	return oidc.ClientContext(ctx, rp.HTTP)
}

// WithHeader returns a copy of rp whose requests all carry the header
// name: value (GitHub's token endpoint answers JSON only when asked with
// Accept: application/json).
func (rp *RP) WithHeader(name, value string) *RP {
	c := *rp.HTTP
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = headerTransport{base: base, name: name, value: value}
	out := *rp
	out.HTTP = &c
	return &out
}

type headerTransport struct {
	base        http.RoundTripper
	name, value string
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(t.name, t.value)
	return t.base.RoundTrip(r)
}

// Code returns the authorization code of a callback: the provider's error
// as an *connector.UpstreamError when it sent one, an error wrapping
// connector.ErrInvalidResponse when the code is missing.
func Code(params url.Values) (string, error) {
	if err := connector.CallbackError(params); err != nil {
		return "", err
	}
	code := params.Get("code")
	if code == "" {
		return "", fmt.Errorf("%w: the callback carries no authorization code", connector.ErrInvalidResponse)
	}
	return code, nil
}

// Exchange trades an authorization code for tokens at cfg's token
// endpoint. An OAuth error answer becomes an *connector.UpstreamError
// (its body is never kept: it is the provider's and may echo a request;
// its description is clipped), and so does an error answer that rp's
// TokenError reads; an answer without an access token wraps
// connector.ErrInvalidResponse. Providers that answer errors with HTTP 200
// and an "error" member (GitHub) are covered: x/oauth2 reports those as
// errors too.
func (rp *RP) Exchange(ctx context.Context, cfg *oauth2.Config, code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	tok, err := cfg.Exchange(rp.Context(ctx), code, opts...)
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return nil, &connector.UpstreamError{Code: re.ErrorCode, Description: Clip(re.ErrorDescription)}
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if rp.TokenError != nil {
			return nil, rp.TokenError(status, re.Body)
		}
		return nil, &connector.UpstreamError{Code: "http_" + strconv.Itoa(status),
			Description: "the token endpoint answered HTTP " + strconv.Itoa(status)}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("token request: %w", ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The transport failed; keep its cause, not the request.
		return nil, fmt.Errorf("token request to %s: %w", hostOf(cfg.Endpoint.TokenURL), ue.Err)
	}
	// x/oauth2's remaining errors are about the answer's shape (no
	// access_token, unparseable JSON).
	return nil, fmt.Errorf("%w: token endpoint: %v", connector.ErrInvalidResponse, err)
}

// IDToken returns the raw ID token of a token response, or an error
// wrapping connector.ErrInvalidResponse when there is none.
func IDToken(tok *oauth2.Token) (string, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", fmt.Errorf("%w: the token response has no id_token", connector.ErrInvalidResponse)
	}
	return raw, nil
}

// GetJSON fetches a JSON object (a userinfo document, a Graph /me) with
// the access token as a bearer credential. A 401 or an OAuth error answer
// is an *connector.UpstreamError; an answer that is not a JSON object
// wraps connector.ErrInvalidResponse.
func (rp *RP) GetJSON(ctx context.Context, endpoint, accessToken string) (json.RawMessage, error) {
	status, body, err := rp.Get(ctx, endpoint, accessToken, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		return nil, upstreamFromBody(status, body)
	}
	if !isObject(body) {
		return nil, fmt.Errorf("%w: %s answered something other than a JSON object", connector.ErrInvalidResponse, hostOf(endpoint))
	}
	return json.RawMessage(body), nil
}

// Get sends a GET to endpoint with the access token as a bearer
// credential and header's fields, and returns the answer's status and
// (bounded) body, leaving what they mean to the caller: for providers
// whose APIs have their own error formats. Only transport failures are
// errors, and they name the endpoint's host alone.
func (rp *RP) Get(ctx context.Context, endpoint, accessToken string, header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("profile request to %s: %w", hostOf(endpoint), err)
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := rp.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, fmt.Errorf("profile request to %s: %w", hostOf(endpoint), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("profile request to %s: reading the answer: %w", hostOf(endpoint), err)
	}
	return resp.StatusCode, body, nil
}

// upstreamFromBody reads an error answer: RFC 6749's {"error",
// "error_description"} or Microsoft Graph's {"error": {"code", "message"}}.
func upstreamFromBody(status int, body []byte) error {
	var oauthErr struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &oauthErr) == nil && oauthErr.Error != "" {
		return &connector.UpstreamError{Code: oauthErr.Error, Description: oauthErr.Description}
	}
	var graphErr struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &graphErr) == nil && graphErr.Error.Code != "" {
		return &connector.UpstreamError{Code: graphErr.Error.Code, Description: graphErr.Error.Message}
	}
	if status == http.StatusUnauthorized {
		return &connector.UpstreamError{Code: "invalid_token", Description: "the provider refused the access token"}
	}
	return &connector.UpstreamError{Code: "http_" + strconv.Itoa(status),
		Description: "the profile endpoint answered HTTP " + strconv.Itoa(status)}
}

// Clip bounds a provider's message before it reaches logs and pages.
func Clip(s string) string {
	const max = 300
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

func isObject(body []byte) bool {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return false
	}
	return json.Valid(body)
}

// hostOf names an endpoint in errors by its host alone: some providers
// take credentials in query strings.
func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "the endpoint"
	}
	return u.Host
}
