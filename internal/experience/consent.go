package experience

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/oidc"
)

type consentView struct {
	form
	UserName string
	Scopes   []string
}

// showConsent asks userID to allow a third-party application.
func (p *Pages) showConsent(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, userID string) {
	q := p.begin(r, in.UILocales)
	u, err := p.store.GetUser(r.Context(), userID)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	v := consentView{form: p.newForm(q, in, "consent.title"), UserName: displayName(u.Name, u.Username, u.PrimaryEmail, u.PrimaryPhone)}
	v.Title = q.tr.T("consent.title", "app", in.ClientName)
	for _, s := range in.Scope {
		key := "scope." + s
		if msg := q.tr.T(key); msg != key {
			v.Scopes = append(v.Scopes, msg)
		} else {
			for _, res := range in.Resources {
				v.Scopes = append(v.Scopes, q.tr.T("scope.resource", "scope", s, "resource", res))
			}
			if len(in.Resources) == 0 {
				v.Scopes = append(v.Scopes, s)
			}
		}
	}
	p.render(w, http.StatusOK, "consent", in, v)
}

func displayName(candidates ...string) string {
	for _, c := range candidates {
		if c != "" {
			return c
		}
	}
	return ""
}

// submitConsent records the user's decision and ends the interaction.
func (p *Pages) submitConsent(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	userID := f.ConsentUser
	if userID == "" {
		userID = in.SignedInUserID
	}
	if userID == "" {
		p.showSignIn(w, r, in)
		return
	}
	if r.PostForm.Get("decision") != "allow" {
		if err := p.provider.AbortInteraction(w, r, in.ID, "access_denied", "the user denied the request"); err != nil {
			p.interactionError(w, r, err)
		}
		return
	}
	if err := p.provider.GrantConsent(r, in.ID, userID); err != nil {
		p.interactionError(w, r, err)
		return
	}
	if err := p.provider.CompleteInteraction(w, r, in.ID, userID); err != nil {
		p.interactionError(w, r, err)
	}
}
