package management

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Error is a Management API error: Logto's {"code","message"} body.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// notFound is Logto's entity.not_exists_with_id.
func notFound(entity, id string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "entity.not_exists_with_id",
		Message: fmt.Sprintf("The %s with ID `%s` does not exist.", entity, id)}
}

// invalid reports a bad request field, naming it.
func invalid(field, reason string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "guard.invalid_input",
		Message: fmt.Sprintf("Invalid %s: %s", field, reason), Data: map[string]string{"field": field}}
}

// unprocessable is a request that is well-formed but cannot be done (Logto's 422).
func unprocessable(code, message string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: code, Message: message}
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, store.ErrNotFound):
		e = &Error{Status: http.StatusNotFound, Code: "entity.not_found", Message: "The requested entity does not exist."}
	case errors.Is(err, errBodyTooLarge):
		e = &Error{Status: http.StatusRequestEntityTooLarge, Code: "guard.invalid_input", Message: "The request body is too large."}
	case r.Context().Err() != nil:
		e = &Error{Status: 499, Code: "request.canceled", Message: "The request was canceled."}
	default:
		a.log.Error("management API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Code: "unexpected_error", Message: "An unexpected error occurred."}
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// noContent answers 204, as Logto's deletes do.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleted answers a delete: 204 when err is nil, 404 naming the entity
// when it did not exist, err otherwise.
func deleted(w http.ResponseWriter, err error, entity, id string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(entity, id)
	case err != nil:
		return err
	}
	return noContent(w)
}
