package connector

import (
	"bytes"
	"encoding/json"
)

// MaskPrefix starts every masked secret.
const MaskPrefix = "******"

// maskRevealMin is the length from which a masked secret keeps its last
// four characters, so that an administrator can tell two secrets apart
// while at most a quarter of the value shows.
const maskRevealMin = 16

// MaskValue is how a secret config value appears in API responses: an empty
// value stays empty (there is nothing to hide), a value of 16 characters or
// more becomes "******" followed by its last four characters, and a shorter
// one becomes "******".
func MaskValue(v string) string {
	if v == "" {
		return ""
	}
	r := []rune(v)
	if len(r) >= maskRevealMin {
		return MaskPrefix + string(r[len(r)-4:])
	}
	return MaskPrefix
}

// Mask returns config with every secret field (f.Secrets) masked by
// MaskValue. A config that is not a JSON object is returned as {}: it cannot
// come from the store, which holds validated configs only.
func (f *Factory) Mask(config json.RawMessage) json.RawMessage {
	doc, ok := decodeObject(config)
	if !ok {
		return json.RawMessage("{}")
	}
	changed := false
	for _, path := range f.Secrets {
		if s, ok := lookupString(doc, path); ok {
			setAt(doc, path, MaskValue(s))
			changed = true
		}
	}
	if !changed {
		return config
	}
	// Never fall back to the unmasked config.
	return encode(doc, json.RawMessage("{}"))
}

// Unmask returns incoming with each secret field that holds exactly the
// masked form of the stored value (what a client read back from the API)
// replaced by the stored value, so that sending a connector's config back
// unchanged keeps its secrets. Any other value, including a different
// secret, is kept as sent.
func (f *Factory) Unmask(incoming, stored json.RawMessage) json.RawMessage {
	doc, ok := decodeObject(incoming)
	if !ok {
		return incoming
	}
	old, ok := decodeObject(stored)
	if !ok {
		return incoming
	}
	changed := false
	for _, path := range f.Secrets {
		in, ok := lookupString(doc, path)
		if !ok || in == "" {
			continue
		}
		was, ok := lookupString(old, path)
		if ok && in == MaskValue(was) && in != was {
			setAt(doc, path, was)
			changed = true
		}
	}
	if !changed {
		return incoming
	}
	return encode(doc, incoming)
}

// decodeObject parses a JSON object keeping numbers exact.
func decodeObject(raw json.RawMessage) (map[string]any, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func lookupString(doc map[string]any, path []string) (string, bool) {
	var cur any = doc
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[k]; !ok {
			return "", false
		}
	}
	s, ok := cur.(string)
	return s, ok
}

// setAt sets the value at path, which lookupString found.
func setAt(doc map[string]any, path []string, v string) {
	m := doc
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	m[path[len(path)-1]] = v
}

func encode(doc map[string]any, fallback json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fallback
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
}
