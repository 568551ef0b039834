package console

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// InvalidError names the field of an administrator that is wrong, and why.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,128}$`)

// maxPasswordBytes bounds what is hashed.
const maxPasswordBytes = 1024

// NewAdministrator validates a username and password and returns an
// administrator with the password hashed with Argon2id at params, ready
// for store.CreateAdministrator or CreateFirstAdministrator.
func NewAdministrator(username, pw string, params password.Params) (*store.Administrator, error) {
	username = strings.TrimSpace(username)
	switch {
	case username == "":
		return nil, &InvalidError{"username", "Enter a username."}
	case !usernamePattern.MatchString(username):
		return nil, &InvalidError{"username", "Use up to 128 letters, digits, dots, dashes, underscores or @."}
	}
	if reason := passwordProblem(pw); reason != "" {
		return nil, &InvalidError{"password", reason}
	}
	hash, err := password.Hash(pw, params)
	if err != nil {
		return nil, err
	}
	return &store.Administrator{Username: username, PasswordHash: hash}, nil
}

// passwordProblem says what is wrong with a new administrator password,
// or returns "".
func passwordProblem(pw string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return fmt.Sprintf("Use at least %d characters.", MinPasswordLength)
	case len(pw) > maxPasswordBytes:
		return fmt.Sprintf("Use at most %d bytes.", maxPasswordBytes)
	}
	return ""
}

// lockoutKeys are the sign-in lockout's counters that a password typed
// for username from r counts against: the username's and the address's.
// The first is the username's, which a right password clears.
func (c *Console) lockoutKeys(r *http.Request, username string) []string {
	return []string{"console-username:" + strings.ToLower(username), "console-ip:" + c.opt.ClientIP(r)}
}

// preForm returns the token of the setup and sign-in forms, setting the
// cookie that holds it when there is none yet.
func (c *Console) preForm(w http.ResponseWriter, r *http.Request) string {
	name := c.cookieName(r, preCookieSecure, preCookiePlain)
	if ck, err := r.Cookie(name); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	token := newToken()
	c.setCookie(w, r, name, token, int(time.Hour.Seconds()))
	return token
}

// checkPreForm reads a setup or sign-in post and checks its token
// against the cookie (double submit).
func (c *Console) checkPreForm(w http.ResponseWriter, r *http.Request) bool {
	if !readForm(w, r) {
		c.errorPage(w, r, nil, http.StatusBadRequest, "Request refused", "The form could not be read.")
		return false
	}
	ck, err := r.Cookie(c.cookieName(r, preCookieSecure, preCookiePlain))
	if err != nil || !equalTokens(r.PostForm.Get("csrf"), ck.Value) {
		c.errorPage(w, r, nil, http.StatusForbidden, "Request refused",
			"This form has expired or did not come from the console. Reload the page and try again.")
		return false
	}
	return true
}

func (c *Console) showSetup(w http.ResponseWriter, r *http.Request) {
	exists, err := c.adminExists(r.Context())
	if err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	if exists {
		seeOther(w, r, "/sign-in")
		return
	}
	c.render(w, r, nil, http.StatusOK, "setup", view{Title: "Create the first administrator", CSRF: c.preForm(w, r), Data: newForm(nil)})
}

func (c *Console) submitSetup(w http.ResponseWriter, r *http.Request) {
	exists, err := c.adminExists(r.Context())
	if err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	if exists {
		c.errorPage(w, r, nil, http.StatusForbidden, "Already set up",
			"An administrator exists. Sign in, or ask an administrator to create your account with gatehouse admin create.")
		return
	}
	if !c.checkPreForm(w, r) {
		return
	}
	f := newForm(r.PostForm)
	f.Values["password"] = ""
	again := func(status int) {
		c.render(w, r, nil, status, "setup", view{Title: "Create the first administrator", CSRF: c.preForm(w, r), Data: f})
	}
	admin, err := NewAdministrator(r.PostForm.Get("username"), r.PostForm.Get("password"), c.opt.Password)
	var ie *InvalidError
	if errors.As(err, &ie) {
		f.Errors[ie.Field] = ie.Reason
		again(http.StatusBadRequest)
		return
	} else if err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	err = c.st.CreateFirstAdministrator(r.Context(), admin)
	if errors.Is(err, store.ErrAdministratorExists) {
		c.hasAdmin.Store(true)
		c.errorPage(w, r, nil, http.StatusForbidden, "Already set up", "Another administrator was created first. Sign in with that account.")
		return
	} else if err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	c.hasAdmin.Store(true)
	c.log.Info("the first console administrator was created", "username", admin.Username)
	if err := c.startSession(w, r, admin); err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	seeOther(w, r, "/")
}

