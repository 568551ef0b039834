package sso

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

func samlSetup(t *testing.T) (*harness, *connectortest.FakeSAMLIdP, *Connector, Provider) {
	h := newHarness(t)
	fake := connectortest.NewFakeSAMLIdP(h.up, "idp.acme.example", alice)
	c := h.create(fake, nil, "acme.example")
	return h, fake, c, h.open(c.ID)
}

func TestSAMLSignIn(t *testing.T) {
	h, fake, c, p := samlSetup(t)
	if p.Issuer() != fake.EntityID() {
		t.Fatalf("issuer %q, want the IdP's entity id %q", p.Issuer(), fake.EntityID())
	}
	s := h.start(p, c.ID)

	// The AuthnRequest went by the redirect binding with what the IdP needs.
	authURL, _ := url.Parse(s.authURL)
	if authURL.Query().Get("RelayState") != s.req.State {
		t.Fatalf("RelayState %q, want the state", authURL.Query().Get("RelayState"))
	}
	ar := decodeAuthnRequest(t, authURL.Query().Get("SAMLRequest"))
	if ar.AssertionConsumerServiceURL != testEndpoint+"/callback/"+c.ID || ar.Issuer.Value != testEndpoint+"/enterprise-sso/"+c.ID ||
		ar.Destination != fake.SSOURL() || ar.ProtocolBinding != saml.HTTPPostBinding || ar.ID != requestID(c.ID, s.req.State, s.req.Nonce) {
		t.Fatalf("AuthnRequest %+v", ar)
	}
	if s.returned.Get("RelayState") != s.req.State || s.returned.Get("SAMLResponse") == "" {
		t.Fatalf("posted back %v", s.returned)
	}

	u, err := h.finish(p, s)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != alice.ID || u.Email != alice.Email || u.Name != alice.Name {
		t.Fatalf("user %+v", u)
	}
	var raw map[string]any
	if err := json.Unmarshal(u.RawData, &raw); err != nil || raw["nameID"] != alice.ID || raw["firstName"] != "Alice" {
		t.Fatalf("raw data %s (%v)", u.RawData, err)
	}

	t.Run("signed Response", func(t *testing.T) {
		fake.SetSignResponse(true)
		defer fake.SetSignResponse(false)
		if u, err := h.finish(p, h.start(p, c.ID)); err != nil || u.ID != alice.ID {
			t.Fatalf("user %+v, %v", u, err)
		}
	})

	t.Run("Entra ID claim names", func(t *testing.T) {
		fake.SetEntraClaims(true)
		defer fake.SetEntraClaims(false)
		u, err := h.finish(p, h.start(p, c.ID))
		if err != nil || u.Email != alice.Email || u.Name != alice.Name {
			t.Fatalf("user %+v, %v", u, err)
		}
	})

	t.Run("the same response twice", func(t *testing.T) {
		// The pages forget a sign-in's state once its callback comes; the
		// response of a finished sign-in fits no other.
		first := h.start(p, c.ID)
		if _, err := h.finish(p, first); err != nil {
			t.Fatal(err)
		}
		next := h.start(p, c.ID)
		replay := next.callback()
		replay.Params = url.Values{"SAMLResponse": {first.returned.Get("SAMLResponse")}, "RelayState": {next.req.State}}
		_, err := p.UserInfo(t.Context(), replay)
		wantInvalid(t, err, "replayed", "InResponseTo")
	})
}

func decodeAuthnRequest(t *testing.T, v string) *saml.AuthnRequest {
	t.Helper()
	compressed, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	if err != nil {
		t.Fatal(err)
	}
	var ar saml.AuthnRequest
	if err := xml.Unmarshal(raw, &ar); err != nil {
		t.Fatal(err)
	}
	return &ar
}

