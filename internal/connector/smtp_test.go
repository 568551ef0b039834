package connector_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

// smtpConfig is a valid SMTP config for srv; edit adjusts it.
func smtpConfig(srv *connectortest.SMTPServer, edit func(c map[string]any)) json.RawMessage {
	c := map[string]any{
		"host":      srv.Host,
		"port":      srv.Port,
		"auth":      map[string]any{"user": "mailer", "pass": "s3cret-password-1234"},
		"fromEmail": "Gatehouse <no-reply@example.com>",
		"templates": []map[string]any{
			{"usageType": "SignIn", "contentType": "text/plain", "subject": "Sign-in code {{code}}", "content": "Your sign-in code is {{ code }} ({{locale}})."},
			{"usageType": "Register", "contentType": "text/plain", "subject": "Welcome", "content": "Register with {{code}}"},
			{"usageType": "ForgotPassword", "contentType": "text/plain", "subject": "Reset", "content": "Reset with {{code}}"},
			{"usageType": "Generic", "contentType": "text/html", "subject": "Your code", "content": "<p>Your code: <b>{{code}}</b></p>"},
		},
	}
	if srv.CertPEM != "" {
		c["tls"] = map[string]any{"ca": srv.CertPEM}
	}
	if edit != nil {
		edit(c)
	}
	raw, _ := json.Marshal(c)
	return raw
}

func smtpSender(t *testing.T, cfg json.RawMessage) connector.Sender {
	t.Helper()
	f := connector.SMTPFactory()
	if err := f.Validate(cfg); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	s, err := f.NewSender(cfg, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var signIn = connector.Message{To: "ann@example.com", UsageType: connector.UsageSignIn, Code: "123456", Locale: "de", IP: "203.0.113.7"}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: "s3cret-password-1234"})
	s := smtpSender(t, smtpConfig(srv, func(c map[string]any) {
		c["replyTo"] = "help@example.com"
		c["customHeaders"] = map[string]any{"X-Campaign": "sign-in", "X-Multi": []string{"a", "b"}}
	}))
	if err := s.Send(context.Background(), signIn); err != nil {
		t.Fatal(err)
	}
	m := srv.Last(t)
	if !m.TLS || m.AuthUser != "mailer" {
		t.Fatalf("TLS %v, authenticated as %q: want STARTTLS and AUTH as mailer", m.TLS, m.AuthUser)
	}
	if m.From != "no-reply@example.com" || len(m.To) != 1 || m.To[0] != "ann@example.com" {
		t.Fatalf("envelope from %q to %v", m.From, m.To)
	}
	if got := m.Header("Subject"); got != "Sign-in code 123456" {
		t.Fatalf("subject %q", got)
	}
	if got := m.Header("Reply-To"); !strings.Contains(got, "help@example.com") {
		t.Fatalf("Reply-To %q", got)
	}
	if got := m.Header("X-Campaign"); got != "sign-in" {
		t.Fatalf("X-Campaign %q", got)
	}
	if body := m.Body(); !strings.Contains(body, "Your sign-in code is 123456 (de).") {
		t.Fatalf("body %q", body)
	}
	if m.Code() != "123456" {
		t.Fatalf("code %q", m.Code())
	}
	if ct := m.Header("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q", ct)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{ImplicitTLS: true, User: "mailer", Pass: "s3cret-password-1234"})
	s := smtpSender(t, smtpConfig(srv, func(c map[string]any) { c["secure"] = true }))
	if err := s.Send(context.Background(), signIn); err != nil {
		t.Fatal(err)
	}
	if m := srv.Last(t); !m.TLS || m.Code() != "123456" {
		t.Fatalf("TLS %v, code %q", m.TLS, m.Code())
	}
}

