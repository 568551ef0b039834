// Package sso runs Gatehouse's enterprise single sign-on connectors,
// Logto's SSO connectors: OpenID Connect providers (generic OIDC, Microsoft
// Entra ID, Okta, Google Workspace) and SAML 2.0 identity providers
// (generic SAML, Microsoft Entra ID), each routed to by the email domains
// its administrator lists.
//
// A connector is opened into a Provider, which the hosted sign-in pages
// drive like a social connector: the browser goes to AuthorizationURL and
// comes back to <ENDPOINT>/callback/<connector id>, where UserInfo checks
// the answer. Connector configs, client secrets included, are sealed at
// rest; the Management API shows them with secrets masked.
package sso

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Provider is an opened SSO connector: a connector.Social that also names
// the identity namespace of its accounts (the OIDC issuer, or the SAML
// IdP's entity id), which SSO identities are keyed by.
type Provider interface {
	connector.Social
	Issuer() string
}

// Options configures a Service.
type Options struct {
	// HTTPClient fetches discovery documents, metadata and tokens; nil
	// means connector.DefaultHTTPClient().
	HTTPClient *http.Client
	// Now is the clock of every token and assertion check; nil means
	// time.Now.
	Now func() time.Time
	// Endpoint is ENDPOINT, the public base URL: callback URLs and SAML SP
	// entity ids derive from it.
	Endpoint string
}

// Service manages SSO connectors and opens them. It reads the store on
// every call, so a change made through any server process applies to all
// of them at once; only identity providers' discovery documents and
// metadata are cached, for fetchTTL.
type Service struct {
	store    store.Store
	sealer   *seal.Sealer
	client   *http.Client
	now      func() time.Time
	endpoint string
	cache    fetchCache
}

