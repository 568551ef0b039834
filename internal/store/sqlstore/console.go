package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const administratorColumns = `id, username, password_hash, created_at, last_sign_in_at`

func scanAdministrator(sc scanner) (*store.Administrator, error) {
	var a store.Administrator
	if err := sc.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.CreatedAt, &a.LastSignInAt); err != nil {
		return nil, err
	}
	return &a, nil
}

// insertAdministrator inserts a, filling in ID and CreatedAt.
func (s *Store) insertAdministrator(ctx context.Context, a *store.Administrator) error {
	if a.ID == "" {
		a.ID = id.New(id.RecordLength)
	}
	if a.CreatedAt == 0 {
		a.CreatedAt = nowMillis()
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO administrators (`+administratorColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		a.ID, a.Username, a.PasswordHash, a.CreatedAt, a.LastSignInAt)
	if err = s.mapErr(err); store.IsConflict(err) {
		// The only unique index besides the key is the username's.
		return &store.ConflictError{Field: "username"}
	}
	return err
}

// CreateFirstAdministrator inserts a while the table is empty. On
// PostgreSQL the transaction locks the table against other writers of it
// (readers go on), so two processes cannot both see it empty; SQLite's
// transactions already hold the database's single write lock.
func (s *Store) CreateFirstAdministrator(ctx context.Context, a *store.Administrator) error {
	err := s.inTx(ctx, func(tx *Store) error {
		if tx.dialect.name == "postgres" {
			if _, err := tx.q.ExecContext(ctx, `LOCK TABLE administrators IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var n int
		if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM administrators`).Scan(&n); err != nil {
			return tx.mapErr(err)
		}
		if n > 0 {
			return store.ErrAdministratorExists
		}
		return tx.insertAdministrator(ctx, a)
	})
	if err != nil {
		return fmt.Errorf("create first administrator: %w", err)
	}
	return nil
}

// CreateAdministrator inserts a.
func (s *Store) CreateAdministrator(ctx context.Context, a *store.Administrator) error {
	if err := s.insertAdministrator(ctx, a); err != nil {
		return fmt.Errorf("create administrator: %w", err)
	}
	return nil
}

// CountAdministrators counts every administrator.
func (s *Store) CountAdministrators(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM administrators`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count administrators: %w", s.mapErr(err))
	}
	return n, nil
}

// GetAdministrator returns the administrator with the given id.
func (s *Store) GetAdministrator(ctx context.Context, adminID string) (*store.Administrator, error) {
	a, err := scanAdministrator(s.q.QueryRowContext(ctx, `SELECT `+administratorColumns+` FROM administrators WHERE id = $1`, adminID))
	if err != nil {
		return nil, fmt.Errorf("get administrator %s: %w", adminID, s.mapErr(err))
	}
	return a, nil
}

// GetAdministratorByUsername finds an administrator by username, ignoring
// case (the unique index is on lower(username), which this uses).
func (s *Store) GetAdministratorByUsername(ctx context.Context, username string) (*store.Administrator, error) {
	a, err := scanAdministrator(s.q.QueryRowContext(ctx,
		`SELECT `+administratorColumns+` FROM administrators WHERE lower(username) = lower($1)`, username))
	if err != nil {
		return nil, fmt.Errorf("get administrator by username: %w", s.mapErr(err))
	}
	return a, nil
}

// SetAdministratorSignIn records a sign-in and optionally a new hash.
func (s *Store) SetAdministratorSignIn(ctx context.Context, adminID string, at int64, passwordHash string) error {
	err := s.expectOne(s.q.ExecContext(ctx, `UPDATE administrators SET last_sign_in_at = $2,
		password_hash = CASE WHEN $3 = '' THEN password_hash ELSE $3 END WHERE id = $1`, adminID, at, passwordHash))
	if err != nil {
		return fmt.Errorf("record sign-in of administrator %s: %w", adminID, err)
	}
	return nil
}

// ListAdministrators returns every administrator by username.
func (s *Store) ListAdministrators(ctx context.Context) ([]*store.Administrator, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+administratorColumns+` FROM administrators ORDER BY lower(username), id`)
	if err != nil {
		return nil, fmt.Errorf("list administrators: %w", s.mapErr(err))
	}
	defer rows.Close()
	out := []*store.Administrator{}
	for rows.Next() {
		a, err := scanAdministrator(rows)
		if err != nil {
			return nil, fmt.Errorf("list administrators: %w", s.mapErr(err))
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list administrators: %w", s.mapErr(err))
	}
	return out, nil
}

// UpdateAdministratorPassword replaces an administrator's password hash.
func (s *Store) UpdateAdministratorPassword(ctx context.Context, adminID, passwordHash string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `UPDATE administrators SET password_hash = $2 WHERE id = $1`, adminID, passwordHash)); err != nil {
		return fmt.Errorf("update password of administrator %s: %w", adminID, err)
	}
	return nil
}

