package management

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/users"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

func (a *API) registerUsers() {
	a.handle("GET", "/api/users", "ListUsers", 200, "List users", a.listUsers)
	a.handle("POST", "/api/users", "CreateUser", 200, "Create a user", a.createUser)
	a.handle("GET", "/api/users/{userId}", "GetUser", 200, "Get a user", a.getUser)
	a.handle("PATCH", "/api/users/{userId}", "UpdateUser", 200, "Update a user", a.updateUser)
	a.handle("DELETE", "/api/users/{userId}", "DeleteUser", 204, "Delete a user", a.deleteUser)
	a.handle("GET", "/api/users/{userId}/custom-data", "ListUserCustomData", 200, "Get a user's custom data", a.getUserCustomData)
	a.handle("PATCH", "/api/users/{userId}/custom-data", "UpdateUserCustomData", 200, "Merge into a user's custom data", a.updateUserCustomData)
	a.handle("PATCH", "/api/users/{userId}/profile", "UpdateUserProfile", 200, "Merge into a user's profile", a.updateUserProfile)
	a.handle("PATCH", "/api/users/{userId}/password", "UpdateUserPassword", 200, "Set a user's password", a.updateUserPassword)
	a.handle("POST", "/api/users/{userId}/password/verify", "VerifyUserPassword", 204, "Check a user's password", a.verifyUserPassword)
	a.handle("GET", "/api/users/{userId}/has-password", "GetUserHasPassword", 200, "Tell whether a user has a password", a.getUserHasPassword)
	a.handle("PATCH", "/api/users/{userId}/is-suspended", "UpdateUserIsSuspended", 200, "Suspend or reinstate a user", a.updateUserIsSuspended)
	a.registerUserRoles()
	a.registerUserIdentities()
}

// userByID fetches the user of the path through st, turning a missing one
// into Logto's 404.
func userByID(r *http.Request, st store.Store) (*store.User, error) {
	userID := r.PathValue("userId")
	u, err := st.GetUser(r.Context(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("user", userID)
	}
	return u, err
}

// userError turns the users package's validation errors into 400s and the
// store's unique violations into Logto's 422s.
func userError(err error) error {
	var ie *users.InvalidError
	if errors.As(err, &ie) {
		return invalid(ie.Field, ie.Reason)
	}
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		switch ce.Field {
		case "username":
			return userInUse("username")
		case "primary_email":
			return userInUse("email")
		case "primary_phone":
			return userInUse("phone")
		}
	}
	return err
}

// userInUse is Logto's 422 for an identifier another user holds.
func userInUse(what string) *Error {
	switch what {
	case "username":
		return unprocessable("user.username_already_in_use", "This username is already in use.")
	case "email":
		return unprocessable("user.email_already_in_use", "This email is associated with an existing account.")
	default:
		return unprocessable("user.phone_already_in_use", "This phone number is associated with an existing account.")
	}
}

