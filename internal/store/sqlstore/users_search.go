package sqlstore

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// usersPage returns the users that match where (everyone when empty; its
// arguments are a) in creation order, and their total count before paging.
func (s *Store) usersPage(ctx context.Context, where string, a args, page store.Page) ([]store.User, int, error) {
	q := usersQueries(where, a, page)
	users, err := queryAll(ctx, s, q.list, q.listArgs, scanUser)
	if err != nil || q.count == "" {
		return users, len(users), err
	}
	// A page that is not full is the last one, which tells the total
	// without counting: a selective search runs one query, not two.
	if len(users) > 0 && len(users) < page.PageSize || len(users) == 0 && q.offset == 0 {
		return users, q.offset + len(users), nil
	}
	var total int
	if err := s.q.QueryRowContext(ctx, q.count, q.countArgs...).Scan(&total); err != nil {
		return nil, 0, s.mapErr(err)
	}
	return users, total, nil
}

// userQueries are the statements of one page of users: count is "" when
// the page is everything.
type userQueries struct {
	count, list         string
	countArgs, listArgs []any
	offset              int
}

// usersQueries builds the statements of usersPage. A page is picked as ids
// first and joined back to the rows after: the inner query walks the
// (created_at, id) index alone and skips the offset there, so page 500 of
// 100,000 users reads 100 rows rather than 50,000.
func usersQueries(where string, a args, page store.Page) userQueries {
	from := " FROM users"
	if where != "" {
		from += " WHERE " + where
	}
	limit, offset, paged := window(page)
	if !paged {
		return userQueries{list: "SELECT " + userColumns + from + " ORDER BY created_at, id", listArgs: a}
	}
	q := userQueries{count: "SELECT COUNT(*)" + from, countArgs: append([]any(nil), a...), offset: offset}
	q.list = "SELECT " + userColumns + " FROM users WHERE id IN (SELECT id" + from +
		" ORDER BY created_at, id LIMIT " + a.add(limit) + " OFFSET " + a.add(offset) + ") ORDER BY created_at, id"
	q.listArgs = a
	return q
}

// ExplainSearchUsers returns the database's plans for the statements
// SearchUsers runs for f and page, for benchmarks and for operators who
// want to know whether a search uses an index.
func (s *Store) ExplainSearchUsers(ctx context.Context, f store.UserFilter, page store.Page) ([]string, error) {
	var a args
	where, err := s.userFilter(&a, f)
	if err != nil {
		return nil, err
	}
	q := usersQueries(where, a, page)
	explain := "EXPLAIN "
	if s.dialect.name == "sqlite" {
		explain = "EXPLAIN QUERY PLAN "
	}
	var plans []string
	for _, st := range []struct {
		query string
		args  []any
	}{{q.count, q.countArgs}, {q.list, q.listArgs}} {
		if st.query == "" {
			continue
		}
		rows, err := s.q.QueryContext(ctx, explain+st.query, st.args...)
		if err != nil {
			return nil, s.mapErr(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		plans = append(plans, st.query+"\n  "+strings.Join(lines, "\n  "))
	}
	return plans, nil
}

// SearchUsers returns the users that pass f in creation order, with their
// total count before paging.
func (s *Store) SearchUsers(ctx context.Context, f store.UserFilter, page store.Page) ([]store.User, int, error) {
	var a args
	where, err := s.userFilter(&a, f)
	if err != nil {
		return nil, 0, fmt.Errorf("search users: %w", err)
	}
	users, total, err := s.usersPage(ctx, where, a, page)
	if err != nil {
		if isPatternError(err) {
			err = fmt.Errorf("%w: %v", store.ErrBadPattern, err)
		}
		return nil, 0, fmt.Errorf("search users: %w", err)
	}
	return users, total, nil
}

// isPatternError tells whether PostgreSQL refused a regular expression or
// SIMILAR TO pattern (invalid_regular_expression, invalid_escape_sequence
// and the like, class 22).
func isPatternError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "2201B", // invalid_regular_expression
		"22025", // invalid_escape_sequence
		"22019": // invalid_escape_character
		return true
	}
	return false
}

var userFields = map[store.UserField]bool{
	store.UserID: true, store.UserUsername: true, store.UserPrimaryEmail: true,
	store.UserPrimaryPhone: true, store.UserName: true,
}

