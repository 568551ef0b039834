package sso

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

const (
	// samlClockSkew is the leeway for the IdP's clock in every time check.
	samlClockSkew = 2 * time.Minute
	// samlMaxIssueDelay bounds the age of a response: the browser posts it
	// right after the IdP made it.
	samlMaxIssueDelay = 3 * time.Minute
	// maxMetadataBytes and maxResponseBytes bound what is read and parsed.
	maxMetadataBytes = 1 << 20
	maxResponseBytes = 256 << 10
)

const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	bearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// idpMetadata is what the SP needs of a SAML identity provider.
type idpMetadata struct {
	EntityID string
	// SSOURL is the HTTP-Redirect binding's SingleSignOnService, the only
	// binding Gatehouse sends AuthnRequests with (as Logto).
	SSOURL string
	// Certs are the signing certificates; several during a key rollover.
	Certs []*x509.Certificate
}

func metadataError(reason string, err error) *ConfigError {
	return &ConfigError{Code: CodeInvalidMetadata, Field: "config", Reason: reason, Err: err}
}

// fetchMetadata GETs a metadata document through client.
func fetchMetadata(ctx context.Context, client *http.Client, metadataURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return nil, metadataError("the metadata URL is not valid", err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, metadataError("the metadata could not be fetched from "+metadataURL+": "+shortError(err), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, metadataError(fmt.Sprintf("the metadata URL %s answered %s", metadataURL, resp.Status), nil)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, metadataError("the metadata could not be read: "+shortError(err), err)
	}
	if len(body) > maxMetadataBytes {
		return nil, metadataError("the metadata is larger than 1 MiB", nil)
	}
	return body, nil
}

// parseMetadata reads an IdP's EntityDescriptor (or the first one holding
// an IDPSSODescriptor inside an EntitiesDescriptor).
func parseMetadata(raw []byte) (*idpMetadata, error) {
	if len(raw) > maxMetadataBytes {
		return nil, metadataError("the metadata is larger than 1 MiB", nil)
	}
	if err := xrv.Validate(bytes.NewReader(raw)); err != nil {
		return nil, metadataError("the metadata is not well-formed XML", err)
	}
	var root struct{ XMLName xml.Name }
	if err := xml.Unmarshal(raw, &root); err != nil {
		return nil, metadataError("the metadata is not well-formed XML", err)
	}
	var entities []saml.EntityDescriptor
	switch root.XMLName.Local {
	case "EntityDescriptor":
		var ed saml.EntityDescriptor
		if err := xml.Unmarshal(raw, &ed); err != nil {
			return nil, metadataError("the metadata's EntityDescriptor cannot be read", err)
		}
		entities = append(entities, ed)
	case "EntitiesDescriptor":
		var eds saml.EntitiesDescriptor
		if err := xml.Unmarshal(raw, &eds); err != nil {
			return nil, metadataError("the metadata's EntitiesDescriptor cannot be read", err)
		}
		entities = eds.EntityDescriptors
	default:
		return nil, metadataError("the metadata is no SAML EntityDescriptor", nil)
	}
	for _, ed := range entities {
		if len(ed.IDPSSODescriptors) == 0 {
			continue
		}
		md := &idpMetadata{EntityID: ed.EntityID}
		for _, d := range ed.IDPSSODescriptors {
			for _, s := range d.SingleSignOnServices {
				if s.Binding == saml.HTTPRedirectBinding && md.SSOURL == "" {
					md.SSOURL = s.Location
				}
			}
			for _, kd := range d.KeyDescriptors {
				if kd.Use != "" && kd.Use != "signing" {
					continue
				}
				for _, c := range kd.KeyInfo.X509Data.X509Certificates {
					cert, err := parseCertificate(c.Data)
					if err != nil {
						return nil, err
					}
					md.Certs = append(md.Certs, cert)
				}
			}
		}
		switch {
		case md.EntityID == "":
			return nil, metadataError("the metadata has no entityID", nil)
		case md.SSOURL == "":
			return nil, metadataError("the metadata has no SingleSignOnService with the HTTP-Redirect binding", nil)
		case len(md.Certs) == 0:
			return nil, &ConfigError{Code: CodeInvalidCertificate, Field: "config", Reason: "the metadata has no signing certificate"}
		}
		return md, nil
	}
	return nil, metadataError("the metadata describes no identity provider (IDPSSODescriptor)", nil)
}

// parseCertificate reads an X.509 certificate in PEM or as the bare base64
// of its DER, as metadata and Logto's x509Certificate field hold it.
func parseCertificate(s string) (*x509.Certificate, error) {
	der := []byte(nil)
	if block, _ := pem.Decode([]byte(strings.TrimSpace(s))); block != nil {
		der = block.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, &ConfigError{Code: CodeInvalidCertificate, Field: "config.x509Certificate", Reason: "the certificate is neither PEM nor base64", Err: err}
		}
		der = b
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &ConfigError{Code: CodeInvalidCertificate, Field: "config.x509Certificate", Reason: "the certificate cannot be parsed", Err: err}
	}
	return cert, nil
}

