package console

import (
	"errors"
	"net/http"
)

// confirmation is a confirmation page for a destructive action: a POST
// form to Action, and a way Back.
type confirmation struct {
	Message, Action, Button, Back string
}

func (c *Console) confirm(w http.ResponseWriter, r *http.Request, s *session, section, title string, conf confirmation) {
	c.render(w, r, s, http.StatusOK, "confirm", view{Title: title, Section: section, Data: conf})
}

// fail shows why an API call for a page failed: the API's 404 as the
// console's, its other refusals as a message, anything else as a server
// error.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		c.notFound(w, r, s)
	case errors.As(err, &ae) && ae.Status < 500:
		c.errorPage(w, r, s, ae.Status, "Request refused", ae.Message)
	default:
		c.serverError(w, r, s, err)
	}
}

// failForm re-renders a form with the API's error next to its field, or
// shows a server error.
func (c *Console) failForm(w http.ResponseWriter, r *http.Request, s *session, err error, f *form, fields fieldMap, render func(status int)) {
	if !f.apply(err, fields) {
		c.fail(w, r, s, err)
		return
	}
	status := http.StatusBadRequest
	var ae *apiError
	if errors.As(err, &ae) {
		status = ae.Status
	}
	render(status)
}
