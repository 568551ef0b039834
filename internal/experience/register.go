package experience

import (
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/users"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

type secondaryField struct {
	Name, Label, Type, Autocomplete, Value string
}

type registerView struct {
	form
	IdentifierLabel, IdentifierType, IdentifierAutocomplete string
	Secondary                                               []secondaryField
	NeedsPassword                                           bool
	PasswordHint                                            string
}

func (p *Pages) registerView(q request, in *oidc.Interaction) registerView {
	s := q.settings
	kinds := s.SignUp.Identifiers
	v := registerView{form: p.newForm(q, in, "register.title"),
		IdentifierLabel: identifierLabel(q.tr, kinds, false), IdentifierType: inputType(kinds),
		IdentifierAutocomplete: autocomplete(kinds), NeedsPassword: s.SignUp.Password,
		PasswordHint: q.tr.T("password.hint", "min", fmt.Sprint(s.PasswordPolicy.Length.Min))}
	for _, sec := range s.SignUp.SecondaryIdentifiers {
		k := sec.Identifier
		if k != signinexp.Username && k != signinexp.Email && k != signinexp.Phone {
			continue
		}
		v.Secondary = append(v.Secondary, secondaryField{Name: "secondary_" + k, Label: q.tr.T("field." + k),
			Type: inputType([]string{k}), Autocomplete: autocomplete([]string{k})})
	}
	v.Terms = termsView(s, true, false)
	v.Socials, v.SSO = p.socialButtons(q, in), p.ssoAvailable(q)
	return v
}

func (p *Pages) showRegister(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	q := p.begin(r, in.UILocales)
	if q.settings.SignInMode == "SignIn" {
		p.showSignIn(w, r, in)
		return
	}
	v := p.registerView(q, in)
	v.Identifier = in.LoginHint
	p.render(w, http.StatusOK, "register", in, v)
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// validIdentifier checks an identifier's format for its kind.
func validIdentifier(kind, value string) bool {
	switch kind {
	case signinexp.Username:
		return usernamePattern.MatchString(value)
	case signinexp.Email:
		a, err := mail.ParseAddress(value)
		return err == nil && a.Address == value && len(value) <= 254
	case signinexp.Phone:
		return looksLikePhone(value) && len(strings.TrimPrefix(value, "+")) <= 20
	}
	return false
}

func (p *Pages) submitRegister(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	q := p.begin(r, in.UILocales)
	s := q.settings
	if s.SignInMode == "SignIn" {
		p.showSignIn(w, r, in)
		return
	}
	v := p.registerView(q, in)
	identifier := strings.TrimSpace(r.PostForm.Get("identifier"))
	v.Identifier = identifier
	v.Terms.Agreed = r.PostForm.Get("agree") == "yes"
	fail := func(status int, msg string) {
		v.Error = msg
		v.Title = q.tr.T("error.title_prefix", "title", v.Title)
		p.render(w, status, "register", in, v)
	}
	label := identifierLabel(q.tr, s.SignUp.Identifiers, true)
	kind := classify(identifier, s.SignUp.Identifiers)
	if kind == "" || !validIdentifier(kind, identifier) {
		fail(http.StatusBadRequest, q.tr.T("error.identifier_invalid", "identifier", label))
		return
	}
	if p.ssoRouted(w, r, q, in, identifier) {
		return
	}
	reg := &registration{}
	set := func(k, value string) {
		switch k {
		case signinexp.Username:
			reg.Username = value
		case signinexp.Email:
			reg.Email = value
		case signinexp.Phone:
			reg.Phone = strings.TrimPrefix(value, "+")
		}
	}
	set(kind, identifier)
	tried := attempt{key: audit.RegisterSubmit, kind: kind, identifier: identifier}
	for i := range v.Secondary {
		f := &v.Secondary[i]
		f.Value = strings.TrimSpace(r.PostForm.Get(f.Name))
		k := strings.TrimPrefix(f.Name, "secondary_")
		if !validIdentifier(k, f.Value) {
			fail(http.StatusBadRequest, q.tr.T("error.identifier_invalid", "identifier", strings.ToLower(f.Label)))
			return
		}
		set(k, f.Value)
	}
	for k, value := range map[string]string{signinexp.Username: reg.Username, signinexp.Email: reg.Email, signinexp.Phone: reg.Phone} {
		if value == "" {
			continue
		}
		if _, err := p.findByKind(r, k, value); err == nil {
			fail(http.StatusConflict, q.tr.T("error.identifier_taken", "identifier", q.tr.T("field."+k)))
			p.record(r, in, tried.failed(alreadyInUse(k), "The "+k+" is already in use."))
			return
		} else if !isNotFound(err) {
			p.serverError(w, r, err)
			return
		}
	}
	if v.Terms.Checkbox && !v.Terms.Agreed {
		fail(http.StatusBadRequest, q.tr.T("error.agree_required"))
		return
	}
	if s.SignUp.Password {
		pw := r.PostForm.Get("password")
		info := signinexp.UserInfo{Username: reg.Username, Email: reg.Email, Phone: reg.Phone}
		if msg := passwordProblem(q, s.PasswordPolicy, pw, info); msg != "" {
			fail(http.StatusBadRequest, msg)
			p.record(r, in, tried.failed(errCodePasswordRejected, "The password does not meet the password policy."))
			return
		}
		digest, err := password.Hash(pw, p.opt.Password)
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		reg.PasswordDigest = digest
	}
	if s.SignUp.Verify && (kind == signinexp.Email || kind == signinexp.Phone) {
		if p.opt.Codes == nil {
			fail(http.StatusServiceUnavailable, q.tr.T("error.no_connector"))
			p.record(r, in, tried.failed(errCodeNoConnector, "No connector is configured to send the code."))
			return
		}
		f := flow{Purpose: "Register", Channel: channelOf(kind), Target: identifier, Registration: reg}
		if problem := p.sendCode(w, r, in, q, f); problem != nil {
			fail(problem.status, problem.msg)
			return
		}
		if err := p.saveFlow(r, in, f); err != nil {
			p.interactionError(w, r, err)
			return
		}
		http.Redirect(w, r, "/sign-in/"+in.ID+"/code", http.StatusSeeOther)
		return
	}
	u, err := p.createUser(r, reg)
	if store.IsConflict(err) {
		fail(http.StatusConflict, q.tr.T("error.identifier_taken", "identifier", label))
		p.record(r, in, tried.failed(alreadyInUse(kind), "The identifier is already in use."))
		return
	} else if err != nil {
		p.serverError(w, r, err)
		return
	}
	tried.user = u
	p.record(r, in, tried)
	p.finish(w, r, in, u)
}

// createUser stores a registration as a new user with the default roles.
func (p *Pages) createUser(r *http.Request, reg *registration) (*store.User, error) {
	now := p.opt.Now().UnixMilli()
	u := &store.User{ID: id.New(id.UserLength), Username: reg.Username, PrimaryEmail: reg.Email, PrimaryPhone: reg.Phone,
		CreatedAt: now, UpdatedAt: now, LastSignInAt: now}
	if reg.PasswordDigest != "" {
		u.PasswordDigest, u.PasswordAlgorithm = reg.PasswordDigest, password.Argon2id
	}
	return u, p.insertUser(r, p.requestInteraction(r), u, nil)
}

// insertUser stores the new user u with the default roles and the
// registration webhooks in one transaction; after, when set, runs in it
// once the user exists (to attach an SSO identity).
func (p *Pages) insertUser(r *http.Request, in *oidc.Interaction, u *store.User, after func(tx store.Store, u *store.User) error) error {
	return p.store.InTx(r.Context(), func(tx store.Store) error {
		if err := tx.CreateUser(r.Context(), u); err != nil {
			return err
		}
		if after != nil {
			if err := after(tx, u); err != nil {
				return err
			}
		}
		if err := users.AssignDefaultRoles(r.Context(), tx, u.ID); err != nil {
			return err
		}
		if err := webhook.Enqueue(r.Context(), tx, p.hookEvent(r, in, webhook.PostRegister, u)); err != nil {
			return err
		}
		return webhook.Enqueue(r.Context(), tx, p.hookEvent(r, in, webhook.UserCreated, u))
	})
}

// passwordProblem returns the message for the first rule pw breaks, or "".
func passwordProblem(q request, policy signinexp.PasswordPolicy, pw string, info signinexp.UserInfo) string {
	violations := policy.Check(pw, info)
	if len(violations) == 0 {
		return ""
	}
	switch c := violations[0].Code; {
	case strings.HasSuffix(c, "too_short"):
		return q.tr.T("password.too_short", "min", fmt.Sprint(policy.Length.Min))
	case strings.HasSuffix(c, "too_long"):
		return q.tr.T("password.too_long", "max", fmt.Sprint(policy.Length.Max))
	case strings.HasSuffix(c, "character_types"):
		return q.tr.T("password.character_types", "min", fmt.Sprint(policy.CharacterTypes.Min))
	case strings.HasSuffix(c, "pwned"):
		return q.tr.T("password.pwned")
	case strings.HasSuffix(c, "repetition"):
		return q.tr.T("password.repetition")
	case strings.HasSuffix(c, "sequence"):
		return q.tr.T("password.sequence")
	case strings.HasSuffix(c, "user_info"):
		return q.tr.T("password.user_info")
	case strings.HasSuffix(c, "words"):
		return q.tr.T("password.words")
	}
	return q.tr.T("error.password_weak")
}

func (p *Pages) serverError(w http.ResponseWriter, r *http.Request, err error) {
	p.log.Error("sign-in page failed", "path", r.URL.Path, "err", err)
	p.errorPage(w, r, http.StatusInternalServerError, "page.server_error.title", "page.server_error.detail")
}
