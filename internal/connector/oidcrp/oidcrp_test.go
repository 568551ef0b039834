package oidcrp_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

func TestFlag(t *testing.T) {
	cases := []struct {
		json                string
		strict, withStrings bool
	}{
		{`true`, true, true},
		{`false`, false, false},
		{`"true"`, false, true},
		{`"TRUE"`, false, true},
		{`"1"`, false, true},
		{`"false"`, false, false},
		{`"maybe"`, false, false},
		{`1`, false, false},
		{`null`, false, false},
	}
	for _, c := range cases {
		var v struct {
			F oidcrp.Flag `json:"f"`
		}
		if err := json.Unmarshal([]byte(`{"f":`+c.json+`}`), &v); err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		if v.F.True(false) != c.strict || v.F.True(true) != c.withStrings {
			t.Errorf("%s: True(false)=%v True(true)=%v", c.json, v.F.True(false), v.F.True(true))
		}
	}
	var absent struct {
		F oidcrp.Flag `json:"f"`
	}
	json.Unmarshal([]byte(`{}`), &absent)
	if absent.F.Set {
		t.Error("an absent claim is Set")
	}
}

func TestScopes(t *testing.T) {
	if got := oidcrp.Scopes("email+profile  email\topenid", "openid", "User.Read"); !slices.Equal(got, []string{"email", "profile", "openid", "User.Read"}) {
		t.Errorf("Scopes = %q", got)
	}
	if got := oidcrp.Scopes(""); got != nil {
		t.Errorf("Scopes(\"\") = %q", got)
	}
}

