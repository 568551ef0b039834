package store

import (
	"context"
	"encoding/json"
)

// Connector is a configured connector instance: an email, SMS (or, later,
// social) sender built by the factory ConnectorID. Its config holds
// credentials, so the store keeps it only in sealed form (see internal/seal):
// SealedConfig is opaque to the store.
type Connector struct {
	ID                 string // 12 characters, as Logto's
	ConnectorID        string // the factory id, e.g. "simple-mail-transfer-protocol"
	SealedConfig       string
	Metadata           json.RawMessage // JSON object; nil means {}
	SyncProfile        bool
	EnableTokenStorage bool
	CreatedAt          int64
}

// Connectors stores connector instances.
type Connectors interface {
	// CreateConnector adds c, filling in CreatedAt when it is zero; a
	// duplicate id is a *ConflictError on "id".
	CreateConnector(ctx context.Context, c *Connector) error
	GetConnector(ctx context.Context, id string) (*Connector, error)
	// ListConnectors returns every connector in creation order (then id).
	ListConnectors(ctx context.Context) ([]Connector, error)
	// UpdateConnector replaces the sealed config, metadata, syncProfile and
	// enableTokenStorage of the connector c.ID; ConnectorID and CreatedAt
	// never change.
	UpdateConnector(ctx context.Context, c *Connector) error
	DeleteConnector(ctx context.Context, id string) error
}
