package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Options configures a Service.
type Options struct {
	// Registry is the set of factories; nil means DefaultRegistry().
	Registry *Registry
	// HTTPClient is used by the HTTP connectors; nil means
	// DefaultHTTPClient() (5 s timeout, no redirects).
	HTTPClient *http.Client
	// Now is the clock of social connectors (ID token checks, Apple's
	// client secret); nil means time.Now.
	Now func() time.Time
}

// Service manages the configured connectors: it stores their configs
// sealed, enforces Logto's rules (one email and one SMS connector at a
// time; one connector per non-standard factory) and builds senders.
//
// It keeps no state besides its collaborators: every call reads the store,
// so a change made through any server process takes effect on every other
// one at once.
type Service struct {
	store    store.Store
	sealer   *seal.Sealer
	registry *Registry
	env      Env
}

// NewService returns a service over st. sealer seals configs at rest; a
// nil sealer stores them unencrypted (seal's "plain:" form).
func NewService(st store.Store, sealer *seal.Sealer, opt Options) *Service {
	if opt.Registry == nil {
		opt.Registry = DefaultRegistry()
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = DefaultHTTPClient()
	}
	return &Service{store: st, sealer: sealer, registry: opt.Registry, env: Env{HTTPClient: opt.HTTPClient, Now: opt.Now}}
}

// Registry returns the service's factories.
func (s *Service) Registry() *Registry { return s.registry }

// Connector is a stored connector with its factory and its config in the
// clear. It marshals to Logto's connector response with secrets masked,
// and prints as its id alone.
type Connector struct {
	store.Connector
	Factory *Factory
	Config  json.RawMessage
}

// MarshalJSON renders c in Logto's ConnectorResponse shape: the factory's
// metadata (overridden by the connector's own for standard factories), the
// connector's fields, and the config with every secret masked (see
// MaskValue). The sealed config never appears.
func (c Connector) MarshalJSON() ([]byte, error) {
	md := c.effectiveMetadata()
	metadata := c.Metadata
	if len(bytes.TrimSpace(metadata)) == 0 || string(bytes.TrimSpace(metadata)) == "null" {
		metadata = json.RawMessage("{}")
	}
	return json.Marshal(struct {
		Type Type `json:"type"`
		Metadata
		ID                 string          `json:"id"`
		ConnectorID        string          `json:"connectorId"`
		SyncProfile        bool            `json:"syncProfile"`
		EnableTokenStorage bool            `json:"enableTokenStorage"`
		ConnectorMetadata  json.RawMessage `json:"metadata"`
		IsDemo             bool            `json:"isDemo"`
		Config             json.RawMessage `json:"config"`
	}{
		Type: c.Factory.Type, Metadata: md, ID: c.ID, ConnectorID: c.ConnectorID,
		SyncProfile: c.SyncProfile, EnableTokenStorage: c.EnableTokenStorage,
		ConnectorMetadata: metadata, Config: c.Factory.Mask(c.Config),
	})
}

// String names the connector without its config, so that printing one
// never shows a secret.
func (c Connector) String() string {
	return "connector " + c.ID + " (" + c.ConnectorID + ")"
}

// GoString is String, for %#v.
func (c Connector) GoString() string { return c.String() }

// effectiveMetadata is the factory's metadata with the connector's own
// target, name and logos over it, for standard factories (Logto lets only
// those be overridden).
func (c *Connector) effectiveMetadata() Metadata {
	md := c.Factory.Metadata
	if !md.IsStandard || len(c.Metadata) == 0 {
		return md
	}
	var over struct {
		Target   *string           `json:"target"`
		Name     map[string]string `json:"name"`
		Logo     *string           `json:"logo"`
		LogoDark *string           `json:"logoDark"`
	}
	if json.Unmarshal(c.Metadata, &over) != nil {
		return md
	}
	if over.Target != nil && *over.Target != "" {
		md.Target = *over.Target
	}
	if len(over.Name) > 0 {
		md.Name = over.Name
	}
	if over.Logo != nil && *over.Logo != "" {
		md.Logo = *over.Logo
	}
	if over.LogoDark != nil && *over.LogoDark != "" {
		md.LogoDark = over.LogoDark
	}
	return md
}

// Target is the connector's target: its own for a standard connector that
// sets one, its factory's otherwise.
func (c *Connector) Target() string { return c.effectiveMetadata().Target }

// DisplayName is the connector's name per language ("en", "zh-CN", ...).
func (c *Connector) DisplayName() map[string]string { return c.effectiveMetadata().Name }

// Logo is the URL (often a data: URI) of the connector's logo.
func (c *Connector) Logo() string { return c.effectiveMetadata().Logo }

