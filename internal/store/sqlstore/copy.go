package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// CopyTo copies every row of every table of this store's database into the
// PostgreSQL database at targetDSN, and returns how many rows each table
// received. It moves a deployment from SQLite to PostgreSQL (a PostgreSQL
// source works too).
//
// Tables are not listed here: they are read from the source's schema
// (everything but schema_migrations), so tables that later migrations add
// are copied without changing this function. Both databases must be at the
// schema version this binary embeds: the source is checked, never migrated;
// the target is migrated first and must then hold no row in any table.
// Every row goes in within one PostgreSQL transaction, in foreign-key order,
// with COPY; before it commits, the row count of every table is checked
// against the source. On any error no row is committed: the target keeps
// the schema the migration gave it and nothing else.
//
// The source is read in one read-only transaction, a consistent snapshot
// that does not block a server still writing to it; rows written after
// that moment are not copied, so stop the server first.
func (s *Store) CopyTo(ctx context.Context, targetDSN string) (map[string]int64, error) {
	scheme, _, _ := strings.Cut(targetDSN, ":")
	if scheme = strings.ToLower(scheme); scheme != "postgres" && scheme != "postgresql" {
		return nil, errors.New("copy: the target must be a postgres://... URL; it moves a database into PostgreSQL")
	}
	if err := checkCopySource(ctx, s); err != nil {
		return nil, err
	}
	target, err := Open(ctx, targetDSN)
	if err != nil {
		return nil, fmt.Errorf("copy: target: %w", err)
	}
	defer target.Close()
	if err := target.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("copy: target: %w", err)
	}
	if err := target.CheckSchema(ctx); err != nil {
		return nil, fmt.Errorf("copy: target: %w", err)
	}

	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == postgresDialect {
		opts.Isolation = sql.LevelRepeatableRead
	}
	// On SQLite a read-only transaction is a deferred BEGIN: its snapshot
	// starts at the first read and holds no write lock.
	srcTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("copy: begin reading the source: %w", err)
	}
	defer srcTx.Rollback()

	conn, err := target.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: target: get a connection: %w", err)
	}
	defer conn.Close()
	var counts map[string]int64
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: target connection is a %T, not pgx's", dc)
		}
		counts, err = copyTables(ctx, s.dialect, srcTx, sc.Conn())
		return err
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// checkCopySource refuses a source whose schema is not exactly this
// binary's: the target is migrated to this binary's version, and copying
// between different schemas would lose or misplace columns.
func checkCopySource(ctx context.Context, s *Store) error {
	applied, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	switch {
	case applied < latest:
		return fmt.Errorf("copy: the source database schema is at version %d but this gatehouse is at %d: run `gatehouse db migrate` on the source first", applied, latest)
	case applied > latest:
		return fmt.Errorf("copy: the source database schema is at version %d, newer than this gatehouse (%d): use the gatehouse binary that migrated it", applied, latest)
	}
	return nil
}

// copyColumn is a column of a target table and the PostgreSQL type that
// source values are converted to.
type copyColumn struct {
	name string
	udt  string // information_schema's udt_name: bool, int8, text, bytea...
}

// copyTable is one table to copy.
type copyTable struct {
	name    string
	columns []copyColumn
}

