package experience

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Sign-in through an upstream identity provider: a social connector
// (Google, GitHub, ...) or an enterprise SSO connector (OIDC or SAML),
// both behind connector.Social. The browser leaves from
// /sign-in/{interaction}/social/{connector} or .../sso/{connector} and
// comes back to /callback/{connector}, where the interaction is found
// again from the state and checked against the browser's cookie.

// SocialConnectors is what the pages need of the social connectors
// (connector.Service).
type SocialConnectors interface {
	List(ctx context.Context) ([]*connector.Connector, error)
	Social(ctx context.Context, id string) (*connector.Connector, connector.Social, error)
}

// SSOConnector is an enterprise SSO connector as the pages show and use it.
type SSOConnector struct {
	ID, Name, Logo string
	// Issuer names the identity namespace of the connector's accounts
	// (an OpenID issuer, a SAML IdP entity id).
	Issuer      string
	SyncProfile bool
	// Domains are the email domains the connector's identity provider
	// speaks for; an asserted email outside them is refused.
	Domains []string
}

// EnterpriseSSO is what the pages need of the enterprise SSO connectors.
type EnterpriseSSO interface {
	// ConnectorForEmail returns the connector whose domains contain the
	// email's domain, or store.ErrNotFound.
	ConnectorForEmail(ctx context.Context, email string) (*SSOConnector, error)
	// OpenSSO returns the connector id and a provider built from it.
	OpenSSO(ctx context.Context, id string) (*SSOConnector, connector.Social, error)
	// AnySSO reports whether any SSO connector is configured.
	AnySSO(ctx context.Context) (bool, error)
}

// upstreamTTL bounds how long a sign-in may stay at the provider.
const upstreamTTL = 10 * time.Minute

// upstreamSignIn is a sign-in waiting at a provider. The state, nonce and
// PKCE verifier never leave the server except as the provider needs them.
type upstreamSignIn struct {
	Connector string `json:"connector"`
	SSO       bool   `json:"sso,omitempty"`
	State     string `json:"state"`
	Nonce     string `json:"nonce"`
	Verifier  string `json:"verifier"`
	Expires   int64  `json:"expires"`
}

// pendingLink is a provider account whose verified email belongs to an
// existing user, waiting for the person to choose to link it.
type pendingLink struct {
	Connector string               `json:"connector"`
	Target    string               `json:"target"`
	UserID    string               `json:"user_id"`
	Account   connector.SocialUser `json:"account"`
}

// callbackURL is where a provider sends the browser back.
func (p *Pages) callbackURL(connectorID string) string {
	return p.opt.Endpoint + "/callback/" + connectorID
}

// socialButton is a "Continue with ..." link of the sign-in page.
type socialButton struct {
	Target, Name, Logo, LogoDark, URL string
}

// socialButtons lists the social connectors the settings show, in the
// order of socialSignInConnectorTargets.
func (p *Pages) socialButtons(q request, in *oidc.Interaction) []socialButton {
	if p.opt.Social == nil || len(q.settings.SocialSignInConnectorTargets) == 0 {
		return nil
	}
	list, err := p.opt.Social.List(q.ctx)
	if err != nil {
		p.log.Error("listing social connectors failed", "err", err)
		return nil
	}
	var out []socialButton
	for _, target := range q.settings.SocialSignInConnectorTargets {
		for _, c := range list {
			if c.Factory.Type != connector.TypeSocial || c.Target() != target {
				continue
			}
			b := socialButton{Target: target, Name: localized(c.DisplayName(), q.tr.Lang()), Logo: c.Logo(),
				URL: "/sign-in/" + in.ID + "/social/" + c.ID}
			if d := c.LogoDark(); d != "" {
				b.LogoDark = d
			}
			out = append(out, b)
			break // one button per target
		}
	}
	return out
}

// localized picks a language's entry of a name map, falling back to "en".
func localized(names map[string]string, lang string) string {
	if n := names[lang]; n != "" {
		return n
	}
	if base, _, ok := strings.Cut(lang, "-"); ok && names[base] != "" {
		return names[base]
	}
	if n := names["en"]; n != "" {
		return n
	}
	for _, n := range names {
		return n
	}
	return ""
}

// ssoAvailable reports whether the sign-in page offers enterprise SSO.
func (p *Pages) ssoAvailable(q request) bool {
	if p.opt.SSO == nil || !q.settings.SingleSignOnEnabled {
		return false
	}
	ok, err := p.opt.SSO.AnySSO(q.ctx)
	if err != nil {
		p.log.Error("listing SSO connectors failed", "err", err)
	}
	return ok
}

