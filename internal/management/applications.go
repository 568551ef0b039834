package management

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func (a *API) registerApplications() {
	a.handle("GET", "/api/applications", "ListApplications", 200, "List applications", a.listApplications)
	a.handle("POST", "/api/applications", "CreateApplication", 200, "Create an application", a.createApplication)
	a.handle("GET", "/api/applications/{id}", "GetApplication", 200, "Get an application", a.getApplication)
	a.handle("PATCH", "/api/applications/{id}", "UpdateApplication", 200, "Update an application", a.updateApplication)
	a.handle("DELETE", "/api/applications/{id}", "DeleteApplication", 204, "Delete an application", a.deleteApplication)
	a.handle("PATCH", "/api/applications/{applicationId}/custom-data", "UpdateApplicationCustomData", 200, "Merge into an application's custom data", a.updateApplicationCustomData)
	a.handle("DELETE", "/api/applications/{id}/legacy-secret", "DeleteApplicationLegacySecret", 200, "Delete the application's legacy secret", a.deleteLegacySecret)
	a.handle("GET", "/api/applications/{id}/secrets", "ListApplicationSecrets", 200, "List an application's secrets", a.listApplicationSecrets)
	a.handle("POST", "/api/applications/{id}/secrets", "CreateApplicationSecret", 201, "Add a secret to an application", a.createApplicationSecret)
	a.handle("DELETE", "/api/applications/{id}/secrets/{name}", "DeleteApplicationSecret", 204, "Delete a secret", a.deleteApplicationSecret)
	a.handle("PATCH", "/api/applications/{id}/secrets/{name}", "UpdateApplicationSecret", 200, "Rename a secret", a.updateApplicationSecret)
	a.handle("GET", "/api/applications/{applicationId}/roles", "ListApplicationRoles", 200, "List an M2M application's roles", a.listApplicationRoles)
	a.handle("POST", "/api/applications/{applicationId}/roles", "AssignApplicationRoles", 201, "Assign roles to an M2M application", a.assignApplicationRoles)
	a.handle("PUT", "/api/applications/{applicationId}/roles", "ReplaceApplicationRoles", 200, "Replace an M2M application's roles", a.replaceApplicationRoles)
	a.handle("DELETE", "/api/applications/{applicationId}/roles/{roleId}", "DeleteApplicationRole", 204, "Remove a role from an M2M application", a.deleteApplicationRole)
}

// application fetches the application named by the path parameter param.
func (a *API) application(r *http.Request, param string) (*store.Application, error) {
	appID := r.PathValue(param)
	app, err := a.store.GetApplication(r.Context(), appID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("application", appID)
	}
	return app, err
}

// applicationJSON renders app with its default secret, as Logto shows the
// application secret.
func (a *API) applicationJSON(r *http.Request, app *store.Application) (apps.JSON, error) {
	secret := ""
	if app.Type.Confidential() {
		secrets, err := a.store.ListApplicationSecrets(r.Context(), app.ID)
		if err != nil {
			return apps.JSON{}, err
		}
		for _, s := range secrets {
			if s.Name == apps.DefaultSecretName {
				plain, err := a.sealer.Open(s.Sealed)
				if err != nil {
					return apps.JSON{}, err
				}
				secret = string(plain)
			}
		}
	}
	return apps.ToJSON(app, secret), nil
}

func (a *API) listApplications(w http.ResponseWriter, r *http.Request) error {
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ApplicationFilter{Search: searchTerm(r), ExcludeRoleID: q.Get("excludeRoleId")}
	for _, v := range q["types"] {
		for _, t := range strings.Split(v, ",") {
			typ := store.ApplicationType(strings.TrimSpace(t))
			if !typ.Valid() && typ != "Protected" && typ != "SAML" {
				return invalid("types", "unknown application type "+string(typ))
			}
			f.Types = append(f.Types, typ)
		}
	}
	if v := q.Get("isThirdParty"); v != "" {
		b := v == "true"
		if !b && v != "false" {
			return invalid("isThirdParty", "expected true or false")
		}
		f.IsThirdParty = &b
	}
	list, total, err := a.store.ListApplications(r.Context(), f, page)
	if err != nil {
		return err
	}
	out, err := a.applicationsJSON(r, list)
	if err != nil {
		return err
	}
	return writeList(w, out, total, paged)
}