// userFilter turns f into a condition ("" for everyone), adding its
// arguments to a.
func (s *Store) userFilter(a *args, f store.UserFilter) (string, error) {
	var conds []string
	for _, m := range f.Matches {
		c, err := s.userMatch(a, m, f.CaseSensitive)
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	var where []string
	if len(conds) > 0 {
		joint := " OR "
		if f.MatchAll {
			joint = " AND "
		}
		where = append(where, "("+strings.Join(conds, joint)+")")
	}
	if f.ExcludeRoleID != "" {
		where = append(where, "id NOT IN (SELECT user_id FROM users_roles WHERE role_id = "+a.add(f.ExcludeRoleID)+")")
	}
	return strings.Join(where, " AND "), nil
}

// userMatch is the condition of one match: any of its fields matches.
func (s *Store) userMatch(a *args, m store.UserMatch, caseSensitive bool) (string, error) {
	fields := store.UserSearchFields
	if m.Field != "" {
		if !userFields[m.Field] {
			return "", fmt.Errorf("unknown user search field %q", m.Field)
		}
		fields = []store.UserField{m.Field}
	}
	if len(m.Values) == 0 {
		return "", fmt.Errorf("search mode %q needs a value", m.Mode)
	}
	if m.Mode != store.MatchExact && len(m.Values) != 1 {
		return "", fmt.Errorf("search mode %q takes exactly one value", m.Mode)
	}
	var conds []string
	switch m.Mode {
	case store.MatchExact:
		ps := make([]string, len(m.Values))
		for i, v := range m.Values {
			if caseSensitive {
				ps[i] = a.add(v)
			} else {
				// lower() on both sides is what the unique indexes hold.
				ps[i] = "lower(" + a.add(v) + ")"
			}
		}
		for _, f := range fields {
			col := string(f)
			if !caseSensitive {
				col = "lower(" + col + ")"
			}
			if len(ps) == 1 {
				conds = append(conds, col+" = "+ps[0])
			} else {
				conds = append(conds, col+" IN ("+strings.Join(ps, ", ")+")")
			}
		}
	case store.MatchLike:
		c, err := s.likeMatch(a, fields, m.Values[0], caseSensitive)
		if err != nil {
			return "", err
		}
		conds = c
	case store.MatchSimilarTo, store.MatchPosix:
		if m.Mode == store.MatchSimilarTo && !caseSensitive {
			return "", fmt.Errorf("%w: similar_to matches case-sensitively only", store.ErrBadPattern)
		}
		var p string
		if s.dialect.name == "sqlite" {
			// SQLite has neither operator: Go's regexp answers instead.
			re, err := store.CompileMatch(m.Mode, m.Values[0], caseSensitive)
			if err != nil {
				return "", err
			}
			p = a.add(re.String())
		} else {
			p = a.add(m.Values[0])
		}
		for _, f := range fields {
			switch {
			case s.dialect.name == "sqlite":
				conds = append(conds, sqliteRegexpFunc+"("+p+", "+string(f)+")")
			case m.Mode == store.MatchSimilarTo:
				conds = append(conds, string(f)+" SIMILAR TO "+p)
			case caseSensitive:
				conds = append(conds, string(f)+" ~ "+p)
			default:
				conds = append(conds, string(f)+" ~* "+p)
			}
		}
	default:
		return "", fmt.Errorf("unknown search mode %q", m.Mode)
	}
	return "(" + strings.Join(conds, " OR ") + ")", nil
}

// likeMatch matches a LIKE pattern (backslash escapes) against fields. A
// pattern that starts with a literal prefix on a field with a bytewise
// index also gets a range condition on that index, so that a prefix
// search reads only the matching entries.
func (s *Store) likeMatch(a *args, fields []store.UserField, pattern string, caseSensitive bool) ([]string, error) {
	var p string
	switch {
	case s.dialect.name == "sqlite" && caseSensitive:
		// SQLite's LIKE ignores ASCII case; its regexp stand-in does not.
		re, err := store.CompileMatch(store.MatchLike, pattern, true)
		if err != nil {
			return nil, err
		}
		p = a.add(re.String())
	case s.dialect.name == "sqlite":
		p = a.add(pattern)
	case caseSensitive:
		p = a.add(pattern)
	default:
		// lower(column) LIKE a lower-case pattern, as containsFold does.
		p = a.add(strings.ToLower(pattern))
	}
	conds := make([]string, 0, len(fields))
	for _, f := range fields {
		var cond string
		switch {
		case s.dialect.name == "sqlite" && caseSensitive:
			cond = sqliteRegexpFunc + "(" + p + ", " + string(f) + ")"
		case s.dialect.name == "sqlite":
			cond = string(f) + " LIKE " + p + ` ESCAPE '\'`
		case caseSensitive:
			cond = string(f) + " LIKE " + p
		default:
			cond = "lower(" + string(f) + ") LIKE " + p
		}
		if len(fields) == 1 {
			if r := s.prefixRange(a, f, pattern, caseSensitive); r != "" {
				cond = "(" + r + " AND " + cond + ")"
			}
		}
		conds = append(conds, cond)
	}
	return conds, nil
}

// prefixRange returns a range condition over the bytewise index of f that
// every value matching pattern satisfies, or "" when there is none to use.
func (s *Store) prefixRange(a *args, f store.UserField, pattern string, caseSensitive bool) string {
	prefix := likePrefix(pattern)
	if prefix == "" || !isASCII(prefix) {
		return ""
	}
	var expr string
	switch f {
	case store.UserUsername, store.UserPrimaryEmail:
		if caseSensitive {
			return "" // the indexes hold lower(column)
		}
		prefix = strings.ToLower(prefix)
		expr = "lower(" + string(f) + ")" + s.dialect.bytewise
	case store.UserPrimaryPhone:
		if !caseSensitive && strings.ToLower(prefix) != strings.ToUpper(prefix) {
			return "" // letters in either case could match
		}
		expr = string(f) + s.dialect.bytewise
	default:
		return ""
	}
	cond := expr + " >= " + a.add(prefix)
	if upper := successor(prefix); upper != "" {
		cond += " AND " + expr + " < " + a.add(upper)
	}
	return cond
}

// likePrefix is the literal text a LIKE pattern starts with.
func likePrefix(pattern string) string {
	var b strings.Builder
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '%' || r == '_':
			return b.String()
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// successor returns the least string greater than every string that starts
// with prefix, in code point order, or "" when there is none.
func successor(prefix string) string {
	runes := []rune(prefix)
	for i := len(runes) - 1; i >= 0; i-- {
		if runes[i] < utf8.MaxRune {
			r := runes[i] + 1
			if r == 0xD800 { // surrogates are no characters
				r = 0xE000
			}
			runes[i] = r
			return string(runes[:i+1])
		}
	}
	return ""
}

// FindUsersByIdentity returns the users whose identities hold target with
// the given identity user id.
func (s *Store) FindUsersByIdentity(ctx context.Context, target, identityUserID string) ([]store.User, error) {
	// The database narrows the candidates down to users whose identities
	// mention the id as a JSON string; Go checks the target and the field.
	needle, _ := json.Marshal(identityUserID)
	candidates, err := queryAll(ctx, s, `SELECT `+userColumns+` FROM users WHERE identities LIKE $1 ESCAPE '\'
		ORDER BY created_at, id`, []any{"%" + likeEscaper.Replace(string(needle)) + "%"}, scanUser)
	if err != nil {
		return nil, fmt.Errorf("find users by identity: %w", err)
	}
	users := []store.User{}
	for _, u := range candidates {
		var ids map[string]struct {
			UserID any `json:"userId"`
		}
		if json.Unmarshal(u.Identities, &ids) != nil {
			continue
		}
		if id, ok := ids[target]; ok && id.UserID == identityUserID {
			users = append(users, u)
		}
	}
	return users, nil
}

// RevokeUserObjects deletes the objects whose payload names the user
// ("user_id", as the protocol layer writes it) and every object of the
// grants they belong to.
func (s *Store) RevokeUserObjects(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, nil
	}
	quoted, _ := json.Marshal(userID)
	pattern := "%" + likeEscaper.Replace(`"user_id":`+string(quoted)) + "%"
	n, err := s.deleteCount(ctx, `DELETE FROM oidc_objects WHERE payload LIKE $1 ESCAPE '\'
		OR (family_id <> '' AND family_id IN (SELECT family_id FROM oidc_objects
			WHERE family_id <> '' AND payload LIKE $1 ESCAPE '\'))`, pattern)
	if err != nil {
		return 0, fmt.Errorf("revoke objects of user %s: %w", userID, err)
	}
	return n, nil
}

// sqliteRegexpFunc is the SQL function that stands in for regular
// expressions on SQLite: sqliteRegexpFunc(expr, value) is 1 when the Go
// regular expression expr matches value, NULL when value is NULL.
const sqliteRegexpFunc = "gatehouse_regexp"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(sqliteRegexpFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var value string
		switch v := args[1].(type) {
		case nil:
			return nil, nil
		case string:
			value = v
		case []byte:
			value = string(v)
		default:
			value = fmt.Sprint(v)
		}
		expr, ok := args[0].(string)
		if !ok {
			return nil, errors.New(sqliteRegexpFunc + ": the expression must be text")
		}
		re, err := regexps.get(expr)
		if err != nil {
			return nil, err
		}
		if re.MatchString(value) {
			return int64(1), nil
		}
		return int64(0), nil
	})
}

// regexpCache keeps compiled expressions across the rows of a query. It is
// emptied when full, as searches use few distinct expressions.
type regexpCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

var regexps = &regexpCache{m: map[string]*regexp.Regexp{}}

func (c *regexpCache) get(expr string) (*regexp.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if re, ok := c.m[expr]; ok {
		return re, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	if len(c.m) >= 64 {
		clear(c.m)
	}
	c.m[expr] = re
	return re, nil
}
