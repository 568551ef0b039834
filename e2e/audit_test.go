package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/server"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// startAudited starts a server whose audit log a test can flush and sweep.
func startAudited(t *testing.T, dbURL string, flags ...string) (*instance, *server.Server) {
	t.Helper()
	return startServer(t, dbURL, flags...)
}

// auditLog is Logto's Log as GET /api/logs returns it.
type auditLog struct {
	TenantID string `json:"tenantId"`
	ID       string `json:"id"`
	Key      string `json:"key"`
	Payload  struct {
		Key           string         `json:"key"`
		Result        string         `json:"result"`
		Error         map[string]any `json:"error"`
		IP            string         `json:"ip"`
		UserAgent     string         `json:"userAgent"`
		UserID        string         `json:"userId"`
		ApplicationID string         `json:"applicationId"`
		SessionID     string         `json:"sessionId"`
		InteractionID string         `json:"interactionId"`
		Params        map[string]any `json:"params"`
		TokenTypes    []string       `json:"tokenTypes"`
		Scope         string         `json:"scope"`
	} `json:"payload"`
	CreatedAt int64 `json:"createdAt"`
}

func (m *mgmt) logs(query string) []auditLog {
	m.t.Helper()
	var out []auditLog
	m.do("GET", "/api/logs?"+query, nil, 200, &out)
	return out
}

func logKeys(list []auditLog) []string {
	out := make([]string, len(list))
	for i, l := range list {
		out[i] = l.Key
	}
	return out
}

// userAgent sets the User-Agent of every request, as a browser does.
type userAgent struct {
	ua   string
	next http.RoundTripper
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(r)
}

const auditUA = "AuditTest/1.0 (X11; Linux x86_64)"

