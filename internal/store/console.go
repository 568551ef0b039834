package store

import (
	"context"
	"errors"
)

// Administrator is an account of the admin console. Administrators are not
// users of the applications: they live in a table of their own and sign in
// only on the admin listener.
type Administrator struct {
	ID string // 21 characters
	// Username is unique regardless of case; it keeps the case it was
	// created with.
	Username string
	// PasswordHash is an Argon2id PHC string (internal/password).
	PasswordHash string
	CreatedAt    int64
	// LastSignInAt is 0 until the first sign-in.
	LastSignInAt int64
}

// ConsoleSession is a signed-in administrator's browser session. The
// session token itself is never stored: TokenDigest is its SHA-256 digest,
// so a copy of the database cannot be used to take over a session.
type ConsoleSession struct {
	TokenDigest     []byte // 32 bytes
	AdministratorID string
	// CSRFSecret is the token every form of the session must carry.
	CSRFSecret string
	CreatedAt  int64
	LastSeenAt int64
	// ExpiresAt is the absolute end of the session; the console also ends
	// sessions that have been idle too long (LastSeenAt).
	ExpiresAt int64
}

// ErrAdministratorExists is returned by CreateFirstAdministrator when an
// administrator already exists.
var ErrAdministratorExists = errors.New("store: an administrator already exists")

// ErrLastAdministrator is returned by DeleteAdministrator for the only
// administrator left: the console would have no one to sign in.
var ErrLastAdministrator = errors.New("store: the last administrator cannot be deleted")

// Console stores the admin console's administrators and sessions.
type Console interface {
	// CreateFirstAdministrator inserts a only while no administrator
	// exists, and returns ErrAdministratorExists otherwise. Of concurrent
	// callers, in this process or in others on the same database, exactly
	// one succeeds. It fills in ID and CreatedAt when they are zero.
	CreateFirstAdministrator(ctx context.Context, a *Administrator) error
	// CreateAdministrator inserts a whatever other administrators exist; a
	// username taken in any case is a *ConflictError on "username".
	CreateAdministrator(ctx context.Context, a *Administrator) error
	// CountAdministrators counts every administrator.
	CountAdministrators(ctx context.Context) (int, error)
	GetAdministrator(ctx context.Context, id string) (*Administrator, error)
	// GetAdministratorByUsername finds an administrator ignoring case.
	GetAdministratorByUsername(ctx context.Context, username string) (*Administrator, error)
	// SetAdministratorSignIn records a sign-in at at (Unix ms) and, when
	// passwordHash is not empty, replaces the password hash (a rehash with
	// the current cost).
	SetAdministratorSignIn(ctx context.Context, id string, at int64, passwordHash string) error
	// ListAdministrators returns every administrator, by username
	// ignoring case.
	ListAdministrators(ctx context.Context) ([]*Administrator, error)
	// UpdateAdministratorPassword replaces an administrator's password
	// hash; an unknown id is ErrNotFound.
	UpdateAdministratorPassword(ctx context.Context, id, passwordHash string) error
	// DeleteAdministrator deletes an administrator and ends all its
	// sessions. An unknown id is ErrNotFound; the only administrator left
	// is ErrLastAdministrator. Of concurrent callers deleting the last two
	// administrators, in this process or in others, at most one succeeds.
	DeleteAdministrator(ctx context.Context, id string) error

	CreateConsoleSession(ctx context.Context, s *ConsoleSession) error
	// GetConsoleSession returns the session whose token has digest, or
	// ErrNotFound when there is none or it expired before now (Unix ms).
	GetConsoleSession(ctx context.Context, digest []byte, now int64) (*ConsoleSession, error)
	// TouchConsoleSession sets the session's LastSeenAt.
	TouchConsoleSession(ctx context.Context, digest []byte, lastSeen int64) error
	// DeleteConsoleSession ends a session; an unknown digest is ErrNotFound.
	DeleteConsoleSession(ctx context.Context, digest []byte) error
	// DeleteConsoleSessionsBefore deletes sessions that expired before now
	// or were last seen before idleSince, and returns how many.
	DeleteConsoleSessionsBefore(ctx context.Context, now, idleSince int64) (int, error)
	// DeleteConsoleSessionsOf ends every session of an administrator but
	// the one whose token has digest except (none when nil), and returns
	// how many it ended.
	DeleteConsoleSessionsOf(ctx context.Context, administratorID string, except []byte) (int, error)
}
