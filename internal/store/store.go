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
	Resources
	Roles
	SigningKeys
	OIDCObjects
	Settings
	Connectors
	Hooks
	Logs
	SSO
	Console

	// SchemaVersion returns the applied and the embedded migration versions.
	SchemaVersion(ctx context.Context) (applied, latest int, err error)
	Close() error
}

// Page selects a window of a list: Page counts from 1, a PageSize of 0 means all.
type Page struct {
	Page     int
	PageSize int
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
	// CountFamily counts the live (unexpired at now) objects of kind in
	// familyID and returns the earliest expiry among them (0 when none).
	CountFamily(ctx context.Context, kind ObjectKind, familyID string, now int64) (count int, firstExpiry int64, err error)
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
