// Package users creates and describes end users the way the command line,
// the Management API and the console all need them.
package users

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Input describes a user to create.
type Input struct {
	Username, PrimaryEmail, PrimaryPhone, Name, Avatar string
	Password                                           string
}

// InvalidError names the input field that is wrong and why.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// Logto's username rule: a letter or underscore, then word characters.
var usernamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
var phonePattern = regexp.MustCompile(`^\d{6,20}$`)

// Create validates in, hashes the password with Argon2id, and stores the user.
func Create(ctx context.Context, st store.Store, params password.Params, in Input) (*store.User, error) {
	if in.Username == "" && in.PrimaryEmail == "" && in.PrimaryPhone == "" {
		return nil, &InvalidError{"username", "a username, email or phone is required"}
	}
	if in.Username != "" && (!usernamePattern.MatchString(in.Username) || len(in.Username) > 128) {
		return nil, &InvalidError{"username", "must start with a letter or underscore and contain only letters, digits and underscores"}
	}
	if in.PrimaryEmail != "" {
		if a, err := mail.ParseAddress(in.PrimaryEmail); err != nil || a.Address != in.PrimaryEmail {
			return nil, &InvalidError{"primaryEmail", fmt.Sprintf("%q is not an email address", in.PrimaryEmail)}
		}
	}
	in.PrimaryPhone = strings.TrimPrefix(in.PrimaryPhone, "+")
	if in.PrimaryPhone != "" && !phonePattern.MatchString(in.PrimaryPhone) {
		return nil, &InvalidError{"primaryPhone", "must be digits in international format"}
	}
	now := time.Now().UnixMilli()
	u := &store.User{
		ID: id.New(id.UserLength), Username: in.Username, PrimaryEmail: in.PrimaryEmail,
		PrimaryPhone: in.PrimaryPhone, Name: in.Name, Avatar: in.Avatar, CreatedAt: now, UpdatedAt: now,
	}
	if in.Password != "" {
		h, err := password.Hash(in.Password, params)
		if err != nil {
			return nil, err
		}
		u.PasswordDigest, u.PasswordAlgorithm = h, "Argon2id"
	}
	if err := st.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// JSON is a user in Logto's Management API shape. It never carries the
// password digest.
type JSON struct {
	ID            string          `json:"id"`
	Username      *string         `json:"username"`
	PrimaryEmail  *string         `json:"primaryEmail"`
	PrimaryPhone  *string         `json:"primaryPhone"`
	Name          *string         `json:"name"`
	Avatar        *string         `json:"avatar"`
	CustomData    json.RawMessage `json:"customData"`
	Identities    json.RawMessage `json:"identities"`
	LastSignInAt  *int64          `json:"lastSignInAt"`
	CreatedAt     int64           `json:"createdAt"`
	UpdatedAt     int64           `json:"updatedAt"`
	Profile       json.RawMessage `json:"profile"`
	ApplicationID *string         `json:"applicationId"`
	IsSuspended   bool            `json:"isSuspended"`
	HasPassword   bool            `json:"hasPassword"`
}

// ToJSON renders u.
func ToJSON(u *store.User) JSON {
	j := JSON{
		ID: u.ID, Username: nullable(u.Username), PrimaryEmail: nullable(u.PrimaryEmail),
		PrimaryPhone: nullable(u.PrimaryPhone), Name: nullable(u.Name), Avatar: nullable(u.Avatar),
		CustomData: object(u.CustomData), Identities: object(u.Identities), Profile: object(u.Profile),
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, IsSuspended: u.IsSuspended, HasPassword: u.PasswordDigest != "",
	}
	if u.LastSignInAt != 0 {
		j.LastSignInAt = &u.LastSignInAt
	}
	return j
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func object(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

// AssignDefaultRoles gives a new user the User roles marked default, as
// Logto does for every account it creates.
func AssignDefaultRoles(ctx context.Context, st store.Store, userID string) error {
	roles, _, err := st.ListRoles(ctx, store.UserRole, store.Page{})
	if err != nil {
		return err
	}
	var defaults []string
	for _, role := range roles {
		if role.IsDefault {
			defaults = append(defaults, role.ID)
		}
	}
	if len(defaults) == 0 {
		return nil
	}
	return st.AssignUserRoles(ctx, userID, defaults)
}
