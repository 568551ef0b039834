package oidcrp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// DecodeConfig decodes a connector config, which must be a JSON object,
// into dst, a pointer to a struct tagged with Logto's field names. Unknown
// fields are ignored, as Logto's validators strip them; JSON null counts
// as absent; a field of the wrong type is a *connector.ConfigError naming
// it.
func DecodeConfig(raw json.RawMessage, dst any) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &connector.ConfigError{Reason: "expected a JSON object"}
	}
	err := json.Unmarshal(trimmed, dst)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &connector.ConfigError{Field: te.Field, Reason: "expected " + kind(te.Type)}
	}
	return &connector.ConfigError{Reason: "expected a JSON object"}
}

func kind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return kind(t.Elem())
	}
	return "another type"
}

// Required reports an empty required field.
func Required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return &connector.ConfigError{Field: field, Reason: "is required"}
	}
	return nil
}

// EndpointURL checks a provider endpoint: an absolute https URL, or http
// on a loopback host (a provider on the administrator's own machine).
// Credentials and tokens travel to these URLs, so plain http elsewhere is
// refused.
func EndpointURL(field, value string) error {
	if err := Required(field, value); err != nil {
		return err
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return &connector.ConfigError{Field: field, Reason: "expected an absolute https URL"}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return &connector.ConfigError{Field: field, Reason: "expected an https URL (http is accepted for localhost only)"}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Prompts checks an OpenID prompt list against the values a provider
// accepts, naming the offending element.
func Prompts(field string, prompts []string, allowed ...string) error {
	for i, p := range prompts {
		if !slices.Contains(allowed, p) {
			return &connector.ConfigError{Field: field + "[" + strconv.Itoa(i) + "]",
				Reason: "expected one of " + strings.Join(allowed, ", ")}
		}
	}
	return nil
}

// Scopes splits a space-separated scope (Logto's connectors also accept
// "+" between scopes) and appends each of want that is missing, keeping
// the order and dropping duplicates.
func Scopes(scope string, want ...string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == '+' || r == '\t' || r == '\n' }) {
		add(s)
	}
	for _, s := range want {
		add(s)
	}
	return out
}

// LogoURI renders an SVG drawing as a data URI, the form in which Logto
// serves its connectors' logos.
func LogoURI(svg string) string {
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}
