package experience

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

// socialCallback signs in the account a social provider vouched for: the
// user who holds that identity; else, when the provider's verified email
// belongs to a user, that user once linking is allowed or confirmed; else a
// new user, when the settings let people register.
func (p *Pages) socialCallback(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, connectorID string, cb connector.Callback) {
	ctx := r.Context()
	c, provider, err := p.opt.Social.Social(ctx, connectorID)
	account, ok := p.accountAt(w, r, in, connectorID, provider, cb, err)
	if !ok {
		return
	}
	target := c.Target()
	holders, err := p.store.FindUsersByIdentity(ctx, target, account.ID)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if len(holders) > 0 {
		u := &holders[0]
		setIdentity(u, target, account)
		if c.SyncProfile {
			syncProfile(u, account)
		}
		p.signInAccount(w, r, in, connectorID, account, u, "")
		return
	}
	q := p.begin(r, in.UILocales)
	if account.Email != "" {
		u, err := p.store.FindUserByIdentifier(ctx, store.ByEmail, account.Email)
		switch {
		case err == nil:
			if q.settings.SocialSignIn.AutomaticAccountLinking != nil && *q.settings.SocialSignIn.AutomaticAccountLinking {
				setIdentity(u, target, account)
				p.signInAccount(w, r, in, connectorID, account, u, webhook.UserDataUpdated)
				return
			}
			f := loadFlow(in)
			f.Link = &pendingLink{Connector: connectorID, Target: target, UserID: u.ID, Account: *account}
			if err := p.saveFlow(r, in, f); err != nil {
				p.interactionError(w, r, err)
				return
			}
			http.Redirect(w, r, "/sign-in/"+in.ID+"/link", http.StatusSeeOther)
			return
		case !isNotFound(err):
			p.serverError(w, r, err)
			return
		}
	}
	if q.settings.SignInMode == "SignIn" {
		p.recordUpstream(r, in, connectorID, nil, account, errCodeNoUser, "No account holds this identity and registration is closed.")
		p.upstreamFailed(w, r, in, http.StatusForbidden, "social.no_account.detail")
		return
	}
	p.registerAccount(w, r, in, connectorID, account, func(u *store.User) { setIdentity(u, target, account) }, nil)
}

// accountAt completes the sign-in at the provider that opening the
// connector gave (openErr is that opening's error) and returns the
// account, or shows why there is none and returns false.
func (p *Pages) accountAt(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, connectorID string, provider connector.Social, cb connector.Callback, openErr error) (*connector.SocialUser, bool) {
	switch {
	case isNotFound(openErr):
		p.upstreamFailed(w, r, in, http.StatusNotFound, "social.unavailable.detail")
		return nil, false
	case openErr != nil:
		p.serverError(w, r, openErr)
		return nil, false
	}
	account, err := provider.UserInfo(r.Context(), cb)
	if err != nil {
		p.providerFailure(w, r, in, connectorID, err)
		return nil, false
	}
	return account, true
}

// signInAccount stores what changed on u (identity details, synced
// profile, sign-in time) and ends the interaction as u. event, when set, is
// the webhook the change itself deserves (a newly linked identity).
func (p *Pages) signInAccount(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, connectorID string, account *connector.SocialUser, u *store.User, event string) {
	if u.IsSuspended {
		p.recordUpstream(r, in, connectorID, u, account, errCodeSuspended, "This account has been suspended.")
		p.upstreamFailed(w, r, in, http.StatusForbidden, "error.suspended")
		return
	}
	now := p.opt.Now().UnixMilli()
	u.LastSignInAt, u.UpdatedAt = now, now
	if err := p.updateUserWithEvent(r, in, u, event); err != nil {
		p.serverError(w, r, err)
		return
	}
	p.emitEvent(r, in, webhook.PostSignIn, u)
	p.recordUpstream(r, in, connectorID, u, account, "", "")
	p.finishAs(w, r, in, u, true)
}

