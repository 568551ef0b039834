// Package microsoft is Logto's Microsoft connector (azuread-universal):
// sign-in with the Microsoft identity platform's v2.0 endpoints, for one
// directory or for many (common, organizations, consumers), with PKCE and
// a nonce.
//
// The account id is the Microsoft Graph user id (GET /v1.0/me), as Logto's
// connector stores it, so identities carried over from Logto keep
// matching. The ID token is verified against the tenant's JWKS, and its
// issuer must be https://<cloud>/<tid>/v2.0 for the token's own tid, with
// tid allowed by the configured tenant.
//
// Email: Microsoft's email claim is whatever address the account's
// directory holds, not an address Microsoft verified. It is taken only
// when the token also carries xms_edov=true (the optional claim "email
// domain owner verified", which the application must request in its
// token configuration); preferred_username and Graph's mail are never
// taken as an email.
package microsoft

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

const (
	factoryID = "azuread-universal"
	target    = "azuread"

	defaultCloud = "https://login.microsoftonline.com"

	// consumersTenant is the directory of personal Microsoft accounts.
	consumersTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

// Logto's connector always asks for User.Read, which the Graph call needs.
var baseScopes = []string{"openid", "profile", "email", "User.Read"}

var (
	prompts = []string{"none", "login", "consent", "select_account"}
	guid    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// A tenant may also be named by one of its domains (contoso.onmicrosoft.com).
	tenantName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*$`)
)

// clouds maps national clouds' sign-in hosts to their Graph hosts and
// the hosts their ID tokens name in iss.
var clouds = map[string]struct {
	graph   string
	issuers []string
}{
	"login.microsoftonline.com":        {"graph.microsoft.com", []string{"login.microsoftonline.com"}},
	"login.microsoftonline.us":         {"graph.microsoft.us", []string{"login.microsoftonline.us"}},
	"login.chinacloudapi.cn":           {"microsoftgraph.chinacloudapi.cn", []string{"login.chinacloudapi.cn", "login.partner.microsoftonline.cn"}},
	"login.partner.microsoftonline.cn": {"microsoftgraph.chinacloudapi.cn", []string{"login.partner.microsoftonline.cn", "login.chinacloudapi.cn"}},
}

// Factory returns the azuread-universal factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:           connector.TypeSocial,
		SingleInstance: true,
		Secrets:        [][]string{{"clientSecret"}},
		Metadata: connector.Metadata{
			ID:       factoryID,
			Target:   target,
			Platform: &platform,
			Name:     map[string]string{"en": "Microsoft", "zh-CN": "Microsoft", "tr-TR": "Microsoft", "ko": "Microsoft"},
			Logo:     logo,
			Description: map[string]string{
				"en": "Sign in with a Microsoft work, school or personal account (Microsoft Entra ID).",
			},
			Readme: readme,
			FormItems: []connector.FormItem{
				{Type: connector.FormText, Key: "clientId", Label: "Client ID", Required: true, Placeholder: "<client-id>"},
				{Type: connector.FormText, Key: "clientSecret", Label: "Client Secret", Required: true, Placeholder: "<client-secret>", IsConfidential: true},
				{Type: connector.FormText, Key: "cloudInstance", Label: "Cloud Instance", Required: true,
					Placeholder: defaultCloud, DefaultValue: defaultCloud},
				{Type: connector.FormText, Key: "tenantId", Label: "Tenant ID", Required: true, Placeholder: "<tenant-id>",
					Description: "A directory (tenant) ID for one organization, or `organizations`, `consumers` or `common`."},
				{Type: connector.FormMultiSelect, Key: "prompts", Label: "Prompts",
					SelectItems: []connector.SelectItem{{Value: "none"}, {Value: "login"}, {Value: "consent"}, {Value: "select_account"}}},
				{Type: connector.FormText, Key: "scopes", Label: "Scopes", Placeholder: "<scope1> <scope2>",
					Description: "Added to `openid profile email User.Read`, which are always requested."},
			},
		},
		Validate: func(raw json.RawMessage) error {
			_, err := parseConfig(raw)
			return err
		},
		NewSocial: func(raw json.RawMessage, env connector.Env) (connector.Social, error) {
			cfg, err := parseConfig(raw)
			if err != nil {
				return nil, err
			}
			return &provider{cfg: cfg, rp: oidcrp.New(env)}, nil
		},
	}
}

type config struct {
	ClientID      string   `json:"clientId"`
	ClientSecret  string   `json:"clientSecret"`
	CloudInstance string   `json:"cloudInstance"`
	TenantID      string   `json:"tenantId"`
	Prompts       []string `json:"prompts"`
	Scopes        string   `json:"scopes"`

	cloudHost string
}

func parseConfig(raw json.RawMessage) (*config, error) {
	var c config
	if err := oidcrp.DecodeConfig(raw, &c); err != nil {
		return nil, err
	}
	if err := oidcrp.Required("clientId", c.ClientID); err != nil {
		return nil, err
	}
	if err := oidcrp.Required("clientSecret", c.ClientSecret); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.CloudInstance) == "" {
		c.CloudInstance = defaultCloud
	}
	c.CloudInstance = strings.TrimRight(strings.TrimSpace(c.CloudInstance), "/")
	if err := oidcrp.EndpointURL("cloudInstance", c.CloudInstance); err != nil {
		return nil, err
	}
	u, _ := url.Parse(c.CloudInstance)
	if u.Path != "" || u.RawQuery != "" {
		return nil, &connector.ConfigError{Field: "cloudInstance", Reason: "expected the cloud's sign-in origin alone, such as " + defaultCloud}
	}
	c.cloudHost = strings.ToLower(u.Host)
	c.TenantID = strings.TrimSpace(c.TenantID)
	if err := oidcrp.Required("tenantId", c.TenantID); err != nil {
		return nil, err
	}
	if !tenantName.MatchString(c.TenantID) {
		return nil, &connector.ConfigError{Field: "tenantId", Reason: "expected a directory (tenant) ID, organizations, consumers or common"}
	}
	if err := oidcrp.Prompts("prompts", c.Prompts, prompts...); err != nil {
		return nil, err
	}
	return &c, nil
}

type provider struct {
	cfg *config
	rp  *oidcrp.RP
}

func (p *provider) tenantURL(path string) string {
	return p.cfg.CloudInstance + "/" + url.PathEscape(p.cfg.TenantID) + path
}

func (p *provider) scopes() []string {
	return oidcrp.Scopes(strings.Join(baseScopes, " "), oidcrp.Scopes(p.cfg.Scopes)...)
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.tenantURL("/oauth2/v2.0/authorize"),
			TokenURL:  p.tenantURL("/oauth2/v2.0/token"),
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURI,
		Scopes:      p.scopes(),
	}
}

func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_mode", "query")}
	if req.Nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", req.Nonce))
	}
	opts = append(opts, oidcrp.PKCEChallenge(req.CodeVerifier)...)
	if len(p.cfg.Prompts) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", strings.Join(p.cfg.Prompts, " ")))
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

// idClaims are the ID token claims read besides the standard ones.
type idClaims struct {
	TID     string      `json:"tid"`
	Email   string      `json:"email"`
	XMSEdov oidcrp.Flag `json:"xms_edov"`
}

// graphUser is the part of Graph's /me that the connector reads.
type graphUser struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("scope", strings.Join(p.scopes(), " "))}
	if cb.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(cb.CodeVerifier))
	}
	tok, err := p.rp.Exchange(ctx, p.oauth(cb.RedirectURI), code, opts...)
	if err != nil {
		return nil, err
	}
	rawID, err := oidcrp.IDToken(tok)
	if err != nil {
		return nil, err
	}
	idt, err := p.rp.VerifyIDToken(ctx, p.rp.KeySet(p.tenantURL("/discovery/v2.0/keys")), rawID, oidcrp.Check{
		// The issuer depends on the account's tenant: checked below.
		ClientID: p.cfg.ClientID,
		Nonce:    cb.Nonce,
	})
	if err != nil {
		return nil, err
	}
	var claims idClaims
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: Microsoft ID token claims: %v", connector.ErrInvalidResponse, err)
	}
	if err := p.checkTenant(idt.Issuer, claims.TID); err != nil {
		return nil, err
	}
	raw, err := p.rp.GetJSON(ctx, p.graphURL(), tok.AccessToken)
	if err != nil {
		return nil, err
	}
	var me graphUser
	if err := json.Unmarshal(raw, &me); err != nil {
		return nil, fmt.Errorf("%w: Microsoft Graph /me: %v", connector.ErrInvalidResponse, err)
	}
	if me.ID == "" {
		return nil, fmt.Errorf("%w: Microsoft Graph /me has no id", connector.ErrInvalidResponse)
	}
	u := &connector.SocialUser{ID: me.ID, Name: me.DisplayName, RawData: raw}
	if claims.XMSEdov.True(true) && strings.Contains(claims.Email, "@") {
		u.Email = claims.Email
	}
	return u, nil
}

// checkTenant checks the multi-tenant issuer: iss must be the cloud's
// https://<host>/<tid>/v2.0 for the token's own tid, and tid must be one
// the configured tenant admits.
func (p *provider) checkTenant(iss, tid string) error {
	if !guid.MatchString(tid) {
		return fmt.Errorf("%w: Microsoft ID token has no tenant id (tid)", connector.ErrInvalidResponse)
	}
	hosts := []string{p.cfg.cloudHost}
	if c, ok := clouds[p.cfg.cloudHost]; ok {
		hosts = c.issuers
	}
	issuerOK := false
	for _, h := range hosts {
		if iss == "https://"+h+"/"+tid+"/v2.0" {
			issuerOK = true
		}
	}
	if !issuerOK {
		return fmt.Errorf("%w: Microsoft ID token issuer %q is not the issuer of its tenant %s", connector.ErrInvalidResponse, iss, tid)
	}
	configured := strings.ToLower(p.cfg.TenantID)
	allowed := true
	switch {
	case configured == "common":
	case configured == "organizations":
		allowed = !strings.EqualFold(tid, consumersTenant)
	case configured == "consumers":
		allowed = strings.EqualFold(tid, consumersTenant)
	case guid.MatchString(configured):
		allowed = strings.EqualFold(tid, configured)
	default:
		// A tenant named by domain: its endpoints only issue tokens of
		// that tenant, and the name cannot be compared with tid offline.
	}
	if !allowed {
		return fmt.Errorf("%w: Microsoft ID token is from tenant %s, which tenantId %q does not admit", connector.ErrInvalidResponse, tid, p.cfg.TenantID)
	}
	return nil
}

func (p *provider) graphURL() string {
	host := "graph.microsoft.com"
	if c, ok := clouds[p.cfg.cloudHost]; ok {
		host = c.graph
	}
	return "https://" + host + "/v1.0/me"
}
