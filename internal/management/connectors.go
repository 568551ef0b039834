package management

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"regexp"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// connectorRoutes serves Logto's connector and connector-factory routes
// for the email and SMS connectors. Configs are sealed at rest and every
// response masks their secrets (connector.MaskValue); a PATCH that sends a
// masked value back keeps the stored secret.
type connectorRoutes struct {
	api *API
	svc *connector.Service
}

func (a *API) registerConnectors() {
	svc := a.connectors
	if svc == nil {
		svc = connector.NewService(a.store, a.sealer, connector.Options{})
	}
	c := &connectorRoutes{api: a, svc: svc}
	a.handle("GET", "/api/connector-factories", "ListConnectorFactories", 200, "List connector factories", c.listFactories)
	a.handle("GET", "/api/connector-factories/{id}", "GetConnectorFactory", 200, "Get a connector factory", c.getFactory)
	a.handle("GET", "/api/connectors", "ListConnectors", 200, "List connectors", c.list)
	a.handle("POST", "/api/connectors", "CreateConnector", 200, "Create a connector", c.create)
	a.handle("GET", "/api/connectors/{id}", "GetConnector", 200, "Get a connector", c.get)
	a.handle("PATCH", "/api/connectors/{id}", "UpdateConnector", 200, "Update a connector", c.update)
	a.handle("DELETE", "/api/connectors/{id}", "DeleteConnector", 204, "Delete a connector", c.delete)
	a.handle("POST", "/api/connectors/{factoryId}/test", "CreateConnectorTest", 204, "Send a test message with a connector config", c.test)
}

func (c *connectorRoutes) listFactories(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, c.svc.Registry().Factories())
	return nil
}

func (c *connectorRoutes) getFactory(w http.ResponseWriter, r *http.Request) error {
	f, ok := c.svc.Registry().Factory(r.PathValue("id"))
	if !ok {
		return &Error{Status: http.StatusNotFound, Code: "entity.not_found", Message: "The connector factory `" + r.PathValue("id") + "` does not exist."}
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (c *connectorRoutes) list(w http.ResponseWriter, r *http.Request) error {
	all, err := c.svc.List(r.Context())
	if err != nil {
		return err
	}
	target := r.URL.Query().Get("target")
	out := make([]*connector.Connector, 0, len(all))
	for _, conn := range all {
		if target == "" || conn.Target() == target {
			out = append(out, conn)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (c *connectorRoutes) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	conn, err := c.svc.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("connector", id)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conn)
	return nil
}

// connectorBody is what create and update accept.
type connectorBody struct {
	ID                 *string         `json:"id"`
	ConnectorID        *string         `json:"connectorId"`
	Config             json.RawMessage `json:"config"`
	Metadata           json.RawMessage `json:"metadata"`
	SyncProfile        *bool           `json:"syncProfile"`
	EnableTokenStorage *bool           `json:"enableTokenStorage"`
}

var connectorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// optionalObject returns raw when it is a JSON object, nil when it is
// absent or null, and a 400 naming field otherwise.
func optionalObject(field string, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, invalid(field, "expected object")
	}
	return raw, nil
}

func (c *connectorRoutes) create(w http.ResponseWriter, r *http.Request) error {
	var body connectorBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.ConnectorID == nil || *body.ConnectorID == "" {
		return invalid("connectorId", "is required")
	}
	in := connector.CreateInput{FactoryID: *body.ConnectorID}
	if body.ID != nil {
		if !connectorIDPattern.MatchString(*body.ID) {
			return invalid("id", "expected 1 to 128 letters, digits, '-' or '_'")
		}
		in.ID = *body.ID
	}
	var err error
	if in.Config, err = optionalObject("config", body.Config); err != nil {
		return err
	}
	if in.Config == nil {
		in.Config = json.RawMessage("{}")
	}
	if in.Metadata, err = optionalObject("metadata", body.Metadata); err != nil {
		return err
	}
	if body.SyncProfile != nil {
		in.SyncProfile = *body.SyncProfile
	}
	if body.EnableTokenStorage != nil {
		in.EnableTokenStorage = *body.EnableTokenStorage
	}
	conn, err := c.svc.Create(r.Context(), in)
	if err != nil {
		if store.IsConflict(err) {
			return unprocessable("entity.unique_integrity_violation", "A connector with ID `"+in.ID+"` already exists.")
		}
		return connectorError(err)
	}
	writeJSON(w, http.StatusOK, conn)
	return nil
}

func (c *connectorRoutes) update(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body connectorBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	var in connector.UpdateInput
	var err error
	if in.Config, err = optionalObject("config", body.Config); err != nil {
		return err
	}
	if in.Metadata, err = optionalObject("metadata", body.Metadata); err != nil {
		return err
	}
	in.SyncProfile, in.EnableTokenStorage = body.SyncProfile, body.EnableTokenStorage
	conn, err := c.svc.Update(r.Context(), id, in)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("connector", id)
	} else if err != nil {
		return connectorError(err)
	}
	writeJSON(w, http.StatusOK, conn)
	return nil
}

func (c *connectorRoutes) delete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := c.svc.Delete(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("connector", id)
	} else if err != nil {
		return err
	}
	return noContent(w)
}

