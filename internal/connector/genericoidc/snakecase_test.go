package genericoidc

import "testing"

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"accessType":   "access_type",
		"access_type":  "access_type",
		"resource":     "resource",
		"XMLHttpThing": "xml_http_thing",
		"idTokenHint":  "id_token_hint",
		"foo2Bar":      "foo2_bar",
		"kebab-case":   "kebab_case",
		"ClientID":     "client_id",
		"a.b":          "a_b",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}
