package management

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

func (a *API) registerResources() {
	a.handle("GET", "/api/resources", "ListResources", 200, "List API resources", a.listResources)
	a.handle("POST", "/api/resources", "CreateResource", 201, "Create an API resource", a.createResource)
	a.handle("GET", "/api/resources/{id}", "GetResource", 200, "Get an API resource", a.getResource)
	a.handle("PATCH", "/api/resources/{id}", "UpdateResource", 200, "Update an API resource", a.updateResource)
	a.handle("DELETE", "/api/resources/{id}", "DeleteResource", 204, "Delete an API resource", a.deleteResource)
	a.handle("PATCH", "/api/resources/{id}/is-default", "UpdateResourceIsDefault", 200, "Set or clear the default API resource", a.updateResourceIsDefault)
	a.handle("GET", "/api/resources/{resourceId}/scopes", "ListResourceScopes", 200, "List the permissions of an API resource", a.listResourceScopes)
	a.handle("POST", "/api/resources/{resourceId}/scopes", "CreateResourceScope", 201, "Add a permission to an API resource", a.createResourceScope)
	a.handle("PATCH", "/api/resources/{resourceId}/scopes/{scopeId}", "UpdateResourceScope", 200, "Update a permission", a.updateResourceScope)
	a.handle("DELETE", "/api/resources/{resourceId}/scopes/{scopeId}", "DeleteResourceScope", 204, "Delete a permission", a.deleteResourceScope)
}

// Limits on resource and scope fields. Logto's columns are unbounded text
// or varchar(256); these keep records and indexes of sane size.
const (
	maxResourceName      = 256
	maxResourceIndicator = 2048
	maxScopeName         = 256
	maxScopeDescription  = 4096
	// defaultAccessTokenTTL is Logto's default access token lifetime, seconds.
	defaultAccessTokenTTL = 3600
	maxAccessTokenTTL     = math.MaxInt32
)

// resourceWithScopesJSON is a resource with its scopes, as ListResources
// (includeScopes) and CreateResource answer.
type resourceWithScopesJSON struct {
	resourceJSON
	Scopes []scopeJSON `json:"scopes"`
}

// findResource fetches the resource named by the path parameter param, with st.
func findResource(r *http.Request, st store.Store, param string) (*store.Resource, error) {
	resourceID := r.PathValue(param)
	res, err := st.GetResource(r.Context(), resourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("resource", resourceID)
	}
	return res, err
}

// isManagementAPIResource tells the built-in Management API resource, which
// the API does not let anyone change or delete, as Logto does not.
func isManagementAPIResource(res *store.Resource) bool { return res.Indicator == Indicator }

func cannotModifyManagementAPI() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "resource.cannot_modify_management_api",
		Message: "The Management API resource and its permissions cannot be changed."}
}

// truthyParam reads a query flag as Logto does: true, 1, yes or y, in any case.
func truthyParam(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "y":
		return true
	}
	return false
}

func (a *API) listResources(w http.ResponseWriter, r *http.Request) error {
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	list, total, err := a.store.SearchResources(r.Context(), searchTerm(r), page)
	if err != nil {
		return err
	}
	if !truthyParam(r.URL.Query().Get("includeScopes")) {
		out := make([]resourceJSON, 0, len(list))
		for i := range list {
			out = append(out, toResourceJSON(&list[i]))
		}
		return writeList(w, out, total, paged)
	}
	resourceIDs := make([]string, len(list))
	for i := range list {
		resourceIDs[i] = list[i].ID
	}
	scopes, err := a.store.ListScopesOfResources(r.Context(), resourceIDs)
	if err != nil {
		return err
	}
	byResource := map[string][]scopeJSON{}
	for i := range scopes {
		byResource[scopes[i].ResourceID] = append(byResource[scopes[i].ResourceID], toScopeJSON(&scopes[i]))
	}
	out := make([]resourceWithScopesJSON, 0, len(list))
	for i := range list {
		own := byResource[list[i].ID]
		if own == nil {
			own = []scopeJSON{}
		}
		out = append(out, resourceWithScopesJSON{toResourceJSON(&list[i]), own})
	}
	return writeList(w, out, total, paged)
}

// resourceBody is what CreateResource and UpdateResource read. Logto
// ignores isDefault in both (PATCH .../is-default sets it) and indicator
// on update, and so do we: unknown fields are ignored.
type resourceBody struct {
	Name           *string  `json:"name"`
	Indicator      *string  `json:"indicator"`
	AccessTokenTTL *float64 `json:"accessTokenTtl"`
}