// DeleteAdministrator deletes an administrator and its sessions unless it
// is the last one. As in CreateFirstAdministrator, the count and the
// delete are one transaction that PostgreSQL's table lock (SQLite's write
// lock) keeps other writers of administrators out of, so two
// administrators deleting each other cannot leave none.
func (s *Store) DeleteAdministrator(ctx context.Context, adminID string) error {
	err := s.inTx(ctx, func(tx *Store) error {
		if tx.dialect.name == "postgres" {
			if _, err := tx.q.ExecContext(ctx, `LOCK TABLE administrators IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var exists, n int
		if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN id = $1 THEN 1 END) FROM administrators`, adminID).Scan(&n, &exists); err != nil {
			return tx.mapErr(err)
		}
		switch {
		case exists == 0:
			return store.ErrNotFound
		case n <= 1:
			return store.ErrLastAdministrator
		}
		// The foreign key cascades too; deleting the sessions first does
		// not depend on it.
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE administrator_id = $1`, adminID); err != nil {
			return tx.mapErr(err)
		}
		return tx.expectOne(tx.q.ExecContext(ctx, `DELETE FROM administrators WHERE id = $1`, adminID))
	})
	if err != nil {
		return fmt.Errorf("delete administrator %s: %w", adminID, err)
	}
	return nil
}

const consoleSessionColumns = `token_digest, administrator_id, csrf_secret, created_at, last_seen_at, expires_at`

// CreateConsoleSession inserts a session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs *store.ConsoleSession) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO console_sessions (`+consoleSessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		cs.TokenDigest, cs.AdministratorID, cs.CSRFSecret, cs.CreatedAt, cs.LastSeenAt, cs.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create console session: %w", s.mapErr(err))
	}
	return nil
}

// GetConsoleSession returns a live session by token digest.
func (s *Store) GetConsoleSession(ctx context.Context, digest []byte, now int64) (*store.ConsoleSession, error) {
	var cs store.ConsoleSession
	err := s.q.QueryRowContext(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions WHERE token_digest = $1 AND expires_at > $2`,
		digest, now).Scan(&cs.TokenDigest, &cs.AdministratorID, &cs.CSRFSecret, &cs.CreatedAt, &cs.LastSeenAt, &cs.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("get console session: %w", s.mapErr(err))
	}
	return &cs, nil
}

// TouchConsoleSession records activity on a session.
func (s *Store) TouchConsoleSession(ctx context.Context, digest []byte, lastSeen int64) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `UPDATE console_sessions SET last_seen_at = $2 WHERE token_digest = $1`, digest, lastSeen)); err != nil {
		return fmt.Errorf("touch console session: %w", err)
	}
	return nil
}

// DeleteConsoleSession ends a session.
func (s *Store) DeleteConsoleSession(ctx context.Context, digest []byte) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE token_digest = $1`, digest)); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// DeleteConsoleSessionsBefore deletes expired and idle sessions.
func (s *Store) DeleteConsoleSessionsBefore(ctx context.Context, now, idleSince int64) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at < $2`, now, idleSince)
	if err != nil {
		return 0, fmt.Errorf("delete old console sessions: %w", s.mapErr(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteConsoleSessionsOf ends an administrator's sessions but one.
func (s *Store) DeleteConsoleSessionsOf(ctx context.Context, adminID string, except []byte) (int, error) {
	var (
		res sql.Result
		err error
	)
	if except == nil {
		res, err = s.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE administrator_id = $1`, adminID)
	} else {
		res, err = s.q.ExecContext(ctx, `DELETE FROM console_sessions WHERE administrator_id = $1 AND token_digest <> $2`, adminID, except)
	}
	if err != nil {
		return 0, fmt.Errorf("delete console sessions of administrator %s: %w", adminID, s.mapErr(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}
