package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Migrations are the files migrations/NNNN_name.sql, applied in order of NNNN,
// each once, never edited after release and never destructive. One file
// serves both databases: the only type that has no common spelling, the byte
// string, is written {{BYTES}} and replaced per dialect (dialect.types) before
// the file runs. Should a future change need genuinely different SQL, it can
// go in the same file behind a new placeholder.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// SchemaVersionError reports a database whose schema version does not match
// the one this binary was built with.
type SchemaVersionError struct {
	Applied   int // version recorded in the database
	Supported int // newest version this binary embeds
}

func (e *SchemaVersionError) Error() string {
	if e.Applied > e.Supported {
		return fmt.Sprintf("database schema version %d is newer than this gatehouse binary supports (%d); upgrade gatehouse", e.Applied, e.Supported)
	}
	return fmt.Sprintf("database schema version %d is older than this gatehouse binary needs (%d); run the migrations", e.Applied, e.Supported)
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at BIGINT NOT NULL
)`

// loadMigrations reads the embedded migrations in version order, once.
var loadMigrations = sync.OnceValues(func() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var migs []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version, as in 0001_init.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		migs = append(migs, migration{version: version, name: e.Name(), sql: string(body)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must run 1, 2, 3... without gaps or repeats", m.name)
		}
	}
	return migs, nil
})

// latestVersion is the newest embedded migration version.
func latestVersion() (int, error) {
	migs, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	return len(migs), nil
}

// Migrate brings the schema up to the newest embedded version. It always
// runs on the connection pool, in a transaction of its own. Every pending
// migration runs in one transaction, so a failure leaves the schema as it
// was. Concurrent migrators (several replicas starting at once) serialise on
// a lock: the later ones find nothing left to do. A database migrated by a
// newer binary is left alone and reported as a *SchemaVersionError.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := s.dialect.lockMigrations(ctx, tx); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if applied > len(migs) {
		return &SchemaVersionError{Applied: applied, Supported: len(migs)}
	}
	for _, m := range migs[applied:] {
		if _, err := tx.ExecContext(ctx, s.dialect.types.Replace(m.sql)); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
			m.version, nowMillis()); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// SchemaVersion returns the schema version recorded in the database (0 for
// a database never migrated) and the newest version this binary embeds.
func (s *Store) SchemaVersion(ctx context.Context) (applied, latest int, err error) {
	latest, err = latestVersion()
	if err != nil {
		return 0, 0, err
	}
	var exists bool
	if err := s.q.QueryRowContext(ctx, s.dialect.tableExists, "schema_migrations").Scan(&exists); err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, latest, nil
	}
	if err := s.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	return applied, latest, nil
}

// CheckSchema returns a *SchemaVersionError unless the database schema is
// exactly the version this binary embeds: a newer schema needs a newer
// binary, an older one needs Migrate.
func (s *Store) CheckSchema(ctx context.Context) error {
	applied, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if applied != latest {
		return &SchemaVersionError{Applied: applied, Supported: latest}
	}
	return nil
}
