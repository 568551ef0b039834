package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// signInScope asks for a refresh token (offline_access) and the claims a
// typical web application wants.
const signInScope = "openid offline_access profile"

// maxRedirects bounds one navigation, as browsers do, so a redirect loop
// becomes an error instead of a hung worker.
const maxRedirects = 10

// signer performs complete browserless authorization-code sign-ins.
type signer struct {
	cfg               Config
	authorizeEndpoint string
	base              *http.Client
	tokens            *tokenClient
}

// signInScratch is a worker's reusable memory for sign-ins.
type signInScratch struct {
	form []byte
	body bytes.Buffer
}

// signIn runs one sign-in, from the authorization request to the code
// exchange, and returns the token response.
func (s *signer) signIn(ctx context.Context, scratch *signInScratch) (tokenResponse, error) {
	// A fresh jar per sign-in: no session may carry over, every sign-in
	// pays for the whole interaction.
	jar, err := cookiejar.New(nil)
	if err != nil {
		return tokenResponse{}, err
	}
	browser := *s.base
	browser.Jar = jar
	browser.CheckRedirect = func(*http.Request, []*http.Request) error {
		// Redirects are followed by navigate, which must see each one to
		// stop before the redirect URI.
		return http.ErrUseLastResponse
	}

	state, nonce, verifier := randomToken(), randomToken(), randomToken()
	landed, err := s.navigate(ctx, &browser, http.MethodGet, s.authorizeURL(state, nonce, s256Challenge(verifier)), nil, nil)
	if err != nil {
		return tokenResponse{}, fmt.Errorf("authorization request: %w", err)
	}
	if landed.callback == nil {
		if landed.status != http.StatusOK {
			return tokenResponse{}, fmt.Errorf("authorization request ended at %s with status %d: %s",
				landed.url, landed.status, snippet(landed.page))
		}
		form, ok := parseFirstForm(string(landed.page))
		if !ok {
			return tokenResponse{}, fmt.Errorf("sign-in page %s has no <form>", landed.url)
		}
		page := landed.url
		landed, err = s.submit(ctx, &browser, page, form)
		if err != nil {
			return tokenResponse{}, fmt.Errorf("sign-in form of %s: %w", page, err)
		}
		if landed.callback == nil {
			return tokenResponse{}, fmt.Errorf("sign-in form of %s ended at %s with status %d instead of redirecting to the redirect URI (wrong credentials or field names, or a consent step?)",
				page, landed.url, landed.status)
		}
	}
	code, err := codeFromCallback(landed.callback, state)
	if err != nil {
		return tokenResponse{}, err
	}

	form := appendParam(scratch.form[:0], "grant_type", "authorization_code")
	form = appendParam(form, "code", code)
	form = appendParam(form, "redirect_uri", s.cfg.RedirectURI)
	form = appendParam(form, "code_verifier", verifier)
	form = s.tokens.appendClientParams(form)
	scratch.form = form
	tr, err := s.tokens.exchange(ctx, form, &scratch.body)
	if err != nil {
		return tokenResponse{}, fmt.Errorf("code exchange: %w", err)
	}
	return tr, nil
}

// authorizeURL builds the authorization request.
func (s *signer) authorizeURL(state, nonce, challenge string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {s.cfg.ClientID},
		"redirect_uri":          {s.cfg.RedirectURI},
		"scope":                 {signInScope},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"prompt":                {"login"},
	}
	if s.cfg.Resource != "" {
		// Providers following RFC 8707 strictly (Logto among them) only
		// refresh for a resource that the grant named from the start.
		q.Set("resource", s.cfg.Resource)
	}
	sep := "?"
	if strings.Contains(s.authorizeEndpoint, "?") {
		sep = "&"
	}
	return s.authorizeEndpoint + sep + q.Encode()
}

