package sso

import "encoding/base64"

// ProviderType is the protocol of a provider: Logto's SsoProviderType.
type ProviderType string

const (
	TypeOIDC ProviderType = "oidc"
	TypeSAML ProviderType = "saml"
)

// Provider names, as Logto's SsoProviderName spells them.
const (
	ProviderOIDC            = "OIDC"
	ProviderSAML            = "SAML"
	ProviderAzureAD         = "AzureAD"     // Microsoft Entra ID over SAML
	ProviderAzureAdOidc     = "AzureAdOidc" // Microsoft Entra ID over OpenID Connect
	ProviderGoogleWorkspace = "GoogleWorkspace"
	ProviderOkta            = "Okta"
)

// ProviderInfo describes one kind of SSO connector, as
// GET /api/sso-connector-providers lists it.
type ProviderInfo struct {
	ProviderName string       `json:"providerName"`
	ProviderType ProviderType `json:"providerType"`
	Logo         string       `json:"logo"`
	LogoDark     string       `json:"logoDark"`
	Description  string       `json:"description"`
	// Name is what the sign-in page shows when the connector's branding
	// has no display name.
	Name string `json:"name"`
}

// providerList is in Logto's order (its factory table), which the
// providers endpoint keeps.
var providerList = []ProviderInfo{
	{ProviderName: ProviderOIDC, ProviderType: TypeOIDC, Name: "OIDC",
		Description: "Modern protocol built on OAuth 2.0 for identity verification in web and mobile apps.",
		Logo:        oidcLogo.light, LogoDark: oidcLogo.dark},
	{ProviderName: ProviderSAML, ProviderType: TypeSAML, Name: "SAML",
		Description: "XML-based open standard for web single sign-on and identity federation.",
		Logo:        samlLogo.light, LogoDark: samlLogo.dark},
	{ProviderName: ProviderAzureAD, ProviderType: TypeSAML, Name: "Microsoft Entra ID (SAML)",
		Description: "Formerly Azure AD, a comprehensive cloud-based identity management service.",
		Logo:        entraLogo.light, LogoDark: entraLogo.dark},
	{ProviderName: ProviderAzureAdOidc, ProviderType: TypeOIDC, Name: "Microsoft Entra ID (OIDC)",
		Description: "OpenID Connect on the Microsoft identity platform. Formerly known as Azure AD OIDC.",
		Logo:        entraLogo.light, LogoDark: entraLogo.dark},
	{ProviderName: ProviderGoogleWorkspace, ProviderType: TypeOIDC, Name: "Google Workspace",
		Description: "Unified and secure management of user access within the Google ecosystem.",
		Logo:        googleLogo.light, LogoDark: googleLogo.dark},
	{ProviderName: ProviderOkta, ProviderType: TypeOIDC, Name: "Okta",
		Description: "Centralizes identity management for customers, employees, and partners.",
		Logo:        oktaLogo.light, LogoDark: oktaLogo.dark},
}

// Providers returns every supported provider kind in Logto's order.
func Providers() []ProviderInfo { return append([]ProviderInfo(nil), providerList...) }

// lookupProvider returns the provider kind called name (case-sensitive, as
// Logto's enum).
func lookupProvider(name string) (ProviderInfo, bool) {
	for _, p := range providerList {
		if p.ProviderName == name {
			return p, true
		}
	}
	return ProviderInfo{}, false
}

type logoPair struct{ light, dark string }

func svgURI(svg string) string {
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}

// monogram draws a rounded badge with a short label: plain marks of our
// own rather than the vendors' artwork, recognisable by their colours.
func monogram(label, fill, ink, darkFill, darkInk string) logoPair {
	draw := func(bg, fg string) string {
		size := "9"
		if len(label) > 2 {
			size = "7"
		}
		return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="1" y="1" width="22" height="22" rx="5" fill="` + bg +
			`"/><text x="12" y="15.2" text-anchor="middle" font-family="Helvetica,Arial,sans-serif" font-weight="700" font-size="` + size +
			`" fill="` + fg + `">` + label + `</text></svg>`
	}
	return logoPair{light: svgURI(draw(fill, ink)), dark: svgURI(draw(darkFill, darkInk))}
}

var (
	oidcLogo   = monogram("ID", "#f7931e", "#ffffff", "#ffb25c", "#1f1f29")
	samlLogo   = monogram("SAML", "#3d3d4d", "#ffffff", "#e5e5ee", "#1f1f29")
	entraLogo  = monogram("E", "#0078d4", "#ffffff", "#50a8f0", "#0b1a2e")
	googleLogo = monogram("G", "#ffffff", "#4285f4", "#2b2b33", "#8ab4f8")
	oktaLogo   = monogram("O", "#00297a", "#ffffff", "#e8eefc", "#00297a")
)
