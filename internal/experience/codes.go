package experience

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/verification"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

func channelOf(kind string) string {
	if kind == signinexp.Phone {
		return "phone"
	}
	return "email"
}

// sendProblem is why a code could not be sent: the message for the user
// and the status to answer with.
type sendProblem struct {
	msg    string
	status int
}

// sendCode sends the code f waits for; it returns nil when the code went
// out. The audit log records the attempt, without the code.
func (p *Pages) sendCode(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, q request, f flow) *sendProblem {
	err := p.opt.Codes.Send(r.Context(), f.Channel, f.Target, f.Purpose, q.tr.Lang(), p.opt.ClientIP(r))
	sent := attempt{key: audit.VerificationCodeCreate(flowEvent(f.Purpose), f.Channel), kind: kindOfChannel(f.Channel), identifier: f.Target}
	var limited *verification.RateLimitedError
	switch {
	case err == nil:
		p.record(r, in, sent)
		return nil
	case errors.As(err, &limited):
		secs := int(limited.RetryAfter/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		p.record(r, in, sent.failed(errCodeRateLimited, "Too many codes requested; try again later."))
		return &sendProblem{q.tr.T("error.code_rate_limited", "wait", humanWait(q.tr, secs)), http.StatusTooManyRequests}
	case errors.Is(err, verification.ErrNoConnector):
		p.record(r, in, sent.failed(errCodeNoConnector, "No connector is configured to send the code."))
		return &sendProblem{q.tr.T("error.no_connector"), http.StatusServiceUnavailable}
	default:
		p.log.Error("sending a verification code failed", "purpose", f.Purpose, "channel", f.Channel, "err", err)
		p.record(r, in, sent.failed(errCodeSendFailed, "The connector could not send the code."))
		return &sendProblem{q.tr.T("page.server_error.detail"), http.StatusBadGateway}
	}
}

// identifyView is the page that asks for an email or phone to send a code to.
type identifyView struct {
	form
	Heading, Lead, Action, Submit                           string
	IdentifierLabel, IdentifierType, IdentifierAutocomplete string
}

// forgotKinds lists the identifiers a password can be reset with.
func forgotKinds(s *signinexp.Settings) []string {
	var out []string
	for _, m := range s.ForgotPasswordMethods {
		switch m {
		case "EmailVerificationCode":
			out = append(out, signinexp.Email)
		case "PhoneVerificationCode":
			out = append(out, signinexp.Phone)
		}
	}
	return out
}

func (p *Pages) identifyView(q request, in *oidc.Interaction, kinds []string, titleKey, leadKey, action string) identifyView {
	return identifyView{form: p.newForm(q, in, titleKey), Heading: q.tr.T(titleKey), Submit: q.tr.T("action.send_code"),
		Lead:   q.tr.T(leadKey, "identifier", identifierLabel(q.tr, kinds, true)),
		Action: "/sign-in/" + in.ID + action, IdentifierLabel: identifierLabel(q.tr, kinds, false),
		IdentifierType: inputType(kinds), IdentifierAutocomplete: autocomplete(kinds)}
}

// codeStart describes a page that asks for an email or phone and sends a
// code to it: password reset and passwordless sign-in.
type codeStart struct {
	purpose, titleKey, leadKey, path string
	kinds                            func(*signinexp.Settings) []string
	// onlyAccounts sends codes only to addresses an account uses, and
	// answers the same either way, so the page does not tell who has one.
	onlyAccounts bool
	// terms shows the terms agreement, as on a sign-in.
	terms bool
}

var (
	forgotPassword = codeStart{purpose: "ForgotPassword", titleKey: "forgot.title", leadKey: "forgot.lead",
		path: "/forgot-password", kinds: forgotKinds, onlyAccounts: true}
	passwordless = codeStart{purpose: "SignIn", titleKey: "passwordless.title", leadKey: "passwordless.lead",
		path: "/passwordless", kinds: codeIdentifiers, terms: true}
)

func (p *Pages) showForgotPassword(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	p.showCodeStart(w, r, in, forgotPassword)
}

func (p *Pages) submitForgotPassword(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	p.submitCodeStart(w, r, in, forgotPassword)
}

func (p *Pages) showPasswordless(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	p.showCodeStart(w, r, in, passwordless)
}

func (p *Pages) submitPasswordless(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	p.submitCodeStart(w, r, in, passwordless)
}

// codeStartView returns the page of cs, or false when the settings do not
// offer it (then the sign-in page is shown instead).
func (p *Pages) codeStartView(q request, in *oidc.Interaction, cs codeStart, agreed bool) (identifyView, []string, bool) {
	kinds := cs.kinds(q.settings)
	if p.opt.Codes == nil || len(kinds) == 0 {
		return identifyView{}, nil, false
	}
	v := p.identifyView(q, in, kinds, cs.titleKey, cs.leadKey, cs.path)
	if cs.terms {
		v.Terms = termsView(q.settings, false, agreed)
	}
	return v, kinds, true
}

func (p *Pages) showCodeStart(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, cs codeStart) {
	q := p.begin(r, in.UILocales)
	v, _, ok := p.codeStartView(q, in, cs, false)
	if !ok {
		p.showSignIn(w, r, in)
		return
	}
	v.Identifier = in.LoginHint
	p.render(w, http.StatusOK, "identify", in, v)
}

func (p *Pages) submitCodeStart(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, cs codeStart) {
	q := p.begin(r, in.UILocales)
	v, kinds, ok := p.codeStartView(q, in, cs, r.PostForm.Get("agree") == "yes")
	if !ok {
		p.showSignIn(w, r, in)
		return
	}
	identifier := strings.TrimSpace(r.PostForm.Get("identifier"))
	v.Identifier = identifier
	kind := classify(identifier, kinds)
	switch {
	case kind == "" || !validIdentifier(kind, identifier):
		v.Error = q.tr.T("error.identifier_invalid", "identifier", identifierLabel(q.tr, kinds, true))
	case v.Terms.Checkbox && !v.Terms.Agreed:
		v.Error = q.tr.T("error.agree_required")
	}
	if v.Error != "" {
		p.render(w, http.StatusBadRequest, "identify", in, v)
		return
	}
	// Addresses of an SSO domain belong to their organisation's IdP: no
	// code signs them in, registers or resets them here.
	if p.ssoRouted(w, r, q, in, identifier) {
		return
	}
	f := flow{Purpose: cs.purpose, Channel: channelOf(kind), Target: identifier}
	send := true
	if cs.onlyAccounts {
		_, err := p.findByKind(r, kind, identifier)
		if err != nil && !isNotFound(err) {
			p.serverError(w, r, err)
			return
		}
		send = err == nil
	}
	if send {
		if problem := p.sendCode(w, r, in, q, f); problem != nil {
			v.Error = problem.msg
			p.render(w, problem.status, "identify", in, v)
			return
		}
	} else {
		// The page answers as if a code went out; the log tells the truth.
		p.record(r, in, attempt{key: audit.VerificationCodeCreate(flowEvent(f.Purpose), f.Channel), kind: kind, identifier: identifier}.
			failed(errCodeNoUser, "No account has this identifier; no code was sent."))
	}
	if err := p.saveFlow(r, in, f); err != nil {
		p.interactionError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sign-in/"+in.ID+"/code", http.StatusSeeOther)
}

type codeView struct {
	form
	Target, Notice, PasswordHint string
	NewPassword                  bool
}

func (p *Pages) codeView(q request, in *oidc.Interaction, f flow) codeView {
	return codeView{form: p.newForm(q, in, "code.title"), Target: f.Target, NewPassword: f.Purpose == "ForgotPassword",
		PasswordHint: q.tr.T("password.hint", "min", strconv.Itoa(q.settings.PasswordPolicy.Length.Min))}
}

func (p *Pages) showCode(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	if f.Purpose == "" || p.opt.Codes == nil {
		p.showSignIn(w, r, in)
		return
	}
	q := p.begin(r, in.UILocales)
	p.render(w, http.StatusOK, "code", in, p.codeView(q, in, f))
}

func (p *Pages) resendCode(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	if f.Purpose == "" || p.opt.Codes == nil {
		p.showSignIn(w, r, in)
		return
	}
	q := p.begin(r, in.UILocales)
	v := p.codeView(q, in, f)
	if f.Purpose == "ForgotPassword" {
		// Resend only where an account exists, as the first send did.
		if _, err := p.findByKind(r, kindOfChannel(f.Channel), f.Target); err != nil {
			v.Notice = q.tr.T("notice.code_sent")
			p.render(w, http.StatusOK, "code", in, v)
			return
		}
	}
	if problem := p.sendCode(w, r, in, q, f); problem != nil {
		v.Error = problem.msg
		p.render(w, problem.status, "code", in, v)
		return
	}
	v.Notice = q.tr.T("notice.code_sent")
	p.render(w, http.StatusOK, "code", in, v)
}

func kindOfChannel(ch string) string {
	if ch == "phone" {
		return signinexp.Phone
	}
	return signinexp.Email
}

// submitCode checks the code and finishes what it was sent for.
func (p *Pages) submitCode(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	if f.Purpose == "" || p.opt.Codes == nil {
		p.showSignIn(w, r, in)
		return
	}
	q := p.begin(r, in.UILocales)
	v := p.codeView(q, in, f)
	fail := func(status int, msg string) {
		v.Error = msg
		v.Title = q.tr.T("error.title_prefix", "title", v.Title)
		p.render(w, status, "code", in, v)
	}
	newPassword := r.PostForm.Get("password")
	kind := kindOfChannel(f.Channel)
	tried := attempt{key: audit.SubmitKey(flowEvent(f.Purpose)), kind: kind, identifier: f.Target, method: "VerificationCode"}
	logged := f.Purpose != "Generic" // a profile step is part of a sign-in already recorded
	failLogged := func(status int, msg, code, message string) {
		fail(status, msg)
		if logged {
			p.record(r, in, tried.failed(code, message))
		}
	}
	var user *store.User
	if f.Purpose == "ForgotPassword" {
		// The policy is checked before the code is used up, so a weak
		// password does not cost the user their code.
		u, err := p.findByKind(r, kind, f.Target)
		if err != nil && !isNotFound(err) {
			p.serverError(w, r, err)
			return
		}
		user = u
		tried.user = u
		info := signinexp.UserInfo{Email: f.Target}
		if u != nil {
			info = signinexp.UserInfo{Username: u.Username, Email: u.PrimaryEmail, Phone: u.PrimaryPhone, Name: u.Name}
		}
		if msg := passwordProblem(q, q.settings.PasswordPolicy, newPassword, info); msg != "" {
			failLogged(http.StatusBadRequest, msg, errCodePasswordRejected, "The new password does not meet the password policy.")
			return
		}
	}
	err := p.opt.Codes.Verify(r.Context(), f.Channel, f.Target, f.Purpose, strings.TrimSpace(r.PostForm.Get("code")))
	switch {
	case errors.Is(err, verification.ErrCodeExpired):
		failLogged(http.StatusBadRequest, q.tr.T("error.code_expired"), errCodeExpired, "The verification code has expired.")
		return
	case errors.Is(err, verification.ErrTooManyAttempts):
		failLogged(http.StatusBadRequest, q.tr.T("error.code_attempts"), errCodeMaxTries, "Too many wrong codes; request a new one.")
		return
	case errors.Is(err, verification.ErrCodeInvalid):
		failLogged(http.StatusBadRequest, q.tr.T("error.code_invalid"), errCodeMismatch, "Wrong verification code.")
		return
	case err != nil:
		p.serverError(w, r, err)
		return
	}
	switch f.Purpose {
	case "ForgotPassword":
		if user == nil {
			// A code can only be right for a target it was sent to, and
			// codes go only to accounts: the account was deleted since.
			failLogged(http.StatusBadRequest, q.tr.T("error.code_invalid"), errCodeNoUser, "The account no longer exists.")
			return
		}
		digest, err := password.Hash(newPassword, p.opt.Password)
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		user.PasswordDigest, user.PasswordAlgorithm, user.UpdatedAt = digest, password.Argon2id, p.opt.Now().UnixMilli()
		if err := p.updateUserWithEvent(r, in, user, webhook.PostResetPassword); err != nil {
			p.serverError(w, r, err)
			return
		}
		if err := p.failures.Reset(r.Context(), "id:"+strings.ToLower(f.Target)); err != nil {
			p.log.Error("clearing failed sign-ins failed", "err", err)
		}
		p.record(r, in, tried)
		if err := p.saveFlow(r, in, flow{}); err != nil {
			p.interactionError(w, r, err)
			return
		}
		p.render(w, http.StatusOK, "message", in, messageView{page: q.page("reset.done.title"), Detail: q.tr.T("reset.done.detail"),
			LinkURL: "/sign-in/" + in.ID, LinkText: q.tr.T("action.back_to_sign_in")})
	case "Register":
		reg := f.Registration
		if reg == nil {
			p.showRegister(w, r, in)
			return
		}
		u, err := p.createUser(r, reg)
		if store.IsConflict(err) {
			failLogged(http.StatusConflict, q.tr.T("error.identifier_taken", "identifier", q.tr.T("field."+kind)),
				alreadyInUse(kind), "The identifier is already in use.")
			return
		} else if err != nil {
			p.serverError(w, r, err)
			return
		}
		tried.user = u
		p.record(r, in, tried)
		p.finish(w, r, in, u)
	case "Generic":
		if f.ProfileUser == "" {
			p.showSignIn(w, r, in)
			return
		}
		p.completeProfile(w, r, in, q, f, f.Target, func(msg string) { fail(http.StatusConflict, msg) })
	case "SignIn":
		u, err := p.findByKind(r, kind, f.Target)
		event := webhook.PostSignIn // a user registered here gets PostRegister instead
		if isNotFound(err) {
			event = ""
			// The code proved the address; register it when sign-up allows.
			if q.settings.SignInMode == "SignIn" || !contains(q.settings.SignUp.Identifiers, kind) || q.settings.SignUp.Password {
				failLogged(http.StatusBadRequest, q.tr.T("error.no_account", "identifier", q.tr.T("field."+kind)),
					errCodeNoUser, "No account has this identifier.")
				return
			}
			tried.key = audit.RegisterSubmit // the code registers the address
			reg := &registration{}
			if kind == signinexp.Email {
				reg.Email = f.Target
			} else {
				reg.Phone = strings.TrimPrefix(f.Target, "+")
			}
			u, err = p.createUser(r, reg)
		}
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		tried.user = u
		if u.IsSuspended {
			failLogged(http.StatusForbidden, q.tr.T("error.suspended"), errCodeSuspended, "This account has been suspended.")
			return
		}
		u.LastSignInAt = p.opt.Now().UnixMilli()
		if err := p.updateUserWithEvent(r, in, u, event); err != nil {
			p.serverError(w, r, err)
			return
		}
		p.record(r, in, tried)
		p.finish(w, r, in, u)
	}
}

type messageView struct {
	page
	Detail, LinkURL, LinkText string
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
