package console

import (
	"net/http"
	"net/url"
)

type keyJSON struct {
	ID                  string `json:"id"`
	CreatedAt           int64  `json:"createdAt"` // seconds, as Logto's
	SigningKeyAlgorithm string `json:"signingKeyAlgorithm"`
	Status              string `json:"status"`
	EffectiveAt         *int64 `json:"effectiveAt"`
}

// CreatedMillis is CreatedAt in milliseconds, for the date format.
func (k keyJSON) CreatedMillis() int64 { return k.CreatedAt * 1000 }

var keyAlgorithms = []option{{"EC", "EC (ES256)"}, {"RSA", "RSA (RS256)"}}

func (c *Console) keyRoutes(mux *http.ServeMux) {
	mux.Handle("GET /signing-keys", c.get(c.listKeys))
	mux.Handle("GET /signing-keys/rotate", c.get(c.confirmRotateKeys))
	mux.Handle("POST /signing-keys/rotate", c.post(c.rotateKeys))
	mux.Handle("GET /signing-keys/{id}/delete", c.get(c.confirmDeleteKey))
	mux.Handle("POST /signing-keys/{id}/delete", c.post(c.deleteKey))
}

func (c *Console) listKeys(w http.ResponseWriter, r *http.Request, s *session) {
	var list []keyJSON
	if _, err := c.call(r, s, http.MethodGet, "/api/configs/oidc/private-keys", nil, &list); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "keys", view{Title: "Signing keys", Section: "keys", Data: struct {
		List       []keyJSON
		Algorithms []option
	}{list, keyAlgorithms}})
}

func (c *Console) confirmRotateKeys(w http.ResponseWriter, r *http.Request, s *session) {
	alg := r.URL.Query().Get("alg")
	if alg != "RSA" {
		alg = "EC"
	}
	c.confirm(w, r, s, "keys", "Rotate the "+alg+" signing key?", confirmation{
		Message: "A new " + alg + " key is published at once and signs tokens 45 seconds later, once every node and client has seen it. " +
			"The current key keeps verifying tokens for 24 hours, then is retired.",
		Action: "/signing-keys/rotate?alg=" + url.QueryEscape(alg), Button: "Rotate key", Back: "/signing-keys"})
}

func (c *Console) rotateKeys(w http.ResponseWriter, r *http.Request, s *session) {
	alg := r.URL.Query().Get("alg")
	if alg != "RSA" {
		alg = "EC"
	}
	if _, err := c.call(r, s, http.MethodPost, "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": alg}, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/signing-keys", "A new "+alg+" key is published; it signs in 45 seconds.")
}

func (c *Console) confirmDeleteKey(w http.ResponseWriter, r *http.Request, s *session) {
	keyID := r.PathValue("id")
	c.confirm(w, r, s, "keys", "Delete the key "+keyID+"?", confirmation{
		Message: "Tokens signed with this key stop verifying at once. This cannot be undone.",
		Action:  r.URL.Path, Button: "Delete key", Back: "/signing-keys"})
}

func (c *Console) deleteKey(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/api/configs/oidc/private-keys/"+url.PathEscape(r.PathValue("id")), nil, nil); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.redirectTo(w, r, "/signing-keys", "Key deleted.")
}
