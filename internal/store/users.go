package store

import "context"

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
