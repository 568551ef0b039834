package sqlstore

import (
	"context"
	"fmt"
)

// GetSetting returns the document stored under key.
func (s *Store) GetSetting(ctx context.Context, key string) ([]byte, error) {
	var value string
	if err := s.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&value); err != nil {
		return nil, fmt.Errorf("get setting %q: %w", key, s.mapErr(err))
	}
	return []byte(value), nil
}

// PutSetting stores value under key, replacing what was there.
func (s *Store) PutSetting(ctx context.Context, key string, value []byte) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, string(value))
	if err != nil {
		return fmt.Errorf("put setting %q: %w", key, s.mapErr(err))
	}
	return nil
}
