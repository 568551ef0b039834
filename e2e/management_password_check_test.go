package e2e

import (
	"encoding/json"
	"reflect"
	"testing"
)

// passwordCheck is the answer of POST /api/sign-in-exp/default/check-password.
type passwordCheck struct {
	Result bool `json:"result"`
	Issues []struct {
		Code          string         `json:"code"`
		Interpolation map[string]int `json:"interpolation"`
	} `json:"issues"`
}

// codes renders the issues as "code" or "code{key=n}" for comparison.
func (c passwordCheck) codes() []string {
	var out []string
	for _, i := range c.Issues {
		s := i.Code
		for k, n := range i.Interpolation {
			raw, _ := json.Marshal(n)
			s += "{" + k + "=" + string(raw) + "}"
		}
		out = append(out, s)
	}
	return out
}

const checkPasswordPath = "/api/sign-in-exp/default/check-password"

func TestManagementPasswordCheck(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		u := in.createUser(t, "johndoe", "jane.smith@example.com", "Vivid-Otter-42")

		check := func(body map[string]any, wantStatus int, want ...string) {
			t.Helper()
			var got passwordCheck
			m.do("POST", checkPasswordPath, body, wantStatus, &got)
			if got.Result != (wantStatus == 200) || !reflect.DeepEqual(got.codes(), want) {
				t.Errorf("check %v: result %v issues %v, want %v", body, got.Result, got.codes(), want)
			}
		}

		// Logto's default policy: 8 to 256 characters, one character
		// type, and pwned, repetition/sequence and user information
		// rejected.
		check(map[string]any{"password": "Vivid-Otter-42", "userId": u.ID}, 200)
		check(map[string]any{"password": "123456", "userId": u.ID}, 400,
			"password_rejected.too_short{min=8}", "password_rejected.pwned", "password_rejected.restricted.sequence")
		check(map[string]any{"password": "JohnDoe1", "userId": u.ID}, 400, "password_rejected.restricted.user_info")
		check(map[string]any{"password": "Jane.Smith99", "userId": u.ID}, 400, "password_rejected.restricted.user_info")
		check(map[string]any{"password": "", "userId": u.ID}, 400,
			"password_rejected.too_short{min=8}", "password_rejected.character_types{min=1}")
		// Unknown fields are ignored.
		check(map[string]any{"password": "Vivid-Otter-42", "userId": u.ID, "futureField": true}, 200)

		// With user information rejected, a password needs a user to check against.
		if code := m.fails("POST", checkPasswordPath, map[string]any{"password": "Vivid-Otter-42"}, 400); code != "request.invalid_input" {
			t.Errorf("no userId: code %s", code)
		}
		// An unknown user is a 404.
		if code := m.fails("POST", checkPasswordPath, map[string]any{"password": "Vivid-Otter-42", "userId": "no-such-user"}, 404); code != "entity.not_exists_with_id" {
			t.Errorf("unknown user: code %s", code)
		}
		// Bad input.
		for _, body := range []any{
			map[string]any{},
			map[string]any{"userId": u.ID},
			map[string]any{"password": nil, "userId": u.ID},
			map[string]any{"password": 12345678, "userId": u.ID},
			map[string]any{"password": "Vivid-Otter-42", "userId": 7},
			map[string]any{"password": "Vivid-Otter-42", "userId": nil},
			"[]",
			"not json",
		} {
			if code := m.fails("POST", checkPasswordPath, body, 400); code != "guard.invalid_input" {
				t.Errorf("body %v: code %s", body, code)
			}
		}

		// The check follows the stored policy.
		m.do("PATCH", "/api/sign-in-exp", map[string]any{"passwordPolicy": map[string]any{
			"length":         map[string]any{"min": 10, "max": 20},
			"characterTypes": map[string]any{"min": 3},
			"rejects":        map[string]any{"pwned": true, "repetitionAndSequence": true, "userInfo": false, "words": []string{"gatehouse"}},
		}}, 200, nil)
		check(map[string]any{"password": "Vivid-Otter-42"}, 200)
		check(map[string]any{"password": "JohnDoe-Vivid-1", "userId": u.ID}, 200)
		check(map[string]any{"password": "GateHouse12"}, 400, "password_rejected.restricted.words")
		check(map[string]any{"password": "aaaaaaaaaaaaaaaaaaaaa"}, 400,
			"password_rejected.too_long{max=20}", "password_rejected.character_types{min=3}", "password_rejected.restricted.repetition")
		check(map[string]any{"password": "PASSWORD"}, 400,
			"password_rejected.too_short{min=10}", "password_rejected.character_types{min=3}", "password_rejected.pwned")
		check(map[string]any{"password": "pässwörd-Vivid-42"}, 400, "password_rejected.unsupported_characters")

		// Checking stores nothing: the settings are as patched.
		var s struct {
			PasswordPolicy struct {
				Length struct{ Min, Max int } `json:"length"`
			} `json:"passwordPolicy"`
		}
		m.do("GET", "/api/sign-in-exp", nil, 200, &s)
		if s.PasswordPolicy.Length.Min != 10 || s.PasswordPolicy.Length.Max != 20 {
			t.Fatalf("policy after checks = %+v", s.PasswordPolicy)
		}

		// Every route of the family needs a token.
		anon := &mgmt{t: t, base: in.URL}
		anon.fails("POST", checkPasswordPath, map[string]any{"password": "Vivid-Otter-42", "userId": u.ID}, 401)
	})
}
