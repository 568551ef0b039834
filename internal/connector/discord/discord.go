// Package discord is the Discord social connector, Logto's
// "discord-universal": OAuth 2.0 with PKCE, then the account from
// /users/@me.
//
// The account id is Discord's snowflake user id. The email is kept only
// when Discord says it is verified (the "verified" member of the user).
package discord

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
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

const maxBody = 1 << 20

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
			_, err := parseConfig(raw)
			return err
		},
		NewSocial: func(raw json.RawMessage, env connector.Env) (connector.Social, error) {
			cfg, err := parseConfig(raw)
			if err != nil {
				return nil, err
			}
			client := env.HTTPClient
			if client == nil {
				client = connector.DefaultHTTPClient()
			}
			return &provider{cfg: cfg, client: client}, nil
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

type config struct {
	clientID, clientSecret, scope string
}

func parseConfig(raw json.RawMessage) (config, error) {
	var c struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		Scope        string `json:"scope"`
	}
	if err := decodeConfig(raw, &c); err != nil {
		return config{}, err
	}
	switch {
	case strings.TrimSpace(c.ClientID) == "":
		return config{}, &connector.ConfigError{Field: "clientId", Reason: "is required"}
	case c.ClientSecret == "":
		return config{}, &connector.ConfigError{Field: "clientSecret", Reason: "is required"}
	}
	return config{clientID: strings.TrimSpace(c.ClientID), clientSecret: c.ClientSecret, scope: strings.TrimSpace(c.Scope)}, nil
}

// decodeConfig decodes a config object into v, naming the field whose value
// has the wrong type.
func decodeConfig(raw json.RawMessage, v any) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return &connector.ConfigError{Reason: "expected an object"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &connector.ConfigError{Field: te.Field, Reason: "expected a " + te.Type.String()}
		}
		return &connector.ConfigError{Reason: "expected an object"}
	}
	return nil
}

type provider struct {
	cfg    config
	client *http.Client
}

func (p *provider) oauth(redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.clientID,
		ClientSecret: p.cfg.clientSecret,
		RedirectURL:  redirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: AuthorizationEndpoint, TokenURL: TokenEndpoint,
			AuthStyle: oauth2.AuthStyleInParams},
	}
}

// AuthorizationURL sends the browser to Discord's consent page with an S256
// PKCE challenge of req.CodeVerifier.
func (p *provider) AuthorizationURL(_ context.Context, req connector.AuthRequest) (string, error) {
	if req.State == "" || req.RedirectURI == "" {
		return "", errors.New("discord: authorization request without state or redirect URI")
	}
	scope := p.cfg.scope
	if scope == "" {
		scope = DefaultScope
	}
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("scope", scope)}
	if req.CodeVerifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(req.CodeVerifier))
	}
	return p.oauth(req.RedirectURI).AuthCodeURL(req.State, opts...), nil
}

// UserInfo exchanges the callback's code and reads the account.
func (p *provider) UserInfo(ctx context.Context, cb connector.Callback) (*connector.SocialUser, error) {
	if err := connector.CallbackError(cb.Params); err != nil {
		return nil, err
	}
	code := cb.Params.Get("code")
	if code == "" {
		return nil, fmt.Errorf("discord: %w: the callback carries no code", connector.ErrInvalidResponse)
	}
	var opts []oauth2.AuthCodeOption
	if cb.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(cb.CodeVerifier))
	}
	tok, err := p.oauth(cb.RedirectURI).Exchange(context.WithValue(ctx, oauth2.HTTPClient, p.client), code, opts...)
	if err != nil {
		return nil, tokenError(err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, UserEndpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("discord: building request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discord: calling %s: %w", UserEndpoint, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("discord: reading %s: %w", UserEndpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		json.Unmarshal(body, &e)
		return nil, &connector.UpstreamError{Code: "http_" + strconv.Itoa(resp.StatusCode), Description: clip("Discord users/@me: " + e.Message)}
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

// tokenError maps a failed code exchange: Discord answers RFC 6749 errors
// ({"error", "error_description"} with 400 or 401).
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return &connector.UpstreamError{Code: re.ErrorCode, Description: clip(re.ErrorDescription)}
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return &connector.UpstreamError{Code: "http_" + strconv.Itoa(status), Description: "Discord's token endpoint answered HTTP " + strconv.Itoa(status)}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("discord: calling the token endpoint: %w", ue.Err)
	}
	return fmt.Errorf("discord: %w: token response: %v", connector.ErrInvalidResponse, err)
}

// unwrapURLError drops the request URL from a transport error.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// clip bounds a provider's message before it reaches logs and pages.
func clip(s string) string {
	const max = 300
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// logo draws a monogram in Discord's colours: Gatehouse ships no
// third-party artwork.
func logo(bg, fg string) string {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="1" y="1" width="22" height="22" rx="6" fill="` + bg +
		`"/><text x="12" y="16.6" font-family="Helvetica,Arial,sans-serif" font-size="12" font-weight="700" text-anchor="middle" fill="` +
		fg + `">D</text></svg>`
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}
