package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const objectColumns = `kind, id, family_id, payload, expires_at, consumed_at`

func scanObject(sc scanner) (*store.OIDCObject, error) {
	var o store.OIDCObject
	var payload string
	if err := sc.Scan(&o.Kind, &o.ID, &o.FamilyID, &payload, &o.ExpiresAt, &o.ConsumedAt); err != nil {
		return nil, err
	}
	o.Payload = []byte(payload)
	return &o, nil
}

// payloadText stores a payload as text (the column is TEXT in both
// dialects); a missing payload becomes {}.
func payloadText(p []byte) string {
	if len(p) == 0 {
		return "{}"
	}
	return string(p)
}

// PutObject stores o, replacing every field of an object of the same kind
// and id.
func (s *Store) PutObject(ctx context.Context, o *store.OIDCObject) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO oidc_objects (`+objectColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (kind, id) DO UPDATE SET family_id = excluded.family_id, payload = excluded.payload,
			expires_at = excluded.expires_at, consumed_at = excluded.consumed_at`,
		string(o.Kind), o.ID, o.FamilyID, payloadText(o.Payload), o.ExpiresAt, o.ConsumedAt)
	if err != nil {
		return fmt.Errorf("put %s: %w", o.Kind, s.mapErr(err))
	}
	return nil
}

// GetObject returns an object, consumed or not, unless it has expired.
func (s *Store) GetObject(ctx context.Context, kind store.ObjectKind, objectID string, now int64) (*store.OIDCObject, error) {
	o, err := s.liveObject(ctx, kind, objectID, now)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", kind, err)
	}
	return o, nil
}

// liveObject reads an object that expires after now.
func (s *Store) liveObject(ctx context.Context, kind store.ObjectKind, objectID string, now int64) (*store.OIDCObject, error) {
	o, err := scanObject(s.q.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM oidc_objects
		WHERE kind = $1 AND id = $2 AND expires_at > $3`, string(kind), objectID, now))
	return o, s.mapErr(err)
}

// ConsumeObject marks an object consumed at time at, provided it has not
// expired by then and nobody consumed it before. The check and the mark are
// one conditional UPDATE, so of concurrent callers exactly one succeeds; the
// others get the object with store.ErrConsumed.
func (s *Store) ConsumeObject(ctx context.Context, kind store.ObjectKind, objectID string, at int64) (*store.OIDCObject, error) {
	o, err := scanObject(s.q.QueryRowContext(ctx, `UPDATE oidc_objects SET consumed_at = $3
		WHERE kind = $1 AND id = $2 AND consumed_at = 0 AND expires_at > $3
		RETURNING `+objectColumns, string(kind), objectID, at))
	if err == nil {
		return o, nil
	}
	if err = s.mapErr(err); !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("consume %s: %w", kind, err)
	}
	// Nothing was updated: the object is missing, expired, or consumed by
	// someone else (who may even have un-consumed it with PutObject since;
	// it is still not this caller's).
	o, err = s.liveObject(ctx, kind, objectID, at)
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", kind, err)
	}
	return o, fmt.Errorf("consume %s: %w", kind, store.ErrConsumed)
}

// UpdateObjectPayload replaces the payload of an object, expired or not.
func (s *Store) UpdateObjectPayload(ctx context.Context, kind store.ObjectKind, objectID string, payload []byte) error {
	err := s.expectOne(s.q.ExecContext(ctx, `UPDATE oidc_objects SET payload = $3 WHERE kind = $1 AND id = $2`,
		string(kind), objectID, payloadText(payload)))
	if err != nil {
		return fmt.Errorf("update %s payload: %w", kind, err)
	}
	return nil
}

// DeleteObject deletes one object; ErrNotFound when there is none.
func (s *Store) DeleteObject(ctx context.Context, kind store.ObjectKind, objectID string) error {
	err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM oidc_objects WHERE kind = $1 AND id = $2`,
		string(kind), objectID))
	if err != nil {
		return fmt.Errorf("delete %s: %w", kind, err)
	}
	return nil
}

// CountFamily counts live objects of one kind in a family, with the
// earliest expiry among them.
func (s *Store) CountFamily(ctx context.Context, kind store.ObjectKind, familyID string, now int64) (int, int64, error) {
	var count int
	var first sql.NullInt64
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*), MIN(expires_at) FROM oidc_objects
		WHERE kind = $1 AND family_id = $2 AND expires_at > $3`, string(kind), familyID, now).Scan(&count, &first)
	if err != nil {
		return 0, 0, fmt.Errorf("count family: %w", s.mapErr(err))
	}
	return count, first.Int64, nil
}

// RevokeFamily deletes every object of a grant and returns how many there
// were. The empty family, which objects outside any grant share, is never
// revoked.
func (s *Store) RevokeFamily(ctx context.Context, familyID string) (int, error) {
	if familyID == "" {
		return 0, nil
	}
	n, err := s.deleteCount(ctx, `DELETE FROM oidc_objects WHERE family_id = $1`, familyID)
	if err != nil {
		return 0, fmt.Errorf("revoke family: %w", err)
	}
	return n, nil
}

// DeleteExpiredObjects deletes the objects that expired before now and
// returns how many there were.
func (s *Store) DeleteExpiredObjects(ctx context.Context, now int64) (int, error) {
	n, err := s.deleteCount(ctx, `DELETE FROM oidc_objects WHERE expires_at < $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired objects: %w", err)
	}
	return n, nil
}

func (s *Store) deleteCount(ctx context.Context, query string, arg any) (int, error) {
	res, err := s.q.ExecContext(ctx, query, arg)
	if err != nil {
		return 0, s.mapErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