func TestSAMLNegative(t *testing.T) {
	h, fake, c, p := samlSetup(t)
	for _, tc := range []struct {
		name   string
		mode   connectortest.FailMode
		reason string
	}{
		{"bad signature", connectortest.FailBadSignature, "signature is not valid"},
		{"wrong audience", connectortest.FailSAMLWrongAudience, "Audience"},
		{"expired conditions", connectortest.FailSAMLExpired, "expired"},
		{"unsigned", connectortest.FailSAMLUnsigned, "neither the Response nor the Assertion is signed"},
		{"wrong InResponseTo", connectortest.FailSAMLWrongRequest, "InResponseTo"},
		{"wrong destination", connectortest.FailSAMLWrongDestination, "Destination"},
	} {
		for _, signResponse := range []bool{false, true} {
			name := tc.name + " (assertion signed)"
			if signResponse {
				name = tc.name + " (response signed)"
			}
			t.Run(name, func(t *testing.T) {
				fake.SetFail(tc.mode)
				fake.SetSignResponse(signResponse)
				defer fake.SetFail(connectortest.FailNone)
				defer fake.SetSignResponse(false)
				u, err := h.finish(p, h.start(p, c.ID))
				if err == nil {
					t.Fatalf("signed in %+v", u)
				}
				wantInvalid(t, err, tc.name, tc.reason)
			})
		}
	}

	t.Run("authentication failed at the IdP", func(t *testing.T) {
		fake.SetFail(connectortest.FailAuthorize)
		defer fake.SetFail(connectortest.FailNone)
		_, err := h.finish(p, h.start(p, c.ID))
		wantUpstream(t, err, "access_denied")
	})

	t.Run("RelayState of another sign-in", func(t *testing.T) {
		s := h.start(p, c.ID)
		cb := s.callback()
		cb.Params.Set("RelayState", "someone-else."+s.req.State)
		_, err := p.UserInfo(t.Context(), cb)
		wantInvalid(t, err, "foreign RelayState", "InResponseTo")
	})

	t.Run("nonce of another sign-in", func(t *testing.T) {
		s := h.start(p, c.ID)
		cb := s.callback()
		cb.Nonce = "another"
		_, err := p.UserInfo(t.Context(), cb)
		wantInvalid(t, err, "foreign nonce", "InResponseTo")
	})

	t.Run("callback URL of another connector", func(t *testing.T) {
		s := h.start(p, c.ID)
		cb := s.callback()
		cb.RedirectURI = testEndpoint + "/callback/other"
		_, err := p.UserInfo(t.Context(), cb)
		wantInvalid(t, err, "foreign ACS", "callback URL")
	})

	t.Run("edited after signing", func(t *testing.T) {
		s := h.start(p, c.ID)
		doc := decodeResponse(t, s.returned.Get("SAMLResponse"))
		edited := strings.ReplaceAll(doc, alice.ID, "00u-mallory")
		if edited == doc {
			t.Fatal("the account id is not in the response")
		}
		s.returned.Set("SAMLResponse", base64.StdEncoding.EncodeToString([]byte(edited)))
		_, err := h.finish(p, s)
		wantInvalid(t, err, "edited", "signature is not valid")
	})

	t.Run("a second, unsigned assertion", func(t *testing.T) {
		s := h.start(p, c.ID)
		doc := decodeResponse(t, s.returned.Get("SAMLResponse"))
		start := strings.Index(doc, "<saml:Assertion")
		end := strings.Index(doc, "</saml:Assertion>") + len("</saml:Assertion>")
		forged := strings.ReplaceAll(doc[start:end], alice.ID, "00u-mallory")
		if i := strings.Index(forged, "<ds:Signature"); i >= 0 {
			forged = forged[:i] + forged[strings.Index(forged, "</ds:Signature>")+len("</ds:Signature>"):]
		}
		s.returned.Set("SAMLResponse", base64.StdEncoding.EncodeToString([]byte(doc[:start]+forged+doc[start:])))
		_, err := h.finish(p, s)
		wantInvalid(t, err, "wrapped", "expected one Assertion")
	})

	t.Run("too late by the server's clock", func(t *testing.T) {
		s := h.start(p, c.ID)
		h.advance(time.Hour)
		defer h.advance(-time.Hour)
		_, err := h.finish(p, s)
		wantInvalid(t, err, "late", "too far from now")
	})

	t.Run("garbage", func(t *testing.T) {
		for _, v := range []string{"", "%%%", base64.StdEncoding.EncodeToString([]byte("<x/>")), base64.StdEncoding.EncodeToString([]byte("not xml"))} {
			_, err := p.UserInfo(t.Context(), connector.Callback{Params: url.Values{"SAMLResponse": {v}, "RelayState": {"s"}},
				RedirectURI: testEndpoint + "/callback/" + c.ID, Nonce: "n"})
			wantInvalid(t, err, "garbage "+v)
		}
	})
}

