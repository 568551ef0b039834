package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// JSON documents are stored as TEXT in both dialects so that one statement
// serves both; the database never looks inside them.

// objectText returns the column text for a JSON object field: {} for nil,
// empty or null, the document itself otherwise.
func objectText(field string, raw json.RawMessage) (string, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return "{}", nil
	}
	if !json.Valid(trimmed) {
		return "", fmt.Errorf("%s is not valid JSON", field)
	}
	return string(trimmed), nil
}

// objectValue is the reverse of objectText; it never returns nil.
func objectValue(text string) json.RawMessage {
	if text == "" {
		return json.RawMessage("{}")
	}
	return json.RawMessage(text)
}

// oidcMetadataText stores nil URI lists as [] so that the document has
// Logto's shape whoever reads it.
func oidcMetadataText(m store.OIDCClientMetadata) (string, error) {
	if m.RedirectURIs == nil {
		m.RedirectURIs = []string{}
	}
	if m.PostLogoutRedirectURIs == nil {
		m.PostLogoutRedirectURIs = []string{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode oidc_client_metadata: %w", err)
	}
	return string(b), nil
}

// oidcMetadataValue decodes the column, returning empty (non-nil) URI lists
// for missing ones.
func oidcMetadataValue(text string) (store.OIDCClientMetadata, error) {
	var m store.OIDCClientMetadata
	if text != "" {
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			return m, fmt.Errorf("decode oidc_client_metadata: %w", err)
		}
	}
	if m.RedirectURIs == nil {
		m.RedirectURIs = []string{}
	}
	if m.PostLogoutRedirectURIs == nil {
		m.PostLogoutRedirectURIs = []string{}
	}
	return m, nil
}

func customMetadataText(m store.CustomClientMetadata) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode custom_client_metadata: %w", err)
	}
	return string(b), nil
}

func customMetadataValue(text string) (store.CustomClientMetadata, error) {
	var m store.CustomClientMetadata
	if text != "" {
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			return m, fmt.Errorf("decode custom_client_metadata: %w", err)
		}
	}
	return m, nil
}
