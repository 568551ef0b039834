package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// testUserQueries covers the user queries the Management API needs.
func testUserQueries(t *testing.T, s store.Store) {
	t.Run("SearchUsers", func(t *testing.T) { testSearchUsers(t, s) })
	t.Run("FindUsersByIdentity", func(t *testing.T) { testFindUsersByIdentity(t, s) })
	t.Run("RevokeUserObjects", func(t *testing.T) { testRevokeUserObjects(t, s) })
}

func testSearchUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	specs := []store.User{
		{ID: "sq-ann", Username: "Ann_Lee", PrimaryEmail: "ann.lee@Example.com", Name: "Ann Lee", CreatedAt: base + 1},
		{ID: "sq-bob", Username: "bob", PrimaryPhone: "4930123456", Name: "Bob 100%", CreatedAt: base + 2},
		{ID: "sq-cat", PrimaryEmail: "cat@example.org", Name: "Catherine", CreatedAt: base + 3},
		{ID: "sq-dan", Username: "annex", PrimaryEmail: "dan@annex.example", PrimaryPhone: "4930999999", CreatedAt: base + 4},
		{ID: "sq-eve", Username: "eve", PrimaryEmail: "annie@example.com", Name: "Ann", CreatedAt: base + 4},
	}
	for i := range specs {
		specs[i].UpdatedAt = specs[i].CreatedAt
		must(t, s.CreateUser(ctx, &specs[i]))
	}
	role := store.Role{ID: newID(), Name: "search-excluded", Type: store.UserRole, CreatedAt: base}
	must(t, s.CreateRole(ctx, &role))
	must(t, s.AssignUserRoles(ctx, "sq-bob", []string{role.ID}))
	must(t, s.AssignUserRoles(ctx, "sq-eve", []string{role.ID}))

	like := func(field store.UserField, v string) store.UserMatch {
		return store.UserMatch{Field: field, Mode: store.MatchLike, Values: []string{v}}
	}
	match := func(field store.UserField, mode store.MatchMode, v ...string) store.UserMatch {
		return store.UserMatch{Field: field, Mode: mode, Values: v}
	}
	userID := func(u store.User) string { return u.ID }
	all := store.Page{}

	cases := []struct {
		name   string
		filter store.UserFilter
		page   store.Page
		want   []string
		total  int
	}{
		{"everyone", store.UserFilter{}, all, []string{"sq-ann", "sq-bob", "sq-cat", "sq-dan", "sq-eve"}, 5},
		{"everyone paged", store.UserFilter{}, store.Page{Page: 2, PageSize: 2}, []string{"sq-cat", "sq-dan"}, 5},
		{"past the end", store.UserFilter{}, store.Page{Page: 4, PageSize: 2}, []string{}, 5},
		{"substring of any field", store.UserFilter{Matches: []store.UserMatch{like("", "%ann%")}}, all,
			[]string{"sq-ann", "sq-dan", "sq-eve"}, 3},
		{"a pattern without wildcards is whole", store.UserFilter{Matches: []store.UserMatch{like("", "ann")}}, all,
			[]string{"sq-eve"}, 1},
		{"email prefix ignoring case", store.UserFilter{Matches: []store.UserMatch{like(store.UserPrimaryEmail, "ANN%")}}, all,
			[]string{"sq-ann", "sq-eve"}, 2},
		{"email prefix through a dot", store.UserFilter{Matches: []store.UserMatch{like(store.UserPrimaryEmail, "ann.%")}}, all,
			[]string{"sq-ann"}, 1},
		{"email suffix", store.UserFilter{Matches: []store.UserMatch{like(store.UserPrimaryEmail, "%@example.com")}}, all,
			[]string{"sq-ann", "sq-eve"}, 2},
		{"email prefix, paged", store.UserFilter{Matches: []store.UserMatch{like(store.UserPrimaryEmail, "%ann%")}},
			store.Page{Page: 2, PageSize: 2}, []string{"sq-eve"}, 3},
		{"username prefix", store.UserFilter{Matches: []store.UserMatch{like(store.UserUsername, "ann%")}}, all,
			[]string{"sq-ann", "sq-dan"}, 2},
		{"underscore is one character", store.UserFilter{Matches: []store.UserMatch{like(store.UserUsername, "ann_%")}}, all,
			[]string{"sq-ann", "sq-dan"}, 2},
		{"escaped underscore is literal", store.UserFilter{Matches: []store.UserMatch{like(store.UserUsername, `ann\_%`)}}, all,
			[]string{"sq-ann"}, 1},
		{"escaped percent is literal", store.UserFilter{Matches: []store.UserMatch{like(store.UserName, `%100\%`)}}, all,
			[]string{"sq-bob"}, 1},
		{"phone prefix", store.UserFilter{Matches: []store.UserMatch{like(store.UserPrimaryPhone, "4930%")}}, all,
			[]string{"sq-bob", "sq-dan"}, 2},
		{"phone prefix, narrower", store.UserFilter{Matches: []store.UserMatch{like(store.UserPrimaryPhone, "49309%")}}, all,
			[]string{"sq-dan"}, 1},
		{"case-sensitive like", store.UserFilter{CaseSensitive: true, Matches: []store.UserMatch{like(store.UserPrimaryEmail, "%Example%")}}, all,
			[]string{"sq-ann"}, 1},
		{"case-sensitive prefix", store.UserFilter{CaseSensitive: true, Matches: []store.UserMatch{like(store.UserUsername, "Ann%")}}, all,
			[]string{"sq-ann"}, 1},
		{"exact ignoring case", store.UserFilter{Matches: []store.UserMatch{match(store.UserPrimaryEmail, store.MatchExact, "ANN.LEE@example.COM")}}, all,
			[]string{"sq-ann"}, 1},
		{"exact, several values", store.UserFilter{Matches: []store.UserMatch{match(store.UserUsername, store.MatchExact, "BOB", "eve", "nobody")}}, all,
			[]string{"sq-bob", "sq-eve"}, 2},
		{"exact, case-sensitive", store.UserFilter{CaseSensitive: true, Matches: []store.UserMatch{match(store.UserUsername, store.MatchExact, "BOB", "eve")}}, all,
			[]string{"sq-eve"}, 1},
		{"exact on any field", store.UserFilter{Matches: []store.UserMatch{match("", store.MatchExact, "ann")}}, all,
			[]string{"sq-eve"}, 1},
		{"or", store.UserFilter{Matches: []store.UserMatch{like(store.UserName, "cat%"), like(store.UserUsername, "bob")}}, all,
			[]string{"sq-bob", "sq-cat"}, 2},
		{"and", store.UserFilter{MatchAll: true, Matches: []store.UserMatch{like(store.UserName, "ann%"), like(store.UserPrimaryEmail, "%@example.com")}}, all,
			[]string{"sq-ann", "sq-eve"}, 2},
		{"and, narrower", store.UserFilter{MatchAll: true, Matches: []store.UserMatch{like(store.UserName, "ann%"), like(store.UserUsername, "eve")}}, all,
			[]string{"sq-eve"}, 1},
		{"exclude role", store.UserFilter{ExcludeRoleID: role.ID}, all, []string{"sq-ann", "sq-cat", "sq-dan"}, 3},
		{"exclude role and search", store.UserFilter{ExcludeRoleID: role.ID, Matches: []store.UserMatch{like("", "%ann%")}},
			store.Page{Page: 1, PageSize: 1}, []string{"sq-ann"}, 2},
		{"exclude unknown role", store.UserFilter{ExcludeRoleID: "missing"}, all, []string{"sq-ann", "sq-bob", "sq-cat", "sq-dan", "sq-eve"}, 5},
		{"posix", store.UserFilter{Matches: []store.UserMatch{match(store.UserUsername, store.MatchPosix, "^(bob|eve)$")}}, all,
			[]string{"sq-bob", "sq-eve"}, 2},
		{"posix ignoring case", store.UserFilter{Matches: []store.UserMatch{match(store.UserUsername, store.MatchPosix, "^ann_")}}, all,
			[]string{"sq-ann"}, 1},
		{"posix, case-sensitive", store.UserFilter{CaseSensitive: true, Matches: []store.UserMatch{match(store.UserUsername, store.MatchPosix, "^ann")}}, all,
			[]string{"sq-dan"}, 1},
		{"posix anywhere", store.UserFilter{Matches: []store.UserMatch{match("", store.MatchPosix, "9{5}")}}, all,
			[]string{"sq-dan"}, 1},
		{"similar to", store.UserFilter{CaseSensitive: true, Matches: []store.UserMatch{match(store.UserPrimaryEmail, store.MatchSimilarTo, "(cat|dan)@%")}}, all,
			[]string{"sq-cat", "sq-dan"}, 2},
		{"similar to: the dot is literal", store.UserFilter{CaseSensitive: true, Matches: []store.UserMatch{match(store.UserName, store.MatchSimilarTo, "Ann.Lee")}}, all,
			[]string{}, 0},
		{"no match", store.UserFilter{Matches: []store.UserMatch{like("", "%nobody%")}}, all, []string{}, 0},
		{"no match, paged", store.UserFilter{Matches: []store.UserMatch{like("", "%nobody%")}}, store.Page{Page: 1, PageSize: 10}, []string{}, 0},
		{"no match past the end", store.UserFilter{Matches: []store.UserMatch{like("", "%nobody%")}}, store.Page{Page: 3, PageSize: 10}, []string{}, 0},
		{"one partial page", store.UserFilter{Matches: []store.UserMatch{like("", "%ann%")}}, store.Page{Page: 1, PageSize: 10}, []string{"sq-ann", "sq-dan", "sq-eve"}, 3},
		{"exactly full pages", store.UserFilter{Matches: []store.UserMatch{like("", "%ann%")}}, store.Page{Page: 1, PageSize: 3}, []string{"sq-ann", "sq-dan", "sq-eve"}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			users, total, err := s.SearchUsers(ctx, c.filter, c.page)
			must(t, err)
			wantEqual(t, "ids", ids(users, userID), c.want)
			wantEqual(t, "total", total, c.total)
		})
	}

	t.Run("found users are complete", func(t *testing.T) {
		users, _, err := s.SearchUsers(ctx, store.UserFilter{Matches: []store.UserMatch{like(store.UserID, "sq-cat")}}, all)
		must(t, err)
		want := specs[2]
		want.Profile, want.CustomData, want.Identities = json.RawMessage(`{}`), json.RawMessage(`{}`), json.RawMessage(`{}`)
		wantEqual(t, "users", users, []store.User{want})
	})

	t.Run("bad input", func(t *testing.T) {
		bad := []store.UserFilter{
			{Matches: []store.UserMatch{like("password_digest", "%")}},
			{Matches: []store.UserMatch{{Field: store.UserName, Mode: store.MatchLike}}},
			{Matches: []store.UserMatch{{Field: store.UserName, Mode: store.MatchLike, Values: []string{"a", "b"}}}},
			{Matches: []store.UserMatch{match(store.UserName, "glob", "a*")}},
			{Matches: []store.UserMatch{match(store.UserName, store.MatchSimilarTo, "a%")}}, // case-insensitive
		}
		for _, f := range bad {
			if _, _, err := s.SearchUsers(ctx, f, all); err == nil {
				t.Errorf("%+v: no error", f)
			}
		}
		for _, m := range []store.UserMatch{match(store.UserName, store.MatchPosix, "(unclosed"),
			{Field: store.UserName, Mode: store.MatchSimilarTo, Values: []string{"(unclosed"}}} {
			_, _, err := s.SearchUsers(ctx, store.UserFilter{CaseSensitive: true, Matches: []store.UserMatch{m}}, all)
			if !errors.Is(err, store.ErrBadPattern) {
				t.Errorf("%+v: error %v, want ErrBadPattern", m, err)
			}
		}
	})

	t.Run("inside a transaction", func(t *testing.T) {
		rollback := errors.New("roll back")
		err := s.InTx(ctx, func(tx store.Store) error {
			extra := store.User{ID: "sq-fay", Username: "annfay", CreatedAt: base + 9, UpdatedAt: base + 9}
			must(t, tx.CreateUser(ctx, &extra))
			users, total, err := tx.SearchUsers(ctx, store.UserFilter{Matches: []store.UserMatch{like(store.UserUsername, "ann%")}}, store.Page{Page: 1, PageSize: 10})
			must(t, err)
			wantEqual(t, "ids", ids(users, userID), []string{"sq-ann", "sq-dan", "sq-fay"})
			wantEqual(t, "total", total, 3)
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx: %v", err)
		}
		_, total, err := s.SearchUsers(ctx, store.UserFilter{}, store.Page{Page: 1, PageSize: 1})
		must(t, err)
		wantEqual(t, "total after rollback", total, 5)
	})
}

