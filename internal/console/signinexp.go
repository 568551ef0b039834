package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/signinexp"
)

// The sign-in experience page edits the common settings of
// /api/sign-in-exp: branding, sign-in and sign-up methods, the password
// policy and languages. Sign-in methods are one choice per identifier.

var signInChoices = []option{{"off", "Not offered"}, {"password", "Password"}, {"code", "Verification code"}, {"both", "Password or verification code"}}
var signUpChoices = []option{{"", "No sign-up identifier"}, {"username", "Username"}, {"email", "Email address"}, {"phone", "Phone number"}, {"email,phone", "Email address or phone number"}}
var signInModes = []option{{"SignInAndRegister", "Sign in and sign up"}, {"SignIn", "Sign in only"}, {"Register", "Sign up only"}}
var languages = []option{{"en", "English"}, {"zh-CN", "简体中文 (Simplified Chinese)"}, {"es", "Español"}, {"fr", "Français"}, {"de", "Deutsch"}, {"ja", "日本語"}}
var charTypes = []option{{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}}

var signInExpFields = fieldMap{
	"color.primaryColor": "primaryColor", "color.darkPrimaryColor": "darkPrimaryColor",
	"branding.logoUrl": "logoUrl", "branding.darkLogoUrl": "darkLogoUrl", "branding.favicon": "favicon",
	"termsOfUseUrl": "termsOfUseUrl", "privacyPolicyUrl": "privacyPolicyUrl", "signInMode": "signInMode",
	"signIn.methods": "signIn.username", "signIn.methods[0]": "signIn.username", "signIn.methods[0].password": "signIn.username",
	"signUp.verify": "signUpVerify", "signUp.identifiers[0]": "signUpIdentifiers",
	"languageInfo.fallbackLanguage": "fallbackLanguage",
	"passwordPolicy.length":         "minLength", "passwordPolicy.characterTypes.min": "characterTypes",
}

func (c *Console) signInExpRoutes(mux *http.ServeMux) {
	mux.Handle("GET /sign-in-experience", c.get(c.showSignInExp))
	mux.Handle("POST /sign-in-experience", c.post(c.updateSignInExp))
}

type signInExpPage struct {
	Form                                                      *form
	SignInChoices, SignUpChoices, Modes, Languages, CharTypes []option
}

func (c *Console) renderSignInExp(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	c.render(w, r, s, status, "signinexp", view{Title: "Sign-in experience", Section: "signinexp", Data: signInExpPage{
		Form: f, SignInChoices: signInChoices, SignUpChoices: withCurrent(signUpChoices, f.Get("signUpIdentifiers")),
		Modes: signInModes, Languages: withCurrent(languages, f.Get("fallbackLanguage")), CharTypes: charTypes}})
}

// withCurrent adds the current value to the choices when it is none of
// them (set through the API), so that saving the page keeps it.
func withCurrent(choices []option, current string) []option {
	for _, o := range choices {
		if o.Value == current {
			return choices
		}
	}
	return append(append([]option(nil), choices...), option{current, current})
}

