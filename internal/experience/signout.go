package experience

import "net/http"

// SignOutPage asks the user to confirm a sign-out no application asked for.
func (p *Pages) SignOutPage(w http.ResponseWriter, r *http.Request, token string) {
	q := p.begin(r, r.URL.Query().Get("ui_locales"))
	p.render(w, http.StatusOK, "signout", nil, struct {
		page
		Token string
	}{q.page("sign_out.title"), token})
}

// SignedOutPage tells the user they are signed out.
func (p *Pages) SignedOutPage(w http.ResponseWriter, r *http.Request) {
	q := p.begin(r, r.URL.Query().Get("ui_locales"))
	p.render(w, http.StatusOK, "message", nil, messageView{page: q.page("sign_out.title"), Detail: q.tr.T("sign_out.done")})
}
