package oidc

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
)

// maxFormBytes bounds request bodies of the form endpoints.
const maxFormBytes = 64 << 10

// readForm parses an application/x-www-form-urlencoded body and refuses
// repeated parameters (RFC 6749 §3.2), except those listed in repeatable.
func readForm(w http.ResponseWriter, r *http.Request, repeatable ...string) (url.Values, *Error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, newError(http.StatusRequestEntityTooLarge, "invalid_request", "the request body is too large")
		}
		return nil, errInvalidRequest("the request body is not a valid form")
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 && !slices.Contains(repeatable, k) {
			return nil, errInvalidRequest("the parameter " + k + " is repeated")
		}
	}
	return r.PostForm, nil
}

// clientForm reads a form post and authenticates the client that sent it;
// on failure it has answered with the error.
func (p *Provider) clientForm(w http.ResponseWriter, r *http.Request, repeatable ...string) (url.Values, *client, bool) {
	form, e := readForm(w, r, repeatable...)
	if e == nil {
		var c *client
		if c, e = p.authenticateClient(r, form); e == nil {
			return form, c, true
		}
	}
	writeError(w, e)
	return nil, nil, false
}

// token is the token endpoint. Every request, answered or refused, is
// recorded in the audit log after the response is written.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	var (
		info grantInfo
		resp *tokenResponse
		c    *client
	)
	form, e := readForm(w, r, "resource")
	if e == nil {
		c, e = p.authenticateClient(r, form)
	}
	if e == nil {
		allowOrigin(w, r, c)
		switch form.Get("grant_type") {
		case "authorization_code":
			resp, e = p.exchangeCode(r, c, form, &info)
		case "refresh_token":
			resp, e = p.refresh(r, c, form, &info)
		case "client_credentials":
			resp, e = p.clientCredentials(r, c, form)
		case "":
			e = errInvalidRequest("grant_type is required")
		default:
			e = newError(400, "unsupported_grant_type", "grant_type "+form.Get("grant_type")+" is not supported")
		}
	}
	if e != nil {
		writeError(w, e)
	} else {
		writeJSON(w, http.StatusOK, resp)
	}
	p.logToken(r, form, c, &info, resp, e)
}

// singleResource returns the one resource indicator a token request names,
// or "" for none. A token carries a single string audience (as Logto's SDKs
// require), so several resources in one request are refused.
func singleResource(form url.Values) (string, *Error) {
	rs := form["resource"]
	switch {
	case len(rs) == 0:
		return "", nil
	case len(rs) > 1:
		return "", errInvalidTarget("only one resource may be requested per token")
	case !validResourceIndicator(rs[0]):
		return "", errInvalidTarget("resource must be an absolute URI without a fragment")
	}
	return rs[0], nil
}
