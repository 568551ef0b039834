package e2e

import (
	"strings"
	"testing"
)

func TestManagementSignInExperience(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		var s struct {
			Color struct {
				PrimaryColor string `json:"primaryColor"`
			} `json:"color"`
			SignIn struct {
				Methods []struct {
					Identifier string `json:"identifier"`
					Password   bool   `json:"password"`
				} `json:"methods"`
			} `json:"signIn"`
			SignUp struct {
				Identifiers []string `json:"identifiers"`
			} `json:"signUp"`
			PasswordPolicy struct {
				Length struct{ Min, Max int } `json:"length"`
			} `json:"passwordPolicy"`
			SocialSignInConnectorTargets []string `json:"socialSignInConnectorTargets"`
			SignInMode                   string   `json:"signInMode"`
		}
		m.do("GET", "/api/sign-in-exp", nil, 200, &s)
		if s.Color.PrimaryColor != "#6139F6" || len(s.SignIn.Methods) != 2 || s.SignIn.Methods[0].Identifier != "username" || s.SignIn.Methods[1].Identifier != "email" ||
			s.SignInMode != "SignInAndRegister" || s.PasswordPolicy.Length.Min != 8 || s.SocialSignInConnectorTargets == nil {
			t.Fatalf("defaults = %+v", s)
		}
		m.do("PATCH", "/api/sign-in-exp", map[string]any{
			"color":           map[string]any{"primaryColor": "#0A7F5A"},
			"signIn":          map[string]any{"methods": []map[string]any{{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}, {"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
			"signUp":          map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true},
			"passwordPolicy":  map[string]any{"length": map[string]any{"min": 12, "max": 256}},
			"someFutureField": true,
		}, 200, &s)
		m.do("GET", "/api/sign-in-exp", nil, 200, &s)
		if s.Color.PrimaryColor != "#0A7F5A" || s.SignIn.Methods[0].Identifier != "email" || s.PasswordPolicy.Length.Min != 12 {
			t.Fatalf("after patch = %+v", s)
		}
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"color": map[string]any{"primaryColor": "green"}}, "color.primaryColor"},
			{map[string]any{"signInMode": 3}, "signInMode"},
			{map[string]any{"signUp": map[string]any{"identifiers": []string{"phone"}, "password": true, "verify": true}}, "signIn.methods"},
		} {
			status, _, raw := m.call("PATCH", "/api/sign-in-exp", c.body)
			if status != 400 || !strings.Contains(string(raw), c.field) {
				t.Errorf("PATCH %v: %d %s", c.body, status, raw)
			}
		}
		m.do("GET", "/api/sign-in-exp", nil, 200, &s)
		if s.Color.PrimaryColor != "#0A7F5A" || s.SignUp.Identifiers[0] != "email" {
			t.Fatalf("a rejected patch changed the settings: %+v", s)
		}
		anon := &mgmt{t: t, base: in.URL}
		anon.fails("GET", "/api/sign-in-exp", nil, 401)
		anon.fails("PATCH", "/api/sign-in-exp", map[string]any{}, 401)
	})
}
