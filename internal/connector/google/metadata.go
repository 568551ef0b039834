package google

import "github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"

// logo is a "G" drawn as four arcs in Google's colours with the blue bar.
var logo = oidcrp.LogoURI(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke-width="4">` +
	`<path d="M18.13 6.86A8 8 0 0 0 4.48 9.26" stroke="#EA4335"/>` +
	`<path d="M4.48 9.26A8 8 0 0 0 5.07 16" stroke="#FBBC05"/>` +
	`<path d="M5.07 16A8 8 0 0 0 18.13 17.14" stroke="#34A853"/>` +
	`<path d="M18.13 17.14A8 8 0 0 0 20 12" stroke="#4285F4"/>` +
	`<rect x="12" y="10" width="10" height="4" fill="#4285F4" stroke="none"/></svg>`)

const readme = "# Google\n\n" +
	"Sign in with Google accounts through Google's OpenID Connect provider.\n\n" +
	"1. In the Google Cloud console, open **APIs & Services → OAuth consent screen** and configure it " +
	"(while its publishing status is *Testing*, only the listed test users can sign in).\n" +
	"2. Under **Credentials**, create an **OAuth client ID** of type *Web application* and add the authorized redirect URI " +
	"`<ENDPOINT>/callback/<connector id>` (the id Gatehouse returns when the connector is created).\n" +
	"3. Put the client ID and secret in `clientId` and `clientSecret`.\n\n" +
	"`scope` defaults to `openid profile email`. `prompts` takes `none`, `consent` and `select_account`. " +
	"`hostedDomain` (Gatehouse only) restricts sign-in to one Google Workspace domain, or `*` for any Workspace account. " +
	"An email address is taken only when Google marks it verified.\n"