func TestAuditLog(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in, srv := startAudited(t, dbURL)
		ctx := context.Background()
		_, scopeIDs := in.apiResource(t, ordersAPI, []string{"read:orders"})
		staff := in.role(t, "staff", store.UserRole, scopeIDs["read:orders"])
		worker := in.role(t, "worker", store.M2MRole, scopeIDs["read:orders"])
		appID, appSecret := in.createApp(t, apps.Input{Name: "Dashboard", Type: store.Traditional,
			RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{"http://localhost:3000"}})
		m2mID, m2mSecret := in.createApp(t, apps.Input{Name: "worker", Type: store.MachineToMachine, RoleNames: []string{worker.Name}})
		const pw, wrongPW = "Kitchen-Pass-2024!", "Wrong-Guess-1234!"
		u := in.createUser(t, "kitchen01", "kitchen@example.com", pw)
		if err := in.Store.AssignUserRoles(ctx, u.ID, []string{staff.ID}); err != nil {
			t.Fatal(err)
		}

		// A failed and a successful password sign-in, from a browser.
		b := newBrowser(redirectURI)
		b.Transport = userAgent{auditUA, http.DefaultTransport}
		verifier, challenge := pkce("audit-")
		auth := authURL(in.Issuer, appID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "resource": {ordersAPI}})
		action, csrf := b.signInPage(t, auth)
		if resp := b.submit(t, action, csrf, "kitchen01", wrongPW); resp.StatusCode != 400 {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
		code := b.signIn(t, auth, "kitchen01", pw).Query().Get("code")

		// A code exchange, a refresh, a client_credentials token, failures.
		tokens := tokenRequest(t, in.Issuer, appID, appSecret, url.Values{"grant_type": {"authorization_code"},
			"code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}})
		if tokens.status != 200 || tokens.RefreshToken == "" {
			t.Fatalf("code exchange: %d %s", tokens.status, tokens.raw)
		}
		refreshed := tokenRequest(t, in.Issuer, appID, appSecret, url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {tokens.RefreshToken}, "resource": {ordersAPI}})
		if refreshed.status != 200 || refreshed.RefreshToken == "" {
			t.Fatalf("refresh: %d %s", refreshed.status, refreshed.raw)
		}
		machine := tokenRequest(t, in.Issuer, m2mID, m2mSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI}})
		if machine.status != 200 {
			t.Fatalf("client_credentials: %d %s", machine.status, machine.raw)
		}
		if res := tokenRequest(t, in.Issuer, m2mID, "not-the-secret", url.Values{"grant_type": {"client_credentials"}, "resource": {ordersAPI}}); res.status != 401 {
			t.Fatalf("wrong client secret: %d", res.status)
		}
		if res := tokenRequest(t, in.Issuer, appID, appSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens.RefreshToken}}); res.status != 400 {
			t.Fatalf("reused refresh token: %d", res.status)
		}
		// Revocation and sign-out.
		again := tokenRequest(t, in.Issuer, appID, appSecret, url.Values{"grant_type": {"authorization_code"},
			"code": {b.signIn(t, auth+"&prompt=login", "kitchen01", pw).Query().Get("code")}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}})
		if again.status != 200 {
			t.Fatalf("second exchange: %d %s", again.status, again.raw)
		}
		revoke, _ := http.NewRequest("POST", in.Issuer+"/token/revocation", strings.NewReader(url.Values{"token": {again.RefreshToken}}.Encode()))
		revoke.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		revoke.SetBasicAuth(appID, appSecret)
		if res := do(t, revoke); res.status != 200 {
			t.Fatalf("revoke: %d", res.status)
		}
		b.stopAt = "http://localhost:3000"
		if p := b.get(t, in.Issuer+"/session/end?"+url.Values{"client_id": {appID}, "post_logout_redirect_uri": {"http://localhost:3000"}}.Encode()); p.location == nil {
			t.Fatalf("sign-out: %d", p.status)
		}

		// A Management API write, with a password in its body.
		m := in.management(t)
		const apiPassword = "Api-Created-Pass-99!"
		var created struct{ ID string }
		m.do("POST", "/api/users", map[string]any{"username": "made_by_api", "password": apiPassword}, 200, &created)
		if err := srv.Audit.Flush(ctx); err != nil {
			t.Fatal(err)
		}

		t.Run("sign-ins by key", func(t *testing.T) {
			signIns := m.logs("logKey=Interaction.SignIn.Submit")
			if len(signIns) != 3 {
				t.Fatalf("sign-ins: %v", logKeys(signIns))
			}
			failed, ok := signIns[2], signIns[1]
			if failed.Payload.Result != "Error" || ok.Payload.Result != "Success" || failed.CreatedAt > ok.CreatedAt {
				t.Fatalf("results newest first: %+v", signIns)
			}
			for _, l := range []auditLog{failed, ok} {
				p := l.Payload
				id, _ := p.Params["identifier"].(map[string]any)
				if l.TenantID != "default" || p.Key != l.Key || p.IP != "127.0.0.1" || p.UserAgent != auditUA || p.ApplicationID != appID ||
					p.UserID != u.ID || id["value"] != "kitchen01" || id["type"] != "username" || p.Params["method"] != "Password" || p.InteractionID == "" {
					t.Fatalf("sign-in entry: %+v", l)
				}
			}
			if failed.Payload.Error["code"] != "session.invalid_credentials" {
				t.Fatalf("failure: %+v", failed.Payload.Error)
			}
		})

		t.Run("tokens by key", func(t *testing.T) {
			byCode := m.logs("logKey=ExchangeTokenBy.AuthorizationCode")
			if len(byCode) != 2 {
				t.Fatalf("code exchanges: %d", len(byCode))
			}
			p := byCode[1].Payload
			if p.Result != "Success" || p.UserID != u.ID || p.ApplicationID != appID || p.IP != "127.0.0.1" || p.UserAgent != "Go-http-client/1.1" ||
				p.Params["grant_type"] != "authorization_code" || p.Params["client_id"] != appID || p.Params["redirect_uri"] != redirectURI ||
				!slices.Equal(p.TokenTypes, []string{"AccessToken", "RefreshToken", "IdToken"}) || p.SessionID == "" {
				t.Fatalf("code exchange entry: %+v", p)
			}
			// Entries written in the same millisecond have no defined order.
			refreshes := m.logs("logKey=ExchangeTokenBy.RefreshToken")
			slices.SortFunc(refreshes, func(a, b auditLog) int { return strings.Compare(a.Payload.Result, b.Payload.Result) })
			if len(refreshes) != 2 || refreshes[0].Payload.Result != "Error" || refreshes[1].Payload.Result != "Success" {
				t.Fatalf("refreshes: %+v", refreshes)
			}
			if p := refreshes[1].Payload; p.UserID != u.ID || p.Scope != refreshed.Scope || p.SessionID != byCode[1].Payload.SessionID ||
				p.Params["resource"].([]any)[0] != ordersAPI {
				t.Fatalf("refresh entry: %+v", p)
			}
			if e := refreshes[0].Payload.Error; e["error"] != "invalid_grant" || e["status"] != float64(400) {
				t.Fatalf("reused refresh token entry: %+v", e)
			}
			machines := m.logs("logKey=ExchangeTokenBy.ClientCredentials&applicationId=" + m2mID)
			if len(machines) != 1 {
				t.Fatalf("client_credentials of the worker: %+v", machines)
			}
			if p := machines[0].Payload; p.Result != "Success" || p.UserID != "" || p.Scope != "read:orders" || p.Params["resource"].([]any)[0] != ordersAPI {
				t.Fatalf("client_credentials entry: %+v", p)
			}
			// The wrong secret names the client it claimed, not as the application.
			var refused []auditLog
			for _, l := range m.logs("logKey=ExchangeTokenBy.ClientCredentials") {
				if l.Payload.Result == "Error" {
					refused = append(refused, l)
				}
			}
			if len(refused) != 1 || refused[0].Payload.ApplicationID != "" || refused[0].Payload.Params["client_id"] != m2mID ||
				refused[0].Payload.Error["error"] != "invalid_client" {
				t.Fatalf("refused client: %+v", refused)
			}
		})

		t.Run("by user", func(t *testing.T) {
			mine := m.logs("userId=" + u.ID + "&page_size=100")
			keys := logKeys(mine)
			for _, want := range []string{"Interaction.SignIn.Submit", "Interaction.End", "ExchangeTokenBy.AuthorizationCode",
				"ExchangeTokenBy.RefreshToken", "RevokeToken", "Session.End"} {
				if !slices.Contains(keys, want) {
					t.Errorf("the user's logs lack %s: %v", want, keys)
				}
			}
			for i, l := range mine {
				if l.Payload.UserID != u.ID {
					t.Fatalf("another user's entry: %+v", l)
				}
				if i > 0 && l.CreatedAt > mine[i-1].CreatedAt {
					t.Fatalf("not newest first: %v", keys)
				}
			}
			revoked := m.logs("logKey=RevokeToken")
			if len(revoked) != 1 || revoked[0].Payload.UserID != u.ID || !slices.Equal(revoked[0].Payload.TokenTypes, []string{"RefreshToken"}) {
				t.Fatalf("revocation: %+v", revoked)
			}
			creates := m.logs("logKey=Interaction.Create&applicationId=" + appID)
			// Three sign-in pages were opened, the last with prompt=login.
			if len(creates) != 3 || creates[0].Payload.Params["client_id"] != appID || creates[0].Payload.Params["prompt"] != "login" ||
				creates[0].Payload.UserAgent != auditUA || creates[0].Payload.InteractionID == creates[1].Payload.InteractionID {
				t.Fatalf("interaction creations: %+v", creates)
			}
			// Entries of one sign-in correlate: the interaction from its
			// creation to its end, the session from the end to the tokens.
			signIn := m.logs("logKey=Interaction.SignIn.Submit")[1]
			ends := m.logs("logKey=Interaction.End")
			end := ends[len(ends)-1]
			byCode := m.logs("logKey=ExchangeTokenBy.AuthorizationCode")
			if signIn.Payload.InteractionID != creates[1].Payload.InteractionID || end.Payload.InteractionID != signIn.Payload.InteractionID ||
				end.Payload.SessionID == "" || end.Payload.SessionID != byCode[len(byCode)-1].Payload.SessionID {
				t.Fatalf("correlation: create %s, sign-in %s, end %+v, exchange %s", creates[1].Payload.InteractionID,
					signIn.Payload.InteractionID, end.Payload, byCode[len(byCode)-1].Payload.SessionID)
			}
			if got := m.logs("userId=nobody"); len(got) != 0 {
				t.Fatalf("unknown user: %v", logKeys(got))
			}
		})

		t.Run("management writes", func(t *testing.T) {
			writes := m.logs("logKey=ManagementApi.Write")
			if len(writes) != 1 {
				t.Fatalf("writes: %+v", writes)
			}
			p := writes[0].Payload
			if p.Params["method"] != "POST" || p.Params["path"] != "/api/users" || p.Params["status"] != float64(200) || p.ApplicationID == "" || p.UserID != "" {
				t.Fatalf("write entry: %+v", p)
			}
		})

		t.Run("get by id", func(t *testing.T) {
			list := m.logs("page_size=1")
			var one auditLog
			m.do("GET", "/api/logs/"+list[0].ID, nil, 200, &one)
			a, _ := json.Marshal(one)
			b, _ := json.Marshal(list[0])
			if string(a) != string(b) {
				t.Fatalf("GetLog %s\nListLogs %s", a, b)
			}
			if code := m.fails("GET", "/api/logs/missing", nil, 404); code != "entity.not_exists_with_id" {
				t.Fatalf("missing log: %s", code)
			}
		})

		t.Run("paging and bad input", func(t *testing.T) {
			all := m.logs("page_size=100")
			h := m.do("GET", "/api/logs?page=2&page_size=3", nil, 200, nil)
			if h.Get("Total-Number") != strconv.Itoa(len(all)) || !strings.Contains(h.Get("Link"), `rel="next"`) || !strings.Contains(h.Get("Link"), `rel="prev"`) {
				t.Fatalf("headers: %v (of %d)", h, len(all))
			}
			var page2 []auditLog
			m.do("GET", "/api/logs?page=2&page_size=3", nil, 200, &page2)
			if len(page2) != 3 || page2[0].ID != all[3].ID {
				t.Fatalf("page 2: %v", logKeys(page2))
			}
			// Always paginated: 20 by default.
			h = m.do("GET", "/api/logs", nil, 200, &page2)
			if len(page2) != min(20, len(all)) || h.Get("Total-Number") == "" {
				t.Fatalf("default page: %d entries, headers %v", len(page2), h)
			}
			h = m.do("GET", "/api/logs?enableCap=true", nil, 200, nil)
			if h.Get("Total-Number") != strconv.Itoa(len(all)) || h.Get("Total-Number-Is-Capped") != "" {
				t.Fatalf("capped count under the cap: %v", h)
			}
			// A time window.
			newest := all[0].CreatedAt
			window := m.logs("start_time=" + strconv.FormatInt(newest, 10) + "&end_time=" + strconv.FormatInt(newest, 10))
			if len(window) == 0 || window[len(window)-1].CreatedAt != newest {
				t.Fatalf("window: %+v", window)
			}
			for _, q := range []string{"page=0", "page_size=101", "page_size=x"} {
				if code := m.fails("GET", "/api/logs?"+q, nil, 400); code != "guard.invalid_pagination" {
					t.Errorf("%s: %s", q, code)
				}
			}
			for _, q := range []string{"start_time=yesterday", "end_time=NaN", "start_time=10&end_time=5"} {
				if code := m.fails("GET", "/api/logs?"+q, nil, 400); code != "guard.invalid_input" {
					t.Errorf("%s: %s", q, code)
				}
			}
		})

		// Nothing secret reached any entry: passwords, secrets, codes, tokens.
		t.Run("no secrets stored", func(t *testing.T) {
			list, _, err := in.Store.ListLogs(ctx, store.LogFilter{}, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) < 15 {
				t.Fatalf("only %d entries", len(list))
			}
			secrets := map[string]string{"password": pw, "wrong password": wrongPW, "API password": apiPassword,
				"client secret": appSecret, "M2M secret": m2mSecret, "authorization code": code, "code verifier": verifier,
				"access token": tokens.AccessToken, "refresh token": tokens.RefreshToken, "ID token": tokens.IDToken,
				"refreshed access token": refreshed.AccessToken, "rotated refresh token": refreshed.RefreshToken,
				"M2M token": machine.AccessToken, "revoked refresh token": again.RefreshToken, "management token": m.token}
			for _, l := range list {
				for name, s := range secrets {
					if s != "" && strings.Contains(string(l.Payload), s) {
						t.Errorf("%s entry carries the %s: %s", l.Key, name, l.Payload)
					}
				}
				if strings.Contains(strings.ToLower(string(l.Payload)), "basic ") || strings.Contains(string(l.Payload), "Bearer") {
					t.Errorf("%s entry carries an Authorization header: %s", l.Key, l.Payload)
				}
			}
		})

		t.Run("dashboard", func(t *testing.T) {
			var total struct{ TotalUserCount int }
			m.do("GET", "/api/dashboard/users/total", nil, 200, &total)
			if total.TotalUserCount != 2 {
				t.Fatalf("total: %+v", total)
			}
			var fresh map[string]struct{ Count, Delta int }
			m.do("GET", "/api/dashboard/users/new", nil, 200, &fresh)
			if fresh["today"].Count != 2 || fresh["today"].Delta != 2 || fresh["last7Days"].Count != 2 || fresh["last7Days"].Delta != 2 {
				t.Fatalf("new users: %+v", fresh)
			}
			var active struct {
				DauCurve []struct {
					Date  string
					Count int
				}
				Dau, Wau, Mau struct{ Count, Delta int }
			}
			m.do("GET", "/api/dashboard/users/active", nil, 200, &active)
			today := in.Clock.Now().Format("2006-01-02")
			if len(active.DauCurve) != 30 || active.DauCurve[29].Date != today || active.DauCurve[29].Count != 1 || active.DauCurve[28].Count != 0 ||
				active.Dau.Count != 1 || active.Dau.Delta != 1 || active.Wau.Count != 1 || active.Mau.Count != 1 || active.Mau.Delta != 1 {
				t.Fatalf("active users: %+v", active)
			}
			m.do("GET", "/api/dashboard/users/active?date=2020-03-01", nil, 200, &active)
			if active.DauCurve[29].Date != "2020-03-01" || active.DauCurve[0].Date != "2020-02-01" || active.Dau.Count != 0 || active.Mau.Count != 0 {
				t.Fatalf("a past date: %+v", active)
			}
			for _, bad := range []string{"yesterday", "2020-13-01", "2020-1-1"} {
				if code := m.fails("GET", "/api/dashboard/users/active?date="+bad, nil, 400); code != "guard.invalid_input" {
					t.Errorf("date=%s: %s", bad, code)
				}
			}
		})

		t.Run("retention", func(t *testing.T) {
			now := in.Clock.Now()
			old := []store.LogEntry{
				{Key: "Unknown", Result: "Success", Payload: json.RawMessage(`{"key":"Unknown","result":"Success"}`), CreatedAt: now.Add(-31 * 24 * time.Hour).UnixMilli()},
				{Key: "Unknown", Result: "Success", Payload: json.RawMessage(`{"key":"Unknown","result":"Success"}`), CreatedAt: now.Add(-29 * 24 * time.Hour).UnixMilli()},
			}
			if err := in.Store.InsertLogs(ctx, old); err != nil {
				t.Fatal(err)
			}
			before := len(m.logs("page_size=100"))
			if n, err := srv.SweepLogs(ctx); err != nil || n != 1 {
				t.Fatalf("sweep: %d %v, want 1 entry older than 30 days", n, err)
			}
			if _, err := in.Store.GetLog(ctx, old[1].ID); err != nil {
				t.Fatalf("a 29-day-old entry went: %v", err)
			}
			// Two days on, the 29-day-old entry is past the retention too;
			// today's entries stay.
			in.Clock.Advance(2 * 24 * time.Hour)
			if n, err := srv.SweepLogs(ctx); err != nil || n != 1 {
				t.Fatalf("second sweep: %d %v", n, err)
			}
			in.Clock.Advance(-2 * 24 * time.Hour)
			if after := len(m.logs("page_size=100")); after != before-2 {
				t.Fatalf("%d entries listed after the sweeps, want %d", after, before-2)
			}
		})
	})
}

