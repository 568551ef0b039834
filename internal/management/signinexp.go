package management

import (
	"errors"
	"io"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func (a *API) registerSignInExperience() {
	a.handle("GET", "/api/sign-in-exp", "GetSignInExp", 200, "Get the sign-in experience settings", a.getSignInExp)
	a.handle("PATCH", "/api/sign-in-exp", "UpdateSignInExp", 200, "Update the sign-in experience settings", a.updateSignInExp)
}

func (a *API) getSignInExp(w http.ResponseWriter, r *http.Request) error {
	s, err := signinexp.Load(r.Context(), a.store)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) updateSignInExp(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return invalid("body", "could not be read")
	}
	if len(body) > maxBodyBytes {
		return errBodyTooLarge
	}
	var out *signinexp.Settings
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		s, err := signinexp.Load(r.Context(), tx)
		if err != nil {
			return err
		}
		if err := s.Patch(body); err != nil {
			return err
		}
		out = s
		return signinexp.Save(r.Context(), tx, s)
	})
	var ie *signinexp.InvalidError
	if errors.As(err, &ie) {
		return invalid(ie.Field, ie.Reason)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
