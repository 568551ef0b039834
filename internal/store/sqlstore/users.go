package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// userColumns reads the three identifier columns, which are NULL when empty
// (so that their unique indexes ignore users without them), back as "".
const userColumns = `id, COALESCE(username, ''), COALESCE(primary_email, ''), COALESCE(primary_phone, ''),
	name, avatar, profile, custom_data, identities, password_digest, password_algorithm,
	is_suspended, last_sign_in_at, created_at, updated_at`

// userRow holds the encoded JSON columns of a user.
type userRow struct {
	profile, customData, identities string
}

func encodeUser(u *store.User) (userRow, error) {
	var r userRow
	var err error
	if r.profile, err = objectText("profile", u.Profile); err != nil {
		return r, err
	}
	if r.customData, err = objectText("custom_data", u.CustomData); err != nil {
		return r, err
	}
	if r.identities, err = objectText("identities", u.Identities); err != nil {
		return r, err
	}
	return r, nil
}

func scanUser(sc scanner) (store.User, error) {
	var u store.User
	var r userRow
	err := sc.Scan(&u.ID, &u.Username, &u.PrimaryEmail, &u.PrimaryPhone,
		&u.Name, &u.Avatar, &r.profile, &r.customData, &r.identities, &u.PasswordDigest, &u.PasswordAlgorithm,
		&u.IsSuspended, &u.LastSignInAt, &u.CreatedAt, &u.UpdatedAt)
	u.Profile = objectValue(r.profile)
	u.CustomData = objectValue(r.customData)
	u.Identities = objectValue(r.identities)
	return u, err
}

// nullIfEmpty stores "" as NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateUser inserts u, filling in ID, CreatedAt and UpdatedAt when they are
// zero. Usernames and emails are unique ignoring case, phones exactly.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	if u.ID == "" {
		u.ID = id.New(id.UserLength)
	}
	if u.CreatedAt == 0 {
		u.CreatedAt = nowMillis()
	}
	if u.UpdatedAt == 0 {
		u.UpdatedAt = u.CreatedAt
	}
	r, err := encodeUser(u)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO users (id, username, primary_email, primary_phone,
		name, avatar, profile, custom_data, identities, password_digest, password_algorithm,
		is_suspended, last_sign_in_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		u.ID, nullIfEmpty(u.Username), nullIfEmpty(u.PrimaryEmail), nullIfEmpty(u.PrimaryPhone),
		u.Name, u.Avatar, r.profile, r.customData, r.identities, u.PasswordDigest, u.PasswordAlgorithm,
		u.IsSuspended, u.LastSignInAt, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("create user: %w", s.mapErr(err))
	}
	return nil
}

// GetUser returns the user with the given id.
func (s *Store) GetUser(ctx context.Context, userID string) (*store.User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, userID))
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", userID, s.mapErr(err))
	}
	return &u, nil
}

// FindUserByIdentifier looks a user up by username or primary email, ignoring
// case, or by primary phone, exactly.
func (s *Store) FindUserByIdentifier(ctx context.Context, kind store.IdentifierKind, value string) (*store.User, error) {
	// Each condition repeats its unique index's expression so that the
	// index answers it.
	var where string
	switch kind {
	case store.ByUsername:
		where = `lower(username) = lower($1)`
	case store.ByEmail:
		where = `lower(primary_email) = lower($1)`
	case store.ByPhone:
		where = `primary_phone = $1`
	default:
		return nil, fmt.Errorf("find user: unknown identifier kind %q", kind)
	}
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, value))
	if err != nil {
		return nil, fmt.Errorf("find user by %s: %w", kind, s.mapErr(err))
	}
	return &u, nil
}

// ListUsers returns the users whose id, username, primary email, primary
// phone or name contains search, ignoring case (all when search is empty), in
// creation order, with their total count before paging.
func (s *Store) ListUsers(ctx context.Context, search string, page store.Page) ([]store.User, int, error) {
	var a args
	var where string
	if search != "" {
		where = s.dialect.containsFold(&a, search, "id", "username", "primary_email", "primary_phone", "name")
	}
	users, total, err := s.usersPage(ctx, where, a, page)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return users, total, nil
}

// UpdateUser overwrites every field of the user u.ID except CreatedAt.
// UpdatedAt is stored as given.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	r, err := encodeUser(u)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	err = s.expectOne(s.q.ExecContext(ctx, `UPDATE users SET username = $2, primary_email = $3,
		primary_phone = $4, name = $5, avatar = $6, profile = $7, custom_data = $8, identities = $9,
		password_digest = $10, password_algorithm = $11, is_suspended = $12, last_sign_in_at = $13,
		updated_at = $14 WHERE id = $1`,
		u.ID, nullIfEmpty(u.Username), nullIfEmpty(u.PrimaryEmail), nullIfEmpty(u.PrimaryPhone),
		u.Name, u.Avatar, r.profile, r.customData, r.identities, u.PasswordDigest, u.PasswordAlgorithm,
		u.IsSuspended, u.LastSignInAt, u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	return nil
}

// DeleteUser deletes a user with their role assignments.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, userID)); err != nil {
		return fmt.Errorf("delete user %s: %w", userID, err)
	}
	return nil
}