// NewService returns a service over st; sealer seals configs at rest (nil
// stores them unencrypted, in seal's "plain:" form).
func NewService(st store.Store, sealer *seal.Sealer, opt Options) *Service {
	if opt.HTTPClient == nil {
		opt.HTTPClient = connector.DefaultHTTPClient()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Service{store: st, sealer: sealer, client: opt.HTTPClient, now: opt.Now,
		endpoint: strings.TrimSuffix(opt.Endpoint, "/"), cache: fetchCache{entries: map[string]fetched{}}}
}

// CallbackURL is where the identity provider sends the browser back: the
// OIDC redirect URI and the SAML Assertion Consumer Service URL.
func (s *Service) CallbackURL(connectorID string) string {
	return s.endpoint + "/callback/" + connectorID
}

// SPEntityID is the SAML service provider entity id of a connector,
// Logto's <ENDPOINT>/enterprise-sso/<id>.
func (s *Service) SPEntityID(connectorID string) string {
	return s.endpoint + "/enterprise-sso/" + connectorID
}

// Connector is a stored SSO connector with its provider kind and its
// config in the clear. It prints as its id alone, never its config.
type Connector struct {
	store.SSOConnector
	Info   ProviderInfo
	Config json.RawMessage
}

func (c Connector) String() string   { return "sso connector " + c.ID + " (" + c.ProviderName + ")" }
func (c Connector) GoString() string { return c.String() }

type branding struct {
	DisplayName string `json:"displayName"`
	Logo        string `json:"logo"`
	DarkLogo    string `json:"darkLogo"`
}

func (c *Connector) branding() branding {
	var b branding
	_ = json.Unmarshal(c.Branding, &b)
	return b
}

// DisplayName is the sign-in button's label: the branding's display name,
// else the provider's name ("Okta"), as Logto's sign-in page shows it.
func (c *Connector) DisplayName() string {
	if b := c.branding(); b.DisplayName != "" {
		return b.DisplayName
	}
	return c.Info.Name
}

// Logo is the sign-in button's logo: the branding's, else the provider's.
func (c *Connector) Logo() string {
	if b := c.branding(); b.Logo != "" {
		return b.Logo
	}
	return c.Info.Logo
}

// LogoDark is the logo for dark backgrounds.
func (c *Connector) LogoDark() string {
	if b := c.branding(); b.DarkLogo != "" {
		return b.DarkLogo
	}
	return c.Info.LogoDark
}

// MaskedConfig is the config as the API shows it: the client secret
// masked (connector.MaskValue).
func (c *Connector) MaskedConfig() json.RawMessage { return maskConfig(c.Config) }

// ValidConfig reports whether the config is complete for its provider
// kind; a connector created without one is listed but cannot sign anyone in.
func (c *Connector) ValidConfig() bool {
	_, err := parseConfig(c.Info, c.Config)
	return err == nil
}

// open pairs a record with its provider kind and opens its config. ok is
// false for a provider this server does not know (written by a newer
// version): such records are skipped.
func (s *Service) open(rec store.SSOConnector) (*Connector, bool, error) {
	info, ok := lookupProvider(rec.ProviderName)
	if !ok {
		return nil, false, nil
	}
	plain, err := s.sealer.Open(rec.SealedConfig)
	if err != nil {
		return nil, true, fmt.Errorf("sso connector %s: opening config: %w", rec.ID, err)
	}
	if rec.Domains == nil {
		rec.Domains = []string{}
	}
	if len(rec.Branding) == 0 {
		rec.Branding = json.RawMessage("{}")
	}
	return &Connector{SSOConnector: rec, Info: info, Config: json.RawMessage(plain)}, true, nil
}

// List returns every connector, oldest first.
func (s *Service) List(ctx context.Context) ([]*Connector, error) {
	recs, err := s.store.ListSSOConnectors(ctx)
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

// Available returns the connectors the sign-in page offers: a complete
// config and at least one email domain (Logto's rule), oldest first.
func (s *Service) Available(ctx context.Context) ([]*Connector, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if len(c.Domains) > 0 && c.ValidConfig() {
			out = append(out, c)
		}
	}
	return out, nil
}

// Get returns one connector; store.ErrNotFound when there is none (or its
// provider is unknown to this server).
func (s *Service) Get(ctx context.Context, id string) (*Connector, error) {
	rec, err := s.store.GetSSOConnector(ctx, id)
	if err != nil {
		return nil, err
	}
	c, ok, err := s.open(*rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("sso connector %s: unknown provider %q: %w", id, rec.ProviderName, store.ErrNotFound)
	}
	return c, nil
}

// ForEmail returns the available connector whose domains hold the email's
// domain (compared without case); the oldest when several do.
// store.ErrNotFound when none does.
func (s *Service) ForEmail(ctx context.Context, email string) (*Connector, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 {
		return nil, fmt.Errorf("sso: %w: not an email address", store.ErrNotFound)
	}
	domain := strings.ToLower(strings.TrimSpace(email[at+1:]))
	list, err := s.Available(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		for _, d := range c.Domains {
			if strings.EqualFold(d, domain) {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("sso: no connector for the domain %s: %w", domain, store.ErrNotFound)
}

// Open returns a connector and a provider built from it. The OIDC
// discovery document or SAML metadata comes from the cache when it was
// fetched in the last fetchTTL. An incomplete config is a *ConfigError.
func (s *Service) Open(ctx context.Context, id string) (*Connector, Provider, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.provider(ctx, c, false)
	if err != nil {
		return nil, nil, err
	}
	return c, p, nil
}

// provider builds c's provider; fresh skips the cache (when the config has
// just been written, its identity provider must answer now).
func (s *Service) provider(ctx context.Context, c *Connector, fresh bool) (Provider, error) {
	if c.Info.ProviderType == TypeOIDC {
		cfg, err := decodeOIDC(c.ProviderName, c.Config)
		if err != nil {
			return nil, err
		}
		issuer := cfg.Issuer
		if c.ProviderName == ProviderGoogleWorkspace {
			issuer = googleIssuer
		}
		disc, err := s.discovery(ctx, issuer, fresh)
		if err != nil {
			return nil, err
		}
		return &oidcProvider{kind: c.ProviderName, cfg: cfg, disc: disc, client: s.client, now: s.now}, nil
	}
	cfg, err := decodeSAML(c.Config)
	if err != nil {
		return nil, err
	}
	idp, err := s.idpMetadata(ctx, cfg, fresh)
	if err != nil {
		return nil, err
	}
	return &samlProvider{connectorID: c.ID, spEntityID: s.SPEntityID(c.ID), acsURL: s.CallbackURL(c.ID),
		idp: idp, mapping: cfg.AttributeMapping.withDefaults(), now: s.now}, nil
}

func (s *Service) discovery(ctx context.Context, issuer string, fresh bool) (*oidcDiscovery, error) {
	key := "oidc\x00" + issuer
	if !fresh {
		if v, ok := s.cache.get(key, s.now()); ok {
			return v.(*oidcDiscovery), nil
		}
	}
	d, err := discover(ctx, s.client, issuer)
	if err != nil {
		return nil, err
	}
	s.cache.put(key, d, s.now())
	return d, nil
}

func (s *Service) idpMetadata(ctx context.Context, cfg *samlConfig, fresh bool) (*idpMetadata, error) {
	switch {
	case cfg.MetadataURL != "":
		key := "saml\x00" + cfg.MetadataURL
		if !fresh {
			if v, ok := s.cache.get(key, s.now()); ok {
				return v.(*idpMetadata), nil
			}
		}
		raw, err := fetchMetadata(ctx, s.client, cfg.MetadataURL)
		if err != nil {
			return nil, err
		}
		md, err := parseMetadata(raw)
		if err != nil {
			return nil, err
		}
		s.cache.put(key, md, s.now())
		return md, nil
	case cfg.Metadata != "":
		return parseMetadata([]byte(cfg.Metadata))
	}
	cert, err := parseCertificate(cfg.X509Certificate)
	if err != nil {
		return nil, err
	}
	return &idpMetadata{EntityID: cfg.EntityID, SSOURL: cfg.SignInEndpoint, Certs: []*x509.Certificate{cert}}, nil
}

// ProviderConfig is Logto's providerConfig of a connector: for OIDC kinds
// the discovered endpoints with the config (secret masked), for SAML kinds
// the SP's entity id and ACS URL, the default attribute mapping and the
// parsed IdP metadata. Besides Logto's fields, OIDC kinds carry
// redirectUri, the value to register at the provider. It is nil when the
// identity provider cannot be reached or the config is incomplete (an
// OIDC connector), as Logto leaves it out then.
func (s *Service) ProviderConfig(ctx context.Context, c *Connector) json.RawMessage {
	if c.Info.ProviderType == TypeOIDC {
		p, err := s.provider(ctx, c, false)
		if err != nil {
			return nil
		}
		op := p.(*oidcProvider)
		out := map[string]any{
			"clientId": op.cfg.ClientID, "clientSecret": connector.MaskValue(op.cfg.ClientSecret),
			"issuer": op.disc.doc.Issuer, "scope": strings.Join(scopes(op.cfg.Scope), " "),
			"trustUnverifiedEmail":  op.cfg.TrustUnverifiedEmail,
			"authorizationEndpoint": op.disc.doc.AuthorizationEndpoint, "tokenEndpoint": op.disc.doc.TokenEndpoint,
			"jwksUri": op.disc.doc.JWKSURI, "redirectUri": s.CallbackURL(c.ID),
		}
		if op.disc.doc.UserinfoEndpoint != "" {
			out["userinfoEndpoint"] = op.disc.doc.UserinfoEndpoint
		}
		b, _ := json.Marshal(out)
		return b
	}
	out := map[string]any{
		"defaultAttributeMapping": defaultAttributeMapping,
		"serviceProvider": map[string]string{
			"entityId": s.SPEntityID(c.ID), "assertionConsumerServiceUrl": s.CallbackURL(c.ID),
		},
	}
	if p, err := s.provider(ctx, c, false); err == nil {
		idp := p.(*samlProvider).idp
		cert := idp.Certs[0]
		out["identityProvider"] = map[string]any{
			"entityId": idp.EntityID, "signInEndpoint": idp.SSOURL, "x509Certificate": certificatePEM(cert),
			"certificateExpiresAt": cert.NotAfter.UnixMilli(), "isCertificateValid": s.now().Before(cert.NotAfter),
		}
	}
	b, _ := json.Marshal(out)
	return b
}

// CreateInput is a new connector as POST /api/sso-connectors takes it.
type CreateInput struct {
	ProviderName  string
	ConnectorName string
	// Config is nil when the connector is created without one yet (Logto
	// allows it; the connector cannot sign in until it has one).
	Config             json.RawMessage
	Domains            []string
	Branding           json.RawMessage
	SyncProfile        bool
	EnableTokenStorage bool
}

// Create validates and stores a connector. Errors: ErrUnknownProvider,
// *InputError, *DomainError, *ConfigError (also when the identity provider
// cannot be reached with the config), ErrSigningKeyRequired,
// ErrTokenStorageUnsupported, *store.ConflictError on "connectorName".
func (s *Service) Create(ctx context.Context, in CreateInput) (*Connector, error) {
	info, ok := lookupProvider(in.ProviderName)
	if !ok {
		return nil, ErrUnknownProvider
	}
	if err := checkName(in.ConnectorName); err != nil {
		return nil, err
	}
	rec := store.SSOConnector{ProviderName: info.ProviderName, ConnectorName: in.ConnectorName, SyncProfile: in.SyncProfile,
		Domains: []string{}, CreatedAt: s.now().UnixMilli()}
	var err error
	if in.Domains != nil {
		if rec.Domains, err = normalizeDomains(in.Domains); err != nil {
			return nil, err
		}
	}
	config := json.RawMessage("{}")
	if in.Config != nil {
		if config, err = parseConfig(info, in.Config); err != nil {
			return nil, err
		}
	}
	if rec.Branding, err = brandingObject(in.Branding); err != nil {
		return nil, err
	}
	if err := s.nameFree(ctx, in.ConnectorName, ""); err != nil {
		return nil, err
	}
	if in.EnableTokenStorage {
		return nil, ErrTokenStorageUnsupported
	}
	// 12 characters, as Logto's generateStandardShortId.
	rec.ID = id.New(id.UserLength)
	c := &Connector{SSOConnector: rec, Info: info, Config: config}
	if in.Config != nil {
		if _, err := s.provider(ctx, c, true); err != nil {
			return nil, err
		}
	}
	if c.SealedConfig, err = s.sealer.Seal(config); err != nil {
		return nil, fmt.Errorf("sealing sso connector config: %w", err)
	}
	if err := s.store.CreateSSOConnector(ctx, &c.SSOConnector); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateInput is a partial update as PATCH /api/sso-connectors/{id} takes
// it: nil fields stay as they are. A config replaces the stored one
// whole, except that a client secret sent back masked keeps its value.
type UpdateInput struct {
	ConnectorName      *string
	Config             json.RawMessage
	Domains            *[]string
	Branding           json.RawMessage
	SyncProfile        *bool
	EnableTokenStorage *bool
}

// Update applies in to the connector id, with Create's errors and
// store.ErrNotFound.
func (s *Service) Update(ctx context.Context, id string, in UpdateInput) (*Connector, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.Domains != nil {
		if c.Domains, err = normalizeDomains(*in.Domains); err != nil {
			return nil, err
		}
	}
	if in.ConnectorName != nil {
		if err := checkName(*in.ConnectorName); err != nil {
			return nil, err
		}
		if err := s.nameFree(ctx, *in.ConnectorName, id); err != nil {
			return nil, err
		}
		c.ConnectorName = *in.ConnectorName
	}
	newConfig := false
	if in.Config != nil {
		config, err := parseConfig(c.Info, unmaskConfig(in.Config, c.Config))
		if err != nil {
			return nil, err
		}
		c.Config, newConfig = config, true
	}
	if in.Branding != nil {
		if c.Branding, err = brandingObject(in.Branding); err != nil {
			return nil, err
		}
	}
	if in.SyncProfile != nil {
		c.SyncProfile = *in.SyncProfile
	}
	if in.EnableTokenStorage != nil && *in.EnableTokenStorage {
		return nil, ErrTokenStorageUnsupported
	}
	if newConfig {
		if _, err := s.provider(ctx, c, true); err != nil {
			return nil, err
		}
	}
	if c.SealedConfig, err = s.sealer.Seal(c.Config); err != nil {
		return nil, fmt.Errorf("sealing sso connector config: %w", err)
	}
	if err := s.store.UpdateSSOConnector(ctx, &c.SSOConnector); err != nil {
		return nil, err
	}
	return c, nil
}

// Delete removes a connector and the SSO identities made through it.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.store.DeleteSSOConnector(ctx, id)
}

func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return &InputError{Field: "connectorName", Reason: "must not be empty"}
	case len(name) > 128:
		return &InputError{Field: "connectorName", Reason: "must be at most 128 characters"}
	}
	return nil
}

// nameFree fails with a conflict when another connector than self has the
// name, before any identity provider is contacted; the store's unique
// index still decides races.
func (s *Service) nameFree(ctx context.Context, name, self string) error {
	recs, err := s.store.ListSSOConnectors(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.ConnectorName == name && r.ID != self {
			return &store.ConflictError{Field: "connectorName"}
		}
	}
	return nil
}

// fetchTTL is how long a discovery document or metadata stays cached.
// Keys are fetched again by go-oidc when a token names an unknown one.
const fetchTTL = 10 * time.Minute

type fetched struct {
	v  any
	at time.Time
}

// fetchCache holds parsed discovery documents and metadata by URL.
type fetchCache struct {
	mu      sync.Mutex
	entries map[string]fetched
}

func (c *fetchCache) get(key string, now time.Time) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) > fetchTTL || now.Before(e.at) {
		return nil, false
	}
	return e.v, true
}

func (c *fetchCache) put(key string, v any, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if now.Sub(e.at) > fetchTTL {
			delete(c.entries, k)
		}
	}
	c.entries[key] = fetched{v: v, at: now}
}
