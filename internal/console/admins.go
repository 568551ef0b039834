package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Administrators are not Management API objects: these pages call the
// store directly, and the rules they apply are the functions below.

// ErrDeleteSelf refuses an administrator's deletion of their own account:
// another administrator must do it.
var ErrDeleteSelf = errors.New("console: administrators cannot delete their own account")

// CheckDeleteAdministrator reports whether the administrator actorID may
// delete the administrator targetID when count administrators exist:
// ErrDeleteSelf for their own account, store.ErrLastAdministrator for the
// only one left, nil otherwise. (The store refuses the last one again,
// atomically, when it deletes.)
func CheckDeleteAdministrator(actorID, targetID string, count int) error {
	switch {
	case actorID == targetID:
		return ErrDeleteSelf
	case count <= 1:
		return store.ErrLastAdministrator
	}
	return nil
}

// PasswordChange is what a signed-in administrator types to change their
// own password.
type PasswordChange struct {
	Current, New, Confirm string
}

// Form field names of the change-password form.
const (
	fieldCurrentPassword = "currentPassword"
	fieldNewPassword     = "newPassword"
	fieldConfirmPassword = "confirmPassword"
)

// Check checks the change against the administrator's current password
// hash. It returns what is wrong by form field ("currentPassword",
// "newPassword", "confirmPassword"; empty when the change may be made)
// and whether a current password was given that does not verify, a
// failure that the sign-in lockout counts. The current password is
// checked with password.Verify (constant time) whenever one is given,
// whatever else is wrong.
func (p PasswordChange) Check(hash string) (problems map[string]string, wrongCurrent bool) {
	problems = map[string]string{}
	currentOK := false
	if p.Current == "" {
		problems[fieldCurrentPassword] = "Enter your current password."
	} else if len(p.Current) > maxPasswordBytes {
		// Never longer than a password that could have been set; not
		// worth hashing, and still a wrong guess.
		problems[fieldCurrentPassword] = "The current password is wrong."
		wrongCurrent = true
	} else {
		ok, err := password.Verify(p.Current, hash, password.Argon2id)
		if currentOK = ok && err == nil; !currentOK {
			problems[fieldCurrentPassword] = "The current password is wrong."
			wrongCurrent = true
		}
	}
	switch {
	case p.New == "":
		problems[fieldNewPassword] = "Enter a new password."
	case passwordProblem(p.New) != "":
		problems[fieldNewPassword] = passwordProblem(p.New)
	case currentOK && p.New == p.Current:
		problems[fieldNewPassword] = "Choose a password other than the current one."
	}
	if p.New != "" && p.Confirm != p.New {
		problems[fieldConfirmPassword] = "The two new passwords differ."
	}
	return problems, wrongCurrent
}

func (c *Console) adminRoutes(mux *http.ServeMux) {
	mux.Handle("GET /administrators", c.get(c.listAdministrators))
	mux.Handle("GET /administrators/new", c.get(c.newAdministrator))
	mux.Handle("POST /administrators/new", c.post(c.createAdministrator))
	mux.Handle("GET /administrators/{id}/delete", c.get(c.confirmDeleteAdministrator))
	mux.Handle("POST /administrators/{id}/delete", c.post(c.deleteAdministrator))
	mux.Handle("GET /account/password", c.get(c.showPassword))
	mux.Handle("POST /account/password", c.post(c.changePassword))
}

// adminRow is one administrator in the list.
type adminRow struct {
	*store.Administrator
	// Self marks the signed-in administrator; Deletable whether they may
	// delete this one.
	Self, Deletable bool
}

func (c *Console) listAdministrators(w http.ResponseWriter, r *http.Request, s *session) {
	admins, err := c.st.ListAdministrators(r.Context())
	if err != nil {
		c.serverError(w, r, s, err)
		return
	}
	rows := make([]adminRow, len(admins))
	for i, a := range admins {
		rows[i] = adminRow{Administrator: a, Self: a.ID == s.admin.ID,
			Deletable: CheckDeleteAdministrator(s.admin.ID, a.ID, len(admins)) == nil}
	}
	c.render(w, r, s, http.StatusOK, "admins", view{Title: "Administrators", Section: "administrators", Data: rows})
}

func (c *Console) renderNewAdministrator(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "admin_new", view{Title: "Add an administrator", Section: "administrators", Data: f})
}

func (c *Console) newAdministrator(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderNewAdministrator(w, r, s, http.StatusOK, newForm(nil))
}

func (c *Console) createAdministrator(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	admin, err := NewAdministrator(f.Get("username"), f.Get("password"), c.opt.Password)
	var ie *InvalidError
	if errors.As(err, &ie) {
		f.Errors[ie.Field] = ie.Reason
		c.renderNewAdministrator(w, r, s, http.StatusBadRequest, f)
		return
	} else if err != nil {
		c.serverError(w, r, s, err)
		return
	}
	if err := c.st.CreateAdministrator(r.Context(), admin); store.IsConflict(err) {
		f.Errors["username"] = "An administrator with this username exists (usernames ignore case)."
		c.renderNewAdministrator(w, r, s, http.StatusConflict, f)
		return
	} else if err != nil {
		c.serverError(w, r, s, err)
		return
	}
	c.log.Info("a console administrator was added", "username", admin.Username, "by", s.admin.Username)
	c.redirectTo(w, r, "/administrators", "Administrator "+admin.Username+" added.")
}