// LogoDark is the logo for dark backgrounds, or "".
func (c *Connector) LogoDark() string {
	if d := c.effectiveMetadata().LogoDark; d != nil {
		return *d
	}
	return ""
}

// open pairs a record with its factory and opens its config. ok is false
// for a record whose factory this server does not have (written by a newer
// version, say): such records are left alone and not listed.
func (s *Service) open(rec store.Connector) (*Connector, bool, error) {
	f, ok := s.registry.Factory(rec.ConnectorID)
	if !ok {
		return nil, false, nil
	}
	plain, err := s.sealer.Open(rec.SealedConfig)
	if err != nil {
		return nil, true, fmt.Errorf("connector %s: opening config: %w", rec.ID, err)
	}
	return &Connector{Connector: rec, Factory: f, Config: json.RawMessage(plain)}, true, nil
}

// List returns every connector, oldest first.
func (s *Service) List(ctx context.Context) ([]*Connector, error) {
	return s.list(ctx, s.store)
}

func (s *Service) list(ctx context.Context, st store.Store) ([]*Connector, error) {
	recs, err := st.ListConnectors(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Connector, 0, len(recs))
	for _, rec := range recs {
		c, ok, err := s.open(rec)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// Get returns one connector; store.ErrNotFound when there is none.
func (s *Service) Get(ctx context.Context, id string) (*Connector, error) {
	return s.get(ctx, s.store, id)
}

func (s *Service) get(ctx context.Context, st store.Store, id string) (*Connector, error) {
	rec, err := st.GetConnector(ctx, id)
	if err != nil {
		return nil, err
	}
	c, ok, err := s.open(*rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("connector %s has unknown factory %q: %w", id, rec.ConnectorID, store.ErrNotFound)
	}
	return c, nil
}

// CreateInput is a new connector.
type CreateInput struct {
	ID                 string // "" for a random 12-character id
	FactoryID          string
	Config             json.RawMessage
	Metadata           json.RawMessage // nil or {} unless the factory is standard
	SyncProfile        bool
	EnableTokenStorage bool
}

// Create validates and stores a new connector in one transaction. As in
// Logto, a factory that is not standard allows one connector
// (ErrMultipleInstances), and a new email or SMS connector replaces every
// other connector of its type: creating an HTTP email connector deletes the
// SMTP one. Errors: ErrUnknownFactory, ErrMetadataNotAllowed, a
// *ConfigError, ErrMultipleInstances, a *store.ConflictError on "id".
func (s *Service) Create(ctx context.Context, in CreateInput) (*Connector, error) {
	f, ok := s.registry.Factory(in.FactoryID)
	if !ok {
		return nil, ErrUnknownFactory
	}
	if !f.Metadata.IsStandard && !emptyMetadata(in.Metadata) {
		return nil, ErrMetadataNotAllowed
	}
	if err := f.Validate(in.Config); err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal(in.Config)
	if err != nil {
		return nil, err
	}
	rec := store.Connector{ID: in.ID, ConnectorID: f.Metadata.ID, SealedConfig: sealed,
		SyncProfile: in.SyncProfile, EnableTokenStorage: in.EnableTokenStorage}
	if f.Metadata.IsStandard {
		rec.Metadata = in.Metadata
	}
	var out *Connector
	err = s.store.InTx(ctx, func(tx store.Store) error {
		existing, err := s.list(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range existing {
			if f.SingleInstance && c.ConnectorID == f.Metadata.ID {
				return ErrMultipleInstances
			}
		}
		if targetTaken(existing, &Connector{Connector: rec, Factory: f}) {
			return ErrTargetInUse
		}
		if err := tx.CreateConnector(ctx, &rec); err != nil {
			return err
		}
		if f.Type == TypeEmail || f.Type == TypeSMS {
			for _, c := range existing {
				if c.Factory.Type == f.Type {
					if err := tx.DeleteConnector(ctx, c.ID); err != nil {
						return err
					}
				}
			}
		}
		out, err = s.get(ctx, tx, rec.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// targetTaken reports whether another social connector of c's platform
// has c's target. Users' social identities are keyed by target, so two
// such connectors would let an account at one provider sign in as the
// holder of the same account id at the other (Logto refuses it too).
func targetTaken(existing []*Connector, c *Connector) bool {
	if c.Factory.Type != TypeSocial {
		return false
	}
	platform := func(c *Connector) string {
		if p := c.Factory.Metadata.Platform; p != nil {
			return *p
		}
		return ""
	}
	for _, other := range existing {
		if other.ID != c.ID && other.Factory.Type == TypeSocial && other.Target() == c.Target() && platform(other) == platform(c) {
			return true
		}
	}
	return false
}

// UpdateInput changes a connector; nil fields are left as they are.
type UpdateInput struct {
	// Config replaces the whole config. A secret field sent back in its
	// masked form (as the API showed it) keeps the stored secret.
	Config             json.RawMessage
	Metadata           json.RawMessage
	SyncProfile        *bool
	EnableTokenStorage *bool
}

// Update changes a connector in one transaction. Errors: store.ErrNotFound,
// ErrMetadataNotAllowed, ErrSyncProfileNotSupported, a *ConfigError.
func (s *Service) Update(ctx context.Context, id string, in UpdateInput) (*Connector, error) {
	var out *Connector
	err := s.store.InTx(ctx, func(tx store.Store) error {
		c, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		f := c.Factory
		if in.Metadata != nil {
			if !f.Metadata.IsStandard && !emptyMetadata(in.Metadata) {
				return ErrMetadataNotAllowed
			}
			if f.Metadata.IsStandard {
				c.Metadata = in.Metadata
			}
		}
		if in.Metadata != nil && f.Type == TypeSocial {
			existing, err := s.list(ctx, tx)
			if err != nil {
				return err
			}
			if targetTaken(existing, c) {
				return ErrTargetInUse
			}
		}
		if in.SyncProfile != nil {
			if *in.SyncProfile && f.Type != TypeSocial {
				return ErrSyncProfileNotSupported
			}
			c.SyncProfile = *in.SyncProfile
		}
		if in.EnableTokenStorage != nil {
			c.EnableTokenStorage = *in.EnableTokenStorage
		}
		if in.Config != nil {
			cfg := f.Unmask(in.Config, c.Config)
			if err := f.Validate(cfg); err != nil {
				return err
			}
			if c.SealedConfig, err = s.sealer.Seal(cfg); err != nil {
				return err
			}
		}
		if err := tx.UpdateConnector(ctx, &c.Connector); err != nil {
			return err
		}
		out, err = s.get(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a connector; store.ErrNotFound when there is none.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.store.InTx(ctx, func(tx store.Store) error {
		return tx.DeleteConnector(ctx, id)
	})
}

// Sender returns a sender for the configured connector of type t (TypeEmail
// or TypeSMS), or ErrNoConnector. Should several exist (two
// creations racing), the newest wins.
func (s *Service) Sender(ctx context.Context, t Type) (Sender, error) {
	list, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(list) - 1; i >= 0; i-- {
		c := list[i]
		if c.Factory.Type == t && c.Factory.NewSender != nil {
			return c.Factory.NewSender(c.Config, s.env)
		}
	}
	return nil, ErrNoConnector
}

// Test sends msg with factory factoryID configured by config, without
// storing anything: Logto's connector test. want is the type the recipient
// calls for (TypeEmail for an address, TypeSMS for a phone number). Secrets
// sent in masked form are taken from the stored connector of that factory,
// if there is one. Errors: ErrUnknownFactory (no such email or SMS
// factory), ErrUnexpectedType, a *ConfigError, or the sender's error.
func (s *Service) Test(ctx context.Context, factoryID string, want Type, config json.RawMessage, msg Message) error {
	f, ok := s.registry.Factory(factoryID)
	if !ok || f.NewSender == nil {
		return ErrUnknownFactory
	}
	if f.Type != want {
		return ErrUnexpectedType
	}
	if stored, err := s.List(ctx); err == nil {
		for _, c := range stored {
			if c.ConnectorID == factoryID {
				config = f.Unmask(config, c.Config)
			}
		}
	} else {
		return err
	}
	if err := f.Validate(config); err != nil {
		return err
	}
	sender, err := f.NewSender(config, s.env)
	if err != nil {
		return err
	}
	return sender.Send(ctx, msg)
}

// emptyMetadata reports whether metadata sets nothing: absent, null, {} or
// an object of nulls and empty values (what a client that read {} back
// would send).
func emptyMetadata(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, v := range m {
		switch v := v.(type) {
		case nil:
		case string:
			if v != "" {
				return false
			}
		case map[string]any:
			if len(v) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// IsConfigError reports whether err is a *ConfigError and returns it.
func IsConfigError(err error) (*ConfigError, bool) {
	var ce *ConfigError
	ok := errors.As(err, &ce)
	return ce, ok
}

// Social opens the social connector id: the stored connector and a
// provider built from its config. store.ErrNotFound when there is no such
// connector or it is not a social one.
func (s *Service) Social(ctx context.Context, id string) (*Connector, Social, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if c.Factory.Type != TypeSocial || c.Factory.NewSocial == nil {
		return nil, nil, fmt.Errorf("connector %s is not a social connector: %w", id, store.ErrNotFound)
	}
	p, err := c.Factory.NewSocial(c.Config, s.env)
	if err != nil {
		return nil, nil, err
	}
	return c, p, nil
}
