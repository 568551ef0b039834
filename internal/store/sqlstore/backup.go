package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"modernc.org/sqlite"
)

// ErrBackupNotSQLite is returned by Backup on a PostgreSQL store: PostgreSQL
// has its own tool for consistent online copies.
var ErrBackupNotSQLite = errors.New("backup: only SQLite databases are backed up this way; back up PostgreSQL with pg_dump -Fc (see docs/deploy.md)")

// sqliteBackuper is what modernc.org/sqlite's driver connection offers for
// the online backup API; its concrete type is unexported.
type sqliteBackuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// SQLiteFile returns the file a sqlite:, sqlite:// or file: DSN names, as
// Open reads it, and false for any other DSN.
func SQLiteFile(dsn string) (string, bool) {
	scheme, rest, _ := strings.Cut(dsn, ":")
	switch strings.ToLower(scheme) {
	case "sqlite", "file":
	default:
		return "", false
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(rest, "//"), "?")
	return path, path != ""
}

// Backup writes a consistent copy of the SQLite database to the new file
// path with SQLite's online backup API, while other connections and
// processes keep reading and writing: the copy is the database as of one
// moment. It refuses to overwrite anything at path. The copy is written to
// a temporary file next to path, flushed to disk, and only then given its
// name, so path never holds a partial copy. The copy is a single file in
// rollback-journal mode; Open turns it back to WAL when it is served.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != sqliteDialect {
		return ErrBackupNotSQLite
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup file %s: %w", path, err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return fmt.Errorf("backup file %s already exists; a backup never overwrites a file, name a new one", abs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup file %s: %w", abs, err)
	}
	dir := filepath.Dir(abs)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary backup file in %s: %w", dir, err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmpPath)
			// SQLite may have left a journal of its own beside it.
			os.Remove(tmpPath + "-journal")
		}
	}()

	if err := s.backupTo(ctx, tmpPath); err != nil {
		return err
	}
	if err := syncFile(tmpPath); err != nil {
		return err
	}
	if err := publishNoReplace(tmpPath, abs); err != nil {
		return err
	}
	renamed = true
	// The new name is durable once the directory is.
	if err := syncFile(dir); err != nil {
		return err
	}
	return nil
}

// backupTo copies the database into the existing empty file dst.
func (s *Store) backupTo(ctx context.Context, dst string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: get a database connection: %w", err)
	}
	defer conn.Close()
	// A file: URI rather than the bare path, so that a '?' or '#' in a
	// directory name cannot be taken for URI parameters.
	dstURI := (&url.URL{Scheme: "file", Path: dst}).String()
	return conn.Raw(func(dc any) error {
		b, ok := dc.(sqliteBackuper)
		if !ok {
			return fmt.Errorf("backup: the SQLite driver connection (%T) has no online backup API", dc)
		}
		bk, err := b.NewBackup(dstURI)
		if err != nil {
			return fmt.Errorf("backup: open %s: %w", dst, err)
		}
		// One step of every page (-1) copies within a single read
		// transaction on the source: the copy is one consistent snapshot,
		// and writers (WAL) are never blocked. Smaller steps would restart
		// each time another process wrote, and might never finish on a
		// busy server.
		for {
			more, err := bk.Step(-1)
			if err != nil {
				bk.Finish()
				return fmt.Errorf("backup: copy pages: %w", err)
			}
			if !more {
				break
			}
		}
		out, err := bk.Commit()
		if err != nil {
			return fmt.Errorf("backup: finish: %w", err)
		}
		defer out.Close()
		// The pages carry the source's WAL flag; a backup is easier to move
		// and restore as one self-contained file.
		ex, ok := out.(driver.ExecerContext)
		if !ok {
			return fmt.Errorf("backup: the SQLite driver connection (%T) cannot execute statements", out)
		}
		if _, err := ex.ExecContext(ctx, "PRAGMA journal_mode=DELETE", nil); err != nil {
			return fmt.Errorf("backup: switch the copy to rollback-journal mode: %w", err)
		}
		return nil
	})
}

// syncFile flushes a file or directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: open %s to flush it: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: flush %s to disk: %w", path, err)
	}
	return nil
}

// publishNoReplace gives tmp the name final unless final exists, atomically:
// a hard link fails when the name is taken, where a rename would replace
// the file. File systems without hard links fall back to check-then-rename.
func publishNoReplace(tmp, final string) error {
	err := os.Link(tmp, final)
	switch {
	case err == nil:
		if err := os.Remove(tmp); err != nil {
			return fmt.Errorf("backup: remove temporary file %s: %w", tmp, err)
		}
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("backup file %s already exists; a backup never overwrites a file, name a new one", final)
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EXDEV), errors.Is(err, syscall.EMLINK):
		if _, serr := os.Lstat(final); serr == nil {
			return fmt.Errorf("backup file %s already exists; a backup never overwrites a file, name a new one", final)
		}
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("backup: rename %s to %s: %w", tmp, final, err)
		}
		return nil
	default:
		return fmt.Errorf("backup: name the copy %s: %w", final, err)
	}
}
