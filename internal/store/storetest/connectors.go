package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testConnectors(t *testing.T, s store.Store) {
	ctx := t.Context()

	t.Run("empty", func(t *testing.T) {
		got, err := s.ListConnectors(ctx)
		must(t, err)
		wantEqual(t, "connectors", got, []store.Connector{})
		_, err = s.GetConnector(ctx, "missing")
		wantNotFound(t, err)
	})

	smtp := store.Connector{ID: "smtpconn0001", ConnectorID: "simple-mail-transfer-protocol", SealedConfig: "v1:c2VhbGVk",
		Metadata: []byte(`{}`), CreatedAt: base + 2}
	sms := store.Connector{ID: "smsconn00001", ConnectorID: "http-sms", SealedConfig: "plain:e30=",
		Metadata: []byte(`{"target":"x","name":{"en":"SMS"}}`), SyncProfile: true, EnableTokenStorage: true, CreatedAt: base + 1}
	must(t, s.CreateConnector(ctx, &smtp))
	must(t, s.CreateConnector(ctx, &sms))

	t.Run("round trip in creation order", func(t *testing.T) {
		got, err := s.GetConnector(ctx, smtp.ID)
		must(t, err)
		wantEqual(t, "sealed config", got.SealedConfig, smtp.SealedConfig)
		wantEqual(t, "factory", got.ConnectorID, smtp.ConnectorID)
		wantJSON(t, "metadata", got.Metadata, `{}`)
		wantEqual(t, "created", got.CreatedAt, base+2)
		list, err := s.ListConnectors(ctx)
		must(t, err)
		wantEqual(t, "order", ids(list, func(c store.Connector) string { return c.ID }), []string{sms.ID, smtp.ID})
		wantJSON(t, "metadata", list[0].Metadata, `{"target":"x","name":{"en":"SMS"}}`)
		wantEqual(t, "flags", [2]bool{list[0].SyncProfile, list[0].EnableTokenStorage}, [2]bool{true, true})
	})

	t.Run("defaults", func(t *testing.T) {
		c := store.Connector{ConnectorID: "http-email", SealedConfig: "plain:e30="}
		must(t, s.CreateConnector(ctx, &c))
		if len(c.ID) != 12 || c.CreatedAt == 0 {
			t.Fatalf("id %q, createdAt %d: want a 12-character id and a creation time", c.ID, c.CreatedAt)
		}
		got, err := s.GetConnector(ctx, c.ID)
		must(t, err)
		wantJSON(t, "nil metadata", got.Metadata, `{}`)
		must(t, s.DeleteConnector(ctx, c.ID))
	})

	t.Run("duplicate id", func(t *testing.T) {
		dup := store.Connector{ID: smtp.ID, ConnectorID: "http-email", SealedConfig: "x", CreatedAt: base}
		wantConflict(t, s.CreateConnector(ctx, &dup), "id")
		got, err := s.GetConnector(ctx, smtp.ID)
		must(t, err)
		wantEqual(t, "factory kept", got.ConnectorID, smtp.ConnectorID)
	})

	t.Run("update", func(t *testing.T) {
		upd := store.Connector{ID: smtp.ID, ConnectorID: "ignored", SealedConfig: "v1:bmV3", Metadata: []byte(`{"logo":"x"}`),
			SyncProfile: true, CreatedAt: 42}
		must(t, s.UpdateConnector(ctx, &upd))
		got, err := s.GetConnector(ctx, smtp.ID)
		must(t, err)
		wantEqual(t, "sealed config", got.SealedConfig, "v1:bmV3")
		wantJSON(t, "metadata", got.Metadata, `{"logo":"x"}`)
		wantEqual(t, "syncProfile", got.SyncProfile, true)
		wantEqual(t, "factory unchanged", got.ConnectorID, smtp.ConnectorID)
		wantEqual(t, "creation unchanged", got.CreatedAt, smtp.CreatedAt)
		wantNotFound(t, s.UpdateConnector(ctx, &store.Connector{ID: "missing", SealedConfig: "x"}))
	})

	t.Run("rolled back with its transaction", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx store.Store) error {
			must(t, tx.DeleteConnector(ctx, sms.ID))
			c := store.Connector{ConnectorID: "http-sms", SealedConfig: "x"}
			must(t, tx.CreateConnector(ctx, &c))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		list, err := s.ListConnectors(context.Background())
		must(t, err)
		wantEqual(t, "after rollback", ids(list, func(c store.Connector) string { return c.ID }), []string{sms.ID, smtp.ID})
	})

	t.Run("delete", func(t *testing.T) {
		must(t, s.DeleteConnector(ctx, sms.ID))
		wantNotFound(t, s.DeleteConnector(ctx, sms.ID))
		_, err := s.GetConnector(ctx, sms.ID)
		wantNotFound(t, err)
		list, err := s.ListConnectors(ctx)
		must(t, err)
		wantEqual(t, "left", ids(list, func(c store.Connector) string { return c.ID }), []string{smtp.ID})
	})
}
