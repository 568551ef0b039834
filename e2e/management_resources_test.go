package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// rsrcJSON is Logto's Resource, with scopes where the response has them.
type rsrcJSON struct {
	TenantID       string          `json:"tenantId"`
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Indicator      string          `json:"indicator"`
	IsDefault      bool            `json:"isDefault"`
	AccessTokenTTL int             `json:"accessTokenTtl"`
	Scopes         []rsrcScopeJSON `json:"scopes"`
}

// rsrcScopeJSON is Logto's Scope.
type rsrcScopeJSON struct {
	TenantID    string  `json:"tenantId"`
	ID          string  `json:"id"`
	ResourceID  string  `json:"resourceId"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	CreatedAt   int64   `json:"createdAt"`
}

const managementIndicator = "https://default.logto.app/api"

// resourceRoutes are the resource family's operations, with placeholders
// filled in.
var resourceRoutes = []struct{ method, path string }{
	{"GET", "/api/resources"},
	{"POST", "/api/resources"},
	{"GET", "/api/resources/x"},
	{"PATCH", "/api/resources/x"},
	{"DELETE", "/api/resources/x"},
	{"PATCH", "/api/resources/x/is-default"},
	{"GET", "/api/resources/x/scopes"},
	{"POST", "/api/resources/x/scopes"},
	{"PATCH", "/api/resources/x/scopes/y"},
	{"DELETE", "/api/resources/x/scopes/y"},
}

func TestManagementResourcesNeedToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	anon := &mgmt{t: t, base: in.URL}
	for _, rt := range resourceRoutes {
		if code := anon.fails(rt.method, rt.path, map[string]any{"name": "x", "indicator": "https://x.example"}, 401); code != "auth.authorization_header_missing" {
			t.Errorf("%s %s without a token: %s", rt.method, rt.path, code)
		}
	}
	resources, _, err := in.Store.ListResources(context.Background(), store.Page{})
	if err != nil || len(resources) != 1 {
		t.Fatalf("resources after refused calls: %v %v", resources, err)
	}
}

// resourceIDs lists every resource's id and the default's.
func (m *mgmt) resourceIDs() (all []string, defaults []string) {
	m.t.Helper()
	var list []rsrcJSON
	m.do("GET", "/api/resources", nil, 200, &list)
	for _, r := range list {
		all = append(all, r.ID)
		if r.IsDefault {
			defaults = append(defaults, r.ID)
		}
	}
	return all, defaults
}

func TestManagementResources(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)

		// The built-in Management API is listed.
		var list []rsrcJSON
		m.do("GET", "/api/resources", nil, 200, &list)
		if len(list) != 1 || list[0].Indicator != managementIndicator || list[0].TenantID != "default" {
			t.Fatalf("initial resources = %+v", list)
		}
		mgmtAPI := list[0]

		// Create: defaults, ignored fields, the create response's empty scopes.
		var orders rsrcJSON
		status, _, raw := m.call("POST", "/api/resources", map[string]any{"name": " Orders API ", "indicator": "https://api.example/orders",
			"id": "ignored", "isDefault": true, "tenantId": "other", "scopes": []string{"x"}})
		if status != 201 {
			t.Fatalf("create: %d %s", status, raw)
		}
		json.Unmarshal(raw, &orders)
		in.Clock.Advance(time.Millisecond) // lists are in creation order
		if orders.ID == "" || orders.ID == "ignored" || orders.Name != "Orders API" || orders.Indicator != "https://api.example/orders" ||
			orders.IsDefault || orders.AccessTokenTTL != 3600 || orders.TenantID != "default" || orders.Scopes == nil || len(orders.Scopes) != 0 {
			t.Fatalf("created %s", raw)
		}
		var kitchen rsrcJSON
		m.do("POST", "/api/resources", map[string]any{"name": "Kitchen", "indicator": "urn:kitchen:display", "accessTokenTtl": 7200}, 201, &kitchen)
		if kitchen.AccessTokenTTL != 7200 || kitchen.Indicator != "urn:kitchen:display" {
			t.Fatalf("created %+v", kitchen)
		}

		// A taken indicator is Logto's 422; nothing is stored.
		if code := m.fails("POST", "/api/resources", map[string]any{"name": "Again", "indicator": "https://api.example/orders"}, 422); code != "resource.resource_identifier_in_use" {
			t.Fatalf("duplicate indicator: %s", code)
		}
		if code := m.fails("POST", "/api/resources", map[string]any{"name": "Mine", "indicator": managementIndicator}, 422); code != "resource.resource_identifier_in_use" {
			t.Fatalf("the Management API's indicator: %s", code)
		}

		// Bad input names the field and stores nothing.
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"indicator": "https://x.example"}, "name"},
			{map[string]any{"name": "x"}, "indicator"},
			{map[string]any{"name": 5, "indicator": "https://x.example"}, "name"},
			{map[string]any{"name": "  ", "indicator": "https://x.example"}, "name"},
			{map[string]any{"name": nil, "indicator": "https://x.example"}, "name"},
			{map[string]any{"name": "x", "indicator": "not a uri"}, "indicator"},
			{map[string]any{"name": "x", "indicator": "/relative"}, "indicator"},
			{map[string]any{"name": "x", "indicator": "https://x.example/#frag"}, "indicator"},
			{map[string]any{"name": "x", "indicator": 7}, "indicator"},
			{map[string]any{"name": "x", "indicator": "https://x.example", "accessTokenTtl": "60"}, "accessTokenTtl"},
			{map[string]any{"name": "x", "indicator": "https://x.example", "accessTokenTtl": 0}, "accessTokenTtl"},
			{map[string]any{"name": "x", "indicator": "https://x.example", "accessTokenTtl": 1.5}, "accessTokenTtl"},
			{map[string]any{"name": "x", "indicator": "https://x.example", "accessTokenTtl": nil}, "accessTokenTtl"},
			{"[1,2]", "body"},
			{"{", "body"},
		} {
			status, _, raw := m.call("POST", "/api/resources", c.body)
			if status != 400 || !strings.Contains(string(raw), c.field) {
				t.Errorf("POST %v: %d %s; want 400 naming %s", c.body, status, raw, c.field)
			}
		}
		if all, _ := m.resourceIDs(); len(all) != 3 {
			t.Fatalf("resources after refused creates: %v", all)
		}

		// Get.
		var got rsrcJSON
		m.do("GET", "/api/resources/"+orders.ID, nil, 200, &got)
		if got.ID != orders.ID || got.Name != "Orders API" || got.Scopes != nil {
			t.Fatalf("get = %+v", got)
		}
		if code := m.fails("GET", "/api/resources/nope", nil, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("missing resource: %s", code)
		}

		// Update: name and TTL; the indicator and isDefault are not changed here.
		m.do("PATCH", "/api/resources/"+orders.ID, map[string]any{"name": "Orders v2", "accessTokenTtl": 600,
			"indicator": "https://elsewhere.example", "isDefault": true}, 200, &got)
		if got.Name != "Orders v2" || got.AccessTokenTTL != 600 || got.Indicator != "https://api.example/orders" || got.IsDefault {
			t.Fatalf("patched = %+v", got)
		}
		m.do("PATCH", "/api/resources/"+orders.ID, map[string]any{}, 200, &got)
		if got.Name != "Orders v2" || got.AccessTokenTTL != 600 {
			t.Fatalf("empty patch changed %+v", got)
		}
		m.fails("PATCH", "/api/resources/nope", map[string]any{"name": "y"}, 404)
		for _, body := range []map[string]any{{"name": ""}, {"name": false}, {"accessTokenTtl": -5}, {"name": "ok", "accessTokenTtl": "x"}} {
			m.fails("PATCH", "/api/resources/"+orders.ID, body, 400)
		}
		m.do("GET", "/api/resources/"+orders.ID, nil, 200, &got)
		if got.Name != "Orders v2" || got.AccessTokenTTL != 600 {
			t.Fatalf("refused patches changed %+v", got)
		}
		if code := m.fails("PATCH", "/api/resources/"+mgmtAPI.ID, map[string]any{"name": "Mine"}, 400); code != "resource.cannot_modify_management_api" {
			t.Fatalf("patching the Management API: %s", code)
		}

		// The default resource: one at most.
		m.do("PATCH", "/api/resources/"+orders.ID+"/is-default", map[string]any{"isDefault": true}, 200, &got)
		if !got.IsDefault || got.ID != orders.ID || got.Name != "Orders v2" {
			t.Fatalf("made default: %+v", got)
		}
		m.do("PATCH", "/api/resources/"+kitchen.ID+"/is-default", map[string]any{"isDefault": true}, 200, &got)
		if _, defaults := m.resourceIDs(); !slices.Equal(defaults, []string{kitchen.ID}) {
			t.Fatalf("defaults after switching = %v", defaults)
		}
		m.do("PATCH", "/api/resources/"+orders.ID+"/is-default", map[string]any{"isDefault": false}, 200, &got)
		if _, defaults := m.resourceIDs(); !slices.Equal(defaults, []string{kitchen.ID}) {
			t.Fatalf("clearing another resource changed the default: %v", defaults)
		}
		m.do("PATCH", "/api/resources/"+kitchen.ID+"/is-default", map[string]any{"isDefault": false}, 200, &got)
		if _, defaults := m.resourceIDs(); len(defaults) != 0 || got.IsDefault {
			t.Fatalf("defaults after clearing = %v", defaults)
		}
		m.do("PATCH", "/api/resources/"+orders.ID+"/is-default", map[string]any{"isDefault": true}, 200, nil)
		m.fails("PATCH", "/api/resources/nope/is-default", map[string]any{"isDefault": true}, 404)
		for _, body := range []any{map[string]any{}, map[string]any{"isDefault": "yes"}, map[string]any{"isDefault": nil}, "{"} {
			m.fails("PATCH", "/api/resources/"+kitchen.ID+"/is-default", body, 400)
		}
		if _, defaults := m.resourceIDs(); !slices.Equal(defaults, []string{orders.ID}) {
			t.Fatalf("defaults after refused calls = %v", defaults)
		}

		// Scopes.
		var read, write rsrcScopeJSON
		m.do("POST", "/api/resources/"+orders.ID+"/scopes", map[string]any{"name": "read:orders", "description": "See orders", "id": "ignored"}, 201, &read)
		if read.ID == "" || read.ID == "ignored" || read.ResourceID != orders.ID || read.Name != "read:orders" || read.Description == nil ||
			*read.Description != "See orders" || read.TenantID != "default" || read.CreatedAt == 0 {
			t.Fatalf("created scope %+v", read)
		}
		in.Clock.Advance(time.Millisecond)
		status, _, raw = m.call("POST", "/api/resources/"+orders.ID+"/scopes", map[string]any{"name": "write:orders"})
		if status != 201 || !strings.Contains(string(raw), `"description":null`) {
			t.Fatalf("scope without description: %d %s", status, raw)
		}
		json.Unmarshal(raw, &write)
		var menus rsrcScopeJSON
		m.do("POST", "/api/resources/"+kitchen.ID+"/scopes", map[string]any{"name": "read:orders", "description": nil}, 201, &menus)
		if code := m.fails("POST", "/api/resources/"+orders.ID+"/scopes", map[string]any{"name": "read:orders"}, 422); code != "scope.name_exists" {
			t.Fatalf("duplicate scope: %s", code)
		}
		if code := m.fails("POST", "/api/resources/"+orders.ID+"/scopes", map[string]any{"name": "read orders"}, 400); code != "scope.name_with_space" {
			t.Fatalf("scope name with a space: %s", code)
		}
		for _, body := range []any{map[string]any{}, map[string]any{"name": ""}, map[string]any{"name": 1}, map[string]any{"name": "ok", "description": 5}, "[]"} {
			m.fails("POST", "/api/resources/"+orders.ID+"/scopes", body, 400)
		}
		if code := m.fails("POST", "/api/resources/nope/scopes", map[string]any{"name": "x"}, 404); code != "entity.not_exists_with_id" {
			t.Fatalf("scope of a missing resource: %s", code)
		}
		if code := m.fails("POST", "/api/resources/"+mgmtAPI.ID+"/scopes", map[string]any{"name": "mine"}, 400); code != "resource.cannot_modify_management_api" {
			t.Fatalf("scope on the Management API: %s", code)
		}

		var scopes []rsrcScopeJSON
		h := m.do("GET", "/api/resources/"+orders.ID+"/scopes", nil, 200, &scopes)
		if len(scopes) != 2 || scopes[0].ID != read.ID || scopes[1].ID != write.ID || h.Get("Total-Number") != "" {
			t.Fatalf("scopes = %+v", scopes)
		}
		h = m.do("GET", "/api/resources/"+orders.ID+"/scopes?page=2&page_size=1", nil, 200, &scopes)
		if len(scopes) != 1 || scopes[0].ID != write.ID || h.Get("Total-Number") != "2" {
			t.Fatalf("scopes page 2 = %+v (Total-Number %q)", scopes, h.Get("Total-Number"))
		}
		m.do("GET", "/api/resources/"+orders.ID+"/scopes?search=%25WRITE%25", nil, 200, &scopes)
		if len(scopes) != 1 || scopes[0].ID != write.ID {
			t.Fatalf("scope search = %+v", scopes)
		}
		m.do("GET", "/api/resources/"+orders.ID+"/scopes?search.description=see", nil, 200, &scopes)
		if len(scopes) != 1 || scopes[0].ID != read.ID {
			t.Fatalf("scope search on description = %+v", scopes)
		}
		m.fails("GET", "/api/resources/"+orders.ID+"/scopes?page_size=0", nil, 400)
		m.fails("GET", "/api/resources/nope/scopes", nil, 404)

		// Resource lists: scopes on request, paging, search.
		status, _, raw = m.call("GET", "/api/resources", nil)
		if status != 200 || strings.Contains(string(raw), `"scopes"`) {
			t.Fatalf("list without includeScopes: %d %s", status, raw)
		}
		m.do("GET", "/api/resources?includeScopes=true", nil, 200, &list)
		if len(list) != 3 || list[0].ID != mgmtAPI.ID || list[1].ID != orders.ID || list[2].ID != kitchen.ID {
			t.Fatalf("list order = %+v", list)
		}
		if len(list[0].Scopes) != 1 || list[0].Scopes[0].Name != "all" || len(list[1].Scopes) != 2 || list[1].Scopes[1].ID != write.ID ||
			len(list[2].Scopes) != 1 || list[2].Scopes[0].ID != menus.ID || list[2].Scopes[0].Description != nil {
			t.Fatalf("list with scopes = %+v", list)
		}
		h = m.do("GET", "/api/resources?page=2&page_size=2&includeScopes=1", nil, 200, &list)
		if len(list) != 1 || list[0].ID != kitchen.ID || len(list[0].Scopes) != 1 || h.Get("Total-Number") != "3" {
			t.Fatalf("list page 2 = %+v (Total-Number %q)", list, h.Get("Total-Number"))
		}
		m.do("GET", "/api/resources?search=kitchen", nil, 200, &list)
		if len(list) != 1 || list[0].ID != kitchen.ID {
			t.Fatalf("resource search = %+v", list)
		}
		m.fails("GET", "/api/resources?page=-1", nil, 400)

		// Update scopes.
		var updated rsrcScopeJSON
		m.do("PATCH", "/api/resources/"+orders.ID+"/scopes/"+write.ID, map[string]any{"name": "manage:orders", "description": "All of it", "resourceId": kitchen.ID}, 200, &updated)
		if updated.Name != "manage:orders" || *updated.Description != "All of it" || updated.ResourceID != orders.ID || updated.CreatedAt != write.CreatedAt {
			t.Fatalf("updated scope %+v", updated)
		}
		status, _, raw = m.call("PATCH", "/api/resources/"+orders.ID+"/scopes/"+write.ID, map[string]any{"description": nil})
		if status != 200 || !strings.Contains(string(raw), `"description":null`) || !strings.Contains(string(raw), `"manage:orders"`) {
			t.Fatalf("clearing the description: %d %s", status, raw)
		}
		if code := m.fails("PATCH", "/api/resources/"+orders.ID+"/scopes/"+write.ID, map[string]any{"name": "read:orders"}, 422); code != "scope.name_exists" {
			t.Fatalf("renaming onto another scope: %s", code)
		}
		if code := m.fails("PATCH", "/api/resources/"+orders.ID+"/scopes/"+write.ID, map[string]any{"name": "two words"}, 400); code != "scope.name_with_space" {
			t.Fatalf("renaming with a space: %s", code)
		}
		m.fails("PATCH", "/api/resources/"+orders.ID+"/scopes/"+write.ID, map[string]any{"name": 3}, 400)
		m.fails("PATCH", "/api/resources/"+orders.ID+"/scopes/nope", map[string]any{"name": "x"}, 404)
		m.fails("PATCH", "/api/resources/nope/scopes/"+write.ID, map[string]any{"name": "x"}, 404)
		// A scope is only reachable under its own resource.
		m.fails("PATCH", "/api/resources/"+kitchen.ID+"/scopes/"+write.ID, map[string]any{"name": "x"}, 404)
		m.fails("DELETE", "/api/resources/"+kitchen.ID+"/scopes/"+write.ID, nil, 404)
		allScopes, err := in.Store.ListScopes(context.Background(), mgmtAPI.ID)
		if err != nil || len(allScopes) != 1 {
			t.Fatalf("management scopes %v %v", allScopes, err)
		}
		if code := m.fails("PATCH", "/api/resources/"+mgmtAPI.ID+"/scopes/"+allScopes[0].ID, map[string]any{"name": "some"}, 400); code != "resource.cannot_modify_management_api" {
			t.Fatalf("renaming the Management API scope: %s", code)
		}
		if code := m.fails("DELETE", "/api/resources/"+mgmtAPI.ID+"/scopes/"+allScopes[0].ID, nil, 400); code != "resource.cannot_modify_management_api" {
			t.Fatalf("deleting the Management API scope: %s", code)
		}
		m.do("GET", "/api/resources/"+orders.ID+"/scopes", nil, 200, &scopes)
		if len(scopes) != 2 || scopes[1].Name != "manage:orders" || scopes[1].Description != nil {
			t.Fatalf("scopes after refused updates = %+v", scopes)
		}

		// A scope made here and granted to a role reaches the M2M token.
		role := in.role(t, "order-worker", store.M2MRole, read.ID, write.ID)
		appID, secret := in.createApp(t, apps.Input{Name: "worker", Type: store.MachineToMachine, RoleNames: []string{"order-worker"}})
		res := tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"client_credentials"},
			"resource": {orders.Indicator}, "scope": {"read:orders manage:orders"}})
		if res.status != 200 {
			t.Fatalf("token: %d %s", res.status, res.raw)
		}
		at := verifyAccessToken(t, context.Background(), in.Issuer, orders.Indicator, res.AccessToken)
		if at.Scope != "manage:orders read:orders" && at.Scope != "read:orders manage:orders" {
			t.Fatalf("token scope = %q", at.Scope)
		}

		// Deleting a scope takes it from the role.
		m.do("DELETE", "/api/resources/"+orders.ID+"/scopes/"+write.ID, nil, 204, nil)
		m.fails("DELETE", "/api/resources/"+orders.ID+"/scopes/"+write.ID, nil, 404)
		m.fails("DELETE", "/api/resources/nope/scopes/"+read.ID, nil, 404)
		if names := roleScopeNames(t, in, m, role.ID); !slices.Equal(names, []string{"read:orders"}) {
			t.Fatalf("role scopes after deleting a scope = %v", names)
		}

		// Deleting a resource takes its scopes, and them from every role.
		if code := m.fails("DELETE", "/api/resources/"+mgmtAPI.ID, nil, 400); code != "resource.cannot_delete_management_api" {
			t.Fatalf("deleting the Management API: %s", code)
		}
		m.do("DELETE", "/api/resources/"+orders.ID, nil, 204, nil)
		m.fails("DELETE", "/api/resources/"+orders.ID, nil, 404)
		m.fails("GET", "/api/resources/"+orders.ID, nil, 404)
		m.fails("GET", "/api/resources/"+orders.ID+"/scopes", nil, 404)
		if names := roleScopeNames(t, in, m, role.ID); len(names) != 0 {
			t.Fatalf("role scopes after deleting the resource = %v", names)
		}
		if all, _ := m.resourceIDs(); !slices.Equal(all, []string{mgmtAPI.ID, kitchen.ID}) {
			t.Fatalf("resources after delete = %v", all)
		}
		// The deleted resource takes no more tokens.
		res = tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {orders.Indicator}})
		if res.status != 400 || res.Error != "invalid_target" {
			t.Fatalf("token for a deleted resource: %d %s", res.status, res.raw)
		}
		// The Management API is intact.
		m.do("GET", "/api/resources/"+mgmtAPI.ID+"/scopes", nil, 200, &scopes)
		if len(scopes) != 1 || scopes[0].Name != "all" {
			t.Fatalf("management scopes = %+v", scopes)
		}
	})
}

// roleScopeNames lists the names of a role's scopes through the roles API
// (GET /api/roles/{id}/scopes) when the server has it, and in any case
// checks that the store agrees.
func roleScopeNames(t *testing.T, in *instance, m *mgmt, roleID string) []string {
	t.Helper()
	held, err := in.Store.ListRoleScopes(context.Background(), roleID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sc := range held {
		names = append(names, sc.Name)
	}
	slices.Sort(names)
	if status, _, raw := m.call("GET", "/api/roles/"+roleID+"/scopes", nil); status == 200 {
		var listed []rsrcScopeJSON
		if err := json.Unmarshal(raw, &listed); err != nil {
			t.Fatalf("role scopes: %s", raw)
		}
		var apiNames []string
		for _, sc := range listed {
			apiNames = append(apiNames, sc.Name)
		}
		slices.Sort(apiNames)
		if !slices.Equal(apiNames, names) {
			t.Fatalf("role scopes: API says %v, store %v", apiNames, names)
		}
	}
	return names
}
