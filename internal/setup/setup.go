// Package setup brings a database to a state Gatehouse can serve from:
// schema migrations, the built-in Management API resource and its M2M role,
// and signing keys. Every step is idempotent and safe to run from several
// processes at once.
package setup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Names of the built-in records, as Logto seeds them.
const (
	ManagementAPIIndicator = "https://default.logto.app/api"
	ManagementAPIName      = "Logto Management API"
	ManagementAPIScope     = "all"
	ManagementAPIRoleName  = "Logto Management API access"
)

// Migrator applies the embedded schema migrations.
type Migrator interface {
	Migrate(ctx context.Context) error
}

// Run migrates db, seeds the built-in records and makes sure a signing key
// of each default algorithm exists.
func Run(ctx context.Context, db interface {
	store.Store
	Migrator
}, ring *keys.Ring) error {
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if err := Seed(ctx, db); err != nil {
		return fmt.Errorf("seeding built-in records: %w", err)
	}
	if err := ring.Ensure(ctx); err != nil {
		return fmt.Errorf("creating signing keys: %w", err)
	}
	return nil
}

// Seed creates the Management API resource with its "all" scope and the M2M
// role that holds it, unless they exist.
func Seed(ctx context.Context, st store.Store) error {
	now := time.Now().UnixMilli()
	res, err := st.GetResourceByIndicator(ctx, ManagementAPIIndicator)
	if errors.Is(err, store.ErrNotFound) {
		res = &store.Resource{ID: "management-api", Name: ManagementAPIName, Indicator: ManagementAPIIndicator,
			AccessTokenTTL: 3600, CreatedAt: now}
		err = st.CreateResource(ctx, res)
		if store.IsConflict(err) {
			res, err = st.GetResourceByIndicator(ctx, ManagementAPIIndicator)
		}
	}
	if err != nil {
		return err
	}
	scopes, err := st.ListScopes(ctx, res.ID)
	if err != nil {
		return err
	}
	var scope *store.Scope
	for i := range scopes {
		if scopes[i].Name == ManagementAPIScope {
			scope = &scopes[i]
		}
	}
	if scope == nil {
		scope = &store.Scope{ID: "management-api-all", ResourceID: res.ID, Name: ManagementAPIScope,
			Description: "Default scope for Management API, allows all permissions.", CreatedAt: now}
		if err := st.CreateScope(ctx, scope); store.IsConflict(err) {
			return Seed(ctx, st)
		} else if err != nil {
			return err
		}
	}
	// The role is seeded once, with the scope; an administrator may change
	// or delete it afterwards and it is not brought back. Whether seeding
	// happened is remembered in the settings.
	if _, err := st.GetSetting(ctx, seededRoleSetting); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	role, err := st.GetRoleByName(ctx, ManagementAPIRoleName)
	if errors.Is(err, store.ErrNotFound) {
		role = &store.Role{ID: id.New(id.RecordLength), Name: ManagementAPIRoleName, Type: store.M2MRole,
			Description: "This default role grants access to the Logto management API.", CreatedAt: now}
		err = st.CreateRole(ctx, role)
		if store.IsConflict(err) {
			role, err = st.GetRoleByName(ctx, ManagementAPIRoleName)
		}
	}
	if err != nil {
		return err
	}
	if err := st.AddRoleScopes(ctx, role.ID, []string{scope.ID}); err != nil {
		return err
	}
	return st.PutSetting(ctx, seededRoleSetting, []byte(`{"seeded":true}`))
}

// seededRoleSetting records that the Management API role was seeded.
const seededRoleSetting = "seed.management-api-role"
