package store

import "context"

// Resources stores API resources and their scopes (permissions).
type Resources interface {
	CreateResource(ctx context.Context, r *Resource) error
	GetResource(ctx context.Context, id string) (*Resource, error)
	GetResourceByIndicator(ctx context.Context, indicator string) (*Resource, error)
	ListResources(ctx context.Context, page Page) ([]Resource, int, error)
	// SearchResources is ListResources restricted to the resources whose
	// name or indicator contains search, ignoring case; an empty search
	// matches every resource.
	SearchResources(ctx context.Context, search string, page Page) ([]Resource, int, error)
	UpdateResource(ctx context.Context, r *Resource) error
	// SetDefaultResource sets IsDefault on the resource id and returns it.
	// At most one resource is the default: making one the default clears
	// the flag on every other resource in the same transaction.
	SetDefaultResource(ctx context.Context, id string, isDefault bool) (*Resource, error)
	DeleteResource(ctx context.Context, id string) error

	CreateScope(ctx context.Context, s *Scope) error
	GetScope(ctx context.Context, id string) (*Scope, error)
	ListScopes(ctx context.Context, resourceID string) ([]Scope, error)
	// SearchScopes returns, in creation order, the scopes of resourceID
	// whose name or description contains search (ignoring case; empty
	// matches all), one page of them, and how many match in all.
	SearchScopes(ctx context.Context, resourceID, search string, page Page) ([]Scope, int, error)
	// ListScopesOfResources returns the scopes of every resource named, in
	// creation order.
	ListScopesOfResources(ctx context.Context, resourceIDs []string) ([]Scope, error)
	UpdateScope(ctx context.Context, s *Scope) error
	DeleteScope(ctx context.Context, id string) error
}
