package management

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/gatehouse-auth/gatehouse/internal/sso"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// ssoRoutes serves Logto's enterprise SSO connector routes. Configs are
// sealed at rest and every response masks the client secret; a PATCH that
// sends the masked secret back keeps the stored one.
type ssoRoutes struct {
	api *API
	svc *sso.Service
}

func (a *API) registerSSOConnectors() {
	svc := a.sso
	if svc == nil {
		svc = sso.NewService(a.store, a.sealer, sso.Options{Now: a.now, Endpoint: strings.TrimSuffix(a.issuer, "/oidc")})
	}
	s := &ssoRoutes{api: a, svc: svc}
	a.handle("GET", "/api/sso-connector-providers", "ListSsoConnectorProviders", 200, "List SSO connector providers", s.providers)
	a.handle("GET", "/api/sso-connectors", "ListSsoConnectors", 200, "List SSO connectors", s.list)
	a.handle("POST", "/api/sso-connectors", "CreateSsoConnector", 200, "Create an SSO connector", s.create)
	a.handle("GET", "/api/sso-connectors/{id}", "GetSsoConnector", 200, "Get an SSO connector", s.get)
	a.handle("PATCH", "/api/sso-connectors/{id}", "UpdateSsoConnector", 200, "Update an SSO connector", s.update)
	a.handle("DELETE", "/api/sso-connectors/{id}", "DeleteSsoConnector", 204, "Delete an SSO connector", s.delete)
}

// ssoConnectorJSON is Logto's SsoConnectorWithProviderConfig.
type ssoConnectorJSON struct {
	TenantID           string           `json:"tenantId"`
	ID                 string           `json:"id"`
	ProviderName       string           `json:"providerName"`
	ConnectorName      string           `json:"connectorName"`
	Config             json.RawMessage  `json:"config"`
	Domains            []string         `json:"domains"`
	Branding           json.RawMessage  `json:"branding"`
	SyncProfile        bool             `json:"syncProfile"`
	EnableTokenStorage bool             `json:"enableTokenStorage"`
	CreatedAt          int64            `json:"createdAt"`
	Name               string           `json:"name"`
	ProviderType       sso.ProviderType `json:"providerType"`
	ProviderLogo       string           `json:"providerLogo"`
	ProviderLogoDark   string           `json:"providerLogoDark"`
	ProviderConfig     json.RawMessage  `json:"providerConfig,omitempty"`
}

// toJSON renders c; providerConfig needs the identity provider's discovery
// document or metadata (cached by the service) and is left out when the
// provider cannot be reached, as Logto does.
func (s *ssoRoutes) toJSON(ctx context.Context, c *sso.Connector) ssoConnectorJSON {
	domains := c.Domains
	if domains == nil {
		domains = []string{}
	}
	return ssoConnectorJSON{TenantID: tenantID, ID: c.ID, ProviderName: c.ProviderName, ConnectorName: c.ConnectorName,
		Config: c.MaskedConfig(), Domains: domains, Branding: c.Branding, SyncProfile: c.SyncProfile, CreatedAt: c.CreatedAt,
		Name: c.Info.Name, ProviderType: c.Info.ProviderType, ProviderLogo: c.Info.Logo, ProviderLogoDark: c.Info.LogoDark,
		ProviderConfig: s.svc.ProviderConfig(ctx, c)}
}

func (s *ssoRoutes) providers(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, sso.Providers())
	return nil
}

func (s *ssoRoutes) list(w http.ResponseWriter, r *http.Request) error {
	page, paged, err := readPage(r, true)
	if err != nil {
		return err
	}
	all, err := s.svc.List(r.Context())
	if err != nil {
		return err
	}
	items := all
	if paged {
		start := min((page.Page-1)*page.PageSize, len(all))
		items = all[start:min(start+page.PageSize, len(all))]
	}
	// Each connector may need its identity provider: ask them all at once.
	out := make([]ssoConnectorJSON, len(items))
	var wg sync.WaitGroup
	for i, c := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.toJSON(r.Context(), c)
		}()
	}
	wg.Wait()
	return writeList(w, out, len(all), paged)
}

func (s *ssoRoutes) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	c, err := s.svc.Get(r.Context(), id)
	if err != nil {
		return ssoError(err, id)
	}
	writeJSON(w, http.StatusOK, s.toJSON(r.Context(), c))
	return nil
}

