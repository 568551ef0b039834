package connectortest

import "encoding/json"

// FakeAccount is the person a fake identity provider signs in: every fake
// provider turns it into its own profile payload (an OpenID ID token and
// userinfo, a Graph API /me, a GitHub /user and /user/emails, ...).
type FakeAccount struct {
	ID            string // the provider's account id (sub, GitHub id, openid/unionid)
	Email         string
	EmailVerified bool
	Name          string
	Picture       string // avatar URL
	Phone         string
}

// FailMode makes a fake provider misbehave in one way, for negative tests.
type FailMode int

const (
	// FailNone: the provider behaves.
	FailNone FailMode = iota
	// FailAuthorize: the authorization endpoint sends the browser back
	// with error=access_denied (the user said no).
	FailAuthorize
	// FailWrongState: the authorization endpoint sends back a state other
	// than the one it was given.
	FailWrongState
	// FailToken: the token endpoint answers 400 with an OAuth error
	// (invalid_grant).
	FailToken
	// FailWrongNonce: the ID token carries a nonce other than the one in
	// the authorization request (OpenID providers only).
	FailWrongNonce
	// FailBadSignature: the ID token is signed by a key the provider does
	// not publish (OpenID providers only).
	FailBadSignature
)

// FakeProvider is a fake identity provider registered on an Upstream.
type FakeProvider interface {
	// FactoryID is the Logto connector factory id the fake stands in
	// for ("google-universal", "github-universal", ...).
	FactoryID() string
	// Config is a connector config in Logto's field names that makes the
	// real connector work against this fake (its client id and secret,
	// and for generic connectors the fake's endpoint URLs).
	Config() json.RawMessage
	// SetAccount changes who signs in next.
	SetAccount(FakeAccount)
	// SetFail makes the next sign-ins misbehave (FailNone to stop).
	SetFail(FailMode)
}
