package experience

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// interactionHandler serves one step of an interaction.
type interactionHandler func(w http.ResponseWriter, r *http.Request, in *oidc.Interaction)

// viewed loads the interaction of a GET.
func (p *Pages) viewed(h interactionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in, ok := p.interaction(w, r); ok {
			h(w, r, in)
		}
	})
}

// posted reads a form post, loads its interaction and checks its CSRF token.
func (p *Pages) posted(h interactionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			p.errorPage(w, r, http.StatusBadRequest, "page.invalid_form.title", "page.invalid_form.detail")
			return
		}
		in, ok := p.interaction(w, r)
		if !ok {
			return
		}
		if !in.CSRFMatches(r.PostForm.Get("csrf_token")) {
			p.errorPage(w, r, http.StatusForbidden, "page.refused.title", "page.refused.detail")
			return
		}
		h(w, r, in)
	})
}

// form is what every form page shows.
type form struct {
	page
	AppName, InteractionID, CSRFToken string
	Identifier, Error                 string
	Terms                             terms
	// Socials and SSO are the sign-in page's other ways in.
	Socials []socialButton
	SSO     bool
}

func (p *Pages) newForm(q request, in *oidc.Interaction, titleKey string) form {
	return form{page: q.page(titleKey), AppName: in.ClientName, InteractionID: in.ID, CSRFToken: in.CSRFToken}
}

// terms is the agreement line of a form.
type terms struct {
	Show, Checkbox, Agreed bool
	TermsURL, PrivacyURL   string
}

// termsView decides whether a form shows the terms, and with a checkbox:
// Manual asks everywhere, ManualRegistrationOnly on registration only.
func termsView(s *signinexp.Settings, registration, agreed bool) terms {
	t := terms{Agreed: agreed}
	if s.TermsOfUseURL != nil {
		t.TermsURL = *s.TermsOfUseURL
	}
	if s.PrivacyPolicyURL != nil {
		t.PrivacyURL = *s.PrivacyPolicyURL
	}
	t.Show = t.TermsURL != "" || t.PrivacyURL != ""
	t.Checkbox = t.Show && (s.AgreeToTermsPolicy == "Manual" || (registration && s.AgreeToTermsPolicy == "ManualRegistrationOnly"))
	return t
}

// flow is the pages' state kept with the interaction between steps.
type flow struct {
	// Purpose, Channel and Target name the code being waited for.
	Purpose string `json:"purpose,omitempty"`
	Channel string `json:"channel,omitempty"`
	Target  string `json:"target,omitempty"`
	// Registration is the account to create once the code is verified.
	Registration *registration `json:"registration,omitempty"`
	// ConsentUser signed in and must consent before the interaction ends.
	ConsentUser string `json:"consent_user,omitempty"`
	// ProfileUser signed in but lacks an identifier the settings require;
	// ProfileKind is the one being collected.
	ProfileUser string `json:"profile_user,omitempty"`
	ProfileKind string `json:"profile_kind,omitempty"`
	// Upstream is a sign-in waiting at a social or SSO provider.
	Upstream *upstreamSignIn `json:"upstream,omitempty"`
	// Link is a provider account waiting to be linked (link.go).
	Link *pendingLink `json:"link,omitempty"`
}

// registration holds a sign-up in progress; the password is kept only as
// its Argon2id digest.
type registration struct {
	Username       string `json:"username,omitempty"`
	Email          string `json:"email,omitempty"`
	Phone          string `json:"phone,omitempty"`
	PasswordDigest string `json:"password_digest,omitempty"`
}

func loadFlow(in *oidc.Interaction) flow {
	var f flow
	if len(in.PagesState) > 0 {
		json.Unmarshal(in.PagesState, &f)
	}
	return f
}

func (p *Pages) saveFlow(r *http.Request, in *oidc.Interaction, f flow) error {
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return p.provider.SavePagesState(r, in.ID, raw)
}