func (c *Console) showSignIn(w http.ResponseWriter, r *http.Request) {
	exists, err := c.adminExists(r.Context())
	if err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	if !exists {
		seeOther(w, r, "/setup")
		return
	}
	if s, err := c.currentSession(r); err == nil && s != nil {
		seeOther(w, r, "/")
		return
	}
	f := newForm(nil)
	f.Values["next"] = r.URL.Query().Get("next")
	c.render(w, r, nil, http.StatusOK, "signin", view{Title: "Sign in to Gatehouse", CSRF: c.preForm(w, r), Data: f})
}

// badCredentials is the one answer for an unknown username and a wrong
// password.
const badCredentials = "The username or password is wrong."

func (c *Console) submitSignIn(w http.ResponseWriter, r *http.Request) {
	exists, err := c.adminExists(r.Context())
	if err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	if !exists {
		seeOther(w, r, "/setup")
		return
	}
	if !c.checkPreForm(w, r) {
		return
	}
	ctx := r.Context()
	f := newForm(r.PostForm)
	f.Values["password"] = ""
	again := func(status int) {
		c.render(w, r, nil, status, "signin", view{Title: "Sign in to Gatehouse", CSRF: c.preForm(w, r), Data: f})
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	pw := r.PostForm.Get("password")
	if username == "" {
		f.Errors["username"] = "Enter your username."
	}
	if pw == "" {
		f.Errors["password"] = "Enter your password."
	}
	if len(f.Errors) > 0 {
		again(http.StatusBadRequest)
		return
	}
	keys := c.lockoutKeys(r, username)
	if wait, blocked, err := c.failures.Blocked(ctx, keys...); err != nil {
		c.serverError(w, r, nil, err)
		return
	} else if blocked {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+0.999)))
		f.Alert = fmt.Sprintf("Too many failed sign-ins. Try again in %s.", roundUp(wait))
		again(http.StatusTooManyRequests)
		return
	}
	admin, ok, err := c.verify(r, username, pw)
	if err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	if !ok {
		if err := c.failures.Fail(ctx, keys...); err != nil {
			c.log.Warn("counting a failed console sign-in failed", "err", err)
		}
		f.Alert = badCredentials
		again(http.StatusUnauthorized)
		return
	}
	if err := c.failures.Reset(ctx, keys[0]); err != nil {
		c.log.Warn("clearing console sign-in failures failed", "err", err)
	}
	if err := c.startSession(w, r, admin); err != nil {
		c.serverError(w, r, nil, err)
		return
	}
	seeOther(w, r, safeNext(r.PostForm.Get("next")))
}

// verify checks an administrator's password. An unknown username costs
// the same Argon2id time as a wrong password. A hash made with other cost
// parameters than the server's is replaced.
func (c *Console) verify(r *http.Request, username, pw string) (*store.Administrator, bool, error) {
	admin, err := c.st.GetAdministratorByUsername(r.Context(), username)
	if errors.Is(err, store.ErrNotFound) {
		password.DummyVerify(c.opt.Password)
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	ok, err := password.Verify(pw, admin.PasswordHash, password.Argon2id)
	if err != nil || !ok {
		if err != nil {
			c.log.Warn("an administrator's password hash cannot be checked", "username", admin.Username, "err", err)
		}
		return nil, false, nil
	}
	if password.NeedsUpgrade(password.Argon2id, admin.PasswordHash, c.opt.Password) {
		if h, err := password.Hash(pw, c.opt.Password); err == nil {
			if err := c.st.SetAdministratorSignIn(r.Context(), admin.ID, c.now().UnixMilli(), h); err != nil {
				c.log.Warn("rehashing an administrator's password failed", "err", err)
			}
		}
	}
	return admin, true, nil
}

// safeNext keeps a post-sign-in target on the console: a path, never
// another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

func roundUp(d time.Duration) string {
	if d <= time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds()+0.999))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()+0.999))
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.st.DeleteConsoleSession(r.Context(), s.TokenDigest); err != nil && !errors.Is(err, store.ErrNotFound) {
		c.serverError(w, r, s, err)
		return
	}
	c.setCookie(w, r, c.cookieName(r, cookieSecure, cookiePlain), "", -1)
	seeOther(w, r, "/sign-in")
}
