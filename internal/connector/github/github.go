// Package github is the GitHub social connector, Logto's "github-universal":
// the OAuth app web flow with PKCE, then the account from GitHub's REST API.
//
// The account id is GitHub's numeric user id, which survives renames. The
// email is the primary address of /user/emails when GitHub marks it
// verified, and nothing otherwise: the email /user shows is whatever the
// user made public, which GitHub does not promise is verified.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"
)

// FactoryID is Logto's id of the GitHub connector.
const FactoryID = "github-universal"

// GitHub's endpoints.
const (
	AuthorizationEndpoint = "https://github.com/login/oauth/authorize"
	TokenEndpoint         = "https://github.com/login/oauth/access_token"
	UserEndpoint          = "https://api.github.com/user"
	EmailsEndpoint        = "https://api.github.com/user/emails"
)

// DefaultScope is requested when the config has none: the profile and the
// email addresses (Logto's default).
const DefaultScope = "read:user user:email"

// Factory returns the github-universal factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:           connector.TypeSocial,
		SingleInstance: true,
		Secrets:        [][]string{{"clientSecret"}},
		Metadata: connector.Metadata{
			ID:       FactoryID,
			Target:   "github",
			Platform: &platform,
			Name:     map[string]string{"en": "GitHub", "zh-CN": "GitHub", "tr-TR": "GitHub", "ko": "GitHub"},
			Logo:     logo("#24292f", "#ffffff"),
			LogoDark: ptr(logo("#f0f6fc", "#24292f")),
			Description: map[string]string{
				"en": "GitHub is an online community for software development and version control.",
			},
			Readme: readme,
			FormItems: []connector.FormItem{
				{Type: connector.FormText, Key: "clientId", Label: "Client ID", Required: true, Placeholder: "<client-id>"},
				{Type: connector.FormText, Key: "clientSecret", Label: "Client Secret", Required: true, Placeholder: "<client-secret>", IsConfidential: true},
				{Type: connector.FormMultilineText, Key: "scope", Label: "Scope", Placeholder: "Enter the scopes (separated by a space)",
					Description: "The `scope` determines permissions granted by the user's authorization. Leave it empty for `" + DefaultScope + "`."},
			},
		},
		Validate: func(raw json.RawMessage) error {
			_, err := oidcrp.ParseClient(raw)
			return err
		},
		NewSocial: func(raw json.RawMessage, env connector.Env) (connector.Social, error) {
			cfg, err := oidcrp.ParseClient(raw)
			if err != nil {
				return nil, err
			}
			rp := oidcrp.New(env)
			return &provider{cfg: cfg, rp: rp, tokenRP: rp.WithHeader("Accept", "application/json")}, nil
		},
	}
}

const readme = "# GitHub\n\n" +
	"Sign in with a GitHub account through a GitHub OAuth app.\n\n" +
	"1. On GitHub, open Settings → Developer settings → OAuth Apps → New OAuth App.\n" +
	"2. Set **Authorization callback URL** to `<ENDPOINT>/callback/<connector id>`.\n" +
	"3. Copy the **Client ID** into `clientId`, generate a client secret and copy it into `clientSecret`.\n" +
	"4. Leave `scope` empty for `" + DefaultScope + "`; scopes you set replace the default, so keep `user:email` to get the email.\n\n" +
	"Gatehouse uses PKCE, keeps GitHub's numeric user id as the identity, and takes the primary email only when GitHub marks it verified.\n"

type provider struct {
	cfg     oidcrp.Client
	rp      *oidcrp.RP
	tokenRP *oidcrp.RP // rp, asking for JSON answers: without it GitHub's token endpoint answers form-encoded
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	return p.cfg.OAuth2(AuthorizationEndpoint, TokenEndpoint, redirectURI)
}

// AuthorizationURL sends the browser to GitHub's consent page with an S256
// PKCE challenge of req.CodeVerifier (GitHub accepts no other method).
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" || req.RedirectURI == "" {
		return "", errors.New("github: authorization request without state or redirect URI")
	}
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("scope", p.cfg.ScopeOr(DefaultScope))}
	opts = append(opts, oidcrp.PKCEChallenge(req.CodeVerifier)...)
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

