package management

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

const maxBodyBytes = 1 << 20

var errBodyTooLarge = errors.New("request body too large")

// present records which top-level fields a request body carried, null
// included, so PATCH can tell "absent" from "set to null".
type present map[string]bool

// decodeBody reads a JSON object into dst, a pointer to a struct. Unknown
// fields are ignored, as Logto's validators strip them and real clients
// (Logto's Terraform provider) send extra ones. A known field of the wrong
// type is a 400 that names the field.
func decodeBody(r *http.Request, dst any) (present, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, invalid("body", "could not be read")
	}
	if len(body) > maxBodyBytes {
		return nil, errBodyTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, invalid("body", "must be a JSON object")
	}
	seen := present{}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		msg, ok := raw[name]
		if !ok {
			continue
		}
		seen[name] = true
		if err := json.Unmarshal(msg, v.Field(i).Addr().Interface()); err != nil {
			return nil, fieldError(name, err)
		}
	}
	return seen, nil
}

func fieldError(name string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := name
		if te.Field != "" {
			field += "." + te.Field
		}
		return invalid(field, fmt.Sprintf("expected %s, got %s", jsonKind(te.Type), te.Value))
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return invalid(name, err.Error())
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Uint32:
		return "number"
	case reflect.Slice:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.String()
}

// jsonObject checks that raw is a JSON object (or absent) and returns it.
func jsonObject(field string, raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil, invalid(field, "expected object")
	}
	return raw, nil
}
