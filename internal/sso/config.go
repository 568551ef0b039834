package sso

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// oidcConfig is the config of the OpenID Connect kinds, in Logto's field
// names. Google Workspace has no issuer (it is always Google's) and may
// set offlineAccess.
type oidcConfig struct {
	ClientID             string `json:"clientId"`
	ClientSecret         string `json:"clientSecret"`
	Issuer               string `json:"issuer,omitempty"`
	Scope                string `json:"scope,omitempty"`
	TrustUnverifiedEmail bool   `json:"trustUnverifiedEmail"`
	OfflineAccess        *bool  `json:"offlineAccess,omitempty"`
}

// samlConfig is the config of the SAML kinds. The identity provider comes
// from exactly one of: metadataUrl, metadata (the XML itself), or the
// manual trio entityId, signInEndpoint and x509Certificate, in that order
// of precedence (Logto's).
type samlConfig struct {
	MetadataURL      string            `json:"metadataUrl,omitempty"`
	Metadata         string            `json:"metadata,omitempty"`
	EntityID         string            `json:"entityId,omitempty"`
	SignInEndpoint   string            `json:"signInEndpoint,omitempty"`
	X509Certificate  string            `json:"x509Certificate,omitempty"`
	AttributeMapping *attributeMapping `json:"attributeMapping,omitempty"`
	SignAuthnRequest *bool             `json:"signAuthnRequest,omitempty"`
}

// attributeMapping names the SAML attributes that carry the account id,
// email and name; "nameID" stands for the assertion's NameID.
type attributeMapping struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// defaultAttributeMapping is Logto's.
var defaultAttributeMapping = attributeMapping{ID: "nameID", Email: "email", Name: "name"}

// withDefaults fills unset entries from Logto's default mapping.
func (m *attributeMapping) withDefaults() attributeMapping {
	out := defaultAttributeMapping
	if m == nil {
		return out
	}
	if m.ID != "" {
		out.ID = m.ID
	}
	if m.Email != "" {
		out.Email = m.Email
	}
	if m.Name != "" {
		out.Name = m.Name
	}
	return out
}

const googleIssuer = "https://accounts.google.com"

// fields is a JSON object being validated field by field, so that errors
// name the field, as Logto's validators do.
type fields map[string]json.RawMessage

func objectFields(field string, raw json.RawMessage) (fields, error) {
	var f fields
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&f); err != nil || f == nil {
		return nil, invalidConfig(field, "expected an object")
	}
	return f, nil
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// str reads a string field; an absent or null field is "". A required field
// must be non-empty.
func (f fields) str(prefix, name string, required bool) (string, error) {
	raw, ok := f[name]
	if !ok || !present(raw) {
		if required {
			return "", invalidConfig(prefix+name, "is required")
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalidConfig(prefix+name, "expected a string")
	}
	if required && strings.TrimSpace(s) == "" {
		return "", invalidConfig(prefix+name, "must not be empty")
	}
	return s, nil
}

func (f fields) boolean(prefix, name string) (*bool, error) {
	raw, ok := f[name]
	if !ok || !present(raw) {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, invalidConfig(prefix+name, "expected a boolean")
	}
	return &b, nil
}

// httpURL checks that s is an absolute http(s) URL.
func httpURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return invalidConfig(field, "expected an absolute https URL")
	}
	return nil
}

// parseConfig validates a config sent for the provider kind info and
// returns it in normal form: Logto's fields only, unknown ones dropped (as
// Logto's validators strip them), defaults filled in.
func parseConfig(info ProviderInfo, raw json.RawMessage) (json.RawMessage, error) {
	f, err := objectFields("config", raw)
	if err != nil {
		return nil, err
	}
	var out any
	if info.ProviderType == TypeOIDC {
		out, err = parseOIDCConfig(info.ProviderName, f)
	} else {
		out, err = parseSAMLConfig(f)
	}
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, invalidConfig("config", "cannot be encoded")
	}
	return b, nil
}

