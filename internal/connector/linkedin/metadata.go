package linkedin

import "github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"

// logo is a blue rounded square with a white "in".
var logo = oidcrp.LogoURI(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">` +
	`<rect x="2" y="2" width="20" height="20" rx="3" fill="#0A66C2"/>` +
	`<circle cx="7.3" cy="7.4" r="1.5" fill="#FFFFFF"/><rect x="6" y="9.7" width="2.6" height="8" fill="#FFFFFF"/>` +
	`<path d="M10.5 9.7h2.5v1.1c.5-.8 1.4-1.3 2.6-1.3 2.1 0 3.1 1.3 3.1 3.7v4.5h-2.6v-4.1c0-1.1-.4-1.8-1.4-1.8-1 0-1.6.7-1.6 1.9v4h-2.6z" fill="#FFFFFF"/></svg>`)

const readme = "# LinkedIn\n\n" +
	"Sign in with LinkedIn accounts (Sign In with LinkedIn using OpenID Connect).\n\n" +
	"1. At https://www.linkedin.com/developers create an app; under **Products** add **Sign In with LinkedIn using OpenID Connect**.\n" +
	"2. Under **Auth**, add the authorized redirect URL `<ENDPOINT>/callback/<connector id>` " +
	"(the id Gatehouse returns when the connector is created), and copy the client ID and primary client secret to `clientId` and `clientSecret`.\n\n" +
	"`scope` defaults to `openid profile email`. An email address is taken only when LinkedIn marks it verified.\n"
