package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func fullApplication() store.Application {
	rotate := false
	return store.Application{
		ID:          newID(),
		Name:        "Console",
		Description: "The admin console — ünïcode",
		Type:        store.Traditional,
		OIDCClientMetadata: store.OIDCClientMetadata{
			RedirectURIs:           []string{"https://app.example/callback", "http://localhost:3000/cb"},
			PostLogoutRedirectURIs: []string{"https://app.example/"},
			BackchannelLogoutURI:   "https://app.example/backchannel",
			LogoURI:                "https://app.example/logo.png",
		},
		CustomClientMetadata: store.CustomClientMetadata{
			CORSAllowedOrigins:      []string{"https://app.example"},
			IDTokenTTL:              3600,
			RefreshTokenTTL:         86400,
			RefreshTokenTTLInDays:   14,
			AlwaysIssueRefreshToken: true,
			RotateRefreshToken:      &rotate,
		},
		CustomData:        json.RawMessage(`{"tier":"gold","limits":{"rps":10},"tags":["a","b"]}`),
		IsThirdParty:      true,
		IDTokenSigningAlg: "RS256",
		CreatedAt:         base,
	}
}

func testApplications(t *testing.T, s store.Store) {
	ctx := t.Context()

	t.Run("round trip of every field", func(t *testing.T) {
		app := fullApplication()
		must(t, s.CreateApplication(ctx, &app))
		got, err := s.GetApplication(ctx, app.ID)
		must(t, err)
		wantEqual(t, "application", *got, app)
	})

	t.Run("zero values", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "Bare", Type: store.SPA, CreatedAt: base}
		must(t, s.CreateApplication(ctx, &app))
		got, err := s.GetApplication(ctx, app.ID)
		must(t, err)
		wantJSON(t, "nil custom data", got.CustomData, `{}`)
		// Nil URI lists are stored as [] and read back empty, not nil, so
		// that they encode as Logto's [].
		if got.OIDCClientMetadata.RedirectURIs == nil || len(got.OIDCClientMetadata.RedirectURIs) != 0 {
			t.Fatalf("redirect URIs = %#v, want empty non-nil", got.OIDCClientMetadata.RedirectURIs)
		}
		if got.OIDCClientMetadata.PostLogoutRedirectURIs == nil || len(got.OIDCClientMetadata.PostLogoutRedirectURIs) != 0 {
			t.Fatalf("post-logout URIs = %#v, want empty non-nil", got.OIDCClientMetadata.PostLogoutRedirectURIs)
		}
		wantEqual(t, "custom client metadata", got.CustomClientMetadata, store.CustomClientMetadata{})
		if got.IsThirdParty || got.IDTokenSigningAlg != "" || got.Description != "" {
			t.Fatalf("zero fields came back set: %+v", got)
		}
	})

	t.Run("fills in id and creation time", func(t *testing.T) {
		app := store.Application{Name: "Auto", Type: store.Native}
		must(t, s.CreateApplication(ctx, &app))
		if app.ID == "" || app.CreatedAt == 0 {
			t.Fatalf("id %q, created %d: want both filled in", app.ID, app.CreatedAt)
		}
		got, err := s.GetApplication(ctx, app.ID)
		must(t, err)
		wantEqual(t, "created at", got.CreatedAt, app.CreatedAt)
	})

	t.Run("duplicate id", func(t *testing.T) {
		app := fullApplication()
		must(t, s.CreateApplication(ctx, &app))
		again := fullApplication()
		again.ID = app.ID
		wantConflict(t, s.CreateApplication(ctx, &again), "id")
	})

	t.Run("invalid custom data", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "Bad", Type: store.SPA, CustomData: json.RawMessage(`{"a":`)}
		if err := s.CreateApplication(ctx, &app); err == nil {
			t.Fatal("created an application with invalid JSON custom data")
		}
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.GetApplication(ctx, "missing")
		wantNotFound(t, err)
		app := fullApplication()
		wantNotFound(t, s.UpdateApplication(ctx, &app))
		wantNotFound(t, s.DeleteApplication(ctx, "missing"))
	})

	t.Run("update", func(t *testing.T) {
		app := fullApplication()
		must(t, s.CreateApplication(ctx, &app))
		rotate := true
		updated := store.Application{
			ID:          app.ID,
			Name:        "Renamed",
			Description: "new",
			Type:        store.MachineToMachine,
			OIDCClientMetadata: store.OIDCClientMetadata{
				RedirectURIs:           []string{"https://other.example/cb"},
				PostLogoutRedirectURIs: []string{},
			},
			CustomClientMetadata: store.CustomClientMetadata{RotateRefreshToken: &rotate},
			CustomData:           json.RawMessage(`{"k":1}`),
			IsThirdParty:         false,
			IDTokenSigningAlg:    "ES384",
			CreatedAt:            base + 999, // ignored: creation time is fixed
		}
		must(t, s.UpdateApplication(ctx, &updated))
		got, err := s.GetApplication(ctx, app.ID)
		must(t, err)
		updated.CreatedAt = app.CreatedAt
		wantEqual(t, "updated application", *got, updated)
	})

	t.Run("delete", func(t *testing.T) {
		app := fullApplication()
		must(t, s.CreateApplication(ctx, &app))
		must(t, s.DeleteApplication(ctx, app.ID))
		_, err := s.GetApplication(ctx, app.ID)
		wantNotFound(t, err)
		wantNotFound(t, s.DeleteApplication(ctx, app.ID))
	})
}

