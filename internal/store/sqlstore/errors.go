package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// uniqueFields maps every unique index and primary key of the schema to the
// field that store.ConflictError reports for it. Names follow PostgreSQL's
// conventions (table_pkey, table_columns_key) in both dialects.
var uniqueFields = map[string]string{
	"applications_pkey":           "id",
	"application_secrets_pkey":    "name",
	"users_pkey":                  "id",
	"users_username_key":          "username",
	"users_primary_email_key":     "primary_email",
	"users_primary_phone_key":     "primary_phone",
	"resources_pkey":              "id",
	"resources_indicator_key":     "indicator",
	"scopes_pkey":                 "id",
	"scopes_resource_id_name_key": "name",
	"roles_pkey":                  "id",
	"roles_name_key":              "name",
	"signing_keys_pkey":           "id",
	"oidc_objects_pkey":           "id",
	"settings_pkey":               "key",
}

// mapErr translates driver errors into the store's: no rows and foreign key
// violations (a reference to a record that does not exist) become
// store.ErrNotFound, unique violations a *store.ConflictError.
func (s *Store) mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	switch kind, name := s.dialect.classify(err); kind {
	case uniqueViolation:
		return &store.ConflictError{Field: uniqueFields[name]}
	case foreignKeyViolation:
		return fmt.Errorf("%w: a referenced record does not exist", store.ErrNotFound)
	}
	return err
}
