package connector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP timeouts: the default for connecting and for each command, and the
// bound on a whole send when the caller's context has none.
const (
	SMTPDefaultTimeout = 10 * time.Second
	SMTPSendTimeout    = 30 * time.Second
)

// requiredTemplates are the usage types an SMTP config must have templates
// for (Logto's rule).
var requiredTemplates = []string{UsageRegister, UsageSignIn, UsageForgotPassword, UsageGeneric}

// SMTPFactory is Logto's SMTP connector ("simple-mail-transfer-protocol"),
// with its config keys: host, port, auth {user, pass}, fromEmail, replyTo,
// templates, secure (implicit TLS), requireTLS / ignoreTLS (STARTTLS policy),
// tls {ca, rejectUnauthorized, servername}, servername, name (the EHLO
// name), connectionTimeout (ms) and customHeaders. Keys Logto's connector
// also accepts for nodemailer's internals (logger, debug, localAddress,
// greetingTimeout, socketTimeout, dnsTimeout, disableFileAccess,
// disableUrlAccess) are type-checked and otherwise ignored.
func SMTPFactory() *Factory {
	return &Factory{
		Type:           TypeEmail,
		SingleInstance: true,
		Secrets: [][]string{
			{"auth", "pass"}, {"auth", "accessToken"}, {"auth", "clientSecret"}, {"auth", "refreshToken"},
			{"auth", "privateKey"}, {"auth", "privateKey", "key"}, {"auth", "privateKey", "passphrase"},
		},
		Metadata: Metadata{
			ID:          SMTPFactoryID,
			Target:      "smtp",
			Name:        map[string]string{"en": "SMTP"},
			Logo:        smtpLogo.light,
			LogoDark:    smtpLogo.dark,
			Description: map[string]string{"en": "Send email through any SMTP server, the internet's standard mail transfer protocol."},
			Readme:      smtpReadme,
			FormItems: []FormItem{
				{Type: FormText, Key: "host", Label: "Host", Required: true, Placeholder: "smtp.example.com"},
				{Type: FormNumber, Key: "port", Label: "Port", Required: true, Placeholder: "587"},
				{Type: FormJSON, Key: "auth", Label: "Auth", Required: true, IsConfidential: true,
					DefaultValue: map[string]any{"type": "login", "user": "<username>", "pass": "<password>"}},
				{Type: FormText, Key: "fromEmail", Label: "From", Required: true, Placeholder: "Example <no-reply@example.com>"},
				{Type: FormText, Key: "replyTo", Label: "Reply to", Placeholder: "support@example.com"},
				{Type: FormJSON, Key: "templates", Label: "Templates", Required: true, DefaultValue: defaultTemplates()},
				{Type: FormSwitch, Key: "secure", Label: "Implicit TLS", DefaultValue: false,
					Description: "Connect with TLS from the start (usually port 465). When off, the connection is upgraded with STARTTLS whenever the server offers it."},
				{Type: FormSwitch, Key: "requireTLS", Label: "Require STARTTLS", Description: "Refuse to send when the server does not offer STARTTLS."},
				{Type: FormSwitch, Key: "ignoreTLS", Label: "Ignore STARTTLS", Description: "Never upgrade the connection, even when the server offers STARTTLS."},
				{Type: FormJSON, Key: "tls", Label: "TLS", DefaultValue: map[string]any{},
					Description: `"ca": PEM certificate(s) to trust besides the system's; "rejectUnauthorized": false accepts any certificate; "servername": the name to verify.`},
				{Type: FormText, Key: "servername", Label: "TLS server name", Placeholder: "smtp.example.com"},
				{Type: FormText, Key: "name", Label: "EHLO name", Placeholder: "gatehouse.example.com"},
				{Type: FormNumber, Key: "connectionTimeout", Label: "Timeout (ms)", Placeholder: "10000"},
				{Type: FormJSON, Key: "customHeaders", Label: "Custom headers", DefaultValue: map[string]any{},
					Description: "Headers added to every message; values are strings or arrays of strings."},
			},
		},
		Validate: func(raw json.RawMessage) error {
			_, err := parseSMTPConfig(raw)
			return err
		},
		NewSender: func(raw json.RawMessage, _ Env) (Sender, error) {
			cfg, err := parseSMTPConfig(raw)
			if err != nil {
				return nil, err
			}
			return &smtpSender{cfg: cfg}, nil
		},
	}
}

