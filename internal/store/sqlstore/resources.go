package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const resourceColumns = `id, name, indicator, access_token_ttl, is_default, created_at`

func scanResource(sc scanner) (store.Resource, error) {
	var r store.Resource
	err := sc.Scan(&r.ID, &r.Name, &r.Indicator, &r.AccessTokenTTL, &r.IsDefault, &r.CreatedAt)
	return r, err
}

// CreateResource inserts r, filling in ID and CreatedAt when they are zero.
// Indicators are unique.
func (s *Store) CreateResource(ctx context.Context, r *store.Resource) error {
	if r.ID == "" {
		r.ID = id.New(id.RecordLength)
	}
	if r.CreatedAt == 0 {
		r.CreatedAt = nowMillis()
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO resources (`+resourceColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		r.ID, r.Name, r.Indicator, r.AccessTokenTTL, r.IsDefault, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("create resource: %w", s.mapErr(err))
	}
	return nil
}

// GetResource returns the resource with the given id.
func (s *Store) GetResource(ctx context.Context, resourceID string) (*store.Resource, error) {
	r, err := scanResource(s.q.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE id = $1`, resourceID))
	if err != nil {
		return nil, fmt.Errorf("get resource %s: %w", resourceID, s.mapErr(err))
	}
	return &r, nil
}

// GetResourceByIndicator returns the resource with the given indicator,
// compared exactly.
func (s *Store) GetResourceByIndicator(ctx context.Context, indicator string) (*store.Resource, error) {
	r, err := scanResource(s.q.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE indicator = $1`, indicator))
	if err != nil {
		return nil, fmt.Errorf("get resource %q: %w", indicator, s.mapErr(err))
	}
	return &r, nil
}

// ListResources returns resources in creation order with their total count.
func (s *Store) ListResources(ctx context.Context, page store.Page) ([]store.Resource, int, error) {
	resources, total, err := listPage(ctx, s, "resources", resourceColumns, "", nil, page, scanResource)
	if err != nil {
		return nil, 0, fmt.Errorf("list resources: %w", err)
	}
	return resources, total, nil
}

// UpdateResource overwrites every field of the resource r.ID except
// CreatedAt.
func (s *Store) UpdateResource(ctx context.Context, r *store.Resource) error {
	err := s.expectOne(s.q.ExecContext(ctx, `UPDATE resources SET name = $2, indicator = $3,
		access_token_ttl = $4, is_default = $5 WHERE id = $1`,
		r.ID, r.Name, r.Indicator, r.AccessTokenTTL, r.IsDefault))
	if err != nil {
		return fmt.Errorf("update resource %s: %w", r.ID, err)
	}
	return nil
}

// DeleteResource deletes a resource with its scopes and their grants to roles.
func (s *Store) DeleteResource(ctx context.Context, resourceID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM resources WHERE id = $1`, resourceID)); err != nil {
		return fmt.Errorf("delete resource %s: %w", resourceID, err)
	}
	return nil
}

const scopeColumns = `id, resource_id, name, description, created_at`

func scanScope(sc scanner) (store.Scope, error) {
	var sp store.Scope
	err := sc.Scan(&sp.ID, &sp.ResourceID, &sp.Name, &sp.Description, &sp.CreatedAt)
	return sp, err
}

// CreateScope inserts sp, filling in ID and CreatedAt when they are zero.
// Names are unique within a resource; a scope of a resource that does not
// exist is ErrNotFound.
func (s *Store) CreateScope(ctx context.Context, sp *store.Scope) error {
	if sp.ID == "" {
		sp.ID = id.New(id.RecordLength)
	}
	if sp.CreatedAt == 0 {
		sp.CreatedAt = nowMillis()
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO scopes (`+scopeColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		sp.ID, sp.ResourceID, sp.Name, sp.Description, sp.CreatedAt)
	if err != nil {
		return fmt.Errorf("create scope of resource %s: %w", sp.ResourceID, s.mapErr(err))
	}
	return nil
}

// GetScope returns the scope with the given id.
func (s *Store) GetScope(ctx context.Context, scopeID string) (*store.Scope, error) {
	sp, err := scanScope(s.q.QueryRowContext(ctx, `SELECT `+scopeColumns+` FROM scopes WHERE id = $1`, scopeID))
	if err != nil {
		return nil, fmt.Errorf("get scope %s: %w", scopeID, s.mapErr(err))
	}
	return &sp, nil
}

// ListScopes returns a resource's scopes in creation order.
func (s *Store) ListScopes(ctx context.Context, resourceID string) ([]store.Scope, error) {
	scopes, err := queryAll(ctx, s, `SELECT `+scopeColumns+` FROM scopes WHERE resource_id = $1
		ORDER BY created_at, id`, []any{resourceID}, scanScope)
	if err != nil {
		return nil, fmt.Errorf("list scopes of resource %s: %w", resourceID, err)
	}
	return scopes, nil
}

// UpdateScope overwrites the name and description of the scope sp.ID; a
// scope never moves to another resource.
func (s *Store) UpdateScope(ctx context.Context, sp *store.Scope) error {
	err := s.expectOne(s.q.ExecContext(ctx, `UPDATE scopes SET name = $2, description = $3 WHERE id = $1`,
		sp.ID, sp.Name, sp.Description))
	if err != nil {
		return fmt.Errorf("update scope %s: %w", sp.ID, err)
	}
	return nil
}

// DeleteScope deletes a scope and its grants to roles.
func (s *Store) DeleteScope(ctx context.Context, scopeID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM scopes WHERE id = $1`, scopeID)); err != nil {
		return fmt.Errorf("delete scope %s: %w", scopeID, err)
	}
	return nil
}