func TestEndpointURL(t *testing.T) {
	for _, ok := range []string{"https://idp.example/token", "http://localhost:8080/t", "http://127.0.0.1/t", "http://[::1]:9/t"} {
		if err := oidcrp.EndpointURL("f", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "http://idp.example/token", "ftp://idp.example", "/token", "https://user:pw@idp.example/", "https://idp.example/#frag"} {
		var ce *connector.ConfigError
		if err := oidcrp.EndpointURL("f", bad); !errors.As(err, &ce) || ce.Field != "f" {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestDecodeConfig(t *testing.T) {
	var dst struct {
		A string `json:"a"`
		B struct {
			C []string `json:"c"`
		} `json:"b"`
	}
	cases := map[string]string{
		`{"a":1}`:             "a",
		`{"b":{"c":"x"}}`:     "b.c",
		`{"b":[]}`:            "b",
		`[]`:                  "",
		`not json`:            "",
		``:                    "",
		`{"a":"x","extra":1}`: "-",
	}
	for in, field := range cases {
		err := oidcrp.DecodeConfig(json.RawMessage(in), &dst)
		if field == "-" {
			if err != nil {
				t.Errorf("%s: %v", in, err)
			}
			continue
		}
		var ce *connector.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: err = %v, want a ConfigError on %q", in, err, field)
		}
	}
}

func TestCode(t *testing.T) {
	if c, err := oidcrp.Code(url.Values{"code": {"abc"}}); c != "abc" || err != nil {
		t.Errorf("Code = %q, %v", c, err)
	}
	var ue *connector.UpstreamError
	if _, err := oidcrp.Code(url.Values{"error": {"access_denied"}, "code": {"abc"}}); !errors.As(err, &ue) || ue.Code != "access_denied" {
		t.Errorf("error callback: %v", err)
	}
	if _, err := oidcrp.Code(url.Values{}); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("no code: %v", err)
	}
}

// answer serves one fixed answer to every request.
func answer(t *testing.T, status int, contentType, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func exchange(t *testing.T, srv *httptest.Server) error {
	rp := oidcrp.New(connector.Env{HTTPClient: srv.Client()})
	cfg := &oauth2.Config{ClientID: "c", ClientSecret: "top-secret-value",
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	_, err := rp.Exchange(context.Background(), cfg, "code")
	if err != nil && strings.Contains(err.Error(), "top-secret-value") {
		t.Errorf("error %q shows the client secret", err)
	}
	return err
}

func TestExchangeErrors(t *testing.T) {
	var ue *connector.UpstreamError
	err := exchange(t, answer(t, 400, "application/json", `{"error":"invalid_grant","error_description":"expired"}`))
	if !errors.As(err, &ue) || ue.Code != "invalid_grant" || ue.Description != "expired" {
		t.Errorf("OAuth error: %v", err)
	}
	err = exchange(t, answer(t, 502, "text/html", `<h1>Bad gateway</h1>`))
	if !errors.As(err, &ue) || ue.Code != "http_502" || strings.Contains(err.Error(), "gateway") {
		t.Errorf("HTML error page: %v", err)
	}
	err = exchange(t, answer(t, 200, "application/json", `{"token_type":"Bearer"}`))
	if !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("no access token: %v", err)
	}
	srv := answer(t, 200, "application/json", `{}`)
	srv.Close()
	if err := exchange(t, srv); err == nil || errors.As(err, &ue) || errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("unreachable endpoint: %v", err)
	}
}

func TestGetJSON(t *testing.T) {
	get := func(srv *httptest.Server) (json.RawMessage, error) {
		return oidcrp.New(connector.Env{HTTPClient: srv.Client()}).GetJSON(context.Background(), srv.URL+"/me?key=secret-key", "token")
	}
	var ue *connector.UpstreamError
	if _, err := get(answer(t, 401, "application/json", `{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}`)); !errors.As(err, &ue) || ue.Code != "InvalidAuthenticationToken" {
		t.Errorf("Graph error: %v", err)
	}
	if _, err := get(answer(t, 401, "text/plain", `nope`)); !errors.As(err, &ue) || ue.Code != "invalid_token" {
		t.Errorf("bare 401: %v", err)
	}
	if _, err := get(answer(t, 500, "text/plain", `boom`)); !errors.As(err, &ue) || ue.Code != "http_500" {
		t.Errorf("500: %v", err)
	}
	_, err := get(answer(t, 200, "application/json", `["not","an","object"]`))
	if !errors.Is(err, connector.ErrInvalidResponse) || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("array: %v", err)
	}
	if raw, err := get(answer(t, 200, "application/json", `{"sub":"1"}`)); err != nil || string(raw) != `{"sub":"1"}` {
		t.Errorf("object: %s, %v", raw, err)
	}
}

func TestKeySetShared(t *testing.T) {
	c1, c2 := &http.Client{}, &http.Client{}
	a := oidcrp.New(connector.Env{HTTPClient: c1}).KeySet("https://idp.example/jwks")
	b := oidcrp.New(connector.Env{HTTPClient: c1}).KeySet("https://idp.example/jwks")
	c := oidcrp.New(connector.Env{HTTPClient: c2}).KeySet("https://idp.example/jwks")
	if a != b || a == c {
		t.Error("key sets are not shared per client and URL")
	}
}

// signed makes an ES256 token over claims with key.
func signed(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := signer.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

func TestVerifyIDTokenClaims(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys := &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&key.PublicKey}}
	now := time.Unix(1_800_000_000, 0)
	rp := &oidcrp.RP{HTTP: http.DefaultClient, Now: func() time.Time { return now }}
	base := func() map[string]any {
		return map[string]any{"iss": "https://idp.example", "sub": "u1", "aud": "client", "exp": now.Add(time.Hour).Unix(),
			"iat": now.Unix(), "nonce": "n1"}
	}
	chk := oidcrp.Check{Issuers: []string{"https://idp.example"}, ClientID: "client", Algorithms: []string{"ES256"}, Nonce: "n1"}
	cases := []struct {
		name   string
		change map[string]any
		check  func(*oidcrp.Check)
		reason string
	}{
		{name: "good"},
		{name: "several audiences, azp the client", change: map[string]any{"aud": []string{"client", "api"}, "azp": "client"}},
		{name: "several audiences, no azp", change: map[string]any{"aud": []string{"client", "api"}}, reason: "azp"},
		{name: "several audiences, another azp", change: map[string]any{"aud": []string{"client", "api"}, "azp": "api"}, reason: "azp"},
		{name: "no exp", change: map[string]any{"exp": nil}, reason: "exp"},
		{name: "expired beyond the leeway", change: map[string]any{"exp": now.Add(-time.Minute).Unix()}, reason: "expired"},
		{name: "expired within the leeway", change: map[string]any{"exp": now.Add(-10 * time.Second).Unix()}},
		{name: "not valid yet", change: map[string]any{"nbf": now.Add(time.Hour).Unix()}, reason: "nbf"},
		{name: "no sub", change: map[string]any{"sub": ""}, reason: "sub"},
		{name: "no nonce", change: map[string]any{"nonce": nil}, reason: "nonce"},
		{name: "no nonce, optional", change: map[string]any{"nonce": nil}, check: func(c *oidcrp.Check) { c.NonceOptional = true }},
		{name: "nonce never sent", check: func(c *oidcrp.Check) { c.Nonce = "" }, reason: "never sent"},
		{name: "issuer not checked", change: map[string]any{"iss": "https://other.example"}, check: func(c *oidcrp.Check) { c.Issuers = nil }},
		{name: "another issuer", change: map[string]any{"iss": "https://other.example"}, reason: "issuer"},
		{name: "algorithm not accepted", check: func(c *oidcrp.Check) { c.Algorithms = nil }, reason: "ES256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims := base()
			for k, v := range c.change {
				if v == nil {
					delete(claims, k)
				} else {
					claims[k] = v
				}
			}
			ck := chk
			if c.check != nil {
				c.check(&ck)
			}
			_, err := rp.VerifyIDToken(context.Background(), keys, signed(t, key, claims), ck)
			if c.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, connector.ErrInvalidResponse) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("err = %v, want ErrInvalidResponse about %s", err, c.reason)
			}
		})
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := rp.VerifyIDToken(context.Background(), keys, signed(t, other, base()), chk); !errors.Is(err, connector.ErrInvalidResponse) {
		t.Errorf("foreign key: err = %v", err)
	}
}
