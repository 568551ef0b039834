package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// mgmt calls the Management API with a token from client_credentials, as a
// setup script written for Logto does.
type mgmt struct {
	t     *testing.T
	base  string
	token string
}

// management creates an M2M app holding the Management API role and takes a token.
func (in *instance) management(t *testing.T) *mgmt {
	t.Helper()
	appID, secret := in.createApp(t, apps.Input{Name: "setup script", Type: store.MachineToMachine, RoleNames: []string{"Logto Management API access"}})
	res := tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"client_credentials"},
		"resource": {"https://default.logto.app/api"}, "scope": {"all"}})
	if res.status != 200 {
		t.Fatalf("management token: %d %s", res.status, res.raw)
	}
	return &mgmt{t: t, base: in.URL, token: res.AccessToken}
}

// call sends body (JSON-encoded unless it is a string) and returns the status, headers and body.
func (m *mgmt) call(method, path string, body any) (int, http.Header, []byte) {
	m.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			m.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, m.base+path, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if m.token != "" {
		req.Header.Set("Authorization", "Bearer "+m.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// do calls and decodes a JSON response into out (when not nil), failing
// unless the status is want.
func (m *mgmt) do(method, path string, body any, want int, out any) http.Header {
	m.t.Helper()
	status, h, raw := m.call(method, path, body)
	if status != want {
		m.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			m.t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return h
}

// fails expects an error status with Logto's {"code","message"} body and returns the code.
func (m *mgmt) fails(method, path string, body any, want int) string {
	m.t.Helper()
	status, h, raw := m.call(method, path, body)
	var e struct{ Code, Message string }
	if status != want || json.Unmarshal(raw, &e) != nil || e.Code == "" || e.Message == "" {
		m.t.Fatalf("%s %s: status %d, body %s; want %d with {code, message}", method, path, status, raw, want)
	}
	if h.Get("Content-Type") != "application/json; charset=utf-8" {
		m.t.Fatalf("%s %s: Content-Type %q", method, path, h.Get("Content-Type"))
	}
	return e.Code
}