// resourceName checks a resource name and returns it trimmed.
func resourceName(name *string) (string, error) {
	if name == nil {
		return "", invalid("name", "must be a string")
	}
	n := strings.TrimSpace(*name)
	switch {
	case n == "":
		return "", invalid("name", "must not be empty")
	case len(n) > maxResourceName:
		return "", invalid("name", "must be at most 256 characters")
	}
	return n, nil
}

// accessTokenTTL checks a TTL in seconds: a positive whole number.
func accessTokenTTL(ttl *float64) (int, error) {
	if ttl == nil {
		return 0, invalid("accessTokenTtl", "must be a number")
	}
	v := *ttl
	if v != math.Trunc(v) || v < 1 || v > maxAccessTokenTTL {
		return 0, invalid("accessTokenTtl", "must be a whole number of seconds from 1 to 2147483647")
	}
	return int(v), nil
}

// checkResourceIndicator accepts what RFC 8707 allows as a resource
// indicator: an absolute URI without a fragment.
func checkResourceIndicator(indicator *string) (string, error) {
	if indicator == nil {
		return "", invalid("indicator", "must be a string")
	}
	s := *indicator
	if s == "" {
		return "", invalid("indicator", "is required")
	}
	if len(s) > maxResourceIndicator {
		return "", invalid("indicator", "must be at most 2048 characters")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || strings.Contains(s, "#") || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return "", invalid("indicator", "must be an absolute URI without a fragment")
	}
	return s, nil
}

func (a *API) createResource(w http.ResponseWriter, r *http.Request) error {
	var body resourceBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if !seen["name"] {
		return invalid("name", "is required")
	}
	if !seen["indicator"] {
		return invalid("indicator", "is required")
	}
	res := &store.Resource{AccessTokenTTL: defaultAccessTokenTTL, CreatedAt: a.now().UnixMilli()}
	if res.Name, err = resourceName(body.Name); err != nil {
		return err
	}
	if res.Indicator, err = checkResourceIndicator(body.Indicator); err != nil {
		return err
	}
	if seen["accessTokenTtl"] {
		if res.AccessTokenTTL, err = accessTokenTTL(body.AccessTokenTTL); err != nil {
			return err
		}
	}
	if err := a.store.CreateResource(r.Context(), res); store.IsConflict(err) {
		return unprocessable("resource.resource_identifier_in_use", "The resource indicator "+res.Indicator+" is already in use.")
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, resourceWithScopesJSON{toResourceJSON(res), []scopeJSON{}})
	return nil
}

func (a *API) getResource(w http.ResponseWriter, r *http.Request) error {
	res, err := findResource(r, a.store, "id")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toResourceJSON(res))
	return nil
}

func (a *API) updateResource(w http.ResponseWriter, r *http.Request) error {
	var body resourceBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	var name string
	if seen["name"] {
		if name, err = resourceName(body.Name); err != nil {
			return err
		}
	}
	var ttl int
	if seen["accessTokenTtl"] {
		if ttl, err = accessTokenTTL(body.AccessTokenTTL); err != nil {
			return err
		}
	}
	var result *store.Resource
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		res, err := findResource(r, tx, "id")
		if err != nil {
			return err
		}
		if isManagementAPIResource(res) {
			return cannotModifyManagementAPI()
		}
		if seen["name"] {
			res.Name = name
		}
		if seen["accessTokenTtl"] {
			res.AccessTokenTTL = ttl
		}
		result = res
		return tx.UpdateResource(r.Context(), res)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toResourceJSON(result))
	return nil
}

func (a *API) deleteResource(w http.ResponseWriter, r *http.Request) error {
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		res, err := findResource(r, tx, "id")
		if err != nil {
			return err
		}
		if isManagementAPIResource(res) {
			return &Error{Status: http.StatusBadRequest, Code: "resource.cannot_delete_management_api",
				Message: "The Management API resource cannot be deleted."}
		}
		// The scopes go with the resource, and with them every role's grant
		// of them (ON DELETE CASCADE).
		return tx.DeleteResource(r.Context(), res.ID)
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) updateResourceIsDefault(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		IsDefault *bool `json:"isDefault"`
	}
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.IsDefault == nil {
		return invalid("isDefault", "is required and must be a boolean")
	}
	resourceID := r.PathValue("id")
	res, err := a.store.SetDefaultResource(r.Context(), resourceID, *body.IsDefault)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("resource", resourceID)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toResourceJSON(res))
	return nil
}

func (a *API) listResourceScopes(w http.ResponseWriter, r *http.Request) error {
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	res, err := findResource(r, a.store, "resourceId")
	if err != nil {
		return err
	}
	scopes, total, err := a.store.SearchScopes(r.Context(), res.ID, searchTerm(r), page)
	if err != nil {
		return err
	}
	return writeList(w, toScopesJSON(scopes), total, paged)
}

