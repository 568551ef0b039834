package sso

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
)

// FuzzSAMLResponse feeds arbitrary SAMLResponse values to a SAML provider:
// none may panic, and none may sign anyone in. The seeds are real signed
// responses from the fake IdP, valid but for a request other than the one
// the callback expects, and mangled versions of them; a mutation that got
// through would have to forge the IdP's signature or the request binding.
//
// go test runs the seeds; go test -fuzz FuzzSAMLResponse ./internal/sso
// explores further.
func FuzzSAMLResponse(f *testing.F) {
	up, err := connectortest.StartUpstream()
	if err != nil {
		f.Fatal(err)
	}
	defer up.Close()
	idp := connectortest.NewFakeSAMLIdP(up, "idp.fuzz.example", alice)
	md, err := parseMetadata(idp.Metadata())
	if err != nil {
		f.Fatal(err)
	}
	const connID = "fuzzconn0001"
	p := &samlProvider{connectorID: connID, spEntityID: testEndpoint + "/enterprise-sso/" + connID,
		acsURL: testEndpoint + "/callback/" + connID, idp: md, mapping: defaultAttributeMapping, now: time.Now}

	// Responses to a request made for another sign-in (state "earlier").
	req := &saml.AuthnRequest{ID: requestID(connID, "earlier", "nonce"), AssertionConsumerServiceURL: p.acsURL,
		Issuer: &saml.Issuer{Value: p.spEntityID}}
	for _, mode := range []connectortest.FailMode{connectortest.FailNone, connectortest.FailSAMLUnsigned,
		connectortest.FailSAMLWrongAudience, connectortest.FailAuthorize} {
		for _, signResponse := range []bool{false, true} {
			idp.SetFail(mode)
			idp.SetSignResponse(signResponse)
			doc, err := idp.Response(req, time.Now())
			if err != nil {
				f.Fatal(err)
			}
			f.Add(base64.StdEncoding.EncodeToString(doc))
			f.Add(string(doc))
			f.Add(base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(doc), "<saml:Assertion", "<saml:Assertion><saml:Assertion", 1))))
			f.Add(base64.StdEncoding.EncodeToString(doc[:len(doc)/2]))
		}
	}
	for _, seed := range []string{"", "=", "PD94bWw/Pg==", base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)),
		base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;&a;</x>`))} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, samlResponse string) {
		cb := connector.Callback{Params: url.Values{"SAMLResponse": {samlResponse}, "RelayState": {"current"}},
			RedirectURI: p.acsURL, Nonce: "nonce"}
		if u, err := p.UserInfo(context.Background(), cb); err == nil {
			t.Fatalf("a SAMLResponse the callback did not ask for signed in %+v", u)
		}
	})
}
