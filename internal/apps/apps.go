// Package apps creates and describes applications (OAuth clients) the way
// the command line, the Management API and the console all need them.
package apps

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// SecretLength gives client secrets more than 256 bits from [A-Za-z0-9].
const SecretLength = 43

// DefaultSecretName is the name Logto gives an application's first secret.
const DefaultSecretName = "Default secret"

// Input describes an application to create.
type Input struct {
	Name                   string
	Description            string
	Type                   store.ApplicationType
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	CORSAllowedOrigins     []string
	// OIDCClientMetadata and CustomClientMetadata, when set, are taken
	// whole instead of the URI lists above (the Management API sends them).
	OIDCClientMetadata   *store.OIDCClientMetadata
	CustomClientMetadata *store.CustomClientMetadata
	CustomData           json.RawMessage
	IsThirdParty         bool
	// RoleNames are M2M roles to assign (MachineToMachine only).
	RoleNames []string
}

// InvalidError names the input field that is wrong and why.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// Created is a new application with its plain secret, shown once.
type Created struct {
	App    *store.Application
	Secret string
}

// Create validates in and stores the application, its default secret and
// its roles in one transaction.
func Create(ctx context.Context, st store.Store, sealer *seal.Sealer, in Input) (*Created, error) {
	app := &store.Application{
		ID:          id.New(id.RecordLength),
		Name:        strings.TrimSpace(in.Name),
		Description: in.Description,
		Type:        in.Type,
		OIDCClientMetadata: store.OIDCClientMetadata{
			RedirectURIs:           nonNil(in.RedirectURIs),
			PostLogoutRedirectURIs: nonNil(in.PostLogoutRedirectURIs),
		},
		CustomClientMetadata: store.CustomClientMetadata{CORSAllowedOrigins: in.CORSAllowedOrigins},
		CustomData:           in.CustomData,
		IsThirdParty:         in.IsThirdParty,
		CreatedAt:            time.Now().UnixMilli(),
	}
	if in.OIDCClientMetadata != nil {
		app.OIDCClientMetadata = *in.OIDCClientMetadata
	}
	if in.CustomClientMetadata != nil {
		app.CustomClientMetadata = *in.CustomClientMetadata
	}
	if err := Validate(app); err != nil {
		return nil, err
	}
	if app.Type != store.MachineToMachine && len(in.RoleNames) > 0 {
		return nil, &InvalidError{"role", "only machine-to-machine applications hold roles"}
	}
	out := &Created{App: app}
	err := st.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateApplication(ctx, app); err != nil {
			return err
		}
		if in.Type.Confidential() {
			out.Secret = id.Secret(SecretLength)
			if err := AddSecret(ctx, tx, sealer, app.ID, DefaultSecretName, out.Secret, 0); err != nil {
				return err
			}
		}
		var roleIDs []string
		for _, name := range in.RoleNames {
			role, err := tx.GetRoleByName(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				return &InvalidError{"role", fmt.Sprintf("no role is named %q", name)}
			} else if err != nil {
				return err
			}
			if role.Type != store.M2MRole {
				return &InvalidError{"role", fmt.Sprintf("%q is a User role; applications take MachineToMachine roles", name)}
			}
			roleIDs = append(roleIDs, role.ID)
		}
		if len(roleIDs) > 0 {
			return tx.AssignApplicationRoles(ctx, app.ID, roleIDs)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AddSecret stores a client secret as its SHA-256 digest (what
// authenticates) and sealed (what an administrator may be shown).
func AddSecret(ctx context.Context, st store.Store, sealer *seal.Sealer, appID, name, secret string, expiresAt int64) error {
	sealed, err := sealer.Seal([]byte(secret))
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(secret))
	return st.CreateApplicationSecret(ctx, &store.ApplicationSecret{
		ApplicationID: appID, Name: name, Digest: sum[:], Sealed: sealed,
		CreatedAt: time.Now().UnixMilli(), ExpiresAt: expiresAt,
	})
}

// Validate checks an application's fields before it is stored.
func Validate(app *store.Application) error {
	if app.Name == "" {
		return &InvalidError{"name", "is required"}
	}
	if len(app.Name) > 256 {
		return &InvalidError{"name", "is longer than 256 characters"}
	}
	if !app.Type.Valid() {
		return &InvalidError{"type", fmt.Sprintf("%q is not one of Native, SPA, Traditional, MachineToMachine", app.Type)}
	}
	md := &app.OIDCClientMetadata
	md.RedirectURIs, md.PostLogoutRedirectURIs = nonNil(md.RedirectURIs), nonNil(md.PostLogoutRedirectURIs)
	if app.Type == store.MachineToMachine && len(md.RedirectURIs)+len(md.PostLogoutRedirectURIs) > 0 {
		return &InvalidError{"oidcClientMetadata.redirectUris", "machine-to-machine applications have no redirect URIs"}
	}
	for _, u := range md.RedirectURIs {
		if err := ValidateRedirectURI(app.Type, u); err != nil {
			return &InvalidError{"oidcClientMetadata.redirectUris", err.Error()}
		}
	}
	for _, u := range md.PostLogoutRedirectURIs {
		if err := ValidateRedirectURI(app.Type, u); err != nil {
			return &InvalidError{"oidcClientMetadata.postLogoutRedirectUris", err.Error()}
		}
	}
	for _, o := range app.CustomClientMetadata.CORSAllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return &InvalidError{"customClientMetadata.corsAllowedOrigins", fmt.Sprintf("%q is not an origin like https://app.example", o)}
		}
	}
	return nil
}