// registerAccount creates a user from a provider's account, with the
// default roles and the registration webhooks, in one transaction. link
// attaches the identity to the new user; after, when set, runs in the same
// transaction once the user exists.
func (p *Pages) registerAccount(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, connectorID string, account *connector.SocialUser,
	link func(u *store.User), after func(tx store.Store, u *store.User) error) {
	now := p.opt.Now().UnixMilli()
	u := &store.User{ID: id.New(id.UserLength), PrimaryEmail: account.Email, Name: account.Name, Avatar: account.Avatar,
		CreatedAt: now, UpdatedAt: now, LastSignInAt: now}
	if account.Phone != "" && validIdentifier("phone", account.Phone) {
		u.PrimaryPhone = account.Phone
	}
	link(u)
	err := p.insertUser(r, in, u, after)
	if store.IsConflict(err) {
		// Another account took the email or phone between the look-up and
		// the insert: say so rather than merge into it unasked.
		p.recordUpstream(r, in, connectorID, nil, account, alreadyInUse("email"), "The provider's email or phone is already in use.")
		p.upstreamFailed(w, r, in, http.StatusConflict, "social.taken.detail")
		return
	}
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.recordUpstream(r, in, connectorID, u, account, "", "")
	p.finishAs(w, r, in, u, true)
}

// identity is one entry of a user's identities, in Logto's shape.
type identity struct {
	UserID  string         `json:"userId"`
	Details map[string]any `json:"details,omitempty"`
}

// setIdentity records account as u's identity at target, replacing an
// older one there (a user holds one identity per provider).
func setIdentity(u *store.User, target string, account *connector.SocialUser) {
	ids := map[string]json.RawMessage{}
	if len(u.Identities) > 0 {
		json.Unmarshal(u.Identities, &ids)
	}
	details := map[string]any{"id": account.ID}
	if account.Email != "" {
		details["email"] = account.Email
	}
	if account.Phone != "" {
		details["phone"] = account.Phone
	}
	if account.Name != "" {
		details["name"] = account.Name
	}
	if account.Avatar != "" {
		details["avatar"] = account.Avatar
	}
	if len(account.RawData) > 0 {
		details["rawData"] = account.RawData
	}
	raw, _ := json.Marshal(identity{UserID: account.ID, Details: details})
	ids[target] = raw
	u.Identities, _ = json.Marshal(ids)
}

// syncProfile copies the provider's name and picture onto the user, for
// connectors set to keep profiles in sync.
func syncProfile(u *store.User, account *connector.SocialUser) {
	if account.Name != "" {
		u.Name = account.Name
	}
	if account.Avatar != "" {
		u.Avatar = account.Avatar
	}
}

// linkView is the page asking whether to link a provider's account to the
// existing user with the same verified email.
type linkView struct {
	form
	Email, Provider string
	CanRegister     bool
}

func (p *Pages) showLink(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	if f.Link == nil {
		http.Redirect(w, r, "/sign-in/"+in.ID, http.StatusSeeOther)
		return
	}
	q := p.begin(r, in.UILocales)
	v := linkView{form: p.newForm(q, in, "link.title"), Email: f.Link.Account.Email, Provider: f.Link.Target,
		CanRegister: q.settings.SignInMode != "SignIn"}
	if p.opt.Social != nil {
		if c, _, err := p.opt.Social.Social(r.Context(), f.Link.Connector); err == nil {
			v.Provider = localized(c.DisplayName(), q.tr.Lang())
		}
	}
	p.render(w, http.StatusOK, "link", in, v)
}

