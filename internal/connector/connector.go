// Package connector holds Gatehouse's connectors: the pluggable senders of
// email and SMS messages (and, later, social sign-in providers), described
// by factories with Logto's metadata so that the Management API can list
// and configure them as Logto does.
//
// A factory is a kind of connector (SMTP, HTTP email, HTTP SMS); a
// connector is a configured instance of a factory, stored with its config
// sealed (internal/seal). Service loads the configured email and SMS
// connectors and enforces Logto's rule of one email and one SMS connector
// at a time.
package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Type is a connector's kind, as Logto names it.
type Type string

const (
	TypeEmail  Type = "Email"
	TypeSMS    Type = "Sms"
	TypeSocial Type = "Social"
)

// Logto's template usage types: what a message is for. SMTP templates are
// chosen by usage type, falling back to Generic; HTTP connectors pass it on
// as "type".
const (
	UsageSignIn                   = "SignIn"
	UsageRegister                 = "Register"
	UsageForgotPassword           = "ForgotPassword"
	UsageGeneric                  = "Generic"
	UsageOrganizationInvitation   = "OrganizationInvitation"
	UsageUserPermissionValidation = "UserPermissionValidation"
	UsageBindNewIdentifier        = "BindNewIdentifier"
	UsageMfaVerification          = "MfaVerification"
	UsageBindMfa                  = "BindMfa"
)

// Message is one message to send: a verification code for To (an email
// address or a phone number) for the purpose UsageType.
type Message struct {
	To        string
	UsageType string
	Code      string
	Locale    string // BCP 47 tag of the recipient's language, or ""
	IP        string // the requesting client's address, or ""
}

// Sender sends messages through one configured connector.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// Errors of the connector framework.
var (
	// ErrNoConnector means no connector of the wanted type is configured.
	ErrNoConnector = errors.New("connector: no connector is configured")
	// ErrUnknownFactory means no factory has the given id.
	ErrUnknownFactory = errors.New("connector: unknown connector factory")
	// ErrTargetInUse means another social connector of the same platform
	// has the target.
	ErrTargetInUse = errors.New("connector: another social connector of this platform has the same target")
	// ErrMultipleInstances means a connector of a factory that allows one
	// instance exists already.
	ErrMultipleInstances = errors.New("connector: this connector factory allows one connector only")
	// ErrMetadataNotAllowed means metadata was given for a connector whose
	// factory is not standard (Logto lets only standard connectors override it).
	ErrMetadataNotAllowed = errors.New("connector: metadata can only be set on standard connectors")
	// ErrSyncProfileNotSupported means syncProfile was turned on for a
	// connector that is not social.
	ErrSyncProfileNotSupported = errors.New("connector: only social connectors sync profiles")
	// ErrUnexpectedType means a connector was used for a channel it does not
	// serve (an email address given to an SMS connector).
	ErrUnexpectedType = errors.New("connector: the connector does not send to this kind of address")
)

// ConfigError reports a config that its factory rejects. Field is the path
// of the offending field inside the config ("port", "auth.pass",
// "templates[1].contentType"), or "" for the config as a whole.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "connector config: " + e.Reason
	}
	return "connector config field " + e.Field + ": " + e.Reason
}

// StatusError is a non-2xx answer from an HTTP connector's endpoint. The
// response body is deliberately not kept: it is the endpoint's business and
// may echo the message.
type StatusError struct{ Status int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("connector endpoint answered HTTP %d", e.Status)
}

// Metadata is a factory's description in Logto's shape (the body of
// GET /api/connector-factories/{id} without type and isDemo).
type Metadata struct {
	ID                      string            `json:"id"`
	Target                  string            `json:"target"`
	Platform                *string           `json:"platform"` // null for email and SMS
	Name                    map[string]string `json:"name"`
	Logo                    string            `json:"logo"`
	LogoDark                *string           `json:"logoDark"`
	Description             map[string]string `json:"description"`
	Readme                  string            `json:"readme"`
	ConfigTemplate          string            `json:"configTemplate,omitempty"`
	FormItems               []FormItem        `json:"formItems,omitempty"`
	IsStandard              bool              `json:"isStandard,omitempty"`
	IsTokenStorageSupported bool              `json:"isTokenStorageSupported,omitempty"`
}

