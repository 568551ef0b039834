package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// endpoints are the parts of the discovery document a run needs.
type endpoints struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

// discover fetches the provider's OpenID discovery document.
func discover(ctx context.Context, client *http.Client, issuer string) (endpoints, error) {
	url := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return endpoints{}, fmt.Errorf("loadtest: discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return endpoints{}, fmt.Errorf("loadtest: discovery: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return endpoints{}, fmt.Errorf("loadtest: discovery %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return endpoints{}, fmt.Errorf("loadtest: discovery %s: status %d: %s", url, resp.StatusCode, snippet(body))
	}
	var ep endpoints
	if err := json.Unmarshal(body, &ep); err != nil {
		return endpoints{}, fmt.Errorf("loadtest: discovery %s: %w", url, err)
	}
	if ep.TokenEndpoint == "" {
		return endpoints{}, fmt.Errorf("loadtest: discovery %s: no token_endpoint", url)
	}
	return ep, nil
}

// snippet shortens a response body for an error message.
func snippet(body []byte) string {
	const limit = 200
	s := strings.ToValidUTF8(strings.TrimSpace(string(body[:min(len(body), limit)])), "")
	if len(body) > limit {
		s += "…"
	}
	return s
}