// resourceScopeBody is what CreateResourceScope and UpdateResourceScope read.
type resourceScopeBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"` // null clears it
}

// resourceScopeName checks a scope name: not empty and, as Logto wants,
// without whitespace, since scopes travel space-separated.
func resourceScopeName(name *string) (string, error) {
	if name == nil {
		return "", invalid("name", "must be a string")
	}
	n := *name
	switch {
	case n == "":
		return "", invalid("name", "must not be empty")
	case len(n) > maxScopeName:
		return "", invalid("name", "must be at most 256 characters")
	case strings.IndexFunc(n, unicode.IsSpace) >= 0:
		return "", &Error{Status: http.StatusBadRequest, Code: "scope.name_with_space",
			Message: "The name of the scope cannot contain any spaces.", Data: map[string]string{"field": "name"}}
	}
	return n, nil
}

func resourceScopeDescription(d *string) (string, error) {
	if d == nil {
		return "", nil
	}
	if len(*d) > maxScopeDescription {
		return "", invalid("description", "must be at most 4096 characters")
	}
	return *d, nil
}

func scopeNameExists(name string) *Error {
	return unprocessable("scope.name_exists", "The scope name "+name+" is already in use by this resource.")
}

func (a *API) createResourceScope(w http.ResponseWriter, r *http.Request) error {
	var body resourceScopeBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	if !seen["name"] {
		return invalid("name", "is required")
	}
	sc := &store.Scope{CreatedAt: a.now().UnixMilli()}
	if sc.Name, err = resourceScopeName(body.Name); err != nil {
		return err
	}
	if sc.Description, err = resourceScopeDescription(body.Description); err != nil {
		return err
	}
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		res, err := findResource(r, tx, "resourceId")
		if err != nil {
			return err
		}
		if isManagementAPIResource(res) {
			return cannotModifyManagementAPI()
		}
		sc.ResourceID = res.ID
		err = tx.CreateScope(r.Context(), sc)
		if store.IsConflict(err) {
			return scopeNameExists(sc.Name)
		} else if err != nil {
			return err
		}
		return a.emit(r, tx, webhook.ScopeCreated, http.StatusCreated, toScopeJSON(sc))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toScopeJSON(sc))
	return nil
}

// findResourceScope fetches the resource and the scope of the path, and
// refuses scopes of the Management API.
func findResourceScope(r *http.Request, tx store.Store) (*store.Scope, error) {
	res, err := findResource(r, tx, "resourceId")
	if err != nil {
		return nil, err
	}
	if isManagementAPIResource(res) {
		return nil, cannotModifyManagementAPI()
	}
	scopeID := r.PathValue("scopeId")
	sc, err := tx.GetScope(r.Context(), scopeID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sc.ResourceID != res.ID) {
		return nil, notFound("scope", scopeID)
	}
	return sc, err
}

func (a *API) updateResourceScope(w http.ResponseWriter, r *http.Request) error {
	var body resourceScopeBody
	seen, err := decodeBody(r, &body)
	if err != nil {
		return err
	}
	var name, description string
	if seen["name"] {
		if name, err = resourceScopeName(body.Name); err != nil {
			return err
		}
	}
	if seen["description"] {
		if description, err = resourceScopeDescription(body.Description); err != nil {
			return err
		}
	}
	var result *store.Scope
	err = a.store.InTx(r.Context(), func(tx store.Store) error {
		sc, err := findResourceScope(r, tx)
		if err != nil {
			return err
		}
		if seen["name"] {
			sc.Name = name
		}
		if seen["description"] {
			sc.Description = description
		}
		result = sc
		err = tx.UpdateScope(r.Context(), sc)
		if store.IsConflict(err) {
			return scopeNameExists(sc.Name)
		} else if err != nil {
			return err
		}
		return a.emit(r, tx, webhook.ScopeDataUpdated, http.StatusOK, toScopeJSON(sc))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toScopeJSON(result))
	return nil
}

func (a *API) deleteResourceScope(w http.ResponseWriter, r *http.Request) error {
	err := a.store.InTx(r.Context(), func(tx store.Store) error {
		sc, err := findResourceScope(r, tx)
		if err != nil {
			return err
		}
		// Roles holding the scope lose it (ON DELETE CASCADE).
		if err := tx.DeleteScope(r.Context(), sc.ID); err != nil {
			return err
		}
		return a.emit(r, tx, webhook.ScopeDeleted, http.StatusNoContent, nil)
	})
	if err != nil {
		return err
	}
	return noContent(w)
}
