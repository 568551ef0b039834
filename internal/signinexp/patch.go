package signinexp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Patch applies a PATCH body to s: each top-level field given replaces the
// stored one, except JSON objects, which are merged one level deep (what
// PostgreSQL's jsonb || does in Logto). Unknown fields are ignored; a known
// field of the wrong type is an *InvalidError naming it. s is left
// unchanged when Patch fails.
func (s *Settings) Patch(body []byte) error {
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		return &InvalidError{"body", "must be a JSON object"}
	}
	current, err := json.Marshal(s)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	json.Unmarshal(current, &doc)
	for _, field := range knownFields() {
		raw, ok := patch[field]
		if !ok || field == "id" || field == "tenantId" {
			continue
		}
		doc[field] = mergeObject(doc[field], raw)
	}
	merged, _ := json.Marshal(doc)
	next := Default()
	if err := json.Unmarshal(merged, next); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &InvalidError{te.Field, fmt.Sprintf("expected %s, got %s", te.Type.Kind(), te.Value)}
		}
		return &InvalidError{"body", err.Error()}
	}
	if err := next.Validate(); err != nil {
		return err
	}
	*s = *next
	return nil
}

// mergeObject overlays patch on base when both are objects; otherwise the
// patch replaces base.
func mergeObject(base, patch json.RawMessage) json.RawMessage {
	var b, p map[string]json.RawMessage
	if json.Unmarshal(base, &b) != nil || json.Unmarshal(patch, &p) != nil || b == nil || p == nil {
		return patch
	}
	for k, v := range p {
		b[k] = v
	}
	out, _ := json.Marshal(b)
	return out
}

func knownFields() []string {
	t := reflect.TypeOf(Settings{})
	out := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}