// certificatePEM renders cert as Logto's identityProvider.x509Certificate.
func certificatePEM(cert *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
}

// samlProvider is a SAML 2.0 service provider for one connector:
// AuthnRequests go out by the HTTP-Redirect binding, Responses come back
// by the HTTP-POST binding to the connector's callback URL.
type samlProvider struct {
	connectorID string
	spEntityID  string
	acsURL      string // used when a request or callback carries none
	idp         *idpMetadata
	mapping     attributeMapping
	now         func() time.Time
}

var _ Provider = (*samlProvider)(nil)

// Issuer is the identity namespace: the IdP's entity id.
func (p *samlProvider) Issuer() string { return p.idp.EntityID }

// requestID derives the AuthnRequest ID from the sign-in's state and nonce,
// so that the callback can tell which request a Response answers without
// storing anything: the nonce never leaves the server, so no one else can
// compute the ID of someone's sign-in.
func requestID(connectorID, state, nonce string) string {
	h := sha256.New()
	for _, part := range []string{"gatehouse saml AuthnRequest", connectorID, state, nonce} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "id-" + hex.EncodeToString(h.Sum(nil)[:20])
}

// AuthorizationURL returns the IdP's SSO URL carrying a deflated
// AuthnRequest and RelayState = the sign-in's state.
func (p *samlProvider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" {
		return "", errors.New("sso: a SAML sign-in needs a state")
	}
	acs, err := url.Parse(firstNonEmpty(req.RedirectURI, p.acsURL))
	if err != nil {
		return "", fmt.Errorf("sso: callback URL: %w", err)
	}
	sp := &saml.ServiceProvider{EntityID: p.spEntityID, AcsURL: *acs, AuthnNameIDFormat: saml.UnspecifiedNameIDFormat}
	ar, err := sp.MakeAuthenticationRequest(p.idp.SSOURL, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", fmt.Errorf("sso: building the AuthnRequest: %w", err)
	}
	ar.ID = requestID(p.connectorID, req.State, req.Nonce)
	ar.IssueInstant = p.now().UTC()
	// Redirect appends RelayState to the query as given.
	u, err := ar.Redirect(url.QueryEscape(req.State), sp)
	if err != nil {
		return "", fmt.Errorf("sso: encoding the AuthnRequest: %w", err)
	}
	return u.String(), nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// UserInfo verifies the posted SAMLResponse and maps its assertion.
func (p *samlProvider) UserInfo(_ context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	encoded := cb.Params.Get("SAMLResponse")
	if encoded == "" {
		return nil, fmt.Errorf("%w: the callback carries no SAMLResponse", connector.ErrInvalidResponse)
	}
	relayState := cb.State
	if relayState == "" {
		relayState = cb.Params.Get("RelayState")
	}
	if relayState == "" {
		return nil, fmt.Errorf("%w: the callback carries no RelayState", connector.ErrInvalidResponse)
	}
	a, err := p.verify(encoded, requestID(p.connectorID, relayState, cb.Nonce), firstNonEmpty(cb.RedirectURI, p.acsURL))
	if err != nil {
		return nil, err
	}
	return p.socialUser(a)
}

