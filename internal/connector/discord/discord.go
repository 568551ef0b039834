// Package discord is the Discord social connector, Logto's
// "discord-universal": OAuth 2.0 with PKCE, then the account from
// /users/@me.
//
// The account id is Discord's snowflake user id. The email is kept only
// when Discord says it is verified (the "verified" member of the user).
package discord

import (
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

// FactoryID is Logto's id of the Discord connector.
const FactoryID = "discord-universal"

// Discord's endpoints, on API version 10 as Logto's connector uses.
const (
	AuthorizationEndpoint = "https://discord.com/oauth2/authorize"
	TokenEndpoint         = "https://discord.com/api/v10/oauth2/token"
	UserEndpoint          = "https://discord.com/api/v10/users/@me"
	// AvatarURLPrefix is followed by "<user id>/<avatar hash>.png".
	AvatarURLPrefix = "https://cdn.discordapp.com/avatars/"
)

// DefaultScope is requested when the config has none (Logto's default).
const DefaultScope = "identify email"

// Factory returns the discord-universal factory.
func Factory() *connector.Factory {
	platform := "Universal"
	return &connector.Factory{
		Type:           connector.TypeSocial,
		SingleInstance: true,
		Secrets:        [][]string{{"clientSecret"}},
		Metadata: connector.Metadata{
			ID:       FactoryID,
			Target:   "discord",
			Platform: &platform,
			Name:     map[string]string{"en": "Discord"},
			Logo:     logo("#5865f2", "#ffffff"),
			Description: map[string]string{
				"en": "Discord is the easiest way to talk over voice, video, and text.",
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
			return &provider{cfg: cfg, rp: oidcrp.New(env)}, nil
		},
	}
}

const readme = "# Discord\n\n" +
	"Sign in with a Discord account.\n\n" +
	"1. In the Discord Developer Portal (https://discord.com/developers/applications), create an application and open **OAuth2**.\n" +
	"2. Add the redirect `<ENDPOINT>/callback/<connector id>`.\n" +
	"3. Copy **Client ID** into `clientId` and **Client Secret** (Reset Secret) into `clientSecret`.\n" +
	"4. Leave `scope` empty for `" + DefaultScope + "`; keep `identify` and `email` if you set your own.\n\n" +
	"Gatehouse uses PKCE, keeps Discord's user id as the identity, and takes the email only when Discord marks it verified.\n"

type provider struct {
	cfg oidcrp.Client
	rp  *oidcrp.RP
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	return p.cfg.OAuth2(AuthorizationEndpoint, TokenEndpoint, redirectURI)
}

// AuthorizationURL sends the browser to Discord's consent page with an S256
// PKCE challenge of req.CodeVerifier.
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" || req.RedirectURI == "" {
		return "", errors.New("discord: authorization request without state or redirect URI")
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
	tok, err := p.rp.Exchange(ctx, p.oauth(cb.RedirectURI), code, oidcrp.PKCE(cb.CodeVerifier)...)
	if err != nil {
		return nil, err
	}

	status, body, err := p.rp.Get(ctx, UserEndpoint, tok.AccessToken, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		json.Unmarshal(body, &e)
		return nil, &connector.UpstreamError{Code: "http_" + strconv.Itoa(status), Description: oidcrp.Clip("Discord users/@me: " + e.Message)}
	}
	var me struct {
		ID         string  `json:"id"`
		Username   string  `json:"username"`
		GlobalName *string `json:"global_name"`
		Avatar     *string `json:"avatar"`
		Email      *string `json:"email"`
		Verified   *bool   `json:"verified"`
	}
	if err := json.Unmarshal(body, &me); err != nil {
		return nil, fmt.Errorf("discord: %w: users/@me is not the expected JSON: %v", connector.ErrInvalidResponse, err)
	}
	if me.ID == "" {
		return nil, fmt.Errorf("discord: %w: the user has no id", connector.ErrInvalidResponse)
	}
	out := &connector.SocialUser{ID: me.ID, Name: me.Username, RawData: body}
	// global_name is the display name; username is the unique handle.
	if me.GlobalName != nil && strings.TrimSpace(*me.GlobalName) != "" {
		out.Name = *me.GlobalName
	}
	if me.Avatar != nil && *me.Avatar != "" {
		// The id and hash go into a URL path: refuse anything but the
		// characters Discord uses rather than build a URL elsewhere.
		if !token(me.ID) || !token(*me.Avatar) {
			return nil, fmt.Errorf("discord: %w: malformed avatar hash", connector.ErrInvalidResponse)
		}
		out.Avatar = AvatarURLPrefix + me.ID + "/" + *me.Avatar + ".png"
	}
	if me.Email != nil && me.Verified != nil && *me.Verified {
		out.Email = *me.Email
	}
	return out, nil
}

// token reports whether s is a non-empty run of letters, digits and '_'.
func token(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}

// logo draws a monogram in Discord's colours: Gatehouse ships no
// third-party artwork.
func logo(bg, fg string) string {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="1" y="1" width="22" height="22" rx="6" fill="` + bg +
		`"/><text x="12" y="16.6" font-family="Helvetica,Arial,sans-serif" font-size="12" font-weight="700" text-anchor="middle" fill="` +
		fg + `">D</text></svg>`
	return oidcrp.LogoURI(svg)
}