// checkUserCollisions fails with Logto's 422 when another user than u
// holds one of u's identifiers.
func checkUserCollisions(ctx context.Context, st store.Store, u *store.User) error {
	for _, c := range []struct {
		kind  store.IdentifierKind
		value string
		what  string
	}{{store.ByUsername, u.Username, "username"}, {store.ByEmail, u.PrimaryEmail, "email"}, {store.ByPhone, u.PrimaryPhone, "phone"}} {
		if c.value == "" {
			continue
		}
		other, err := st.FindUserByIdentifier(ctx, c.kind, c.value)
		if err == nil && other.ID != u.ID {
			return userInUse(c.what)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// userFields are the identifier and display fields that create and update
// accept. A nil field is absent, or null when the body carried it.
type userFields struct {
	Username, PrimaryEmail, PrimaryPhone, Name, Avatar *string
}

// apply validates the fields the body carried and sets them on u. On
// create only the avatar may be null; on update null or "" clears a field.
func (f *userFields) apply(seen present, u *store.User, create bool) error {
	set := func(field string, v *string, dst *string, check func(string) (string, error)) error {
		if !seen[field] {
			return nil
		}
		if v == nil {
			if create && field != "avatar" {
				return invalid(field, "expected string, got null")
			}
			*dst = ""
			return nil
		}
		// Logto accepts "" on update, meaning no value.
		if *v == "" && (!create || field == "name" || field == "avatar") {
			*dst = ""
			return nil
		}
		s, err := check(*v)
		if err != nil {
			return userError(err)
		}
		*dst = s
		return nil
	}
	same := func(check func(string) error) func(string) (string, error) {
		return func(s string) (string, error) { return s, check(s) }
	}
	if err := set("username", f.Username, &u.Username, same(users.CheckUsername)); err != nil {
		return err
	}
	if err := set("primaryEmail", f.PrimaryEmail, &u.PrimaryEmail, same(users.CheckEmail)); err != nil {
		return err
	}
	if err := set("primaryPhone", f.PrimaryPhone, &u.PrimaryPhone, users.NormalizePhone); err != nil {
		return err
	}
	if err := set("name", f.Name, &u.Name, func(s string) (string, error) { return s, nil }); err != nil {
		return err
	}
	return set("avatar", f.Avatar, &u.Avatar, same(users.CheckAvatar))
}

// userObject checks that raw is a JSON object (null is not one).
func userObject(field string, raw json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return invalid(field, "expected object")
	}
	return nil
}

// userJSON is a user as GetUser shows it: with ssoIdentities on request.
type userJSON struct {
	users.JSON
	SSOIdentities *[]ssoIdentityJSON `json:"ssoIdentities,omitempty"`
}

// truthy is Logto's reading of a boolean query parameter.
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "y":
		return true
	}
	return false
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	page, _, err := readPage(r, false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	search, err := parseSearch(q, userSearchFields)
	if err != nil {
		return err
	}
	f := store.UserFilter{MatchAll: search.all, CaseSensitive: search.caseSensitive, ExcludeRoleID: q.Get("excludeRoleId")}
	for _, m := range search.matches {
		f.Matches = append(f.Matches, store.UserMatch{Field: store.UserField(m.field), Mode: m.mode, Values: m.values})
	}
	list, total, err := a.store.SearchUsers(r.Context(), f, page)
	if errors.Is(err, store.ErrBadPattern) {
		return searchError(strings.TrimPrefix(err.Error(), "search users: "))
	} else if err != nil {
		return err
	}
	out := make([]users.JSON, 0, len(list))
	for i := range list {
		out = append(out, users.ToJSON(&list[i]))
	}
	return writeList(w, out, total, true)
}

// createUserBody is what CreateUser accepts.
type createUserBody struct {
	Username          *string         `json:"username"`
	PrimaryEmail      *string         `json:"primaryEmail"`
	PrimaryPhone      *string         `json:"primaryPhone"`
	Name              *string         `json:"name"`
	Avatar            *string         `json:"avatar"`
	Password          *string         `json:"password"`
	PasswordDigest    *string         `json:"passwordDigest"`
	PasswordAlgorithm *string         `json:"passwordAlgorithm"`
	CustomData        json.RawMessage `json:"customData"`
	Profile           json.RawMessage `json:"profile"`
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var body createUserBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	now := a.now().UnixMilli()
	u := &store.User{ID: id.New(id.UserLength), CreatedAt: now, UpdatedAt: now}
	f := userFields{body.Username, body.PrimaryEmail, body.PrimaryPhone, body.Name, body.Avatar}
	if err := f.apply(seen, u, true); err != nil {
		return err
	}
	for _, p := range []struct {
		field string
		v     *string
	}{{"password", body.Password}, {"passwordDigest", body.PasswordDigest}, {"passwordAlgorithm", body.PasswordAlgorithm}} {
		if seen[p.field] && p.v == nil {
			return invalid(p.field, "expected string, got null")
		}
	}
	if seen["customData"] {
		if err := userObject("customData", body.CustomData); err != nil {
			return err
		}
		u.CustomData = body.CustomData
	}
	if seen["profile"] {
		if u.Profile, err = users.NormalizeProfile(body.Profile); err != nil {
			return userError(err)
		}
	}
	pw, digest, alg := deref(body.Password), deref(body.PasswordDigest), deref(body.PasswordAlgorithm)
	if alg != "" && alg != "Legacy" && !slices.Contains(users.Algorithms, alg) {
		return invalid("passwordAlgorithm", "expected one of "+strings.Join(users.Algorithms, ", ")+", Legacy")
	}
	if seen["password"] && pw == "" {
		return invalid("password", "must not be empty")
	}
	switch {
	case pw != "" && digest != "":
		return &Error{Status: http.StatusBadRequest, Code: "user.password_and_digest", Message: "You cannot set both password and password digest."}
	case digest != "":
		if alg == "" {
			return &Error{Status: http.StatusBadRequest, Code: "user.password_algorithm_required", Message: "Password algorithm is required when a password digest is given."}
		}
		if err := users.CheckDigest(alg, digest); err != nil {
			return userError(err)
		}
		u.PasswordDigest, u.PasswordAlgorithm = digest, alg
	case pw != "":
		h, err := password.Hash(pw, a.pw)
		if err != nil {
			return err
		}
		u.PasswordDigest, u.PasswordAlgorithm = h, password.Argon2id
	}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		if err := checkUserCollisions(r.Context(), tx, u); err != nil {
			return err
		}
		if err := tx.CreateUser(r.Context(), u); err != nil {
			return userError(err)
		}
		if err := users.AssignDefaultRoles(r.Context(), tx, u.ID); err != nil {
			return err
		}
		return a.emit(r, tx, webhook.UserCreated, http.StatusOK, users.ToJSON(u))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, users.ToJSON(u))
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := userByID(r, a.store)
	if err != nil {
		return err
	}
	j := userJSON{JSON: users.ToJSON(u)}
	if truthy(r.URL.Query().Get("includeSsoIdentities")) {
		list, err := ssoIdentitiesOf(r, a.store, u.ID)
		if err != nil {
			return err
		}
		j.SSOIdentities = &list
	}
	// includePasswordHash is not honoured: password digests never leave
	// the server.
	writeJSON(w, http.StatusOK, j)
	return nil
}

