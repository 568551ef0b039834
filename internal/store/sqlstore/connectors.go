package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const connectorColumns = `id, connector_id, config, metadata, sync_profile, enable_token_storage, created_at`

func scanConnector(sc scanner) (store.Connector, error) {
	var c store.Connector
	var metadata string
	err := sc.Scan(&c.ID, &c.ConnectorID, &c.SealedConfig, &metadata, &c.SyncProfile, &c.EnableTokenStorage, &c.CreatedAt)
	c.Metadata = objectValue(metadata)
	return c, err
}

// CreateConnector inserts c, filling in ID (12 characters, as Logto's) and
// CreatedAt when they are zero.
func (s *Store) CreateConnector(ctx context.Context, c *store.Connector) error {
	if c.ID == "" {
		c.ID = id.New(id.UserLength)
	}
	if c.CreatedAt == 0 {
		c.CreatedAt = nowMillis()
	}
	metadata, err := objectText("metadata", c.Metadata)
	if err != nil {
		return fmt.Errorf("create connector: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO connectors (`+connectorColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.ConnectorID, c.SealedConfig, metadata, c.SyncProfile, c.EnableTokenStorage, c.CreatedAt)
	if err != nil {
		err = s.mapErr(err)
		if store.IsConflict(err) {
			// The only unique key is the primary key; name it whatever the
			// dialect called it.
			err = &store.ConflictError{Field: "id"}
		}
		return fmt.Errorf("create connector: %w", err)
	}
	return nil
}

// GetConnector returns the connector with the given id.
func (s *Store) GetConnector(ctx context.Context, connectorID string) (*store.Connector, error) {
	c, err := scanConnector(s.q.QueryRowContext(ctx, `SELECT `+connectorColumns+` FROM connectors WHERE id = $1`, connectorID))
	if err != nil {
		return nil, fmt.Errorf("get connector %s: %w", connectorID, s.mapErr(err))
	}
	return &c, nil
}

// ListConnectors returns every connector, oldest first.
func (s *Store) ListConnectors(ctx context.Context) ([]store.Connector, error) {
	list, err := queryAll(ctx, s, `SELECT `+connectorColumns+` FROM connectors ORDER BY created_at, id`, nil, scanConnector)
	if err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	return list, nil
}

// UpdateConnector replaces the mutable fields of the connector c.ID.
func (s *Store) UpdateConnector(ctx context.Context, c *store.Connector) error {
	metadata, err := objectText("metadata", c.Metadata)
	if err != nil {
		return fmt.Errorf("update connector %s: %w", c.ID, err)
	}
	err = s.expectOne(s.q.ExecContext(ctx, `UPDATE connectors SET config = $2, metadata = $3, sync_profile = $4, enable_token_storage = $5
		WHERE id = $1`, c.ID, c.SealedConfig, metadata, c.SyncProfile, c.EnableTokenStorage))
	if err != nil {
		return fmt.Errorf("update connector %s: %w", c.ID, err)
	}
	return nil
}

// DeleteConnector removes a connector.
func (s *Store) DeleteConnector(ctx context.Context, connectorID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM connectors WHERE id = $1`, connectorID)); err != nil {
		return fmt.Errorf("delete connector %s: %w", connectorID, err)
	}
	return nil
}
