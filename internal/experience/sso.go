package experience

import (
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/oidc"
)

// ssoView is the enterprise SSO page: an email field, then the way to the
// organisation's identity provider.
type ssoView struct {
	form
	ContinueURL, ConnectorName string
}

func (p *Pages) showSSO(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	q := p.begin(r, in.UILocales)
	if !p.ssoAvailable(q) {
		p.errorPage(w, r, http.StatusNotFound, "social.unavailable.title", "social.unavailable.detail")
		return
	}
	v := ssoView{form: p.newForm(q, in, "sso.title")}
	v.Identifier = in.LoginHint
	p.render(w, http.StatusOK, "sso", in, v)
}

// submitSSO finds the connector of the email's domain. The answer is a page
// with a link to the provider rather than a redirect: the pages' CSP
// limits where a form post may lead (form-action), and a link is as quick.
func (p *Pages) submitSSO(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	q := p.begin(r, in.UILocales)
	if !p.ssoAvailable(q) {
		p.errorPage(w, r, http.StatusNotFound, "social.unavailable.title", "social.unavailable.detail")
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("identifier"))
	v := ssoView{form: p.newForm(q, in, "sso.title")}
	v.Identifier = email
	if !validIdentifier("email", email) {
		v.Error = q.tr.T("error.identifier_invalid", "identifier", strings.ToLower(q.tr.T("field.email")))
		p.render(w, http.StatusBadRequest, "sso", in, v)
		return
	}
	p.offerSSO(w, r, q, in, email, func() {
		v.Error = q.tr.T("sso.not_found")
		p.render(w, http.StatusBadRequest, "sso", in, v)
	})
}

// offerSSO shows the way to the SSO connector of email's domain, or calls
// none when there is no such connector.
func (p *Pages) offerSSO(w http.ResponseWriter, r *http.Request, q request, in *oidc.Interaction, email string, none func()) {
	c, err := p.opt.SSO.ConnectorForEmail(r.Context(), email)
	if isNotFound(err) {
		none()
		return
	}
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	v := ssoView{form: p.newForm(q, in, "sso.title"), ConnectorName: c.Name,
		ContinueURL: "/sign-in/" + in.ID + "/sso/" + c.ID}
	v.Identifier = email
	p.render(w, http.StatusOK, "sso", in, v)
}

// ssoRouted reports whether an email typed on the password page belongs
// to an SSO domain, and if so shows the way there instead of checking a
// password: those accounts sign in at their organisation (as in Logto).
func (p *Pages) ssoRouted(w http.ResponseWriter, r *http.Request, q request, in *oidc.Interaction, identifier string) bool {
	if !strings.Contains(identifier, "@") || !p.ssoAvailable(q) {
		return false
	}
	c, err := p.opt.SSO.ConnectorForEmail(r.Context(), identifier)
	if err != nil {
		return false
	}
	v := ssoView{form: p.newForm(q, in, "sso.title"), ConnectorName: c.Name,
		ContinueURL: "/sign-in/" + in.ID + "/sso/" + c.ID}
	v.Identifier = identifier
	p.render(w, http.StatusOK, "sso", in, v)
	return true
}

// directSignIn follows an authorization request's direct_sign_in
// ("social:<target>" or "sso:<connector id>", as Logto's SDKs send it) by
// going straight to the provider. It reports false when the value names
// nothing usable, and the normal first screen shows.
func (p *Pages) directSignIn(w http.ResponseWriter, r *http.Request, q request, in *oidc.Interaction) bool {
	method, target, ok := strings.Cut(in.DirectSignIn, ":")
	if !ok || target == "" {
		return false
	}
	switch method {
	case "social":
		for _, b := range p.socialButtons(q, in) {
			if b.Target == target {
				http.Redirect(w, r, b.URL, http.StatusSeeOther)
				return true
			}
		}
	case "sso":
		if p.ssoAvailable(q) {
			http.Redirect(w, r, "/sign-in/"+in.ID+"/sso/"+target, http.StatusSeeOther)
			return true
		}
	}
	return false
}
