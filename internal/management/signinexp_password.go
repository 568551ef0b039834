package management

import (
	"errors"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func (a *API) registerPasswordCheck() {
	a.handle("POST", "/api/sign-in-exp/default/check-password", "CheckPasswordWithDefaultSignInExperience", 200, "Check a password against the password policy", a.checkPassword)
}

// passwordCheckJSON is Logto's answer: {"result": true}, or
// {"result": false, "issues": [...]} with status 400.
type passwordCheckJSON struct {
	Result bool                  `json:"result"`
	Issues []signinexp.Violation `json:"issues,omitempty"`
}

// checkPassword checks a password against the stored sign-in experience's
// password policy and, given a userId, against that user's information.
// It reads only: the password is neither stored nor logged.
func (a *API) checkPassword(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Password *string `json:"password"`
		UserID   *string `json:"userId"`
	}
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if body.Password == nil {
		return invalid("password", "is required")
	}
	if seen["userId"] && body.UserID == nil {
		return invalid("userId", "expected string, got null")
	}
	ctx := r.Context()
	s, err := signinexp.Load(ctx, a.store)
	if err != nil {
		return err
	}
	policy := s.PasswordPolicy
	var info signinexp.UserInfo
	// As in Logto, an empty userId is the same as none.
	if body.UserID != nil && *body.UserID != "" {
		u, err := a.store.GetUser(ctx, *body.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("user", *body.UserID)
		} else if err != nil {
			return err
		}
		info = signinexp.UserInfo{Username: u.Username, Email: u.PrimaryEmail, Phone: u.PrimaryPhone, Name: u.Name}
	} else if policy.Rejects.UserInfo && *body.Password != "" {
		// Logto cannot check user information it was not given.
		return &Error{Status: http.StatusBadRequest, Code: "request.invalid_input",
			Message: "User information data is required to check user information. Give a userId, or turn off the policy's userInfo rejection.",
			Data:    map[string]string{"field": "userId"}}
	}
	if issues := policy.Check(*body.Password, info); len(issues) > 0 {
		writeJSON(w, http.StatusBadRequest, passwordCheckJSON{Result: false, Issues: issues})
		return nil
	}
	writeJSON(w, http.StatusOK, passwordCheckJSON{Result: true})
	return nil
}
