package experience

import (
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// missingIdentifier returns an identifier kind the sign-up settings require
// that u does not have (an account imported or created before the settings
// changed), or "" when the profile is complete.
func missingIdentifier(s *signinexp.Settings, u *store.User) string {
	has := func(kind string) bool {
		switch kind {
		case signinexp.Username:
			return u.Username != ""
		case signinexp.Email:
			return u.PrimaryEmail != ""
		case signinexp.Phone:
			return u.PrimaryPhone != ""
		}
		return true
	}
	if len(s.SignUp.Identifiers) > 0 {
		found := false
		for _, k := range s.SignUp.Identifiers {
			found = found || has(k)
		}
		if !found {
			return s.SignUp.Identifiers[0]
		}
	}
	for _, sec := range s.SignUp.SecondaryIdentifiers {
		if !has(sec.Identifier) {
			return sec.Identifier
		}
	}
	return ""
}

func (p *Pages) profileView(q request, in *oidc.Interaction, kind string) identifyView {
	v := p.identifyView(q, in, []string{kind}, "profile.title", "profile.lead", "/profile")
	v.Lead = q.tr.T("profile.lead", "identifier", identifierLabel(q.tr, []string{kind}, true))
	if kind == signinexp.Username || !q.settings.SignUp.Verify {
		v.Submit = q.tr.T("action.continue")
	}
	return v
}

// showProfile asks a signed-in user for the identifier their profile lacks.
func (p *Pages) showProfile(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, f flow) {
	q := p.begin(r, in.UILocales)
	p.render(w, http.StatusOK, "identify", in, p.profileView(q, in, f.ProfileKind))
}

// submitProfile takes the missing identifier: a username at once, an email
// or phone after a code proves it (when sign-up verifies).
func (p *Pages) submitProfile(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	if f.ProfileUser == "" {
		p.showFirstScreen(w, r, in)
		return
	}
	q := p.begin(r, in.UILocales)
	v := p.profileView(q, in, f.ProfileKind)
	value := strings.TrimSpace(r.PostForm.Get("identifier"))
	v.Identifier = value
	fail := func(status int, msg string) {
		v.Error = msg
		p.render(w, status, "identify", in, v)
	}
	if !validIdentifier(f.ProfileKind, value) {
		fail(http.StatusBadRequest, q.tr.T("error.identifier_invalid", "identifier", identifierLabel(q.tr, []string{f.ProfileKind}, true)))
		return
	}
	if _, err := p.findByKind(r, f.ProfileKind, value); err == nil {
		fail(http.StatusConflict, q.tr.T("error.identifier_taken", "identifier", q.tr.T("field."+f.ProfileKind)))
		return
	} else if !isNotFound(err) {
		p.serverError(w, r, err)
		return
	}
	if f.ProfileKind != signinexp.Username && q.settings.SignUp.Verify {
		f.Purpose, f.Channel, f.Target = "Generic", channelOf(f.ProfileKind), value
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
	p.completeProfile(w, r, in, q, f, value, func(msg string) { fail(http.StatusConflict, msg) })
}

// completeProfile stores the collected identifier and carries on.
func (p *Pages) completeProfile(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, q request, f flow, value string, fail func(string)) {
	u, err := p.store.GetUser(r.Context(), f.ProfileUser)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	switch f.ProfileKind {
	case signinexp.Username:
		u.Username = value
	case signinexp.Email:
		u.PrimaryEmail = value
	case signinexp.Phone:
		u.PrimaryPhone = strings.TrimPrefix(value, "+")
	}
	u.UpdatedAt = p.opt.Now().UnixMilli()
	if err := p.store.UpdateUser(r.Context(), u); store.IsConflict(err) {
		fail(q.tr.T("error.identifier_taken", "identifier", q.tr.T("field."+f.ProfileKind)))
		return
	} else if err != nil {
		p.serverError(w, r, err)
		return
	}
	if err := p.saveFlow(r, in, flow{}); err != nil {
		p.interactionError(w, r, err)
		return
	}
	p.finish(w, r, in, u)
}