// applicationsJSON renders a list of applications.
func (a *API) applicationsJSON(r *http.Request, list []store.Application) ([]apps.JSON, error) {
	out := make([]apps.JSON, 0, len(list))
	for i := range list {
		j, err := a.applicationJSON(r, &list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// searchTerm reads Logto's search parameters: "search", or any
// "search.<field>", as a case-insensitive substring (% wildcards dropped).
func searchTerm(r *http.Request) string {
	q := r.URL.Query()
	term := q.Get("search")
	if term == "" {
		for k, v := range q {
			if strings.HasPrefix(k, "search.") && len(v) > 0 {
				term = v[0]
				break
			}
		}
	}
	return strings.Trim(term, "%")
}

// applicationBody is what create and update accept.
type applicationBody struct {
	Name                 *string         `json:"name"`
	Description          *string         `json:"description"`
	Type                 *string         `json:"type"`
	OIDCClientMetadata   json.RawMessage `json:"oidcClientMetadata"`
	CustomClientMetadata json.RawMessage `json:"customClientMetadata"`
	CustomData           json.RawMessage `json:"customData"`
	IsThirdParty         *bool           `json:"isThirdParty"`
	ProtectedAppMetadata json.RawMessage `json:"protectedAppMetadata"`
}

func (a *API) createApplication(w http.ResponseWriter, r *http.Request) error {
	var body applicationBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return invalid("name", "is required")
	}
	if body.Type == nil {
		return invalid("type", "is required")
	}
	if *body.Type == "Protected" || *body.Type == "SAML" {
		return unprocessable("application.type_not_supported", "Applications of type "+*body.Type+" are not supported by Gatehouse yet.")
	}
	in := apps.Input{Name: *body.Name, Type: store.ApplicationType(*body.Type)}
	if body.Description != nil {
		in.Description = *body.Description
	}
	if body.IsThirdParty != nil {
		in.IsThirdParty = *body.IsThirdParty
	}
	if len(body.OIDCClientMetadata) > 0 && string(body.OIDCClientMetadata) != "null" {
		var md store.OIDCClientMetadata
		if err := json.Unmarshal(body.OIDCClientMetadata, &md); err != nil {
			return fieldError("oidcClientMetadata", err)
		}
		in.OIDCClientMetadata = &md
	}
	if len(body.CustomClientMetadata) > 0 && string(body.CustomClientMetadata) != "null" {
		var md store.CustomClientMetadata
		if err := json.Unmarshal(body.CustomClientMetadata, &md); err != nil {
			return fieldError("customClientMetadata", err)
		}
		in.CustomClientMetadata = &md
	}
	cd, err := jsonObject("customData", body.CustomData)
	if err != nil {
		return err
	}
	in.CustomData = cd
	created, err := apps.Create(r.Context(), a.store, a.sealer, in)
	if err != nil {
		return appError(err)
	}
	writeJSON(w, http.StatusOK, apps.ToJSON(created.App, created.Secret))
	return nil
}

func appError(err error) error {
	var ie *apps.InvalidError
	if errors.As(err, &ie) {
		return invalid(ie.Field, ie.Reason)
	}
	return err
}

func (a *API) getApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := a.application(r, "id")
	if err != nil {
		return err
	}
	j, err := a.applicationJSON(r, app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		apps.JSON
		IsAdmin bool `json:"isAdmin"`
	}{j, false})
	return nil
}

// mergeJSON overlays the top-level keys of patch onto base (both objects),
// as Logto merges JSON columns on PATCH.
func mergeJSON(field string, base any, patch json.RawMessage, dst any) error {
	var merged map[string]json.RawMessage
	cur, _ := json.Marshal(base)
	json.Unmarshal(cur, &merged)
	if merged == nil {
		merged = map[string]json.RawMessage{}
	}
	var over map[string]json.RawMessage
	if err := json.Unmarshal(patch, &over); err != nil {
		return invalid(field, "expected object")
	}
	for k, v := range over {
		merged[k] = v
	}
	out, _ := json.Marshal(merged)
	if err := json.Unmarshal(out, dst); err != nil {
		return fieldError(field, err)
	}
	return nil
}