// updateUserBody is what UpdateUser accepts. customData and profile
// replace the stored objects, as in Logto.
type updateUserBody struct {
	Username     *string         `json:"username"`
	PrimaryEmail *string         `json:"primaryEmail"`
	PrimaryPhone *string         `json:"primaryPhone"`
	Name         *string         `json:"name"`
	Avatar       *string         `json:"avatar"`
	CustomData   json.RawMessage `json:"customData"`
	Profile      json.RawMessage `json:"profile"`
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var body updateUserBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	var profile json.RawMessage
	if seen["customData"] {
		if err := userObject("customData", body.CustomData); err != nil {
			return err
		}
	}
	if seen["profile"] {
		if profile, err = users.NormalizeProfile(body.Profile); err != nil {
			return userError(err)
		}
	}
	var result *store.User
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		u, err := userByID(r, tx)
		if err != nil {
			return err
		}
		f := userFields{body.Username, body.PrimaryEmail, body.PrimaryPhone, body.Name, body.Avatar}
		if err := f.apply(seen, u, false); err != nil {
			return err
		}
		if seen["customData"] {
			u.CustomData = body.CustomData
		}
		if seen["profile"] {
			u.Profile = profile
		}
		if err := checkUserCollisions(r.Context(), tx, u); err != nil {
			return err
		}
		u.UpdatedAt = a.now().UnixMilli()
		result = u
		if err := tx.UpdateUser(r.Context(), u); err != nil {
			return userError(err)
		}
		return a.emit(r, tx, webhook.UserDataUpdated, http.StatusOK, users.ToJSON(u))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, users.ToJSON(result))
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		u, err := userByID(r, tx)
		if err != nil {
			return err
		}
		// A deleted user's sessions and tokens go with them.
		if _, err := tx.RevokeUserObjects(r.Context(), u.ID); err != nil {
			return err
		}
		if err := tx.DeleteUser(r.Context(), u.ID); err != nil {
			return err
		}
		return a.emit(r, tx, webhook.UserDeleted, http.StatusNoContent, users.ToJSON(u))
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) getUserCustomData(w http.ResponseWriter, r *http.Request) error {
	u, err := userByID(r, a.store)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, users.ToJSON(u).CustomData)
	return nil
}

// patchUser runs change on the user of the path in one transaction,
// stamping UpdatedAt, and returns the stored user. The webhook events
// named are enqueued in the same transaction, with the stored user.
func (a *API) patchUser(r *http.Request, change func(tx store.Store, u *store.User) error, events ...string) (*store.User, error) {
	var result *store.User
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		u, err := userByID(r, tx)
		if err != nil {
			return err
		}
		if err := change(tx, u); err != nil {
			return err
		}
		u.UpdatedAt = a.now().UnixMilli()
		result = u
		if err := tx.UpdateUser(r.Context(), u); err != nil {
			return userError(err)
		}
		for _, ev := range events {
			if err := a.emit(r, tx, ev, http.StatusOK, users.ToJSON(u)); err != nil {
				return err
			}
		}
		return nil
	})
	return result, err
}

