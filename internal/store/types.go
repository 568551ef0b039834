package store

import "encoding/json"

// ApplicationType is one of Logto's application types.
type ApplicationType string

const (
	Native           ApplicationType = "Native"
	SPA              ApplicationType = "SPA"
	Traditional      ApplicationType = "Traditional"
	MachineToMachine ApplicationType = "MachineToMachine"
)

// Valid reports whether t is a type Gatehouse serves.
func (t ApplicationType) Valid() bool {
	switch t {
	case Native, SPA, Traditional, MachineToMachine:
		return true
	}
	return false
}

// Confidential reports whether applications of type t authenticate with a secret.
func (t ApplicationType) Confidential() bool {
	return t == Traditional || t == MachineToMachine
}

// OIDCClientMetadata has Logto's oidcClientMetadata shape.
type OIDCClientMetadata struct {
	RedirectURIs                     []string `json:"redirectUris"`
	PostLogoutRedirectURIs           []string `json:"postLogoutRedirectUris"`
	BackchannelLogoutURI             string   `json:"backchannelLogoutUri,omitempty"`
	BackchannelLogoutSessionRequired bool     `json:"backchannelLogoutSessionRequired,omitempty"`
	LogoURI                          string   `json:"logoUri,omitempty"`
}

// CustomClientMetadata has Logto's customClientMetadata shape.
type CustomClientMetadata struct {
	CORSAllowedOrigins      []string `json:"corsAllowedOrigins,omitempty"`
	IDTokenTTL              int      `json:"idTokenTtl,omitempty"`
	RefreshTokenTTL         int      `json:"refreshTokenTtl,omitempty"`
	RefreshTokenTTLInDays   int      `json:"refreshTokenTtlInDays,omitempty"`
	AlwaysIssueRefreshToken bool     `json:"alwaysIssueRefreshToken,omitempty"`
	RotateRefreshToken      *bool    `json:"rotateRefreshToken,omitempty"`
	AllowTokenExchange      bool     `json:"allowTokenExchange,omitempty"`
	IsDeviceFlow            bool     `json:"isDeviceFlow,omitempty"`
	MaxAllowedGrants        int      `json:"maxAllowedGrants,omitempty"`
}

// Application is an OAuth 2.0 client.
type Application struct {
	ID                   string
	Name                 string
	Description          string
	Type                 ApplicationType
	OIDCClientMetadata   OIDCClientMetadata
	CustomClientMetadata CustomClientMetadata
	CustomData           json.RawMessage // a JSON object; nil means {}
	IsThirdParty         bool
	// IDTokenSigningAlg is the JWS algorithm for the application's ID tokens
	// ("" means the server default, ES256).
	IDTokenSigningAlg string
	CreatedAt         int64
}

// ApplicationSecret is one of an application's client secrets. The plain
// value is never stored: Digest (SHA-256 of the value) authenticates, and
// Sealed holds the value encrypted with the key-encryption key (or in the
// clear, prefixed "plain:", when none is configured) so that it can be shown
// to an administrator.
type ApplicationSecret struct {
	ApplicationID string
	Name          string
	Digest        []byte
	Sealed        string
	CreatedAt     int64
	ExpiresAt     int64 // 0 means never
}

// IdentifierKind names what a sign-in identifier is.
type IdentifierKind string

const (
	ByUsername IdentifierKind = "username"
	ByEmail    IdentifierKind = "email"
	ByPhone    IdentifierKind = "phone"
)

// User is an end user. Empty strings stand for Logto's nulls.
type User struct {
	ID                string
	Username          string
	PrimaryEmail      string
	PrimaryPhone      string
	Name              string
	Avatar            string
	Profile           json.RawMessage // JSON object; nil means {}
	CustomData        json.RawMessage // JSON object; nil means {}
	Identities        json.RawMessage // JSON object; nil means {}
	PasswordDigest    string
	PasswordAlgorithm string // Argon2id, Argon2i, Argon2d, Bcrypt, SHA1, SHA256, MD5
	IsSuspended       bool
	LastSignInAt      int64 // 0 means never
	CreatedAt         int64
	UpdatedAt         int64
}

// Resource is an API resource (RFC 8707 resource indicator).
type Resource struct {
	ID             string
	Name           string
	Indicator      string
	AccessTokenTTL int // seconds
	IsDefault      bool
	CreatedAt      int64
}

// Scope is a permission of a resource.
type Scope struct {
	ID          string
	ResourceID  string
	Name        string
	Description string
	CreatedAt   int64
}

// RoleType tells whether a role is held by users or by M2M applications.
type RoleType string

const (
	UserRole RoleType = "User"
	M2MRole  RoleType = "MachineToMachine"
)

// Role is a named set of scopes.
type Role struct {
	ID          string
	Name        string
	Description string
	Type        RoleType
	IsDefault   bool
	CreatedAt   int64
}

// Subject is who a token is about: a user or an M2M application.
type Subject struct {
	UserID        string
	ApplicationID string
}

// SigningKey is one key of the token signing ring.
type SigningKey struct {
	ID        string // the JWK "kid"
	Algorithm string // ES256, ES384, RS256, ...
	// Sealed is the PKCS#8 PEM private key, encrypted with the key-encryption
	// key when one is configured.
	Sealed    string
	CreatedAt int64
	// NotBefore is when the key may start signing; it is published from
	// CreatedAt on so that verifiers know it before they see a token.
	NotBefore int64
	// RetiredAt is when the key stops signing: 0 while it has no end, and
	// possibly in the future (a rotation retires the old key at the instant
	// the new one starts). A retired key stays published until tokens it
	// signed have expired.
	RetiredAt int64
}

// ObjectKind names a kind of OIDC protocol object.
type ObjectKind string

const (
	KindInteraction  ObjectKind = "Interaction"
	KindSession      ObjectKind = "Session"
	KindCode         ObjectKind = "AuthorizationCode"
	KindRefreshToken ObjectKind = "RefreshToken"
	KindAccessToken  ObjectKind = "AccessToken"

	// KindVerificationCode is a one-time email or SMS code (internal/verification).
	KindVerificationCode ObjectKind = "VerificationCode"
	// KindUpstreamCallback is an identity provider's posted callback
	// waiting for the browser's GET (internal/experience).
	KindUpstreamCallback ObjectKind = "UpstreamCallback"
)

// OIDCObject is a piece of protocol state. ID is what the protocol layer
// looks it up by (for tokens, a digest of the token, never the token).
type OIDCObject struct {
	Kind       ObjectKind
	ID         string
	FamilyID   string // grant the object belongs to; "" for none
	Payload    []byte // JSON
	ExpiresAt  int64
	ConsumedAt int64 // 0 while unconsumed
}