func (a *API) updateApplication(w http.ResponseWriter, r *http.Request) error {
	var body applicationBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	var result *store.Application
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		app, err := tx.GetApplication(r.Context(), r.PathValue("id"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("application", r.PathValue("id"))
		} else if err != nil {
			return err
		}
		if body.Name != nil {
			app.Name = strings.TrimSpace(*body.Name)
		}
		if body.Description != nil {
			app.Description = *body.Description
		}
		if body.Type != nil && store.ApplicationType(*body.Type) != app.Type {
			return invalid("type", "the type of an application cannot change")
		}
		if body.IsThirdParty != nil {
			app.IsThirdParty = *body.IsThirdParty
		}
		if len(body.OIDCClientMetadata) > 0 && string(body.OIDCClientMetadata) != "null" {
			var md store.OIDCClientMetadata
			if err := mergeJSON("oidcClientMetadata", app.OIDCClientMetadata, body.OIDCClientMetadata, &md); err != nil {
				return err
			}
			app.OIDCClientMetadata = md
		}
		if len(body.CustomClientMetadata) > 0 && string(body.CustomClientMetadata) != "null" {
			var md store.CustomClientMetadata
			if err := mergeJSON("customClientMetadata", app.CustomClientMetadata, body.CustomClientMetadata, &md); err != nil {
				return err
			}
			app.CustomClientMetadata = md
		}
		if len(body.CustomData) > 0 && string(body.CustomData) != "null" {
			if _, err := jsonObject("customData", body.CustomData); err != nil {
				return err
			}
			var cd map[string]any
			if err := mergeJSON("customData", objectOf(app.CustomData), body.CustomData, &cd); err != nil {
				return err
			}
			app.CustomData, _ = json.Marshal(cd)
		}
		if err := apps.Validate(app); err != nil {
			return appError(err)
		}
		result = app
		return tx.UpdateApplication(r.Context(), app)
	})
	if err != nil {
		return err
	}
	j, err := a.applicationJSON(r, result)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func objectOf(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	json.Unmarshal(raw, &m)
	return m
}

func (a *API) deleteApplication(w http.ResponseWriter, r *http.Request) error {
	appID := r.PathValue("id")
	return deleted(w, a.store.DeleteApplication(r.Context(), appID), "application", appID)
}