// Form item types, as Logto's console renders them.
const (
	FormText          = "Text"
	FormMultilineText = "MultilineText"
	FormNumber        = "Number"
	FormSwitch        = "Switch"
	FormJSON          = "Json"
	FormSelect        = "Select"
	FormMultiSelect   = "MultiSelect"
)

// FormItem describes one config field for Logto's console.
type FormItem struct {
	Type           string       `json:"type"`
	Key            string       `json:"key"`
	Label          string       `json:"label"`
	Placeholder    string       `json:"placeholder,omitempty"`
	Required       bool         `json:"required,omitempty"`
	DefaultValue   any          `json:"defaultValue,omitempty"`
	SelectItems    []SelectItem `json:"selectItems,omitempty"`
	Description    string       `json:"description,omitempty"`
	Tooltip        string       `json:"tooltip,omitempty"`
	IsConfidential bool         `json:"isConfidential,omitempty"`
}

// SelectItem is a choice of a Select or MultiSelect form item.
type SelectItem struct {
	Value string `json:"value"`
	Title string `json:"title,omitempty"`
}

// Env is what factories build senders with.
type Env struct {
	// HTTPClient makes the HTTP connectors' requests. Its timeout and
	// redirect policy are the caller's; NewService's default has a 5 s
	// timeout and follows no redirects.
	HTTPClient *http.Client
	// Now is the clock of ID token checks and signed client assertions;
	// nil means time.Now.
	Now func() time.Time
}

// Clock returns e.Now, or time.Now when it is nil.
func (e Env) Clock() func() time.Time {
	if e.Now == nil {
		return time.Now
	}
	return e.Now
}

// Factory is a kind of connector. Email and SMS factories have NewSender;
// social factories have NewSocial.
type Factory struct {
	Metadata Metadata
	Type     Type
	// SingleInstance limits the factory to one connector (Logto's rule for
	// every factory that is not standard).
	SingleInstance bool
	// Secrets lists the paths of the config fields that hold credentials.
	// Their values are masked in every API response (see Mask).
	Secrets [][]string
	// Validate checks a config, returning a *ConfigError naming the field.
	Validate func(config json.RawMessage) error
	// NewSender builds a sender from a config that Validate accepted.
	NewSender func(config json.RawMessage, env Env) (Sender, error)
	// NewSocial builds a social sign-in provider from a config that
	// Validate accepted.
	NewSocial func(config json.RawMessage, env Env) (Social, error)
}

// MarshalJSON renders the factory in Logto's ConnectorFactoryResponse shape.
func (f Factory) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type   Type `json:"type"`
		IsDemo bool `json:"isDemo"`
		Metadata
	}{f.Type, false, f.Metadata})
}

// Registry is the set of factories a server offers.
type Registry struct {
	byID  map[string]*Factory
	order []*Factory
}

// NewRegistry returns a registry of factories. Ids must be unique.
func NewRegistry(factories ...*Factory) *Registry {
	r := &Registry{byID: map[string]*Factory{}}
	for _, f := range factories {
		r.Add(f)
	}
	return r
}

// Add registers a factory; it panics on a duplicate id, a programming error.
func (r *Registry) Add(f *Factory) {
	if _, dup := r.byID[f.Metadata.ID]; dup {
		panic("connector: duplicate factory id " + f.Metadata.ID)
	}
	r.byID[f.Metadata.ID] = f
	r.order = append(r.order, f)
	sort.SliceStable(r.order, func(i, j int) bool { return r.order[i].Metadata.ID < r.order[j].Metadata.ID })
}

// Factories returns every factory, ordered by id.
func (r *Registry) Factories() []*Factory { return append([]*Factory(nil), r.order...) }

// Factory returns the factory with the given id.
func (r *Registry) Factory(id string) (*Factory, bool) {
	f, ok := r.byID[id]
	return f, ok
}

// Factory ids of the built-in connectors (Logto's).
const (
	SMTPFactoryID      = "simple-mail-transfer-protocol"
	HTTPEmailFactoryID = "http-email"
	HTTPSMSFactoryID   = "http-sms"
)

// DefaultRegistry returns the built-in factories: SMTP, HTTP email and
// HTTP SMS.
func DefaultRegistry() *Registry {
	return NewRegistry(SMTPFactory(), HTTPEmailFactory(), HTTPSMSFactory())
}
