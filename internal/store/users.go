package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

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

	// SearchUsers returns the users that pass f in creation order, and
	// their total count before paging. A pattern the database cannot use
	// is an error that wraps ErrBadPattern.
	SearchUsers(ctx context.Context, f UserFilter, page Page) ([]User, int, error)
	// FindUsersByIdentity returns the users whose social identity for
	// target has the given (case-sensitive) identity user id, in creation
	// order.
	FindUsersByIdentity(ctx context.Context, target, identityUserID string) ([]User, error)
	// RevokeUserObjects deletes every protocol object that belongs to the
	// user (sessions, authorization codes, refresh tokens, opaque access
	// tokens) together with the grants they belong to, and returns how many
	// objects were deleted.
	RevokeUserObjects(ctx context.Context, userID string) (int, error)
}

// ErrBadPattern reports a search pattern (a regular expression or a
// SIMILAR TO pattern) that cannot be compiled.
var ErrBadPattern = errors.New("store: invalid search pattern")

// UserField names a user attribute a search can look at, as its column.
type UserField string

const (
	UserID           UserField = "id"
	UserUsername     UserField = "username"
	UserPrimaryEmail UserField = "primary_email"
	UserPrimaryPhone UserField = "primary_phone"
	UserName         UserField = "name"
)

// UserSearchFields are the fields a search without a field looks at, as
// Logto's user search does.
var UserSearchFields = []UserField{UserID, UserPrimaryEmail, UserPrimaryPhone, UserUsername, UserName}

// MatchMode is one of Logto's search modes.
type MatchMode string

const (
	// MatchLike matches a SQL LIKE pattern: % is any run of characters, _
	// any one character, and a backslash makes the next character literal.
	MatchLike MatchMode = "like"
	// MatchExact matches one of the values exactly.
	MatchExact MatchMode = "exact"
	// MatchSimilarTo matches a SQL SIMILAR TO pattern (case-sensitive only).
	MatchSimilarTo MatchMode = "similar_to"
	// MatchPosix matches a regular expression anywhere in the value.
	MatchPosix MatchMode = "posix"
)

// UserMatch is one condition of a user search.
type UserMatch struct {
	// Field is the field to look at; "" means any of UserSearchFields.
	Field UserField
	Mode  MatchMode
	// Values are what the field is compared with: exactly one value except
	// in MatchExact mode, where any of them matches.
	Values []string
}

// UserFilter selects users. The zero value selects everyone.
type UserFilter struct {
	Matches []UserMatch
	// MatchAll requires every match to hold (Logto's joint mode "and");
	// otherwise one is enough ("or").
	MatchAll bool
	// CaseSensitive compares case-sensitively; otherwise case is ignored
	// (for ASCII letters at least; SQLite folds nothing else).
	CaseSensitive bool
	// ExcludeRoleID leaves out the users who hold this role.
	ExcludeRoleID string
}

// CompileMatch returns a Go regular expression that accepts a whole value
// exactly when value matches it in mode, for callers and backends that
// match in memory. Regular expressions of MatchPosix are Go's (RE2) syntax,
// close to but not the same as PostgreSQL's.
func CompileMatch(mode MatchMode, value string, caseSensitive bool) (*regexp.Regexp, error) {
	var expr string
	switch mode {
	case MatchExact:
		expr = "^" + regexp.QuoteMeta(value) + "$"
	case MatchLike:
		expr = likeExpr(value)
	case MatchSimilarTo:
		expr = similarExpr(value)
	case MatchPosix:
		expr = value
	default:
		return nil, fmt.Errorf("%w: unknown search mode %q", ErrBadPattern, mode)
	}
	flags := "(?s)"
	if !caseSensitive {
		flags = "(?si)"
	}
	re, err := regexp.Compile(flags + expr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPattern, err)
	}
	return re, nil
}

// likeExpr translates a LIKE pattern into an anchored regular expression.
func likeExpr(pattern string) string {
	var b strings.Builder
	b.WriteString("^")
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if escaped { // a trailing backslash stands for itself
		b.WriteString(`\\`)
	}
	b.WriteString("$")
	return b.String()
}

// similarExpr translates a SIMILAR TO pattern into an anchored regular
// expression: % and _ are LIKE's wildcards, the regular expression
// operators | * + ? {m,n} ( ) [...] keep their meaning, and everything else,
// the dot included, is literal.
func similarExpr(pattern string) string {
	var b strings.Builder
	b.WriteString("^(?:")
	escaped, inClass := false, false
	for _, r := range pattern {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case inClass:
			if r == ']' {
				inClass = false
			}
			b.WriteRune(r)
		case r == '[':
			inClass = true
			b.WriteRune(r)
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		case strings.ContainsRune("|*+?{}()", r):
			b.WriteRune(r)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if escaped {
		b.WriteString(`\\`)
	}
	b.WriteString(")$")
	return b.String()
}