// submit posts (or gets) the sign-in form as a browser would after the
// user typed the credentials.
func (s *signer) submit(ctx context.Context, browser *http.Client, page *url.URL, form htmlForm) (landing, error) {
	action, err := page.Parse(form.action)
	if err != nil {
		return landing{}, fmt.Errorf("form action %q: %w", form.action, err)
	}
	var values []byte
	for _, f := range form.hidden {
		// The typed fields win over hidden ones of the same name.
		if f.name != s.cfg.IdentifierField && f.name != s.cfg.PasswordField {
			values = appendParam(values, f.name, f.value)
		}
	}
	values = appendParam(values, s.cfg.IdentifierField, s.cfg.Username)
	values = appendParam(values, s.cfg.PasswordField, s.cfg.Password)
	if form.method == http.MethodGet {
		action.RawQuery = string(values)
		return s.navigate(ctx, browser, http.MethodGet, action.String(), nil, page)
	}
	return s.navigate(ctx, browser, http.MethodPost, action.String(), values, page)
}

// landing is where a navigation ended: at the redirect URI, or on a page.
type landing struct {
	// callback is the redirect URI with its parameters, when reached.
	callback *url.URL
	// url, status and page describe the last page otherwise.
	url    *url.URL
	status int
	page   []byte
}

// navigate requests target and follows redirects until a page, or a
// redirect to the redirect URI which it does not follow.
func (s *signer) navigate(ctx context.Context, browser *http.Client, method, target string, body []byte, referer *url.URL) (landing, error) {
	for range maxRedirects + 1 {
		req, err := http.NewRequestWithContext(ctx, method, target, bodyReader(body))
		if err != nil {
			return landing{}, err
		}
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		req.Header.Set("User-Agent", "gatehouse-loadtest")
		if body != nil {
			req.Header["Content-Type"] = formContentType
		}
		if referer != nil {
			// Sign-in pages commonly defend against CSRF by checking where
			// a POST comes from, as well as by a token.
			req.Header.Set("Referer", referer.String())
			req.Header.Set("Origin", referer.Scheme+"://"+referer.Host)
		}
		resp, err := browser.Do(req)
		if err != nil {
			return landing{}, err
		}
		page, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return landing{}, fmt.Errorf("reading %s: %w", req.URL, err)
		}
		location := resp.Header.Get("Location")
		if !isRedirect(resp.StatusCode) || location == "" {
			return landing{url: req.URL, status: resp.StatusCode, page: page}, nil
		}
		next, err := req.URL.Parse(location)
		if err != nil {
			return landing{}, fmt.Errorf("redirect from %s to %q: %w", req.URL, location, err)
		}
		if s.isRedirectURI(location) || s.isRedirectURI(next.String()) {
			return landing{callback: next}, nil
		}
		if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			// 301, 302 and 303 turn into a plain GET, as in browsers.
			method, body = http.MethodGet, nil
		}
		referer = nil
		target = next.String()
	}
	return landing{}, fmt.Errorf("more than %d redirects", maxRedirects)
}

// isRedirectURI reports whether location is the redirect URI, possibly with
// parameters appended.
func (s *signer) isRedirectURI(location string) bool {
	rest, ok := strings.CutPrefix(location, s.cfg.RedirectURI)
	return ok && (rest == "" || rest[0] == '?' || rest[0] == '#' || rest[0] == '&')
}

// codeFromCallback extracts the authorization code from the redirect URI
// the provider sent the browser to, checking it answers our request.
func codeFromCallback(callback *url.URL, state string) (string, error) {
	q := callback.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorization error %s: %s", e, q.Get("error_description"))
	}
	if got := q.Get("state"); got != state {
		return "", fmt.Errorf("redirect URI came back with state %q, sent %q", got, state)
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("redirect URI came back without a code")
	}
	return code, nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// bodyReader avoids handing net/http a typed nil reader, which it would
// take for a body.
func bodyReader(body []byte) io.Reader {
	if body == nil {
		return nil
	}
	return bytes.NewReader(body)
}
