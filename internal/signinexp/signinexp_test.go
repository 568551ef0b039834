package signinexp

import (
	"errors"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPatch(t *testing.T) {
	s := Default()
	err := s.Patch([]byte(`{
		"color": {"primaryColor": "#112233"},
		"signIn": {"methods": [
			{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": true},
			{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}]},
		"signUp": {"identifiers": ["email"], "password": true, "verify": true},
		"passwordPolicy": {"length": {"min": 10, "max": 128}},
		"unknownField": 1, "id": "other"
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Color.PrimaryColor != "#112233" || s.Color.DarkPrimaryColor != "#8768F8" {
		t.Fatalf("colour merge: %+v", s.Color)
	}
	if s.PasswordPolicy.Length.Min != 10 || !s.PasswordPolicy.Rejects.Pwned || s.ID != "default" {
		t.Fatalf("policy merge: %+v, id %s", s.PasswordPolicy, s.ID)
	}
	if len(s.SignIn.Methods) != 2 || s.SignIn.Methods[0].Identifier != "email" {
		t.Fatalf("methods: %+v", s.SignIn.Methods)
	}
}

func TestPatchRejects(t *testing.T) {
	for body, field := range map[string]string{
		`{"color": {"primaryColor": "red"}}`: "color.primaryColor",
		`{"color": "blue"}`:                  "color",
		`{"signInMode": "Everything"}`:       "signInMode",
		`{"signUp": {"identifiers": ["phone"], "password": true, "verify": true}}`: "signIn.methods",
		`{"signIn": {"methods": [{"identifier": "fax", "password": true}]}}`:       "signIn.methods[0].identifier",
		`{"passwordPolicy": {"length": {"min": 20, "max": 10}}}`:                   "passwordPolicy.length",
		`{"termsOfUseUrl": "javascript:alert(1)"}`:                                 "termsOfUseUrl",
		`{"forgotPasswordMethods": ["Carrier pigeon"]}`:                            "forgotPasswordMethods[0]",
		`[1]`: "body",
	} {
		s := Default()
		before := *s
		err := s.Patch([]byte(body))
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("%s: error %v, want field %s", body, err, field)
		}
		if s.Color != before.Color || s.SignInMode != before.SignInMode {
			t.Errorf("%s: settings changed by a failed patch", body)
		}
	}
}
