// Package connectortest runs real receivers for connector tests: an SMTP
// server on loopback (github.com/emersion/go-smtp) that keeps what it is
// sent, with STARTTLS or implicit TLS on a self-signed certificate made for
// the test, and AUTH PLAIN.
package connectortest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions configures a test SMTP server.
type SMTPOptions struct {
	// STARTTLS offers STARTTLS with a self-signed certificate; AUTH is then
	// offered only after the upgrade.
	STARTTLS bool
	// ImplicitTLS serves TLS from the first byte (as on port 465).
	ImplicitTLS bool
	// User and Pass, when User is set, are the only AUTH PLAIN credentials
	// accepted, and mail is refused without them.
	User, Pass string
}

// Mail is a message the server accepted.
type Mail struct {
	From     string
	To       []string
	Data     []byte
	AuthUser string // who authenticated, "" for nobody
	TLS      bool   // whether the connection was encrypted
}

// SMTPServer is a running test server.
type SMTPServer struct {
	Host string // 127.0.0.1
	Port int
	// CertPEM is the server's self-signed certificate, for the connector's
	// tls.ca; "" without TLS.
	CertPEM string

	opt   SMTPOptions
	mu    sync.Mutex
	mails []Mail
}

// StartSMTP starts a server on a free loopback port until t ends.
func StartSMTP(t testing.TB, opt SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{Host: "127.0.0.1", opt: opt}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.AllowInsecureAuth = !opt.STARTTLS && !opt.ImplicitTLS
	var ln net.Listener
	var err error
	if opt.STARTTLS || opt.ImplicitTLS {
		cert, certPEM := selfSigned(t)
		s.CertPEM = certPEM
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if opt.ImplicitTLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
		srv.TLSConfig = nil // no STARTTLS on an encrypted connection
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Mails returns what the server accepted so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Last returns the last accepted mail, failing t when there is none.
func (s *SMTPServer) Last(t testing.TB) Mail {
	t.Helper()
	m := s.Mails()
	if len(m) == 0 {
		t.Fatal("the SMTP server received no mail")
	}
	return m[len(m)-1]
}

type session struct {
	srv    *SMTPServer
	conn   *smtp.Conn
	user   string
	from   string
	to     []string
	authed bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if s.srv.opt.User == "" || username != s.srv.opt.User || password != s.srv.opt.Pass {
			return smtp.ErrAuthFailed
		}
		s.user, s.authed = username, true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opt.User != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, Mail{From: s.from, To: s.to, Data: data, AuthUser: s.user, TLS: isTLS})
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// Header returns a decoded header of the mail.
func (m Mail) Header(name string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	v := msg.Header.Get(name)
	if dec, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return dec
	}
	return v
}

// Body returns the mail's (single-part) body, transfer-decoded.
func (m Mail) Body() string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	raw, _ := io.ReadAll(msg.Body)
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		dec, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		return string(dec)
	case "base64":
		dec, err := io.ReadAll(base64Reader(raw))
		if err == nil {
			return string(dec)
		}
	}
	return string(raw)
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// Code returns the first six-digit number of the body, "" when there is none.
func (m Mail) Code() string { return sixDigits.FindString(m.Body()) }

func selfSigned(t testing.TB) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "connectortest " + strconv.FormatInt(serial.Int64(), 36)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, string(certPEM)
}

func base64Reader(raw []byte) io.Reader {
	clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(raw))
	return base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))
}
