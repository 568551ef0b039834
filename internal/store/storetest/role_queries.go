package storetest

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// testRoleQueries covers the role queries the Management API needs.
func testRoleQueries(t *testing.T, s store.Store) {
	ctx := t.Context()
	roles := []store.Role{
		{ID: "role-c", Name: "Order Reader", Description: "reads orders", Type: store.UserRole, CreatedAt: base + 3},
		{ID: "role-a", Name: "Robot", Description: "machine work", Type: store.M2MRole, CreatedAt: base + 1},
		{ID: "role-b", Name: "Editor", Description: "Edits ORDERS_100%", Type: store.UserRole, CreatedAt: base + 2},
		{ID: "role-d", Name: "Batch", Description: "nightly", Type: store.M2MRole, CreatedAt: base + 4},
	}
	for i := range roles {
		must(t, s.CreateRole(ctx, &roles[i]))
	}
	people := []store.User{
		{ID: "user-b", Username: "bob", PrimaryEmail: "bob@example.com", Name: "Bob Builder", CreatedAt: base + 2, UpdatedAt: base + 2},
		{ID: "user-a", Username: "alice", PrimaryEmail: "alice@example.com", Name: "Alice", CreatedAt: base + 1, UpdatedAt: base + 1},
		{ID: "user-c", Username: "carol", PrimaryPhone: "+15550100", Name: "Carol", CreatedAt: base + 3, UpdatedAt: base + 3},
		{ID: "user-d", Username: "dave", Name: "Dave", CreatedAt: base + 4, UpdatedAt: base + 4},
	}
	for i := range people {
		must(t, s.CreateUser(ctx, &people[i]))
	}
	machines := []store.Application{
		{ID: "app-b", Name: "Nightly Batch", Description: "cron", Type: store.MachineToMachine, CreatedAt: base + 2},
		{ID: "app-a", Name: "Worker", Type: store.MachineToMachine, CreatedAt: base + 1},
		{ID: "app-c", Name: "Importer", Description: "imports BATCHES", Type: store.MachineToMachine, CreatedAt: base + 3},
	}
	for i := range machines {
		must(t, s.CreateApplication(ctx, &machines[i]))
	}
	for _, u := range []string{"user-b", "user-a", "user-c"} {
		must(t, s.AssignUserRoles(ctx, u, []string{"role-c"}))
	}
	must(t, s.AssignUserRoles(ctx, "user-a", []string{"role-b"}))
	for _, a := range []string{"app-c", "app-a", "app-b"} {
		must(t, s.AssignApplicationRoles(ctx, a, []string{"role-a"}))
	}
	must(t, s.AssignApplicationRoles(ctx, "app-b", []string{"role-d"}))

	roleID := func(r store.Role) string { return r.ID }
	userID := func(u store.User) string { return u.ID }
	appID := func(a store.Application) string { return a.ID }

	t.Run("find roles", func(t *testing.T) {
		cases := []struct {
			name  string
			f     store.RoleFilter
			page  store.Page
			want  []string
			total int
		}{
			{"all", store.RoleFilter{}, store.Page{}, []string{"role-a", "role-b", "role-c", "role-d"}, 4},
			{"type", store.RoleFilter{Type: store.M2MRole}, store.Page{}, []string{"role-a", "role-d"}, 2},
			{"search name ignores case", store.RoleFilter{Search: "ROBOT"}, store.Page{}, []string{"role-a"}, 1},
			{"search description", store.RoleFilter{Search: "orders"}, store.Page{}, []string{"role-b", "role-c"}, 2},
			{"search id", store.RoleFilter{Search: "role-d"}, store.Page{}, []string{"role-d"}, 1},
			{"search is literal", store.RoleFilter{Search: "S_1"}, store.Page{}, []string{"role-b"}, 1},
			{"search percent is literal", store.RoleFilter{Search: "0%"}, store.Page{}, []string{"role-b"}, 1},
			{"search underscore is literal", store.RoleFilter{Search: "e_"}, store.Page{}, []string{}, 0},
			{"exclude user", store.RoleFilter{ExcludeUserID: "user-a"}, store.Page{}, []string{"role-a", "role-d"}, 2},
			{"exclude user without roles", store.RoleFilter{ExcludeUserID: "user-d"}, store.Page{}, []string{"role-a", "role-b", "role-c", "role-d"}, 4},
			{"exclude application", store.RoleFilter{ExcludeApplicationID: "app-b"}, store.Page{}, []string{"role-b", "role-c"}, 2},
			{"everything", store.RoleFilter{Type: store.UserRole, Search: "e", ExcludeUserID: "user-b", ExcludeApplicationID: "app-a"}, store.Page{}, []string{"role-b"}, 1},
			{"page", store.RoleFilter{Type: store.UserRole}, store.Page{Page: 2, PageSize: 1}, []string{"role-c"}, 2},
			{"page past the end", store.RoleFilter{}, store.Page{Page: 3, PageSize: 2}, []string{}, 4},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, total, err := s.FindRoles(ctx, c.f, c.page)
				must(t, err)
				wantEqual(t, "ids", ids(got, roleID), c.want)
				wantEqual(t, "total", total, c.total)
			})
		}
	})

	t.Run("role users", func(t *testing.T) {
		cases := []struct {
			name, role, search string
			page               store.Page
			want               []string
			total              int
		}{
			{"all in creation order", "role-c", "", store.Page{}, []string{"user-a", "user-b", "user-c"}, 3},
			{"first page", "role-c", "", store.Page{Page: 1, PageSize: 2}, []string{"user-a", "user-b"}, 3},
			{"second page", "role-c", "", store.Page{Page: 2, PageSize: 2}, []string{"user-c"}, 3},
			{"search name", "role-c", "builder", store.Page{}, []string{"user-b"}, 1},
			{"search email", "role-c", "ALICE@", store.Page{}, []string{"user-a"}, 1},
			{"search phone", "role-c", "5550100", store.Page{}, []string{"user-c"}, 1},
			{"search outside the role", "role-c", "dave", store.Page{}, []string{}, 0},
			{"other role", "role-b", "", store.Page{}, []string{"user-a"}, 1},
			{"role without users", "role-a", "", store.Page{}, []string{}, 0},
			{"missing role", "missing", "", store.Page{Page: 1, PageSize: 3}, []string{}, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, total, err := s.ListRoleUsers(ctx, c.role, c.search, c.page)
				must(t, err)
				wantEqual(t, "ids", ids(got, userID), c.want)
				wantEqual(t, "total", total, c.total)
			})
		}
		got, _, err := s.ListRoleUsers(ctx, "role-b", "", store.Page{})
		must(t, err)
		want, err := s.GetUser(ctx, "user-a")
		must(t, err)
		wantEqual(t, "user record", got[0], *want)
	})

	t.Run("role applications", func(t *testing.T) {
		cases := []struct {
			name, role, search string
			page               store.Page
			want               []string
			total              int
		}{
			{"all in creation order", "role-a", "", store.Page{}, []string{"app-a", "app-b", "app-c"}, 3},
			{"page", "role-a", "", store.Page{Page: 2, PageSize: 2}, []string{"app-c"}, 3},
			{"search name and description", "role-a", "batch", store.Page{}, []string{"app-b", "app-c"}, 2},
			{"search id", "role-a", "APP-A", store.Page{}, []string{"app-a"}, 1},
			{"other role", "role-d", "", store.Page{}, []string{"app-b"}, 1},
			{"role without applications", "role-c", "", store.Page{}, []string{}, 0},
			{"missing role", "missing", "", store.Page{}, []string{}, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, total, err := s.ListRoleApplications(ctx, c.role, c.search, c.page)
				must(t, err)
				wantEqual(t, "ids", ids(got, appID), c.want)
				wantEqual(t, "total", total, c.total)
			})
		}
		got, _, err := s.ListRoleApplications(ctx, "role-d", "", store.Page{})
		must(t, err)
		want, err := s.GetApplication(ctx, "app-b")
		must(t, err)
		wantEqual(t, "application record", got[0], *want)
	})

	t.Run("follows assignments", func(t *testing.T) {
		must(t, s.RemoveUserRole(ctx, "user-b", "role-c"))
		got, total, err := s.ListRoleUsers(ctx, "role-c", "", store.Page{})
		must(t, err)
		wantEqual(t, "ids", ids(got, userID), []string{"user-a", "user-c"})
		wantEqual(t, "total", total, 2)
		must(t, s.DeleteApplication(ctx, "app-a"))
		apps, total, err := s.ListRoleApplications(ctx, "role-a", "", store.Page{})
		must(t, err)
		wantEqual(t, "ids", ids(apps, appID), []string{"app-b", "app-c"})
		wantEqual(t, "total", total, 2)
		// A deleted role's holders lose it.
		must(t, s.DeleteRole(ctx, "role-d"))
		found, _, err := s.FindRoles(ctx, store.RoleFilter{ExcludeApplicationID: "app-b"}, store.Page{})
		must(t, err)
		wantEqual(t, "ids", ids(found, roleID), []string{"role-b", "role-c"})
		apps, total, err = s.ListRoleApplications(ctx, "role-d", "", store.Page{})
		must(t, err)
		wantEqual(t, "ids", ids(apps, appID), []string{})
		wantEqual(t, "total", total, 0)
	})

	t.Run("inside a transaction", func(t *testing.T) {
		must(t, s.InTx(ctx, func(tx store.Store) error {
			must(t, tx.AssignUserRoles(ctx, "user-d", []string{"role-b"}))
			got, total, err := tx.ListRoleUsers(ctx, "role-b", "", store.Page{Page: 1, PageSize: 10})
			must(t, err)
			wantEqual(t, "ids", ids(got, userID), []string{"user-a", "user-d"})
			wantEqual(t, "total", total, 2)
			found, _, err := tx.FindRoles(ctx, store.RoleFilter{ExcludeUserID: "user-d"}, store.Page{})
			must(t, err)
			wantEqual(t, "ids", ids(found, roleID), []string{"role-a", "role-c"})
			return nil
		}))
	})
}
