package connectortest

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// Failure modes of FakeSAMLIdP besides the shared ones it honours
// (FailAuthorize: a Responder/AuthnFailed status; FailWrongState: another
// RelayState; FailBadSignature: signed by a key other than the published
// one, with the published certificate in KeyInfo). Their values stay clear
// of the shared list's.
const (
	// FailSAMLWrongAudience: the assertion's Audience is another SP.
	FailSAMLWrongAudience FailMode = 100 + iota
	// FailSAMLExpired: the assertion's Conditions ended ten minutes ago.
	FailSAMLExpired
	// FailSAMLUnsigned: neither the Response nor the Assertion is signed.
	FailSAMLUnsigned
	// FailSAMLWrongRequest: InResponseTo names another AuthnRequest.
	FailSAMLWrongRequest
	// FailSAMLWrongDestination: Destination and Recipient are another URL.
	FailSAMLWrongDestination
)

// FakeSAMLIdP is a SAML 2.0 identity provider at https://<host>: metadata
// at /saml/metadata (entity id https://<host>/saml, its signing
// certificate, SingleSignOnService with the HTTP-Redirect binding at
// /saml/sso). The SSO endpoint takes a redirect-binding AuthnRequest and
// answers an auto-submitting HTML form that POSTs a SAMLResponse and the
// RelayState to the request's AssertionConsumerServiceURL. The Assertion
// is signed (RSA-SHA256, exclusive c14n) unless SetSignResponse moves the
// signature to the Response.
type FakeSAMLIdP struct {
	host, entityID string
	cert           *x509.Certificate
	key, rogue     *rsa.PrivateKey
	providerName   string

	mu           sync.Mutex
	account      FakeAccount
	fail         FailMode
	signResponse bool
	entraClaims  bool
	lastRequest  *saml.AuthnRequest
	lastPost     url.Values
}

// NewFakeSAMLIdP registers host (such as "idp.acme.example") on u as a
// SAML IdP that signs acct in; FactoryID is "SAML" until SetProviderName
// says otherwise.
func NewFakeSAMLIdP(u *Upstream, host string, acct FakeAccount) *FakeSAMLIdP {
	host = strings.ToLower(host)
	keys := openIDKeys()
	f := &FakeSAMLIdP{host: host, entityID: "https://" + host + "/saml", key: keys.rsa, rogue: keys.rogueRSA,
		providerName: "SAML", account: acct}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host + " SAML signing"},
		NotBefore:    time.Now().Add(-24 * time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.key.PublicKey, f.key)
	if err != nil {
		panic("connectortest: making the SAML signing certificate: " + err.Error())
	}
	if f.cert, err = x509.ParseCertificate(der); err != nil {
		panic("connectortest: reading the SAML signing certificate: " + err.Error())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/saml/metadata", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		w.Write(f.Metadata())
	})
	mux.HandleFunc("/saml/sso", f.sso)
	u.Handle(host, mux)
	return f
}

// EntityID is the IdP's entity id, https://<host>/saml.
func (f *FakeSAMLIdP) EntityID() string { return f.entityID }

// MetadataURL is where the IdP publishes its metadata.
func (f *FakeSAMLIdP) MetadataURL() string { return "https://" + f.host + "/saml/metadata" }

// SSOURL is the IdP's SingleSignOnService (HTTP-Redirect binding).
func (f *FakeSAMLIdP) SSOURL() string { return "https://" + f.host + "/saml/sso" }

// Certificate is the IdP's signing certificate.
func (f *FakeSAMLIdP) Certificate() *x509.Certificate { return f.cert }

// CertificatePEM is the signing certificate in PEM.
func (f *FakeSAMLIdP) CertificatePEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.cert.Raw}))
}

// Metadata is the IdP's EntityDescriptor.
func (f *FakeSAMLIdP) Metadata() []byte {
	certB64 := base64.StdEncoding.EncodeToString(f.cert.Raw)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + xmlAttr(f.entityID) + `">` + "\n")
	b.WriteString(`  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + "\n")
	b.WriteString(`    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` +
		certB64 + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` + "\n")
	b.WriteString(`    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` + "\n")
	b.WriteString(`    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>` + "\n")
	b.WriteString(`    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + xmlAttr(f.SSOURL()) + `"/>` + "\n")
	b.WriteString(`    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + xmlAttr(f.SSOURL()) + `"/>` + "\n")
	b.WriteString("  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n")
	return []byte(b.String())
}

func xmlAttr(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

// SetProviderName sets what FactoryID returns: "SAML" or "AzureAD" (set it
// before use; it is not guarded).
func (f *FakeSAMLIdP) SetProviderName(name string) { f.providerName = name }

// FactoryID is the SSO connector providerName the fake stands in for.
func (f *FakeSAMLIdP) FactoryID() string { return f.providerName }

// Config is the SSO connector config that fetches the metadata by URL.
func (f *FakeSAMLIdP) Config() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"metadataUrl": f.MetadataURL()})
	return b
}