func (a *API) updateUserCustomData(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		CustomData json.RawMessage `json:"customData"`
	}
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if !seen["customData"] {
		return invalid("customData", "is required")
	}
	if err := userObject("customData", body.CustomData); err != nil {
		return err
	}
	u, err := a.patchUser(r, func(_ store.Store, u *store.User) error {
		u.CustomData = users.MergeObjects(u.CustomData, body.CustomData)
		return nil
	}, webhook.UserDataUpdated)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u.CustomData)
	return nil
}

func (a *API) updateUserProfile(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Profile json.RawMessage `json:"profile"`
	}
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if !seen["profile"] {
		return invalid("profile", "is required")
	}
	profile, err := users.NormalizeProfile(body.Profile)
	if err != nil {
		return userError(err)
	}
	u, err := a.patchUser(r, func(_ store.Store, u *store.User) error {
		u.Profile = users.MergeObjects(u.Profile, profile)
		return nil
	}, webhook.UserDataUpdated)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, users.ToJSON(u).Profile)
	return nil
}

// passwordBody is the body of the password routes.
type passwordBody struct {
	Password *string `json:"password"`
}

func readPassword(r *http.Request) (string, error) {
	var body passwordBody
	if _, err := decodeBody(r, &body); err != nil {
		return "", err
	}
	if body.Password == nil {
		return "", invalid("password", "is required")
	}
	if *body.Password == "" {
		return "", invalid("password", "must not be empty")
	}
	return *body.Password, nil
}

func (a *API) updateUserPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := readPassword(r)
	if err != nil {
		return err
	}
	if _, err := userByID(r, a.store); err != nil {
		return err // before spending the hashing time
	}
	h, err := password.Hash(pw, a.pw)
	if err != nil {
		return err
	}
	u, err := a.patchUser(r, func(_ store.Store, u *store.User) error {
		u.PasswordDigest, u.PasswordAlgorithm = h, password.Argon2id
		return nil
	}, webhook.UserDataUpdated)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, users.ToJSON(u))
	return nil
}

var errInvalidCredentials = unprocessable("session.invalid_credentials", "Wrong account or password.")

func (a *API) verifyUserPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := readPassword(r)
	if err != nil {
		return err
	}
	u, err := userByID(r, a.store)
	if err != nil {
		return err
	}
	// A user without a password fails like a wrong password, as in Logto.
	if u.PasswordDigest == "" {
		return errInvalidCredentials
	}
	ok, err := password.Verify(pw, u.PasswordDigest, u.PasswordAlgorithm)
	if err != nil {
		a.log.Warn("stored password digest cannot be checked", "user_id", u.ID, "algorithm", u.PasswordAlgorithm, "err", err)
		return errInvalidCredentials
	}
	if !ok {
		return errInvalidCredentials
	}
	// Like a sign-in, a successful check moves an imported or outdated
	// digest to Argon2id with the current parameters.
	if password.NeedsUpgrade(u.PasswordAlgorithm, u.PasswordDigest, a.pw) {
		if h, err := password.Hash(pw, a.pw); err == nil {
			old := u.PasswordDigest
			_, err := a.patchUser(r, func(_ store.Store, cur *store.User) error {
				if cur.PasswordDigest == old { // unless it changed meanwhile
					cur.PasswordDigest, cur.PasswordAlgorithm = h, password.Argon2id
				}
				return nil
			})
			if err != nil {
				a.log.Warn("upgrading a password digest failed", "user_id", u.ID, "err", err)
			}
		}
	}
	return noContent(w)
}

func (a *API) getUserHasPassword(w http.ResponseWriter, r *http.Request) error {
	u, err := userByID(r, a.store)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"hasPassword": u.PasswordDigest != ""})
	return nil
}

func (a *API) updateUserIsSuspended(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		IsSuspended *bool `json:"isSuspended"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.IsSuspended == nil {
		return invalid("isSuspended", "is required")
	}
	u, err := a.patchUser(r, func(tx store.Store, u *store.User) error {
		u.IsSuspended = *body.IsSuspended
		if u.IsSuspended {
			// Suspension signs the user out everywhere: sessions, codes
			// and refresh tokens go at once.
			_, err := tx.RevokeUserObjects(r.Context(), u.ID)
			return err
		}
		return nil
	}, webhook.UserSuspensionStatusUpdated)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, users.ToJSON(u))
	return nil
}