func TestSMTPPlainServer(t *testing.T) {
	t.Run("no auth", func(t *testing.T) {
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{})
		s := smtpSender(t, smtpConfig(srv, func(c map[string]any) { c["auth"] = map[string]any{} }))
		if err := s.Send(context.Background(), signIn); err != nil {
			t.Fatal(err)
		}
		if m := srv.Last(t); m.TLS || m.AuthUser != "" || m.Code() != "123456" {
			t.Fatalf("TLS %v, user %q, code %q", m.TLS, m.AuthUser, m.Code())
		}
	})
	t.Run("auth on loopback", func(t *testing.T) {
		// PLAIN without TLS is allowed to localhost only.
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{User: "mailer", Pass: "s3cret-password-1234"})
		s := smtpSender(t, smtpConfig(srv, nil))
		if err := s.Send(context.Background(), signIn); err != nil {
			t.Fatal(err)
		}
		if m := srv.Last(t); m.AuthUser != "mailer" {
			t.Fatalf("user %q", m.AuthUser)
		}
	})
	t.Run("requireTLS refuses it", func(t *testing.T) {
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{})
		s := smtpSender(t, smtpConfig(srv, func(c map[string]any) { c["requireTLS"] = true }))
		if err := s.Send(context.Background(), signIn); err == nil {
			t.Fatal("sent over a server without STARTTLS despite requireTLS")
		}
		if len(srv.Mails()) != 0 {
			t.Fatal("mail accepted")
		}
	})
}

func TestSMTPFailures(t *testing.T) {
	t.Run("wrong password", func(t *testing.T) {
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: "right"})
		s := smtpSender(t, smtpConfig(srv, nil))
		err := s.Send(context.Background(), signIn)
		if err == nil || len(srv.Mails()) != 0 {
			t.Fatalf("Send = %v with %d mails; want an authentication error", err, len(srv.Mails()))
		}
		t.Logf("error: %v", err)
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), signIn.To) {
			t.Fatalf("error leaks: %v", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{STARTTLS: true, User: "mailer", Pass: "s3cret-password-1234"})
		cfg := smtpConfig(srv, func(c map[string]any) { delete(c, "tls") })
		if err := smtpSender(t, cfg).Send(context.Background(), signIn); err == nil {
			t.Fatal("sent to a server whose certificate is not trusted")
		}
		// rejectUnauthorized: false accepts it, as in Logto.
		cfg = smtpConfig(srv, func(c map[string]any) { c["tls"] = map[string]any{"rejectUnauthorized": false} })
		if err := smtpSender(t, cfg).Send(context.Background(), signIn); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{})
		cfg := smtpConfig(srv, func(c map[string]any) { c["port"] = 1; c["connectionTimeout"] = 2000 })
		if err := smtpSender(t, cfg).Send(context.Background(), signIn); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("canceled", func(t *testing.T) {
		srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := smtpSender(t, smtpConfig(srv, nil)).Send(ctx, signIn); err == nil {
			t.Fatal("sent with a canceled context")
		}
	})
}

func TestSMTPTemplates(t *testing.T) {
	srv := connectortest.StartSMTP(t, connectortest.SMTPOptions{})
	s := smtpSender(t, smtpConfig(srv, func(c map[string]any) { c["auth"] = map[string]any{} }))
	// A usage type without a template of its own uses Generic (HTML here).
	msg := signIn
	msg.UsageType = connector.UsageMfaVerification
	msg.Code = "654321"
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m := srv.Last(t)
	if m.Header("Subject") != "Your code" || !strings.HasPrefix(m.Header("Content-Type"), "text/html") ||
		!strings.Contains(m.Body(), "<b>654321</b>") {
		t.Fatalf("subject %q, type %q, body %q", m.Header("Subject"), m.Header("Content-Type"), m.Body())
	}
}