func boolValue(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func (c *Console) showSignInExp(w http.ResponseWriter, r *http.Request, s *session) {
	var st signinexp.Settings
	if _, err := c.call(r, s, http.MethodGet, "/api/sign-in-exp", nil, &st); err != nil {
		c.fail(w, r, s, err)
		return
	}
	f := formOf(map[string]string{
		"primaryColor": st.Color.PrimaryColor, "isDarkModeEnabled": boolValue(st.Color.IsDarkModeEnabled), "darkPrimaryColor": st.Color.DarkPrimaryColor,
		"logoUrl": st.Branding.LogoURL, "darkLogoUrl": st.Branding.DarkLogoURL, "favicon": st.Branding.Favicon,
		"signInMode": st.SignInMode, "signUpIdentifiers": strings.Join(st.SignUp.Identifiers, ","),
		"signUpPassword": boolValue(st.SignUp.Password), "signUpVerify": boolValue(st.SignUp.Verify),
		"minLength": strconv.Itoa(st.PasswordPolicy.Length.Min), "maxLength": strconv.Itoa(st.PasswordPolicy.Length.Max),
		"characterTypes":   strconv.Itoa(st.PasswordPolicy.CharacterTypes.Min),
		"rejectPwned":      boolValue(st.PasswordPolicy.Rejects.Pwned),
		"rejectRepetition": boolValue(st.PasswordPolicy.Rejects.RepetitionAndSequence),
		"rejectUserInfo":   boolValue(st.PasswordPolicy.Rejects.UserInfo),
		"rejectWords":      strings.Join(st.PasswordPolicy.Rejects.Words, "\n"),
		"autoDetect":       boolValue(st.LanguageInfo.AutoDetect),
		"fallbackLanguage": st.LanguageInfo.FallbackLanguage,
		"termsOfUseUrl":    deref(st.TermsOfUseURL),
		"privacyPolicyUrl": deref(st.PrivacyPolicyURL),
		"signIn.username":  "off", "signIn.email": "off", "signIn.phone": "off",
	})
	for _, m := range st.SignIn.Methods {
		v := "password"
		switch {
		case m.Password && m.VerificationCode:
			v = "both"
		case m.VerificationCode:
			v = "code"
		}
		f.Values["signIn."+m.Identifier] = v
	}
	c.renderSignInExp(w, r, s, http.StatusOK, f)
}

func (c *Console) updateSignInExp(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(r.PostForm)
	number := func(name string) int {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
		if err != nil {
			f.Errors[name] = "Enter a whole number."
		}
		return n
	}
	minLen, maxLen, types := number("minLength"), number("maxLength"), number("characterTypes")
	methods := []map[string]any{}
	for _, id := range []string{"username", "email", "phone"} {
		switch v := f.Get("signIn." + id); v {
		case "password", "code", "both":
			methods = append(methods, map[string]any{"identifier": id, "password": v != "code", "verificationCode": v != "password",
				"isPasswordPrimary": v != "code"})
		}
	}
	if len(methods) == 0 {
		f.Errors["signIn.username"] = "Offer at least one way to sign in."
	}
	if len(f.Errors) > 0 {
		c.renderSignInExp(w, r, s, http.StatusBadRequest, f)
		return
	}
	signUp := []string{}
	if v := f.Get("signUpIdentifiers"); v != "" {
		signUp = strings.Split(v, ",")
	}
	on := func(name string) bool { return f.Get(name) == "true" }
	body := map[string]any{
		"color":      map[string]any{"primaryColor": strings.TrimSpace(f.Get("primaryColor")), "isDarkModeEnabled": on("isDarkModeEnabled"), "darkPrimaryColor": strings.TrimSpace(f.Get("darkPrimaryColor"))},
		"branding":   map[string]any{"logoUrl": strings.TrimSpace(f.Get("logoUrl")), "darkLogoUrl": strings.TrimSpace(f.Get("darkLogoUrl")), "favicon": strings.TrimSpace(f.Get("favicon"))},
		"signInMode": f.Get("signInMode"),
		"signIn":     map[string]any{"methods": methods},
		"signUp":     map[string]any{"identifiers": signUp, "password": on("signUpPassword"), "verify": on("signUpVerify")},
		"passwordPolicy": map[string]any{
			"length":         map[string]any{"min": minLen, "max": maxLen},
			"characterTypes": map[string]any{"min": types},
			"rejects": map[string]any{"pwned": on("rejectPwned"), "repetitionAndSequence": on("rejectRepetition"),
				"userInfo": on("rejectUserInfo"), "words": lines(f.Get("rejectWords"))},
		},
		"languageInfo":     map[string]any{"autoDetect": on("autoDetect"), "fallbackLanguage": f.Get("fallbackLanguage")},
		"termsOfUseUrl":    optionalString(f.Get("termsOfUseUrl")),
		"privacyPolicyUrl": optionalString(f.Get("privacyPolicyUrl")),
	}
	if _, err := c.call(r, s, http.MethodPatch, "/api/sign-in-exp", body, nil); err != nil {
		c.failForm(w, r, s, err, f, signInExpFields, func(status int) { c.renderSignInExp(w, r, s, status, f) })
		return
	}
	c.redirectTo(w, r, "/sign-in-experience", "Sign-in experience saved: the sign-in pages show it now.")
}

// optionalString is nil (JSON null) for an empty field.
func optionalString(v string) any {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return nil
}
