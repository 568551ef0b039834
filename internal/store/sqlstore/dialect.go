package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything that differs between SQLite and PostgreSQL; every
// other file writes each statement once. Much that could differ does not:
// both drivers bind $1, $2 by number, and both databases accept BOOLEAN,
// BIGINT and TEXT columns, indexes on expressions such as lower(username),
// INSERT ... ON CONFLICT ... DO UPDATE/DO NOTHING with excluded.col (upsert),
// UPDATE ... RETURNING (SQLite since 3.35) and LIMIT ... OFFSET.
type dialect struct {
	name string // what Store.Dialect reports

	// containsFold returns a condition that holds when any of columns
	// contains text, ignoring case, adding its argument to a.
	containsFold func(a *args, text string, columns ...string) string

	// types replaces the type placeholders in migrations (see migrate.go).
	// Besides {{BYTES}} there is {{POSTGRES}}: a line that starts with it
	// runs on PostgreSQL only (SQLite sees a comment), for indexes that
	// only PostgreSQL needs.
	types *strings.Replacer

	// bytewise follows a text expression to compare it byte by byte (in
	// code point order), whatever the database's collation: PostgreSQL
	// needs COLLATE "C", SQLite's default BINARY collation already is.
	// Range scans over prefixes rely on it (see users.go).
	bytewise string

	// lockMigrations serialises concurrent migrators. It runs first in the
	// migration transaction and holds until that transaction ends.
	lockMigrations func(ctx context.Context, tx *sql.Tx) error

	// tableExists is a query with one argument, a table name, that returns
	// one boolean-ish row.
	tableExists string

	// classify tells unique and foreign key violations apart from other
	// errors. For unique violations name is the index or constraint name in
	// the schema's naming (table_pkey, table_columns_key).
	classify func(err error) (kind violation, name string)
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// anyOf joins cond(column) for each column with OR.
func anyOf(columns []string, cond func(column string) string) string {
	conds := make([]string, len(columns))
	for i, c := range columns {
		conds[i] = cond(c)
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

type violation int

const (
	noViolation violation = iota
	uniqueViolation
	foreignKeyViolation
)

var sqliteDialect = &dialect{
	name: "sqlite",
	// SQLite's LIKE ignores case already (for ASCII, as its lower() does)
	// but has no escape character unless told.
	containsFold: func(a *args, text string, columns ...string) string {
		p := a.add("%" + likeEscaper.Replace(text) + "%")
		return anyOf(columns, func(c string) string { return c + " LIKE " + p + ` ESCAPE '\'` })
	},
	types:    strings.NewReplacer("{{BYTES}}", "BLOB", "{{POSTGRES}}", "--"),
	bytewise: "",
	// With _txlock=immediate the migration transaction already holds the
	// database's only write lock.
	lockMigrations: func(context.Context, *sql.Tx) error { return nil },
	tableExists:    `SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = $1`,
	classify:       classifySQLite,
}

// migrationLockKey is the pg_advisory_xact_lock key that Gatehouse migrators
// take (the bytes "gatehous" as a big-endian int64).
const migrationLockKey = 0x67617465686f7573

var postgresDialect = &dialect{
	name: "postgres",
	// lower(column) LIKE a lower-case pattern rather than ILIKE, which is
	// three times slower on a search that has to scan every user; and
	// without ESCAPE (backslash is the default) or lower($1), which a generic
	// plan evaluates again for every row.
	containsFold: func(a *args, text string, columns ...string) string {
		p := a.add(strings.ToLower("%" + likeEscaper.Replace(text) + "%"))
		return anyOf(columns, func(c string) string { return "lower(" + c + ") LIKE " + p })
	},
	types:    strings.NewReplacer("{{BYTES}}", "BYTEA", "{{POSTGRES}}", ""),
	bytewise: ` COLLATE "C"`,
	lockMigrations: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey))
		return err
	},
	tableExists: `SELECT to_regclass($1) IS NOT NULL`,
	classify:    classifyPostgres,
}

func classifyPostgres(err error) (violation, string) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return noViolation, ""
	}
	switch pe.Code {
	case "23505": // unique_violation
		return uniqueViolation, pe.ConstraintName
	case "23503": // foreign_key_violation
		return foreignKeyViolation, pe.ConstraintName
	}
	return noViolation, ""
}

// sqliteConstraint picks what SQLite's message names after "UNIQUE constraint
// failed:": either "index 'name'" (expression indexes) or "table.col, ...".
var sqliteConstraint = regexp.MustCompile(`UNIQUE constraint failed: (?:index '([^']+)'|([^ (),]+(?:, [^ (),]+)*))`)

func classifySQLite(err error) (violation, string) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return noViolation, ""
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return foreignKeyViolation, ""
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
	default:
		return noViolation, ""
	}
	m := sqliteConstraint.FindStringSubmatch(se.Error())
	switch {
	case m == nil:
		return uniqueViolation, ""
	case m[1] != "":
		return uniqueViolation, m[1]
	}
	// SQLite names the columns, not the index: rebuild the name PostgreSQL
	// would report, which the schema follows for its own indexes too.
	var table string
	var columns []string
	for _, tc := range strings.Split(m[2], ", ") {
		t, c, _ := strings.Cut(tc, ".")
		table = t
		columns = append(columns, c)
	}
	if se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return uniqueViolation, table + "_pkey"
	}
	return uniqueViolation, table + "_" + strings.Join(columns, "_") + "_key"
}
