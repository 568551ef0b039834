package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testSSO(t *testing.T, s store.Store) {
	ctx := t.Context()
	connIDs := func(list []store.SSOConnector) []string {
		return ids(list, func(c store.SSOConnector) string { return c.ID })
	}
	identIDs := func(list []store.SSOIdentity) []string {
		return ids(list, func(i store.SSOIdentity) string { return i.IdentityID })
	}

	t.Run("empty", func(t *testing.T) {
		got, err := s.ListSSOConnectors(ctx)
		must(t, err)
		wantEqual(t, "connectors", got, []store.SSOConnector{})
		_, err = s.GetSSOConnector(ctx, "missing")
		wantNotFound(t, err)
		_, err = s.FindSSOIdentity(ctx, "https://idp.example", "sub")
		wantNotFound(t, err)
	})

	okta := store.SSOConnector{ID: "oktaconn0001", ProviderName: "Okta", ConnectorName: "Acme Okta", SealedConfig: "v1:c2VhbGVk",
		Domains: []string{"acme.example", "acme.test"}, Branding: []byte(`{"displayName":"Acme","logo":"https://x/l.png"}`),
		SyncProfile: true, CreatedAt: base + 2}
	saml := store.SSOConnector{ID: "samlconn0001", ProviderName: "SAML", ConnectorName: "Beta SAML", SealedConfig: "plain:e30=",
		CreatedAt: base + 1}
	must(t, s.CreateSSOConnector(ctx, &okta))
	must(t, s.CreateSSOConnector(ctx, &saml))

	t.Run("round trip in creation order", func(t *testing.T) {
		got, err := s.GetSSOConnector(ctx, okta.ID)
		must(t, err)
		wantEqual(t, "provider", got.ProviderName, "Okta")
		wantEqual(t, "name", got.ConnectorName, "Acme Okta")
		wantEqual(t, "sealed config", got.SealedConfig, okta.SealedConfig)
		wantEqual(t, "domains", got.Domains, []string{"acme.example", "acme.test"})
		wantJSON(t, "branding", got.Branding, `{"displayName":"Acme","logo":"https://x/l.png"}`)
		wantEqual(t, "syncProfile", got.SyncProfile, true)
		wantEqual(t, "created", got.CreatedAt, base+2)
		list, err := s.ListSSOConnectors(ctx)
		must(t, err)
		wantEqual(t, "order", connIDs(list), []string{saml.ID, okta.ID})
		// Nil domains and branding come back as empty values, not nil, so
		// that they encode as [] and {}.
		wantEqual(t, "nil domains", list[0].Domains, []string{})
		wantJSON(t, "nil branding", list[0].Branding, `{}`)
	})

	t.Run("defaults", func(t *testing.T) {
		c := store.SSOConnector{ProviderName: "OIDC", ConnectorName: "defaults", SealedConfig: "plain:e30="}
		must(t, s.CreateSSOConnector(ctx, &c))
		if len(c.ID) != 12 || c.CreatedAt == 0 {
			t.Fatalf("id %q, createdAt %d: want a 12-character id and a creation time", c.ID, c.CreatedAt)
		}
		must(t, s.DeleteSSOConnector(ctx, c.ID))
	})

	t.Run("duplicate name and id", func(t *testing.T) {
		dup := store.SSOConnector{ProviderName: "OIDC", ConnectorName: okta.ConnectorName, SealedConfig: "x", CreatedAt: base}
		wantConflict(t, s.CreateSSOConnector(ctx, &dup), "connectorName")
		dup = store.SSOConnector{ID: okta.ID, ProviderName: "OIDC", ConnectorName: "other", SealedConfig: "x", CreatedAt: base}
		wantConflict(t, s.CreateSSOConnector(ctx, &dup), "id")
		list, err := s.ListSSOConnectors(ctx)
		must(t, err)
		wantEqual(t, "unchanged", connIDs(list), []string{saml.ID, okta.ID})
	})

	t.Run("update", func(t *testing.T) {
		upd := store.SSOConnector{ID: saml.ID, ProviderName: "ignored", ConnectorName: "Beta SAML 2", SealedConfig: "v1:bmV3",
			Domains: []string{"beta.example"}, Branding: []byte(`{"logo":"x"}`), SyncProfile: true, CreatedAt: 42}
		must(t, s.UpdateSSOConnector(ctx, &upd))
		got, err := s.GetSSOConnector(ctx, saml.ID)
		must(t, err)
		wantEqual(t, "name", got.ConnectorName, "Beta SAML 2")
		wantEqual(t, "sealed config", got.SealedConfig, "v1:bmV3")
		wantEqual(t, "domains", got.Domains, []string{"beta.example"})
		wantJSON(t, "branding", got.Branding, `{"logo":"x"}`)
		wantEqual(t, "syncProfile", got.SyncProfile, true)
		wantEqual(t, "provider unchanged", got.ProviderName, "SAML")
		wantEqual(t, "creation unchanged", got.CreatedAt, saml.CreatedAt)

		taken := *got
		taken.ConnectorName = okta.ConnectorName
		wantConflict(t, s.UpdateSSOConnector(ctx, &taken), "connectorName")
		wantNotFound(t, s.UpdateSSOConnector(ctx, &store.SSOConnector{ID: "missing", ConnectorName: "m", SealedConfig: "x"}))
	})

	t.Run("rolled back with its transaction", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx store.Store) error {
			must(t, tx.DeleteSSOConnector(ctx, saml.ID))
			c := store.SSOConnector{ProviderName: "OIDC", ConnectorName: "in tx", SealedConfig: "x"}
			must(t, tx.CreateSSOConnector(ctx, &c))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		list, err := s.ListSSOConnectors(context.Background())
		must(t, err)
		wantEqual(t, "after rollback", connIDs(list), []string{saml.ID, okta.ID})
	})

	ann := store.User{ID: id.New(id.UserLength), Username: "ann-sso", CreatedAt: base, UpdatedAt: base}
	bob := store.User{ID: id.New(id.UserLength), Username: "bob-sso", CreatedAt: base, UpdatedAt: base}
	must(t, s.CreateUser(ctx, &ann))
	must(t, s.CreateUser(ctx, &bob))
	const issuer = "https://login.acme.example"

	t.Run("identities", func(t *testing.T) {
		first := store.SSOIdentity{UserID: ann.ID, SSOConnectorID: okta.ID, Issuer: issuer, IdentityID: "sub-ann",
			Detail: []byte(`{"email":"ann@acme.example"}`), CreatedAt: base + 10, UpdatedAt: base + 10}
		must(t, s.UpsertSSOIdentity(ctx, &first))
		if len(first.ID) != 21 {
			t.Fatalf("identity id %q, want 21 characters", first.ID)
		}
		second := store.SSOIdentity{UserID: ann.ID, SSOConnectorID: saml.ID, Issuer: "urn:beta:idp", IdentityID: "ann@beta",
			CreatedAt: base + 11, UpdatedAt: base + 11}
		must(t, s.UpsertSSOIdentity(ctx, &second))

		got, err := s.FindSSOIdentity(ctx, issuer, "sub-ann")
		must(t, err)
		wantEqual(t, "found", *got, store.SSOIdentity{ID: first.ID, UserID: ann.ID, SSOConnectorID: okta.ID, Issuer: issuer,
			IdentityID: "sub-ann", Detail: got.Detail, CreatedAt: base + 10, UpdatedAt: base + 10})
		wantJSON(t, "detail", got.Detail, `{"email":"ann@acme.example"}`)
		_, err = s.FindSSOIdentity(ctx, "https://other.example", "sub-ann")
		wantNotFound(t, err)

		list, err := s.ListUserSSOIdentities(ctx, ann.ID)
		must(t, err)
		wantEqual(t, "ann's identities", identIDs(list), []string{"sub-ann", "ann@beta"})
		wantJSON(t, "nil detail", list[1].Detail, `{}`)
		list, err = s.ListUserSSOIdentities(ctx, bob.ID)
		must(t, err)
		wantEqual(t, "bob's identities", list, []store.SSOIdentity{})
	})

	t.Run("upsert refreshes detail and keeps the owner", func(t *testing.T) {
		// The same subject signing in again, even were the caller to name
		// another user, updates the stored identity in place.
		again := store.SSOIdentity{UserID: bob.ID, SSOConnectorID: okta.ID, Issuer: issuer, IdentityID: "sub-ann",
			Detail: []byte(`{"email":"ann@acme.example","name":"Ann"}`), CreatedAt: base + 50, UpdatedAt: base + 50}
		must(t, s.UpsertSSOIdentity(ctx, &again))
		wantEqual(t, "owner", again.UserID, ann.ID)
		wantEqual(t, "created kept", again.CreatedAt, base+10)
		wantEqual(t, "updated", again.UpdatedAt, base+50)
		got, err := s.FindSSOIdentity(ctx, issuer, "sub-ann")
		must(t, err)
		wantEqual(t, "id kept", got.ID, again.ID)
		wantJSON(t, "detail", got.Detail, `{"email":"ann@acme.example","name":"Ann"}`)
		wantEqual(t, "updated", got.UpdatedAt, base+50)
	})

	t.Run("identity of an unknown user or connector", func(t *testing.T) {
		wantNotFound(t, s.UpsertSSOIdentity(ctx, &store.SSOIdentity{UserID: "nobody", SSOConnectorID: okta.ID, Issuer: issuer, IdentityID: "x"}))
		wantNotFound(t, s.UpsertSSOIdentity(ctx, &store.SSOIdentity{UserID: ann.ID, SSOConnectorID: "missing", Issuer: issuer, IdentityID: "y"}))
	})

	t.Run("deleting a connector deletes its identities", func(t *testing.T) {
		must(t, s.DeleteSSOConnector(ctx, saml.ID))
		wantNotFound(t, s.DeleteSSOConnector(ctx, saml.ID))
		_, err := s.GetSSOConnector(ctx, saml.ID)
		wantNotFound(t, err)
		_, err = s.FindSSOIdentity(ctx, "urn:beta:idp", "ann@beta")
		wantNotFound(t, err)
		list, err := s.ListUserSSOIdentities(ctx, ann.ID)
		must(t, err)
		wantEqual(t, "left", identIDs(list), []string{"sub-ann"})
	})

	t.Run("deleting a user deletes their identities", func(t *testing.T) {
		bobs := store.SSOIdentity{UserID: bob.ID, SSOConnectorID: okta.ID, Issuer: issuer, IdentityID: "sub-bob"}
		must(t, s.UpsertSSOIdentity(ctx, &bobs))
		must(t, s.DeleteUser(ctx, ann.ID))
		_, err := s.FindSSOIdentity(ctx, issuer, "sub-ann")
		wantNotFound(t, err)
		got, err := s.FindSSOIdentity(ctx, issuer, "sub-bob")
		must(t, err)
		wantEqual(t, "bob's kept", got.UserID, bob.ID)
		_, err = s.GetSSOConnector(ctx, okta.ID)
		must(t, err)
	})
}
