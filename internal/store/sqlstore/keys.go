package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// CreateSigningKey adds a key to the ring, filling in CreatedAt when it is
// zero.
func (s *Store) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	if k.CreatedAt == 0 {
		k.CreatedAt = nowMillis()
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, sealed, created_at, not_before, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, k.Algorithm, k.Sealed, k.CreatedAt, k.NotBefore, k.RetiredAt)
	if err != nil {
		return fmt.Errorf("create signing key %s: %w", k.ID, s.mapErr(err))
	}
	return nil
}

// ListSigningKeys returns the whole ring, oldest first, retired keys included.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	keys, err := queryAll(ctx, s, `SELECT id, algorithm, sealed, created_at, not_before, retired_at
		FROM signing_keys ORDER BY created_at, id`, nil,
		func(sc scanner) (store.SigningKey, error) {
			var k store.SigningKey
			err := sc.Scan(&k.ID, &k.Algorithm, &k.Sealed, &k.CreatedAt, &k.NotBefore, &k.RetiredAt)
			return k, err
		})
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return keys, nil
}

// RetireSigningKey sets RetiredAt to at on a key that is not retired yet; a
// key retired already keeps its first retirement time.
func (s *Store) RetireSigningKey(ctx context.Context, keyID string, at int64) error {
	err := s.expectOne(s.q.ExecContext(ctx,
		`UPDATE signing_keys SET retired_at = $2 WHERE id = $1 AND retired_at = 0`, keyID, at))
	if errors.Is(err, store.ErrNotFound) {
		// Either the key is retired already, which is fine, or it is missing.
		var exists bool
		err = s.q.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM signing_keys WHERE id = $1`, keyID).Scan(&exists)
		if err == nil && !exists {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("retire signing key %s: %w", keyID, s.mapErr(err))
	}
	return nil
}

// DeleteSigningKey removes a key from the ring.
func (s *Store) DeleteSigningKey(ctx context.Context, keyID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = $1`, keyID)); err != nil {
		return fmt.Errorf("delete signing key %s: %w", keyID, err)
	}
	return nil
}
