package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Cookie names. Over HTTPS the __Host- prefix makes the browser refuse the
// cookie unless it is Secure, host-only and for the whole path.
const (
	cookieSecure = "__Host-gatehouse-console"
	cookiePlain  = "gatehouse-console"
	// The pre-session cookie carries the token of the setup and sign-in
	// forms (double submit), before there is a session to hold one.
	preCookieSecure = "__Host-gatehouse-console-form"
	preCookiePlain  = "gatehouse-console-form"
	noticeCookie    = "gatehouse-console-notice"
)

// touchEvery limits how often a session's last-seen time is written.
const touchEvery = time.Minute

// session is a signed-in administrator's session.
type session struct {
	*store.ConsoleSession
	admin *store.Administrator
}

// isHTTPS reports whether the browser reached the console over HTTPS.
func (c *Console) isHTTPS(r *http.Request) bool {
	return r.TLS != nil || (c.opt.TrustProxyHeader && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

func (c *Console) cookieName(r *http.Request, secure, plain string) string {
	if c.isHTTPS(r) {
		return secure
	}
	return plain
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: c.isHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// newToken returns 32 random bytes, base64url-encoded.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func digest(token string) []byte {
	d := sha256.Sum256([]byte(token))
	return d[:]
}

// equalTokens compares two tokens in constant time.
func equalTokens(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// adminExists reports whether any administrator exists, remembering a yes.
func (c *Console) adminExists(ctx context.Context) (bool, error) {
	if c.hasAdmin.Load() {
		return true, nil
	}
	n, err := c.st.CountAdministrators(ctx)
	if err != nil {
		return false, err
	}
	if n > 0 {
		c.hasAdmin.Store(true)
	}
	return n > 0, nil
}

// currentSession returns the request's live session, or nil. An idle
// session is deleted on the way.
func (c *Console) currentSession(r *http.Request) (*session, error) {
	ck, err := r.Cookie(c.cookieName(r, cookieSecure, cookiePlain))
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	ctx := r.Context()
	d := digest(ck.Value)
	now := c.now().UnixMilli()
	cs, err := c.st.GetConsoleSession(ctx, d, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if now-cs.LastSeenAt >= IdleTimeout.Milliseconds() {
		if err := c.st.DeleteConsoleSession(ctx, d); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, nil
	}
	admin, err := c.st.GetAdministrator(ctx, cs.AdministratorID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if now-cs.LastSeenAt >= touchEvery.Milliseconds() {
		if err := c.st.TouchConsoleSession(ctx, d, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		cs.LastSeenAt = now
	}
	return &session{ConsoleSession: cs, admin: admin}, nil
}

// startSession signs admin in: a new session row and its cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, admin *store.Administrator) error {
	ctx := r.Context()
	now := c.now()
	// Sessions that ended since are of no use to anyone: sweep them now,
	// rather than from a timer.
	if _, err := c.st.DeleteConsoleSessionsBefore(ctx, now.UnixMilli(), now.Add(-IdleTimeout).UnixMilli()); err != nil {
		c.log.Warn("deleting ended console sessions failed", "err", err)
	}
	token := newToken()
	cs := &store.ConsoleSession{TokenDigest: digest(token), AdministratorID: admin.ID, CSRFSecret: newToken(),
		CreatedAt: now.UnixMilli(), LastSeenAt: now.UnixMilli(), ExpiresAt: now.Add(AbsoluteTimeout).UnixMilli()}
	if err := c.st.CreateConsoleSession(ctx, cs); err != nil {
		return err
	}
	if err := c.st.SetAdministratorSignIn(ctx, admin.ID, now.UnixMilli(), ""); err != nil {
		c.log.Warn("recording an administrator's sign-in failed", "err", err)
	}
	c.setCookie(w, r, c.cookieName(r, cookieSecure, cookiePlain), token, int(AbsoluteTimeout.Seconds()))
	c.setCookie(w, r, c.cookieName(r, preCookieSecure, preCookiePlain), "", -1)
	return nil
}

// pageHandler is a console page for a signed-in administrator.
type pageHandler func(w http.ResponseWriter, r *http.Request, s *session)

// get serves a page to signed-in administrators; others are sent to
// /setup (no administrator yet) or /sign-in.
func (c *Console) get(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.authenticate(w, r)
		if ok {
			h(w, r, s)
		}
	})
}

// post serves a form post of a signed-in administrator: it must come from
// the console's origin and carry the session's token.
func (c *Console) post(h pageHandler) http.Handler {
	return c.crossOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.authenticate(w, r)
		if !ok {
			return
		}
		if !readForm(w, r) {
			c.errorPage(w, r, s, http.StatusBadRequest, "Request refused", "The form could not be read.")
			return
		}
		if !equalTokens(r.PostForm.Get("csrf"), s.CSRFSecret) {
			c.errorPage(w, r, s, http.StatusForbidden, "Request refused",
				"This form has expired or did not come from the console. Reload the page and try again.")
			return
		}
		h(w, r, s)
	}))
}

// crossOrigin applies the cross-origin check (set up by Routes).
func (c *Console) crossOrigin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.cop == nil {
			h.ServeHTTP(w, r)
			return
		}
		c.cop.Handler(h).ServeHTTP(w, r)
	})
}

// maxFormBytes bounds a form post.
const maxFormBytes = 1 << 20

func readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	return r.ParseForm() == nil
}

// authenticate finds the session or answers with a redirect.
func (c *Console) authenticate(w http.ResponseWriter, r *http.Request) (*session, bool) {
	exists, err := c.adminExists(r.Context())
	if err != nil {
		c.serverError(w, r, nil, err)
		return nil, false
	}
	if !exists {
		seeOther(w, r, "/setup")
		return nil, false
	}
	s, err := c.currentSession(r)
	if err != nil {
		c.serverError(w, r, nil, err)
		return nil, false
	}
	if s == nil {
		to := "/sign-in"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			to += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		seeOther(w, r, to)
		return nil, false
	}
	return s, true
}

// setNotice leaves a one-time message for the next page. It holds only
// a message (and ids), never a secret.
func (c *Console) setNotice(w http.ResponseWriter, r *http.Request, msg string) {
	c.setCookie(w, r, noticeCookie, url.QueryEscape(msg), 60)
}

// takeNotice returns the one-time message and forgets it.
func (c *Console) takeNotice(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(noticeCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.setCookie(w, r, noticeCookie, "", -1)
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	return msg
}