func (a *API) updateApplicationCustomData(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		CustomData json.RawMessage `json:"customData"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if len(body.CustomData) == 0 {
		return invalid("customData", "is required")
	}
	if _, err := jsonObject("customData", body.CustomData); err != nil {
		return err
	}
	var out json.RawMessage
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		appID := r.PathValue("applicationId")
		app, err := tx.GetApplication(r.Context(), appID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("application", appID)
		} else if err != nil {
			return err
		}
		var cd map[string]any
		if err := mergeJSON("customData", objectOf(app.CustomData), body.CustomData, &cd); err != nil {
			return err
		}
		app.CustomData, _ = json.Marshal(cd)
		out = app.CustomData
		return tx.UpdateApplication(r.Context(), app)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// secretJSON is Logto's ApplicationSecret.
type secretJSON struct {
	TenantID      string `json:"tenantId"`
	ApplicationID string `json:"applicationId"`
	Name          string `json:"name"`
	Value         string `json:"value"`
	CreatedAt     int64  `json:"createdAt"`
	ExpiresAt     *int64 `json:"expiresAt"`
}

func (a *API) toSecretJSON(s *store.ApplicationSecret) (secretJSON, error) {
	plain, err := a.sealer.Open(s.Sealed)
	if err != nil {
		return secretJSON{}, err
	}
	j := secretJSON{TenantID: tenantID, ApplicationID: s.ApplicationID, Name: s.Name, Value: string(plain), CreatedAt: s.CreatedAt}
	if s.ExpiresAt != 0 {
		j.ExpiresAt = &s.ExpiresAt
	}
	return j, nil
}

func (a *API) listApplicationSecrets(w http.ResponseWriter, r *http.Request) error {
	app, err := a.application(r, "id")
	if err != nil {
		return err
	}
	secrets, err := a.store.ListApplicationSecrets(r.Context(), app.ID)
	if err != nil {
		return err
	}
	out := make([]secretJSON, 0, len(secrets))
	for i := range secrets {
		j, err := a.toSecretJSON(&secrets[i])
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createApplicationSecret(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name      *string `json:"name"`
		ExpiresAt *int64  `json:"expiresAt"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Name == nil || strings.TrimSpace(*body.Name) == "" {
		return invalid("name", "is required")
	}
	var expires int64
	if body.ExpiresAt != nil {
		if *body.ExpiresAt <= a.now().UnixMilli() {
			return invalid("expiresAt", "must be in the future")
		}
		expires = *body.ExpiresAt
	}
	app, err := a.application(r, "id")
	if err != nil {
		return err
	}
	if !app.Type.Confidential() {
		return unprocessable("application.secret_not_allowed", "Only Traditional and MachineToMachine applications have secrets.")
	}
	value := id.Secret(apps.SecretLength)
	if err := apps.AddSecret(r.Context(), a.store, a.sealer, app.ID, strings.TrimSpace(*body.Name), value, expires); store.IsConflict(err) {
		return unprocessable("application.secret_name_exists", "A secret with this name already exists.")
	} else if err != nil {
		return err
	}
	now := a.now().UnixMilli()
	j := secretJSON{TenantID: tenantID, ApplicationID: app.ID, Name: strings.TrimSpace(*body.Name), Value: value, CreatedAt: now}
	if expires != 0 {
		j.ExpiresAt = &expires
	}
	writeJSON(w, http.StatusCreated, j)
	return nil
}

func (a *API) deleteApplicationSecret(w http.ResponseWriter, r *http.Request) error {
	app, err := a.application(r, "id")
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	return deleted(w, a.store.DeleteApplicationSecret(r.Context(), app.ID, name), "application secret", name)
}

