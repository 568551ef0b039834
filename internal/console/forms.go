package console

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// form is a form's values as typed and the errors to show: next to a
// field (Errors, by field name) or for the whole form (Alert).
type form struct {
	Values map[string]string
	Errors map[string]string
	Alert  string
}

func newForm(v url.Values) *form {
	f := &form{Values: map[string]string{}, Errors: map[string]string{}}
	for k := range v {
		f.Values[k] = v.Get(k)
	}
	return f
}

func (f *form) Get(name string) string { return f.Values[name] }

// fieldMap names, for one form, the form field of each API request field
// and of each API error code that concerns one field.
type fieldMap map[string]string

// apply shows err on the form: a validation error of the API next to the
// field it concerns, anything else the API refused as the form's alert.
// It returns false when err is not an answer of the API (a server error).
func (f *form) apply(err error, fields fieldMap) bool {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status >= 500 {
		return false
	}
	msg := ae.Message
	if msg == "" {
		msg = "The server refused this (" + ae.Code + ")."
	}
	name := fields[ae.Code]
	if name == "" && ae.Field != "" {
		// Nested fields (config.endpoint) map by their whole path, then by
		// the paths that contain them (config), then by their last part.
		for path := ae.Field; name == "" && path != ""; {
			name = fields[path]
			i := strings.LastIndexByte(path, '.')
			if i < 0 {
				break
			}
			path = path[:i]
		}
		if i := strings.LastIndexByte(ae.Field, '.'); name == "" && i >= 0 {
			name = fields[ae.Field[i+1:]]
		}
	}
	if name != "" {
		// Next to the field, the API's "Invalid <field>: " prefix only
		// repeats what the label says.
		if rest, ok := strings.CutPrefix(msg, "Invalid "+ae.Field+": "); ok && rest != "" && fields[ae.Field] == name {
			msg = strings.ToUpper(rest[:1]) + rest[1:]
		}
		f.Errors[name] = msg
	} else {
		f.Alert = msg
	}
	return true
}

// fieldView is one form control as the "field" template draws it.
type fieldView struct {
	Name, Label, Type, Value, Error, Hint string
	// Autocomplete is the input's autocomplete token, when it has one.
	Autocomplete string
	Required     bool
	Options      []option
	Rows         int
}

type option struct{ Value, Label string }

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var templateFuncs = template.FuncMap{
	// field returns a text-like input: field form name label type [hint] [required]
	"field": func(f *form, name, label, typ string, more ...any) fieldView {
		v := fieldView{Name: name, Label: label, Type: typ, Rows: 4}
		if f != nil {
			v.Value, v.Error = f.Values[name], f.Errors[name]
		}
		for _, m := range more {
			switch m := m.(type) {
			case string:
				switch {
				case m == "required":
					v.Required = true
				case strings.HasPrefix(m, "autocomplete="):
					v.Autocomplete = strings.TrimPrefix(m, "autocomplete=")
				default:
					v.Hint = m
				}
			case []option:
				v.Options = m
			}
		}
		if typ == "password" {
			v.Value = ""
			if v.Autocomplete == "" {
				v.Autocomplete = "new-password"
			}
		}
		return v
	},
	"opts": func(pairs ...string) []option {
		var out []option
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, option{pairs[i], pairs[i+1]})
		}
		return out
	},
	"date": func(ms int64) string {
		if ms == 0 {
			return "never"
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC")
	},
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"deref64": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	// dict builds the argument of a sub-template from key, value pairs.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
	"join":       strings.Join,
	"pathEscape": url.PathEscape,
}

// getValues fills the values of a form from a JSON-shaped map.
func formOf(values map[string]string) *form {
	f := newForm(nil)
	for k, v := range values {
		f.Values[k] = v
	}
	return f
}

// redirectTo is seeOther with a notice for the next page.
func (c *Console) redirectTo(w http.ResponseWriter, r *http.Request, to, notice string) {
	if notice != "" {
		c.setNotice(w, r, notice)
	}
	seeOther(w, r, to)
}
