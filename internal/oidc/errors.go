package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Error is an OAuth 2.0 error (RFC 6749 §4.1.2.1 and §5.2).
type Error struct {
	Code        string
	Description string
	// Status is the HTTP status for token-endpoint style responses.
	Status int
	// RetryAfter, when set, is sent as Retry-After seconds (throttling).
	RetryAfter int
	// revokeFamily asks the grant redeeming a code or refresh token to
	// revoke every token of its family along with the error.
	revokeFamily bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func newError(status int, code, description string) *Error {
	return &Error{Code: code, Description: description, Status: status}
}

func errInvalidRequest(d string) *Error { return newError(400, "invalid_request", d) }
func errInvalidGrant(d string) *Error   { return newError(400, "invalid_grant", d) }
func errInvalidScope(d string) *Error   { return newError(400, "invalid_scope", d) }
func errInvalidTarget(d string) *Error  { return newError(400, "invalid_target", d) }
func errInvalidClient(d string) *Error  { return newError(401, "invalid_client", d) }
func errUnauthorizedClient(d string) *Error {
	return newError(400, "unauthorized_client", d)
}
func errServer() *Error {
	return newError(500, "server_error", "the server could not complete the request")
}

// writeJSON writes v as a JSON response that no cache may keep.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes e as an RFC 6749 §5.2 JSON error.
func writeError(w http.ResponseWriter, e *Error) {
	if e.Code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse", charset="UTF-8"`)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	body := map[string]string{"error": e.Code}
	if e.Description != "" {
		body["error_description"] = e.Description
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, body)
}

// redirectError sends the user agent back to a validated redirect URI with
// the error, as RFC 6749 §4.1.2.1 requires.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state string, e *Error) {
	q := url.Values{"error": {e.Code}}
	if e.Description != "" {
		q.Set("error_description", e.Description)
	}
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", p.issuer)
	http.Redirect(w, r, appendQuery(redirectURI, q), http.StatusSeeOther)
}

// appendQuery adds q to the query of uri, keeping what is there.
func appendQuery(uri string, q url.Values) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	existing := u.Query()
	for k, vs := range q {
		existing[k] = vs
	}
	u.RawQuery = existing.Encode()
	return u.String()
}

// writeRawJSON encodes v without touching headers the caller set.
func writeRawJSON(w http.ResponseWriter, v any) {
	json.NewEncoder(w).Encode(v)
}
