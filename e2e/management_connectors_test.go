package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

// connectorRoutes are the connector family's operations, with placeholders
// filled in.
var connectorRoutes = []struct{ method, path string }{
	{"GET", "/api/connector-factories"},
	{"GET", "/api/connector-factories/simple-mail-transfer-protocol"},
	{"GET", "/api/connectors"},
	{"POST", "/api/connectors"},
	{"GET", "/api/connectors/x"},
	{"PATCH", "/api/connectors/x"},
	{"DELETE", "/api/connectors/x"},
	{"POST", "/api/connectors/simple-mail-transfer-protocol/test"},
}

const smtpPassword = "s3cret-password-1234"

// smtpConnectorConfig is an SMTP connector config for srv.
func smtpConnectorConfig(srv *connectortest.SMTPServer, pass string) map[string]any {
	tpl := func(usage string) map[string]any {
		return map[string]any{"usageType": usage, "contentType": "text/plain", "subject": usage + " code", "content": "Your code is {{code}}."}
	}
	return map[string]any{
		"host": srv.Host, "port": srv.Port,
		"auth":      map[string]any{"user": "mailer", "pass": pass},
		"fromEmail": "Gatehouse <no-reply@example.com>",
		"tls":       map[string]any{"ca": srv.CertPEM},
		"templates": []any{tpl("SignIn"), tpl("Register"), tpl("ForgotPassword"), tpl("Generic")},
	}
}

func TestManagementConnectorsNeedToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: smtpPassword})
	anon := &mgmt{t: t, base: in.URL}
	body := map[string]any{"connectorId": "simple-mail-transfer-protocol", "email": "ann@example.com", "config": smtpConnectorConfig(srv, smtpPassword)}
	for _, rt := range connectorRoutes {
		if code := anon.fails(rt.method, rt.path, body, 401); code != "auth.authorization_header_missing" {
			t.Errorf("%s %s without a token: %s", rt.method, rt.path, code)
		}
	}
	if list, err := in.Store.ListConnectors(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("connectors after refused calls: %v %v", list, err)
	}
	if n := len(srv.Mails()); n != 0 {
		t.Fatalf("%d mails sent by refused calls", n)
	}
}

// hookReceiver records the JSON posts of the HTTP connectors.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
	posts []map[string]any
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(raw, &m)
		h.mu.Lock()
		h.auths = append(h.auths, r.Header.Get("Authorization"))
		h.posts = append(h.posts, m)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) last(t *testing.T) (string, map[string]any) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.posts) == 0 {
		t.Fatal("the endpoint received nothing")
	}
	return h.auths[len(h.auths)-1], h.posts[len(h.posts)-1]
}

