package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// sqliteParams are appended to every SQLite DSN. busy_timeout makes a writer
// wait for the lock instead of failing at once; _txlock=immediate starts every
// transaction with the write lock so that two transactions never deadlock
// upgrading from a read lock; WAL lets readers run beside the writer, and
// synchronous=NORMAL is durable enough under WAL at a fraction of the fsyncs.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// openTimeout bounds the first ping, so that an unreachable PostgreSQL fails
// Open promptly instead of hanging a starting server.
const openTimeout = 15 * time.Second

// Open connects to the database named by dsn, which is sqlite:PATH,
// sqlite://PATH, file:PATH, postgres://... or postgresql://... It does not
// migrate; call Migrate (or CheckSchema) next.
func Open(ctx context.Context, dsn string) (*Store, error) {
	scheme, rest, _ := strings.Cut(dsn, ":")
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return openPostgres(ctx, dsn)
	case "sqlite", "file":
		return openSQLite(ctx, strings.TrimPrefix(rest, "//"))
	}
	if dsn == "" {
		return nil, errors.New("DB_URL is empty: use sqlite:PATH, sqlite://PATH, file:PATH, postgres://... or postgresql://...")
	}
	// Only the scheme is quoted: the rest of an unknown URL may hold a password.
	return nil, fmt.Errorf("DB_URL scheme %q is not supported: use sqlite:PATH, sqlite://PATH, file:PATH, postgres://... or postgresql://...", scheme)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	path, query, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, errors.New("DB_URL names no SQLite file: use sqlite:PATH, e.g. sqlite:/var/lib/gatehouse/gatehouse.db")
	}
	if path == ":memory:" {
		// Every pooled connection would get its own empty database.
		return nil, errors.New("DB_URL: in-memory SQLite databases are not supported; name a file")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for SQLite database %s: %w", path, err)
	}
	params := sqliteParams
	if query != "" {
		params = query + "&" + params
	}
	db, err := sql.Open("sqlite", path+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	// Opening a connection runs the pragmas, so keep the ones we open.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	s := &Store{db: db, q: db, dialect: sqliteDialect, writers: make(chan struct{}, 1)}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL database from DB_URL: %w", err)
	}
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(25)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL from DB_URL: %w", err)
	}
	return &Store{db: db, q: db, dialect: postgresDialect}, nil
}