func invalidSAML(format string, args ...any) error {
	return fmt.Errorf("%w: SAML response: %s", connector.ErrInvalidResponse, fmt.Sprintf(format, args...))
}

// verify decodes a SAMLResponse and returns its assertion once every check
// holds. Only what a valid signature of the IdP covers is read: the signed
// Response as a whole, or else the signed Assertion (the Response's own
// fields are then only read for its status and checked, never trusted).
func (p *samlProvider) verify(encoded, wantID, acs string) (*saml.Assertion, error) {
	if len(encoded) > maxResponseBytes*4/3+4 {
		return nil, invalidSAML("too large")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(encoded), ""))
	if err != nil {
		return nil, invalidSAML("not base64")
	}
	if err := xrv.Validate(bytes.NewReader(raw)); err != nil {
		return nil, invalidSAML("not well-formed XML")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, invalidSAML("not well-formed XML")
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return nil, invalidSAML("the document is no samlp:Response")
	}
	now := p.now()
	responseEl, responseSigned := root, false
	if child(root, nsDSig, "Signature") != nil {
		verified, err := p.validateSignature(root, now)
		if err != nil {
			return nil, invalidSAML("the Response signature is not valid: %v", err)
		}
		responseEl, responseSigned = verified, true
	}
	var resp saml.Response
	if err := unmarshalElement(responseEl, &resp); err != nil {
		return nil, invalidSAML("the Response cannot be read: %v", err)
	}
	// A failure status carries no assertion. It is reported even unsigned:
	// believing it can only end a sign-in, never start one.
	if resp.Status.StatusCode.Value != saml.StatusSuccess {
		return nil, statusError(resp.Status)
	}
	if child(responseEl, nsAssertion, "EncryptedAssertion") != nil {
		return nil, invalidSAML("encrypted assertions are not supported; turn assertion encryption off at the IdP")
	}
	assertions := children(responseEl, nsAssertion, "Assertion")
	if len(assertions) != 1 {
		return nil, invalidSAML("expected one Assertion, found %d", len(assertions))
	}
	assertionEl := assertions[0]
	if !responseSigned {
		if child(assertionEl, nsDSig, "Signature") == nil {
			return nil, invalidSAML("neither the Response nor the Assertion is signed")
		}
		detached, err := detach(assertionEl)
		if err != nil {
			return nil, invalidSAML("the Assertion cannot be read: %v", err)
		}
		if assertionEl, err = p.validateSignature(detached, now); err != nil {
			return nil, invalidSAML("the Assertion signature is not valid: %v", err)
		}
	}

	var a saml.Assertion
	if err := unmarshalElement(assertionEl, &a); err != nil {
		return nil, invalidSAML("the Assertion cannot be read: %v", err)
	}
	if err := p.checkResponse(&resp, wantID, acs, now); err != nil {
		return nil, err
	}
	if err := p.checkAssertion(&a, wantID, acs, now); err != nil {
		return nil, err
	}
	return &a, nil
}

// validateSignature checks el's enveloped signature against the IdP's
// signing certificates, one at a time: goxmldsig needs the signature to name
// its certificate when it trusts several, and some IdPs name none (or only
// a key), in which case their KeyInfo is dropped so that the certificates
// from the metadata decide. It returns the signed content as verified.
func (p *samlProvider) validateSignature(el *etree.Element, now time.Time) (*etree.Element, error) {
	el = el.Copy()
	if sig := child(el, nsDSig, "Signature"); sig != nil {
		if ki := child(sig, nsDSig, "KeyInfo"); ki != nil && ki.FindElement("./X509Data/X509Certificate") == nil {
			sig.RemoveChild(ki)
		}
	}
	var err error
	for _, cert := range p.idp.Certs {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.IdAttribute = "ID"
		vc.Clock = dsig.NewFakeClockAt(now)
		var verified *etree.Element
		if verified, err = vc.Validate(el); err == nil {
			return verified, nil
		}
	}
	return nil, err
}