// submitLink links the pending account to the existing user, or creates a
// separate account without the email, as the person chose.
func (p *Pages) submitLink(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	f := loadFlow(in)
	pending := f.Link
	if pending == nil {
		http.Redirect(w, r, "/sign-in/"+in.ID, http.StatusSeeOther)
		return
	}
	f.Link = nil
	if err := p.saveFlow(r, in, f); err != nil {
		p.interactionError(w, r, err)
		return
	}
	account := pending.Account
	switch r.PostForm.Get("choice") {
	case "link":
		u, err := p.store.GetUser(r.Context(), pending.UserID)
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		setIdentity(u, pending.Target, &account)
		p.signInAccount(w, r, in, pending.Connector, &account, u, webhook.UserDataUpdated)
	case "create":
		q := p.begin(r, in.UILocales)
		if q.settings.SignInMode == "SignIn" {
			p.upstreamFailed(w, r, in, http.StatusForbidden, "social.no_account.detail")
			return
		}
		// The email belongs to the other account; the new one goes without.
		separate := account
		separate.Email = ""
		p.registerAccount(w, r, in, pending.Connector, &separate, func(u *store.User) { setIdentity(u, pending.Target, &account) }, nil)
	default:
		http.Redirect(w, r, "/sign-in/"+in.ID, http.StatusSeeOther)
	}
}

// ssoCallback signs in the account an enterprise identity provider
// asserted: the user holding that SSO identity; else the user with the
// asserted email (the connector's email domains are the organisation's,
// so its IdP speaks for those addresses); else a new user.
func (p *Pages) ssoCallback(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, connectorID string, cb connector.Callback) {
	ctx := r.Context()
	c, provider, err := p.opt.SSO.OpenSSO(ctx, connectorID)
	account, ok := p.accountAt(w, r, in, connectorID, provider, cb, err)
	if !ok {
		return
	}
	// An organisation's IdP speaks only for its own domains: an email
	// outside them (or none) could be anyone's, and is what accounts are
	// matched by, so the sign-in stops here.
	if !emailInDomains(account.Email, c.Domains) {
		p.recordUpstream(r, in, connectorID, nil, account, errCodeSSODomain, "The identity provider asserted no email in the connector's domains.")
		p.upstreamFailed(w, r, in, http.StatusForbidden, "sso.domain.detail")
		return
	}
	ident := &store.SSOIdentity{SSOConnectorID: c.ID, Issuer: c.Issuer, IdentityID: account.ID, Detail: ssoDetail(account)}
	existing, err := p.store.FindSSOIdentity(ctx, c.Issuer, account.ID)
	var u *store.User
	switch {
	case err == nil && existing.SSOConnectorID != c.ID:
		// Another connector names the same issuer: its accounts are not
		// this one's to sign in.
		p.recordUpstream(r, in, connectorID, nil, account, errCodeUpstreamInvalid, "The identity belongs to another SSO connector.")
		p.upstreamFailed(w, r, in, http.StatusForbidden, "social.invalid.detail")
		return
	case err == nil:
		u, err = p.store.GetUser(ctx, existing.UserID)
	case isNotFound(err) && account.Email != "":
		u, err = p.store.FindUserByIdentifier(ctx, store.ByEmail, account.Email)
	case isNotFound(err):
		err = store.ErrNotFound
	}
	if err != nil && !isNotFound(err) {
		p.serverError(w, r, err)
		return
	}
	if u == nil {
		p.registerAccount(w, r, in, connectorID, account, func(*store.User) {}, func(tx store.Store, u *store.User) error {
			ident.UserID = u.ID
			return tx.UpsertSSOIdentity(ctx, ident)
		})
		return
	}
	if c.SyncProfile {
		syncProfile(u, account)
	}
	ident.UserID = u.ID
	if err := p.store.UpsertSSOIdentity(ctx, ident); err != nil {
		p.serverError(w, r, err)
		return
	}
	p.signInAccount(w, r, in, connectorID, account, u, "")
}

// emailInDomains reports whether email's domain is one of domains.
func emailInDomains(email string, domains []string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	for _, d := range domains {
		if strings.EqualFold(email[at+1:], d) {
			return true
		}
	}
	return false
}

func ssoDetail(account *connector.SocialUser) json.RawMessage {
	raw, err := json.Marshal(account)
	if err != nil {
		return json.RawMessage("{}")
	}
	return raw
}