// copyTables does the work of CopyTo inside one transaction on target.
func copyTables(ctx context.Context, srcDialect *dialect, src *sql.Tx, target *pgx.Conn) (map[string]int64, error) {
	srcTables, err := sourceTables(ctx, srcDialect, src)
	if err != nil {
		return nil, err
	}
	tx, err := target.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: target: begin transaction: %w", err)
	}
	defer tx.Rollback(ctx)

	tgtTables, deps, err := targetSchema(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := sameTables(srcTables, tgtTables); err != nil {
		return nil, err
	}
	order, err := dependencyOrder(srcTables, deps)
	if err != nil {
		return nil, err
	}
	var tables []copyTable
	for _, name := range order {
		srcCols, err := sourceColumns(ctx, srcDialect, src, name)
		if err != nil {
			return nil, err
		}
		cols, err := matchColumns(name, srcCols, tgtTables[name])
		if err != nil {
			return nil, err
		}
		tables = append(tables, copyTable{name: name, columns: cols})
	}

	// Nobody else may write to the target until this transaction ends: the
	// emptiness check below must hold until the commit. Reads still pass.
	if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '15s'"); err != nil {
		return nil, fmt.Errorf("copy: target: %w", err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+quotedList(order)+" IN EXCLUSIVE MODE"); err != nil {
		return nil, fmt.Errorf("copy: target: lock the tables (is a server running on the target?): %w", err)
	}
	var nonEmpty []string
	for _, name := range order {
		var has bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+quoteIdent(name)+")").Scan(&has); err != nil {
			return nil, fmt.Errorf("copy: target: read table %s: %w", name, err)
		}
		if has {
			nonEmpty = append(nonEmpty, name)
		}
	}
	if len(nonEmpty) > 0 {
		return nil, fmt.Errorf("copy: the target database is not empty: table %s has rows; copy into a new, empty database (one no gatehouse has served from)",
			strings.Join(nonEmpty, ", table "))
	}

	copied := make(map[string]int64, len(tables))
	for _, tb := range tables {
		n, err := copyOneTable(ctx, src, tx, tb)
		if err != nil {
			return nil, err
		}
		copied[tb.name] = n
	}
	for _, tb := range tables {
		if err := resetSequences(ctx, tx, tb); err != nil {
			return nil, err
		}
	}
	// Verify before committing: every table holds exactly the source's rows.
	for _, tb := range tables {
		var srcCount, tgtCount int64
		if err := src.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(tb.name)).Scan(&srcCount); err != nil {
			return nil, fmt.Errorf("copy: source: count table %s: %w", tb.name, err)
		}
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+quoteIdent(tb.name)).Scan(&tgtCount); err != nil {
			return nil, fmt.Errorf("copy: target: count table %s: %w", tb.name, err)
		}
		if srcCount != copied[tb.name] || tgtCount != srcCount {
			return nil, fmt.Errorf("copy: table %s: the source has %d rows, %d were copied and the target holds %d; nothing was committed",
				tb.name, srcCount, copied[tb.name], tgtCount)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("copy: target: commit: %w", err)
	}
	return copied, nil
}

// copyOneTable streams the rows of one source table into the target with COPY.
func copyOneTable(ctx context.Context, src *sql.Tx, tx pgx.Tx, tb copyTable) (int64, error) {
	names := make([]string, len(tb.columns))
	for i, c := range tb.columns {
		names[i] = c.name
	}
	rows, err := src.QueryContext(ctx, "SELECT "+quotedList(names)+" FROM "+quoteIdent(tb.name))
	if err != nil {
		return 0, fmt.Errorf("copy: source: read table %s: %w", tb.name, err)
	}
	defer rows.Close()
	rs := &rowSource{rows: rows, table: tb, raw: make([]any, len(names)), ptrs: make([]any, len(names)), out: make([]any, len(names))}
	for i := range rs.raw {
		rs.ptrs[i] = &rs.raw[i]
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{tb.name}, names, rs)
	if err != nil {
		// The source's own error says more than the aborted COPY.
		if rs.err != nil {
			err = rs.err
		}
		return 0, fmt.Errorf("copy: table %s: %w", tb.name, err)
	}
	return n, nil
}

// rowSource feeds COPY from source rows, converting each value to its
// target column's type. COPY encodes each row before asking for the next,
// so one set of slices serves every row.
type rowSource struct {
	rows           *sql.Rows
	table          copyTable
	raw, ptrs, out []any
	err            error
}

func (r *rowSource) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = fmt.Errorf("source: read a row: %w", err)
		return false
	}
	for i, c := range r.table.columns {
		v, err := convertValue(r.raw[i], c.udt)
		if err != nil {
			r.err = fmt.Errorf("column %s: %w", c.name, err)
			return false
		}
		r.out[i] = v
	}
	return true
}

