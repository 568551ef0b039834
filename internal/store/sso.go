package store

import (
	"context"
	"encoding/json"
)

// SSOConnector is an enterprise SSO connector (Logto's sso_connectors): an
// OIDC or SAML identity provider that users of the email Domains sign in
// with. Its config holds client secrets, so the store keeps it only in
// sealed form (see internal/seal): SealedConfig is opaque to the store.
type SSOConnector struct {
	ID            string
	ProviderName  string // "OIDC", "SAML", "AzureAD", "AzureAdOidc", "GoogleWorkspace", "Okta"
	ConnectorName string // unique
	SealedConfig  string
	Domains       []string        // email domains routed to this connector; nil means none
	Branding      json.RawMessage // JSON object; nil means {}
	SyncProfile   bool
	CreatedAt     int64
}

// SSOIdentity links a user to the subject IdentityID that the identity
// provider Issuer (an OIDC issuer or a SAML IdP entity id) asserted through
// the connector SSOConnectorID.
type SSOIdentity struct {
	ID, UserID, SSOConnectorID, Issuer, IdentityID string
	Detail                                         json.RawMessage // JSON object; nil means {}
	CreatedAt, UpdatedAt                           int64
}

// SSO stores enterprise SSO connectors and users' identities at them.
type SSO interface {
	// CreateSSOConnector adds c, filling in ID and CreatedAt when they are
	// zero; a duplicate name is a *ConflictError on "connectorName".
	CreateSSOConnector(ctx context.Context, c *SSOConnector) error
	GetSSOConnector(ctx context.Context, id string) (*SSOConnector, error)
	// ListSSOConnectors returns every connector in creation order (then id).
	ListSSOConnectors(ctx context.Context) ([]SSOConnector, error)
	// UpdateSSOConnector replaces the name, sealed config, domains, branding
	// and syncProfile of the connector c.ID; ProviderName and CreatedAt never
	// change. A name taken by another connector is a *ConflictError on
	// "connectorName".
	UpdateSSOConnector(ctx context.Context, c *SSOConnector) error
	// DeleteSSOConnector removes the connector and every identity made
	// through it.
	DeleteSSOConnector(ctx context.Context, id string) error

	// UpsertSSOIdentity inserts i, or, when an identity with the same
	// (Issuer, IdentityID) exists, replaces its Detail and UpdatedAt and
	// fills i with the stored record (its ID, UserID, CreatedAt...). ID,
	// CreatedAt and UpdatedAt are filled in when zero. An unknown user or
	// connector is ErrNotFound.
	UpsertSSOIdentity(ctx context.Context, i *SSOIdentity) error
	FindSSOIdentity(ctx context.Context, issuer, identityID string) (*SSOIdentity, error)
	// ListUserSSOIdentities returns the user's identities in creation order;
	// deleting a user deletes them.
	ListUserSSOIdentities(ctx context.Context, userID string) ([]SSOIdentity, error)
}