func decodeResponse(t *testing.T, v string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSAMLConfigs(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeSAMLIdP(h.up, "idp.acme.example", alice)

	for name, cfg := range map[string]json.RawMessage{"metadataUrl": fake.Config(), "metadata": fake.InlineConfig(), "manual": fake.ManualConfig()} {
		t.Run(name, func(t *testing.T) {
			c := h.create(fake, cfg)
			p := h.open(c.ID)
			if u, err := h.finish(p, h.start(p, c.ID)); err != nil || u.ID != alice.ID {
				t.Fatalf("user %+v, %v", u, err)
			}
			var pc struct {
				DefaultAttributeMapping map[string]string `json:"defaultAttributeMapping"`
				ServiceProvider         map[string]string `json:"serviceProvider"`
				IdentityProvider        struct {
					EntityID             string `json:"entityId"`
					SignInEndpoint       string `json:"signInEndpoint"`
					X509Certificate      string `json:"x509Certificate"`
					CertificateExpiresAt int64  `json:"certificateExpiresAt"`
					IsCertificateValid   bool   `json:"isCertificateValid"`
				} `json:"identityProvider"`
			}
			if err := json.Unmarshal(h.svc.ProviderConfig(t.Context(), c), &pc); err != nil {
				t.Fatal(err)
			}
			idp := pc.IdentityProvider
			if pc.ServiceProvider["entityId"] != testEndpoint+"/enterprise-sso/"+c.ID ||
				pc.ServiceProvider["assertionConsumerServiceUrl"] != testEndpoint+"/callback/"+c.ID ||
				pc.DefaultAttributeMapping["id"] != "nameID" || idp.EntityID != fake.EntityID() || idp.SignInEndpoint != fake.SSOURL() ||
				idp.X509Certificate != fake.CertificatePEM() || !idp.IsCertificateValid ||
				idp.CertificateExpiresAt != fake.Certificate().NotAfter.UnixMilli() {
				t.Fatalf("provider config %+v", pc)
			}
		})
	}

	t.Run("attribute mapping", func(t *testing.T) {
		var cfg map[string]any
		json.Unmarshal(fake.Config(), &cfg)
		cfg["attributeMapping"] = map[string]string{"id": "email", "name": "firstName"}
		raw, _ := json.Marshal(cfg)
		c := h.create(fake, raw)
		p := h.open(c.ID)
		u, err := h.finish(p, h.start(p, c.ID))
		if err != nil || u.ID != alice.Email || u.Name != "Alice" || u.Email != alice.Email {
			t.Fatalf("user %+v, %v", u, err)
		}
	})

	t.Run("bad metadata", func(t *testing.T) {
		for name, tc := range map[string]struct {
			cfg  string
			code string
		}{
			"not XML":              {`{"metadata":"<md:EntityDescriptor"}`, CodeInvalidMetadata},
			"not metadata":         {`{"metadata":"<html><body>login</body></html>"}`, CodeInvalidMetadata},
			"unreachable URL":      {`{"metadataUrl":"https://nowhere.acme.example/metadata"}`, CodeInvalidMetadata},
			"bad certificate":      {`{"entityId":"x","signInEndpoint":"https://idp.acme.example/sso","x509Certificate":"bm90IGEgY2VydA=="}`, CodeInvalidCertificate},
			"no IdP":               {`{"metadataUrl":"not a url"}`, CodeInvalidConfig},
			"incomplete manual":    {`{"entityId":"x","signInEndpoint":"https://idp.acme.example/sso"}`, CodeInvalidConfig},
			"metadata not strings": {`{"metadata":42}`, CodeInvalidConfig},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := h.svc.Create(t.Context(), CreateInput{ProviderName: ProviderSAML, ConnectorName: "bad " + name, Config: json.RawMessage(tc.cfg)})
				wantConfigError(t, err, tc.code, "")
			})
		}
	})

	t.Run("signed AuthnRequests", func(t *testing.T) {
		var cfg map[string]any
		json.Unmarshal(fake.Config(), &cfg)
		cfg["signAuthnRequest"] = true
		raw, _ := json.Marshal(cfg)
		_, err := h.svc.Create(t.Context(), CreateInput{ProviderName: ProviderSAML, ConnectorName: "signing", Config: raw})
		if err != ErrSigningKeyRequired {
			t.Fatalf("error %v, want ErrSigningKeyRequired", err)
		}
	})
}

// TestSAMLKeyRollover: metadata listing an old and the current signing
// certificate, and signatures with and without KeyInfo.
func TestSAMLKeyRollover(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeSAMLIdP(h.up, "idp.acme.example", alice)
	other := connectortest.NewFakeSAMLIdP(h.up, "old.acme.example", alice)
	oldCert := base64.StdEncoding.EncodeToString(other.Certificate().Raw)
	md := strings.Replace(string(fake.Metadata()), `<md:KeyDescriptor use="signing">`,
		`<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>`+
			oldCert+`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="signing">`, 1)
	cfg, _ := json.Marshal(map[string]string{"metadata": md})
	c := h.create(fake, cfg)
	p := h.open(c.ID)
	if n := len(p.(*samlProvider).idp.Certs); n != 2 {
		t.Fatalf("%d signing certificates read, want 2", n)
	}
	for _, signResponse := range []bool{false, true} {
		fake.SetSignResponse(signResponse)
		if u, err := h.finish(p, h.start(p, c.ID)); err != nil || u.ID != alice.ID {
			t.Fatalf("with KeyInfo (response signed: %v): %+v, %v", signResponse, u, err)
		}
		s := h.start(p, c.ID)
		doc := decodeResponse(t, s.returned.Get("SAMLResponse"))
		start, end := strings.Index(doc, "<ds:KeyInfo>"), strings.Index(doc, "</ds:KeyInfo>")+len("</ds:KeyInfo>")
		if start < 0 {
			t.Fatal("no KeyInfo in the response")
		}
		s.returned.Set("SAMLResponse", base64.StdEncoding.EncodeToString([]byte(doc[:start]+doc[end:])))
		if u, err := h.finish(p, s); err != nil || u.ID != alice.ID {
			t.Fatalf("without KeyInfo (response signed: %v): %+v, %v", signResponse, u, err)
		}
	}
}