// testBody is CreateConnectorTest's body.
type testBody struct {
	Phone  *string         `json:"phone"`
	Email  *string         `json:"email"`
	Config json.RawMessage `json:"config"`
	Locale *string         `json:"locale"`
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{2,30}$`)

// test sends a Generic message with code 000000 through the factory
// configured by the body's config, as Logto's connector test does; nothing
// is stored. A phone number, when given, wins over an email address.
func (c *connectorRoutes) test(w http.ResponseWriter, r *http.Request) error {
	var body testBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	msg := connector.Message{UsageType: connector.UsageGeneric, Code: "000000"}
	want := connector.TypeEmail
	switch {
	case body.Phone != nil:
		if !phonePattern.MatchString(*body.Phone) {
			return invalid("phone", "expected a phone number")
		}
		msg.To, want = *body.Phone, connector.TypeSMS
	case body.Email != nil:
		if a, err := mail.ParseAddress(*body.Email); err != nil || a.Address != *body.Email {
			return invalid("email", "expected an email address")
		}
		msg.To = *body.Email
	default:
		return invalid("email", "email or phone is required")
	}
	config, err := optionalObject("config", body.Config)
	if err != nil {
		return err
	}
	if config == nil {
		return invalid("config", "is required")
	}
	if body.Locale != nil {
		msg.Locale = *body.Locale
	}
	err = c.svc.Test(r.Context(), r.PathValue("factoryId"), want, config, msg)
	switch {
	case err == nil:
		return noContent(w)
	case errors.Is(err, connector.ErrUnknownFactory):
		return &Error{Status: http.StatusBadRequest, Code: "connector.not_found",
			Message: "There is no " + string(want) + " connector factory `" + r.PathValue("factoryId") + "`."}
	case errors.Is(err, connector.ErrUnexpectedType):
		return &Error{Status: http.StatusBadRequest, Code: "connector.unexpected_type",
			Message: "The connector factory `" + r.PathValue("factoryId") + "` does not send to this kind of address."}
	}
	if _, ok := connector.IsConfigError(err); ok {
		return connectorError(err)
	}
	if r.Context().Err() != nil {
		return err
	}
	// The connector's own failure: the administrator testing it needs the
	// reason (it never carries the recipient or a response body).
	return &Error{Status: http.StatusBadRequest, Code: "connector.general", Message: "The test message could not be sent: " + err.Error()}
}

// connectorError maps the connector service's errors to Logto's.
func connectorError(err error) error {
	if ce, ok := connector.IsConfigError(err); ok {
		field := "config"
		if ce.Field != "" {
			field += "." + ce.Field
		}
		return &Error{Status: http.StatusBadRequest, Code: "connector.invalid_config",
			Message: "Invalid " + field + ": " + ce.Reason, Data: map[string]string{"field": field}}
	}
	switch {
	case errors.Is(err, connector.ErrUnknownFactory):
		return unprocessable("connector.not_found_with_connector_id", "There is no connector factory with this connectorId.")
	case errors.Is(err, connector.ErrMultipleInstances):
		return unprocessable("connector.multiple_instances_not_supported", "This connector factory allows one connector only; update or delete the existing one.")
	case errors.Is(err, connector.ErrTargetInUse):
		return unprocessable("connector.multiple_target_with_same_platform", "Another social connector of this platform already has this target; give this one its own metadata.target.")
	case errors.Is(err, connector.ErrMetadataNotAllowed):
		return &Error{Status: http.StatusBadRequest, Code: "connector.cannot_overwrite_metadata_for_non_standard_connector",
			Message: "metadata can only be set on standard connectors."}
	case errors.Is(err, connector.ErrSyncProfileNotSupported):
		return unprocessable("connector.invalid_type_for_syncing_profile", "Only social connectors can sync user profiles.")
	}
	return err
}
