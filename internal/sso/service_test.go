package sso

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/connectortest"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func TestCreateOIDC(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeEnterpriseOIDC(h.up, "login.acme.example", alice)
	raw := json.RawMessage(`{"clientId":"` + fake.ClientID() + `","clientSecret":"` + fake.ClientSecret() +
		`","issuer":"https://login.acme.example","scope":"groups","unknown":"dropped"}`)
	c, err := h.svc.Create(t.Context(), CreateInput{ProviderName: ProviderOkta, ConnectorName: "Acme Okta", Config: raw,
		Domains: []string{"Acme.Example", "acme.test"}, Branding: json.RawMessage(`{"displayName":"Acme","logo":"https://acme.example/l.png","x":1}`),
		SyncProfile: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ID) != 12 {
		t.Fatalf("id %q: want 12 characters, as Logto's", c.ID)
	}

	got, err := h.svc.Get(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Domains, ",") != "acme.example,acme.test" || !got.SyncProfile || got.ProviderName != ProviderOkta {
		t.Fatalf("stored %+v", got.SSOConnector)
	}
	var cfg map[string]any
	json.Unmarshal(got.Config, &cfg)
	if cfg["clientSecret"] != fake.ClientSecret() || cfg["unknown"] != nil || cfg["scope"] != "groups" || cfg["trustUnverifiedEmail"] != false {
		t.Fatalf("stored config %s", got.Config)
	}
	if string(got.Branding) != `{"displayName":"Acme","logo":"https://acme.example/l.png"}` {
		t.Fatalf("branding %s", got.Branding)
	}
	if got.DisplayName() != "Acme" || got.Logo() != "https://acme.example/l.png" || got.LogoDark() != got.Info.LogoDark {
		t.Fatalf("button %q %q %q", got.DisplayName(), got.Logo(), got.LogoDark())
	}

	t.Run("the secret is sealed at rest and masked when shown", func(t *testing.T) {
		rec, err := h.st.GetSSOConnector(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rec.SealedConfig, fake.ClientSecret()) || !strings.HasPrefix(rec.SealedConfig, "v1:") {
			t.Fatalf("sealed config %q", rec.SealedConfig)
		}
		masked := string(got.MaskedConfig())
		if strings.Contains(masked, fake.ClientSecret()) || !strings.Contains(masked, connector.MaskValue(fake.ClientSecret())) {
			t.Fatalf("masked config %s", masked)
		}
		if s := got.String() + got.GoString(); strings.Contains(s, fake.ClientSecret()) {
			t.Fatalf("printed %s", s)
		}
	})

	t.Run("provider config", func(t *testing.T) {
		pc := string(h.svc.ProviderConfig(t.Context(), got))
		var m map[string]any
		json.Unmarshal([]byte(pc), &m)
		want := map[string]any{"issuer": "https://login.acme.example", "tokenEndpoint": "https://login.acme.example/oauth2/v1/token",
			"authorizationEndpoint": "https://login.acme.example/oauth2/v1/authorize", "jwksUri": "https://login.acme.example/oauth2/v1/keys",
			"userinfoEndpoint": "https://login.acme.example/oauth2/v1/userinfo", "scope": "openid profile email groups",
			"redirectUri": testEndpoint + "/callback/" + c.ID, "clientId": fake.ClientID(), "clientSecret": connector.MaskValue(fake.ClientSecret())}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("providerConfig.%s = %v, want %v", k, m[k], v)
			}
		}
		if strings.Contains(pc, fake.ClientSecret()) {
			t.Fatalf("provider config shows the secret: %s", pc)
		}
	})

	t.Run("listed", func(t *testing.T) {
		list, err := h.svc.List(t.Context())
		if err != nil || len(list) != 1 || list[0].ID != c.ID {
			t.Fatalf("list %v, %v", list, err)
		}
	})
}

