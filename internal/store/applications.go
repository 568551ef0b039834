package store

import "context"

// Applications stores OAuth clients and their secrets.
type Applications interface {
	CreateApplication(ctx context.Context, app *Application) error
	GetApplication(ctx context.Context, id string) (*Application, error)
	// ListApplications returns the applications that pass f in creation
	// order, and their total count before paging.
	ListApplications(ctx context.Context, f ApplicationFilter, page Page) ([]Application, int, error)
	UpdateApplication(ctx context.Context, app *Application) error
	DeleteApplication(ctx context.Context, id string) error

	CreateApplicationSecret(ctx context.Context, s *ApplicationSecret) error
	ListApplicationSecrets(ctx context.Context, appID string) ([]ApplicationSecret, error)
	DeleteApplicationSecret(ctx context.Context, appID, name string) error
	// RenameApplicationSecret renames a secret; ConflictError when the new name is taken.
	RenameApplicationSecret(ctx context.Context, appID, name, newName string) error
}

// ApplicationFilter selects applications. Zero values select everything.
type ApplicationFilter struct {
	Types []ApplicationType
	// Search is a case-insensitive substring of the id, name or description.
	Search string
	// ExcludeRoleID leaves out applications that hold this role.
	ExcludeRoleID string
	// IsThirdParty, when set, keeps only (non-)third-party applications.
	IsThirdParty *bool
}