func TestManagementConnectors(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		ctx := context.Background()
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: smtpPassword})

		// Factories.
		var factories []map[string]any
		m.do("GET", "/api/connector-factories", nil, 200, &factories)
		byID := map[string]map[string]any{}
		for _, f := range factories {
			byID[f["id"].(string)] = f
		}
		for id, want := range map[string][2]string{
			"simple-mail-transfer-protocol": {"Email", "smtp"}, "http-email": {"Email", "http-email"}, "http-sms": {"Sms", "http-sms"},
		} {
			f := byID[id]
			if f == nil || f["type"] != want[0] || f["target"] != want[1] || f["platform"] != nil || f["isDemo"] != false {
				t.Fatalf("factory %s: %v", id, f)
			}
			if _, ok := f["name"].(map[string]any)["en"]; !ok || f["readme"] == "" || f["formItems"] == nil {
				t.Fatalf("factory %s lacks metadata: %v", id, f)
			}
		}
		var factory map[string]any
		m.do("GET", "/api/connector-factories/http-sms", nil, 200, &factory)
		if factory["id"] != "http-sms" || factory["type"] != "Sms" {
			t.Fatalf("factory %v", factory)
		}
		if code := m.fails("GET", "/api/connector-factories/nope", nil, 404); code != "entity.not_found" {
			t.Fatalf("unknown factory: %s", code)
		}

		var list []map[string]any
		m.do("GET", "/api/connectors", nil, 200, &list)
		if len(list) != 0 {
			t.Fatalf("connectors at start: %v", list)
		}

		// Create an SMTP connector: secrets masked in the answer, sealed at rest.
		cfg := smtpConnectorConfig(srv, smtpPassword)
		status, _, raw := m.call("POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": cfg, "extra": "ignored"})
		if status != 200 {
			t.Fatalf("create: %d %s", status, raw)
		}
		noSecret(t, raw, smtpPassword)
		var smtpConn map[string]any
		json.Unmarshal(raw, &smtpConn)
		smtpID, _ := smtpConn["id"].(string)
		if len(smtpID) != 12 || smtpConn["connectorId"] != "simple-mail-transfer-protocol" || smtpConn["type"] != "Email" ||
			smtpConn["target"] != "smtp" || smtpConn["platform"] != nil || smtpConn["syncProfile"] != false ||
			smtpConn["enableTokenStorage"] != false || smtpConn["isDemo"] != false {
			t.Fatalf("created %s", raw)
		}
		if md, ok := smtpConn["metadata"].(map[string]any); !ok || len(md) != 0 {
			t.Fatalf("metadata %v", smtpConn["metadata"])
		}
		gotCfg := smtpConn["config"].(map[string]any)
		if gotCfg["host"] != srv.Host || gotCfg["auth"].(map[string]any)["pass"] != "******1234" || gotCfg["auth"].(map[string]any)["user"] != "mailer" {
			t.Fatalf("config %v", gotCfg)
		}
		rec, err := in.Store.GetConnector(ctx, smtpID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rec.SealedConfig, smtpPassword) || !(strings.HasPrefix(rec.SealedConfig, "v1:") || strings.HasPrefix(rec.SealedConfig, "plain:")) {
			t.Fatalf("stored config %q", rec.SealedConfig)
		}
		storedPass := func() string {
			t.Helper()
			rec, err := in.Store.GetConnector(ctx, smtpID)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := in.sealer.Open(rec.SealedConfig)
			if err != nil {
				t.Fatal(err)
			}
			var c struct{ Auth struct{ Pass string } }
			json.Unmarshal(plain, &c)
			return c.Auth.Pass
		}
		if storedPass() != smtpPassword {
			t.Fatal("stored password differs")
		}

		// Get and list answer the same, masked.
		for _, path := range []string{"/api/connectors/" + smtpID, "/api/connectors", "/api/connectors?target=smtp"} {
			status, _, raw := m.call("GET", path, nil)
			if status != 200 || !strings.Contains(string(raw), smtpID) || !strings.Contains(string(raw), `"******1234"`) {
				t.Fatalf("GET %s: %d %s", path, status, raw)
			}
			noSecret(t, raw, smtpPassword)
		}
		m.do("GET", "/api/connectors?target=http-sms", nil, 200, &list)
		if len(list) != 0 {
			t.Fatalf("target filter: %v", list)
		}
		if code := m.fails("GET", "/api/connectors/nope", nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("get missing: %s", code)
		}

		// Failed creations store nothing.
		for _, tc := range []struct {
			body   map[string]any
			status int
			code   string
			field  string
		}{
			{map[string]any{"config": cfg}, 400, "guard.invalid_input", "connectorId"},
			{map[string]any{"connectorId": 5, "config": cfg}, 400, "guard.invalid_input", "connectorId"},
			{map[string]any{"connectorId": "no-such-factory", "config": cfg}, 422, "connector.not_found_with_connector_id", ""},
			{map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": cfg}, 422, "connector.multiple_instances_not_supported", ""},
			{map[string]any{"connectorId": "http-email", "config": map[string]any{"endpoint": 5}}, 400, "connector.invalid_config", "config.endpoint"},
			{map[string]any{"connectorId": "http-email"}, 400, "connector.invalid_config", "config.endpoint"},
			{map[string]any{"connectorId": "http-email", "config": "x"}, 400, "guard.invalid_input", "config"},
			{map[string]any{"connectorId": "http-email", "config": map[string]any{"endpoint": "https://e.example"}, "metadata": map[string]any{"target": "mine"}},
				400, "connector.cannot_overwrite_metadata_for_non_standard_connector", ""},
			{map[string]any{"connectorId": "http-email", "config": map[string]any{"endpoint": "https://e.example"}, "id": smtpID}, 422, "entity.unique_integrity_violation", ""},
			{map[string]any{"connectorId": "http-email", "config": map[string]any{"endpoint": "https://e.example"}, "id": "bad id!"}, 400, "guard.invalid_input", "id"},
		} {
			status, _, raw := m.call("POST", "/api/connectors", tc.body)
			var e struct {
				Code    string
				Message string
				Data    struct{ Field string }
			}
			json.Unmarshal(raw, &e)
			if status != tc.status || e.Code != tc.code || (tc.field != "" && e.Data.Field != tc.field) {
				t.Errorf("create %v: %d %s; want %d %s on %q", tc.body, status, raw, tc.status, tc.code, tc.field)
			}
		}
		badPort := smtpConnectorConfig(srv, smtpPassword)
		badPort["port"] = "587"
		status, _, raw = m.call("POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": badPort})
		if status != 400 || !strings.Contains(string(raw), "config.port") {
			t.Fatalf("bad port: %d %s", status, raw)
		}
		if recs, _ := in.Store.ListConnectors(ctx); len(recs) != 1 {
			t.Fatalf("%d connectors after failed creations", len(recs))
		}

		// The test endpoint sends a Generic message through the SMTP server.
		testPath := "/api/connectors/simple-mail-transfer-protocol/test"
		m.do("POST", testPath, map[string]any{"email": "ann@example.com", "config": cfg, "locale": "de"}, 204, nil)
		mail := srv.Last(t)
		if mail.Code() != "000000" || mail.To[0] != "ann@example.com" || !mail.TLS || mail.AuthUser != "mailer" || mail.Header("Subject") != "Generic code" {
			t.Fatalf("test mail to %v (TLS %v, user %q): %q %q", mail.To, mail.TLS, mail.AuthUser, mail.Header("Subject"), mail.Body())
		}
		// ... also with the masked config as GET shows it.
		m.do("POST", testPath, map[string]any{"email": "bob@example.com", "config": smtpConn["config"]}, 204, nil)
		if mail := srv.Last(t); mail.To[0] != "bob@example.com" {
			t.Fatalf("masked-config test mail to %v", mail.To)
		}
		sent := len(srv.Mails())
		for _, tc := range []struct {
			path string
			body map[string]any
			code string
		}{
			{testPath, map[string]any{"config": cfg}, "guard.invalid_input"},
			{testPath, map[string]any{"email": "not an address", "config": cfg}, "guard.invalid_input"},
			{testPath, map[string]any{"email": "ann@example.com"}, "guard.invalid_input"},
			{testPath, map[string]any{"email": "ann@example.com", "config": map[string]any{"host": "x"}}, "connector.invalid_config"},
			{testPath, map[string]any{"phone": "15550100", "config": cfg}, "connector.unexpected_type"},
			{testPath, map[string]any{"email": "ann@example.com", "config": smtpConnectorConfig(srv, "wrong-password")}, "connector.general"},
			{"/api/connectors/no-such-factory/test", map[string]any{"email": "ann@example.com", "config": cfg}, "connector.not_found"},
		} {
			if code := m.fails("POST", tc.path, tc.body, 400); code != tc.code {
				t.Errorf("test %v: %s, want %s", tc.body, code, tc.code)
			}
		}
		if len(srv.Mails()) != sent {
			t.Fatal("failed tests sent mail")
		}
		if recs, _ := in.Store.ListConnectors(ctx); len(recs) != 1 {
			t.Fatalf("the test endpoint stored connectors: %d", len(recs))
		}

		// Update: the masked secret sent back keeps the stored one.
		upd := smtpConn["config"].(map[string]any)
		upd["fromEmail"] = "Support <support@example.com>"
		var updated map[string]any
		m.do("PATCH", "/api/connectors/"+smtpID, map[string]any{"config": upd, "enableTokenStorage": true, "unknown": 1}, 200, &updated)
		if updated["config"].(map[string]any)["fromEmail"] != "Support <support@example.com>" || updated["enableTokenStorage"] != true ||
			updated["config"].(map[string]any)["auth"].(map[string]any)["pass"] != "******1234" {
			t.Fatalf("updated %v", updated)
		}
		if storedPass() != smtpPassword {
			t.Fatal("PATCH with the masked password lost the secret")
		}
		newCfg := smtpConnectorConfig(srv, "a-brand-new-password")
		m.do("PATCH", "/api/connectors/"+smtpID, map[string]any{"config": newCfg}, 200, &updated)
		if storedPass() != "a-brand-new-password" || updated["config"].(map[string]any)["auth"].(map[string]any)["pass"] != "******word" {
			t.Fatalf("new password: stored %q, shown %v", storedPass(), updated["config"])
		}
		before, _ := in.Store.GetConnector(ctx, smtpID)
		badPort["auth"] = map[string]any{"user": "mailer", "pass": "changed"}
		for _, tc := range []struct {
			body   map[string]any
			status int
			code   string
		}{
			{map[string]any{"config": badPort}, 400, "connector.invalid_config"},
			{map[string]any{"config": []int{1}}, 400, "guard.invalid_input"},
			{map[string]any{"syncProfile": true}, 422, "connector.invalid_type_for_syncing_profile"},
			{map[string]any{"syncProfile": "yes"}, 400, "guard.invalid_input"},
			{map[string]any{"metadata": map[string]any{"name": map[string]any{"en": "Mine"}}}, 400, "connector.cannot_overwrite_metadata_for_non_standard_connector"},
		} {
			if code := m.fails("PATCH", "/api/connectors/"+smtpID, tc.body, tc.status); code != tc.code {
				t.Errorf("patch %v: %s, want %s", tc.body, code, tc.code)
			}
		}
		if after, _ := in.Store.GetConnector(ctx, smtpID); after.SealedConfig != before.SealedConfig || after.SyncProfile {
			t.Fatal("failed updates changed the connector")
		}
		if code := m.fails("PATCH", "/api/connectors/nope", map[string]any{"enableTokenStorage": true}, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("patch missing: %s", code)
		}

		// One email connector at a time: HTTP email replaces SMTP; SMS sits beside it.
		hook := newHookReceiver(t)
		var httpEmail, sms map[string]any
		m.do("POST", "/api/connectors", map[string]any{"connectorId": "http-email", "id": "email-hook-1",
			"config": map[string]any{"endpoint": hook.URL + "/email", "authorization": "Bearer 0123456789abcdef"}}, 200, &httpEmail)
		if httpEmail["id"] != "email-hook-1" || httpEmail["config"].(map[string]any)["authorization"] != "******cdef" {
			t.Fatalf("http email %v", httpEmail)
		}
		m.fails("GET", "/api/connectors/"+smtpID, nil, 404)
		m.do("POST", "/api/connectors", map[string]any{"connectorId": "http-sms", "config": map[string]any{"endpoint": hook.URL + "/sms"}}, 200, &sms)
		m.do("GET", "/api/connectors", nil, 200, &list)
		// (Both may carry the same creation millisecond: order aside.)
		if len(list) != 2 || list[0]["id"] == list[1]["id"] || (list[0]["id"] != sms["id"] && list[1]["id"] != sms["id"]) ||
			(list[0]["id"] != "email-hook-1" && list[1]["id"] != "email-hook-1") {
			t.Fatalf("list %v", list)
		}
		m.do("GET", "/api/connectors?target=http-sms", nil, 200, &list)
		if len(list) != 1 || list[0]["id"] != sms["id"] || list[0]["type"] != "Sms" {
			t.Fatalf("target http-sms: %v", list)
		}

		// The HTTP SMS test posts Logto's JSON.
		m.do("POST", "/api/connectors/http-sms/test", map[string]any{"phone": "+1 555 0100", "email": "ignored@example.com",
			"config": map[string]any{"endpoint": hook.URL + "/sms", "authorization": "Bearer t"}}, 204, nil)
		auth, post := hook.last(t)
		got, _ := json.Marshal(post)
		if auth != "Bearer t" || string(got) != `{"payload":{"code":"000000"},"to":"+1 555 0100","type":"Generic"}` {
			t.Fatalf("posted %s with %q", got, auth)
		}

		// Delete.
		m.do("DELETE", "/api/connectors/email-hook-1", nil, 204, nil)
		if code := m.fails("DELETE", "/api/connectors/email-hook-1", nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("second delete: %s", code)
		}
		m.do("GET", "/api/connectors", nil, 200, &list)
		if len(list) != 1 || list[0]["id"] != sms["id"] {
			t.Fatalf("after delete: %v", list)
		}
	})
}

func noSecret(t *testing.T, raw []byte, secret string) {
	t.Helper()
	if strings.Contains(string(raw), secret) {
		t.Fatalf("response carries the secret: %s", raw)
	}
}