// ssoConnectorBody is what create and update accept.
type ssoConnectorBody struct {
	ProviderName       *string         `json:"providerName"`
	ConnectorName      *string         `json:"connectorName"`
	Config             json.RawMessage `json:"config"`
	Domains            *[]string       `json:"domains"`
	Branding           json.RawMessage `json:"branding"`
	SyncProfile        *bool           `json:"syncProfile"`
	EnableTokenStorage *bool           `json:"enableTokenStorage"`
}

func (s *ssoRoutes) create(w http.ResponseWriter, r *http.Request) error {
	var body ssoConnectorBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.ProviderName == nil {
		return invalid("providerName", "is required")
	}
	if body.ConnectorName == nil {
		return invalid("connectorName", "is required")
	}
	in := sso.CreateInput{ProviderName: *body.ProviderName, ConnectorName: *body.ConnectorName, Branding: body.Branding}
	var err error
	if in.Config, err = optionalObject("config", body.Config); err != nil {
		return err
	}
	if body.Domains != nil {
		in.Domains = *body.Domains
	}
	if body.SyncProfile != nil {
		in.SyncProfile = *body.SyncProfile
	}
	if body.EnableTokenStorage != nil {
		in.EnableTokenStorage = *body.EnableTokenStorage
	}
	c, err := s.svc.Create(r.Context(), in)
	if err != nil {
		return ssoError(err, "")
	}
	writeJSON(w, http.StatusOK, s.toJSON(r.Context(), c))
	return nil
}

func (s *ssoRoutes) update(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body ssoConnectorBody
	if _, err := decodeBody(r, &body); err != nil {
		return err
	}
	in := sso.UpdateInput{ConnectorName: body.ConnectorName, Domains: body.Domains, SyncProfile: body.SyncProfile,
		EnableTokenStorage: body.EnableTokenStorage}
	var err error
	if in.Config, err = optionalObject("config", body.Config); err != nil {
		return err
	}
	if present := len(body.Branding) > 0 && string(body.Branding) != "null"; present {
		in.Branding = body.Branding
	}
	c, err := s.svc.Update(r.Context(), id, in)
	if err != nil {
		return ssoError(err, id)
	}
	writeJSON(w, http.StatusOK, s.toJSON(r.Context(), c))
	return nil
}

func (s *ssoRoutes) delete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return deleted(w, s.svc.Delete(r.Context(), id), "SSO connector", id)
}

// ssoError maps the SSO service's errors to Logto's codes and statuses.
func ssoError(err error, id string) error {
	var (
		input    *sso.InputError
		domains  *sso.DomainError
		conflict *store.ConflictError
	)
	if ce, ok := sso.IsConfigError(err); ok {
		field := ce.Field
		if field == "" {
			field = "config"
		}
		return &Error{Status: http.StatusBadRequest, Code: ce.Code, Message: "Invalid " + field + ": " + ce.Reason,
			Data: map[string]string{"field": field}}
	}
	switch {
	case errors.Is(err, store.ErrNotFound) && id != "":
		return notFound("SSO connector", id)
	case errors.As(err, &input):
		return invalid(input.Field, input.Reason)
	case errors.As(err, &domains):
		messages := map[string]string{
			"single_sign_on.forbidden_domains":     "Public email domains are not allowed.",
			"single_sign_on.duplicated_domains":    "There are duplicate domains.",
			"single_sign_on.invalid_domain_format": "Invalid domain format.",
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: domains.Code,
			Message: messages[domains.Code] + " (" + strings.Join(domains.Domains, ", ") + ")", Data: domains.Domains}
	case errors.As(err, &conflict):
		return &Error{Status: http.StatusConflict, Code: "single_sign_on.duplicate_connector_name",
			Message: "Connector name already exists. Please choose a different name."}
	case errors.Is(err, sso.ErrUnknownProvider):
		return unprocessable("connector.not_found", "There is no SSO provider with this providerName; see GET /api/sso-connector-providers.")
	case errors.Is(err, sso.ErrSigningKeyRequired):
		return &Error{Status: http.StatusBadRequest, Code: "single_sign_on.active_signing_key_required",
			Message: "Signed authentication requests need an SP signing key, which Gatehouse does not manage yet; set signAuthnRequest to false."}
	case errors.Is(err, sso.ErrTokenStorageUnsupported):
		return unprocessable("request.feature_not_supported", "Token storage for SSO connectors is not supported.")
	}
	return err
}