// InlineConfig carries the metadata XML itself.
func (f *FakeSAMLIdP) InlineConfig() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"metadata": string(f.Metadata())})
	return b
}

// ManualConfig names the entity id, SSO URL and certificate one by one.
func (f *FakeSAMLIdP) ManualConfig() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"entityId": f.entityID, "signInEndpoint": f.SSOURL(), "x509Certificate": f.CertificatePEM()})
	return b
}

// SetAccount changes who signs in next.
func (f *FakeSAMLIdP) SetAccount(a FakeAccount) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.account = a
}

// SetFail makes the next responses misbehave (FailNone to stop).
func (f *FakeSAMLIdP) SetFail(m FailMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = m
}

// SetSignResponse signs the whole Response instead of the Assertion.
func (f *FakeSAMLIdP) SetSignResponse(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signResponse = on
}

// SetEntraClaims names attributes as Microsoft Entra ID does (claim URIs
// such as .../claims/emailaddress) instead of plain email and name.
func (f *FakeSAMLIdP) SetEntraClaims(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entraClaims = on
}

// LastRequest is the last AuthnRequest the SSO endpoint took (nil before any).
func (f *FakeSAMLIdP) LastRequest() *saml.AuthnRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastRequest
}

// LastPost is the last form the IdP had the browser post (SAMLResponse and
// RelayState), for replay tests.
func (f *FakeSAMLIdP) LastPost() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := url.Values{}
	for k, v := range f.lastPost {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// sso takes a redirect-binding AuthnRequest.
func (f *FakeSAMLIdP) sso(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req, err := decodeRedirectRequest(q.Get("SAMLRequest"))
	if err != nil {
		openIDErrorPage(w, http.StatusBadRequest, "invalid_request", "The SAMLRequest cannot be read: "+err.Error())
		return
	}
	if req.Issuer == nil || req.Issuer.Value == "" || req.AssertionConsumerServiceURL == "" || req.ID == "" {
		openIDErrorPage(w, http.StatusBadRequest, "invalid_request", "The AuthnRequest lacks an Issuer, ID or AssertionConsumerServiceURL.")
		return
	}
	if req.Destination != "" && req.Destination != f.SSOURL() {
		openIDErrorPage(w, http.StatusBadRequest, "invalid_request", "The AuthnRequest's Destination is not this IdP.")
		return
	}
	f.mu.Lock()
	f.lastRequest = req
	acct, fail, signResponse, entra := f.account, f.fail, f.signResponse, f.entraClaims
	f.mu.Unlock()
	relayState := q.Get("RelayState")
	if fail == FailWrongState {
		relayState += "-tampered"
	}
	doc, err := f.response(req, acct, fail, signResponse, entra, time.Now())
	if err != nil {
		openIDErrorPage(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	post := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}}
	if relayState != "" {
		post.Set("RelayState", relayState)
	}
	f.mu.Lock()
	f.lastPost = post
	f.mu.Unlock()
	openIDFormPost(w, req.AssertionConsumerServiceURL, post)
}

// decodeRedirectRequest reads the HTTP-Redirect binding's encoding:
// base64 of the raw DEFLATE of the XML.
func decodeRedirectRequest(v string) (*saml.AuthnRequest, error) {
	compressed, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(compressed)), 1<<20))
	if err != nil {
		return nil, err
	}
	var req saml.AuthnRequest
	if err := xml.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	return &req, nil
}

// Response builds a SAMLResponse document for req as the SSO endpoint
// would, for tests that post responses of their own making.
func (f *FakeSAMLIdP) Response(req *saml.AuthnRequest, now time.Time) ([]byte, error) {
	f.mu.Lock()
	acct, fail, signResponse, entra := f.account, f.fail, f.signResponse, f.entraClaims
	f.mu.Unlock()
	return f.response(req, acct, fail, signResponse, entra, now)
}

