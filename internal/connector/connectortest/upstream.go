package connectortest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Upstream is one HTTPS server on loopback that stands in for identity
// providers' real hosts (accounts.google.com, graph.facebook.com,
// github.com, ...). Handlers are registered per host name; requests are
// routed by their Host. It issues itself a certificate for every host name
// a client asks for (by SNI), signed by a CA made for this Upstream only.
//
// The server under test reaches it through Client, whose transport dials
// every host to the Upstream and trusts only its CA, so connectors keep
// their real production URLs. A browser reaches it through
// HostResolverRules (Chromium's --host-resolver-rules) with certificate
// errors ignored.
type Upstream struct {
	Addr string // 127.0.0.1:port

	ln     net.Listener
	srv    *http.Server
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
	mu     sync.Mutex
	hosts  map[string]http.Handler
	leaves map[string]*tls.Certificate
}

// StartUpstream starts an Upstream with no hosts; register them with
// Handle. Close stops it.
func StartUpstream() (*Upstream, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Gatehouse test upstream CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &Upstream{Addr: ln.Addr().String(), ca: ca, caKey: caKey, pool: pool,
		hosts: map[string]http.Handler{}, leaves: map[string]*tls.Certificate{}}
	u.ln = tls.NewListener(ln, &tls.Config{GetCertificate: u.certificate, MinVersion: tls.VersionTLS12})
	u.srv = &http.Server{Handler: http.HandlerFunc(u.route), ReadHeaderTimeout: 10 * time.Second}
	go u.srv.Serve(u.ln)
	return u, nil
}

// Close stops the server.
func (u *Upstream) Close() { u.srv.Close() }

// Handle serves host (a name without port, as "accounts.google.com") with h.
func (u *Upstream) Handle(host string, h http.Handler) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hosts[strings.ToLower(host)] = h
}

// Hosts returns the registered host names, sorted.
func (u *Upstream) Hosts() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]string, 0, len(u.hosts))
	for h := range u.hosts {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

func (u *Upstream) route(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	u.mu.Lock()
	h := u.hosts[strings.ToLower(host)]
	u.mu.Unlock()
	if h == nil {
		http.Error(w, "no fake upstream for host "+host, http.StatusMisdirectedRequest)
		return
	}
	h.ServeHTTP(w, r)
}

func (u *Upstream) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(hello.ServerName)
	if name == "" {
		name = "127.0.0.1"
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.leaves[name]; c != nil {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(u.leaves) + 2)),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, u.ca, &key.PublicKey, u.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, u.ca.Raw}, PrivateKey: key}
	u.leaves[name] = c
	return c, nil
}

// Client returns an HTTP client for the server under test: every https
// host it asks for is dialled at the Upstream, whose CA it trusts (and no
// other). Like the server's own client, it follows no redirects.
func (u *Upstream) Client() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, u.Addr)
			},
			TLSClientConfig:   &tls.Config{RootCAs: u.pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CertPool returns a pool holding the Upstream's CA.
func (u *Upstream) CertPool() *x509.CertPool { return u.pool }

// HostResolverRules returns Chromium's --host-resolver-rules value that
// sends every registered host to the Upstream. Register hosts before the
// browser starts.
func (u *Upstream) HostResolverRules() string {
	var rules []string
	for _, h := range u.Hosts() {
		rules = append(rules, fmt.Sprintf("MAP %s %s", h, u.Addr))
	}
	return strings.Join(rules, ",")
}
