package connector

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// object is a JSON object being validated; path is where it sits in the
// config ("" for the config itself), so that errors name the field.
type object struct {
	path string
	m    map[string]json.RawMessage
}

// parseConfig reads a config: it must be a JSON object.
func parseConfig(raw json.RawMessage) (object, error) {
	return parseObject("", raw)
}

func parseObject(path string, raw json.RawMessage) (object, error) {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		return object{}, &ConfigError{Field: path, Reason: "expected an object"}
	}
	return object{path: path, m: m}, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// get returns the raw value of key; JSON null counts as absent.
func (o object) get(key string) (json.RawMessage, bool) {
	raw, ok := o.m[key]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	return raw, true
}

func (o object) missing(key string) error {
	return &ConfigError{Field: join(o.path, key), Reason: "is required"}
}

func (o object) wrongType(key, want string) error {
	return &ConfigError{Field: join(o.path, key), Reason: "expected " + want}
}

// str reads a string field.
func (o object) str(key string, required bool) (string, error) {
	raw, ok := o.get(key)
	if !ok {
		if required {
			return "", o.missing(key)
		}
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", o.wrongType(key, "a string")
	}
	return s, nil
}

// boolean reads a boolean field; absent is false.
func (o object) boolean(key string) (bool, error) {
	raw, ok := o.get(key)
	if !ok {
		return false, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		return false, o.wrongType(key, "a boolean")
	}
	return b, nil
}

// integer reads a whole number within [min, max]; absent is 0.
func (o object) integer(key string, required bool, min, max int64) (int64, error) {
	raw, ok := o.get(key)
	if !ok {
		if required {
			return 0, o.missing(key)
		}
		return 0, nil
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return 0, o.wrongType(key, "a number")
	}
	if f != math.Trunc(f) || f < float64(min) || f > float64(max) {
		return 0, &ConfigError{Field: join(o.path, key), Reason: "expected a whole number from " +
			strconv.FormatInt(min, 10) + " to " + strconv.FormatInt(max, 10)}
	}
	return int64(f), nil
}

// obj reads a nested object; ok is false when it is absent.
func (o object) obj(key string, required bool) (object, bool, error) {
	raw, ok := o.get(key)
	if !ok {
		if required {
			return object{}, false, o.missing(key)
		}
		return object{path: join(o.path, key), m: map[string]json.RawMessage{}}, false, nil
	}
	sub, err := parseObject(join(o.path, key), raw)
	return sub, err == nil, err
}

// array reads an array field.
func (o object) array(key string, required bool) ([]json.RawMessage, error) {
	raw, ok := o.get(key)
	if !ok {
		if required {
			return nil, o.missing(key)
		}
		return nil, nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, o.wrongType(key, "an array")
	}
	return items, nil
}

// checkTypes runs each check, returning the first error.
func checkAll(checks ...func() error) error {
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}
