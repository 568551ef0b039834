package management

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/users"
)

// A user's social identities are the identities object of the user,
// keyed by connector target: {"github": {"userId": "...", "details": {...}}}.

func (a *API) registerUserIdentities() {
	a.handle("GET", "/api/users/{userId}/all-identities", "ListUserAllIdentities", 200, "List a user's social and SSO identities", a.listUserAllIdentities)
	a.handle("GET", "/api/users/{userId}/identities/{target}", "GetUserIdentity", 200, "Get a user's social identity", a.getUserIdentity)
	a.handle("PUT", "/api/users/{userId}/identities/{target}", "ReplaceUserIdentity", 200, "Set a user's social identity", a.replaceUserIdentity)
	a.handle("DELETE", "/api/users/{userId}/identities/{target}", "DeleteUserIdentity", 200, "Remove a user's social identity", a.deleteUserIdentity)
}

// identitiesOf decodes a user's identities, keeping each as stored.
func identitiesOf(u *store.User) map[string]json.RawMessage {
	ids := map[string]json.RawMessage{}
	json.Unmarshal(users.ToJSON(u).Identities, &ids)
	return ids
}

func identityNotFound(target string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "user.identity_not_exist",
		Message: "The user has no social identity for `" + target + "`."}
}

func (a *API) listUserAllIdentities(w http.ResponseWriter, r *http.Request) error {
	u, err := userByID(r, a.store)
	if err != nil {
		return err
	}
	type social struct {
		Identity json.RawMessage `json:"identity"`
		Target   string          `json:"target"`
	}
	type sso struct {
		Identity ssoIdentityJSON `json:"ssoIdentity"`
	}
	ids := identitiesOf(u)
	out := struct {
		Social []social `json:"socialIdentities"`
		SSO    []sso    `json:"ssoIdentities"`
	}{Social: []social{}, SSO: []sso{}}
	for _, target := range slices.Sorted(maps.Keys(ids)) {
		out.Social = append(out.Social, social{Identity: ids[target], Target: target})
	}
	list, err := ssoIdentitiesOf(r, a.store, u.ID)
	if err != nil {
		return err
	}
	for _, i := range list {
		out.SSO = append(out.SSO, sso{Identity: i})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ssoIdentityJSON is an enterprise SSO identity in Logto's shape.
type ssoIdentityJSON struct {
	TenantID       string          `json:"tenantId"`
	ID             string          `json:"id"`
	UserID         string          `json:"userId"`
	Issuer         string          `json:"issuer"`
	IdentityID     string          `json:"identityId"`
	Detail         json.RawMessage `json:"detail"`
	CreatedAt      int64           `json:"createdAt"`
	UpdatedAt      int64           `json:"updatedAt"`
	SSOConnectorID string          `json:"ssoConnectorId"`
}

// ssoIdentitiesOf lists a user's enterprise SSO identities.
func ssoIdentitiesOf(r *http.Request, st store.Store, userID string) ([]ssoIdentityJSON, error) {
	list, err := st.ListUserSSOIdentities(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	out := make([]ssoIdentityJSON, 0, len(list))
	for _, i := range list {
		detail := i.Detail
		if len(detail) == 0 {
			detail = json.RawMessage("{}")
		}
		out = append(out, ssoIdentityJSON{TenantID: "default", ID: i.ID, UserID: i.UserID, Issuer: i.Issuer, IdentityID: i.IdentityID,
			Detail: detail, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, SSOConnectorID: i.SSOConnectorID})
	}
	return out, nil
}

func (a *API) getUserIdentity(w http.ResponseWriter, r *http.Request) error {
	u, err := userByID(r, a.store)
	if err != nil {
		return err
	}
	target := r.PathValue("target")
	identity, ok := identitiesOf(u)[target]
	if !ok {
		return identityNotFound(target)
	}
	// Gatehouse stores no social token sets, so there is never a tokenSecret.
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"identity": identity})
	return nil
}

func (a *API) replaceUserIdentity(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		UserID  *string         `json:"userId"`
		Details json.RawMessage `json:"details"`
	}
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if body.UserID == nil {
		return invalid("userId", "is required")
	}
	identity := struct {
		UserID  string          `json:"userId"`
		Details json.RawMessage `json:"details,omitempty"`
	}{UserID: *body.UserID}
	if seen["details"] {
		if err := userObject("details", body.Details); err != nil {
			return err
		}
		identity.Details = body.Details
	}
	target := r.PathValue("target")
	created := false
	u, err := a.patchUser(r, func(tx store.Store, u *store.User) error {
		holders, err := tx.FindUsersByIdentity(r.Context(), target, identity.UserID)
		if err != nil {
			return err
		}
		for _, h := range holders {
			if h.ID != u.ID {
				return unprocessable("user.identity_already_in_use", "The social identity is linked to another user.")
			}
		}
		ids := identitiesOf(u)
		_, exists := ids[target]
		created = !exists
		ids[target], _ = json.Marshal(identity)
		u.Identities, _ = json.Marshal(ids)
		return nil
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, users.ToJSON(u).Identities)
	return nil
}

func (a *API) deleteUserIdentity(w http.ResponseWriter, r *http.Request) error {
	target := r.PathValue("target")
	u, err := a.patchUser(r, func(_ store.Store, u *store.User) error {
		ids := identitiesOf(u)
		if _, ok := ids[target]; !ok {
			return identityNotFound(target)
		}
		delete(ids, target)
		u.Identities, _ = json.Marshal(ids)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, users.ToJSON(u))
	return nil
}
