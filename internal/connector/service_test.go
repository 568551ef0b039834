package connector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
)

func TestMaskValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"x":                       "******",
		"fifteen-chars-1":         "******",
		"sixteen-chars-12":        "******s-12",
		"Bearer abcdefghijklmnop": "******mnop",
		"пароль-пароль-пароль":    "******роль",
	} {
		if got := connector.MaskValue(in); got != want {
			t.Errorf("MaskValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskAndUnmask(t *testing.T) {
	f := connector.SMTPFactory()
	stored := json.RawMessage(`{"host":"h","port":587,"auth":{"user":"u","pass":"a-long-password-0042"},"big":12345678901234567890}`)
	masked := f.Mask(stored)
	if strings.Contains(string(masked), "a-long-password") || !strings.Contains(string(masked), `"pass":"******0042"`) {
		t.Fatalf("masked %s", masked)
	}
	if !strings.Contains(string(masked), "12345678901234567890") || !strings.Contains(string(masked), `"user":"u"`) {
		t.Fatalf("masking changed other fields: %s", masked)
	}
	// Sending the masked form back keeps the secret.
	back := f.Unmask(masked, stored)
	var got struct{ Auth struct{ Pass string } }
	json.Unmarshal(back, &got)
	if got.Auth.Pass != "a-long-password-0042" {
		t.Fatalf("unmasked %s", back)
	}
	// A new secret, or another masked-looking value, is taken as sent.
	for _, pass := range []string{"new-password", "******", "******9999"} {
		in := json.RawMessage(`{"auth":{"user":"u","pass":"` + pass + `"}}`)
		if out := f.Unmask(in, stored); !bytes.Equal(out, in) {
			t.Errorf("pass %q: Unmask = %s", pass, out)
		}
	}
	// HTTP: the authorization header.
	h := connector.HTTPEmailFactory()
	m := h.Mask(json.RawMessage(`{"endpoint":"https://x.example/y","authorization":"Bearer 0123456789abcdef"}`))
	if !strings.Contains(string(m), `"authorization":"******cdef"`) || !strings.Contains(string(m), "https://x.example/y") {
		t.Fatalf("masked %s", m)
	}
	if out := h.Mask(json.RawMessage(`{"endpoint":"https://x.example/y"}`)); string(out) != `{"endpoint":"https://x.example/y"}` {
		t.Fatalf("no secret: %s", out)
	}
}

func newService(t *testing.T) (*connector.Service, store.Store) {
	t.Helper()
	st := sqltest.SQLite(t)
	sealer, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return connector.NewService(st, sealer, connector.Options{}), st
}

func TestServiceLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: "s3cret-password-1234"})

	if _, err := svc.Sender(ctx, connector.TypeEmail); !errors.Is(err, connector.ErrNoConnector) {
		t.Fatalf("Sender with nothing configured: %v", err)
	}
	smtpConn, err := svc.Create(ctx, connector.CreateInput{FactoryID: connector.SMTPFactoryID, Config: smtpConfig(srv, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(smtpConn.ID) != 12 {
		t.Fatalf("id %q", smtpConn.ID)
	}

	// Sealed at rest: the store never sees the password.
	rec, err := st.GetConnector(ctx, smtpConn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.SealedConfig, "v1:") || strings.Contains(rec.SealedConfig, "s3cret") {
		t.Fatalf("stored config %q", rec.SealedConfig)
	}

	// Marshalled: Logto's shape, masked.
	raw, _ := json.Marshal(smtpConn)
	if strings.Contains(string(raw), "s3cret-password") || !strings.Contains(string(raw), `"pass":"******1234"`) {
		t.Fatalf("response %s", raw)
	}
	var shape map[string]any
	json.Unmarshal(raw, &shape)
	for k, want := range map[string]any{"id": smtpConn.ID, "connectorId": connector.SMTPFactoryID, "type": "Email", "target": "smtp",
		"platform": nil, "syncProfile": false, "enableTokenStorage": false, "isDemo": false} {
		if shape[k] != want {
			t.Errorf("%s = %v, want %v", k, shape[k], want)
		}
	}
	if _, ok := shape["metadata"].(map[string]any); !ok {
		t.Errorf("metadata = %v", shape["metadata"])
	}

	// Sending through the configured connector.
	sender, err := svc.Sender(ctx, connector.TypeEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(ctx, signIn); err != nil {
		t.Fatal(err)
	}
	if srv.Last(t).Code() != "123456" {
		t.Fatal("code not delivered")
	}
	if _, err := svc.Sender(ctx, connector.TypeSMS); !errors.Is(err, connector.ErrNoConnector) {
		t.Fatalf("SMS sender: %v", err)
	}

	// One connector per factory.
	if _, err := svc.Create(ctx, connector.CreateInput{FactoryID: connector.SMTPFactoryID, Config: smtpConfig(srv, nil)}); !errors.Is(err, connector.ErrMultipleInstances) {
		t.Fatalf("second SMTP connector: %v", err)
	}
	// Errors change nothing.
	for _, in := range []connector.CreateInput{
		{FactoryID: "nope", Config: json.RawMessage(`{}`)},
		{FactoryID: connector.HTTPEmailFactoryID, Config: json.RawMessage(`{"endpoint": 5}`)},
		{FactoryID: connector.HTTPEmailFactoryID, Config: json.RawMessage(`{"endpoint": "https://e.example"}`), Metadata: json.RawMessage(`{"target":"x"}`)},
		{ID: smtpConn.ID, FactoryID: connector.HTTPSMSFactoryID, Config: json.RawMessage(`{"endpoint": "https://e.example"}`)},
	} {
		if _, err := svc.Create(ctx, in); err == nil {
			t.Fatalf("Create(%+v) succeeded", in)
		}
	}
	if list, _ := svc.List(ctx); len(list) != 1 {
		t.Fatalf("%d connectors after failed creations", len(list))
	}

	// An SMS connector sits beside the email one; a new email connector
	// replaces the old.
	sms, err := svc.Create(ctx, connector.CreateInput{FactoryID: connector.HTTPSMSFactoryID, Config: json.RawMessage(`{"endpoint": "https://sms.example/send"}`)})
	if err != nil {
		t.Fatal(err)
	}
	httpEmail, err := svc.Create(ctx, connector.CreateInput{ID: "my-email-con", FactoryID: connector.HTTPEmailFactoryID,
		Config: json.RawMessage(`{"endpoint": "https://mail.example/send", "authorization": "Bearer 0123456789abcdef"}`), Metadata: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := svc.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID == list[1].ID || (list[0].ID != sms.ID && list[1].ID != sms.ID) ||
		(list[0].ID != "my-email-con" && list[1].ID != "my-email-con") {
		t.Fatalf("after replacing: %v %v", list, err)
	}
	if _, err := svc.Get(ctx, smtpConn.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old SMTP connector: %v", err)
	}

	// Update: the masked secret sent back keeps the stored one.
	masked := httpEmail.Factory.Mask(httpEmail.Config)
	upd, err := svc.Update(ctx, httpEmail.ID, connector.UpdateInput{Config: masked})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(upd.Config), "Bearer 0123456789abcdef") {
		t.Fatalf("secret lost: %s", upd.Config)
	}
	upd, err = svc.Update(ctx, httpEmail.ID, connector.UpdateInput{Config: json.RawMessage(`{"endpoint": "https://mail2.example/send"}`)})
	if err != nil || string(upd.Config) != `{"endpoint": "https://mail2.example/send"}` {
		t.Fatalf("replaced config: %s %v", upd.Config, err)
	}
	yes := true
	for _, in := range []connector.UpdateInput{
		{Config: json.RawMessage(`{"endpoint": "nope"}`)},
		{Metadata: json.RawMessage(`{"name":{"en":"x"}}`)},
		{SyncProfile: &yes},
	} {
		if _, err := svc.Update(ctx, httpEmail.ID, in); err == nil {
			t.Fatalf("Update(%+v) succeeded", in)
		}
	}
	if got, _ := svc.Get(ctx, httpEmail.ID); string(got.Config) != `{"endpoint": "https://mail2.example/send"}` || got.SyncProfile {
		t.Fatalf("failed updates changed %+v", got)
	}
	if _, err := svc.Update(ctx, "missing", connector.UpdateInput{EnableTokenStorage: &yes}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	if upd, err = svc.Update(ctx, httpEmail.ID, connector.UpdateInput{EnableTokenStorage: &yes}); err != nil || !upd.EnableTokenStorage {
		t.Fatalf("enableTokenStorage: %v", err)
	}

	if err := svc.Delete(ctx, httpEmail.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, httpEmail.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := svc.Sender(ctx, connector.TypeEmail); !errors.Is(err, connector.ErrNoConnector) {
		t.Fatalf("Sender after delete: %v", err)
	}
}

func TestServiceTest(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: "s3cret-password-1234"})
	msg := connector.Message{To: "ann@example.com", UsageType: connector.UsageGeneric, Code: "000000"}
	if err := svc.Test(ctx, connector.SMTPFactoryID, connector.TypeEmail, smtpConfig(srv, nil), msg); err != nil {
		t.Fatal(err)
	}
	if m := srv.Last(t); m.Code() != "000000" {
		t.Fatalf("test mail %q", m.Body())
	}
	if list, _ := svc.List(ctx); len(list) != 0 {
		t.Fatal("the test stored a connector")
	}
	if err := svc.Test(ctx, connector.SMTPFactoryID, connector.TypeSMS, smtpConfig(srv, nil), msg); !errors.Is(err, connector.ErrUnexpectedType) {
		t.Fatalf("SMS to SMTP: %v", err)
	}
	if err := svc.Test(ctx, "nope", connector.TypeEmail, smtpConfig(srv, nil), msg); !errors.Is(err, connector.ErrUnknownFactory) {
		t.Fatalf("unknown factory: %v", err)
	}
	if _, ok := connector.IsConfigError(svc.Test(ctx, connector.SMTPFactoryID, connector.TypeEmail, json.RawMessage(`{"host":"x"}`), msg)); !ok {
		t.Fatal("bad config accepted")
	}
	// A masked secret is taken from the stored connector of the factory.
	c, err := svc.Create(ctx, connector.CreateInput{FactoryID: connector.SMTPFactoryID, Config: smtpConfig(srv, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Test(ctx, connector.SMTPFactoryID, connector.TypeEmail, c.Factory.Mask(c.Config), msg); err != nil {
		t.Fatalf("test with the masked config: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	r := connector.DefaultRegistry()
	var ids []string
	for _, f := range r.Factories() {
		ids = append(ids, f.Metadata.ID)
		raw, _ := json.Marshal(f)
		var m map[string]any
		json.Unmarshal(raw, &m)
		for _, k := range []string{"id", "target", "type", "platform", "name", "logo", "logoDark", "description", "readme", "formItems", "isDemo"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %s in %s", f.Metadata.ID, k, raw)
			}
		}
		if m["platform"] != nil || !strings.HasPrefix(m["logo"].(string), "data:image/svg+xml;base64,") {
			t.Errorf("%s: platform %v, logo %.40v", f.Metadata.ID, m["platform"], m["logo"])
		}
	}
	if strings.Join(ids, ",") != "http-email,http-sms,simple-mail-transfer-protocol" {
		t.Fatalf("factories %v", ids)
	}
	if _, ok := r.Factory("nope"); ok {
		t.Fatal("unknown factory found")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate factory id accepted")
		}
	}()
	r.Add(connector.SMTPFactory())
}

func TestConnectorNeverPrintsItsConfig(t *testing.T) {
	c := connector.Connector{Connector: store.Connector{ID: "abc", ConnectorID: connector.HTTPEmailFactoryID, SealedConfig: "v1:x"},
		Factory: connector.HTTPEmailFactory(), Config: json.RawMessage(`{"endpoint":"https://e.example","authorization":"Bearer 0123456789abcdef"}`)}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", &c), fmt.Sprint([]connector.Connector{c})} {
		if strings.Contains(s, "Bearer") {
			t.Fatalf("printed %s", s)
		}
	}
	for _, v := range []any{c, &c, []connector.Connector{c}} {
		raw, err := json.Marshal(v)
		if err != nil || strings.Contains(string(raw), "Bearer 0123") || strings.Contains(string(raw), "v1:x") || !strings.Contains(string(raw), "******cdef") {
			t.Fatalf("marshalled %s (%v)", raw, err)
		}
	}
}

// Social identities are keyed by target, so two connectors of one
// platform may not share one: an account id at one provider would sign in
// the holder of the same id at the other.
func TestSocialTargetsAreUnique(t *testing.T) {
	ctx := context.Background()
	svc := connector.NewService(sqltest.SQLite(t), nil, connector.Options{Registry: connector.NewRegistry(fakeSocialFactory("oauth2", true), fakeSocialFactory("gh", false))})
	first, err := svc.Create(ctx, connector.CreateInput{FactoryID: "oauth2", Config: json.RawMessage(`{}`), Metadata: json.RawMessage(`{"target":"acme"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, connector.CreateInput{FactoryID: "oauth2", Config: json.RawMessage(`{}`), Metadata: json.RawMessage(`{"target":"acme"}`)}); !errors.Is(err, connector.ErrTargetInUse) {
		t.Fatalf("a second connector with the target acme: %v, want ErrTargetInUse", err)
	}
	second, err := svc.Create(ctx, connector.CreateInput{FactoryID: "oauth2", Config: json.RawMessage(`{}`), Metadata: json.RawMessage(`{"target":"other"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, second.ID, connector.UpdateInput{Metadata: json.RawMessage(`{"target":"acme"}`)}); !errors.Is(err, connector.ErrTargetInUse) {
		t.Fatalf("renaming a target onto another's: %v, want ErrTargetInUse", err)
	}
	if _, err := svc.Update(ctx, first.ID, connector.UpdateInput{Metadata: json.RawMessage(`{"target":"acme","name":{"en":"Acme"}}`)}); err != nil {
		t.Fatalf("updating a connector's own metadata: %v", err)
	}
	if _, err := svc.Create(ctx, connector.CreateInput{FactoryID: "gh", Config: json.RawMessage(`{}`)}); err != nil {
		t.Fatalf("a connector of another target: %v", err)
	}
}

func fakeSocialFactory(id string, standard bool) *connector.Factory {
	web := "Web"
	return &connector.Factory{Type: connector.TypeSocial, SingleInstance: !standard,
		Metadata:  connector.Metadata{ID: id, Target: id, Platform: &web, Name: map[string]string{"en": id}, IsStandard: standard},
		Validate:  func(json.RawMessage) error { return nil },
		NewSocial: func(json.RawMessage, connector.Env) (connector.Social, error) { return nil, nil }}
}