func (p *samlProvider) checkResponse(r *saml.Response, wantID, acs string, now time.Time) error {
	if r.Destination != "" && r.Destination != acs {
		return invalidSAML("Destination %q is not this connector's callback URL %q", r.Destination, acs)
	}
	if subtle.ConstantTimeCompare([]byte(r.InResponseTo), []byte(wantID)) != 1 {
		return invalidSAML("InResponseTo does not match this sign-in's request (an unsolicited, replayed or foreign response)")
	}
	if r.Issuer != nil && r.Issuer.Value != p.idp.EntityID {
		return invalidSAML("Response Issuer %q is not the IdP %q", r.Issuer.Value, p.idp.EntityID)
	}
	return checkIssueInstant("Response", r.IssueInstant, now)
}

func checkIssueInstant(what string, t, now time.Time) error {
	if t.IsZero() {
		return invalidSAML("%s has no IssueInstant", what)
	}
	if t.After(now.Add(samlClockSkew)) || t.Add(samlMaxIssueDelay+samlClockSkew).Before(now) {
		return invalidSAML("%s IssueInstant %s is too far from now", what, t.UTC().Format(time.RFC3339))
	}
	return nil
}

func (p *samlProvider) checkAssertion(a *saml.Assertion, wantID, acs string, now time.Time) error {
	if a.Issuer.Value != p.idp.EntityID {
		return invalidSAML("Assertion Issuer %q is not the IdP %q", a.Issuer.Value, p.idp.EntityID)
	}
	if err := checkIssueInstant("Assertion", a.IssueInstant, now); err != nil {
		return err
	}
	if a.Subject == nil {
		return invalidSAML("the Assertion has no Subject")
	}
	// Web Browser SSO profile (saml-profiles 4.1.4.2): a bearer
	// SubjectConfirmation for this ACS, this request, still valid.
	confirmed := false
	var reason string
	for _, sc := range a.Subject.SubjectConfirmations {
		d := sc.SubjectConfirmationData
		switch {
		case sc.Method != bearer:
			reason = "no bearer SubjectConfirmation"
		case d == nil:
			reason = "SubjectConfirmation without data"
		case d.Recipient != acs:
			reason = fmt.Sprintf("SubjectConfirmation Recipient %q is not this connector's callback URL %q", d.Recipient, acs)
		case subtle.ConstantTimeCompare([]byte(d.InResponseTo), []byte(wantID)) != 1:
			reason = "SubjectConfirmation InResponseTo does not match this sign-in's request"
		case d.NotOnOrAfter.IsZero() || !now.Before(d.NotOnOrAfter.Add(samlClockSkew)):
			reason = "SubjectConfirmation has expired"
		case !d.NotBefore.IsZero() && now.Add(samlClockSkew).Before(d.NotBefore):
			reason = "SubjectConfirmation is not valid yet"
		default:
			confirmed = true
		}
		if confirmed {
			break
		}
	}
	if !confirmed {
		if reason == "" {
			reason = "no SubjectConfirmation"
		}
		return invalidSAML("%s", reason)
	}
	c := a.Conditions
	if c == nil {
		return invalidSAML("the Assertion has no Conditions")
	}
	if !c.NotBefore.IsZero() && now.Add(samlClockSkew).Before(c.NotBefore) {
		return invalidSAML("the Assertion is not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	}
	if !c.NotOnOrAfter.IsZero() && !now.Before(c.NotOnOrAfter.Add(samlClockSkew)) {
		return invalidSAML("the Assertion expired at %s", c.NotOnOrAfter.UTC().Format(time.RFC3339))
	}
	// Every AudienceRestriction must name this SP (saml-core 2.5.1.4), and
	// a bearer assertion must carry one (saml-profiles 4.1.4.2).
	if len(c.AudienceRestrictions) == 0 {
		return invalidSAML("the Assertion has no AudienceRestriction")
	}
	for _, ar := range c.AudienceRestrictions {
		if ar.Audience.Value != p.spEntityID {
			return invalidSAML("the Assertion's Audience %q is not this SP %q", ar.Audience.Value, p.spEntityID)
		}
	}
	return nil
}

// statusError reports a non-success Response status. The person declining
// or failing to authenticate becomes access_denied, as OAuth says it.
func statusError(s saml.Status) error {
	code := s.StatusCode.Value
	if s.StatusCode.StatusCode != nil {
		code = s.StatusCode.StatusCode.Value
	}
	short := code[strings.LastIndex(code, ":")+1:]
	desc := ""
	if s.StatusMessage != nil {
		desc = s.StatusMessage.Value
	}
	switch short {
	case "AuthnFailed", "RequestDenied", "NoPassive":
		return &connector.UpstreamError{Code: "access_denied", Description: firstNonEmpty(desc, short)}
	case "":
		short = "saml_error"
	}
	return &connector.UpstreamError{Code: short, Description: desc}
}

// child returns el's first direct child in namespace ns named tag.
func child(el *etree.Element, ns, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// detach copies el out of its document with the namespace declarations it
// inherits, so that its signature can be checked on its own.
func detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	if ctx, err = ctx.SubContext(el); err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(ctx, el)
}

func unmarshalElement(el *etree.Element, v any) error {
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	return xml.Unmarshal(b, v)
}

// socialUser maps the assertion with the connector's attribute mapping
// (Logto's: id from the NameID, email and name from attributes of those
// names). When the mapped email or name attribute is missing, the claim
// URIs Microsoft Entra ID and AD FS send by default are tried, so that
// Entra works without a custom mapping.
func (p *samlProvider) socialUser(a *saml.Assertion) (*connector.SocialUser, error) {
	attrs := map[string][]string{}
	var order []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if _, seen := attrs[at.Name]; !seen {
				order = append(order, at.Name)
			}
			for _, v := range at.Values {
				attrs[at.Name] = append(attrs[at.Name], v.Value)
			}
		}
	}
	nameID := ""
	if a.Subject != nil && a.Subject.NameID != nil {
		nameID = strings.TrimSpace(a.Subject.NameID.Value)
	}
	get := func(source string, fallbacks ...string) string {
		if source == "nameID" {
			return nameID
		}
		for _, name := range append([]string{source}, fallbacks...) {
			if vs := attrs[name]; len(vs) > 0 && strings.TrimSpace(vs[0]) != "" {
				return strings.TrimSpace(vs[0])
			}
		}
		return ""
	}
	u := &connector.SocialUser{ID: get(p.mapping.ID)}
	if u.ID == "" {
		return nil, invalidSAML("the assertion has no %q for the account id", p.mapping.ID)
	}
	u.Email = get(p.mapping.Email, entraEmailClaims...)
	u.Name = get(p.mapping.Name, entraNameClaims...)
	if u.Name == "" {
		u.Name = strings.TrimSpace(get("", entraGivenNameClaim) + " " + get("", entraSurnameClaim))
	}
	raw := map[string]any{}
	if nameID != "" {
		raw["nameID"] = nameID
	}
	for _, name := range order {
		if vs := attrs[name]; len(vs) == 1 {
			raw[name] = vs[0]
		} else {
			raw[name] = vs
		}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("sso: encoding SAML attributes: %w", err)
	}
	u.RawData = b
	return u, nil
}

// The claim types Microsoft Entra ID and AD FS put in SAML assertions.
var (
	entraEmailClaims = []string{
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"http://schemas.xmlsoap.org/claims/EmailAddress",
		"urn:oid:0.9.2342.19200300.100.1.3", // mail
	}
	entraNameClaims = []string{
		"http://schemas.microsoft.com/identity/claims/displayname",
		"urn:oid:2.16.840.1.113730.3.1.241", // displayName
	}
	entraGivenNameClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	entraSurnameClaim   = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
)
