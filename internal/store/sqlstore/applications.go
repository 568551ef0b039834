package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const applicationColumns = `id, name, description, type, oidc_client_metadata, custom_client_metadata,
	custom_data, is_third_party, id_token_signing_alg, created_at`

// applicationRow holds the encoded JSON columns of an application.
type applicationRow struct {
	oidcMetadata, customMetadata, customData string
}

func encodeApplication(app *store.Application) (applicationRow, error) {
	var r applicationRow
	var err error
	if r.oidcMetadata, err = oidcMetadataText(app.OIDCClientMetadata); err != nil {
		return r, err
	}
	if r.customMetadata, err = customMetadataText(app.CustomClientMetadata); err != nil {
		return r, err
	}
	if r.customData, err = objectText("custom_data", app.CustomData); err != nil {
		return r, err
	}
	return r, nil
}

func scanApplication(sc scanner) (store.Application, error) {
	var app store.Application
	var r applicationRow
	if err := sc.Scan(&app.ID, &app.Name, &app.Description, &app.Type, &r.oidcMetadata, &r.customMetadata,
		&r.customData, &app.IsThirdParty, &app.IDTokenSigningAlg, &app.CreatedAt); err != nil {
		return app, err
	}
	var err error
	if app.OIDCClientMetadata, err = oidcMetadataValue(r.oidcMetadata); err != nil {
		return app, fmt.Errorf("application %s: %w", app.ID, err)
	}
	if app.CustomClientMetadata, err = customMetadataValue(r.customMetadata); err != nil {
		return app, fmt.Errorf("application %s: %w", app.ID, err)
	}
	app.CustomData = objectValue(r.customData)
	return app, nil
}

// CreateApplication inserts app, filling in ID and CreatedAt when they are
// zero.
func (s *Store) CreateApplication(ctx context.Context, app *store.Application) error {
	if app.ID == "" {
		app.ID = id.New(id.RecordLength)
	}
	if app.CreatedAt == 0 {
		app.CreatedAt = nowMillis()
	}
	r, err := encodeApplication(app)
	if err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO applications (`+applicationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		app.ID, app.Name, app.Description, string(app.Type), r.oidcMetadata, r.customMetadata,
		r.customData, app.IsThirdParty, app.IDTokenSigningAlg, app.CreatedAt)
	if err != nil {
		return fmt.Errorf("create application: %w", s.mapErr(err))
	}
	return nil
}

// GetApplication returns the application with the given id.
func (s *Store) GetApplication(ctx context.Context, appID string) (*store.Application, error) {
	app, err := scanApplication(s.q.QueryRowContext(ctx,
		`SELECT `+applicationColumns+` FROM applications WHERE id = $1`, appID))
	if err != nil {
		return nil, fmt.Errorf("get application %s: %w", appID, s.mapErr(err))
	}
	return &app, nil
}

// ListApplications returns the applications of the given types (all when
// types is empty) whose id, name or description contains search, ignoring
// case, in creation order, with their total count before paging.
func (s *Store) ListApplications(ctx context.Context, f store.ApplicationFilter, page store.Page) ([]store.Application, int, error) {
	var a args
	var where []string
	if len(f.Types) > 0 {
		placeholders := make([]string, len(f.Types))
		for i, t := range f.Types {
			placeholders[i] = a.add(string(t))
		}
		where = append(where, "type IN ("+strings.Join(placeholders, ", ")+")")
	}
	if f.Search != "" {
		where = append(where, s.dialect.containsFold(&a, f.Search, "id", "name", "description"))
	}
	if f.ExcludeRoleID != "" {
		where = append(where, "id NOT IN (SELECT application_id FROM applications_roles WHERE role_id = "+a.add(f.ExcludeRoleID)+")")
	}
	if f.IsThirdParty != nil {
		where = append(where, "is_third_party = "+a.add(*f.IsThirdParty))
	}
	apps, total, err := listPage(ctx, s, "applications", applicationColumns, strings.Join(where, " AND "), a, page, scanApplication)
	if err != nil {
		return nil, 0, fmt.Errorf("list applications: %w", err)
	}
	return apps, total, nil
}

// UpdateApplication overwrites every field of the application app.ID except
// CreatedAt.
func (s *Store) UpdateApplication(ctx context.Context, app *store.Application) error {
	r, err := encodeApplication(app)
	if err != nil {
		return fmt.Errorf("update application %s: %w", app.ID, err)
	}
	err = s.expectOne(s.q.ExecContext(ctx, `UPDATE applications SET name = $2, description = $3, type = $4,
		oidc_client_metadata = $5, custom_client_metadata = $6, custom_data = $7, is_third_party = $8,
		id_token_signing_alg = $9 WHERE id = $1`,
		app.ID, app.Name, app.Description, string(app.Type), r.oidcMetadata, r.customMetadata,
		r.customData, app.IsThirdParty, app.IDTokenSigningAlg))
	if err != nil {
		return fmt.Errorf("update application %s: %w", app.ID, err)
	}
	return nil
}

// DeleteApplication deletes an application with its secrets and role
// assignments.
func (s *Store) DeleteApplication(ctx context.Context, appID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM applications WHERE id = $1`, appID)); err != nil {
		return fmt.Errorf("delete application %s: %w", appID, err)
	}
	return nil
}

