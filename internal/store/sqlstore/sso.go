package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const ssoConnectorColumns = `id, provider_name, connector_name, config, domains, branding, sync_profile, created_at`

const ssoIdentityColumns = `id, user_id, sso_connector_id, issuer, identity_id, detail, created_at, updated_at`

func scanSSOConnector(sc scanner) (store.SSOConnector, error) {
	var c store.SSOConnector
	var domains, branding string
	if err := sc.Scan(&c.ID, &c.ProviderName, &c.ConnectorName, &c.SealedConfig, &domains, &branding, &c.SyncProfile, &c.CreatedAt); err != nil {
		return c, err
	}
	c.Branding = objectValue(branding)
	c.Domains = []string{}
	if domains != "" {
		if err := json.Unmarshal([]byte(domains), &c.Domains); err != nil {
			return c, fmt.Errorf("decode domains of sso connector %s: %w", c.ID, err)
		}
	}
	return c, nil
}

func scanSSOIdentity(sc scanner) (store.SSOIdentity, error) {
	var i store.SSOIdentity
	var detail string
	err := sc.Scan(&i.ID, &i.UserID, &i.SSOConnectorID, &i.Issuer, &i.IdentityID, &detail, &i.CreatedAt, &i.UpdatedAt)
	i.Detail = objectValue(detail)
	return i, err
}

// ssoColumnsText encodes the JSON columns of c: nil domains become [].
func ssoColumnsText(c *store.SSOConnector) (domains, branding string, err error) {
	list := c.Domains
	if list == nil {
		list = []string{}
	}
	b, err := json.Marshal(list)
	if err != nil {
		return "", "", fmt.Errorf("encode domains: %w", err)
	}
	branding, err = objectText("branding", c.Branding)
	return string(b), branding, err
}

// ssoConnectorErr maps a write error, naming the connector name when that is
// what collided. mapErr cannot: uniqueFields reports the schema's column
// names, while the SSO API reports Logto's field name.
func (s *Store) ssoConnectorErr(err error) error {
	if kind, name := s.dialect.classify(err); kind == uniqueViolation {
		if name == "sso_connectors_connector_name_key" {
			return &store.ConflictError{Field: "connectorName"}
		}
		return &store.ConflictError{Field: "id"}
	}
	return s.mapErr(err)
}

// CreateSSOConnector inserts c, filling in ID (12 characters, as Logto's)
// and CreatedAt when they are zero.
func (s *Store) CreateSSOConnector(ctx context.Context, c *store.SSOConnector) error {
	if c.ID == "" {
		c.ID = id.New(id.UserLength)
	}
	if c.CreatedAt == 0 {
		c.CreatedAt = nowMillis()
	}
	domains, branding, err := ssoColumnsText(c)
	if err != nil {
		return fmt.Errorf("create sso connector: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO sso_connectors (`+ssoConnectorColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.ProviderName, c.ConnectorName, c.SealedConfig, domains, branding, c.SyncProfile, c.CreatedAt)
	if err != nil {
		return fmt.Errorf("create sso connector: %w", s.ssoConnectorErr(err))
	}
	return nil
}

// GetSSOConnector returns the SSO connector with the given id.
func (s *Store) GetSSOConnector(ctx context.Context, connectorID string) (*store.SSOConnector, error) {
	c, err := scanSSOConnector(s.q.QueryRowContext(ctx, `SELECT `+ssoConnectorColumns+` FROM sso_connectors WHERE id = $1`, connectorID))
	if err != nil {
		return nil, fmt.Errorf("get sso connector %s: %w", connectorID, s.mapErr(err))
	}
	return &c, nil
}

// ListSSOConnectors returns every SSO connector, oldest first.
func (s *Store) ListSSOConnectors(ctx context.Context) ([]store.SSOConnector, error) {
	list, err := queryAll(ctx, s, `SELECT `+ssoConnectorColumns+` FROM sso_connectors ORDER BY created_at, id`, nil, scanSSOConnector)
	if err != nil {
		return nil, fmt.Errorf("list sso connectors: %w", err)
	}
	return list, nil
}

// UpdateSSOConnector replaces the mutable fields of the SSO connector c.ID.
func (s *Store) UpdateSSOConnector(ctx context.Context, c *store.SSOConnector) error {
	domains, branding, err := ssoColumnsText(c)
	if err != nil {
		return fmt.Errorf("update sso connector %s: %w", c.ID, err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE sso_connectors SET connector_name = $2, config = $3, domains = $4, branding = $5, sync_profile = $6
		WHERE id = $1`, c.ID, c.ConnectorName, c.SealedConfig, domains, branding, c.SyncProfile)
	if err != nil {
		return fmt.Errorf("update sso connector %s: %w", c.ID, s.ssoConnectorErr(err))
	}
	if err := s.expectOne(res, nil); err != nil {
		return fmt.Errorf("update sso connector %s: %w", c.ID, err)
	}
	return nil
}

// DeleteSSOConnector removes an SSO connector; the foreign key removes the
// identities made through it.
func (s *Store) DeleteSSOConnector(ctx context.Context, connectorID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM sso_connectors WHERE id = $1`, connectorID)); err != nil {
		return fmt.Errorf("delete sso connector %s: %w", connectorID, err)
	}
	return nil
}

// UpsertSSOIdentity inserts i or refreshes the detail of the identity with
// the same issuer and identity id, and reads back the stored row.
func (s *Store) UpsertSSOIdentity(ctx context.Context, i *store.SSOIdentity) error {
	if i.ID == "" {
		i.ID = id.New(id.RecordLength)
	}
	now := nowMillis()
	if i.CreatedAt == 0 {
		i.CreatedAt = now
	}
	if i.UpdatedAt == 0 {
		i.UpdatedAt = now
	}
	detail, err := objectText("detail", i.Detail)
	if err != nil {
		return fmt.Errorf("upsert sso identity: %w", err)
	}
	got, err := scanSSOIdentity(s.q.QueryRowContext(ctx, `INSERT INTO user_sso_identities (`+ssoIdentityColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (issuer, identity_id) DO UPDATE SET detail = excluded.detail, updated_at = excluded.updated_at
		RETURNING `+ssoIdentityColumns,
		i.ID, i.UserID, i.SSOConnectorID, i.Issuer, i.IdentityID, detail, i.CreatedAt, i.UpdatedAt))
	if err != nil {
		return fmt.Errorf("upsert sso identity: %w", s.mapErr(err))
	}
	*i = got
	return nil
}

// FindSSOIdentity returns the identity that issuer asserted as identityID.
func (s *Store) FindSSOIdentity(ctx context.Context, issuer, identityID string) (*store.SSOIdentity, error) {
	i, err := scanSSOIdentity(s.q.QueryRowContext(ctx, `SELECT `+ssoIdentityColumns+` FROM user_sso_identities
		WHERE issuer = $1 AND identity_id = $2`, issuer, identityID))
	if err != nil {
		return nil, fmt.Errorf("find sso identity: %w", s.mapErr(err))
	}
	return &i, nil
}

// ListUserSSOIdentities returns the user's SSO identities, oldest first.
func (s *Store) ListUserSSOIdentities(ctx context.Context, userID string) ([]store.SSOIdentity, error) {
	list, err := queryAll(ctx, s, `SELECT `+ssoIdentityColumns+` FROM user_sso_identities WHERE user_id = $1 ORDER BY created_at, id`,
		[]any{userID}, scanSSOIdentity)
	if err != nil {
		return nil, fmt.Errorf("list sso identities of user %s: %w", userID, err)
	}
	return list, nil
}
