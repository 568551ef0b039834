package experience

import (
	"context"
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
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

type signInView struct {
	form
	IdentifierLabel, IdentifierType           string
	Notice                                    string
	ForgotPassword, Passwordless, CanRegister bool
}

// passwordIdentifiers lists the identifiers the settings let users sign in
// with a password, in the configured order.
func passwordIdentifiers(s *signinexp.Settings) []string {
	var out []string
	for _, m := range s.SignIn.Methods {
		if m.Password {
			out = append(out, m.Identifier)
		}
	}
	return out
}

// narrowed keeps the kinds an authorization request's `identifier`
// parameter names (Logto's SDKs send e.g. "email phone"), unless that would
// leave none.
func narrowed(kinds []string, requested string) []string {
	want := strings.Fields(requested)
	if len(want) == 0 {
		return kinds
	}
	var out []string
	for _, k := range kinds {
		for _, w := range want {
			if k == w {
				out = append(out, k)
			}
		}
	}
	if len(out) == 0 {
		return kinds
	}
	return out
}

// identifierLabel joins the identifiers' names: "Username or email".
func identifierLabel(tr translator, kinds []string, inner bool) string {
	names := make([]string, len(kinds))
	lower := tr.T("grammar.lowercase_inner") == "true"
	for i, k := range kinds {
		names[i] = tr.T("field." + k)
		if lower && (i > 0 || inner) {
			names[i] = strings.ToLower(names[i][:1]) + names[i][1:]
		}
	}
	if len(names) == 0 {
		return tr.T("field.username")
	}
	label := names[0]
	for _, n := range names[1:] {
		label = tr.T("field.or", "a", label, "b", n)
	}
	return label
}

func (p *Pages) signInView(q request, in *oidc.Interaction) signInView {
	kinds := narrowed(passwordIdentifiers(q.settings), in.Identifier)
	s := q.settings
	v := signInView{form: p.newForm(q, in, "sign_in.title"),
		IdentifierLabel: identifierLabel(q.tr, kinds, false), IdentifierType: inputType(kinds),
		ForgotPassword: p.opt.Codes != nil && len(s.ForgotPasswordMethods) > 0,
		Passwordless:   p.opt.Codes != nil && len(codeIdentifiers(s)) > 0,
		CanRegister:    s.SignInMode != "SignIn",
	}
	v.Terms = termsView(s, false, false)
	v.Socials, v.SSO = p.socialButtons(q, in), p.ssoAvailable(q)
	return v
}

// showSignIn renders the password sign-in page.
func (p *Pages) showSignIn(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	q := p.begin(r, in.UILocales)
	v := p.signInView(q, in)
	v.Identifier = in.LoginHint
	p.render(w, http.StatusOK, "signin", in, v)
}

func (p *Pages) submitSignIn(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	q := p.begin(r, in.UILocales)
	identifier := strings.TrimSpace(r.PostForm.Get("identifier"))
	secret := r.PostForm.Get("password")
	v := p.signInView(q, in)
	v.Identifier = identifier
	v.Terms.Agreed = r.PostForm.Get("agree") == "yes"
	kinds := narrowed(passwordIdentifiers(q.settings), in.Identifier)
	phrase := identifierLabel(q.tr, kinds, true)
	if identifier == "" || secret == "" {
		v.Error = q.tr.T("error.missing_fields", "identifier", phrase)
		p.render(w, http.StatusBadRequest, "signin", in, v)
		return
	}
	if v.Terms.Checkbox && !v.Terms.Agreed {
		v.Error = q.tr.T("error.agree_required")
		p.render(w, http.StatusBadRequest, "signin", in, v)
		return
	}
	if p.ssoRouted(w, r, q, in, identifier) {
		return
	}
	idKey, ipKey := "id:"+strings.ToLower(identifier), "ip:"+p.opt.ClientIP(r)
	tried := attempt{key: audit.SignInSubmit, kind: classify(identifier, kinds), identifier: identifier, method: "Password"}
	p.configureLockout(q.settings)
	wait, blocked, err := p.failures.Blocked(r.Context(), idKey, ipKey)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if blocked {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		v.Error = q.tr.T("error.too_many_attempts", "wait", humanWait(q.tr, secs))
		p.render(w, http.StatusTooManyRequests, "signin", in, v)
		p.record(r, in, tried.failed(errCodeTooManyAttempts, "Too many failed attempts; the identifier or address is locked out for now."))
		return
	}
	u, err := p.verify(r.Context(), kinds, identifier, secret)
	if err != nil {
		if !errors.Is(err, errBadCredentials) {
			p.log.Error("sign-in failed", "err", err)
			p.errorPage(w, r, http.StatusInternalServerError, "page.server_error.title", "page.server_error.detail")
			return
		}
		if err := p.failures.Fail(r.Context(), idKey, ipKey); err != nil {
			p.log.Error("recording a failed sign-in failed", "err", err)
		}
		v.Error = q.tr.T("error.invalid_credentials", "identifier", phrase)
		v.Title = q.tr.T("error.title_prefix", "title", v.Title)
		p.render(w, http.StatusBadRequest, "signin", in, v)
		tried.user = u // the account tried, when there is one
		p.record(r, in, tried.failed(errCodeInvalidCredentials, "Incorrect account or password."))
		return
	}
	tried.user = u
	if u.IsSuspended {
		v.Error = q.tr.T("error.suspended")
		p.render(w, http.StatusForbidden, "signin", in, v)
		p.record(r, in, tried.failed(errCodeSuspended, "This account has been suspended."))
		return
	}
	if err := p.failures.Reset(r.Context(), idKey); err != nil {
		p.log.Error("clearing failed sign-ins failed", "err", err)
	}
	p.emitEvent(r, in, webhook.PostSignIn, u)
	p.record(r, in, tried)
	p.finish(w, r, in, u)
}

var errBadCredentials = errors.New("bad credentials")

// verify finds the user by identifier and checks the password. An unknown
// identifier costs the same hashing time as a wrong password, so the answer
// and its timing reveal nothing about which accounts exist. With
// errBadCredentials it returns the account whose password was wrong, for
// the audit log, or nil when there is none.
func (p *Pages) verify(ctx context.Context, kinds []string, identifier, secret string) (*store.User, error) {
	u, err := p.findUser(ctx, kinds, identifier)
	if errors.Is(err, store.ErrNotFound) {
		password.DummyVerify(p.opt.Password)
		return nil, errBadCredentials
	} else if err != nil {
		return nil, err
	}
	if u.PasswordDigest == "" {
		password.DummyVerify(p.opt.Password)
		return u, errBadCredentials
	}
	ok, err := password.Verify(secret, u.PasswordDigest, u.PasswordAlgorithm)
	if err != nil {
		p.log.Warn("stored password digest cannot be checked", "user_id", u.ID, "algorithm", u.PasswordAlgorithm, "err", err)
		return u, errBadCredentials
	}
	if !ok {
		return u, errBadCredentials
	}
	u.LastSignInAt = p.opt.Now().UnixMilli()
	if password.NeedsUpgrade(u.PasswordAlgorithm, u.PasswordDigest, p.opt.Password) {
		if h, err := password.Hash(secret, p.opt.Password); err == nil {
			u.PasswordDigest, u.PasswordAlgorithm = h, password.Argon2id
		}
	}
	if err := p.store.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// findUser looks the identifier up as the kinds the settings allow: an
// email when it has an @, a phone number when it is digits, else a username.
func (p *Pages) findUser(ctx context.Context, kinds []string, identifier string) (*store.User, error) {
	allowed := func(k string) bool {
		for _, a := range kinds {
			if a == k {
				return true
			}
		}
		return false
	}
	switch {
	case strings.Contains(identifier, "@"):
		if allowed(signinexp.Email) {
			return p.store.FindUserByIdentifier(ctx, store.ByEmail, identifier)
		}
	case looksLikePhone(identifier) && allowed(signinexp.Phone):
		u, err := p.store.FindUserByIdentifier(ctx, store.ByPhone, strings.TrimPrefix(identifier, "+"))
		if !errors.Is(err, store.ErrNotFound) || !allowed(signinexp.Username) {
			return u, err
		}
		return p.store.FindUserByIdentifier(ctx, store.ByUsername, identifier)
	case allowed(signinexp.Username):
		return p.store.FindUserByIdentifier(ctx, store.ByUsername, identifier)
	}
	return nil, store.ErrNotFound
}

func looksLikePhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func humanWait(tr translator, secs int) string {
	if secs < 120 {
		return tr.T("wait.seconds", "n", strconv.Itoa(secs))
	}
	return tr.T("wait.minutes", "n", strconv.Itoa((secs+59)/60))
}

// configureLockout applies the sign-in experience's sentinel policy
// (maxAttempts failures lock for lockoutDuration minutes) over the
// server's defaults.
func (p *Pages) configureLockout(s *signinexp.Settings) {
	max, window := p.opt.MaxFailures, p.opt.FailureWindow
	if s.SentinelPolicy.MaxAttempts != nil && *s.SentinelPolicy.MaxAttempts > 0 {
		max = *s.SentinelPolicy.MaxAttempts
	}
	if s.SentinelPolicy.LockoutDuration != nil && *s.SentinelPolicy.LockoutDuration > 0 {
		window = time.Duration(*s.SentinelPolicy.LockoutDuration) * time.Minute
	}
	p.failures.Configure(max, window)
}
