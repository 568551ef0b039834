package e2e

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// mgmtUser is Logto's UserProfileResponse.
type mgmtUser struct {
	ID            string         `json:"id"`
	Username      *string        `json:"username"`
	PrimaryEmail  *string        `json:"primaryEmail"`
	PrimaryPhone  *string        `json:"primaryPhone"`
	Name          *string        `json:"name"`
	Avatar        *string        `json:"avatar"`
	CustomData    map[string]any `json:"customData"`
	Identities    map[string]any `json:"identities"`
	Profile       map[string]any `json:"profile"`
	LastSignInAt  *int64         `json:"lastSignInAt"`
	CreatedAt     int64          `json:"createdAt"`
	UpdatedAt     int64          `json:"updatedAt"`
	ApplicationID *string        `json:"applicationId"`
	IsSuspended   bool           `json:"isSuspended"`
	HasPassword   bool           `json:"hasPassword"`
}

func strOf(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// userRoutes are the operations of the users family, {userId} as /u.
var userRoutes = []struct{ method, path string }{
	{"GET", "/api/users"},
	{"POST", "/api/users"},
	{"GET", "/api/users/u"},
	{"PATCH", "/api/users/u"},
	{"DELETE", "/api/users/u"},
	{"GET", "/api/users/u/custom-data"},
	{"PATCH", "/api/users/u/custom-data"},
	{"PATCH", "/api/users/u/profile"},
	{"PATCH", "/api/users/u/password"},
	{"POST", "/api/users/u/password/verify"},
	{"GET", "/api/users/u/has-password"},
	{"PATCH", "/api/users/u/is-suspended"},
	{"GET", "/api/users/u/roles"},
	{"PUT", "/api/users/u/roles"},
	{"POST", "/api/users/u/roles"},
	{"DELETE", "/api/users/u/roles/r"},
	{"GET", "/api/users/u/all-identities"},
	{"GET", "/api/users/u/identities/github"},
	{"PUT", "/api/users/u/identities/github"},
	{"DELETE", "/api/users/u/identities/github"},
}

// usersTotal is the Total-Number of the user list.
func usersTotal(m *mgmt) int {
	h := m.do("GET", "/api/users?page_size=1", nil, 200, nil)
	n, err := strconv.Atoi(h.Get("Total-Number"))
	if err != nil {
		m.t.Fatalf("Total-Number %q", h.Get("Total-Number"))
	}
	return n
}

// usersFound lists users with query and returns their usernames (or ids
// when they have none) and the total.
func usersFound(m *mgmt, query url.Values) ([]string, string) {
	m.t.Helper()
	var list []mgmtUser
	h := m.do("GET", "/api/users?"+query.Encode(), nil, 200, &list)
	names := []string{}
	for _, u := range list {
		if u.Username != nil {
			names = append(names, *u.Username)
		} else {
			names = append(names, u.ID)
		}
	}
	return names, h.Get("Total-Number")
}

func TestManagementUsersNeedToken(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	m := in.management(t)
	var u mgmtUser
	m.do("POST", "/api/users", map[string]any{"username": "kept", "password": "Kept-Pass-2024!"}, 200, &u)
	role := in.role(t, "kept-role", store.UserRole)
	anon := &mgmt{t: t, base: in.URL}
	bad := &mgmt{t: t, base: in.URL, token: "not-a-jwt"}
	for _, rt := range userRoutes {
		path := strings.NewReplacer("/u", "/"+u.ID, "/r", "/"+role.ID).Replace(rt.path)
		var body any
		if rt.method != "GET" && rt.method != "DELETE" {
			body = map[string]any{"username": "sneaky", "password": "x", "isSuspended": true, "roleIds": []string{role.ID},
				"customData": map[string]any{"x": 1}, "profile": map[string]any{"nickname": "x"}, "userId": "gh-1"}
		}
		if code := anon.fails(rt.method, path, body, 401); code != "auth.authorization_header_missing" {
			t.Errorf("%s %s without a token: %s", rt.method, path, code)
		}
		bad.fails(rt.method, path, body, 401)
	}
	// Nothing changed.
	var got mgmtUser
	m.do("GET", "/api/users/"+u.ID, nil, 200, &got)
	if strOf(got.Username) != "kept" || got.IsSuspended || len(got.CustomData) != 0 || len(got.Identities) != 0 {
		t.Fatalf("user changed without a token: %+v", got)
	}
	m.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": "Kept-Pass-2024!"}, 204, nil)
	if n := usersTotal(m); n != 1 {
		t.Fatalf("%d users", n)
	}
}

func TestManagementUsers(t *testing.T) {
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		ctx := context.Background()

		// A default role is given to every new user, as in Logto.
		welcome := in.role(t, "welcome", store.UserRole)
		welcome.IsDefault = true
		if err := in.Store.UpdateRole(ctx, welcome); err != nil {
			t.Fatal(err)
		}

		t.Run("create", func(t *testing.T) {
			var u mgmtUser
			m.do("POST", "/api/users", map[string]any{
				"username": "kitchen01", "primaryEmail": "kitchen@example.com", "primaryPhone": "+4930123456",
				"name": "Kitchen", "avatar": "https://cdn.example/k.png", "password": "Kitchen-Pass-2024!",
				"customData": map[string]any{"team": "night", "level": 2},
				"profile":    map[string]any{"nickname": "K", "address": map[string]any{"country": "DE"}, "notAClaim": "dropped"},
				// Unknown fields are ignored.
				"id": "chosen", "isSuspended": true, "lastSignInAt": 5,
			}, 200, &u)
			if u.ID == "" || u.ID == "chosen" || strOf(u.Username) != "kitchen01" || strOf(u.PrimaryEmail) != "kitchen@example.com" ||
				strOf(u.PrimaryPhone) != "4930123456" || strOf(u.Name) != "Kitchen" || strOf(u.Avatar) != "https://cdn.example/k.png" ||
				u.CustomData["team"] != "night" || u.Profile["nickname"] != "K" || u.Profile["notAClaim"] != nil ||
				u.IsSuspended || !u.HasPassword || u.LastSignInAt != nil || u.ApplicationID != nil || u.CreatedAt == 0 {
				t.Fatalf("created %+v", u)
			}
			// The whole shape, without the password digest.
			var raw map[string]any
			m.do("GET", "/api/users/"+u.ID+"?includePasswordHash=true", nil, 200, &raw)
			var keys []string
			for k := range raw {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := []string{"applicationId", "avatar", "createdAt", "customData", "hasPassword", "id", "identities", "isSuspended",
				"lastSignInAt", "name", "primaryEmail", "primaryPhone", "profile", "updatedAt", "username"}
			if !slices.Equal(keys, want) {
				t.Fatalf("user keys %v, want %v", keys, want)
			}
			var roles []roleJSON
			m.do("GET", "/api/users/"+u.ID+"/roles", nil, 200, &roles)
			if len(roles) != 1 || roles[0].ID != welcome.ID {
				t.Fatalf("new user's roles %+v", roles)
			}
			// The password signs in.
			m.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": "Kitchen-Pass-2024!"}, 204, nil)

			// No identifier at all is fine, as in Logto.
			var bare mgmtUser
			m.do("POST", "/api/users", map[string]any{}, 200, &bare)
			if bare.Username != nil || bare.Name != nil || bare.HasPassword || bare.CustomData == nil || bare.Profile == nil {
				t.Fatalf("bare user %+v", bare)
			}
			m.do("DELETE", "/api/users/"+bare.ID, nil, 204, nil)
		})

		before := usersTotal(m)
		t.Run("create refuses bad input and stores nothing", func(t *testing.T) {
			for _, c := range []struct {
				body map[string]any
				code string
			}{
				{map[string]any{"username": "1abc"}, "guard.invalid_input"},
				{map[string]any{"username": "has space"}, "guard.invalid_input"},
				{map[string]any{"username": ""}, "guard.invalid_input"},
				{map[string]any{"username": nil}, "guard.invalid_input"},
				{map[string]any{"username": 42}, "guard.invalid_input"},
				{map[string]any{"primaryEmail": "not-an-email"}, "guard.invalid_input"},
				{map[string]any{"primaryPhone": "12ab"}, "guard.invalid_input"},
				{map[string]any{"avatar": "not a url"}, "guard.invalid_input"},
				{map[string]any{"name": []string{"x"}}, "guard.invalid_input"},
				{map[string]any{"customData": []int{1}}, "guard.invalid_input"},
				{map[string]any{"customData": nil}, "guard.invalid_input"},
				{map[string]any{"profile": map[string]any{"nickname": 5}}, "guard.invalid_input"},
				{map[string]any{"profile": map[string]any{"address": "Berlin"}}, "guard.invalid_input"},
				{map[string]any{"username": "pw_empty", "password": ""}, "guard.invalid_input"},
				{map[string]any{"username": "both", "password": "x", "passwordDigest": "5f4dcc3b5aa765d61d8327deb882cf99", "passwordAlgorithm": "MD5"}, "user.password_and_digest"},
				{map[string]any{"username": "noalg", "passwordDigest": "5f4dcc3b5aa765d61d8327deb882cf99"}, "user.password_algorithm_required"},
				{map[string]any{"username": "badalg", "passwordDigest": "5f4dcc3b5aa765d61d8327deb882cf99", "passwordAlgorithm": "ROT13"}, "guard.invalid_input"},
				{map[string]any{"username": "badmd5", "passwordDigest": "5f4dcc3b5aa7", "passwordAlgorithm": "MD5"}, "guard.invalid_input"},
				{map[string]any{"username": "badsha", "passwordDigest": "5f4dcc3b5aa765d61d8327deb882cf99", "passwordAlgorithm": "SHA256"}, "guard.invalid_input"},
				{map[string]any{"username": "badbcrypt", "passwordDigest": "$2a$10$short", "passwordAlgorithm": "Bcrypt"}, "guard.invalid_input"},
				{map[string]any{"username": "costly", "passwordDigest": "$2a$31$7VzLBpWK3rkbHc9dx/N2W.DjpcEHW1/fJOXzfKlBlkoIdC/2HivVa", "passwordAlgorithm": "Bcrypt"}, "guard.invalid_input"},
				{map[string]any{"username": "variant", "passwordDigest": "$argon2id$v=19$m=4096,t=2,p=4$c2FsdHNhbHRzYWx0MTIzNA$/FdTkHpCxoAPEsO8eUQ9zN38z4R7EJgExcN/XfygqAs", "passwordAlgorithm": "Argon2i"}, "guard.invalid_input"},
				{map[string]any{"username": "huge", "passwordDigest": "$argon2id$v=19$m=99999999,t=2,p=4$c2FsdHNhbHRzYWx0MTIzNA$/FdTkHpCxoAPEsO8eUQ9zN38z4R7EJgExcN/XfygqAs", "passwordAlgorithm": "Argon2id"}, "guard.invalid_input"},
				{map[string]any{"username": "legacy", "passwordDigest": `["md5",["@"],"x"]`, "passwordAlgorithm": "Legacy"}, "guard.invalid_input"},
				{map[string]any{"username": "KITCHEN01"}, "user.username_already_in_use"},
				{map[string]any{"username": "other", "primaryEmail": "Kitchen@Example.com"}, "user.email_already_in_use"},
				{map[string]any{"username": "other", "primaryPhone": "4930123456"}, "user.phone_already_in_use"},
			} {
				status := 400
				if strings.HasSuffix(c.code, "_in_use") {
					status = 422
				}
				if code := m.fails("POST", "/api/users", c.body, status); code != c.code {
					t.Errorf("%v: code %s, want %s", c.body, code, c.code)
				}
			}
			if code := m.fails("POST", "/api/users", "[1,2]", 400); code != "guard.invalid_input" {
				t.Errorf("array body: %s", code)
			}
			if n := usersTotal(m); n != before {
				t.Fatalf("%d users after failed creations, want %d", n, before)
			}
		})

		// Users for the list and search cases.
		created := map[string]string{}
		for _, u := range []map[string]any{
			{"username": "ann_lee", "primaryEmail": "ann.lee@example.com", "name": "Ann Lee"},
			{"username": "bob", "primaryEmail": "bob@corp.example", "primaryPhone": "4930999999", "name": "Bob"},
			{"username": "annex", "primaryEmail": "dan@annex.example", "name": "Dan"},
			{"username": "Eve", "primaryEmail": "eve@example.com", "name": "Ann"},
		} {
			in.Clock.Advance(time.Millisecond) // so that creation times differ
			var got mgmtUser
			m.do("POST", "/api/users", u, 200, &got)
			created[strOf(got.Username)] = got.ID
		}
		kitchen := func() string {
			var list []mgmtUser
			m.do("GET", "/api/users?"+url.Values{"search.username": {"kitchen01"}, "mode.username": {"exact"}}.Encode(), nil, 200, &list)
			if len(list) != 1 {
				t.Fatalf("kitchen01: %+v", list)
			}
			return list[0].ID
		}()
		created["kitchen01"] = kitchen
		chefs := in.role(t, "chefs", store.UserRole)
		for _, name := range []string{"kitchen01", "bob"} {
			if err := in.Store.AssignUserRoles(ctx, created[name], []string{chefs.ID}); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("list and search", func(t *testing.T) {
			for _, c := range []struct {
				name  string
				query url.Values
				want  []string
				total string
			}{
				{"first page", url.Values{"page_size": {"2"}}, []string{"kitchen01", "ann_lee"}, "5"},
				{"second page", url.Values{"page": {"2"}, "page_size": {"2"}}, []string{"bob", "annex"}, "5"},
				{"past the end", url.Values{"page": {"9"}, "page_size": {"2"}}, []string{}, "5"},
				{"default page", url.Values{}, []string{"kitchen01", "ann_lee", "bob", "annex", "Eve"}, "5"},
				{"substring anywhere", url.Values{"search": {"%ann%"}}, []string{"ann_lee", "annex", "Eve"}, "3"},
				{"whole value", url.Values{"search": {"ann"}}, []string{"Eve"}, "1"},
				{"email prefix", url.Values{"search.primaryEmail": {"ann%"}}, []string{"ann_lee"}, "1"},
				{"email suffix", url.Values{"search.primaryEmail": {"%@example.com"}}, []string{"kitchen01", "ann_lee", "Eve"}, "3"},
				{"snake_case field", url.Values{"search.primary_email": {"%@corp.example"}}, []string{"bob"}, "1"},
				{"phone", url.Values{"search.primaryPhone": {"4930%"}}, []string{"kitchen01", "bob"}, "2"},
				{"exact ignores case", url.Values{"search.username": {"EVE"}, "mode.username": {"exact"}}, []string{"Eve"}, "1"},
				{"exact, several values", url.Values{"search.username": {"bob", "annex", "nobody"}, "mode.username": {"exact"}}, []string{"bob", "annex"}, "2"},
				{"general mode", url.Values{"search.username": {"bob"}, "mode": {"exact"}}, []string{"bob"}, "1"},
				{"case-sensitive", url.Values{"search.username": {"eve"}, "isCaseSensitive": {"true"}}, []string{}, "0"},
				{"or", url.Values{"search.name": {"Dan"}, "search.username": {"bob"}}, []string{"bob", "annex"}, "2"},
				{"and", url.Values{"search.name": {"ann%"}, "search.primaryEmail": {"%@example.com"}, "joint": {"and"}}, []string{"ann_lee", "Eve"}, "2"},
				{"jointMode", url.Values{"search.name": {"ann%"}, "search.username": {"eve"}, "jointMode": {"and"}}, []string{"Eve"}, "1"},
				{"posix", url.Values{"search.username": {"^(bob|eve)$"}, "mode.username": {"posix"}}, []string{"bob", "Eve"}, "2"},
				{"similar to", url.Values{"search.primaryEmail": {"(bob|dan)@%"}, "mode.primaryEmail": {"similar_to"}, "isCaseSensitive": {"true"}}, []string{"bob", "annex"}, "2"},
				{"search and page", url.Values{"search": {"%ann%"}, "page": {"2"}, "page_size": {"2"}}, []string{"Eve"}, "3"},
				{"exclude role", url.Values{"excludeRoleId": {chefs.ID}}, []string{"ann_lee", "annex", "Eve"}, "3"},
				{"exclude role and search", url.Values{"excludeRoleId": {chefs.ID}, "search.username": {"%b%"}}, []string{}, "0"},
			} {
				got, total := usersFound(m, c.query)
				if !slices.Equal(got, c.want) || total != c.total {
					t.Errorf("%s: %v of %s, want %v of %s", c.name, got, total, c.want, c.total)
				}
			}
			for _, q := range []url.Values{
				{"page": {"0"}}, {"page_size": {"101"}}, {"page_size": {"x"}},
				{"search.password": {"x"}}, {"search.name.first": {"x"}}, {"search": {""}},
				{"search.name": {"a", "b"}}, {"mode": {"glob"}}, {"joint": {"xor"}},
				{"search.name": {"a%"}, "mode.name": {"similar_to"}},
				{"search.name": {"(unclosed"}, "mode.name": {"posix"}},
			} {
				status, _, raw := m.call("GET", "/api/users?"+q.Encode(), nil)
				if status != 400 {
					t.Errorf("%v: status %d %s", q, status, raw)
				}
			}
		})

		t.Run("get", func(t *testing.T) {
			var u map[string]any
			m.do("GET", "/api/users/"+kitchen+"?includeSsoIdentities=true", nil, 200, &u)
			if sso, ok := u["ssoIdentities"].([]any); !ok || len(sso) != 0 {
				t.Fatalf("ssoIdentities %v", u["ssoIdentities"])
			}
			if code := m.fails("GET", "/api/users/missing", nil, 404); code != "entity.not_exists_with_id" {
				t.Fatalf("missing user: %s", code)
			}
		})

		t.Run("update", func(t *testing.T) {
			id := created["bob"]
			var u mgmtUser
			m.do("PATCH", "/api/users/"+id, map[string]any{"username": "bobby", "primaryEmail": "bobby@corp.example",
				"name": nil, "primaryPhone": "", "avatar": "https://cdn.example/b.png",
				"customData": map[string]any{"a": 1}, "profile": map[string]any{"givenName": "Bob"}, "ignored": true}, 200, &u)
			if strOf(u.Username) != "bobby" || strOf(u.PrimaryEmail) != "bobby@corp.example" || u.Name != nil || u.PrimaryPhone != nil ||
				strOf(u.Avatar) != "https://cdn.example/b.png" || u.CustomData["a"] != float64(1) || u.Profile["givenName"] != "Bob" {
				t.Fatalf("updated %+v", u)
			}
			// customData and profile replace.
			var replaced mgmtUser
			m.do("PATCH", "/api/users/"+id, map[string]any{"customData": map[string]any{"b": 2}, "profile": map[string]any{"nickname": "B"}}, 200, &replaced)
			if len(replaced.CustomData) != 1 || replaced.CustomData["b"] != float64(2) || len(replaced.Profile) != 1 || replaced.Profile["nickname"] != "B" {
				t.Fatalf("replaced %+v", replaced)
			}
			// An empty body changes nothing but the update time.
			var same mgmtUser
			m.do("PATCH", "/api/users/"+id, map[string]any{}, 200, &same)
			if strOf(same.Username) != "bobby" || same.CustomData["b"] != float64(2) {
				t.Fatalf("after empty patch %+v", same)
			}
			for _, c := range []struct {
				body   map[string]any
				status int
				code   string
			}{
				{map[string]any{"username": "KITCHEN01"}, 422, "user.username_already_in_use"},
				{map[string]any{"primaryEmail": "ANN.LEE@example.com"}, 422, "user.email_already_in_use"},
				{map[string]any{"primaryPhone": "+4930123456"}, 422, "user.phone_already_in_use"},
				{map[string]any{"username": "ok_name", "primaryEmail": "eve@example.com"}, 422, "user.email_already_in_use"},
				{map[string]any{"username": "9lives"}, 400, "guard.invalid_input"},
				{map[string]any{"primaryEmail": "nope"}, 400, "guard.invalid_input"},
				{map[string]any{"avatar": "nope"}, 400, "guard.invalid_input"},
				{map[string]any{"customData": nil}, 400, "guard.invalid_input"},
				{map[string]any{"customData": "x"}, 400, "guard.invalid_input"},
				{map[string]any{"profile": map[string]any{"website": 1}}, 400, "guard.invalid_input"},
				{map[string]any{"name": true}, 400, "guard.invalid_input"},
			} {
				if code := m.fails("PATCH", "/api/users/"+id, c.body, c.status); code != c.code {
					t.Errorf("%v: %s, want %s", c.body, code, c.code)
				}
			}
			var after mgmtUser
			m.do("GET", "/api/users/"+id, nil, 200, &after)
			if strOf(after.Username) != "bobby" || strOf(after.PrimaryEmail) != "bobby@corp.example" || after.CustomData["b"] != float64(2) {
				t.Fatalf("failed updates changed the user: %+v", after)
			}
			// Keeping one's own identifiers is no conflict.
			m.do("PATCH", "/api/users/"+id, map[string]any{"username": "BOBBY", "primaryEmail": "bobby@corp.example"}, 200, &u)
			m.fails("PATCH", "/api/users/missing", map[string]any{"name": "x"}, 404)
		})

		t.Run("custom data", func(t *testing.T) {
			id := created["ann_lee"]
			var cd map[string]any
			m.do("GET", "/api/users/"+id+"/custom-data", nil, 200, &cd)
			if cd == nil || len(cd) != 0 {
				t.Fatalf("custom data %v", cd)
			}
			m.do("PATCH", "/api/users/"+id+"/custom-data", map[string]any{"customData": map[string]any{"a": 1, "nested": map[string]any{"x": 1}}}, 200, &cd)
			m.do("PATCH", "/api/users/"+id+"/custom-data", map[string]any{"customData": map[string]any{"b": 2, "nested": map[string]any{"y": 2}}}, 200, &cd)
			if cd["a"] != float64(1) || cd["b"] != float64(2) || cd["nested"].(map[string]any)["x"] != nil {
				t.Fatalf("merged custom data %v", cd)
			}
			m.do("GET", "/api/users/"+id+"/custom-data", nil, 200, &cd)
			if len(cd) != 3 {
				t.Fatalf("stored custom data %v", cd)
			}
			for _, body := range []any{map[string]any{}, map[string]any{"customData": nil}, map[string]any{"customData": []int{1}}, "nope"} {
				m.fails("PATCH", "/api/users/"+id+"/custom-data", body, 400)
			}
			m.fails("GET", "/api/users/missing/custom-data", nil, 404)
			m.fails("PATCH", "/api/users/missing/custom-data", map[string]any{"customData": map[string]any{}}, 404)
		})

		t.Run("profile", func(t *testing.T) {
			id := created["ann_lee"]
			var p map[string]any
			m.do("PATCH", "/api/users/"+id+"/profile", map[string]any{"profile": map[string]any{"givenName": "Ann", "locale": "en"}}, 200, &p)
			m.do("PATCH", "/api/users/"+id+"/profile", map[string]any{"profile": map[string]any{"familyName": "Lee", "locale": "de", "extra": 1}}, 200, &p)
			if p["givenName"] != "Ann" || p["familyName"] != "Lee" || p["locale"] != "de" || p["extra"] != nil {
				t.Fatalf("profile %v", p)
			}
			for _, body := range []any{map[string]any{}, map[string]any{"profile": nil}, map[string]any{"profile": map[string]any{"locale": 1}}} {
				m.fails("PATCH", "/api/users/"+id+"/profile", body, 400)
			}
			m.fails("PATCH", "/api/users/missing/profile", map[string]any{"profile": map[string]any{}}, 404)
			var u mgmtUser
			m.do("GET", "/api/users/"+id, nil, 200, &u)
			if u.Profile["givenName"] != "Ann" || u.Profile["locale"] != "de" {
				t.Fatalf("stored profile %v", u.Profile)
			}
		})

		t.Run("password", func(t *testing.T) {
			id := created["annex"]
			var has struct {
				HasPassword *bool `json:"hasPassword"`
			}
			m.do("GET", "/api/users/"+id+"/has-password", nil, 200, &has)
			if has.HasPassword == nil || *has.HasPassword {
				t.Fatalf("has-password %+v", has)
			}
			if code := m.fails("POST", "/api/users/"+id+"/password/verify", map[string]any{"password": "anything"}, 422); code != "session.invalid_credentials" {
				t.Fatalf("verify without a password: %s", code)
			}
			var u mgmtUser
			m.do("PATCH", "/api/users/"+id+"/password", map[string]any{"password": "New-Pass-2024!"}, 200, &u)
			if !u.HasPassword || u.ID != id {
				t.Fatalf("after setting the password %+v", u)
			}
			m.do("GET", "/api/users/"+id+"/has-password", nil, 200, &has)
			if !*has.HasPassword {
				t.Fatal("has-password false after setting one")
			}
			m.do("POST", "/api/users/"+id+"/password/verify", map[string]any{"password": "New-Pass-2024!"}, 204, nil)
			if code := m.fails("POST", "/api/users/"+id+"/password/verify", map[string]any{"password": "new-pass-2024!"}, 422); code != "session.invalid_credentials" {
				t.Fatalf("wrong password: %s", code)
			}
			for _, body := range []any{map[string]any{}, map[string]any{"password": ""}, map[string]any{"password": 5}} {
				m.fails("PATCH", "/api/users/"+id+"/password", body, 400)
				m.fails("POST", "/api/users/"+id+"/password/verify", body, 400)
			}
			m.do("POST", "/api/users/"+id+"/password/verify", map[string]any{"password": "New-Pass-2024!"}, 204, nil)
			m.fails("PATCH", "/api/users/missing/password", map[string]any{"password": "x"}, 404)
			m.fails("POST", "/api/users/missing/password/verify", map[string]any{"password": "x"}, 404)
			m.fails("GET", "/api/users/missing/has-password", nil, 404)
		})

		t.Run("roles", func(t *testing.T) {
			id := created["Eve"]
			cooks := in.role(t, "cooks", store.UserRole)
			waiters := in.role(t, "waiters", store.UserRole)
			robots := in.role(t, "robots", store.M2MRole)
			roleNamesOf := func(query string) ([]string, string) {
				var roles []roleJSON
				h := m.do("GET", "/api/users/"+id+"/roles"+query, nil, 200, &roles)
				names := []string{}
				for _, r := range roles {
					names = append(names, r.Name)
				}
				if !strings.Contains(query, "page") {
					slices.Sort(names) // roles made in one millisecond have no set order
				}
				return names, h.Get("Total-Number")
			}
			var assigned struct{ RoleIDs, AddedRoleIDs []string }
			m.do("POST", "/api/users/"+id+"/roles", map[string]any{"roleIds": []string{cooks.ID, welcome.ID}}, 201, &assigned)
			if !slices.Equal(assigned.RoleIDs, []string{cooks.ID, welcome.ID}) || !slices.Equal(assigned.AddedRoleIDs, []string{cooks.ID}) {
				t.Fatalf("assigned %+v", assigned)
			}
			if got, total := roleNamesOf(""); !slices.Equal(got, []string{"cooks", "welcome"}) || total != "" {
				t.Fatalf("roles %v (total %q)", got, total)
			}
			if got, total := roleNamesOf("?page=2&page_size=1"); len(got) != 1 || total != "2" {
				t.Fatalf("paged roles %v of %s", got, total)
			}
			if got, _ := roleNamesOf("?search=%25ook%25"); !slices.Equal(got, []string{"cooks"}) {
				t.Fatalf("searched roles %v", got)
			}
			m.fails("GET", "/api/users/"+id+"/roles?search.scope=x", nil, 400)
			// Machine-to-machine roles are not for users; nothing is stored.
			if code := m.fails("POST", "/api/users/"+id+"/roles", map[string]any{"roleIds": []string{waiters.ID, robots.ID}}, 422); code != "user.invalid_role_type" {
				t.Fatalf("m2m role: %s", code)
			}
			if code := m.fails("POST", "/api/users/"+id+"/roles", map[string]any{"roleIds": []string{waiters.ID, "missing"}}, 404); code != "entity.not_exists_with_id" {
				t.Fatalf("missing role: %s", code)
			}
			if got, _ := roleNamesOf(""); !slices.Equal(got, []string{"cooks", "welcome"}) {
				t.Fatalf("roles after failed assignments %v", got)
			}
			for _, body := range []any{map[string]any{}, map[string]any{"roleIds": "x"}, map[string]any{"roleIds": []string{""}}} {
				m.fails("POST", "/api/users/"+id+"/roles", body, 400)
				m.fails("PUT", "/api/users/"+id+"/roles", body, 400)
			}
			var replaced struct{ RoleIDs []string }
			m.do("PUT", "/api/users/"+id+"/roles", map[string]any{"roleIds": []string{waiters.ID, cooks.ID}}, 200, &replaced)
			if !slices.Equal(replaced.RoleIDs, []string{waiters.ID, cooks.ID}) {
				t.Fatalf("replaced %+v", replaced)
			}
			if got, _ := roleNamesOf(""); !slices.Equal(got, []string{"cooks", "waiters"}) {
				t.Fatalf("roles after replace %v", got)
			}
			m.fails("PUT", "/api/users/"+id+"/roles", map[string]any{"roleIds": []string{robots.ID}}, 422)
			m.fails("PUT", "/api/users/"+id+"/roles", map[string]any{"roleIds": []string{"missing"}}, 404)
			if got, _ := roleNamesOf(""); !slices.Equal(got, []string{"cooks", "waiters"}) {
				t.Fatalf("roles after failed replace %v", got)
			}
			m.do("DELETE", "/api/users/"+id+"/roles/"+cooks.ID, nil, 204, nil)
			m.fails("DELETE", "/api/users/"+id+"/roles/"+cooks.ID, nil, 404)
			if got, _ := roleNamesOf(""); !slices.Equal(got, []string{"waiters"}) {
				t.Fatalf("roles after delete %v", got)
			}
			m.do("PUT", "/api/users/"+id+"/roles", map[string]any{"roleIds": []string{}}, 200, nil)
			if got, _ := roleNamesOf(""); len(got) != 0 {
				t.Fatalf("roles after clearing %v", got)
			}
			for _, c := range []struct {
				method string
				path   string
				body   any
			}{
				{"GET", "/api/users/missing/roles", nil},
				{"POST", "/api/users/missing/roles", map[string]any{"roleIds": []string{cooks.ID}}},
				{"PUT", "/api/users/missing/roles", map[string]any{"roleIds": []string{cooks.ID}}},
				{"DELETE", "/api/users/missing/roles/" + cooks.ID, nil},
			} {
				m.fails(c.method, c.path, c.body, 404)
			}
		})

		t.Run("identities", func(t *testing.T) {
			id, other := created["ann_lee"], created["annex"]
			var ids map[string]map[string]any
			m.do("PUT", "/api/users/"+id+"/identities/github", map[string]any{"userId": "gh-1", "details": map[string]any{"login": "ann"}}, 201, &ids)
			if ids["github"]["userId"] != "gh-1" {
				t.Fatalf("identities %v", ids)
			}
			m.do("PUT", "/api/users/"+id+"/identities/github", map[string]any{"userId": "gh-1", "details": map[string]any{"login": "ann2"}}, 200, &ids)
			m.do("PUT", "/api/users/"+id+"/identities/google", map[string]any{"userId": "g-1"}, 201, &ids)
			if len(ids) != 2 || ids["github"]["details"].(map[string]any)["login"] != "ann2" {
				t.Fatalf("identities %v", ids)
			}
			var one struct {
				Identity map[string]any `json:"identity"`
			}
			m.do("GET", "/api/users/"+id+"/identities/github", nil, 200, &one)
			if one.Identity["userId"] != "gh-1" {
				t.Fatalf("identity %+v", one)
			}
			var all struct {
				Social []struct {
					Identity map[string]any `json:"identity"`
					Target   string         `json:"target"`
				} `json:"socialIdentities"`
				SSO []any `json:"ssoIdentities"`
			}
			m.do("GET", "/api/users/"+id+"/all-identities", nil, 200, &all)
			if len(all.Social) != 2 || all.Social[0].Target != "github" || all.Social[1].Identity["userId"] != "g-1" || all.SSO == nil {
				t.Fatalf("all identities %+v", all)
			}
			// Another user cannot take the same social account.
			if code := m.fails("PUT", "/api/users/"+other+"/identities/github", map[string]any{"userId": "gh-1"}, 422); code != "user.identity_already_in_use" {
				t.Fatalf("taken identity: %s", code)
			}
			m.do("PUT", "/api/users/"+other+"/identities/github", map[string]any{"userId": "gh-2"}, 201, nil)
			for _, body := range []any{map[string]any{}, map[string]any{"userId": 5}, map[string]any{"userId": "x", "details": "y"}} {
				m.fails("PUT", "/api/users/"+id+"/identities/github", body, 400)
			}
			var u mgmtUser
			m.do("DELETE", "/api/users/"+id+"/identities/github", nil, 200, &u)
			if u.ID != id || len(u.Identities) != 1 || u.Identities["google"] == nil {
				t.Fatalf("after delete %+v", u)
			}
			if code := m.fails("GET", "/api/users/"+id+"/identities/github", nil, 404); code != "user.identity_not_exist" {
				t.Fatalf("deleted identity: %s", code)
			}
			m.fails("DELETE", "/api/users/"+id+"/identities/github", nil, 404)
			m.fails("GET", "/api/users/missing/identities/github", nil, 404)
			m.fails("PUT", "/api/users/missing/identities/github", map[string]any{"userId": "z"}, 404)
			m.fails("DELETE", "/api/users/missing/identities/github", nil, 404)
			m.fails("GET", "/api/users/missing/all-identities", nil, 404)
		})

		t.Run("suspend signs out", func(t *testing.T) {
			appID, secret := in.createApp(t, apps.Input{Name: "Dashboard", Type: store.Traditional, RedirectURIs: []string{redirectURI}})
			verifier, challenge := pkce("suspend-")
			b := newBrowser(redirectURI)
			loc := b.signIn(t, authURL(in.Issuer, appID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}),
				"kitchen01", "Kitchen-Pass-2024!")
			tokens := tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"authorization_code"},
				"code": {loc.Query().Get("code")}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}})
			if tokens.status != 200 || tokens.RefreshToken == "" {
				t.Fatalf("tokens: %d %s", tokens.status, tokens.raw)
			}
			session := func() error {
				server, _ := url.Parse(in.Issuer)
				for _, ck := range b.Jar.Cookies(server) {
					if ck.Name == "gatehouse_session" {
						sum := sha256.Sum256([]byte(ck.Value))
						_, err := in.Store.GetObject(ctx, store.KindSession, base64.RawURLEncoding.EncodeToString(sum[:]), in.Clock.Now().UnixMilli())
						return err
					}
				}
				t.Fatal("the browser has no session cookie")
				return nil
			}
			if err := session(); err != nil {
				t.Fatalf("session before suspension: %v", err)
			}
			var u mgmtUser
			m.do("PATCH", "/api/users/"+kitchen+"/is-suspended", map[string]any{"isSuspended": true}, 200, &u)
			if !u.IsSuspended || u.LastSignInAt == nil {
				t.Fatalf("suspended %+v", u)
			}
			if err := session(); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("session after suspension: %v", err)
			}
			m.do("PATCH", "/api/users/"+kitchen+"/is-suspended", map[string]any{"isSuspended": false}, 200, &u)
			if u.IsSuspended {
				t.Fatal("still suspended")
			}
			// Reinstating the user does not bring the revoked tokens back.
			res := tokenRequest(t, in.Issuer, appID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens.RefreshToken}})
			if res.status != 400 {
				t.Fatalf("refresh after suspension: %d %s", res.status, res.raw)
			}
			for _, body := range []any{map[string]any{}, map[string]any{"isSuspended": "yes"}, map[string]any{"isSuspended": nil}} {
				m.fails("PATCH", "/api/users/"+kitchen+"/is-suspended", body, 400)
			}
			m.fails("PATCH", "/api/users/missing/is-suspended", map[string]any{"isSuspended": true}, 404)
		})

		t.Run("delete", func(t *testing.T) {
			id := created["annex"]
			m.do("DELETE", "/api/users/"+id, nil, 204, nil)
			m.fails("GET", "/api/users/"+id, nil, 404)
			m.fails("DELETE", "/api/users/"+id, nil, 404)
			if got, _ := usersFound(m, url.Values{"search.username": {"annex"}}); len(got) != 0 {
				t.Fatalf("deleted user still listed: %v", got)
			}
		})
	})
}

