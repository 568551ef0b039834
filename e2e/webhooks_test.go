package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/config"
	"github.com/gatehouse-auth/gatehouse/internal/management"
	"github.com/gatehouse-auth/gatehouse/internal/server"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-auth/gatehouse/internal/users"
)

// hookSink is a webhook receiver: it keeps every request it gets and can
// be told to fail the next ones or to answer slowly.
type hookSink struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []sinkRequest
	failNext int           // answer 500 to this many requests
	delay    time.Duration // wait this long before answering
}

type sinkRequest struct {
	at      time.Time
	header  http.Header
	body    []byte
	payload map[string]any
}

func (r sinkRequest) event() string  { s, _ := r.payload["event"].(string); return s }
func (r sinkRequest) hookID() string { s, _ := r.payload["hookId"].(string); return s }

// field walks a dotted path into the payload ("data.id", "params.userId").
func (r sinkRequest) field(path string) any {
	var v any = r.payload
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func newHookSink(t *testing.T) *hookSink {
	s := &hookSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *hookSink) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := sinkRequest{at: time.Now(), header: r.Header.Clone(), body: body}
	json.Unmarshal(body, &req.payload)
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	fail, delay := s.failNext > 0, s.delay
	if fail {
		s.failNext--
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if fail {
		http.Error(w, `{"error":"kitchen closed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"received":true}`))
}

func (s *hookSink) setFail(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

func (s *hookSink) all() []sinkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func (s *hookSink) count() int { return len(s.all()) }

// await waits until the sink has at least n requests and returns them.
func (s *hookSink) await(t *testing.T, n int, within time.Duration) []sinkRequest {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := s.all()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests in %s, want %d: %v", len(got), within, n, eventsOf(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// find waits for a request of event that match accepts.
func (s *hookSink) find(t *testing.T, event string, match func(sinkRequest) bool) sinkRequest {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, r := range s.all() {
			if r.event() == event && (match == nil || match(r)) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event arrived; got %v", event, eventsOf(s.all()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func eventsOf(reqs []sinkRequest) []string {
	out := []string{}
	for _, r := range reqs {
		out = append(out, r.event())
	}
	return out
}

// checkSigned verifies Logto's signature header and the fixed headers.
func checkSigned(t *testing.T, r sinkRequest, key string) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(key))
	m.Write(r.body)
	if got, want := r.header.Get("Logto-Signature-Sha-256"), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Fatalf("%s: signature %q, want %q", r.event(), got, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type %q", r.event(), ct)
	}
	if ua := r.header.Get("User-Agent"); ua != "Logto (https://logto.io/)" {
		t.Fatalf("%s: User-Agent %q", r.event(), ua)
	}
}

// hookResp is Logto's hook as the API returns it.
type hookResp struct {
	TenantID string   `json:"tenantId"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Event    *string  `json:"event"`
	Events   []string `json:"events"`
	Config   struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Retries *int              `json:"retries"`
	} `json:"config"`
	SigningKey     string `json:"signingKey"`
	Enabled        bool   `json:"enabled"`
	CreatedAt      int64  `json:"createdAt"`
	ExecutionStats *struct {
		SuccessCount int `json:"successCount"`
		RequestCount int `json:"requestCount"`
	} `json:"executionStats"`
}

type hookLogResp struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Payload struct {
		Key         string `json:"key"`
		Result      string `json:"result"`
		HookID      string `json:"hookId"`
		HookRequest struct {
			Body map[string]any `json:"body"`
		} `json:"hookRequest"`
		Response *struct {
			StatusCode int `json:"statusCode"`
			Body       any `json:"body"`
		} `json:"response"`
		Error   string `json:"error"`
		Attempt int    `json:"attempt"`
	} `json:"payload"`
	CreatedAt int64 `json:"createdAt"`
}

func (m *mgmt) createHook(url string, events ...string) hookResp {
	m.t.Helper()
	var h hookResp
	m.do("POST", "/api/hooks", map[string]any{"name": "sink", "events": events,
		"config": map[string]any{"url": url, "headers": map[string]string{"X-Kitchen": "open"}}}, 201, &h)
	return h
}

// hookRoutes are the operations of the hooks family.
func hookRoutes() []management.Route {
	var out []management.Route
	for _, rt := range management.New(management.Options{}).Routes() {
		if strings.HasPrefix(rt.Path, "/api/hooks") {
			out = append(out, rt)
		}
	}
	return out
}

func TestManagementHooksNeedToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	anon := &mgmt{t: t, base: in.URL}
	routes := hookRoutes()
	if len(routes) != 8 {
		t.Fatalf("%d hook routes, want Logto's 8", len(routes))
	}
	for _, rt := range routes {
		path := strings.ReplaceAll(rt.Path, "{id}", "somehook")
		if code := anon.fails(rt.Method, path, map[string]any{}, 401); code == "" {
			t.Fatalf("%s %s", rt.Method, path)
		}
	}
}

func TestManagementHooks(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		sink := newHookSink(t)

		var list []hookResp
		m.do("GET", "/api/hooks", nil, 200, &list)
		if len(list) != 0 {
			t.Fatalf("fresh server has hooks: %+v", list)
		}

		// Create, with Logto's shape; unknown fields (as Terraform sends) are ignored.
		status, _, raw := m.call("POST", "/api/hooks", map[string]any{
			"name":     "crm",
			"events":   []string{"User.Created", "PostSignIn"},
			"config":   map[string]any{"url": sink.URL, "headers": map[string]string{"X-Kitchen": "open"}},
			"id":       "ignored",
			"tenantId": "ignored",
			"unknown":  1,
		})
		if status != 201 {
			t.Fatalf("create: %d %s", status, raw)
		}
		if got := strings.Join(jsonKeys(t, raw), ","); got != "config,createdAt,enabled,event,events,id,name,signingKey,tenantId" {
			t.Fatalf("hook keys: %s", got)
		}
		var crm hookResp
		json.Unmarshal(raw, &crm)
		if crm.TenantID != "default" || len(crm.ID) != 21 || crm.ID == "ignored" || crm.Name != "crm" || crm.Event != nil ||
			!slices.Equal(crm.Events, []string{"User.Created", "PostSignIn"}) || crm.Config.URL != sink.URL ||
			crm.Config.Headers["X-Kitchen"] != "open" || len(crm.SigningKey) != 32 || !crm.Enabled || crm.CreatedAt == 0 {
			t.Fatalf("created hook: %s", raw)
		}
		// Logto's deprecated single event still works.
		time.Sleep(2 * time.Millisecond) // a later creation time: lists are in creation order
		var legacy hookResp
		m.do("POST", "/api/hooks", map[string]any{"event": "PostRegister", "config": map[string]any{"url": "http://127.0.0.1:9/x", "retries": 2},
			"enabled": false}, 201, &legacy)
		if legacy.Event == nil || *legacy.Event != "PostRegister" || !slices.Equal(legacy.Events, []string{"PostRegister"}) ||
			legacy.Name != "" || legacy.Enabled || legacy.Config.Retries == nil || *legacy.Config.Retries != 2 {
			t.Fatalf("legacy hook: %+v", legacy)
		}

		// Bad input: 400 naming the field, and nothing stored.
		for _, c := range []struct {
			body any
			code string
		}{
			{map[string]any{"config": map[string]any{"url": sink.URL}}, "hook.missing_events"},
			{map[string]any{"events": []string{}, "config": map[string]any{"url": sink.URL}}, "guard.invalid_input"},
			{map[string]any{"events": []string{"Kitchen.Opened"}, "config": map[string]any{"url": sink.URL}}, "guard.invalid_input"},
			{map[string]any{"events": "User.Created", "config": map[string]any{"url": sink.URL}}, "guard.invalid_input"},
			{map[string]any{"event": "Nope", "config": map[string]any{"url": sink.URL}}, "guard.invalid_input"},
			{map[string]any{"events": []string{"User.Created"}}, "guard.invalid_input"},
			{map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": "ftp://example.com"}}, "guard.invalid_input"},
			{map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": 5}}, "guard.invalid_input"},
			{map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": sink.URL, "headers": map[string]int{"a": 1}}}, "guard.invalid_input"},
			{map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": sink.URL, "retries": 7}}, "guard.invalid_input"},
			{map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": sink.URL}, "enabled": "yes"}, "guard.invalid_input"},
			{map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": sink.URL}, "name": strings.Repeat("n", 257)}, "guard.invalid_input"},
			{"[]", "guard.invalid_input"},
		} {
			if code := m.fails("POST", "/api/hooks", c.body, 400); code != c.code {
				t.Fatalf("create %v: code %s, want %s", c.body, code, c.code)
			}
		}
		h := m.do("GET", "/api/hooks?page=1&page_size=1", nil, 200, &list)
		if h.Get("Total-Number") != "2" || len(list) != 1 || list[0].ID != crm.ID {
			t.Fatalf("page 1: total %q, %+v", h.Get("Total-Number"), list)
		}
		m.do("GET", "/api/hooks", nil, 200, &list)
		if len(list) != 2 || list[0].ID != crm.ID || list[1].ID != legacy.ID || list[0].ExecutionStats != nil {
			t.Fatalf("list in creation order: %+v", list)
		}
		if m.fails("GET", "/api/hooks?page=0", nil, 400) != "guard.invalid_pagination" {
			t.Fatal("bad page accepted")
		}

		// Get, and 404.
		var got hookResp
		m.do("GET", "/api/hooks/"+crm.ID, nil, 200, &got)
		if got.ID != crm.ID || got.SigningKey != crm.SigningKey {
			t.Fatalf("get: %+v", got)
		}
		if m.fails("GET", "/api/hooks/nohook", nil, 404) != "entity.not_exists_with_id" {
			t.Fatal("get of a missing hook")
		}

		// A real event is delivered and logged; stats count it.
		m.do("POST", "/api/users", map[string]any{"username": "hooked01"}, 200, nil)
		delivered := sink.find(t, "User.Created", nil)
		checkSigned(t, delivered, crm.SigningKey)
		if delivered.header.Get("X-Kitchen") != "open" || delivered.hookID() != crm.ID {
			t.Fatalf("delivery headers %v, hook %s", delivered.header, delivered.hookID())
		}
		var logs []hookLogResp
		deadline := time.Now().Add(5 * time.Second)
		for len(logs) == 0 && time.Now().Before(deadline) {
			h = m.do("GET", "/api/hooks/"+crm.ID+"/recent-logs", nil, 200, &logs)
			time.Sleep(20 * time.Millisecond)
		}
		if len(logs) != 1 || h.Get("Total-Number") != "1" {
			t.Fatalf("recent logs: %q %+v", h.Get("Total-Number"), logs)
		}
		l := logs[0]
		if l.Key != "TriggerHook.User.Created" || l.Payload.Key != l.Key || l.Payload.Result != "Success" || l.Payload.HookID != crm.ID ||
			l.Payload.HookRequest.Body["event"] != "User.Created" || l.Payload.Response == nil || l.Payload.Response.StatusCode != 200 ||
			l.Payload.Attempt != 1 || l.CreatedAt == 0 || len(l.ID) != 21 {
			t.Fatalf("log entry: %+v", l)
		}
		if body, _ := l.Payload.Response.Body.(map[string]any); body["received"] != true {
			t.Fatalf("logged response body %v", l.Payload.Response.Body)
		}
		for _, q := range []string{"?logKey=TriggerHook.PostSignIn", "?logKey=Interaction.Create", "?start_time=0&end_time=1"} {
			m.do("GET", "/api/hooks/"+crm.ID+"/recent-logs"+q, nil, 200, &logs)
			if len(logs) != 0 {
				t.Fatalf("recent-logs%s: %+v", q, logs)
			}
		}
		m.do("GET", "/api/hooks/"+crm.ID+"/recent-logs?logKey=TriggerHook.User.Created&start_time=0", nil, 200, &logs)
		if len(logs) != 1 {
			t.Fatalf("filtered logs: %+v", logs)
		}
		for _, q := range []string{"?start_time=2&end_time=1", "?start_time=abc", "?end_time=NaN", "?page_size=1000"} {
			m.fails("GET", "/api/hooks/"+crm.ID+"/recent-logs"+q, nil, 400)
		}
		// Like Logto, an unknown hook simply has no logs.
		m.do("GET", "/api/hooks/nohook/recent-logs", nil, 200, &logs)
		if len(logs) != 0 {
			t.Fatal("logs for a missing hook")
		}
		m.do("GET", "/api/hooks?includeExecutionStats=true", nil, 200, &list)
		if list[0].ExecutionStats == nil || list[0].ExecutionStats.RequestCount != 1 || list[0].ExecutionStats.SuccessCount != 1 ||
			list[1].ExecutionStats == nil || list[1].ExecutionStats.RequestCount != 0 {
			t.Fatalf("execution stats: %+v %+v", list[0].ExecutionStats, list[1].ExecutionStats)
		}
		m.do("GET", "/api/hooks/"+crm.ID+"?includeExecutionStats=1", nil, 200, &got)
		if got.ExecutionStats == nil || got.ExecutionStats.SuccessCount != 1 {
			t.Fatalf("get with stats: %+v", got.ExecutionStats)
		}

		// Update merges; bad input changes nothing.
		var upd hookResp
		m.do("PATCH", "/api/hooks/"+legacy.ID, map[string]any{"name": "renamed", "event": nil, "events": []string{"Role.Created"},
			"config": map[string]any{"url": sink.URL}, "enabled": true, "createdAt": 5}, 200, &upd)
		if upd.Name != "renamed" || upd.Event != nil || !slices.Equal(upd.Events, []string{"Role.Created"}) || upd.Config.URL != sink.URL ||
			upd.Config.Retries != nil || !upd.Enabled || upd.CreatedAt != legacy.CreatedAt || upd.SigningKey != legacy.SigningKey {
			t.Fatalf("updated: %+v", upd)
		}
		for _, body := range []any{
			map[string]any{"name": "x", "events": []string{}},
			map[string]any{"name": "x", "events": nil},
			map[string]any{"name": "x", "config": map[string]any{"url": "not a url"}},
			map[string]any{"name": "x", "config": nil},
			map[string]any{"name": "x", "enabled": nil},
			map[string]any{"name": 5},
		} {
			m.fails("PATCH", "/api/hooks/"+legacy.ID, body, 400)
		}
		m.do("GET", "/api/hooks/"+legacy.ID, nil, 200, &got)
		if got.Name != "renamed" {
			t.Fatalf("a failed update changed the hook: %+v", got)
		}
		m.fails("PATCH", "/api/hooks/nohook", map[string]any{"name": "x"}, 404)

		// The signing key is regenerated.
		var rekeyed hookResp
		m.do("PATCH", "/api/hooks/"+crm.ID+"/signing-key", nil, 200, &rekeyed)
		if rekeyed.SigningKey == crm.SigningKey || len(rekeyed.SigningKey) != 32 || rekeyed.ID != crm.ID {
			t.Fatalf("new key: %+v", rekeyed)
		}
		m.do("GET", "/api/hooks/"+crm.ID, nil, 200, &got)
		if got.SigningKey != rekeyed.SigningKey {
			t.Fatal("the new key was not stored")
		}
		m.fails("PATCH", "/api/hooks/nohook/signing-key", nil, 404)

		// A test sends one signed sample per event to the given config.
		before := sink.count()
		m.do("POST", "/api/hooks/"+crm.ID+"/test", map[string]any{"events": []string{"User.Created", "PostSignIn"},
			"config": map[string]any{"url": sink.URL + "/test", "headers": map[string]string{"X-Test": "1"}}}, 204, nil)
		samples := sink.all()[before:]
		if len(samples) != 2 {
			t.Fatalf("test sent %d requests", len(samples))
		}
		for _, s := range samples {
			checkSigned(t, s, rekeyed.SigningKey)
			if s.header.Get("X-Test") != "1" || s.hookID() != crm.ID {
				t.Fatalf("test request %v %s", s.header, s.body)
			}
			if s.event() == "PostSignIn" && (s.field("user.id") == nil || s.field("interactionEvent") != "SignIn") {
				t.Fatalf("interaction sample: %s", s.body)
			}
			if s.event() == "User.Created" && s.field("data") == nil {
				t.Fatalf("data sample: %s", s.body)
			}
		}
		failing := newHookSink(t)
		failing.setFail(100)
		code := m.fails("POST", "/api/hooks/"+crm.ID+"/test", map[string]any{"events": []string{"User.Created"},
			"config": map[string]any{"url": failing.URL}}, 422)
		if code != "hook.endpoint_responded_with_error" {
			t.Fatalf("failing endpoint: %s", code)
		}
		refused := "http://127.0.0.1:" + fmt.Sprint(freePort(t))
		if code := m.fails("POST", "/api/hooks/"+crm.ID+"/test", map[string]any{"events": []string{"User.Created"},
			"config": map[string]any{"url": refused}}, 422); code != "hook.send_test_payload_failed" {
			t.Fatalf("refused endpoint: %s", code)
		}
		m.fails("POST", "/api/hooks/nohook/test", map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": sink.URL}}, 404)
		for _, body := range []any{
			map[string]any{"config": map[string]any{"url": sink.URL}},
			map[string]any{"events": []string{"Nope"}, "config": map[string]any{"url": sink.URL}},
			map[string]any{"events": []string{"User.Created"}},
		} {
			m.fails("POST", "/api/hooks/"+crm.ID+"/test", body, 400)
		}

		// Delete.
		m.do("DELETE", "/api/hooks/"+legacy.ID, nil, 204, nil)
		m.fails("GET", "/api/hooks/"+legacy.ID, nil, 404)
		m.fails("DELETE", "/api/hooks/"+legacy.ID, nil, 404)
		m.do("GET", "/api/hooks", nil, 200, &list)
		if len(list) != 1 || list[0].ID != crm.ID {
			t.Fatalf("after delete: %+v", list)
		}
	})
}

// TestWebhookDataEvents checks the payload of every data event the
// Management API emits, and that failed writes emit nothing.
func TestWebhookDataEvents(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		sink := newHookSink(t)
		all := []string{"User.Created", "User.Deleted", "User.Data.Updated", "User.SuspensionStatus.Updated",
			"Role.Created", "Role.Deleted", "Role.Data.Updated", "Role.Scopes.Updated",
			"Scope.Created", "Scope.Deleted", "Scope.Data.Updated"}
		hook := m.createHook(sink.URL, all...)
		// A disabled hook and one on other events get nothing.
		other := newHookSink(t)
		m.createHook(other.URL, "PostSignIn")
		var off hookResp
		m.do("POST", "/api/hooks", map[string]any{"events": all, "config": map[string]any{"url": other.URL}, "enabled": false}, 201, &off)

		began := time.Now()
		var u struct{ ID string }
		m.do("POST", "/api/users", map[string]any{"username": "chef01", "primaryEmail": "chef@example.com", "password": "Chef-Pass-2024!"}, 200, &u)
		created := sink.find(t, "User.Created", nil)
		if lag := created.at.Sub(began); lag > 2*time.Second {
			t.Fatalf("the first delivery took %s", lag)
		}
		checkSigned(t, created, hook.SigningKey)
		if created.field("data.id") != u.ID || created.field("data.username") != "chef01" || created.field("data.hasPassword") != true ||
			created.field("path") != "/users" || created.field("method") != "POST" || created.field("status") != 200.0 ||
			created.field("matchedRoute") != "/users" || created.field("ip") != "127.0.0.1" || created.field("userAgent") != "Go-http-client/1.1" ||
			created.field("hookId") != hook.ID || created.header.Get("X-Kitchen") != "open" {
			t.Fatalf("User.Created payload: %s", created.body)
		}
		if at, err := time.Parse(time.RFC3339Nano, created.field("createdAt").(string)); err != nil || time.Since(at) > time.Minute ||
			!strings.HasSuffix(created.field("createdAt").(string), "Z") {
			t.Fatalf("createdAt %v: %v", created.field("createdAt"), err)
		}
		for _, secret := range []string{"Chef-Pass-2024!", "argon2", "passwordDigest", "PasswordDigest"} {
			if bytes.Contains(created.body, []byte(secret)) {
				t.Fatalf("the payload shows %q: %s", secret, created.body)
			}
		}
		// A refused write emits nothing.
		m.fails("POST", "/api/users", map[string]any{"username": "chef01"}, 422)

		userPath := "/api/users/" + u.ID
		isUser := func(r sinkRequest) bool { return r.field("params.userId") == u.ID }
		for _, c := range []struct {
			method, path string
			body         any
			event, route string
			check        func(r sinkRequest) bool
		}{
			{"PATCH", userPath, map[string]any{"name": "Chef"}, "User.Data.Updated", "/users/:userId",
				func(r sinkRequest) bool { return r.field("data.name") == "Chef" }},
			{"PATCH", userPath + "/custom-data", map[string]any{"customData": map[string]any{"station": "grill"}}, "User.Data.Updated", "/users/:userId/custom-data",
				func(r sinkRequest) bool { return r.field("data.customData.station") == "grill" }},
			{"PATCH", userPath + "/profile", map[string]any{"profile": map[string]any{"nickname": "Grill"}}, "User.Data.Updated", "/users/:userId/profile",
				func(r sinkRequest) bool { return r.field("data.profile.nickname") == "Grill" }},
			{"PATCH", userPath + "/password", map[string]any{"password": "New-Chef-Pass-2025!"}, "User.Data.Updated", "/users/:userId/password",
				func(r sinkRequest) bool { return !bytes.Contains(r.body, []byte("New-Chef-Pass-2025!")) }},
			{"PATCH", userPath + "/is-suspended", map[string]any{"isSuspended": true}, "User.SuspensionStatus.Updated", "/users/:userId/is-suspended",
				func(r sinkRequest) bool { return r.field("data.isSuspended") == true }},
		} {
			m.do(c.method, c.path, c.body, 200, nil)
			r := sink.find(t, c.event, func(r sinkRequest) bool { return isUser(r) && r.field("matchedRoute") == c.route })
			checkSigned(t, r, hook.SigningKey)
			if r.field("path") != strings.TrimPrefix(c.path, "/api") || r.field("method") != c.method || r.field("data.id") != u.ID || !c.check(r) {
				t.Fatalf("%s %s: payload %s", c.method, c.path, r.body)
			}
		}
		m.do("DELETE", userPath, nil, 204, nil)
		deleted := sink.find(t, "User.Deleted", isUser)
		if deleted.field("data.id") != u.ID || deleted.field("status") != 204.0 || deleted.field("method") != "DELETE" {
			t.Fatalf("User.Deleted: %s", deleted.body)
		}

		// Roles and their scopes.
		var res struct{ ID string }
		m.do("POST", "/api/resources", map[string]any{"name": "Orders", "indicator": "https://orders.example"}, 201, &res)
		var scope struct{ ID string }
		m.do("POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "read:orders"}, 201, &scope)
		sc := sink.find(t, "Scope.Created", nil)
		if sc.field("data.id") != scope.ID || sc.field("data.name") != "read:orders" || sc.field("status") != 201.0 ||
			sc.field("params.resourceId") != res.ID || sc.field("matchedRoute") != "/resources/:resourceId/scopes" {
			t.Fatalf("Scope.Created: %s", sc.body)
		}
		m.fails("POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "read:orders"}, 422)
		m.do("PATCH", "/api/resources/"+res.ID+"/scopes/"+scope.ID, map[string]any{"description": "Read orders"}, 200, nil)
		if su := sink.find(t, "Scope.Data.Updated", nil); su.field("data.description") != "Read orders" || su.field("params.scopeId") != scope.ID {
			t.Fatalf("Scope.Data.Updated: %s", su.body)
		}
		var role struct{ ID string }
		m.do("POST", "/api/roles", map[string]any{"name": "cook", "description": "Cooks"}, 200, &role)
		if rc := sink.find(t, "Role.Created", nil); rc.field("data.id") != role.ID || rc.field("data.name") != "cook" {
			t.Fatalf("Role.Created: %s", rc.body)
		}
		m.fails("POST", "/api/roles", map[string]any{"name": "cook", "description": "again"}, 422)
		m.do("PATCH", "/api/roles/"+role.ID, map[string]any{"description": "Cooks food"}, 200, nil)
		if ru := sink.find(t, "Role.Data.Updated", nil); ru.field("data.description") != "Cooks food" || ru.field("params.id") != role.ID {
			t.Fatalf("Role.Data.Updated: %s", ru.body)
		}
		m.do("POST", "/api/roles/"+role.ID+"/scopes", map[string]any{"scopeIds": []string{scope.ID}}, 200, nil)
		added := sink.find(t, "Role.Scopes.Updated", func(r sinkRequest) bool { return r.field("method") == "POST" })
		if list, _ := added.field("data").([]any); len(list) != 1 || added.field("params.id") != role.ID {
			t.Fatalf("Role.Scopes.Updated (add): %s", added.body)
		}
		m.do("DELETE", "/api/roles/"+role.ID+"/scopes/"+scope.ID, nil, 204, nil)
		removed := sink.find(t, "Role.Scopes.Updated", func(r sinkRequest) bool { return r.field("method") == "DELETE" })
		if removed.field("params.scopeId") != scope.ID || removed.field("status") != 204.0 || removed.field("data") != nil {
			t.Fatalf("Role.Scopes.Updated (remove): %s", removed.body)
		}
		m.do("DELETE", "/api/roles/"+role.ID, nil, 204, nil)
		if rd := sink.find(t, "Role.Deleted", nil); rd.field("params.id") != role.ID || rd.field("matchedRoute") != "/roles/:id" {
			t.Fatalf("Role.Deleted: %s", rd.body)
		}
		m.fails("DELETE", "/api/roles/"+role.ID, nil, 404)
		m.do("DELETE", "/api/resources/"+res.ID+"/scopes/"+scope.ID, nil, 204, nil)
		if sd := sink.find(t, "Scope.Deleted", nil); sd.field("params.scopeId") != scope.ID {
			t.Fatalf("Scope.Deleted: %s", sd.body)
		}

		// Exactly the events of the successful writes, once each.
		time.Sleep(700 * time.Millisecond)
		want := map[string]int{"User.Created": 1, "User.Data.Updated": 4, "User.SuspensionStatus.Updated": 1, "User.Deleted": 1,
			"Scope.Created": 1, "Scope.Data.Updated": 1, "Role.Created": 1, "Role.Data.Updated": 1, "Role.Scopes.Updated": 2,
			"Role.Deleted": 1, "Scope.Deleted": 1}
		got := map[string]int{}
		for _, r := range sink.all() {
			got[r.event()]++
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("events delivered: %v, want %v", got, want)
		}
		if n := other.count(); n != 0 {
			t.Fatalf("a disabled or unsubscribed hook got %d requests: %v", n, eventsOf(other.all()))
		}
	})
}

// TestWebhookInteractionEvents signs in, registers and resets a password
// through the sign-in pages and checks Logto's interaction payloads.
func TestWebhookInteractionEvents(t *testing.T) {
	s := newFlowSite(t, map[string]any{
		"signUp":                map[string]any{"identifiers": []string{"username"}, "password": true, "verify": false},
		"forgotPasswordMethods": []string{"EmailVerificationCode"},
	})
	sink := newHookSink(t)
	hook := s.m.createHook(sink.URL, "PostSignIn", "PostRegister", "PostResetPassword", "User.Created")

	// A wrong password is no sign-in.
	nb := newBrowser(redirectURI)
	action, csrf := nb.signInPage(t, s.authURL(nil))
	if resp := nb.submit(t, action, csrf, "kitchen01", "wrong-password"); resp.StatusCode != 400 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	newBrowser(redirectURI).signIn(t, s.authURL(nil), "kitchen01", "Kitchen-Pass-2024!")
	in := sink.find(t, "PostSignIn", nil)
	checkSigned(t, in, hook.SigningKey)
	if in.field("interactionEvent") != "SignIn" || in.field("userId") != s.user.ID || in.field("user.id") != s.user.ID ||
		in.field("user.username") != "kitchen01" || in.field("userIp") != "127.0.0.1" || in.field("userAgent") != "Go-http-client/1.1" ||
		in.field("application.id") != s.appID || in.field("application.type") != "Traditional" || in.field("application.name") != "Dashboard" ||
		in.field("hookId") != hook.ID || in.field("createdAt") == nil || bytes.Contains(in.body, []byte("Kitchen-Pass-2024!")) ||
		bytes.Contains(in.body, []byte("argon2")) {
		t.Fatalf("PostSignIn payload: %s", in.body)
	}

	// Registration: PostRegister and User.Created, in the same transaction as the account.
	b := newBrowser(redirectURI)
	reg := b.get(t, s.authURL(url.Values{"interaction_mode": {"signUp"}}))
	landed(t, b.post(t, reg, url.Values{"identifier": {"newcook"}, "password": {"Str0ng-Passphrase!"}}))
	registered := sink.find(t, "PostRegister", nil)
	if registered.field("interactionEvent") != "Register" || registered.field("user.username") != "newcook" ||
		registered.field("application.id") != s.appID {
		t.Fatalf("PostRegister payload: %s", registered.body)
	}
	userCreated := sink.find(t, "User.Created", nil)
	if userCreated.field("data.username") != "newcook" || userCreated.field("data.id") != registered.field("userId") ||
		userCreated.field("ip") != "127.0.0.1" || userCreated.field("user") != nil {
		t.Fatalf("User.Created from registration: %s", userCreated.body)
	}

	// Password reset.
	b = newBrowser(redirectURI)
	signIn := b.get(t, s.authURL(nil))
	forgot := b.get(t, signIn.url.String()+"/forgot-password")
	codePage := b.post(t, forgot, url.Values{"identifier": {"kitchen@example.com"}})
	code := s.mb.last(t, "kitchen@example.com", "ForgotPassword")
	if done := b.post(t, codePage, url.Values{"code": {code}, "password": {"New-Kitchen-Pass-2025"}}); done.status != 200 {
		t.Fatalf("reset: %d", done.status)
	}
	reset := sink.find(t, "PostResetPassword", nil)
	if reset.field("interactionEvent") != "ForgotPassword" || reset.field("userId") != s.user.ID || reset.field("application.id") != s.appID {
		t.Fatalf("PostResetPassword payload: %s", reset.body)
	}
	time.Sleep(700 * time.Millisecond)
	got := map[string]int{}
	for _, r := range sink.all() {
		got[r.event()]++
	}
	if fmt.Sprint(got) != fmt.Sprint(map[string]int{"PostRegister": 1, "PostResetPassword": 1, "PostSignIn": 1, "User.Created": 1}) {
		t.Fatalf("events: %v", got)
	}
}

// TestWebhookRetries fails the receiver and moves the server's clock on:
// retries come 10 s after a failure, then 20 s, and keep coming for more
// than a day; after 25 hours the delivery is given up.
func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	in := start(t, sqltestSQLite(t))
	m := in.management(t)
	sink := newHookSink(t)
	hook := m.createHook(sink.URL, "User.Created")
	sink.setFail(2)
	m.do("POST", "/api/users", map[string]any{"username": "retry01"}, 200, nil)
	first := sink.await(t, 1, 3*time.Second)[0]
	quiet := func(n int) {
		t.Helper()
		time.Sleep(1200 * time.Millisecond) // more than two polls
		if c := sink.count(); c != n {
			t.Fatalf("%d requests, want %d: a retry came early", c, n)
		}
	}
	quiet(1)
	in.Clock.Advance(10 * time.Second)
	sink.await(t, 2, 3*time.Second)
	quiet(2)
	in.Clock.Advance(20 * time.Second)
	reqs := sink.await(t, 3, 3*time.Second)
	for _, r := range reqs {
		checkSigned(t, r, hook.SigningKey)
		if !bytes.Equal(r.body, first.body) {
			t.Fatalf("a retry posted another body:\n%s\n%s", r.body, first.body)
		}
	}
	quiet(3) // delivered: no more
	var logs []hookLogResp
	m.do("GET", "/api/hooks/"+hook.ID+"/recent-logs", nil, 200, &logs)
	if len(logs) != 3 || logs[0].Payload.Result != "Success" || logs[0].Payload.Attempt != 3 ||
		logs[1].Payload.Result != "Error" || logs[1].Payload.Response == nil || logs[1].Payload.Response.StatusCode != 500 ||
		logs[1].Payload.Error == "" || logs[2].Payload.Attempt != 1 {
		t.Fatalf("logs: %+v", logs)
	}
	if body, _ := logs[1].Payload.Response.Body.(map[string]any); body["error"] != "kitchen closed" {
		t.Fatalf("logged failure body: %v", logs[1].Payload.Response.Body)
	}

	// A receiver down for good: retried past a day, given up after 25 hours.
	// The clock moves on only once an attempt is recorded: its retry time
	// counts from the recording, which a clock moved earlier would push
	// out of the test's reach.
	recorded := func(n int) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			// From the store: the clock has moved past the API token's expiry.
			list, _, err := in.Store.ListHookAttempts(context.Background(), hook.ID, store.HookAttemptFilter{}, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d attempts recorded, want %d", len(list), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	sink.setFail(1000)
	m.do("POST", "/api/users", map[string]any{"username": "retry02"}, 200, nil)
	sink.await(t, 4, 3*time.Second)
	recorded(4)
	in.Clock.Advance(24 * time.Hour)
	sink.await(t, 5, 3*time.Second)
	recorded(5)
	in.Clock.Advance(30 * time.Second)
	sink.await(t, 6, 3*time.Second)
	recorded(6)
	in.Clock.Advance(2 * time.Hour)
	sink.await(t, 7, 3*time.Second)
	recorded(7)
	in.Clock.Advance(time.Hour)
	quiet(7)
}

// serveKillable starts `gatehouse serve` and returns its base URL and the
// process, for tests that kill it.
func serveKillable(t *testing.T, env []string, port int) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(gatehouseBinary(t), "serve")
	cmd.Env = append(os.Environ(), append([]string{fmt.Sprintf("PORT=%d", port), fmt.Sprintf("ADMIN_PORT=%d", freePort(t))}, env...)...)
	cmd.Dir = t.TempDir()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("server on port %d logged:\n%s", port, logs.String())
			mu.Unlock()
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/api/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 204 {
				return base, cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("gatehouse serve on port %d did not become ready", port)
	return "", nil
}

// processManagement creates a Management API app with the CLI and takes a token from base.
func processManagement(t *testing.T, env []string, base string) *mgmt {
	t.Helper()
	out, stderr, code := cli(t, env, "", "app", "create", "--type", "MachineToMachine", "--name", "hooks", "--role", "Logto Management API access")
	if code != 0 {
		t.Fatalf("app create: %s", stderr)
	}
	var app struct{ ID, Secret string }
	json.Unmarshal([]byte(out), &app)
	res := tokenRequest(t, base+"/oidc", app.ID, app.Secret, url.Values{"grant_type": {"client_credentials"},
		"resource": {"https://default.logto.app/api"}, "scope": {"all"}})
	if res.status != 200 {
		t.Fatalf("token: %d %s", res.status, res.raw)
	}
	return &mgmt{t: t, base: base, token: res.AccessToken}
}

// TestWebhookSurvivesKill commits an event while the receiver is down,
// kills the server with SIGKILL, and checks that the restarted server
// delivers it.
func TestWebhookSurvivesKill(t *testing.T) {
	t.Parallel()
	dbURL := sqltestSQLite(t)
	port := freePort(t)
	env := []string{"DB_URL=" + dbURL, fmt.Sprintf("ENDPOINT=http://127.0.0.1:%d", port)}
	if _, stderr, code := cli(t, env, "", "db", "migrate"); code != 0 {
		t.Fatalf("db migrate: %s", stderr)
	}
	base, proc := serveKillable(t, env, port)
	m := processManagement(t, env, base)

	// The receiver's address is reserved but nobody listens yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	receiverAddr := ln.Addr().String()
	ln.Close()
	hook := m.createHook("http://"+receiverAddr+"/hook", "User.Created")
	var u struct{ ID string }
	m.do("POST", "/api/users", map[string]any{"username": "survivor"}, 200, &u)
	time.Sleep(300 * time.Millisecond)          // the first attempt fails: connection refused
	if err := proc.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	proc.Wait()

	sink := &hookSink{}
	ln, err = net.Listen("tcp", receiverAddr)
	if err != nil {
		t.Fatal(err)
	}
	sink.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(sink.serve)}}
	sink.Start()
	defer sink.Close()

	serveKillable(t, env, port)
	got := sink.await(t, 1, 15*time.Second) // the retry is due 10 s after the failure
	checkSigned(t, got[0], hook.SigningKey)
	if got[0].event() != "User.Created" || got[0].field("data.id") != u.ID || got[0].field("data.username") != "survivor" {
		t.Fatalf("after the restart: %s", got[0].body)
	}
	time.Sleep(700 * time.Millisecond)
	if n := sink.count(); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

// TestWebhookExactlyOnceAcrossProcesses runs two servers on one
// PostgreSQL database: every event reaches the receiver exactly once.
func TestWebhookExactlyOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	dbURL := sqltestPostgresDSN(t)
	portA := freePort(t)
	env := []string{"DB_URL=" + dbURL, fmt.Sprintf("ENDPOINT=http://127.0.0.1:%d", portA)}
	if _, stderr, code := cli(t, env, "", "db", "migrate"); code != 0 {
		t.Fatalf("db migrate: %s", stderr)
	}
	a, _ := serveKillable(t, env, portA)
	b, _ := serveKillable(t, env, freePort(t))
	ma := processManagement(t, env, a)
	mb := &mgmt{t: t, base: b, token: ma.token}
	sink := newHookSink(t)
	ma.createHook(sink.URL, "User.Created", "User.Data.Updated")

	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		node := ma
		if i%2 == 1 {
			node = mb
		}
		wg.Go(func() {
			var u struct{ ID string }
			status, _, raw := node.call("POST", "/api/users", map[string]any{"username": fmt.Sprintf("twin%02d", i)})
			if status != 200 || json.Unmarshal(raw, &u) != nil {
				t.Errorf("create user %d: %d %s", i, status, raw)
				return
			}
			node.call("PATCH", "/api/users/"+u.ID, map[string]any{"name": "Twin"})
		})
	}
	wg.Wait()
	sink.await(t, 2*n, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // time for a duplicate to show
	seen := map[string]int{}
	for _, r := range sink.all() {
		seen[r.event()+" "+fmt.Sprint(r.field("data.id"))]++
	}
	if len(seen) != 2*n {
		t.Fatalf("%d distinct events, want %d", len(seen), 2*n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("%s delivered %d times", k, c)
		}
	}
}

// BenchmarkSignInWithSlowWebhook signs in through the pages while every
// PostSignIn goes to a receiver that takes 5 s to answer: deliveries are
// asynchronous, so sign-ins cost the same as with no hook at all.
//
//	go test ./e2e -run '^$' -bench SignInWithSlowWebhook -benchtime 200x
func BenchmarkSignInWithSlowWebhook(b *testing.B) {
	for _, slow := range []bool{false, true} {
		name := "no-hook"
		if slow {
			name = "slow-hook"
		}
		b.Run(name, func(b *testing.B) {
			base, appID, cleanup := benchServer(b)
			defer cleanup()
			if slow {
				sink := &hookSink{delay: 5 * time.Second}
				sink.Server = httptest.NewServer(http.HandlerFunc(sink.serve))
				// The server stops first, dropping its slow requests.
				defer func() { cleanup(); sink.Close() }()
				st := benchStores[base]
				h := &store.Hook{Events: []string{"PostSignIn"}, Config: store.HookConfig{URL: sink.URL}, SealedSigningKey: "plain:a2V5", Enabled: true}
				if err := st.CreateHook(context.Background(), h); err != nil {
					b.Fatal(err)
				}
			}
			_, challenge := pkce("bench-")
			auth := authURL(base+"/oidc", appID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}})
			b.ResetTimer()
			for b.Loop() {
				benchSignIn(b, auth)
			}
		})
	}
}

var benchStores = map[string]store.Store{}

// benchServer runs a server for a benchmark (start takes a *testing.T).
func benchServer(b *testing.B) (base, appID string, cleanup func()) {
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base = "http://" + pub.Addr().String()
	fs := newFlagSet()
	load := config.Register(fs)
	if err := fs.Parse([]string{"--endpoint", base, "--db-url", sqltest.SQLiteDSN(b)}); err != nil {
		b.Fatal(err)
	}
	cfg, err := load()
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), server.WithPasswordCost(testPassword))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ctx, pub, adm) }()
	c, err := apps.Create(ctx, srv.Store, srv.Sealer, apps.Input{Name: "Bench", Type: store.Traditional, RedirectURIs: []string{redirectURI}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := users.Create(ctx, srv.Store, testPassword, users.Input{Username: "bench01", Password: "Bench-Pass-2024!"}); err != nil {
		b.Fatal(err)
	}
	benchStores[base] = srv.Store
	var once sync.Once
	return base, c.App.ID, func() { once.Do(func() { cancel(); <-done; srv.Close() }) }
}

func benchSignIn(b *testing.B, auth string) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(auth)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a, c := formAction.FindSubmatch(body), csrfInput.FindSubmatch(body)
	if a == nil || c == nil {
		b.Fatalf("no sign-in form: %.300s", body)
	}
	action := resp.Request.URL.ResolveReference(&url.URL{Path: string(a[1])}).String()
	resp, err = client.PostForm(action, url.Values{"csrf_token": {string(c[1])}, "identifier": {"bench01"}, "password": {"Bench-Pass-2024!"}})
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if loc, err := resp.Location(); err != nil || loc.Query().Get("code") == "" {
		b.Fatalf("sign-in: %d %v", resp.StatusCode, loc)
	}
}