// startSocial sends the browser to a social connector's provider.
func (p *Pages) startSocial(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	if p.opt.Social == nil {
		p.unavailable(w, r, store.ErrNotFound)
		return
	}
	c, provider, err := p.opt.Social.Social(r.Context(), r.PathValue("connector"))
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	q := p.begin(r, in.UILocales)
	if !slices.Contains(q.settings.SocialSignInConnectorTargets, c.Target()) {
		p.unavailable(w, r, store.ErrNotFound)
		return
	}
	p.redirectUpstream(w, r, in, c.ID, false, provider, q.tr.Lang())
}

// startSSO sends the browser to an enterprise SSO connector's provider.
func (p *Pages) startSSO(w http.ResponseWriter, r *http.Request, in *oidc.Interaction) {
	q := p.begin(r, in.UILocales)
	if !p.ssoAvailable(q) {
		p.unavailable(w, r, store.ErrNotFound)
		return
	}
	c, provider, err := p.opt.SSO.OpenSSO(r.Context(), r.PathValue("connector"))
	if err != nil {
		p.unavailable(w, r, err)
		return
	}
	p.redirectUpstream(w, r, in, c.ID, true, provider, q.tr.Lang())
}

// unavailable shows why a connector cannot be used: it does not exist
// (or is not offered), or opening it failed.
func (p *Pages) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if isNotFound(err) {
		p.errorPage(w, r, http.StatusNotFound, "social.unavailable.title", "social.unavailable.detail")
		return
	}
	p.serverError(w, r, err)
}

// redirectUpstream stores a fresh state, nonce and PKCE verifier with the
// interaction and sends the browser to the provider. The state starts with
// the interaction id, so the callback finds the interaction without it
// being in the callback URL; the browser's interaction cookie still has to
// match it.
func (p *Pages) redirectUpstream(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, connectorID string, sso bool, provider connector.Social, lang string) {
	// SAML limits RelayState to 80 bytes: 43 + 1 + 22 fits.
	up := &upstreamSignIn{Connector: connectorID, SSO: sso, State: in.ID + "." + id.New(22),
		Nonce: id.Token(), Verifier: id.Token(), Expires: p.opt.Now().Add(upstreamTTL).UnixMilli()}
	f := loadFlow(in)
	f.Upstream, f.Link = up, nil
	if err := p.saveFlow(r, in, f); err != nil {
		p.interactionError(w, r, err)
		return
	}
	target, err := provider.AuthorizationURL(r.Context(), connector.AuthRequest{State: up.State, Nonce: up.Nonce,
		CodeVerifier: up.Verifier, RedirectURI: p.callbackURL(connectorID), Locale: lang})
	if err != nil {
		p.log.Error("building the provider's authorization URL failed", "connector", connectorID, "err", err)
		p.errorPage(w, r, http.StatusBadGateway, "social.failed.title", "social.failed.detail")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
}

// stashedCallbackTTL bounds the life of a posted callback waiting for the
// browser's GET.
const stashedCallbackTTL = 2 * time.Minute

// callbackPost takes a callback posted by the provider (Apple's
// response_mode=form_post, a SAML response). A cross-site POST carries no
// SameSite=Lax cookie, so the interaction cannot be checked here: the
// posted fields are kept server-side under a random handle and the browser
// is sent to GET the callback, a top-level navigation that does carry the
// cookie. Nothing the provider posted is trusted before that.
func (p *Pages) callbackPost(w http.ResponseWriter, r *http.Request) {
	// Anyone can post here, so what is kept is bounded: a size, a shape,
	// and a number of posts per address.
	ipKey := "callback-ip:" + p.opt.ClientIP(r)
	if wait, blocked := p.posts.Blocked(ipKey); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		p.errorPage(w, r, http.StatusTooManyRequests, "page.refused.title", "page.invalid_form.detail")
		return
	}
	p.posts.Fail(ipKey)
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "page.invalid_form.title", "page.invalid_form.detail")
		return
	}
	state := r.PostForm.Get("state")
	if state == "" {
		state = r.PostForm.Get("RelayState")
	}
	if interactionID, _, ok := strings.Cut(state, "."); !ok || interactionID == "" || len(state) > 80 {
		p.errorPage(w, r, http.StatusBadRequest, "page.expired.title", "page.expired.detail")
		return
	}
	payload, err := json.Marshal(r.PostForm)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	handle := id.Token()
	err = p.store.PutObject(r.Context(), &store.OIDCObject{Kind: store.KindUpstreamCallback, ID: digestHex(handle),
		Payload: payload, ExpiresAt: p.opt.Now().Add(stashedCallbackTTL).UnixMilli()})
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/callback/"+url.PathEscape(r.PathValue("connector"))+"?posted="+handle, http.StatusSeeOther)
}

func digestHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// callback ends a sign-in at a provider: it finds the interaction by the
// state, checks the state against the one stored with it (constant time,
// single use), lets the connector check the rest, and signs the account in.
func (p *Pages) callback(w http.ResponseWriter, r *http.Request) {
	connectorID := r.PathValue("connector")
	params := r.URL.Query()
	if handle := params.Get("posted"); handle != "" {
		obj, err := p.store.ConsumeObject(r.Context(), store.KindUpstreamCallback, digestHex(handle), p.opt.Now().UnixMilli())
		if err != nil {
			p.errorPage(w, r, http.StatusBadRequest, "page.expired.title", "page.expired.detail")
			return
		}
		params = url.Values{}
		if err := json.Unmarshal(obj.Payload, &params); err != nil {
			p.serverError(w, r, err)
			return
		}
	}
	state := params.Get("state")
	if state == "" {
		state = params.Get("RelayState") // SAML's HTTP-POST binding
	}
	interactionID, _, _ := strings.Cut(state, ".")
	in, err := p.provider.Interaction(r, interactionID)
	if err != nil {
		p.interactionError(w, r, err)
		return
	}
	f := loadFlow(in)
	up := f.Upstream
	if up == nil || up.Connector != connectorID || p.opt.Now().UnixMilli() > up.Expires ||
		subtle.ConstantTimeCompare([]byte(state), []byte(up.State)) != 1 {
		p.recordUpstream(r, in, connectorID, nil, nil, errCodeStateMismatch, "The state of the provider's answer does not match this sign-in.")
		p.upstreamFailed(w, r, in, http.StatusBadRequest, "social.state.detail")
		return
	}
	// The state is single use: forget it before anything else happens.
	f.Upstream = nil
	if err := p.saveFlow(r, in, f); err != nil {
		p.interactionError(w, r, err)
		return
	}
	cb := connector.Callback{Params: params, State: up.State, RedirectURI: p.callbackURL(connectorID), Nonce: up.Nonce, CodeVerifier: up.Verifier}
	if up.SSO {
		p.ssoCallback(w, r, in, connectorID, cb)
		return
	}
	p.socialCallback(w, r, in, connectorID, cb)
}

// upstreamFailed shows why a provider sign-in failed, with a way back.
func (p *Pages) upstreamFailed(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, status int, detailKey string) {
	q := p.begin(r, in.UILocales)
	p.render(w, status, "message", in, struct {
		page
		Detail, LinkURL, LinkText string
	}{q.page("social.failed.title"), q.tr.T(detailKey), "/sign-in/" + in.ID, q.tr.T("action.back_to_sign_in")})
}

// providerFailure logs a connector's error and shows the matching page.
func (p *Pages) providerFailure(w http.ResponseWriter, r *http.Request, in *oidc.Interaction, connectorID string, err error) {
	var upErr *connector.UpstreamError
	switch {
	case errors.As(err, &upErr) && upErr.Code == "access_denied":
		p.recordUpstream(r, in, connectorID, nil, nil, errCodeUpstreamDenied, "The identity provider reported access_denied.")
		p.upstreamFailed(w, r, in, http.StatusBadRequest, "social.denied.detail")
	case errors.As(err, &upErr):
		p.log.Warn("identity provider reported an error", "connector", connectorID, "err", err)
		p.recordUpstream(r, in, connectorID, nil, nil, errCodeUpstreamError, "The identity provider reported an error: "+upErr.Code)
		p.upstreamFailed(w, r, in, http.StatusBadGateway, "social.failed.detail")
	case errors.Is(err, connector.ErrInvalidResponse):
		p.log.Warn("identity provider's answer refused", "connector", connectorID, "err", err)
		p.recordUpstream(r, in, connectorID, nil, nil, errCodeUpstreamInvalid, "The identity provider's answer could not be verified.")
		p.upstreamFailed(w, r, in, http.StatusBadRequest, "social.invalid.detail")
	default:
		p.log.Error("signing in with the identity provider failed", "connector", connectorID, "err", err)
		p.recordUpstream(r, in, connectorID, nil, nil, errCodeUpstreamError, "The identity provider could not be reached or answered badly.")
		p.upstreamFailed(w, r, in, http.StatusBadGateway, "social.failed.detail")
	}
}

// recordUpstream writes a provider sign-in to the audit log.
func (p *Pages) recordUpstream(r *http.Request, in *oidc.Interaction, connectorID string, u *store.User, account *connector.SocialUser, code, message string) {
	if p.opt.Audit == nil {
		return
	}
	e := audit.Entry{Key: audit.SignInSubmit, IP: p.opt.ClientIP(r), UserAgent: r.UserAgent(), At: p.opt.Now(),
		ApplicationID: in.ClientID, InteractionID: audit.Ref("interaction", in.ID)}
	if u != nil {
		e.UserID = u.ID
	}
	params := map[string]any{"method": "Social", "connectorId": connectorID}
	if account != nil {
		params["identifier"] = map[string]string{"type": "social", "value": account.ID}
	}
	e.Params = params
	if code != "" {
		e.Result = audit.Error
		e.Error = map[string]any{"code": code, "message": message}
	}
	p.opt.Audit.Log(e)
}