func (f *FakeSAMLIdP) response(req *saml.AuthnRequest, acct FakeAccount, fail FailMode, signResponse, entra bool, now time.Time) ([]byte, error) {
	now = now.UTC().Truncate(time.Second)
	acs, audience, inResponseTo := req.AssertionConsumerServiceURL, req.Issuer.Value, req.ID
	switch fail {
	case FailSAMLWrongAudience:
		audience = "https://other-sp.example/saml"
	case FailSAMLWrongRequest:
		inResponseTo = "id-" + randomHex()
	case FailSAMLWrongDestination:
		acs = "https://other-sp.example/acs"
	}
	resp := &saml.Response{
		ID: "_" + randomHex(), InResponseTo: inResponseTo, Version: "2.0", IssueInstant: now, Destination: acs,
		Issuer: &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: f.entityID},
		Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}},
	}
	if fail == FailAuthorize {
		resp.Status = saml.Status{
			StatusCode:    saml.StatusCode{Value: saml.StatusResponder, StatusCode: &saml.StatusCode{Value: saml.StatusAuthnFailed}},
			StatusMessage: &saml.StatusMessage{Value: "The user is not assigned to this application."},
		}
		return f.finish(resp.Element(), fail, fail != FailSAMLUnsigned)
	}
	notBefore, notOnOrAfter := now.Add(-30*time.Second), now.Add(5*time.Minute)
	if fail == FailSAMLExpired {
		notBefore, notOnOrAfter = now.Add(-20*time.Minute), now.Add(-10*time.Minute)
	}
	emailName, nameName := "email", "name"
	if entra {
		emailName, nameName = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "http://schemas.microsoft.com/identity/claims/displayname"
	}
	var attrs []saml.Attribute
	str := func(name, v string) {
		if v != "" {
			attrs = append(attrs, saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
				Values: []saml.AttributeValue{{Type: "xs:string", Value: v}}})
		}
	}
	str(emailName, acct.Email)
	str(nameName, acct.Name)
	given, family := openIDSplitName(acct.Name)
	if entra {
		str("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", given)
		str("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", family)
	} else {
		str("firstName", given)
		str("lastName", family)
	}
	assertion := &saml.Assertion{
		ID: "_" + randomHex(), IssueInstant: now, Version: "2.0",
		Issuer: saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: f.entityID},
		Subject: &saml.Subject{
			NameID: &saml.NameID{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", Value: acct.ID},
			SubjectConfirmations: []saml.SubjectConfirmation{{Method: "urn:oasis:names:tc:SAML:2.0:cm:bearer",
				SubjectConfirmationData: &saml.SubjectConfirmationData{InResponseTo: inResponseTo, Recipient: acs, NotOnOrAfter: now.Add(5 * time.Minute)}}},
		},
		Conditions: &saml.Conditions{NotBefore: notBefore, NotOnOrAfter: notOnOrAfter,
			AudienceRestrictions: []saml.AudienceRestriction{{Audience: saml.Audience{Value: audience}}}},
		AuthnStatements: []saml.AuthnStatement{{AuthnInstant: now, SessionIndex: "_" + randomHex(),
			AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{Value: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}}}},
		AttributeStatements: []saml.AttributeStatement{{Attributes: attrs}},
	}
	assertionEl := assertion.Element()
	if fail != FailSAMLUnsigned && !signResponse {
		signed, err := f.sign(assertionEl, fail)
		if err != nil {
			return nil, err
		}
		assertionEl = signed
	}
	respEl := resp.Element()
	respEl.AddChild(assertionEl)
	return f.finish(respEl, fail, fail != FailSAMLUnsigned && signResponse)
}

// finish signs the Response when asked and serialises it.
func (f *FakeSAMLIdP) finish(respEl *etree.Element, fail FailMode, sign bool) ([]byte, error) {
	if sign {
		signed, err := f.sign(respEl, fail)
		if err != nil {
			return nil, err
		}
		respEl = signed
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(respEl)
	return doc.WriteToBytes()
}

// samlKeyStore hands goxmldsig a key with a certificate; under
// FailBadSignature the key is not the certificate's.
type samlKeyStore struct {
	key  *rsa.PrivateKey
	cert []byte
}

func (k samlKeyStore) GetKeyPair() (*rsa.PrivateKey, []byte, error) { return k.key, k.cert, nil }

// sign returns el with an enveloped signature placed after its Issuer,
// where the SAML schema wants it.
func (f *FakeSAMLIdP) sign(el *etree.Element, fail FailMode) (*etree.Element, error) {
	key := f.key
	if fail == FailBadSignature {
		key = f.rogue
	}
	ctx := dsig.NewDefaultSigningContext(samlKeyStore{key: key, cert: f.cert.Raw})
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Hash = crypto.SHA256
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		return nil, err
	}
	// SignEnveloped appends the signature as the last child.
	sig, ok := signed.RemoveChildAt(len(signed.Child) - 1).(*etree.Element)
	if !ok || sig.Tag != "Signature" {
		return nil, errors.New("connectortest: the signed element does not end with its signature")
	}
	at := 0
	for i, c := range signed.Child {
		if e, ok := c.(*etree.Element); ok && e.Tag == "Issuer" {
			at = i + 1
			break
		}
	}
	signed.InsertChildAt(at, sig)
	return signed, nil
}
