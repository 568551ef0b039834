// Package signinexp holds the sign-in experience settings: branding,
// sign-in and sign-up methods, password policy, languages and the rest of
// Logto's SignInExperience document, with Logto's defaults and validation.
package signinexp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// settingKey is where the document lives in the settings table.
const settingKey = "sign-in-experience"

// Identifier kinds a user signs in or up with.
const (
	Username = "username"
	Email    = "email"
	Phone    = "phone"
)

// Settings is Logto's SignInExperience.
type Settings struct {
	TenantID                     string            `json:"tenantId"`
	ID                           string            `json:"id"`
	Color                        Color             `json:"color"`
	Branding                     Branding          `json:"branding"`
	HideLogtoBranding            bool              `json:"hideLogtoBranding"`
	LanguageInfo                 LanguageInfo      `json:"languageInfo"`
	TermsOfUseURL                *string           `json:"termsOfUseUrl"`
	PrivacyPolicyURL             *string           `json:"privacyPolicyUrl"`
	AgreeToTermsPolicy           string            `json:"agreeToTermsPolicy"`
	SignIn                       SignIn            `json:"signIn"`
	SignUp                       SignUp            `json:"signUp"`
	SocialSignIn                 SocialSignIn      `json:"socialSignIn"`
	SocialSignInConnectorTargets []string          `json:"socialSignInConnectorTargets"`
	SignInMode                   string            `json:"signInMode"`
	CustomCSS                    *string           `json:"customCss"`
	CustomContent                map[string]string `json:"customContent"`
	CustomUIAssets               json.RawMessage   `json:"customUiAssets"`
	CustomUICsp                  json.RawMessage   `json:"customUiCsp"`
	PasswordPolicy               PasswordPolicy    `json:"passwordPolicy"`
	MFA                          json.RawMessage   `json:"mfa"`
	AdaptiveMFA                  json.RawMessage   `json:"adaptiveMfa"`
	SingleSignOnEnabled          bool              `json:"singleSignOnEnabled"`
	SupportEmail                 *string           `json:"supportEmail"`
	SupportWebsiteURL            *string           `json:"supportWebsiteUrl"`
	UnknownSessionRedirectURL    *string           `json:"unknownSessionRedirectUrl"`
	CaptchaPolicy                json.RawMessage   `json:"captchaPolicy"`
	SentinelPolicy               SentinelPolicy    `json:"sentinelPolicy"`
	EmailBlocklistPolicy         json.RawMessage   `json:"emailBlocklistPolicy"`
	VerificationCodePolicy       json.RawMessage   `json:"verificationCodePolicy"`
	ForgotPasswordMethods        []string          `json:"forgotPasswordMethods"`
	PasskeySignIn                json.RawMessage   `json:"passkeySignIn"`
	SignUpProfileFields          json.RawMessage   `json:"signUpProfileFields"`
	PasswordExpiration           json.RawMessage   `json:"passwordExpiration"`
	UsernamePolicy               json.RawMessage   `json:"usernamePolicy"`
}

// Color is the page's brand colours.
type Color struct {
	PrimaryColor      string `json:"primaryColor"`
	IsDarkModeEnabled bool   `json:"isDarkModeEnabled"`
	DarkPrimaryColor  string `json:"darkPrimaryColor"`
}

// Branding is the page's logos.
type Branding struct {
	LogoURL     string `json:"logoUrl,omitempty"`
	DarkLogoURL string `json:"darkLogoUrl,omitempty"`
	Favicon     string `json:"favicon,omitempty"`
	DarkFavicon string `json:"darkFavicon,omitempty"`
}

// LanguageInfo chooses the page's language.
type LanguageInfo struct {
	AutoDetect       bool   `json:"autoDetect"`
	FallbackLanguage string `json:"fallbackLanguage"`
}

// SignIn lists the ways to sign in, in the order the page offers them.
type SignIn struct {
	Methods []SignInMethod `json:"methods"`
}

// SignInMethod is one identifier and how it is verified.
type SignInMethod struct {
	Identifier        string `json:"identifier"`
	Password          bool   `json:"password"`
	VerificationCode  bool   `json:"verificationCode"`
	IsPasswordPrimary bool   `json:"isPasswordPrimary"`
}