func (r *rowSource) Values() ([]any, error) { return r.out, nil }

func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rows.Err(); err != nil {
		return fmt.Errorf("source: read rows: %w", err)
	}
	return nil
}

// convertValue turns a value as the source driver returns it into one the
// target column's type accepts. SQLite keeps BOOLEAN as the integers 0 and
// 1 and may hand back TEXT as bytes; PostgreSQL sources already return the
// right Go types. Errors describe the value's kind, never the value, which
// may be a secret.
func convertValue(v any, udt string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch udt {
	case "bool":
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			switch x {
			case 0:
				return false, nil
			case 1:
				return true, nil
			}
			return nil, errors.New("an integer other than 0 or 1 cannot become a boolean")
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, nil
			}
			return nil, errors.New("a text value that is not true/false/1/0 cannot become a boolean")
		}
		return nil, fmt.Errorf("a %T value cannot become a boolean", v)
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
		return nil, fmt.Errorf("a %T value cannot become bytes", v)
	case "text", "varchar", "bpchar", "name":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			if !utf8.Valid(x) {
				return nil, errors.New("bytes that are not UTF-8 cannot become text")
			}
			return string(x), nil
		}
		return nil, fmt.Errorf("a %T value cannot become text", v)
	case "int2", "int4", "int8":
		switch x := v.(type) {
		case int64:
			return x, nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
		return nil, fmt.Errorf("a %T value cannot become an integer", v)
	}
	// Other types (none in the schema today) go as the driver returned
	// them; pgx refuses what it cannot encode.
	return v, nil
}

// sourceTables lists the source's tables, without schema_migrations (each
// database keeps its own) and SQLite's internal tables.
func sourceTables(ctx context.Context, d *dialect, src *sql.Tx) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	if d == postgresDialect {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := src.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("copy: source: list tables: %w", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("copy: source: list tables: %w", err)
		}
		if name != "schema_migrations" {
			tables = append(tables, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("copy: source: list tables: %w", err)
	}
	sort.Strings(tables)
	return tables, nil
}

// sourceColumns lists a source table's columns in their declared order.
func sourceColumns(ctx context.Context, d *dialect, src *sql.Tx, table string) ([]string, error) {
	query := `SELECT name FROM pragma_table_info($1) ORDER BY cid`
	if d == postgresDialect {
		query = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	rows, err := src.QueryContext(ctx, query, table)
	if err != nil {
		return nil, fmt.Errorf("copy: source: list the columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("copy: source: list the columns of %s: %w", table, err)
		}
		cols = append(cols, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("copy: source: list the columns of %s: %w", table, err)
	}
	return cols, nil
}

// targetSchema returns the target's tables with their columns, and the
// foreign keys between them as child → parents. The target was migrated to
// the source's version, so its foreign keys are the source's.
func targetSchema(ctx context.Context, tx pgx.Tx) (map[string][]copyColumn, map[string][]string, error) {
	rows, err := tx.Query(ctx, `SELECT c.table_name, c.column_name, c.udt_name
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, nil, fmt.Errorf("copy: target: list columns: %w", err)
	}
	tables := map[string][]copyColumn{}
	for rows.Next() {
		var table string
		var c copyColumn
		if err := rows.Scan(&table, &c.name, &c.udt); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("copy: target: list columns: %w", err)
		}
		tables[table] = append(tables[table], c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("copy: target: list columns: %w", err)
	}

	rows, err = tx.Query(ctx, `SELECT child.relname, parent.relname
		FROM pg_constraint k
		JOIN pg_class child ON child.oid = k.conrelid
		JOIN pg_class parent ON parent.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = child.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, nil, fmt.Errorf("copy: target: list foreign keys: %w", err)
	}
	defer rows.Close()
	deps := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, nil, fmt.Errorf("copy: target: list foreign keys: %w", err)
		}
		deps[child] = append(deps[child], parent)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("copy: target: list foreign keys: %w", err)
	}
	return tables, deps, nil
}

// sameTables refuses to copy between schemas with different tables.
func sameTables(src []string, tgt map[string][]copyColumn) error {
	for _, name := range src {
		if _, ok := tgt[name]; !ok {
			return fmt.Errorf("copy: the source has a table %s that the target does not; the two schemas differ", name)
		}
	}
	for name := range tgt {
		if !slices.Contains(src, name) {
			return fmt.Errorf("copy: the target has a table %s that the source does not; the two schemas differ", name)
		}
	}
	return nil
}

// matchColumns pairs a source table's columns with the target's; both must
// have the same names.
func matchColumns(table string, src []string, tgt []copyColumn) ([]copyColumn, error) {
	byName := make(map[string]copyColumn, len(tgt))
	for _, c := range tgt {
		byName[c.name] = c
	}
	cols := make([]copyColumn, 0, len(src))
	for _, name := range src {
		c, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("copy: table %s: the source has a column %s that the target does not; the two schemas differ", table, name)
		}
		cols = append(cols, c)
		delete(byName, name)
	}
	if len(byName) > 0 {
		extra := slices.Sorted(maps.Keys(byName))
		return nil, fmt.Errorf("copy: table %s: the target has a column %s that the source does not; the two schemas differ", table, extra[0])
	}
	return cols, nil
}

