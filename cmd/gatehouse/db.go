package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/config"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
)

const dbUsage = `Usage:
  gatehouse db migrate [--db-url URL]
  gatehouse db backup [--db-url URL] FILE
  gatehouse db copy [--db-url URL] --to postgres://USER:PASSWORD@HOST:PORT/DB`

func runDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dbUsage)
		return errUsage
	}
	switch args[0] {
	case "migrate":
		return runDBMigrate(ctx, args[1:], stderr)
	case "backup":
		return runDBBackup(ctx, args[1:], stdout, stderr)
	case "copy":
		return runDBCopy(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, dbUsage)
	return errUsage
}

func runDBMigrate(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("db migrate", stderr)
	var d dbFlags
	d.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer e.store.Close()
	applied, latest, err := e.store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "database schema at version %d of %d; built-in records and signing keys in place\n", applied, latest)
	return nil
}

// registerDBURL adds the one database flag of backup and copy: neither
// decrypts anything, so they take no encryption key.
func registerDBURL(fs *flag.FlagSet) *string {
	return fs.String("db-url", "", "database to read: sqlite:PATH or postgres://... [$DB_URL] (default sqlite:./data/gatehouse.db)")
}

// openExisting opens the configured database as it is: no migration and no
// built-in records, which a backup or copy must not add. A SQLite file that
// does not exist is an error rather than a new empty database.
func openExisting(ctx context.Context, flagValue string) (*sqlstore.Store, error) {
	dsn := config.DatabaseURL(flagValue)
	if path, ok := sqlstore.SQLiteFile(dsn); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("SQLite database %s does not exist (DB_URL or --db-url names the database)", path)
		} else if err != nil {
			return nil, fmt.Errorf("SQLite database %s: %w", path, err)
		}
	}
	return sqlstore.Open(ctx, dsn)
}

func runDBBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("db backup", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse db backup [--db-url URL] FILE\n\n"+
			"Writes a consistent copy of the SQLite database to the new FILE while the server runs\n"+
			"(SQLite's online backup API). FILE must not exist. For PostgreSQL use pg_dump -Fc.\n\nFlags:")
		fs.PrintDefaults()
	}
	dbURL := registerDBURL(fs)
	file, err := parseWithOneArg(fs, args, "FILE")
	if err != nil {
		return err
	}
	dsn := config.DatabaseURL(*dbURL)
	if isPostgres(dsn) {
		return sqlstore.ErrBackupNotSQLite
	}
	st, err := openExisting(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, _, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if err := st.Backup(ctx, file); err != nil {
		return err
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("backup written but cannot be read back: %w", err)
	}
	fmt.Fprintf(stderr, "backed up the SQLite database (schema version %d) to %s, %d bytes\n", applied, abs, info.Size())
	return printJSON(stdout, map[string]any{"file": abs, "bytes": info.Size(), "schemaVersion": applied})
}

func runDBCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("db copy", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatehouse db copy [--db-url URL] --to postgres://...\n\n"+
			"Copies every table of the database (normally SQLite) into a new, empty PostgreSQL\n"+
			"database, migrated first, in one transaction, and prints the rows per table.\n"+
			"Stop the server first: rows written during the copy are not copied.\n\nFlags:")
		fs.PrintDefaults()
	}
	dbURL := registerDBURL(fs)
	to := fs.String("to", "", "the PostgreSQL database to fill: postgres://USER:PASSWORD@HOST:PORT/DB")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" {
		fmt.Fprintln(stderr, "db copy needs --to postgres://...")
		return errUsage
	}
	st, err := openExisting(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	counts, err := st.CopyTo(ctx, *to)
	if err != nil {
		return err
	}
	var rows int64
	for _, n := range counts {
		rows += n
	}
	_, latest, _ := st.SchemaVersion(ctx)
	// The target URL is not repeated: it holds a password.
	fmt.Fprintf(stderr, "copied %d rows in %d tables into PostgreSQL (schema version %d); serve from it with DB_URL set to that database and the same ENCRYPTION_KEY\n",
		rows, len(counts), latest)
	return printJSON(stdout, counts)
}

// parseWithOneArg parses flags that may come before or after the one
// positional argument named what, and returns that argument.
func parseWithOneArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", errUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintf(fs.Output(), "missing %s\n", what)
		return "", errUsage
	}
	arg := rest[0]
	if err := parseFlags(fs, rest[1:]); err != nil {
		return "", err
	}
	if arg == "" {
		fmt.Fprintf(fs.Output(), "empty %s\n", what)
		return "", errUsage
	}
	return arg, nil
}

func isPostgres(dsn string) bool {
	scheme, _, _ := strings.Cut(dsn, ":")
	scheme = strings.ToLower(scheme)
	return scheme == "postgres" || scheme == "postgresql"
}