func TestAuditLogRetentionOff(t *testing.T) {
	in, srv := startAudited(t, sqltestSQLite(t), "--log-retention-days", "0")
	ctx := context.Background()
	old := []store.LogEntry{{Key: "Unknown", Result: "Success", Payload: json.RawMessage(`{"key":"Unknown","result":"Success"}`),
		CreatedAt: in.Clock.Now().Add(-1000 * 24 * time.Hour).UnixMilli()}}
	if err := in.Store.InsertLogs(ctx, old); err != nil {
		t.Fatal(err)
	}
	if n, err := srv.SweepLogs(ctx); err != nil || n != 0 {
		t.Fatalf("sweep with LOG_RETENTION_DAYS=0: %d %v", n, err)
	}
	if _, err := in.Store.GetLog(ctx, old[0].ID); err != nil {
		t.Fatal(err)
	}
}

func TestAuditLogRoutesNeedToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	anon := &mgmt{t: t, base: in.URL}
	for _, path := range []string{"/api/logs", "/api/logs/x", "/api/dashboard/users/total", "/api/dashboard/users/new", "/api/dashboard/users/active"} {
		if code := anon.fails("GET", path, nil, 401); code != "auth.authorization_header_missing" {
			t.Errorf("%s: %s", path, code)
		}
	}
}

