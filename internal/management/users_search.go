package management

import (
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Logto's search parameters, as its user and role lists read them:
//
//	search=<value>            matches any of the list's search fields
//	search.<field>=<value>    matches one field (camelCase or snake_case)
//	mode[.<field>]=like|exact|similar_to|posix   (default like)
//	joint=or|and (or jointMode)                  how conditions combine (default or)
//	isCaseSensitive=true                         (default false)
//
// In like mode the value is a SQL LIKE pattern, as in Logto: ?search=%ann%
// finds "ann" anywhere, ?search.primaryEmail=ann@% is a prefix search, and
// a value without wildcards must match the whole field. Exact mode takes
// the parameter several times to match any of its values.

// userSearchFields are the fields of Logto's user search.
var userSearchFields = []string{"id", "primary_email", "primary_phone", "username", "name"}

// roleSearchFields are the fields of Logto's role search.
var roleSearchFields = []string{"id", "name", "description"}

// searchSpec is a parsed search.
type searchSpec struct {
	matches       []searchMatch
	all           bool // joint "and"
	caseSensitive bool
}

// searchMatch is one condition: field "" is any search field.
type searchMatch struct {
	field  string
	mode   store.MatchMode
	values []string
}

// searchError is Logto's answer to search parameters it cannot use.
func searchError(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "request.invalid_input", Message: "Invalid search: " + msg}
}

// snakeCase turns primaryEmail into primary_email, as Logto does with
// search fields; snake_case input is left alone.
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// searchField reads the field of a "search.<field>" or "mode.<field>" key:
// "" for the bare key, an error for a field outside fields or nested ones.
func searchField(key, prefix string, fields []string) (string, error) {
	rest := strings.TrimPrefix(key, prefix)
	if rest == "" {
		return "", nil
	}
	rest = strings.TrimPrefix(rest, ".")
	if strings.Contains(rest, ".") {
		return "", searchError("nested search field `" + rest + "` is not supported; only first-level fields are.")
	}
	field := snakeCase(rest)
	if !slices.Contains(fields, field) {
		return "", searchError("search field `" + rest + "` is not valid, expect one of " + strings.Join(fields, ", ") + ".")
	}
	return field, nil
}

// parseSearch reads Logto's search parameters for a list whose search
// fields are fields.
func parseSearch(q url.Values, fields []string) (searchSpec, error) {
	var spec searchSpec
	joint := q.Get("joint")
	if joint == "" {
		joint = q.Get("jointMode")
	}
	switch joint {
	case "", "or":
	case "and":
		spec.all = true
	default:
		return spec, searchError("joint mode `" + joint + "` is not valid, expect one of or, and.")
	}
	spec.caseSensitive = truthy(q.Get("isCaseSensitive"))

	modes := map[string]store.MatchMode{}
	values := map[string][]string{}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		switch {
		case key == "mode" || strings.HasPrefix(key, "mode."):
			field, err := searchField(key, "mode", fields)
			if err != nil {
				return spec, err
			}
			for _, v := range q[key] {
				switch m := store.MatchMode(v); m {
				case store.MatchLike, store.MatchExact, store.MatchSimilarTo, store.MatchPosix:
					modes[field] = m
				default:
					return spec, searchError("search mode `" + v + "` is not valid, expect one of exact, like, similar_to, posix.")
				}
			}
		case key == "search" || strings.HasPrefix(key, "search."):
			field, err := searchField(key, "search", fields)
			if err != nil {
				return spec, err
			}
			values[field] = append(values[field], q[key]...)
		}
	}
	for _, field := range slices.Sorted(maps.Keys(values)) {
		vs := values[field]
		mode, ok := modes[field]
		if !ok {
			if mode, ok = modes[""]; !ok {
				mode = store.MatchLike
			}
		}
		if slices.Contains(vs, "") {
			return spec, searchError("search value cannot be empty.")
		}
		if mode != store.MatchExact && len(vs) != 1 {
			return spec, searchError("only one search value is allowed when the search mode is not `exact`.")
		}
		if mode == store.MatchSimilarTo && !spec.caseSensitive {
			return spec, searchError("`similar_to` only matches case-sensitively: add isCaseSensitive=true.")
		}
		spec.matches = append(spec.matches, searchMatch{field: field, mode: mode, values: vs})
	}
	return spec, nil
}

// matcher compiles spec for lists filtered in memory; fields holds a
// record's values by search field.
func (spec searchSpec) matcher(all []string) (func(fields map[string]string) bool, error) {
	type compiled struct {
		fields []string
		res    []*regexp.Regexp
	}
	var cs []compiled
	for _, m := range spec.matches {
		c := compiled{fields: all}
		if m.field != "" {
			c.fields = []string{m.field}
		}
		for _, v := range m.values {
			re, err := store.CompileMatch(m.mode, v, spec.caseSensitive)
			if err != nil {
				return nil, searchError(err.Error())
			}
			c.res = append(c.res, re)
		}
		cs = append(cs, c)
	}
	return func(values map[string]string) bool {
		if len(cs) == 0 {
			return true
		}
		for _, c := range cs {
			hit := false
			for _, f := range c.fields {
				for _, re := range c.res {
					if re.MatchString(values[f]) {
						hit = true
					}
				}
			}
			if hit && !spec.all {
				return true
			}
			if !hit && spec.all {
				return false
			}
		}
		return spec.all
	}, nil
}