// dependencyOrder sorts tables so that every table comes after the tables
// its foreign keys point to (ties in name order, for a stable output). A
// table that refers to itself is fine: PostgreSQL checks foreign keys at
// the end of each COPY. A cycle between tables cannot be loaded in any
// order and is an error.
func dependencyOrder(tables []string, deps map[string][]string) ([]string, error) {
	remaining := map[string]map[string]bool{}
	for _, t := range tables {
		remaining[t] = map[string]bool{}
	}
	for _, t := range tables {
		for _, p := range deps[t] {
			if _, known := remaining[p]; known && p != t {
				remaining[t][p] = true
			}
		}
	}
	var order []string
	for len(remaining) > 0 {
		var ready []string
		for t, parents := range remaining {
			if len(parents) == 0 {
				ready = append(ready, t)
			}
		}
		if len(ready) == 0 {
			var stuck []string
			for t := range remaining {
				stuck = append(stuck, t)
			}
			sort.Strings(stuck)
			return nil, fmt.Errorf("copy: the foreign keys between tables %s form a cycle; no copy order satisfies them", strings.Join(stuck, ", "))
		}
		sort.Strings(ready)
		for _, t := range ready {
			delete(remaining, t)
			for _, parents := range remaining {
				delete(parents, t)
			}
		}
		order = append(order, ready...)
	}
	return order, nil
}

// resetSequences moves the sequence behind any serial or identity column
// past the copied values, so that the next insert does not collide with a
// copied row. Today's schema has none; a future table might.
func resetSequences(ctx context.Context, tx pgx.Tx, tb copyTable) error {
	for _, c := range tb.columns {
		var seq *string
		if err := tx.QueryRow(ctx, "SELECT pg_get_serial_sequence($1, $2)", quoteIdent(tb.name), c.name).Scan(&seq); err != nil {
			return fmt.Errorf("copy: target: find the sequence of %s.%s: %w", tb.name, c.name, err)
		}
		if seq == nil {
			continue
		}
		if _, err := tx.Exec(ctx, "SELECT setval($1, COALESCE((SELECT MAX("+quoteIdent(c.name)+") FROM "+quoteIdent(tb.name)+"), 0) + 1, false)", *seq); err != nil {
			return fmt.Errorf("copy: target: advance the sequence of %s.%s: %w", tb.name, c.name, err)
		}
	}
	return nil
}

// quoteIdent quotes a table or column name the same way for SQLite and
// PostgreSQL.
func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}