func TestConfigValidation(t *testing.T) {
	srv := &connectortest.SMTPServer{Host: "smtp.example.com", Port: 587}
	smtpCases := []struct {
		field string
		edit  func(c map[string]any)
	}{
		{"host", func(c map[string]any) { delete(c, "host") }},
		{"host", func(c map[string]any) { c["host"] = 7 }},
		{"port", func(c map[string]any) { c["port"] = "25" }},
		{"port", func(c map[string]any) { c["port"] = 70000 }},
		{"port", func(c map[string]any) { c["port"] = 25.5 }},
		{"auth", func(c map[string]any) { delete(c, "auth") }},
		{"auth", func(c map[string]any) { c["auth"] = "user:pass" }},
		{"auth.pass", func(c map[string]any) { c["auth"] = map[string]any{"user": "u", "pass": 5} }},
		{"auth.type", func(c map[string]any) { c["auth"] = map[string]any{"type": "ntlm"} }},
		{"auth.accessToken", func(c map[string]any) { c["auth"] = map[string]any{"type": "oauth2", "user": "u"} }},
		{"fromEmail", func(c map[string]any) { delete(c, "fromEmail") }},
		{"fromEmail", func(c map[string]any) { c["fromEmail"] = "not an address" }},
		{"replyTo", func(c map[string]any) { c["replyTo"] = "nope" }},
		{"templates", func(c map[string]any) { delete(c, "templates") }},
		{"templates", func(c map[string]any) { c["templates"] = c["templates"].([]map[string]any)[:3] }},
		{"templates[1].contentType", func(c map[string]any) { c["templates"].([]map[string]any)[1]["contentType"] = "text/xml" }},
		{"templates[2].subject", func(c map[string]any) { delete(c["templates"].([]map[string]any)[2], "subject") }},
		{"templates[0]", func(c map[string]any) { c["templates"] = []any{"x"} }},
		{"secure", func(c map[string]any) { c["secure"] = "yes" }},
		{"ignoreTLS", func(c map[string]any) { c["ignoreTLS"] = true; c["requireTLS"] = true }},
		{"tls", func(c map[string]any) { c["tls"] = []int{1} }},
		{"tls.ca", func(c map[string]any) { c["tls"] = map[string]any{"ca": "not a certificate"} }},
		{"tls.rejectUnauthorized", func(c map[string]any) { c["tls"] = map[string]any{"rejectUnauthorized": "no"} }},
		{"connectionTimeout", func(c map[string]any) { c["connectionTimeout"] = -1 }},
		{"customHeaders.X-A", func(c map[string]any) { c["customHeaders"] = map[string]any{"X-A": 5} }},
		{"customHeaders.Bad Name", func(c map[string]any) { c["customHeaders"] = map[string]any{"Bad Name": "x"} }},
		{"customHeaders.X-B", func(c map[string]any) { c["customHeaders"] = map[string]any{"X-B": "a\r\nBcc: x@example.com"} }},
		{"logger", func(c map[string]any) { c["logger"] = 1 }},
	}
	for _, tc := range smtpCases {
		err := connector.SMTPFactory().Validate(smtpConfig(srv, tc.edit))
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("SMTP config error = %v, want one on %s", err, tc.field)
		}
	}
	if err := connector.SMTPFactory().Validate(smtpConfig(srv, func(c map[string]any) {
		c["logger"], c["debug"], c["name"], c["unknownKey"] = true, false, "gatehouse.example.com", []int{1}
		c["auth"] = map[string]any{"type": "oauth2", "user": "u", "accessToken": "tok"}
	})); err != nil {
		t.Errorf("valid SMTP config: %v", err)
	}

	httpCases := []struct {
		config, field string
	}{
		{`{}`, "endpoint"},
		{`{"endpoint": 5}`, "endpoint"},
		{`{"endpoint": "ftp://example.com/x"}`, "endpoint"},
		{`{"endpoint": "/relative"}`, "endpoint"},
		{`{"endpoint": "https://example.com/x", "authorization": 5}`, "authorization"},
		{`[]`, ""},
		{`null`, ""},
	}
	for _, f := range []*connector.Factory{connector.HTTPEmailFactory(), connector.HTTPSMSFactory()} {
		for _, tc := range httpCases {
			err := f.Validate(json.RawMessage(tc.config))
			var ce *connector.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Errorf("%s config %s: error = %v, want one on %q", f.Metadata.ID, tc.config, err, tc.field)
			}
		}
		if err := f.Validate(json.RawMessage(`{"endpoint": "https://example.com/x", "authorization": "Bearer x", "extra": 1}`)); err != nil {
			t.Errorf("%s valid config: %v", f.Metadata.ID, err)
		}
	}
}
