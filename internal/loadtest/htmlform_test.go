package loadtest

import (
	"reflect"
	"testing"
)

func TestParseFirstForm(t *testing.T) {
	tests := []struct {
		name string
		page string
		want htmlForm
		ok   bool
	}{
		{
			name: "no form",
			page: `<html><body><p>Hello <b>there</b> 1 < 2</p></body></html>`,
		},
		{
			name: "decoys before the real form",
			page: `<title>a <form action=/t></title><script>"<form action=/s>"</script ><style>p{}</style>
				<!-- <form action="/c"> --><!DOCTYPE html><textarea><form action=/x></textarea>
				<form action="/login?a=1&amp;b=2"><input type="hidden" name="t" value="&lt;&#39;&quot;&gt;"></form>`,
			want: htmlForm{action: "/login?a=1&b=2", method: "POST", hidden: []formField{{"t", `<'">`}}},
			ok:   true,
		},
		{
			name: "attribute syntaxes",
			page: `<FORM METHOD=GET ACTION=next/step><Input Type = 'HIDDEN' Name='a' Value='x y'/>` +
				`<input type=hidden name=b value=z><input type=hidden name=c><input type=hidden value=no-name>` +
				`<input type="text" name="shown" value="v"><input type=hidden name=d value=1 disabled>` +
				`<input type=hidden name=a value=dup>`,
			want: htmlForm{action: "next/step", method: "GET", hidden: []formField{
				{"a", "x y"}, {"b", "z"}, {"c", ""}, {"a", "dup"},
			}},
			ok: true,
		},
		{
			name: "only the first form",
			page: `<form><input type=hidden name=one value=1></form><form action=/2><input type=hidden name=two value=2></form>`,
			want: htmlForm{method: "POST", hidden: []formField{{"one", "1"}}},
			ok:   true,
		},
		{
			name: "truncated page",
			page: `<form action="/x"><input type=hidden name=a value="unterminated`,
			want: htmlForm{action: "/x", method: "POST", hidden: []formField{{"a", "unterminated"}}},
			ok:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseFirstForm(tt.page)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseFirstForm = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
