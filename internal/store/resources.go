package store

import "context"

// Resources stores API resources and their scopes (permissions).
type Resources interface {
	CreateResource(ctx context.Context, r *Resource) error
	GetResource(ctx context.Context, id string) (*Resource, error)
	GetResourceByIndicator(ctx context.Context, indicator string) (*Resource, error)
	ListResources(ctx context.Context, page Page) ([]Resource, int, error)
	UpdateResource(ctx context.Context, r *Resource) error
	DeleteResource(ctx context.Context, id string) error

	CreateScope(ctx context.Context, s *Scope) error
	GetScope(ctx context.Context, id string) (*Scope, error)
	ListScopes(ctx context.Context, resourceID string) ([]Scope, error)
	UpdateScope(ctx context.Context, s *Scope) error
	DeleteScope(ctx context.Context, id string) error
}
