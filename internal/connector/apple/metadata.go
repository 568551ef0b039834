package apple

import "github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"

// appleMark draws an apple with a bite and a leaf.
func appleMark(fill string) string {
	return oidcrp.LogoURI(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="` + fill + `">` +
		`<path d="M12 7.5C10.5 6.3 8.2 6.2 6.7 7.4 4.6 9.1 4.7 12.9 6.2 15.9 7.2 17.9 8.6 20 10.2 20 11 20 11.3 19.5 12 19.5 ` +
		`12.7 19.5 13 20 13.8 20 15.4 20 16.8 17.9 17.8 15.9 18.3 14.9 18.6 14 18.8 13.2 17.3 12.6 16.4 11.2 16.4 9.8 ` +
		`16.4 8.7 17 7.8 17.8 7.2 16.3 6 13.6 6.3 12 7.5Z"/>` +
		`<path d="M12.2 6.4C12.1 4.9 13.3 3.4 14.9 3.2 15 4.8 13.8 6.3 12.2 6.4Z"/></svg>`)
}

var (
	logoLight = appleMark("#000000")
	logoDark  = appleMark("#FFFFFF")
)

const readme = "# Apple\n\n" +
	"Sign in with Apple on the web. You need a membership of the Apple Developer Program and an App ID with Sign in with Apple enabled.\n\n" +
	"1. Under **Certificates, Identifiers & Profiles → Identifiers**, register a **Services ID** (this is `clientId`), " +
	"enable Sign in with Apple on it, pick the App ID, and enter your domain and the return URL " +
	"`<ENDPOINT>/callback/<connector id>` (the id Gatehouse returns when the connector is created). " +
	"Apple accepts only https return URLs on a real domain: not http, not localhost.\n" +
	"2. Under **Keys**, create a key with Sign in with Apple enabled and download the .p8 file (once only). " +
	"Its **Key ID** goes in `keyId`, the file's contents in `privateKey`, and your **Team ID** (top right of the developer account) in `teamId`.\n\n" +
	"`scope` defaults to `name email`. Apple sends the name only the first time a person authorizes your Services ID. " +
	"Email addresses Apple marks verified are taken, including private relay addresses (@privaterelay.appleid.com).\n"