func parseOIDCConfig(provider string, f fields) (*oidcConfig, error) {
	const p = "config."
	var c oidcConfig
	var err error
	if c.ClientID, err = f.str(p, "clientId", true); err != nil {
		return nil, err
	}
	if c.ClientSecret, err = f.str(p, "clientSecret", true); err != nil {
		return nil, err
	}
	if provider != ProviderGoogleWorkspace {
		if c.Issuer, err = f.str(p, "issuer", true); err != nil {
			return nil, err
		}
		c.Issuer = strings.TrimSpace(c.Issuer)
		if err := httpURL(p+"issuer", c.Issuer); err != nil {
			return nil, err
		}
		if strings.Contains(c.Issuer, "/.well-known/") {
			return nil, invalidConfig(p+"issuer", "give the issuer itself, without /.well-known/openid-configuration")
		}
	}
	if c.Scope, err = f.str(p, "scope", false); err != nil {
		return nil, err
	}
	trust, err := f.boolean(p, "trustUnverifiedEmail")
	if err != nil {
		return nil, err
	}
	c.TrustUnverifiedEmail = trust != nil && *trust
	if provider == ProviderGoogleWorkspace {
		if c.OfflineAccess, err = f.boolean(p, "offlineAccess"); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

func parseSAMLConfig(f fields) (*samlConfig, error) {
	const p = "config."
	var c samlConfig
	var err error
	if c.MetadataURL, err = f.str(p, "metadataUrl", false); err != nil {
		return nil, err
	}
	if c.Metadata, err = f.str(p, "metadata", false); err != nil {
		return nil, err
	}
	if c.EntityID, err = f.str(p, "entityId", false); err != nil {
		return nil, err
	}
	if c.SignInEndpoint, err = f.str(p, "signInEndpoint", false); err != nil {
		return nil, err
	}
	if c.X509Certificate, err = f.str(p, "x509Certificate", false); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(c.MetadataURL) != "":
		c.MetadataURL = strings.TrimSpace(c.MetadataURL)
		if err := httpURL(p+"metadataUrl", c.MetadataURL); err != nil {
			return nil, err
		}
		c.Metadata, c.EntityID, c.SignInEndpoint, c.X509Certificate = "", "", "", ""
	case strings.TrimSpace(c.Metadata) != "":
		c.MetadataURL, c.EntityID, c.SignInEndpoint, c.X509Certificate = "", "", "", ""
	default:
		c.MetadataURL, c.Metadata = "", ""
		for _, name := range []string{"entityId", "signInEndpoint", "x509Certificate"} {
			if _, err := f.str(p, name, true); err != nil {
				return nil, invalidConfig(p+name, "is required (or give metadataUrl or metadata)")
			}
		}
		if err := httpURL(p+"signInEndpoint", c.SignInEndpoint); err != nil {
			return nil, err
		}
	}
	if raw, ok := f["attributeMapping"]; ok && present(raw) {
		m, err := objectFields(p+"attributeMapping", raw)
		if err != nil {
			return nil, err
		}
		var am attributeMapping
		const mp = p + "attributeMapping."
		if am.ID, err = m.str(mp, "id", false); err != nil {
			return nil, err
		}
		if am.Email, err = m.str(mp, "email", false); err != nil {
			return nil, err
		}
		if am.Name, err = m.str(mp, "name", false); err != nil {
			return nil, err
		}
		c.AttributeMapping = &am
	}
	sign, err := f.boolean(p, "signAuthnRequest")
	if err != nil {
		return nil, err
	}
	if sign != nil && *sign {
		return nil, ErrSigningKeyRequired
	}
	c.SignAuthnRequest = sign
	return &c, nil
}

// decodeOIDC reads a stored (already validated) OIDC config.
func decodeOIDC(provider string, raw json.RawMessage) (*oidcConfig, error) {
	f, err := objectFields("config", raw)
	if err != nil {
		return nil, err
	}
	return parseOIDCConfig(provider, f)
}

// decodeSAML reads a stored SAML config.
func decodeSAML(raw json.RawMessage) (*samlConfig, error) {
	f, err := objectFields("config", raw)
	if err != nil {
		return nil, err
	}
	return parseSAMLConfig(f)
}

// maskConfig returns config with its client secret masked as the connector
// API masks secrets (connector.MaskValue). SAML configs hold no secret.
func maskConfig(config json.RawMessage) json.RawMessage {
	return replaceSecret(config, connector.MaskValue)
}

// replaceSecret applies fn to the clientSecret string of config, if any. A
// config that is not an object becomes {}: never the unmasked original.
func replaceSecret(config json.RawMessage, fn func(string) string) json.RawMessage {
	var doc map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(config))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil || doc == nil {
		return json.RawMessage("{}")
	}
	raw, ok := doc["clientSecret"]
	if !ok {
		return config
	}
	var secret string
	if json.Unmarshal(raw, &secret) != nil {
		delete(doc, "clientSecret")
	} else {
		doc["clientSecret"], _ = json.Marshal(fn(secret))
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return json.RawMessage("{}")
	}
	return out
}

