package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

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

// SearchResources returns the resources whose name or indicator contains
// search, ignoring case, in creation order with their total count.
func (s *Store) SearchResources(ctx context.Context, search string, page store.Page) ([]store.Resource, int, error) {
	var a args
	where := ""
	if search != "" {
		where = s.dialect.containsFold(&a, search, "name", "indicator")
	}
	resources, total, err := listPage(ctx, s, "resources", resourceColumns, where, a, page, scanResource)
	if err != nil {
		return nil, 0, fmt.Errorf("search resources: %w", err)
	}
	return resources, total, nil
}

// defaultResourceLockKey is the pg_advisory_xact_lock key that serialises
// changes of the default resource (the bytes "gh:defrs" as a big-endian
// int64).
const defaultResourceLockKey = 0x67683a6465667273

// lockDefaultResource makes concurrent changes of the default resource run
// one after the other. Without it two PostgreSQL transactions making
// different resources the default each miss the other's uncommitted flag
// when clearing, then wait on each other in the unique index on is_default.
// SQLite runs one write transaction at a time already.
func (s *Store) lockDefaultResource(ctx context.Context) error {
	if s.dialect.name != "postgres" {
		return nil
	}
	_, err := s.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(defaultResourceLockKey))
	return err
}

// SetDefaultResource sets is_default on one resource; making it the default
// clears every other resource's flag in the same transaction.
func (s *Store) SetDefaultResource(ctx context.Context, resourceID string, isDefault bool) (*store.Resource, error) {
	var out *store.Resource
	err := s.inTx(ctx, func(tx *Store) error {
		if err := tx.lockDefaultResource(ctx); err != nil {
			return err
		}
		if _, err := tx.GetResource(ctx, resourceID); err != nil {
			return err
		}
		if isDefault {
			if _, err := tx.q.ExecContext(ctx, `UPDATE resources SET is_default = FALSE WHERE is_default AND id <> $1`, resourceID); err != nil {
				return tx.mapErr(err)
			}
		}
		if err := tx.expectOne(tx.q.ExecContext(ctx, `UPDATE resources SET is_default = $2 WHERE id = $1`, resourceID, isDefault)); err != nil {
			return err
		}
		r, err := tx.GetResource(ctx, resourceID)
		out = r
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set default resource %s: %w", resourceID, err)
	}
	return out, nil
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

// SearchScopes returns the scopes of a resource whose name or description
// contains search, ignoring case, in creation order with their total count.
func (s *Store) SearchScopes(ctx context.Context, resourceID, search string, page store.Page) ([]store.Scope, int, error) {
	var a args
	where := "resource_id = " + a.add(resourceID)
	if search != "" {
		where += " AND " + s.dialect.containsFold(&a, search, "name", "description")
	}
	scopes, total, err := listPage(ctx, s, "scopes", scopeColumns, where, a, page, scanScope)
	if err != nil {
		return nil, 0, fmt.Errorf("search scopes of resource %s: %w", resourceID, err)
	}
	return scopes, total, nil
}

// scopesBatch bounds the ids bound in one ListScopesOfResources query, well
// under both databases' limits on parameters.
const scopesBatch = 500

// ListScopesOfResources returns the scopes of the named resources in
// creation order.
func (s *Store) ListScopesOfResources(ctx context.Context, resourceIDs []string) ([]store.Scope, error) {
	out := []store.Scope{}
	for start := 0; start < len(resourceIDs); start += scopesBatch {
		batch := resourceIDs[start:min(start+scopesBatch, len(resourceIDs))]
		var a args
		marks := make([]string, len(batch))
		for i, resourceID := range batch {
			marks[i] = a.add(resourceID)
		}
		scopes, err := queryAll(ctx, s, `SELECT `+scopeColumns+` FROM scopes WHERE resource_id IN (`+
			strings.Join(marks, ", ")+`) ORDER BY created_at, id`, a, scanScope)
		if err != nil {
			return nil, fmt.Errorf("list scopes of %d resources: %w", len(resourceIDs), err)
		}
		out = append(out, scopes...)
	}
	if len(resourceIDs) > scopesBatch {
		slices.SortFunc(out, func(x, y store.Scope) int {
			if c := cmp.Compare(x.CreatedAt, y.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(x.ID, y.ID)
		})
	}
	return out, nil
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
