package experience

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// attempt is one outcome of a sign-in flow for the audit log: who tried
// (the identifier as typed, never a password or code), how, and what
// failed. code is empty for a success.
type attempt struct {
	key              string
	kind, identifier string // kind is username, email or phone; "" when unknown
	method           string // Password or VerificationCode
	user             *store.User
	code, message    string
}

// failed returns a copy of a that reports a failure.
func (a attempt) failed(code, message string) attempt {
	a.code, a.message = code, message
	return a
}

// record hands the attempt to the audit log, when there is one.
func (p *Pages) record(r *http.Request, in *oidc.Interaction, a attempt) {
	if p.opt.Audit == nil {
		return
	}
	e := audit.Entry{Key: a.key, IP: p.opt.ClientIP(r), UserAgent: r.UserAgent(), At: p.opt.Now()}
	if in != nil {
		e.ApplicationID = in.ClientID
		e.InteractionID = audit.Ref("interaction", in.ID)
	}
	if a.user != nil {
		e.UserID = a.user.ID
	}
	params := map[string]any{}
	if a.identifier != "" {
		id := map[string]string{"value": a.identifier}
		if a.kind != "" {
			id["type"] = a.kind
		}
		params["identifier"] = id
	}
	if a.method != "" {
		params["method"] = a.method
	}
	if len(params) > 0 {
		e.Params = params
	}
	if a.code != "" {
		e.Result = audit.Error
		e.Error = map[string]any{"code": a.code, "message": a.message}
	}
	p.opt.Audit.Log(e)
}

// flowEvent is Logto's interaction event of a code's purpose.
func flowEvent(purpose string) string {
	switch purpose {
	case "Register", "ForgotPassword":
		return purpose
	}
	return "SignIn" // SignIn, and Generic: an identifier added while signing in
}

// alreadyInUse is Logto's error code for an identifier another user has.
func alreadyInUse(kind string) string {
	switch kind {
	case signinexp.Email:
		return "user.email_already_in_use"
	case signinexp.Phone:
		return "user.phone_already_in_use"
	}
	return "user.username_already_in_use"
}

const (
	errCodeInvalidCredentials = "session.invalid_credentials"
	errCodeTooManyAttempts    = "session.verification_blocked_too_many_attempts"
	errCodeSuspended          = "user.suspended"
	errCodeNoUser             = "user.user_not_exist"
	errCodePasswordRejected   = "password.rejected"
	errCodeMismatch           = "verification_code.code_mismatch"
	errCodeExpired            = "verification_code.expired"
	errCodeMaxTries           = "verification_code.exceed_max_try"
	errCodeNoConnector        = "connector.not_found"
	errCodeRateLimited        = "verification_code.rate_limited"
	errCodeSendFailed         = "connector.send_failed"
	errCodeStateMismatch      = "session.state_mismatch"
	errCodeUpstreamDenied     = "session.social.access_denied"
	errCodeUpstreamError      = "connector.general"
	errCodeUpstreamInvalid    = "connector.invalid_response"
	errCodeSSODomain          = "session.sso_enabled_email_domain_mismatch"
)