// UserInfo exchanges the callback's code and reads the account.
func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	code, err := oidcrp.Code(cb.Params)
	if err != nil {
		return nil, err
	}
	// GitHub answers token errors with HTTP 200 and an "error" member,
	// which x/oauth2 reports as errors.
	tok, err := p.tokenRP.Exchange(ctx, p.oauth(cb.RedirectURI), code, oidcrp.PKCE(cb.CodeVerifier)...)
	if err != nil {
		return nil, err
	}

	var user struct {
		ID        json.Number `json:"id"`
		Login     string      `json:"login"`
		Name      *string     `json:"name"`
		AvatarURL *string     `json:"avatar_url"`
	}
	rawUser, status, err := p.get(ctx, UserEndpoint, tok.AccessToken, &user)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, apiError("user", status, rawUser)
	}
	id, err := strconv.ParseUint(user.ID.String(), 10, 64)
	if err != nil || id == 0 {
		return nil, fmt.Errorf("github: %w: the user has no numeric id", connector.ErrInvalidResponse)
	}

	// Without the user:email scope GitHub answers 404 here; the sign-in
	// goes on without an email, as Logto's does.
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	rawEmails, status, err := p.get(ctx, EmailsEndpoint, tok.AccessToken, &emails)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusUnauthorized:
		return nil, apiError("user/emails", status, rawEmails)
	case status != http.StatusOK:
		emails, rawEmails = nil, json.RawMessage("[]")
	}

	out := &connector.SocialUser{ID: strconv.FormatUint(id, 10)}
	for _, e := range emails {
		if e.Primary && e.Verified {
			out.Email = e.Email
		}
	}
	if user.Name != nil && strings.TrimSpace(*user.Name) != "" {
		out.Name = *user.Name
	} else {
		out.Name = user.Login
	}
	if user.AvatarURL != nil {
		out.Avatar = *user.AvatarURL
	}
	// Logto keeps both documents, under these names.
	out.RawData, _ = json.Marshal(map[string]json.RawMessage{"userInfo": rawUser, "userEmails": rawEmails})
	return out, nil
}

// get reads a REST API resource as the user. A 2xx body is decoded into v;
// an error is returned for transport failures and undecodable 2xx bodies
// only, so that the caller decides what each status means.
func (p *provider) get(ctx context.Context, endpoint, accessToken string, v any) (json.RawMessage, int, error) {
	status, body, err := p.rp.Get(ctx, endpoint, accessToken, apiHeader)
	if err != nil {
		return nil, 0, err
	}
	if status/100 != 2 {
		return body, status, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return nil, status, fmt.Errorf("github: %w: %s is not the expected JSON: %v", connector.ErrInvalidResponse, endpoint, err)
	}
	return body, http.StatusOK, nil
}

// apiHeader is what every REST API request carries besides the token.
var apiHeader = http.Header{
	"Accept":               {"application/vnd.github+json"},
	"X-GitHub-Api-Version": {"2022-11-28"},
	"User-Agent":           {"Gatehouse"},
}

// apiError turns a REST API error ({"message": ...}) into an UpstreamError.
func apiError(what string, status int, body []byte) error {
	var e struct {
		Message string `json:"message"`
	}
	json.Unmarshal(body, &e)
	return &connector.UpstreamError{Code: "http_" + strconv.Itoa(status), Description: oidcrp.Clip("GitHub " + what + ": " + e.Message)}
}

func ptr[T any](v T) *T { return &v }

// logo draws a monogram in GitHub's colours (bg behind, fg in front):
// Gatehouse ships no third-party artwork.
func logo(bg, fg string) string {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="11" fill="` + bg +
		`"/><text x="12" y="16.2" font-family="Helvetica,Arial,sans-serif" font-size="10.5" font-weight="700" text-anchor="middle" fill="` +
		fg + `">GH</text></svg>`
	return oidcrp.LogoURI(svg)
}
