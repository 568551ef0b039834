package oidc

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func TestRedirectURIAllowed(t *testing.T) {
	native := &store.Application{Type: store.Native, OIDCClientMetadata: store.OIDCClientMetadata{
		RedirectURIs: []string{"ai.example.app://callback", "http://127.0.0.1:8765/callback", "http://[::1]/cb"}}}
	web := &store.Application{Type: store.SPA, OIDCClientMetadata: store.OIDCClientMetadata{
		RedirectURIs: []string{"http://127.0.0.1:5173/callback", "https://app.example/callback"}}}
	cases := []struct {
		app  *store.Application
		uri  string
		want bool
	}{
		{native, "ai.example.app://callback", true},
		{native, "ai.example.app://callback/extra", false},
		{native, "http://127.0.0.1:8765/callback", true},
		{native, "http://127.0.0.1:51234/callback", true}, // RFC 8252 §7.3: any port on loopback
		{native, "http://127.0.0.1:51234/other", false},
		{native, "http://127.0.0.1:51234/callback?x=1", false},
		{native, "http://[::1]:4000/cb", true},
		{native, "https://127.0.0.1:8765/callback", false},
		{native, "http://evil.example:8765/callback", false},
		{web, "http://127.0.0.1:5173/callback", true},
		{web, "http://127.0.0.1:5174/callback", false}, // only Native apps get the loopback port rule
		{web, "https://app.example/callback", true},
		{web, "https://app.example/callback/", false},
		{web, "https://APP.example/callback", false},
		{web, "", false},
	}
	for _, c := range cases {
		if got := redirectURIAllowed(c.app, c.uri); got != c.want {
			t.Errorf("%s app, %q: got %v, want %v", c.app.Type, c.uri, got, c.want)
		}
	}
}

func TestPKCE(t *testing.T) {
	// RFC 7636 Appendix B.
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if !pkceMatches(verifier, challenge) {
		t.Fatal("RFC 7636 example does not match")
	}
	if pkceMatches(verifier[:42], challenge) || pkceMatches(verifier+"!", challenge) {
		t.Fatal("malformed verifier accepted")
	}
}

func TestReadClientCredentials(t *testing.T) {
	req := httptest.NewRequest("POST", "/oidc/token", nil)
	// RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
	req.SetBasicAuth(url.QueryEscape("app id"), url.QueryEscape("s%cr+t"))
	cc, e := readClientCredentials(req, url.Values{"client_id": {"app id"}})
	if e != nil || cc.id != "app id" || cc.secret != "s%cr+t" || !cc.basic {
		t.Fatalf("encoded Basic: %+v %v", cc, e)
	}
	raw := httptest.NewRequest("POST", "/oidc/token", nil)
	raw.SetBasicAuth("abc", "Secret123")
	if cc, e := readClientCredentials(raw, url.Values{}); e != nil || cc.secret != "Secret123" {
		t.Fatalf("raw Basic: %+v %v", cc, e)
	}
	if _, e := readClientCredentials(raw, url.Values{"client_id": {"other"}}); e == nil || e.Code != "invalid_client" {
		t.Fatalf("mismatched client_id: %v", e)
	}
	if _, e := readClientCredentials(raw, url.Values{"client_secret": {"x"}}); e == nil || e.Code != "invalid_request" {
		t.Fatalf("two methods: %v", e)
	}
	post := httptest.NewRequest("POST", "/oidc/token", nil)
	if cc, e := readClientCredentials(post, url.Values{"client_id": {"abc"}, "client_secret": {"s"}}); e != nil || cc.id != "abc" || !cc.hasSecret {
		t.Fatalf("client_secret_post: %+v %v", cc, e)
	}
	if _, e := readClientCredentials(post, url.Values{}); e == nil || e.Code != "invalid_client" {
		t.Fatalf("no client: %v", e)
	}
}

func TestValidResourceIndicator(t *testing.T) {
	for s, want := range map[string]bool{
		"https://api.example":           true,
		"https://default.logto.app/api": true,
		"urn:example:api":               true,
		"api.example":                   false,
		"https://api.example#frag":      false,
		"":                              false,
	} {
		if got := validResourceIndicator(s); got != want {
			t.Errorf("%q: got %v", s, got)
		}
	}
}