// SignUp says what a new account must give.
type SignUp struct {
	Identifiers          []string              `json:"identifiers"`
	Password             bool                  `json:"password"`
	Verify               bool                  `json:"verify"`
	SecondaryIdentifiers []SecondaryIdentifier `json:"secondaryIdentifiers,omitempty"`
}

// SecondaryIdentifier is an identifier asked for after the first.
type SecondaryIdentifier struct {
	Identifier string `json:"identifier"`
	Verify     *bool  `json:"verify,omitempty"`
}

// SocialSignIn sets account linking for social sign-in.
type SocialSignIn struct {
	AutomaticAccountLinking *bool `json:"automaticAccountLinking,omitempty"`
	SkipRequiredIdentifiers *bool `json:"skipRequiredIdentifiers,omitempty"`
}

// PasswordPolicy is Logto's password policy.
type PasswordPolicy struct {
	Length struct {
		Min int `json:"min"`
		Max int `json:"max"`
	} `json:"length"`
	CharacterTypes struct {
		Min int `json:"min"`
	} `json:"characterTypes"`
	Rejects struct {
		Pwned                 bool     `json:"pwned"`
		RepetitionAndSequence bool     `json:"repetitionAndSequence"`
		UserInfo              bool     `json:"userInfo"`
		Words                 []string `json:"words"`
	} `json:"rejects"`
}

// SentinelPolicy sets the lockout after failed sign-ins.
type SentinelPolicy struct {
	MaxAttempts     *int `json:"maxAttempts,omitempty"`
	LockoutDuration *int `json:"lockoutDuration,omitempty"` // minutes
}

// Default returns the settings a new deployment starts with: Logto's seed.
func Default() *Settings {
	s := &Settings{
		TenantID: "default", ID: "default",
		Color:              Color{PrimaryColor: "#6139F6", DarkPrimaryColor: "#8768F8"},
		Branding:           Branding{},
		LanguageInfo:       LanguageInfo{AutoDetect: true, FallbackLanguage: "en"},
		AgreeToTermsPolicy: "Automatic",
		// Logto seeds username only; Gatehouse also offers email so that a
		// fresh install signs in users created with just an email.
		SignIn: SignIn{Methods: []SignInMethod{
			{Identifier: Username, Password: true, IsPasswordPrimary: true},
			{Identifier: Email, Password: true, IsPasswordPrimary: true},
		}},
		SignUp:                       SignUp{Identifiers: []string{Username}, Password: true},
		SocialSignInConnectorTargets: []string{},
		SignInMode:                   "SignInAndRegister",
		CustomContent:                map[string]string{},
		CustomUIAssets:               json.RawMessage("null"),
		CustomUICsp:                  json.RawMessage("{}"),
		MFA:                          json.RawMessage(`{"policy":"UserControlled","factors":[]}`),
		AdaptiveMFA:                  json.RawMessage("{}"),
		CaptchaPolicy:                json.RawMessage("{}"),
		EmailBlocklistPolicy:         json.RawMessage("{}"),
		VerificationCodePolicy:       json.RawMessage("{}"),
		ForgotPasswordMethods:        []string{},
		PasskeySignIn:                json.RawMessage("{}"),
		SignUpProfileFields:          json.RawMessage("null"),
		PasswordExpiration:           json.RawMessage("{}"),
		UsernamePolicy:               json.RawMessage("{}"),
	}
	s.PasswordPolicy = DefaultPasswordPolicy()
	return s
}

// DefaultPasswordPolicy is Logto's default policy.
func DefaultPasswordPolicy() PasswordPolicy {
	var p PasswordPolicy
	p.Length.Min, p.Length.Max = 8, 256
	p.CharacterTypes.Min = 1
	p.Rejects.Pwned, p.Rejects.RepetitionAndSequence, p.Rejects.UserInfo = true, true, true
	p.Rejects.Words = []string{}
	return p
}

// Load returns the stored settings, or the defaults when none are stored.
func Load(ctx context.Context, st store.Settings) (*Settings, error) {
	raw, err := st.GetSetting(ctx, settingKey)
	if errors.Is(err, store.ErrNotFound) {
		return Default(), nil
	} else if err != nil {
		return nil, err
	}
	s := Default()
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, fmt.Errorf("stored sign-in experience is not valid: %w", err)
	}
	return s, nil
}

// Save validates and stores s.
func Save(ctx context.Context, st store.Settings, s *Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return st.PutSetting(ctx, settingKey, raw)
}

// InvalidError names the setting that is wrong and why.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

