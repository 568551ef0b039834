package genericoidc

import "github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"

// badge draws an identity card: a photo circle and two text lines.
func badge(color string) string {
	return oidcrp.LogoURI(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="` + color +
		`" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round">` +
		`<rect x="2.5" y="5" width="19" height="14" rx="2"/><circle cx="8" cy="11" r="2"/>` +
		`<path d="M5 16c.6-1.4 1.7-2 3-2s2.4.6 3 2M14 10h4.5M14 13.5h3"/></svg>`)
}

var (
	logoLight = badge("#3D3D4D")
	logoDark  = badge("#F2F2F7")
)

const readme = "# OIDC\n\n" +
	"Sign in with any OpenID Connect 1.0 provider, using the authorization code flow.\n\n" +
	"1. Register a web application at the provider with the redirect URI `<ENDPOINT>/callback/<connector id>` " +
	"(the id Gatehouse returns when the connector is created).\n" +
	"2. From the provider's discovery document (`/.well-known/openid-configuration`), copy `authorization_endpoint` to " +
	"`authorizationEndpoint`, `token_endpoint` to `tokenEndpoint`, and `jwks_uri` and `issuer` to " +
	"`idTokenVerificationConfig.jwksUri` and `idTokenVerificationConfig.issuer`.\n" +
	"3. Fill in `clientId`, `clientSecret`, `tokenEndpointAuthMethod` (`client_secret_post`, `client_secret_basic` or `client_secret_jwt`) and `scope`.\n\n" +
	"`openid` is always requested. The profile is read from the ID token; an email address is taken when `email_verified` is true. " +
	"Set the connector's `target`, `name` and `logo` in its `metadata`: several OIDC connectors may coexist.\n"