const smtpReadme = "# SMTP\n\n" +
	"Sends verification codes by email through an SMTP server.\n\n" +
	"- `host`, `port`: the server. With `secure: true` the connection is TLS from the start (port 465); otherwise it is upgraded with STARTTLS " +
	"when the server offers it (`requireTLS: true` refuses servers that do not, `ignoreTLS: true` never upgrades).\n" +
	"- `auth`: `{\"user\": \"...\", \"pass\": \"...\"}` (PLAIN or LOGIN, only over TLS or to localhost), or `{\"type\": \"oauth2\", \"user\": \"...\", \"accessToken\": \"...\"}` (XOAUTH2).\n" +
	"- `fromEmail`, `replyTo`: addresses, optionally with a display name.\n" +
	"- `templates`: `[{\"usageType\": \"SignIn\", \"contentType\": \"text/plain\", \"subject\": \"...\", \"content\": \"Your code is {{code}}\"}]`, " +
	"with at least the usage types Register, SignIn, ForgotPassword and Generic. A message for a usage type without a template uses the Generic one. " +
	"`{{code}}` and `{{locale}}` are replaced in subject and content.\n" +
	"- `tls`: `{\"ca\": \"-----BEGIN CERTIFICATE-----...\"}` to trust a private CA, `{\"rejectUnauthorized\": false}` to accept any certificate (not recommended).\n" +
	"- `customHeaders`: extra headers, such as `{\"X-Campaign\": \"sign-in\"}`.\n\n" +
	"The password is stored encrypted and shown masked by the API.\n"

func defaultTemplates() []map[string]string {
	t := func(usage, subject, what string) map[string]string {
		return map[string]string{"usageType": usage, "contentType": "text/plain", "subject": subject,
			"content": "Your " + what + " code is {{code}}. It expires in 10 minutes."}
	}
	return []map[string]string{
		t(UsageSignIn, "Your sign-in code", "sign-in"),
		t(UsageRegister, "Your sign-up code", "sign-up"),
		t(UsageForgotPassword, "Your password reset code", "password reset"),
		t(UsageGeneric, "Your verification code", "verification"),
	}
}

type smtpTemplate struct {
	usageType, contentType, subject, content string
}

type smtpConfig struct {
	host              string
	port              int
	oauth2            bool
	user, secret      string // secret is the password or the OAuth2 access token
	from, replyTo     string
	templates         []smtpTemplate
	secure            bool
	requireTLS        bool
	ignoreTLS         bool
	serverName        string
	rootCAs           *x509.CertPool // nil means the system's
	insecure          bool           // tls.rejectUnauthorized: false
	helo              string
	timeout           time.Duration
	headers           map[string][]string
	headerOrder       []string
	hasAuthentication bool
}

var headerName = regexp.MustCompile(`^[!-9;-~]+$`) // printable ASCII without ':'

