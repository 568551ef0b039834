package e2e

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

type roleJSON struct {
	TenantID    string `json:"tenantId"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	IsDefault   bool   `json:"isDefault"`
}

type roleListItem struct {
	roleJSON
	UsersCount    int `json:"usersCount"`
	FeaturedUsers []struct {
		ID     string  `json:"id"`
		Avatar *string `json:"avatar"`
		Name   *string `json:"name"`
	} `json:"featuredUsers"`
	ApplicationsCount    int `json:"applicationsCount"`
	FeaturedApplications []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"featuredApplications"`
}

type roleScopeItem struct {
	TenantID    string  `json:"tenantId"`
	ID          string  `json:"id"`
	ResourceID  string  `json:"resourceId"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   int64   `json:"createdAt"`
	Resource    *struct {
		ID        string `json:"id"`
		Indicator string `json:"indicator"`
	} `json:"resource"`
}

// jsonKeys returns the sorted keys of a JSON object.
func jsonKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %s", raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scopeNames lists the names of scopes, sorted: scopes created in the same
// millisecond list in id order, which a test cannot know.
func scopeNames(scopes []roleScopeItem) []string {
	out := []string{}
	for _, s := range scopes {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

func roleNames(items []roleListItem) []string {
	out := []string{}
	for _, i := range items {
		out = append(out, i.Name)
	}
	return out
}

// tick lets the clock move on, so that records created one after the other
// have distinct creation times and list in a known order.
func tick() { time.Sleep(3 * time.Millisecond) }

// roleRoutes is every operation of the roles family, with sample paths.
var roleRoutes = []struct{ method, path string }{
	{"GET", "/api/roles"},
	{"POST", "/api/roles"},
	{"GET", "/api/roles/x"},
	{"PATCH", "/api/roles/x"},
	{"DELETE", "/api/roles/x"},
	{"GET", "/api/roles/x/scopes"},
	{"POST", "/api/roles/x/scopes"},
	{"DELETE", "/api/roles/x/scopes/y"},
	{"GET", "/api/roles/x/users"},
	{"POST", "/api/roles/x/users"},
	{"DELETE", "/api/roles/x/users/y"},
	{"GET", "/api/roles/x/applications"},
	{"POST", "/api/roles/x/applications"},
	{"DELETE", "/api/roles/x/applications/y"},
}

func TestManagementRolesNeedToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	m := in.management(t)
	role := in.role(t, "kept", store.UserRole)
	anon := &mgmt{t: t, base: in.URL}
	bad := &mgmt{t: t, base: in.URL, token: "not-a-jwt"}
	for _, rt := range roleRoutes {
		path := strings.ReplaceAll(rt.path, "/x", "/"+role.ID)
		var body any
		if rt.method == "POST" || rt.method == "PATCH" {
			body = map[string]any{"name": "sneaky", "description": "d", "scopeIds": []string{}, "userIds": []string{"y"}, "applicationIds": []string{"y"}}
		}
		if code := anon.fails(rt.method, path, body, 401); code != "auth.authorization_header_missing" {
			t.Errorf("%s %s without a token: %s", rt.method, path, code)
		}
		bad.fails(rt.method, path, body, 401)
	}
	// Nothing changed.
	var got roleJSON
	m.do("GET", "/api/roles/"+role.ID, nil, 200, &got)
	if got.Name != "kept" {
		t.Fatalf("role changed without a token: %+v", got)
	}
	var list []roleListItem
	m.do("GET", "/api/roles?search=sneaky", nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("role created without a token: %+v", list)
	}
}

func TestManagementRoles(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		_, scopeIDs := in.apiResource(t, ordersAPI, []string{"read:orders", "write:orders", "read:menus"})
		mgmtScope := "management-api-all"

		// Create: defaults, extra fields ignored, initial scopes.
		status, _, raw := m.call("POST", "/api/roles", map[string]any{"name": "Order Reader", "description": "Reads orders",
			"scopeIds": []string{scopeIDs["read:orders"]}, "id": "ignored", "tenantId": "other", "unknown": 1})
		if status != 200 {
			t.Fatalf("create: %d %s", status, raw)
		}
		if keys := jsonKeys(t, raw); !slices.Equal(keys, []string{"description", "id", "isDefault", "name", "tenantId", "type"}) {
			t.Fatalf("role keys %v", keys)
		}
		var reader roleJSON
		json.Unmarshal(raw, &reader)
		if reader.ID == "" || reader.ID == "ignored" || reader.TenantID != "default" || reader.Type != "User" || reader.IsDefault ||
			reader.Name != "Order Reader" || reader.Description != "Reads orders" {
			t.Fatalf("created %+v", reader)
		}
		tick()
		var worker roleJSON
		m.do("POST", "/api/roles", map[string]any{"name": "Order Worker", "description": "", "type": "MachineToMachine",
			"isDefault": false, "scopeIds": []string{scopeIDs["read:orders"]}}, 200, &worker)
		if worker.Type != "MachineToMachine" {
			t.Fatalf("created %+v", worker)
		}
		// A machine role may hold the Management API's scope.
		tick()
		var admin roleJSON
		m.do("POST", "/api/roles", map[string]any{"name": "Admin robot", "description": "all", "type": "MachineToMachine", "scopeIds": []string{mgmtScope}}, 200, &admin)
		var scopes []roleScopeItem
		m.do("GET", "/api/roles/"+reader.ID+"/scopes", nil, 200, &scopes)
		if !slices.Equal(scopeNames(scopes), []string{"read:orders"}) {
			t.Fatalf("initial scopes %v", scopeNames(scopes))
		}

		countRoles := func() int {
			var list []roleListItem
			h := m.do("GET", "/api/roles?page_size=100", nil, 200, &list)
			if h.Get("Total-Number") == "" {
				t.Fatal("no Total-Number")
			}
			return len(list)
		}
		before := countRoles()

		// Failed creates store nothing.
		if code := m.fails("POST", "/api/roles", map[string]any{"name": "Order Reader", "description": "again"}, 422); code != "role.name_in_use" {
			t.Fatalf("duplicate name: %s", code)
		}
		if code := m.fails("POST", "/api/roles", map[string]any{"name": "Ghost", "description": "d",
			"scopeIds": []string{scopeIDs["read:orders"], "no-such-scope"}}, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("unknown scope: %s", code)
		}
		if code := m.fails("POST", "/api/roles", map[string]any{"name": "Ghost", "description": "d", "scopeIds": []string{mgmtScope}}, 400); code != "role.management_api_scopes_not_assignable_to_user_role" {
			t.Fatalf("management scope on a user role: %s", code)
		}
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"description": "d"}, "name"},
			{map[string]any{"name": "", "description": "d"}, "name"},
			{map[string]any{"name": 5, "description": "d"}, "name"},
			{map[string]any{"name": strings.Repeat("n", 129), "description": "d"}, "name"},
			{map[string]any{"name": "Ghost"}, "description"},
			{map[string]any{"name": "Ghost", "description": strings.Repeat("d", 129)}, "description"},
			{map[string]any{"name": "Ghost", "description": "d", "type": "Admin"}, "type"},
			{map[string]any{"name": "Ghost", "description": "d", "isDefault": "yes"}, "isDefault"},
			{map[string]any{"name": "Ghost", "description": "d", "scopeIds": "all"}, "scopeIds"},
			{map[string]any{"name": "Ghost", "description": "d", "scopeIds": []string{""}}, "scopeIds"},
			{"[]", "body"},
		} {
			status, _, raw := m.call("POST", "/api/roles", c.body)
			if status != 400 || !strings.Contains(string(raw), c.field) {
				t.Errorf("POST /api/roles %v: %d %s; want 400 naming %s", c.body, status, raw, c.field)
			}
		}
		if n := countRoles(); n != before {
			t.Fatalf("failed creates stored roles: %d, want %d", n, before)
		}
		var ghosts []roleListItem
		m.do("GET", "/api/roles?search=Ghost", nil, 200, &ghosts)
		if len(ghosts) != 0 {
			t.Fatalf("failed create stored %+v", ghosts)
		}

		// Get.
		var got roleJSON
		m.do("GET", "/api/roles/"+reader.ID, nil, 200, &got)
		if got != reader {
			t.Fatalf("get = %+v, want %+v", got, reader)
		}
		if code := m.fails("GET", "/api/roles/nope", nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("missing role: %s", code)
		}

		// Update: only present fields change; type cannot change.
		m.do("PATCH", "/api/roles/"+reader.ID, map[string]any{"description": "Reads all orders", "isDefault": true, "type": "MachineToMachine"}, 200, &got)
		if got.Name != "Order Reader" || got.Description != "Reads all orders" || !got.IsDefault || got.Type != "User" {
			t.Fatalf("patched %+v", got)
		}
		m.do("PATCH", "/api/roles/"+reader.ID, map[string]any{"name": "Order Reader"}, 200, &got) // its own name is fine
		if code := m.fails("PATCH", "/api/roles/"+reader.ID, map[string]any{"name": "Order Worker"}, 422); code != "role.name_in_use" {
			t.Fatalf("rename to a taken name: %s", code)
		}
		m.fails("PATCH", "/api/roles/"+reader.ID, map[string]any{"name": ""}, 400)
		m.fails("PATCH", "/api/roles/"+reader.ID, map[string]any{"isDefault": "no"}, 400)
		m.fails("PATCH", "/api/roles/"+reader.ID, map[string]any{"description": 7}, 400)
		m.fails("PATCH", "/api/roles/nope", map[string]any{"name": "x"}, 404)
		m.do("GET", "/api/roles/"+reader.ID, nil, 200, &got)
		if got.Name != "Order Reader" || got.Description != "Reads all orders" || !got.IsDefault {
			t.Fatalf("failed updates changed the role: %+v", got)
		}
		m.do("PATCH", "/api/roles/"+reader.ID, map[string]any{"name": "Order Viewer", "isDefault": false}, 200, &got)
		if got.Name != "Order Viewer" || got.Description != "Reads all orders" || got.IsDefault {
			t.Fatalf("renamed %+v", got)
		}

		// Role scopes.
		var added []roleScopeItem
		m.do("POST", "/api/roles/"+reader.ID+"/scopes", map[string]any{"scopeIds": []string{scopeIDs["write:orders"], scopeIDs["read:menus"]}}, 200, &added)
		if !slices.Equal(scopeNames(added), []string{"read:menus", "read:orders", "write:orders"}) || added[0].Resource != nil {
			t.Fatalf("scopes after linking %+v", added)
		}
		if code := m.fails("POST", "/api/roles/"+reader.ID+"/scopes", map[string]any{"scopeIds": []string{scopeIDs["read:orders"]}}, 422); code != "role.scope_exists" {
			t.Fatalf("linking a held scope: %s", code)
		}
		tick()
		reduced := in.role(t, "reduced", store.UserRole)
		m.fails("POST", "/api/roles/"+reduced.ID+"/scopes", map[string]any{"scopeIds": []string{scopeIDs["read:orders"], "no-such-scope"}}, 404)
		m.fails("POST", "/api/roles/"+reduced.ID+"/scopes", map[string]any{"scopeIds": []string{scopeIDs["read:orders"], mgmtScope}}, 400)
		m.fails("POST", "/api/roles/"+reduced.ID+"/scopes", map[string]any{}, 400)
		m.fails("POST", "/api/roles/"+reduced.ID+"/scopes", map[string]any{"scopeIds": []int{1}}, 400)
		m.fails("POST", "/api/roles/nope/scopes", map[string]any{"scopeIds": []string{scopeIDs["read:orders"]}}, 404)
		m.do("GET", "/api/roles/"+reduced.ID+"/scopes", nil, 200, &scopes)
		if len(scopes) != 0 {
			t.Fatalf("failed links stored %v", scopeNames(scopes))
		}
		h := m.do("GET", "/api/roles/"+reader.ID+"/scopes", nil, 200, &scopes)
		if h.Get("Total-Number") != "" || len(scopes) != 3 || scopes[0].Resource == nil || scopes[0].Resource.Indicator != ordersAPI ||
			scopes[0].TenantID != "default" || scopes[0].ResourceID != scopes[0].Resource.ID {
			t.Fatalf("scope list %+v (Total-Number %q)", scopes, h.Get("Total-Number"))
		}
		all := scopes
		h = m.do("GET", "/api/roles/"+reader.ID+"/scopes?page=2&page_size=2", nil, 200, &scopes)
		if h.Get("Total-Number") != "3" || len(scopes) != 1 || scopes[0].ID != all[2].ID {
			t.Fatalf("scope page %v (Total-Number %q)", scopeNames(scopes), h.Get("Total-Number"))
		}
		m.do("GET", "/api/roles/"+reader.ID+"/scopes?search=MENU", nil, 200, &scopes)
		if !slices.Equal(scopeNames(scopes), []string{"read:menus"}) {
			t.Fatalf("scope search %v", scopeNames(scopes))
		}
		m.do("GET", "/api/roles/"+reader.ID+"/scopes?search.name=%25write%25", nil, 200, &scopes)
		if !slices.Equal(scopeNames(scopes), []string{"write:orders"}) {
			t.Fatalf("scope search.name %v", scopeNames(scopes))
		}
		m.fails("GET", "/api/roles/"+reader.ID+"/scopes?page_size=0", nil, 400)
		m.fails("GET", "/api/roles/nope/scopes", nil, 404)
		m.do("DELETE", "/api/roles/"+reader.ID+"/scopes/"+scopeIDs["read:menus"], nil, 204, nil)
		m.fails("DELETE", "/api/roles/"+reader.ID+"/scopes/"+scopeIDs["read:menus"], nil, 404)
		m.fails("DELETE", "/api/roles/nope/scopes/"+scopeIDs["read:orders"], nil, 404)
		m.do("GET", "/api/roles/"+reader.ID+"/scopes", nil, 200, &scopes)
		if !slices.Equal(scopeNames(scopes), []string{"read:orders", "write:orders"}) {
			t.Fatalf("scopes after unlinking %v", scopeNames(scopes))
		}

		// Role users.
		alice := in.createUser(t, "alice", "alice@example.com", "Secret-123!")
		tick()
		bob := in.createUser(t, "bob", "bob@example.com", "Secret-123!")
		tick()
		carol := in.createUser(t, "carol", "carol@example.com", "Secret-123!")
		status, _, raw = m.call("POST", "/api/roles/"+reader.ID+"/users", map[string]any{"userIds": []string{bob.ID, alice.ID}})
		if status != 201 {
			t.Fatalf("assign users: %d %s", status, raw)
		}
		status, h, raw = m.call("GET", "/api/roles/"+reader.ID+"/users", nil)
		if status != 200 || h.Get("Total-Number") != "2" {
			t.Fatalf("role users: %d %s (Total-Number %q)", status, raw, h.Get("Total-Number"))
		}
		var holders []map[string]any
		json.Unmarshal(raw, &holders)
		if len(holders) != 2 || holders[0]["id"] != alice.ID || holders[1]["id"] != bob.ID || holders[0]["username"] != "alice" ||
			holders[0]["primaryEmail"] != "alice@example.com" || holders[0]["avatar"] != nil {
			t.Fatalf("role users %s", raw)
		}
		for _, k := range []string{"primaryPhone", "customData", "identities", "lastSignInAt", "createdAt", "updatedAt", "profile", "applicationId", "isSuspended"} {
			if _, ok := holders[0][k]; !ok {
				t.Fatalf("role user lacks %s: %s", k, raw)
			}
		}
		if strings.Contains(strings.ToLower(string(raw)), "digest") || strings.Contains(string(raw), "$argon2") {
			t.Fatalf("role users leak password hashes: %s", raw)
		}
		h = m.do("GET", "/api/roles/"+reader.ID+"/users?page=2&page_size=1", nil, 200, &holders)
		if h.Get("Total-Number") != "2" || len(holders) != 1 || holders[0]["id"] != bob.ID {
			t.Fatalf("role users page 2: %v", holders)
		}
		m.do("GET", "/api/roles/"+reader.ID+"/users?search=BOB@", nil, 200, &holders)
		if len(holders) != 1 || holders[0]["id"] != bob.ID {
			t.Fatalf("role users search: %v", holders)
		}
		if code := m.fails("POST", "/api/roles/"+reader.ID+"/users", map[string]any{"userIds": []string{carol.ID, alice.ID}}, 422); code != "role.user_exists" {
			t.Fatalf("assigning a held role: %s", code)
		}
		m.fails("POST", "/api/roles/"+reader.ID+"/users", map[string]any{"userIds": []string{carol.ID, "no-such-user"}}, 404)
		if code := m.fails("POST", "/api/roles/"+worker.ID+"/users", map[string]any{"userIds": []string{carol.ID}}, 422); code != "user.invalid_role_type" {
			t.Fatalf("machine role to a user: %s", code)
		}
		m.fails("POST", "/api/roles/"+reader.ID+"/users", map[string]any{"userIds": []string{}}, 400)
		m.fails("POST", "/api/roles/"+reader.ID+"/users", map[string]any{"userIds": carol.ID}, 400)
		m.fails("POST", "/api/roles/"+reader.ID+"/users", map[string]any{}, 400)
		m.fails("POST", "/api/roles/nope/users", map[string]any{"userIds": []string{carol.ID}}, 404)
		m.do("GET", "/api/roles/"+reader.ID+"/users", nil, 200, &holders)
		if len(holders) != 2 {
			t.Fatalf("failed assignments stored users: %v", holders)
		}
		if ur, err := in.Store.ListUserRoles(t.Context(), carol.ID); err != nil || len(ur) != 0 {
			t.Fatalf("carol holds %v (%v) after failed assignments", ur, err)
		}
		m.fails("GET", "/api/roles/nope/users", nil, 404)
		m.fails("GET", "/api/roles/"+reader.ID+"/users?page=abc", nil, 400)
		m.do("DELETE", "/api/roles/"+reader.ID+"/users/"+bob.ID, nil, 204, nil)
		m.fails("DELETE", "/api/roles/"+reader.ID+"/users/"+bob.ID, nil, 404)
		m.fails("DELETE", "/api/roles/nope/users/"+alice.ID, nil, 404)
		m.do("GET", "/api/roles/"+reader.ID+"/users", nil, 200, &holders)
		if len(holders) != 1 || holders[0]["id"] != alice.ID {
			t.Fatalf("role users after removal: %v", holders)
		}

		// Role applications.
		robotID, robotSecret := in.createApp(t, appsInput("Order Robot", "MachineToMachine"))
		tick()
		cronID, _ := in.createApp(t, appsInput("Cron", "MachineToMachine"))
		webID, _ := in.createApp(t, appsInput("Web", "Traditional"))
		status, _, raw = m.call("POST", "/api/roles/"+worker.ID+"/applications", map[string]any{"applicationIds": []string{robotID, cronID}})
		if status != 201 {
			t.Fatalf("assign applications: %d %s", status, raw)
		}
		var machines []appJSON
		h = m.do("GET", "/api/roles/"+worker.ID+"/applications", nil, 200, &machines)
		if h.Get("Total-Number") != "2" || len(machines) != 2 || machines[0].ID != robotID || machines[0].Secret != robotSecret ||
			machines[0].Type != "MachineToMachine" || machines[1].ID != cronID {
			t.Fatalf("role applications %+v", machines)
		}
		m.do("GET", "/api/roles/"+worker.ID+"/applications?search=cron", nil, 200, &machines)
		if len(machines) != 1 || machines[0].ID != cronID {
			t.Fatalf("role applications search %+v", machines)
		}
		h = m.do("GET", "/api/roles/"+worker.ID+"/applications?page=2&page_size=1", nil, 200, &machines)
		if h.Get("Total-Number") != "2" || len(machines) != 1 || machines[0].ID != cronID {
			t.Fatalf("role applications page 2 %+v", machines)
		}
		if code := m.fails("POST", "/api/roles/"+worker.ID+"/applications", map[string]any{"applicationIds": []string{robotID}}, 422); code != "role.application_exists" {
			t.Fatalf("assigning a held role: %s", code)
		}
		lateID, _ := in.createApp(t, appsInput("Late", "MachineToMachine"))
		m.fails("POST", "/api/roles/"+worker.ID+"/applications", map[string]any{"applicationIds": []string{lateID, "no-such-app"}}, 404)
		if code := m.fails("POST", "/api/roles/"+worker.ID+"/applications", map[string]any{"applicationIds": []string{lateID, webID}}, 422); code != "application.invalid_type" {
			t.Fatalf("role to a Traditional app: %s", code)
		}
		if code := m.fails("POST", "/api/roles/"+reader.ID+"/applications", map[string]any{"applicationIds": []string{lateID}}, 422); code != "application.invalid_role_type" {
			t.Fatalf("user role to an app: %s", code)
		}
		m.fails("POST", "/api/roles/"+worker.ID+"/applications", map[string]any{"applicationIds": []string{}}, 400)
		m.fails("POST", "/api/roles/"+worker.ID+"/applications", map[string]any{"applicationIds": []any{nil}}, 400)
		m.fails("POST", "/api/roles/nope/applications", map[string]any{"applicationIds": []string{lateID}}, 404)
		var lateRoles []roleJSON
		m.do("GET", "/api/applications/"+lateID+"/roles", nil, 200, &lateRoles)
		if len(lateRoles) != 0 {
			t.Fatalf("failed assignments stored roles: %+v", lateRoles)
		}
		m.fails("GET", "/api/roles/nope/applications", nil, 404)
		m.fails("GET", "/api/roles/"+worker.ID+"/applications?page_size=101", nil, 400)
		m.do("DELETE", "/api/roles/"+worker.ID+"/applications/"+cronID, nil, 204, nil)
		m.fails("DELETE", "/api/roles/"+worker.ID+"/applications/"+cronID, nil, 404)
		m.fails("DELETE", "/api/roles/nope/applications/"+robotID, nil, 404)

		// List: always paginated, with holders.
		var list []roleListItem
		status, h, raw = m.call("GET", "/api/roles", nil)
		if status != 200 || h.Get("Total-Number") == "" {
			t.Fatalf("list: %d %s (Total-Number %q)", status, raw, h.Get("Total-Number"))
		}
		var rawList []json.RawMessage
		json.Unmarshal(raw, &rawList)
		if keys := jsonKeys(t, rawList[0]); !slices.Equal(keys, []string{"applicationsCount", "description", "featuredApplications",
			"featuredUsers", "id", "isDefault", "name", "tenantId", "type", "usersCount"}) {
			t.Fatalf("list item keys %v", keys)
		}
		json.Unmarshal(raw, &list)
		byName := map[string]roleListItem{}
		for _, r := range list {
			byName[r.Name] = r
		}
		if r := byName["Order Viewer"]; r.UsersCount != 1 || len(r.FeaturedUsers) != 1 || r.FeaturedUsers[0].ID != alice.ID ||
			r.FeaturedUsers[0].Name == nil || *r.FeaturedUsers[0].Name != "Test alice" || r.FeaturedUsers[0].Avatar != nil ||
			r.ApplicationsCount != 0 || r.FeaturedApplications == nil {
			t.Fatalf("list entry of the user role %+v", r)
		}
		if r := byName["Order Worker"]; r.ApplicationsCount != 1 || len(r.FeaturedApplications) != 1 || r.FeaturedApplications[0].ID != robotID ||
			r.FeaturedApplications[0].Type != "MachineToMachine" || r.FeaturedApplications[0].Name != "Order Robot" || r.UsersCount != 0 {
			t.Fatalf("list entry of the machine role %+v", r)
		}
		// Featured holders stop at three; the count does not.
		for _, name := range []string{"dave", "erin", "frank"} {
			u := in.createUser(t, name, name+"@example.com", "Secret-123!")
			m.do("POST", "/api/roles/"+reader.ID+"/users", map[string]any{"userIds": []string{u.ID}}, 201, nil)
		}
		m.do("GET", "/api/roles?search=viewer", nil, 200, &list)
		if len(list) != 1 || list[0].UsersCount != 4 || len(list[0].FeaturedUsers) != 3 {
			t.Fatalf("list entry with four users %+v", list)
		}
		m.do("GET", "/api/roles?type=MachineToMachine&page_size=100", nil, 200, &list)
		if names := roleNames(list); !slices.Equal(names, []string{"Logto Management API access", "Order Worker", "Admin robot"}) {
			t.Fatalf("machine roles %v", names)
		}
		m.do("GET", "/api/roles?type=User", nil, 200, &list)
		if names := roleNames(list); !slices.Equal(names, []string{"Order Viewer", "reduced"}) {
			t.Fatalf("user roles %v", names)
		}
		m.do("GET", "/api/roles?search.description=%25ALL%20orders%25", nil, 200, &list)
		if names := roleNames(list); !slices.Equal(names, []string{"Order Viewer"}) {
			t.Fatalf("search roles %v", names)
		}
		m.do("GET", "/api/roles?excludeUserId="+alice.ID+"&type=User", nil, 200, &list)
		if names := roleNames(list); !slices.Equal(names, []string{"reduced"}) {
			t.Fatalf("roles alice lacks %v", names)
		}
		m.do("GET", "/api/roles?excludeApplicationId="+robotID+"&type=MachineToMachine", nil, 200, &list)
		if names := roleNames(list); !slices.Equal(names, []string{"Logto Management API access", "Admin robot"}) {
			t.Fatalf("roles the robot lacks %v", names)
		}
		h = m.do("GET", "/api/roles?page=2&page_size=2", nil, 200, &list)
		if h.Get("Total-Number") != "5" || !slices.Equal(roleNames(list), []string{"Order Worker", "Admin robot"}) {
			t.Fatalf("page 2: %v (Total-Number %q)", roleNames(list), h.Get("Total-Number"))
		}
		m.fails("GET", "/api/roles?type=Admin", nil, 400)
		m.fails("GET", "/api/roles?page=0", nil, 400)

		// A scope linked to a role through the API shows in the next
		// client_credentials token of an application holding the role, at once.
		token := func() string {
			t.Helper()
			res := tokenRequest(t, in.Issuer, robotID, robotSecret, url.Values{"grant_type": {"client_credentials"},
				"resource": {ordersAPI}, "scope": {"read:orders write:orders"}})
			if res.status != 200 {
				t.Fatalf("token: %d %s", res.status, res.raw)
			}
			return res.Scope
		}
		if s := token(); s != "read:orders" {
			t.Fatalf("token scope before linking: %q", s)
		}
		m.do("POST", "/api/roles/"+worker.ID+"/scopes", map[string]any{"scopeIds": []string{scopeIDs["write:orders"]}}, 200, nil)
		if s := token(); s != "read:orders write:orders" {
			t.Fatalf("token scope right after linking: %q", s)
		}
		m.do("DELETE", "/api/roles/"+worker.ID+"/scopes/"+scopeIDs["read:orders"], nil, 204, nil)
		if s := token(); s != "write:orders" {
			t.Fatalf("token scope right after unlinking: %q", s)
		}

		// Delete: the role and its assignments go.
		m.do("DELETE", "/api/roles/"+worker.ID, nil, 204, nil)
		m.fails("GET", "/api/roles/"+worker.ID, nil, 404)
		if code := m.fails("DELETE", "/api/roles/"+worker.ID, nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("deleting a missing role: %s", code)
		}
		var robotRoles []roleJSON
		m.do("GET", "/api/applications/"+robotID+"/roles", nil, 200, &robotRoles)
		if len(robotRoles) != 0 {
			t.Fatalf("deleted role still assigned: %+v", robotRoles)
		}
		if s := token(); s != "" {
			t.Fatalf("token scope after deleting the role: %q", s)
		}
		// The name is free again.
		m.do("POST", "/api/roles", map[string]any{"name": "Order Worker", "description": "again", "type": "MachineToMachine"}, 200, &worker)
	})
}