func testFindUsersByIdentity(t *testing.T, s store.Store) {
	ctx := t.Context()
	mk := func(id string, identities string, at int64) {
		u := store.User{ID: id, Username: id, Identities: json.RawMessage(identities), CreatedAt: at, UpdatedAt: at}
		must(t, s.CreateUser(ctx, &u))
	}
	mk("idn-a", `{"github":{"userId":"12345","details":{"login":"ann"}},"google":{"userId":"g-1"}}`, base+1)
	mk("idn-b", `{"google":{"userId":"12345"}}`, base+2)
	mk("idn-c", `{"github":{"userId":"123456"}}`, base+3)
	mk("idn-d", `{"github":{"userId":"A%_\"b"}}`, base+4)
	mk("idn-e", `{}`, base+5)

	userID := func(u store.User) string { return u.ID }
	for _, c := range []struct {
		target, id string
		want       []string
	}{
		{"github", "12345", []string{"idn-a"}},
		{"google", "12345", []string{"idn-b"}},
		{"google", "g-1", []string{"idn-a"}},
		{"github", "1234", []string{}},
		{"github", "G-1", []string{}},
		{"github", `A%_"b`, []string{"idn-d"}},
		{"github", `a%_"b`, []string{}},
		{"facebook", "12345", []string{}},
	} {
		users, err := s.FindUsersByIdentity(ctx, c.target, c.id)
		must(t, err)
		wantEqual(t, c.target+" "+c.id, ids(users, userID), c.want)
	}
}

