package genericoauth

import "testing"

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"audience":    "audience",
		"accessType":  "access_type",
		"access_type": "access_type",
		"XMLHttp":     "xml_http",
		"foo-bar":     "foo_bar",
		"acrValues2":  "acr_values2",
		"v2Token":     "v2_token",
		"ID":          "id",
		"--":          "",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}
