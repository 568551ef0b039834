package connector

import "encoding/base64"

// logoPair is a factory's logo for light and dark backgrounds, as data URIs
// (Logto serves its connectors' logos the same way).
type logoPair struct {
	light string
	dark  *string
}

func svgURI(svg string) string {
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}

func logo(draw func(color string) string) logoPair {
	dark := svgURI(draw("#f2f2f7"))
	return logoPair{light: svgURI(draw("#3d3d4d")), dark: &dark}
}

// Simple line drawings: an envelope, a speech bubble, and an envelope with
// a server stack for SMTP.
var (
	emailLogo = logo(func(c string) string {
		return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="` + c +
			`" stroke-width="1.5" stroke-linejoin="round"><rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3.5 6.5 12 13l8.5-6.5"/></svg>`
	})
	smsLogo = logo(func(c string) string {
		return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="` + c +
			`" stroke-width="1.5" stroke-linejoin="round"><path d="M4 5h16a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1h-9l-5 4v-4H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z"/><path d="M8 11h.01M12 11h.01M16 11h.01" stroke-linecap="round" stroke-width="2"/></svg>`
	})
	smtpLogo = logo(func(c string) string {
		return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="` + c +
			`" stroke-width="1.5" stroke-linejoin="round"><rect x="2" y="4" width="14" height="10" rx="1.5"/><path d="M2.5 5 9 10l6.5-5"/><rect x="14" y="13" width="8" height="3.5" rx="1"/><rect x="14" y="16.5" width="8" height="3.5" rx="1"/></svg>`
	})
)