// awaitLogs polls GET /api/logs until query lists want entries: the
// audit log is written in the background, within 200 ms.
func (m *mgmt) awaitLogs(query string, want int) []auditLog {
	m.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		list := m.logs(query)
		if len(list) >= want || time.Now().After(deadline) {
			if len(list) != want {
				m.t.Fatalf("%s: %d entries %v, want %d", query, len(list), logKeys(list), want)
			}
			return list
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The registration and password reset flows record their submits and
// codes sent, never the codes or passwords.
func TestAuditLogFlows(t *testing.T) {
	s := newFlowSite(t, map[string]any{
		"signIn":                map[string]any{"methods": []map[string]any{{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}}},
		"signUp":                map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true},
		"forgotPasswordMethods": []string{"EmailVerificationCode"},
	})
	b := newBrowser(redirectURI)
	reg := b.get(t, s.authURL(url.Values{"interaction_mode": {"signUp"}}))
	b.post(t, reg, url.Values{"identifier": {"kitchen@example.com"}, "password": {"Str0ng-Passphrase!"}}) // taken
	codePage := b.post(t, reg, url.Values{"identifier": {"new@example.com"}, "password": {"Str0ng-Passphrase!"}})
	regCode := s.mb.last(t, "new@example.com", "Register")
	b.post(t, codePage, url.Values{"code": {wrongCode(regCode)}})
	landed(t, b.post(t, codePage, url.Values{"code": {regCode}}))

	registers := s.m.awaitLogs("logKey=Interaction.Register.Submit", 3)
	var results []string
	var success auditLog
	for _, l := range registers {
		results = append(results, l.Payload.Result+":"+fmtAny(l.Payload.Error["code"]))
		if l.Payload.Result == "Success" {
			success = l
		}
	}
	// Entries written in the same millisecond have no defined order.
	slices.Sort(results)
	if !slices.Equal(results, []string{"Error:user.email_already_in_use", "Error:verification_code.code_mismatch", "Success:"}) {
		t.Fatalf("registration entries: %v", results)
	}
	if p := success.Payload; p.UserID == "" || p.Params["identifier"].(map[string]any)["value"] != "new@example.com" || p.ApplicationID != s.appID {
		t.Fatalf("registration: %+v", p)
	}
	if sent := s.m.awaitLogs("logKey=Interaction.Register.Verification.EmailVerificationCode.Create", 1); sent[0].Payload.Result != "Success" {
		t.Fatalf("code sent: %+v", sent)
	}

	b = newBrowser(redirectURI)
	signIn := b.get(t, s.authURL(nil))
	forgot := b.get(t, signIn.url.String()+"/forgot-password")
	b.post(t, forgot, url.Values{"identifier": {"nobody@example.com"}})
	forgot = b.get(t, signIn.url.String()+"/forgot-password")
	resetPage := b.post(t, forgot, url.Values{"identifier": {"kitchen@example.com"}})
	resetCode := s.mb.last(t, "kitchen@example.com", "ForgotPassword")
	b.post(t, resetPage, url.Values{"code": {resetCode}, "password": {"123"}})
	if done := b.post(t, resetPage, url.Values{"code": {resetCode}, "password": {"New-Kitchen-Pass-2025"}}); done.status != 200 {
		t.Fatalf("reset: %d", done.status)
	}
	resets := s.m.awaitLogs("logKey=Interaction.ForgotPassword.Submit", 2)
	if resets[0].Payload.Result != "Success" || resets[0].Payload.UserID != s.user.ID || resets[1].Payload.Error["code"] != "password.rejected" {
		t.Fatalf("reset entries: %+v", resets)
	}
	sends := s.m.awaitLogs("logKey=Interaction.ForgotPassword.Verification.EmailVerificationCode.Create", 2)
	if sends[0].Payload.Result != "Success" || sends[1].Payload.Error["code"] != "user.user_not_exist" ||
		sends[1].Payload.Params["identifier"].(map[string]any)["value"] != "nobody@example.com" {
		t.Fatalf("code sends: %+v", sends)
	}
	list, _, err := s.Store.ListLogs(context.Background(), store.LogFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		for _, secret := range []string{regCode, resetCode, "Str0ng-Passphrase!", "New-Kitchen-Pass-2025"} {
			if strings.Contains(string(l.Payload), secret) {
				t.Errorf("%s entry carries %s: %s", l.Key, secret, l.Payload)
			}
		}
	}
}

func fmtAny(v any) string {
	if v == nil {
		return ""
	}
	s, _ := v.(string)
	return s
}
