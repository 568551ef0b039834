package oidc

import (
	"net/http"
)

// Scopes and claims the provider knows. Logto's own scopes (roles,
// custom_data, identities) sit beside the standard ones.
var (
	supportedScopes = []string{"openid", "offline_access", "profile", "email", "phone", "address", "roles", "custom_data", "identities"}
	supportedClaims = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
		"name", "username", "picture", "updated_at", "email", "email_verified",
		"phone_number", "phone_number_verified", "roles", "custom_data", "identities", "sso_identities"}
)

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	iss := p.issuer
	doc := map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + "/auth",
		"token_endpoint":                                 iss + "/token",
		"userinfo_endpoint":                              iss + "/me",
		"jwks_uri":                                       iss + "/jwks",
		"end_session_endpoint":                           iss + "/session/end",
		"revocation_endpoint":                            iss + "/token/revocation",
		"introspection_endpoint":                         iss + "/token/introspection",
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          p.signingAlgorithms(),
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":     []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":               []string{"S256"},
		"scopes_supported":                               supportedScopes,
		"claims_supported":                               supportedClaims,
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"authorization_response_iss_parameter_supported": true,
		"claim_types_supported":                          []string{"normal"},
		"prompt_values_supported":                        []string{"none", "login", "consent"},
		"ui_locales_supported":                           []string{"en"},
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	writeRawJSON(w, doc)
}

// signingAlgorithms lists the algorithms ID tokens may be signed with:
// those with an active key, always including RS256 as OpenID Connect
// Discovery requires.
func (p *Provider) signingAlgorithms() []string {
	algs := p.keys.Algorithms()
	for _, a := range algs {
		if a == "RS256" {
			return algs
		}
	}
	return append(algs, "RS256")
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(p.keys.JWKS())
}

// cors allows any origin to read public, credential-free documents.
func (p *Provider) cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h(w, r)
	}
}

// clientCORS marks responses that depend on the Origin; the handler decides,
// once it knows the client, whether the origin may read them (allowOrigin).
func (p *Provider) clientCORS(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		h(w, r)
	}
}

// allowOrigin lets the request's Origin read the response when c allows it.
func allowOrigin(w http.ResponseWriter, r *http.Request, c *client) {
	origin := r.Header.Get("Origin")
	if origin == "" || c == nil || !c.origins[origin] {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate")
}

// preflight answers CORS preflights. The client is not known before the
// real request, so the real response decides whether the origin may read it.
func (p *Provider) preflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}