func testApplicationList(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Created out of id order, with two sharing a creation time, so that the
	// expected order (created_at, then id) is not insertion order.
	specs := []struct {
		id, name, description string
		typ                   store.ApplicationType
		created               int64
	}{
		{"app-c", "Shop Front", "customer web shop", store.SPA, base + 2},
		{"app-b", "Billing Worker", "nightly invoices", store.MachineToMachine, base + 1},
		{"app-a", "iOS", "the Shop app for phones", store.Native, base + 1},
		{"app-d", "Back office", "100% internal_tool", store.Traditional, base + 3},
		{"app-e", "Reporting", "cron", store.MachineToMachine, base + 4},
	}
	for _, sp := range specs {
		app := store.Application{ID: sp.id, Name: sp.name, Description: sp.description, Type: sp.typ, CreatedAt: sp.created}
		must(t, s.CreateApplication(ctx, &app))
	}
	appID := func(a store.Application) string { return a.ID }
	all := store.Page{}

	cases := []struct {
		name   string
		types  []store.ApplicationType
		search string
		page   store.Page
		want   []string
		total  int
	}{
		{"all in order", nil, "", all, []string{"app-a", "app-b", "app-c", "app-d", "app-e"}, 5},
		{"page 1", nil, "", store.Page{Page: 1, PageSize: 2}, []string{"app-a", "app-b"}, 5},
		{"page 3", nil, "", store.Page{Page: 3, PageSize: 2}, []string{"app-e"}, 5},
		{"past the end", nil, "", store.Page{Page: 4, PageSize: 2}, []string{}, 5},
		{"page size 0 is all", nil, "", store.Page{Page: 2, PageSize: 0}, []string{"app-a", "app-b", "app-c", "app-d", "app-e"}, 5},
		{"one type", []store.ApplicationType{store.MachineToMachine}, "", all, []string{"app-b", "app-e"}, 2},
		{"two types", []store.ApplicationType{store.SPA, store.Native}, "", all, []string{"app-a", "app-c"}, 2},
		{"search name and description ignoring case", nil, "shop", all, []string{"app-a", "app-c"}, 2},
		{"search id", nil, "APP-D", all, []string{"app-d"}, 1},
		{"search and type", []store.ApplicationType{store.SPA}, "shop", all, []string{"app-c"}, 1},
		{"search and page", nil, "o", store.Page{Page: 2, PageSize: 2}, []string{"app-c", "app-d"}, 5},
		{"percent is literal", nil, "%", all, []string{"app-d"}, 1},
		{"underscore matches itself", nil, "l_t", all, []string{"app-d"}, 1},
		{"underscore is no wildcard", nil, "g_w", all, []string{}, 0},
		{"no match", nil, "zzz", all, []string{}, 0},
	}
	thirdParty := store.Application{ID: "app-f", Name: "Partner", Type: store.Traditional, IsThirdParty: true, CreatedAt: base + 5}
	must(t, s.CreateApplication(ctx, &thirdParty))
	role := store.Role{Name: "reporting-role", Type: store.M2MRole}
	must(t, s.CreateRole(ctx, &role))
	must(t, s.AssignApplicationRoles(ctx, "app-e", []string{role.ID}))
	yes, no := true, false
	t.Run("third party only", func(t *testing.T) {
		apps, total, err := s.ListApplications(ctx, store.ApplicationFilter{IsThirdParty: &yes}, all)
		must(t, err)
		wantEqual(t, "ids", ids(apps, appID), []string{"app-f"})
		wantEqual(t, "total", total, 1)
	})
	t.Run("exclude role holders, first party only", func(t *testing.T) {
		apps, _, err := s.ListApplications(ctx, store.ApplicationFilter{Types: []store.ApplicationType{store.MachineToMachine},
			ExcludeRoleID: role.ID, IsThirdParty: &no}, all)
		must(t, err)
		wantEqual(t, "ids", ids(apps, appID), []string{"app-b"})
	})
	must(t, s.DeleteApplication(ctx, "app-f"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			apps, total, err := s.ListApplications(ctx, store.ApplicationFilter{Types: c.types, Search: c.search}, c.page)
			must(t, err)
			wantEqual(t, "ids", ids(apps, appID), c.want)
			wantEqual(t, "total", total, c.total)
		})
	}
}

func testApplicationSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	app := fullApplication()
	must(t, s.CreateApplication(ctx, &app))

	digest := bytes.Repeat([]byte{0x00, 0xff, 0x7f, 0x80}, 8) // not UTF-8, has NULs
	first := store.ApplicationSecret{ApplicationID: app.ID, Name: "default", Digest: digest,
		Sealed: "v1:sealed", CreatedAt: base + 2, ExpiresAt: base + 1000}
	second := store.ApplicationSecret{ApplicationID: app.ID, Name: "rotation", Digest: []byte{1, 2, 3},
		Sealed: "plain:abc", CreatedAt: base + 1}
	must(t, s.CreateApplicationSecret(ctx, &first))
	must(t, s.CreateApplicationSecret(ctx, &second))

	t.Run("list round trip in creation order", func(t *testing.T) {
		got, err := s.ListApplicationSecrets(ctx, app.ID)
		must(t, err)
		wantEqual(t, "secrets", got, []store.ApplicationSecret{second, first})
	})

	t.Run("duplicate name", func(t *testing.T) {
		dup := store.ApplicationSecret{ApplicationID: app.ID, Name: "default", Digest: []byte{9}, CreatedAt: base}
		wantConflict(t, s.CreateApplicationSecret(ctx, &dup), "name")
	})

	t.Run("same name on another application", func(t *testing.T) {
		other := fullApplication()
		must(t, s.CreateApplication(ctx, &other))
		sec := store.ApplicationSecret{ApplicationID: other.ID, Name: "default", Digest: []byte{9}, CreatedAt: base}
		must(t, s.CreateApplicationSecret(ctx, &sec))
	})

	t.Run("unknown application", func(t *testing.T) {
		sec := store.ApplicationSecret{ApplicationID: "missing", Name: "x", Digest: []byte{1}, CreatedAt: base}
		wantNotFound(t, s.CreateApplicationSecret(ctx, &sec))
		got, err := s.ListApplicationSecrets(ctx, "missing")
		must(t, err)
		wantEqual(t, "secrets of a missing application", got, []store.ApplicationSecret{})
	})

	t.Run("rename", func(t *testing.T) {
		wantConflict(t, s.RenameApplicationSecret(ctx, app.ID, "rotation", "default"), "name")
		wantNotFound(t, s.RenameApplicationSecret(ctx, app.ID, "missing", "other"))
		must(t, s.RenameApplicationSecret(ctx, app.ID, "rotation", "renamed"))
		must(t, s.RenameApplicationSecret(ctx, app.ID, "renamed", "rotation"))
	})

	t.Run("delete", func(t *testing.T) {
		must(t, s.DeleteApplicationSecret(ctx, app.ID, "rotation"))
		wantNotFound(t, s.DeleteApplicationSecret(ctx, app.ID, "rotation"))
		got, err := s.ListApplicationSecrets(ctx, app.ID)
		must(t, err)
		wantEqual(t, "secrets", got, []store.ApplicationSecret{first})
	})

	t.Run("deleting the application deletes its secrets", func(t *testing.T) {
		must(t, s.DeleteApplication(ctx, app.ID))
		// A new application with the same id must not inherit them.
		again := fullApplication()
		again.ID = app.ID
		must(t, s.CreateApplication(ctx, &again))
		got, err := s.ListApplicationSecrets(ctx, app.ID)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("secrets survived their application: %s", fmt.Sprint(got))
		}
	})
}