func (a *API) updateApplicationSecret(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name *string `json:"name"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Name == nil || strings.TrimSpace(*body.Name) == "" {
		return invalid("name", "is required")
	}
	app, err := a.application(r, "id")
	if err != nil {
		return err
	}
	name, newName := r.PathValue("name"), strings.TrimSpace(*body.Name)
	switch err := a.store.RenameApplicationSecret(r.Context(), app.ID, name, newName); {
	case errors.Is(err, store.ErrNotFound):
		return notFound("application secret", name)
	case store.IsConflict(err):
		return unprocessable("application.secret_name_exists", "A secret with this name already exists.")
	case err != nil:
		return err
	}
	secrets, err := a.store.ListApplicationSecrets(r.Context(), app.ID)
	if err != nil {
		return err
	}
	for i := range secrets {
		if secrets[i].Name == newName {
			j, err := a.toSecretJSON(&secrets[i])
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, j)
			return nil
		}
	}
	return notFound("application secret", newName)
}

// m2mApplication fetches the application of the path and checks it may hold roles.
func (a *API) m2mApplication(r *http.Request) (*store.Application, error) {
	app, err := a.application(r, "applicationId")
	if err != nil {
		return nil, err
	}
	if app.Type != store.MachineToMachine {
		return nil, unprocessable("application.invalid_type", "Only machine to machine applications can have associated roles.")
	}
	return app, nil
}

func (a *API) listApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	app, err := a.application(r, "applicationId")
	if err != nil {
		return err
	}
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	roles, err := a.store.ListApplicationRoles(r.Context(), app.ID)
	if err != nil {
		return err
	}
	roles = filterRoles(roles, searchTerm(r))
	return writeList(w, toRolesJSON(pageOf(roles, page)), len(roles), paged)
}

// filterRoles keeps roles whose name or description contains term, ignoring case.
func filterRoles(roles []store.Role, term string) []store.Role {
	if term == "" {
		return roles
	}
	term = strings.ToLower(term)
	out := roles[:0:0]
	for _, r := range roles {
		if strings.Contains(strings.ToLower(r.Name), term) || strings.Contains(strings.ToLower(r.Description), term) ||
			strings.Contains(strings.ToLower(r.ID), term) {
			out = append(out, r)
		}
	}
	return out
}

// pageOf cuts one page out of an in-memory list.
func pageOf[T any](items []T, p store.Page) []T {
	if p.PageSize <= 0 {
		return items
	}
	start := (p.Page - 1) * p.PageSize
	if start >= len(items) {
		return items[:0]
	}
	return items[start:min(start+p.PageSize, len(items))]
}

// roleIDsBody is the body of role assignments.
type roleIDsBody struct {
	RoleIDs []string `json:"roleIds"`
}

// checkRoles verifies every id names a role of type want.
func checkRoles(r *http.Request, st store.Store, ids []string, want store.RoleType) error {
	for _, roleID := range ids {
		role, err := st.GetRole(r.Context(), roleID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("role", roleID)
		} else if err != nil {
			return err
		}
		if role.Type != want {
			code := "application.invalid_role_type"
			if want == store.UserRole {
				code = "user.invalid_role_type"
			}
			return unprocessable(code, "The role "+role.Name+" is of type "+string(role.Type)+", not "+string(want)+".")
		}
	}
	return nil
}

func (a *API) assignApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	var body roleIDsBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if len(body.RoleIDs) == 0 {
		return invalid("roleIds", "must name at least one role")
	}
	app, err := a.m2mApplication(r)
	if err != nil {
		return err
	}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		if err := checkRoles(r, tx, body.RoleIDs, store.M2MRole); err != nil {
			return err
		}
		return tx.AssignApplicationRoles(r.Context(), app.ID, body.RoleIDs)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (a *API) replaceApplicationRoles(w http.ResponseWriter, r *http.Request) error {
	var body roleIDsBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.RoleIDs == nil {
		return invalid("roleIds", "is required")
	}
	app, err := a.m2mApplication(r)
	if err != nil {
		return err
	}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		if err := checkRoles(r, tx, body.RoleIDs, store.M2MRole); err != nil {
			return err
		}
		current, err := tx.ListApplicationRoles(r.Context(), app.ID)
		if err != nil {
			return err
		}
		for _, role := range current {
			if err := tx.RemoveApplicationRole(r.Context(), app.ID, role.ID); err != nil {
				return err
			}
		}
		if len(body.RoleIDs) > 0 {
			return tx.AssignApplicationRoles(r.Context(), app.ID, body.RoleIDs)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) deleteApplicationRole(w http.ResponseWriter, r *http.Request) error {
	app, err := a.application(r, "applicationId")
	if err != nil {
		return err
	}
	roleID := r.PathValue("roleId")
	return deleted(w, a.store.RemoveApplicationRole(r.Context(), app.ID, roleID), "role", roleID)
}

// deleteLegacySecret removes the secret shown as the application's
// "secret" (its "Default secret"), once another live secret can take over,
// so that no confidential application is left unable to authenticate.
func (a *API) deleteLegacySecret(w http.ResponseWriter, r *http.Request) error {
	var app *store.Application
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		var err error
		app, err = tx.GetApplication(r.Context(), r.PathValue("id"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("application", r.PathValue("id"))
		} else if err != nil {
			return err
		}
		secrets, err := tx.ListApplicationSecrets(r.Context(), app.ID)
		if err != nil {
			return err
		}
		hasLegacy, others := false, 0
		now := a.now().UnixMilli()
		for _, s := range secrets {
			switch {
			case s.Name == apps.DefaultSecretName:
				hasLegacy = true
			case s.ExpiresAt == 0 || s.ExpiresAt > now:
				others++
			}
		}
		if !hasLegacy {
			return &Error{Status: http.StatusBadRequest, Code: "application.legacy_secret_not_found", Message: "The application has no legacy secret."}
		}
		if others == 0 {
			return &Error{Status: http.StatusBadRequest, Code: "application.no_other_secret",
				Message: "Add another secret before deleting the legacy one, or the application could no longer authenticate."}
		}
		return tx.DeleteApplicationSecret(r.Context(), app.ID, apps.DefaultSecretName)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apps.ToJSON(app, ""))
	return nil
}