// ValidateRedirectURI checks a redirect URI for an application type: an
// absolute URI without a fragment; http(s) for web apps, any scheme for
// Native apps (RFC 8252 custom schemes).
func ValidateRedirectURI(t store.ApplicationType, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || strings.Contains(raw, "#") {
		return fmt.Errorf("%q is not an absolute URI without a fragment", raw)
	}
	if t != store.Native && u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must use http or https", raw)
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON is an application in Logto's Management API shape.
type JSON struct {
	TenantID             string                     `json:"tenantId"`
	ID                   string                     `json:"id"`
	Name                 string                     `json:"name"`
	Secret               string                     `json:"secret"`
	Description          *string                    `json:"description"`
	Type                 store.ApplicationType      `json:"type"`
	OIDCClientMetadata   store.OIDCClientMetadata   `json:"oidcClientMetadata"`
	CustomClientMetadata store.CustomClientMetadata `json:"customClientMetadata"`
	ProtectedAppMetadata any                        `json:"protectedAppMetadata"`
	CustomData           json.RawMessage            `json:"customData"`
	IsThirdParty         bool                       `json:"isThirdParty"`
	CreatedAt            int64                      `json:"createdAt"`
	// AppLevelAccessControlEnabled is Logto's organization-level access
	// control switch; Gatehouse has no organizations yet.
	AppLevelAccessControlEnabled bool `json:"appLevelAccessControlEnabled"`
}

// ToJSON renders app; secret is the plain secret when it may be shown.
func ToJSON(app *store.Application, secret string) JSON {
	j := JSON{
		TenantID: "default", ID: app.ID, Name: app.Name, Secret: secret, Type: app.Type,
		OIDCClientMetadata: app.OIDCClientMetadata, CustomClientMetadata: app.CustomClientMetadata,
		CustomData: app.CustomData, IsThirdParty: app.IsThirdParty, CreatedAt: app.CreatedAt,
	}
	if app.Description != "" {
		j.Description = &app.Description
	}
	if len(j.CustomData) == 0 {
		j.CustomData = json.RawMessage("{}")
	}
	j.OIDCClientMetadata.RedirectURIs = nonNil(j.OIDCClientMetadata.RedirectURIs)
	j.OIDCClientMetadata.PostLogoutRedirectURIs = nonNil(j.OIDCClientMetadata.PostLogoutRedirectURIs)
	return j
}
