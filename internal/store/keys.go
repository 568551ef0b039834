package store

import "context"

// SigningKeys stores the token signing key ring.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// RetireSigningKey sets RetiredAt on a key that has none yet.
	RetireSigningKey(ctx context.Context, id string, at int64) error
	DeleteSigningKey(ctx context.Context, id string) error
}