func parseSMTPConfig(raw json.RawMessage) (*smtpConfig, error) {
	o, err := parseConfig(raw)
	if err != nil {
		return nil, err
	}
	c := &smtpConfig{}
	if c.host, err = o.str("host", true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.host) == "" {
		return nil, &ConfigError{Field: "host", Reason: "must not be empty"}
	}
	port, err := o.integer("port", true, 1, 65535)
	if err != nil {
		return nil, err
	}
	c.port = int(port)
	if err := c.parseAuth(o); err != nil {
		return nil, err
	}
	if c.from, err = o.str("fromEmail", true); err != nil {
		return nil, err
	}
	if _, err := mail.ParseAddress(c.from); err != nil {
		return nil, &ConfigError{Field: "fromEmail", Reason: "expected an email address, as in \"Example <no-reply@example.com>\""}
	}
	if c.replyTo, err = o.str("replyTo", false); err != nil {
		return nil, err
	}
	if c.replyTo != "" {
		if _, err := mail.ParseAddress(c.replyTo); err != nil {
			return nil, &ConfigError{Field: "replyTo", Reason: "expected an email address"}
		}
	}
	if err := c.parseTemplates(o); err != nil {
		return nil, err
	}
	for _, k := range []string{"secure", "requireTLS", "ignoreTLS", "logger", "debug", "disableFileAccess", "disableUrlAccess"} {
		b, err := o.boolean(k)
		if err != nil {
			return nil, err
		}
		switch k {
		case "secure":
			c.secure = b
		case "requireTLS":
			c.requireTLS = b
		case "ignoreTLS":
			c.ignoreTLS = b
		}
	}
	if c.requireTLS && c.ignoreTLS {
		return nil, &ConfigError{Field: "ignoreTLS", Reason: "cannot be set together with requireTLS"}
	}
	for _, k := range []string{"name", "localAddress", "servername"} {
		s, err := o.str(k, false)
		if err != nil {
			return nil, err
		}
		switch k {
		case "name":
			c.helo = s
		case "servername":
			c.serverName = s
		}
	}
	for _, k := range []string{"connectionTimeout", "greetingTimeout", "socketTimeout", "dnsTimeout"} {
		ms, err := o.integer(k, false, 0, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		if k == "connectionTimeout" && ms > 0 {
			c.timeout = time.Duration(ms) * time.Millisecond
		}
	}
	if c.timeout == 0 {
		c.timeout = SMTPDefaultTimeout
	}
	if err := c.parseTLS(o); err != nil {
		return nil, err
	}
	if err := c.parseHeaders(o); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *smtpConfig) parseAuth(o object) error {
	auth, _, err := o.obj("auth", true)
	if err != nil {
		return err
	}
	typ, err := auth.str("type", false)
	if err != nil {
		return err
	}
	switch strings.ToLower(typ) {
	case "", "login":
	case "oauth2":
		c.oauth2 = true
	default:
		return &ConfigError{Field: "auth.type", Reason: `expected "login" or "oauth2"`}
	}
	if c.user, err = auth.str("user", c.oauth2); err != nil {
		return err
	}
	if c.oauth2 {
		if c.secret, err = auth.str("accessToken", false); err != nil {
			return err
		}
		if c.secret == "" {
			return &ConfigError{Field: "auth.accessToken", Reason: "is required: Gatehouse authenticates OAuth2 with an access token (XOAUTH2)"}
		}
	} else if c.secret, err = auth.str("pass", false); err != nil {
		return err
	}
	c.hasAuthentication = c.user != ""
	return nil
}

func (c *smtpConfig) parseTemplates(o object) error {
	items, err := o.array("templates", true)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for i, raw := range items {
		path := "templates[" + strconv.Itoa(i) + "]"
		t, err := parseObject(path, raw)
		if err != nil {
			return err
		}
		var tpl smtpTemplate
		if tpl.usageType, err = t.str("usageType", true); err != nil {
			return err
		}
		if tpl.contentType, err = t.str("contentType", true); err != nil {
			return err
		}
		if tpl.contentType != "text/plain" && tpl.contentType != "text/html" {
			return &ConfigError{Field: path + ".contentType", Reason: `expected "text/plain" or "text/html"`}
		}
		if tpl.subject, err = t.str("subject", true); err != nil {
			return err
		}
		if tpl.content, err = t.str("content", true); err != nil {
			return err
		}
		have[tpl.usageType] = true
		c.templates = append(c.templates, tpl)
	}
	var lacking []string
	for _, u := range requiredTemplates {
		if !have[u] {
			lacking = append(lacking, u)
		}
	}
	if len(lacking) > 0 {
		return &ConfigError{Field: "templates", Reason: "needs a template for usage type " + strings.Join(lacking, ", ")}
	}
	return nil
}

func (c *smtpConfig) parseTLS(o object) error {
	t, _, err := o.obj("tls", false)
	if err != nil {
		return err
	}
	reject := true
	if raw, ok := t.get("rejectUnauthorized"); ok {
		if json.Unmarshal(raw, &reject) != nil {
			return t.wrongType("rejectUnauthorized", "a boolean")
		}
	}
	c.insecure = !reject
	if name, err := t.str("servername", false); err != nil {
		return err
	} else if name != "" && c.serverName == "" {
		c.serverName = name
	}
	raw, ok := t.get("ca")
	if !ok {
		return nil
	}
	var pems []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		pems = []string{one}
	} else if json.Unmarshal(raw, &pems) != nil {
		return t.wrongType("ca", "a PEM string or an array of them")
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, p := range pems {
		if !pool.AppendCertsFromPEM([]byte(p)) {
			return &ConfigError{Field: "tls.ca", Reason: "expected PEM-encoded certificates"}
		}
	}
	c.rootCAs = pool
	return nil
}

func (c *smtpConfig) parseHeaders(o object) error {
	h, _, err := o.obj("customHeaders", false)
	if err != nil {
		return err
	}
	c.headers = map[string][]string{}
	for name, raw := range h.m {
		field := "customHeaders." + name
		if !headerName.MatchString(name) {
			return &ConfigError{Field: field, Reason: "is not a valid header name"}
		}
		var vals []string
		var one string
		if json.Unmarshal(raw, &one) == nil {
			vals = []string{one}
		} else if json.Unmarshal(raw, &vals) != nil {
			return &ConfigError{Field: field, Reason: "expected a string or an array of strings"}
		}
		for _, v := range vals {
			if strings.ContainsAny(v, "\r\n") {
				return &ConfigError{Field: field, Reason: "must not contain line breaks"}
			}
		}
		c.headers[name] = vals
		c.headerOrder = append(c.headerOrder, name)
	}
	return nil
}

// template returns the template for usage, or the Generic one.
func (c *smtpConfig) template(usage string) (smtpTemplate, bool) {
	for _, t := range c.templates {
		if t.usageType == usage {
			return t, true
		}
	}
	for _, t := range c.templates {
		if t.usageType == UsageGeneric {
			return t, true
		}
	}
	return smtpTemplate{}, false
}

var placeholder = regexp.MustCompile(`{{\s*(code|locale)\s*}}`)

// fill replaces {{code}} and {{locale}} (spaces allowed inside the braces).
func fill(s string, msg Message) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Contains(m, "code") {
			return msg.Code
		}
		return msg.Locale
	})
}