// showFirstScreen picks the page an interaction opens on: consent for a
// signed-in user, else what first_screen or interaction_mode ask for, else
// the sign-in mode's page.
func (p *Pages) showFirstScreen(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	if f.ProfileUser != "" {
		p.showProfile(w, r, in, f)
		return
	}
	if in.SignedInUserID != "" || f.ConsentUser != "" {
		userID := f.ConsentUser
		if userID == "" {
			userID = in.SignedInUserID
		}
		p.showConsent(w, r, in, userID)
		return
	}
	q := p.begin(r, in.UILocales)
	if in.DirectSignIn != "" && p.directSignIn(w, r, q, in) {
		return
	}
	screen := strings.ToLower(in.FirstScreen)
	switch {
	case screen == "register" || screen == "identifier:register" || strings.EqualFold(in.InteractionMode, "signUp") ||
		q.settings.SignInMode == "Register":
		if q.settings.SignInMode != "SignIn" {
			p.showRegister(w, r, in)
			return
		}
	case screen == "reset_password" && p.opt.Codes != nil && len(q.settings.ForgotPasswordMethods) > 0:
		p.showForgotPassword(w, r, in)
		return
	}
	p.showSignIn(w, r, in)
}

// finish ends a successful authentication of u: the consent page when the
// application needs it, else back to the application with a code.
func (p *Pages) finish(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, u *store.User) {
	p.finishAs(w, r, in, u, false)
}

// finishAs is finish for a sign-in through an identity provider when
// social is true: Logto's socialSignIn.skipRequiredIdentifiers then lets
// the account in without the identifiers sign-up requires.
func (p *Pages) finishAs(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, u *store.User, social bool) {
	q := p.begin(r, in.UILocales)
	skip := social && q.settings.SocialSignIn.SkipRequiredIdentifiers != nil && *q.settings.SocialSignIn.SkipRequiredIdentifiers
	if kind := missingIdentifier(q.settings, u); !skip && kind != "" && (kind == signinexp.Username || p.opt.Codes != nil || !q.settings.SignUp.Verify) {
		if err := p.saveFlow(r, in, flow{ProfileUser: u.ID, ProfileKind: kind}); err != nil {
			p.interactionError(w, r, err)
			return
		}
		http.Redirect(w, r, "/sign-in/"+in.ID, http.StatusSeeOther)
		return
	}
	need, err := p.provider.NeedsConsent(r, in.ID, u.ID)
	if err != nil {
		p.interactionError(w, r, err)
		return
	}
	if need {
		if err := p.saveFlow(r, in, flow{ConsentUser: u.ID}); err != nil {
			p.interactionError(w, r, err)
			return
		}
		http.Redirect(w, r, "/sign-in/"+in.ID, http.StatusSeeOther)
		return
	}
	if err := p.provider.CompleteInteraction(w, r, in.ID, u.ID); err != nil {
		p.interactionError(w, r, err)
	}
}

// codeIdentifiers lists the identifiers the settings let users sign in
// with a verification code.
func codeIdentifiers(s *signinexp.Settings) []string {
	var out []string
	for _, m := range s.SignIn.Methods {
		if m.VerificationCode && (m.Identifier == signinexp.Email || m.Identifier == signinexp.Phone) {
			out = append(out, m.Identifier)
		}
	}
	return out
}

// inputType is the input type for an identifier field of the given kinds.
func inputType(kinds []string) string {
	if len(kinds) == 1 {
		switch kinds[0] {
		case signinexp.Email:
			return "email"
		case signinexp.Phone:
			return "tel"
		}
	}
	return "text"
}

func autocomplete(kinds []string) string {
	if len(kinds) == 1 {
		switch kinds[0] {
		case signinexp.Email:
			return "email"
		case signinexp.Phone:
			return "tel"
		}
	}
	return "username"
}

// classify tells which of kinds an identifier is: an email when it has an
// @, a phone number when it is digits, else a username. It returns "" when
// the identifier is none of the allowed kinds.
func classify(identifier string, kinds []string) string {
	has := func(k string) bool {
		for _, x := range kinds {
			if x == k {
				return true
			}
		}
		return false
	}
	switch {
	case strings.Contains(identifier, "@"):
		if has(signinexp.Email) {
			return signinexp.Email
		}
	case looksLikePhone(identifier) && has(signinexp.Phone):
		return signinexp.Phone
	case has(signinexp.Username):
		return signinexp.Username
	}
	return ""
}

// findByKind looks a user up by one identifier kind.
func (p *Pages) findByKind(r *http.Request, kind, value string) (*store.User, error) {
	switch kind {
	case signinexp.Email:
		return p.store.FindUserByIdentifier(r.Context(), store.ByEmail, value)
	case signinexp.Phone:
		return p.store.FindUserByIdentifier(r.Context(), store.ByPhone, strings.TrimPrefix(value, "+"))
	case signinexp.Username:
		return p.store.FindUserByIdentifier(r.Context(), store.ByUsername, value)
	}
	return nil, store.ErrNotFound
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