// legacyPass is the password of the imported digests below.
const legacyPass = "Legacy-Pass-2024!"

// TestManagementUsersImportedDigests imports users with digests of every
// algorithm Logto accepts, signs each in on the hosted sign-in page and
// checks the digest became Argon2id.
func TestManagementUsersImportedDigests(t *testing.T) {
	sha1Sum, sha256Sum, md5Sum := sha1.Sum([]byte(legacyPass)), sha256.Sum256([]byte(legacyPass)), md5.Sum([]byte(legacyPass))
	digests := []struct{ alg, digest string }{
		{"Bcrypt", "$2a$10$7VzLBpWK3rkbHc9dx/N2W.DjpcEHW1/fJOXzfKlBlkoIdC/2HivVa"},
		{"SHA1", hex.EncodeToString(sha1Sum[:])},
		{"SHA256", hex.EncodeToString(sha256Sum[:])},
		{"MD5", hex.EncodeToString(md5Sum[:])},
		{"Argon2i", "$argon2i$v=19$m=4096,t=2,p=4$c2FsdHNhbHRzYWx0MTIzNA$GsgrqBQvsFUe9lPU8klaHcRGzZzw3L9YGYAQ5laRvzU"},
		{"Argon2d", "$argon2d$v=19$m=1024,t=3,p=2$c2FsdHNhbHRzYWx0MTIzNA$MujiROiywD/i7ytrwu5QuWWSceYialfH5icqBQdH/u0"},
		// Argon2id, but with other parameters than the server's.
		{"Argon2id", "$argon2id$v=19$m=4096,t=2,p=4$c2FsdHNhbHRzYWx0MTIzNA$/FdTkHpCxoAPEsO8eUQ9zN38z4R7EJgExcN/XfygqAs"},
	}
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m := in.management(t)
		ctx := context.Background()
		appID, _ := in.createApp(t, apps.Input{Name: "Dashboard", Type: store.Traditional, RedirectURIs: []string{redirectURI}})
		_, challenge := pkce("imported-")
		for _, d := range digests {
			t.Run(d.alg, func(t *testing.T) {
				var u mgmtUser
				name := "legacy_" + strings.ToLower(d.alg)
				m.do("POST", "/api/users", map[string]any{"username": name, "passwordDigest": d.digest, "passwordAlgorithm": d.alg}, 200, &u)
				if !u.HasPassword {
					t.Fatalf("imported user %+v", u)
				}
				stored, err := in.Store.GetUser(ctx, u.ID)
				if err != nil || stored.PasswordAlgorithm != d.alg || stored.PasswordDigest != d.digest {
					t.Fatalf("stored %s %q, %v", stored.PasswordAlgorithm, stored.PasswordDigest, err)
				}
				// A wrong password fails and upgrades nothing.
				m.fails("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": legacyPass + "x"}, 422)

				loc := newBrowser(redirectURI).signIn(t, authURL(in.Issuer, appID, url.Values{"code_challenge": {challenge},
					"code_challenge_method": {"S256"}}), name, legacyPass)
				if loc.Query().Get("code") == "" {
					t.Fatalf("no code: %v", loc)
				}
				upgraded, err := in.Store.GetUser(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if upgraded.PasswordAlgorithm != "Argon2id" || !strings.HasPrefix(upgraded.PasswordDigest, "$argon2id$v=19$") ||
					upgraded.PasswordDigest == d.digest || upgraded.LastSignInAt == 0 {
					t.Fatalf("after sign-in: %s %q (last sign-in %d)", upgraded.PasswordAlgorithm, upgraded.PasswordDigest, upgraded.LastSignInAt)
				}
				// The new digest verifies the same password.
				m.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": legacyPass}, 204, nil)
			})
		}

		t.Run("verify upgrades too", func(t *testing.T) {
			sum := sha256.Sum256([]byte(legacyPass))
			var u mgmtUser
			m.do("POST", "/api/users", map[string]any{"username": "verified_sha", "passwordDigest": hex.EncodeToString(sum[:]), "passwordAlgorithm": "SHA256"}, 200, &u)
			m.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": legacyPass}, 204, nil)
			stored, err := in.Store.GetUser(ctx, u.ID)
			if err != nil || stored.PasswordAlgorithm != "Argon2id" || !strings.HasPrefix(stored.PasswordDigest, "$argon2id$") {
				t.Fatalf("after verify: %s %q %v", stored.PasswordAlgorithm, stored.PasswordDigest, err)
			}
		})
	})
}
