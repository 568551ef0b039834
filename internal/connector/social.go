package connector

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
)

// Social is one configured social sign-in provider (Google, GitHub, a
// generic OAuth 2.0 server, ...). The hosted sign-in pages send the browser
// to AuthorizationURL and, when the provider sends it back to
// <ENDPOINT>/callback/<connector id>, call UserInfo with what came back.
//
// The caller owns state: it generates State, Nonce and CodeVerifier, keeps
// them server-side with the interaction, and checks the callback's state
// against its own before UserInfo is called. A Social implementation must
// check everything else: the nonce in an ID token, the ID token's
// signature, issuer, audience and expiry, and any error the provider sent.
type Social interface {
	AuthorizationURL(ctx context.Context, req AuthRequest) (string, error)
	UserInfo(ctx context.Context, cb Callback) (*SocialUser, error)
}

// AuthRequest is the start of a sign-in at a provider.
type AuthRequest struct {
	State string
	// Nonce goes into the authorization request of OpenID providers and
	// must come back in their ID token.
	Nonce string
	// CodeVerifier is an RFC 7636 verifier; providers that accept PKCE get
	// its S256 challenge, the others ignore it.
	CodeVerifier string
	// RedirectURI is <ENDPOINT>/callback/<connector id>.
	RedirectURI string
	// Locale is the sign-in page's language (BCP 47), "" when unknown;
	// providers that take a UI language may pass it on.
	Locale string
}

// Callback is what the provider sent back to the callback URL, with the
// values of the AuthRequest that started the sign-in.
type Callback struct {
	// Params are the callback's query parameters, or its form for
	// response_mode=form_post (Apple).
	Params url.Values
	// State is the state the caller checked the callback against: the
	// one to use, rather than the callback's own fields, should they
	// disagree (a SAML post carrying both state and RelayState).
	State        string
	RedirectURI  string
	Nonce        string
	CodeVerifier string
}

// SocialUser is what a provider says about the person who signed in, in
// the shape of Logto's SocialUserInfo.
type SocialUser struct {
	// ID is the provider's stable id of the account (an OpenID sub, a
	// GitHub user id, a WeChat unionid); never empty.
	ID string `json:"id"`
	// Email is set only when the provider vouches for it: verified by
	// the provider (email_verified, GitHub's verified primary address,
	// Apple's relay address). An address the provider marks unverified is
	// left out, because Gatehouse links accounts by email.
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Name  string `json:"name,omitempty"`
	// Avatar is a URL of the account's picture.
	Avatar string `json:"avatar,omitempty"`
	// RawData is the provider's own profile document, kept in the user's
	// identity details as Logto does.
	RawData json.RawMessage `json:"rawData,omitempty"`
}

// UpstreamError is an error the provider reported: an error on the
// callback (error=access_denied), or an OAuth error from its token or
// profile endpoint. Code and Description are the provider's, for logs and
// for the sign-in page; they never carry a secret.
type UpstreamError struct {
	Code        string
	Description string
}

func (e *UpstreamError) Error() string {
	if e.Description == "" {
		return "identity provider error: " + e.Code
	}
	return "identity provider error: " + e.Code + ": " + e.Description
}

// ErrInvalidResponse means the provider's answer could not be trusted or
// understood: a bad ID token signature, a wrong issuer, audience or nonce,
// an expired token, a profile without an id. Implementations wrap it with
// the reason.
var ErrInvalidResponse = errors.New("connector: invalid response from the identity provider")

// CallbackError returns the UpstreamError of a callback that carries
// error=... (RFC 6749 §4.1.2.1), or nil.
func CallbackError(params url.Values) error {
	if code := params.Get("error"); code != "" {
		return &UpstreamError{Code: code, Description: params.Get("error_description")}
	}
	return nil
}