func TestCreateRefused(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeEnterpriseOIDC(h.up, "login.acme.example", alice)
	good := func(change func(m map[string]any)) json.RawMessage {
		var m map[string]any
		json.Unmarshal(fake.Config(), &m)
		change(m)
		b, _ := json.Marshal(m)
		return b
	}
	create := func(in CreateInput) error {
		if in.ProviderName == "" {
			in.ProviderName = ProviderOIDC
		}
		if in.ConnectorName == "" {
			in.ConnectorName = "refused"
		}
		_, err := h.svc.Create(t.Context(), in)
		return err
	}

	if err := create(CreateInput{ProviderName: "Auth0", Config: fake.Config()}); !errors.Is(err, ErrUnknownProvider) {
		t.Errorf("unknown provider: %v", err)
	}
	for name, tc := range map[string]struct {
		cfg   json.RawMessage
		field string
	}{
		"no client id":       {good(func(m map[string]any) { delete(m, "clientId") }), "config.clientId"},
		"numeric secret":     {good(func(m map[string]any) { m["clientSecret"] = 42 }), "config.clientSecret"},
		"not a URL":          {good(func(m map[string]any) { m["issuer"] = "login.acme.example" }), "config.issuer"},
		"with .well-known":   {good(func(m map[string]any) { m["issuer"] = "https://login.acme.example/.well-known/openid-configuration" }), "config.issuer"},
		"unreachable issuer": {good(func(m map[string]any) { m["issuer"] = "https://nowhere.acme.example" }), "config.issuer"},
		"other issuer":       {good(func(m map[string]any) { m["issuer"] = "https://login.acme.example/oauth2/default" }), "config.issuer"},
		"trust not boolean":  {good(func(m map[string]any) { m["trustUnverifiedEmail"] = "yes" }), "config.trustUnverifiedEmail"},
		"config not object":  {json.RawMessage(`[1]`), "config"},
	} {
		t.Run(name, func(t *testing.T) {
			ce := wantConfigError(t, create(CreateInput{Config: tc.cfg}), CodeInvalidConfig, tc.field)
			if strings.Contains(ce.Error(), fake.ClientSecret()) {
				t.Fatalf("the error shows the secret: %v", ce)
			}
		})
	}

	t.Run("discovery down", func(t *testing.T) {
		fake.SetDiscoveryDown(true)
		defer fake.SetDiscoveryDown(false)
		wantConfigError(t, create(CreateInput{Config: fake.Config()}), CodeInvalidConfig, "config.issuer")
	})

	for name, tc := range map[string]struct {
		domains []string
		code    string
	}{
		"public domain": {[]string{"acme.example", "Gmail.com"}, "single_sign_on.forbidden_domains"},
		"duplicate":     {[]string{"acme.example", "ACME.example"}, "single_sign_on.duplicated_domains"},
		"not a domain":  {[]string{"alice@acme.example"}, "single_sign_on.invalid_domain_format"},
		"empty":         {[]string{""}, "single_sign_on.invalid_domain_format"},
	} {
		t.Run(name, func(t *testing.T) {
			var de *DomainError
			if err := create(CreateInput{Config: fake.Config(), Domains: tc.domains}); !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("error %v, want a DomainError %s", err, tc.code)
			}
		})
	}

	if err := create(CreateInput{Config: fake.Config(), EnableTokenStorage: true}); !errors.Is(err, ErrTokenStorageUnsupported) {
		t.Errorf("token storage: %v", err)
	}
	var ie *InputError
	if err := create(CreateInput{Config: fake.Config(), Branding: json.RawMessage(`{"logo":5}`)}); !errors.As(err, &ie) || ie.Field != "branding.logo" {
		t.Errorf("branding: %v", err)
	}
	if err := create(CreateInput{Config: fake.Config(), ConnectorName: " "}); !errors.As(err, &ie) || ie.Field != "connectorName" {
		t.Errorf("empty name: %v", err)
	}

	t.Run("duplicate name", func(t *testing.T) {
		if err := create(CreateInput{ConnectorName: "taken", Config: fake.Config()}); err != nil {
			t.Fatal(err)
		}
		var ce *store.ConflictError
		if err := create(CreateInput{ConnectorName: "taken", Config: fake.Config()}); !errors.As(err, &ce) || ce.Field != "connectorName" {
			t.Fatalf("error %v, want a conflict on connectorName", err)
		}
	})

	list, _ := h.svc.List(t.Context())
	if len(list) != 1 {
		t.Fatalf("%d connectors stored, want only the one good one", len(list))
	}
}