var hexColor = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

// Validate checks the settings are coherent: the page can only offer what
// the settings make possible.
func (s *Settings) Validate() error {
	if !hexColor.MatchString(s.Color.PrimaryColor) {
		return &InvalidError{"color.primaryColor", "must be a hex colour like #6139F6"}
	}
	if s.Color.DarkPrimaryColor != "" && !hexColor.MatchString(s.Color.DarkPrimaryColor) {
		return &InvalidError{"color.darkPrimaryColor", "must be a hex colour like #8768F8"}
	}
	for field, u := range map[string]string{"branding.logoUrl": s.Branding.LogoURL, "branding.darkLogoUrl": s.Branding.DarkLogoURL,
		"branding.favicon": s.Branding.Favicon, "branding.darkFavicon": s.Branding.DarkFavicon} {
		if u != "" && !httpURL(u) {
			return &InvalidError{field, "must be an http(s) URL"}
		}
	}
	for field, u := range map[string]*string{"termsOfUseUrl": s.TermsOfUseURL, "privacyPolicyUrl": s.PrivacyPolicyURL,
		"supportWebsiteUrl": s.SupportWebsiteURL, "unknownSessionRedirectUrl": s.UnknownSessionRedirectURL} {
		if u != nil && *u != "" && !httpURL(*u) {
			return &InvalidError{field, "must be an http(s) URL"}
		}
	}
	if !slices.Contains([]string{"Automatic", "ManualRegistrationOnly", "Manual"}, s.AgreeToTermsPolicy) {
		return &InvalidError{"agreeToTermsPolicy", "must be Automatic, ManualRegistrationOnly or Manual"}
	}
	if !slices.Contains([]string{"SignIn", "Register", "SignInAndRegister"}, s.SignInMode) {
		return &InvalidError{"signInMode", "must be SignIn, Register or SignInAndRegister"}
	}
	seen := map[string]bool{}
	for i, m := range s.SignIn.Methods {
		field := fmt.Sprintf("signIn.methods[%d]", i)
		if !isIdentifier(m.Identifier) {
			return &InvalidError{field + ".identifier", "must be username, email or phone"}
		}
		if seen[m.Identifier] {
			return &InvalidError{field + ".identifier", m.Identifier + " is listed twice"}
		}
		seen[m.Identifier] = true
		if !m.Password && !m.VerificationCode {
			return &InvalidError{field, "needs password or verificationCode"}
		}
		if m.Identifier == Username && !m.Password {
			return &InvalidError{field + ".password", "username sign-in needs a password"}
		}
	}
	for i, id := range s.SignUp.Identifiers {
		if !isIdentifier(id) {
			return &InvalidError{fmt.Sprintf("signUp.identifiers[%d]", i), "must be username, email or phone"}
		}
		if s.SignInMode != "SignIn" && !seen[id] {
			return &InvalidError{"signIn.methods", "sign-up identifier " + id + " must also be a sign-in method"}
		}
	}
	if s.SignUp.Verify == false {
		for _, id := range s.SignUp.Identifiers {
			if id != Username && !s.SignUp.Password {
				return &InvalidError{"signUp.verify", "an " + id + " sign-up without a password must verify it"}
			}
		}
	}
	for i, m := range s.ForgotPasswordMethods {
		if m != "EmailVerificationCode" && m != "PhoneVerificationCode" {
			return &InvalidError{fmt.Sprintf("forgotPasswordMethods[%d]", i), "must be EmailVerificationCode or PhoneVerificationCode"}
		}
	}
	if err := s.LanguageInfo.validate(); err != nil {
		return err
	}
	return s.PasswordPolicy.validate()
}

func (l LanguageInfo) validate() error {
	if l.FallbackLanguage == "" {
		return &InvalidError{"languageInfo.fallbackLanguage", "is required"}
	}
	return nil
}

func (p PasswordPolicy) validate() error {
	if p.Length.Min < 1 || p.Length.Max < p.Length.Min || p.Length.Max > 256 {
		return &InvalidError{"passwordPolicy.length", "needs 1 <= min <= max <= 256"}
	}
	if p.CharacterTypes.Min < 1 || p.CharacterTypes.Min > 4 {
		return &InvalidError{"passwordPolicy.characterTypes.min", "must be from 1 to 4"}
	}
	return nil
}

func isIdentifier(s string) bool { return s == Username || s == Email || s == Phone }

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
