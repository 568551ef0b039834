// Package store defines Gatehouse's domain records and the Store interface
// that every storage backend implements. The protocol and API packages depend
// only on this package; internal/store/sqlstore is the implementation.
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned when the requested record does not exist.
var ErrNotFound = errors.New("store: not found")

// ConflictError reports a unique constraint violation. Field names the
// conflicting attribute as the domain knows it ("username", "indicator", ...)
// when the backend can tell, and is empty otherwise.
type ConflictError struct{ Field string }

func (e *ConflictError) Error() string {
	if e.Field == "" {
		return "store: conflict"
	}
	return "store: conflict on " + e.Field
}

// IsConflict reports whether err is, or wraps, a *ConflictError.
func IsConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}

// Store is the whole persistent state of a Gatehouse deployment. Every method
// is atomic on its own; InTx groups several calls into one transaction.
// Times are Unix milliseconds, as Logto's JSON carries them.
type Store interface {
	// InTx runs fn with a Store bound to one transaction. The transaction
	// commits when fn returns nil and rolls back otherwise. Calling InTx on a
	// Store that is already bound to a transaction runs fn in that transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error

	Applications
	Users
	Authorization
	SigningKeys
	OIDCObjects
	Settings

	// SchemaVersion returns the applied and the embedded migration versions.
	SchemaVersion(ctx context.Context) (applied, latest int, err error)
	Close() error
}

// Page selects a window of a list: Page counts from 1, a PageSize of 0 means all.
type Page struct {
	Page     int
	PageSize int
}

// Applications stores OAuth clients and their secrets.
type Applications interface {
	CreateApplication(ctx context.Context, app *Application) error
	GetApplication(ctx context.Context, id string) (*Application, error)
	// ListApplications returns applications of the given types (all when
	// types is empty) in creation order, and the total count before paging.
	ListApplications(ctx context.Context, types []ApplicationType, search string, page Page) ([]Application, int, error)
	UpdateApplication(ctx context.Context, app *Application) error
	DeleteApplication(ctx context.Context, id string) error

	CreateApplicationSecret(ctx context.Context, s *ApplicationSecret) error
	ListApplicationSecrets(ctx context.Context, appID string) ([]ApplicationSecret, error)
	DeleteApplicationSecret(ctx context.Context, appID, name string) error
}

// Users stores end users.
type Users interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	// FindUserByIdentifier looks a user up by username, primary email or
	// primary phone, case-insensitively for username and email.
	FindUserByIdentifier(ctx context.Context, kind IdentifierKind, value string) (*User, error)
	ListUsers(ctx context.Context, search string, page Page) ([]User, int, error)
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, id string) error
}

// Authorization stores API resources, their scopes (permissions), roles and
// role assignments.
type Authorization interface {
	CreateResource(ctx context.Context, r *Resource) error
	GetResource(ctx context.Context, id string) (*Resource, error)
	GetResourceByIndicator(ctx context.Context, indicator string) (*Resource, error)
	ListResources(ctx context.Context, page Page) ([]Resource, int, error)
	UpdateResource(ctx context.Context, r *Resource) error
	DeleteResource(ctx context.Context, id string) error

	CreateScope(ctx context.Context, s *Scope) error
	GetScope(ctx context.Context, id string) (*Scope, error)
	ListScopes(ctx context.Context, resourceID string) ([]Scope, error)
	UpdateScope(ctx context.Context, s *Scope) error
	DeleteScope(ctx context.Context, id string) error

	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, id string) (*Role, error)
	GetRoleByName(ctx context.Context, name string) (*Role, error)
	ListRoles(ctx context.Context, roleType RoleType, page Page) ([]Role, int, error)
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, id string) error

	AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error
	RemoveRoleScope(ctx context.Context, roleID, scopeID string) error
	ListRoleScopes(ctx context.Context, roleID string) ([]Scope, error)

	AssignUserRoles(ctx context.Context, userID string, roleIDs []string) error
	RemoveUserRole(ctx context.Context, userID, roleID string) error
	ListUserRoles(ctx context.Context, userID string) ([]Role, error)

	AssignApplicationRoles(ctx context.Context, appID string, roleIDs []string) error
	RemoveApplicationRole(ctx context.Context, appID, roleID string) error
	ListApplicationRoles(ctx context.Context, appID string) ([]Role, error)

	// GrantedScopes returns the names of the scopes of resourceID that the
	// subject's roles hold, without duplicates, sorted.
	GrantedScopes(ctx context.Context, subject Subject, resourceID string) ([]string, error)
}

// SigningKeys stores the token signing key ring.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// RetireSigningKey sets RetiredAt on a key that has none yet.
	RetireSigningKey(ctx context.Context, id string, at int64) error
	DeleteSigningKey(ctx context.Context, id string) error
}

// OIDCObjects stores short-lived protocol state: interactions, sessions,
// authorization codes, refresh tokens and opaque access tokens. Payloads are
// opaque JSON owned by the protocol layer.
type OIDCObjects interface {
	PutObject(ctx context.Context, o *OIDCObject) error
	// GetObject returns the object even when consumed; it returns ErrNotFound
	// when it does not exist or has expired by now (Unix ms).
	GetObject(ctx context.Context, kind ObjectKind, id string, now int64) (*OIDCObject, error)
	// ConsumeObject marks a live, unconsumed object consumed and returns it.
	// When the object exists but was already consumed it returns the object
	// and ErrConsumed; exactly one concurrent caller can succeed.
	ConsumeObject(ctx context.Context, kind ObjectKind, id string, at int64) (*OIDCObject, error)
	UpdateObjectPayload(ctx context.Context, kind ObjectKind, id string, payload []byte) error
	DeleteObject(ctx context.Context, kind ObjectKind, id string) error
	// RevokeFamily deletes every object that carries familyID and returns
	// how many were deleted.
	RevokeFamily(ctx context.Context, familyID string) (int, error)
	// DeleteExpiredObjects removes objects whose ExpiresAt is before now.
	DeleteExpiredObjects(ctx context.Context, now int64) (int, error)
}

// ErrConsumed is returned by ConsumeObject for an object that was already consumed.
var ErrConsumed = errors.New("store: already consumed")

// Settings stores small named JSON documents (sign-in experience and the like).
type Settings interface {
	GetSetting(ctx context.Context, key string) ([]byte, error)
	PutSetting(ctx context.Context, key string, value []byte) error
}