func TestConnectorWithoutConfig(t *testing.T) {
	h := newHarness(t)
	c, err := h.svc.Create(t.Context(), CreateInput{ProviderName: ProviderOIDC, ConnectorName: "later", Domains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Config) != "{}" || c.ValidConfig() {
		t.Fatalf("config %s", c.Config)
	}
	if _, _, err := h.svc.Open(t.Context(), c.ID); err == nil {
		t.Fatal("opened a connector without config")
	}
	if h.svc.ProviderConfig(t.Context(), c) != nil {
		t.Fatal("provider config of a connector without config")
	}
	if _, err := h.svc.ForEmail(t.Context(), "a@acme.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("routed to a connector without config: %v", err)
	}

	saml, err := h.svc.Create(t.Context(), CreateInput{ProviderName: ProviderAzureAD, ConnectorName: "entra"})
	if err != nil {
		t.Fatal(err)
	}
	var pc map[string]any
	json.Unmarshal(h.svc.ProviderConfig(t.Context(), saml), &pc)
	if pc["serviceProvider"] == nil || pc["identityProvider"] != nil {
		t.Fatalf("SAML provider config %v: want the SP's values, no IdP yet", pc)
	}
}

func TestUpdate(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeEnterpriseOIDC(h.up, "login.acme.example", alice)
	c := h.create(fake, nil, "acme.example")
	other := h.create(fake, nil)

	t.Run("a masked secret sent back keeps the secret", func(t *testing.T) {
		name := "renamed"
		u, err := h.svc.Update(t.Context(), c.ID, UpdateInput{ConnectorName: &name, Config: c.MaskedConfig()})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := h.svc.Get(t.Context(), c.ID)
		if u.ConnectorName != "renamed" || got.ConnectorName != "renamed" || !strings.Contains(string(got.Config), fake.ClientSecret()) {
			t.Fatalf("after update: %s %s", got.ConnectorName, got.Config)
		}
		p := h.open(c.ID)
		if _, err := h.finish(p, h.start(p, c.ID)); err != nil {
			t.Fatalf("sign-in after the update: %v", err)
		}
	})

	t.Run("a new secret replaces it", func(t *testing.T) {
		cfg := strings.Replace(string(fake.Config()), fake.ClientSecret(), "another-secret-value-1234", 1)
		if _, err := h.svc.Update(t.Context(), c.ID, UpdateInput{Config: json.RawMessage(cfg)}); err != nil {
			t.Fatal(err)
		}
		p := h.open(c.ID)
		_, err := h.finish(p, h.start(p, c.ID))
		wantUpstream(t, err, "invalid_client")
		if _, err := h.svc.Update(t.Context(), c.ID, UpdateInput{Config: fake.Config()}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refused changes change nothing", func(t *testing.T) {
		taken := other.ConnectorName
		var ce *store.ConflictError
		if _, err := h.svc.Update(t.Context(), c.ID, UpdateInput{ConnectorName: &taken}); !errors.As(err, &ce) {
			t.Fatalf("rename to a taken name: %v", err)
		}
		bad := json.RawMessage(`{"clientId":"x","clientSecret":"y","issuer":"https://nowhere.acme.example"}`)
		wantConfigError(t, func() error { _, err := h.svc.Update(t.Context(), c.ID, UpdateInput{Config: bad}); return err }(), CodeInvalidConfig, "config.issuer")
		public := []string{"gmail.com"}
		if _, err := h.svc.Update(t.Context(), c.ID, UpdateInput{Domains: &public}); err == nil {
			t.Fatal("took gmail.com")
		}
		got, _ := h.svc.Get(t.Context(), c.ID)
		if got.ConnectorName != "renamed" || !strings.Contains(string(got.Config), "login.acme.example") || got.Domains[0] != "acme.example" {
			t.Fatalf("changed: %+v %s", got.SSOConnector, got.Config)
		}
	})

	t.Run("keeping its own name", func(t *testing.T) {
		same := "renamed"
		if _, err := h.svc.Update(t.Context(), c.ID, UpdateInput{ConnectorName: &same}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("missing", func(t *testing.T) {
		if _, err := h.svc.Update(t.Context(), "missing", UpdateInput{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update of a missing connector: %v", err)
		}
		if err := h.svc.Delete(t.Context(), "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete of a missing connector: %v", err)
		}
	})
}

func TestForEmail(t *testing.T) {
	h := newHarness(t)
	fake := connectortest.NewFakeEnterpriseOIDC(h.up, "login.acme.example", alice)
	first := h.create(fake, nil, "acme.example", "acme.test")
	second := h.create(fake, nil, "acme.test", "beta.example")
	for email, want := range map[string]string{
		"alice@ACME.example": first.ID, "bob@acme.test": first.ID, "carol@beta.example": second.ID,
		"dave@sub.acme.example": "", "eve@example.com": "", "not-an-email": "", "trailing@": "",
	} {
		c, err := h.svc.ForEmail(t.Context(), email)
		switch {
		case want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: %v, %v; want store.ErrNotFound", email, c, err)
		case want != "" && (err != nil || c.ID != want):
			t.Errorf("%s: %v, %v; want %s", email, c, err, want)
		}
	}
	if err := h.svc.Delete(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	if c, err := h.svc.ForEmail(t.Context(), "bob@acme.test"); err != nil || c.ID != second.ID {
		t.Fatalf("after deleting the first: %v, %v", c, err)
	}
}

func TestProviders(t *testing.T) {
	var names []string
	for _, p := range Providers() {
		names = append(names, p.ProviderName+":"+string(p.ProviderType))
		if p.Logo == "" || p.LogoDark == "" || p.Name == "" || p.Description == "" {
			t.Errorf("%s lacks a logo, name or description", p.ProviderName)
		}
	}
	if got := strings.Join(names, " "); got != "OIDC:oidc SAML:saml AzureAD:saml AzureAdOidc:oidc GoogleWorkspace:oidc Okta:oidc" {
		t.Fatalf("providers %s", got)
	}
}