// unmaskConfig keeps the stored client secret when incoming carries its
// masked form (what a client read back from the API), so that sending a
// connector's config back unchanged does not overwrite the secret with
// asterisks.
func unmaskConfig(incoming, stored json.RawMessage) json.RawMessage {
	var old struct {
		ClientSecret string `json:"clientSecret"`
	}
	if json.Unmarshal(stored, &old) != nil || old.ClientSecret == "" {
		return incoming
	}
	return replaceSecret(incoming, func(s string) string {
		if s != old.ClientSecret && s == connector.MaskValue(old.ClientSecret) {
			return old.ClientSecret
		}
		return s
	})
}

// normalizeDomains lower-cases domains and checks them as Logto does:
// public mailbox domains and duplicates are refused. It also refuses
// strings that cannot be an email domain.
func normalizeDomains(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	var bad, forbidden, dup []string
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case !plausibleDomain(d):
			bad = append(bad, d)
		case publicDomains[d]:
			forbidden = append(forbidden, d)
		case seen[d]:
			dup = append(dup, d)
		}
		seen[d] = true
		out = append(out, d)
	}
	switch {
	case len(bad) > 0:
		return nil, &DomainError{Code: "single_sign_on.invalid_domain_format", Domains: bad}
	case len(forbidden) > 0:
		return nil, &DomainError{Code: "single_sign_on.forbidden_domains", Domains: forbidden}
	case len(dup) > 0:
		return nil, &DomainError{Code: "single_sign_on.duplicated_domains", Domains: dup}
	}
	return out, nil
}

func plausibleDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	return !strings.ContainsAny(d, "@/:\\ \t\r\n?#*%,;\"'<>")
}

// publicDomains are the mailbox providers Logto refuses as SSO domains
// (its singleSignOnDomainBlackList).
var publicDomains = map[string]bool{
	"gmail.com": true, "yahoo.com": true, "hotmail.com": true, "outlook.com": true, "live.com": true,
	"icloud.com": true, "aol.com": true, "yandex.com": true, "mail.com": true, "protonmail.com": true,
	"yanex.com": true, "gmx.com": true, "mail.ru": true, "zoho.com": true, "qq.com": true,
	"163.com": true, "126.com": true, "sina.com": true, "sohu.com": true,
}

// brandingObject validates Logto's SsoBranding (displayName, logo,
// darkLogo, all optional strings) and returns it with other keys dropped.
func brandingObject(raw json.RawMessage) (json.RawMessage, error) {
	if !present(raw) {
		return json.RawMessage("{}"), nil
	}
	f, err := objectFields("branding", raw)
	if err != nil {
		return nil, &InputError{Field: "branding", Reason: "expected an object"}
	}
	out := map[string]string{}
	for _, name := range []string{"displayName", "logo", "darkLogo"} {
		raw, ok := f[name]
		if !ok || !present(raw) {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, &InputError{Field: "branding." + name, Reason: "expected a string"}
		}
		out[name] = s
	}
	b, _ := json.Marshal(out)
	return b, nil
}