// deletion finds the administrator of a delete request and checks that
// the signed-in administrator may delete them. It answers the request
// itself and returns nil when not.
func (c *Console) deletion(w http.ResponseWriter, r *http.Request, s *session) *store.Administrator {
	ctx := r.Context()
	target, err := c.st.GetAdministrator(ctx, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(w, r, s)
		return nil
	} else if err != nil {
		c.serverError(w, r, s, err)
		return nil
	}
	n, err := c.st.CountAdministrators(ctx)
	if err != nil {
		c.serverError(w, r, s, err)
		return nil
	}
	if err := CheckDeleteAdministrator(s.admin.ID, target.ID, n); err != nil {
		c.refuseDeletion(w, r, s, err)
		return nil
	}
	return target
}

// refuseDeletion explains why an administrator cannot be deleted.
func (c *Console) refuseDeletion(w http.ResponseWriter, r *http.Request, s *session, err error) {
	switch {
	case errors.Is(err, ErrDeleteSelf):
		c.errorPage(w, r, s, http.StatusConflict, "You cannot delete yourself",
			"Another administrator has to delete your account, so that the console is never left without one who can sign in.")
	case errors.Is(err, store.ErrLastAdministrator):
		c.errorPage(w, r, s, http.StatusConflict, "This is the last administrator",
			"Add another administrator first: without one, no one could sign in to the console.")
	default:
		c.serverError(w, r, s, err)
	}
}

func (c *Console) confirmDeleteAdministrator(w http.ResponseWriter, r *http.Request, s *session) {
	target := c.deletion(w, r, s)
	if target == nil {
		return
	}
	c.confirm(w, r, s, "administrators", "Delete the administrator "+target.Username+"?", confirmation{
		Message: target.Username + " is signed out of every session at once and can no longer sign in to the console. This cannot be undone.",
		Action:  "/administrators/" + url.PathEscape(target.ID) + "/delete", Button: "Delete administrator", Back: "/administrators"})
}

func (c *Console) deleteAdministrator(w http.ResponseWriter, r *http.Request, s *session) {
	target := c.deletion(w, r, s)
	if target == nil {
		return
	}
	err := c.st.DeleteAdministrator(r.Context(), target.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.notFound(w, r, s)
		return
	case err != nil:
		c.refuseDeletion(w, r, s, err)
		return
	}
	c.log.Info("a console administrator was deleted", "username", target.Username, "by", s.admin.Username)
	c.redirectTo(w, r, "/administrators", "Administrator "+target.Username+" deleted and signed out.")
}

func (c *Console) renderPassword(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "password", view{Title: "Change my password", Section: "administrators", Data: f})
}

func (c *Console) showPassword(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderPassword(w, r, s, http.StatusOK, newForm(nil))
}

func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	f := newForm(r.PostForm)
	change := PasswordChange{Current: f.Get(fieldCurrentPassword), New: f.Get(fieldNewPassword), Confirm: f.Get(fieldConfirmPassword)}
	keys := c.lockoutKeys(r, s.admin.Username)
	if wait, blocked, err := c.failures.Blocked(ctx, keys...); err != nil {
		c.serverError(w, r, s, err)
		return
	} else if blocked {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+0.999)))
		f.Alert = fmt.Sprintf("Too many wrong passwords. Try again in %s.", roundUp(wait))
		c.renderPassword(w, r, s, http.StatusTooManyRequests, f)
		return
	}
	problems, wrongCurrent := change.Check(s.admin.PasswordHash)
	if wrongCurrent {
		if err := c.failures.Fail(ctx, keys...); err != nil {
			c.log.Warn("counting a wrong current password failed", "err", err)
		}
	}
	if len(problems) > 0 {
		f.Errors = problems
		status := http.StatusBadRequest
		if wrongCurrent {
			status = http.StatusUnauthorized
		}
		c.renderPassword(w, r, s, status, f)
		return
	}
	if err := c.failures.Reset(ctx, keys[0]); err != nil {
		c.log.Warn("clearing console sign-in failures failed", "err", err)
	}
	hash, err := password.Hash(change.New, c.opt.Password)
	if err != nil {
		c.serverError(w, r, s, err)
		return
	}
	ended, err := c.setPassword(ctx, s, hash)
	if err != nil {
		c.serverError(w, r, s, err)
		return
	}
	c.log.Info("a console administrator changed their password", "username", s.admin.Username, "sessionsEnded", ended)
	notice := "Password changed."
	switch ended {
	case 0:
	case 1:
		notice += " Your one other session was signed out."
	default:
		notice += fmt.Sprintf(" Your %d other sessions were signed out.", ended)
	}
	c.redirectTo(w, r, "/account/password", notice)
}

// setPassword replaces the signed-in administrator's password hash and
// ends every other session of theirs, in one transaction, and returns how
// many sessions it ended.
func (c *Console) setPassword(ctx context.Context, s *session, hash string) (int, error) {
	var ended int
	err := c.st.InTx(ctx, func(tx store.Store) error {
		if err := tx.UpdateAdministratorPassword(ctx, s.admin.ID, hash); err != nil {
			return err
		}
		var err error
		ended, err = tx.DeleteConsoleSessionsOf(ctx, s.admin.ID, s.TokenDigest)
		return err
	})
	return ended, err
}