func testRevokeUserObjects(t *testing.T, s store.Store) {
	ctx := t.Context()
	objects := []store.OIDCObject{
		{Kind: store.KindSession, ID: "s-ann", Payload: []byte(`{"user_id":"ann","auth_time":1}`)},
		{Kind: store.KindCode, ID: "c-ann", FamilyID: "fam-ann", Payload: []byte(`{"client_id":"app","user_id":"ann"}`)},
		{Kind: store.KindRefreshToken, ID: "r-ann", FamilyID: "fam-ann", Payload: []byte(`{"client_id":"app","user_id":"ann"}`)},
		// An object of the same grant that does not name the user goes too.
		{Kind: store.KindAccessToken, ID: "a-ann", FamilyID: "fam-ann", Payload: []byte(`{"client_id":"app"}`)},
		{Kind: store.KindAccessToken, ID: "a-ann2", FamilyID: "fam-ann2", Payload: []byte(`{"client_id":"app","user_id":"ann","scope":[]}`)},
		// Other users, the grant-less family, and lookalike ids stay.
		{Kind: store.KindSession, ID: "s-annie", Payload: []byte(`{"user_id":"annie","auth_time":1}`)},
		{Kind: store.KindSession, ID: "s-xann", Payload: []byte(`{"user_id":"xann","auth_time":1}`)},
		{Kind: store.KindRefreshToken, ID: "r-bob", FamilyID: "fam-bob", Payload: []byte(`{"client_id":"app","user_id":"bob"}`)},
		{Kind: store.KindInteraction, ID: "i-1", Payload: []byte(`{"csrf":"x"}`)},
		{Kind: store.KindAccessToken, ID: "a-m2m", Payload: []byte(`{"client_id":"ann"}`)},
	}
	for i := range objects {
		objects[i].ExpiresAt = far
		must(t, s.PutObject(ctx, &objects[i]))
	}
	n, err := s.RevokeUserObjects(ctx, "ann")
	must(t, err)
	wantEqual(t, "revoked", n, 5)
	for _, o := range objects {
		_, err := s.GetObject(ctx, o.Kind, o.ID, now())
		gone := slices.Contains([]string{"s-ann", "c-ann", "r-ann", "a-ann", "a-ann2"}, o.ID)
		switch {
		case gone && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s survived: %v", o.ID, err)
		case !gone && err != nil:
			t.Errorf("%s: %v", o.ID, err)
		}
	}
	n, err = s.RevokeUserObjects(ctx, "ann")
	must(t, err)
	wantEqual(t, "revoked again", n, 0)
	n, err = s.RevokeUserObjects(ctx, "")
	must(t, err)
	wantEqual(t, "revoked for nobody", n, 0)
}