type smtpSender struct{ cfg *smtpConfig }

func (s *smtpSender) Send(ctx context.Context, msg Message) error {
	c := s.cfg
	tpl, ok := c.template(msg.UsageType)
	if !ok {
		return fmt.Errorf("connector: no SMTP template for usage type %q", msg.UsageType)
	}
	m := gomail.NewMsg()
	if err := m.From(c.from); err != nil {
		return fmt.Errorf("connector: from address: %w", err)
	}
	if err := m.To(msg.To); err != nil {
		return errors.New("connector: the recipient is not a valid email address")
	}
	if c.replyTo != "" {
		if err := m.ReplyTo(c.replyTo); err != nil {
			return fmt.Errorf("connector: reply-to address: %w", err)
		}
	}
	m.Subject(fill(tpl.subject, msg))
	ct := gomail.TypeTextPlain
	if tpl.contentType == "text/html" {
		ct = gomail.TypeTextHTML
	}
	m.SetBodyString(ct, fill(tpl.content, msg))
	for _, name := range c.headerOrder {
		m.SetGenHeader(gomail.Header(name), c.headers[name]...)
	}

	serverName := c.serverName
	if serverName == "" {
		serverName = c.host
	}
	opts := []gomail.Option{
		gomail.WithPort(c.port),
		gomail.WithTimeout(c.timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: serverName, RootCAs: c.rootCAs, InsecureSkipVerify: c.insecure, MinVersion: tls.VersionTLS12}),
	}
	switch {
	case c.secure:
		opts = append(opts, gomail.WithSSL())
	case c.requireTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case c.ignoreTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if c.helo != "" {
		opts = append(opts, gomail.WithHELO(c.helo))
	}
	if c.hasAuthentication {
		opts = append(opts, gomail.WithUsername(c.user), gomail.WithPassword(c.secret))
		if c.oauth2 {
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthXOAUTH2))
		} else {
			// PLAIN and LOGIN refuse to run over a connection that is
			// neither TLS nor to localhost, so the password never crosses
			// the network in the clear.
			opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
		}
	}
	client, err := gomail.NewClient(c.host, opts...)
	if err != nil {
		return fmt.Errorf("connector: SMTP client: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, SMTPSendTimeout)
		defer cancel()
	}
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		// go-mail's errors list the recipients; keep the address out of
		// logs.
		text := regexp.MustCompile(`(?i)`+regexp.QuoteMeta(msg.To)).ReplaceAllString(err.Error(), "<recipient>")
		return errors.New("connector: SMTP: " + text)
	}
	return nil
}