// CreateApplicationSecret inserts a secret, filling in CreatedAt when it is
// zero. A secret of an application that does not exist is ErrNotFound.
func (s *Store) CreateApplicationSecret(ctx context.Context, sec *store.ApplicationSecret) error {
	if sec.CreatedAt == 0 {
		sec.CreatedAt = nowMillis()
	}
	digest := sec.Digest
	if digest == nil {
		digest = []byte{} // NOT NULL; the caller's bug shows up at authentication, not here
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO application_secrets
		(application_id, name, digest, sealed, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		sec.ApplicationID, sec.Name, digest, sec.Sealed, sec.CreatedAt, sec.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create secret %q of application %s: %w", sec.Name, sec.ApplicationID, s.mapErr(err))
	}
	return nil
}

// ListApplicationSecrets returns an application's secrets, oldest first,
// expired ones included.
func (s *Store) ListApplicationSecrets(ctx context.Context, appID string) ([]store.ApplicationSecret, error) {
	secrets, err := queryAll(ctx, s, `SELECT application_id, name, digest, sealed, created_at, expires_at
		FROM application_secrets WHERE application_id = $1 ORDER BY created_at, name`, []any{appID},
		func(sc scanner) (store.ApplicationSecret, error) {
			var sec store.ApplicationSecret
			err := sc.Scan(&sec.ApplicationID, &sec.Name, &sec.Digest, &sec.Sealed, &sec.CreatedAt, &sec.ExpiresAt)
			return sec, err
		})
	if err != nil {
		return nil, fmt.Errorf("list secrets of application %s: %w", appID, err)
	}
	return secrets, nil
}

// DeleteApplicationSecret deletes one secret by name.
func (s *Store) DeleteApplicationSecret(ctx context.Context, appID, name string) error {
	err := s.expectOne(s.q.ExecContext(ctx,
		`DELETE FROM application_secrets WHERE application_id = $1 AND name = $2`, appID, name))
	if err != nil {
		return fmt.Errorf("delete secret %q of application %s: %w", name, appID, err)
	}
	return nil
}

// RenameApplicationSecret renames the secret name of application appID to newName.
func (s *Store) RenameApplicationSecret(ctx context.Context, appID, name, newName string) error {
	err := s.expectOne(s.q.ExecContext(ctx,
		`UPDATE application_secrets SET name = $3 WHERE application_id = $1 AND name = $2`, appID, name, newName))
	if err != nil {
		return fmt.Errorf("rename secret %q of application %s: %w", name, appID, s.mapErr(err))
	}
	return nil
}
