package storetest

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testResources(t *testing.T, s store.Store) {
	ctx := t.Context()
	api := store.Resource{ID: "res-b", Name: "Orders API", Indicator: "https://api.example/orders",
		AccessTokenTTL: 7200, IsDefault: true, CreatedAt: base + 1}
	must(t, s.CreateResource(ctx, &api))

	t.Run("round trip", func(t *testing.T) {
		got, err := s.GetResource(ctx, api.ID)
		must(t, err)
		wantEqual(t, "resource", *got, api)
		got, err = s.GetResourceByIndicator(ctx, api.Indicator)
		must(t, err)
		wantEqual(t, "resource by indicator", *got, api)
	})

	t.Run("fills in id and creation time", func(t *testing.T) {
		r := store.Resource{Name: "Auto", Indicator: "urn:auto", AccessTokenTTL: 60}
		must(t, s.CreateResource(ctx, &r))
		if r.ID == "" || r.CreatedAt == 0 {
			t.Fatalf("id %q, created %d: want both filled in", r.ID, r.CreatedAt)
		}
		must(t, s.DeleteResource(ctx, r.ID))
	})

	t.Run("conflicts", func(t *testing.T) {
		dup := store.Resource{ID: newID(), Name: "Other", Indicator: api.Indicator, CreatedAt: base}
		wantConflict(t, s.CreateResource(ctx, &dup), "indicator")
		dup = store.Resource{ID: api.ID, Name: "Other", Indicator: "urn:other", CreatedAt: base}
		wantConflict(t, s.CreateResource(ctx, &dup), "id")
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.GetResource(ctx, "missing")
		wantNotFound(t, err)
		_, err = s.GetResourceByIndicator(ctx, "https://api.example/ORDERS")
		wantNotFound(t, err)
		r := store.Resource{ID: "missing", Name: "x", Indicator: "urn:x"}
		wantNotFound(t, s.UpdateResource(ctx, &r))
		wantNotFound(t, s.DeleteResource(ctx, "missing"))
	})

	more := []store.Resource{
		{ID: "res-c", Name: "C", Indicator: "urn:c", AccessTokenTTL: 1, CreatedAt: base + 2},
		{ID: "res-a", Name: "A", Indicator: "urn:a", AccessTokenTTL: 1, CreatedAt: base + 1},
	}
	for i := range more {
		must(t, s.CreateResource(ctx, &more[i]))
	}

	t.Run("list", func(t *testing.T) {
		resID := func(r store.Resource) string { return r.ID }
		got, total, err := s.ListResources(ctx, store.Page{})
		must(t, err)
		wantEqual(t, "ids", ids(got, resID), []string{"res-a", "res-b", "res-c"})
		wantEqual(t, "total", total, 3)
		wantEqual(t, "listed resource", got[1], api)
		got, total, err = s.ListResources(ctx, store.Page{Page: 2, PageSize: 2})
		must(t, err)
		wantEqual(t, "page 2", ids(got, resID), []string{"res-c"})
		wantEqual(t, "total", total, 3)
	})

	t.Run("update", func(t *testing.T) {
		updated := store.Resource{ID: api.ID, Name: "Orders v2", Indicator: "https://api.example/orders/v2",
			AccessTokenTTL: 60, IsDefault: false, CreatedAt: base + 500}
		must(t, s.UpdateResource(ctx, &updated))
		got, err := s.GetResource(ctx, api.ID)
		must(t, err)
		updated.CreatedAt = api.CreatedAt
		wantEqual(t, "updated resource", *got, updated)
		_, err = s.GetResourceByIndicator(ctx, api.Indicator)
		wantNotFound(t, err)

		clash := updated
		clash.Indicator = "urn:c"
		wantConflict(t, s.UpdateResource(ctx, &clash), "indicator")
	})

	t.Run("delete cascades to scopes and their grants", func(t *testing.T) {
		sc := store.Scope{ID: newID(), ResourceID: "res-c", Name: "read:all", CreatedAt: base}
		must(t, s.CreateScope(ctx, &sc))
		role := store.Role{ID: newID(), Name: "cascade-reader", Type: store.UserRole, CreatedAt: base}
		must(t, s.CreateRole(ctx, &role))
		must(t, s.AddRoleScopes(ctx, role.ID, []string{sc.ID}))

		must(t, s.DeleteResource(ctx, "res-c"))
		_, err := s.GetResource(ctx, "res-c")
		wantNotFound(t, err)
		_, err = s.GetScope(ctx, sc.ID)
		wantNotFound(t, err)
		scopes, err := s.ListRoleScopes(ctx, role.ID)
		must(t, err)
		wantEqual(t, "role scopes after resource delete", scopes, []store.Scope{})
		_, err = s.GetRole(ctx, role.ID)
		must(t, err) // the role itself stays
	})
}

func testScopes(t *testing.T, s store.Store) {
	ctx := t.Context()
	orders := store.Resource{ID: newID(), Name: "Orders", Indicator: "urn:orders", CreatedAt: base}
	users := store.Resource{ID: newID(), Name: "Users", Indicator: "urn:users", CreatedAt: base}
	must(t, s.CreateResource(ctx, &orders))
	must(t, s.CreateResource(ctx, &users))

	write := store.Scope{ID: "scope-b", ResourceID: orders.ID, Name: "write:orders", Description: "Place orders", CreatedAt: base + 2}
	read := store.Scope{ID: "scope-a", ResourceID: orders.ID, Name: "read:orders", Description: "See orders", CreatedAt: base + 1}
	other := store.Scope{ID: "scope-c", ResourceID: users.ID, Name: "read:orders", CreatedAt: base}
	for _, sc := range []*store.Scope{&write, &read, &other} {
		must(t, s.CreateScope(ctx, sc))
	}

	t.Run("round trip", func(t *testing.T) {
		got, err := s.GetScope(ctx, write.ID)
		must(t, err)
		wantEqual(t, "scope", *got, write)
	})

	t.Run("fills in id and creation time", func(t *testing.T) {
		sc := store.Scope{ResourceID: users.ID, Name: "auto"}
		must(t, s.CreateScope(ctx, &sc))
		if sc.ID == "" || sc.CreatedAt == 0 {
			t.Fatalf("id %q, created %d: want both filled in", sc.ID, sc.CreatedAt)
		}
		must(t, s.DeleteScope(ctx, sc.ID))
	})

	t.Run("list per resource in creation order", func(t *testing.T) {
		got, err := s.ListScopes(ctx, orders.ID)
		must(t, err)
		wantEqual(t, "scopes", got, []store.Scope{read, write})
		got, err = s.ListScopes(ctx, "missing")
		must(t, err)
		wantEqual(t, "scopes of a missing resource", got, []store.Scope{})
	})

	t.Run("conflicts", func(t *testing.T) {
		dup := store.Scope{ID: newID(), ResourceID: orders.ID, Name: "read:orders", CreatedAt: base}
		wantConflict(t, s.CreateScope(ctx, &dup), "name")
		dup = store.Scope{ID: read.ID, ResourceID: users.ID, Name: "fresh", CreatedAt: base}
		wantConflict(t, s.CreateScope(ctx, &dup), "id")
		clash := write
		clash.Name = read.Name
		wantConflict(t, s.UpdateScope(ctx, &clash), "name")
	})

	t.Run("unknown resource", func(t *testing.T) {
		sc := store.Scope{ID: newID(), ResourceID: "missing", Name: "x", CreatedAt: base}
		wantNotFound(t, s.CreateScope(ctx, &sc))
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.GetScope(ctx, "missing")
		wantNotFound(t, err)
		sc := store.Scope{ID: "missing", Name: "x"}
		wantNotFound(t, s.UpdateScope(ctx, &sc))
		wantNotFound(t, s.DeleteScope(ctx, "missing"))
	})

	t.Run("update", func(t *testing.T) {
		updated := store.Scope{ID: write.ID, ResourceID: write.ResourceID, Name: "manage:orders", Description: "All of it"}
		must(t, s.UpdateScope(ctx, &updated))
		got, err := s.GetScope(ctx, write.ID)
		must(t, err)
		updated.CreatedAt = write.CreatedAt
		wantEqual(t, "updated scope", *got, updated)
	})

	t.Run("delete", func(t *testing.T) {
		must(t, s.DeleteScope(ctx, other.ID))
		_, err := s.GetScope(ctx, other.ID)
		wantNotFound(t, err)
		wantNotFound(t, s.DeleteScope(ctx, other.ID))
	})
}

func testRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	admin := store.Role{ID: "role-b", Name: "Admin", Description: "Everything", Type: store.UserRole, IsDefault: true, CreatedAt: base + 1}
	viewer := store.Role{ID: "role-c", Name: "Viewer", Type: store.UserRole, CreatedAt: base + 2}
	robot := store.Role{ID: "role-a", Name: "Robot", Description: "Machines", Type: store.M2MRole, CreatedAt: base + 1}
	for _, r := range []*store.Role{&admin, &viewer, &robot} {
		must(t, s.CreateRole(ctx, r))
	}

	t.Run("round trip", func(t *testing.T) {
		got, err := s.GetRole(ctx, admin.ID)
		must(t, err)
		wantEqual(t, "role", *got, admin)
		got, err = s.GetRoleByName(ctx, "Robot")
		must(t, err)
		wantEqual(t, "role by name", *got, robot)
	})

	t.Run("fills in id and creation time", func(t *testing.T) {
		r := store.Role{Name: "auto", Type: store.UserRole}
		must(t, s.CreateRole(ctx, &r))
		if r.ID == "" || r.CreatedAt == 0 {
			t.Fatalf("id %q, created %d: want both filled in", r.ID, r.CreatedAt)
		}
		must(t, s.DeleteRole(ctx, r.ID))
	})

	t.Run("conflicts", func(t *testing.T) {
		dup := store.Role{ID: newID(), Name: "Admin", Type: store.M2MRole, CreatedAt: base}
		wantConflict(t, s.CreateRole(ctx, &dup), "name")
		dup = store.Role{ID: admin.ID, Name: "Fresh", Type: store.M2MRole, CreatedAt: base}
		wantConflict(t, s.CreateRole(ctx, &dup), "id")
		clash := viewer
		clash.Name = "Robot"
		wantConflict(t, s.UpdateRole(ctx, &clash), "name")
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.GetRole(ctx, "missing")
		wantNotFound(t, err)
		_, err = s.GetRoleByName(ctx, "admin") // names are exact
		wantNotFound(t, err)
		r := store.Role{ID: "missing", Name: "x", Type: store.UserRole}
		wantNotFound(t, s.UpdateRole(ctx, &r))
		wantNotFound(t, s.DeleteRole(ctx, "missing"))
	})

	t.Run("list", func(t *testing.T) {
		roleID := func(r store.Role) string { return r.ID }
		cases := []struct {
			name  string
			typ   store.RoleType
			page  store.Page
			want  []string
			total int
		}{
			{"all", "", store.Page{}, []string{"role-a", "role-b", "role-c"}, 3},
			{"users", store.UserRole, store.Page{}, []string{"role-b", "role-c"}, 2},
			{"machines", store.M2MRole, store.Page{}, []string{"role-a"}, 1},
			{"page", "", store.Page{Page: 2, PageSize: 1}, []string{"role-b"}, 3},
			{"typed page", store.UserRole, store.Page{Page: 2, PageSize: 1}, []string{"role-c"}, 2},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, total, err := s.ListRoles(ctx, c.typ, c.page)
				must(t, err)
				wantEqual(t, "ids", ids(got, roleID), c.want)
				wantEqual(t, "total", total, c.total)
			})
		}
	})

	t.Run("update", func(t *testing.T) {
		updated := store.Role{ID: viewer.ID, Name: "Reader", Description: "Reads", Type: store.M2MRole, IsDefault: true}
		must(t, s.UpdateRole(ctx, &updated))
		got, err := s.GetRole(ctx, viewer.ID)
		must(t, err)
		updated.CreatedAt = viewer.CreatedAt
		wantEqual(t, "updated role", *got, updated)
	})

	t.Run("delete", func(t *testing.T) {
		must(t, s.DeleteRole(ctx, viewer.ID))
		_, err := s.GetRole(ctx, viewer.ID)
		wantNotFound(t, err)
		wantNotFound(t, s.DeleteRole(ctx, viewer.ID))
	})
}

func testRoleScopes(t *testing.T, s store.Store) {
	ctx := t.Context()
	res := store.Resource{ID: newID(), Name: "API", Indicator: "urn:api", CreatedAt: base}
	must(t, s.CreateResource(ctx, &res))
	a := store.Scope{ID: newID(), ResourceID: res.ID, Name: "a", CreatedAt: base + 1}
	b := store.Scope{ID: newID(), ResourceID: res.ID, Name: "b", CreatedAt: base + 2}
	c := store.Scope{ID: newID(), ResourceID: res.ID, Name: "c", CreatedAt: base + 3}
	for _, sc := range []*store.Scope{&a, &b, &c} {
		must(t, s.CreateScope(ctx, sc))
	}
	role := store.Role{ID: newID(), Name: "editor", Type: store.UserRole, CreatedAt: base}
	must(t, s.CreateRole(ctx, &role))

	list := func(t *testing.T, want ...store.Scope) {
		t.Helper()
		got, err := s.ListRoleScopes(ctx, role.ID)
		must(t, err)
		if want == nil {
			want = []store.Scope{}
		}
		wantEqual(t, "role scopes", got, want)
	}

	t.Run("add is idempotent", func(t *testing.T) {
		must(t, s.AddRoleScopes(ctx, role.ID, []string{c.ID, a.ID}))
		must(t, s.AddRoleScopes(ctx, role.ID, []string{a.ID, a.ID, c.ID}))
		must(t, s.AddRoleScopes(ctx, role.ID, nil))
		list(t, a, c)
	})

	t.Run("unknown scope or role adds nothing", func(t *testing.T) {
		wantNotFound(t, s.AddRoleScopes(ctx, role.ID, []string{b.ID, "missing"}))
		list(t, a, c)
		wantNotFound(t, s.AddRoleScopes(ctx, "missing", []string{b.ID}))
	})

	t.Run("remove", func(t *testing.T) {
		must(t, s.RemoveRoleScope(ctx, role.ID, a.ID))
		list(t, c)
		wantNotFound(t, s.RemoveRoleScope(ctx, role.ID, a.ID))
		wantNotFound(t, s.RemoveRoleScope(ctx, "missing", c.ID))
	})

	t.Run("deleting a scope removes its grants", func(t *testing.T) {
		must(t, s.AddRoleScopes(ctx, role.ID, []string{b.ID}))
		must(t, s.DeleteScope(ctx, c.ID))
		list(t, b)
	})

	t.Run("deleting the role removes its grants", func(t *testing.T) {
		must(t, s.DeleteRole(ctx, role.ID))
		list(t)
		// Recreated with the same id, the role starts empty.
		must(t, s.CreateRole(ctx, &role))
		list(t)
	})
}

func testRoleAssignments(t *testing.T, s store.Store) {
	ctx := t.Context()
	r1 := store.Role{ID: newID(), Name: "one", Type: store.UserRole, CreatedAt: base + 1}
	r2 := store.Role{ID: newID(), Name: "two", Type: store.UserRole, CreatedAt: base + 2}
	r3 := store.Role{ID: newID(), Name: "three", Type: store.M2MRole, CreatedAt: base + 3}
	for _, r := range []*store.Role{&r1, &r2, &r3} {
		must(t, s.CreateRole(ctx, r))
	}
	roles := func(want ...store.Role) []store.Role {
		if want == nil {
			return []store.Role{}
		}
		return want
	}

	t.Run("users", func(t *testing.T) {
		u := fullUser()
		must(t, s.CreateUser(ctx, &u))
		list := func(t *testing.T, want ...store.Role) {
			t.Helper()
			got, err := s.ListUserRoles(ctx, u.ID)
			must(t, err)
			wantEqual(t, "user roles", got, roles(want...))
		}
		list(t)
		must(t, s.AssignUserRoles(ctx, u.ID, []string{r2.ID, r1.ID}))
		must(t, s.AssignUserRoles(ctx, u.ID, []string{r1.ID, r2.ID, r2.ID}))
		list(t, r1, r2)

		wantNotFound(t, s.AssignUserRoles(ctx, u.ID, []string{r3.ID, "missing"}))
		list(t, r1, r2)
		wantNotFound(t, s.AssignUserRoles(ctx, "missing", []string{r1.ID}))

		must(t, s.RemoveUserRole(ctx, u.ID, r1.ID))
		list(t, r2)
		wantNotFound(t, s.RemoveUserRole(ctx, u.ID, r1.ID))

		must(t, s.DeleteRole(ctx, r2.ID))
		list(t)
		must(t, s.CreateRole(ctx, &r2))
		list(t)

		must(t, s.AssignUserRoles(ctx, u.ID, []string{r1.ID}))
		must(t, s.DeleteUser(ctx, u.ID))
		must(t, s.CreateUser(ctx, &u))
		list(t)
	})

	t.Run("applications", func(t *testing.T) {
		app := store.Application{ID: newID(), Name: "m2m", Type: store.MachineToMachine, CreatedAt: base}
		must(t, s.CreateApplication(ctx, &app))
		list := func(t *testing.T, want ...store.Role) {
			t.Helper()
			got, err := s.ListApplicationRoles(ctx, app.ID)
			must(t, err)
			wantEqual(t, "application roles", got, roles(want...))
		}
		list(t)
		must(t, s.AssignApplicationRoles(ctx, app.ID, []string{r3.ID, r1.ID}))
		must(t, s.AssignApplicationRoles(ctx, app.ID, []string{r3.ID}))
		list(t, r1, r3)

		wantNotFound(t, s.AssignApplicationRoles(ctx, app.ID, []string{r2.ID, "missing"}))
		list(t, r1, r3)
		wantNotFound(t, s.AssignApplicationRoles(ctx, "missing", []string{r1.ID}))

		must(t, s.RemoveApplicationRole(ctx, app.ID, r1.ID))
		list(t, r3)
		wantNotFound(t, s.RemoveApplicationRole(ctx, app.ID, r1.ID))

		must(t, s.DeleteRole(ctx, r3.ID))
		list(t)

		must(t, s.AssignApplicationRoles(ctx, app.ID, []string{r1.ID}))
		must(t, s.DeleteApplication(ctx, app.ID))
		must(t, s.CreateApplication(ctx, &app))
		list(t)
	})
}

func testGrantedScopes(t *testing.T, s store.Store) {
	ctx := t.Context()
	orders := store.Resource{ID: newID(), Name: "Orders", Indicator: "urn:orders", CreatedAt: base}
	billing := store.Resource{ID: newID(), Name: "Billing", Indicator: "urn:billing", CreatedAt: base}
	must(t, s.CreateResource(ctx, &orders))
	must(t, s.CreateResource(ctx, &billing))
	scope := func(res store.Resource, name string) string {
		sc := store.Scope{ID: newID(), ResourceID: res.ID, Name: name, CreatedAt: base}
		must(t, s.CreateScope(ctx, &sc))
		return sc.ID
	}
	ordersRead, ordersWrite, ordersAdmin := scope(orders, "read"), scope(orders, "write"), scope(orders, "admin")
	ordersZ := scope(orders, "Z:upper") // sorts before lower case bytewise
	billingRead, billingPay := scope(billing, "read"), scope(billing, "pay")

	role := func(name string, typ store.RoleType, scopes ...string) string {
		r := store.Role{ID: newID(), Name: name, Type: typ, CreatedAt: base}
		must(t, s.CreateRole(ctx, &r))
		must(t, s.AddRoleScopes(ctx, r.ID, scopes))
		return r.ID
	}
	reader := role("reader", store.UserRole, ordersRead, billingRead)
	writer := role("writer", store.UserRole, ordersRead, ordersWrite, ordersZ)
	payer := role("payer", store.UserRole, billingPay)
	unassigned := role("boss", store.UserRole, ordersAdmin)
	machine := role("machine", store.M2MRole, ordersAdmin, ordersRead, billingPay)
	_ = unassigned

	u := fullUser()
	must(t, s.CreateUser(ctx, &u))
	must(t, s.AssignUserRoles(ctx, u.ID, []string{reader, writer, payer}))
	lonely := fullUser()
	must(t, s.CreateUser(ctx, &lonely))
	app := store.Application{ID: newID(), Name: "robot", Type: store.MachineToMachine, CreatedAt: base}
	must(t, s.CreateApplication(ctx, &app))
	must(t, s.AssignApplicationRoles(ctx, app.ID, []string{machine}))

	cases := []struct {
		name     string
		subject  store.Subject
		resource string
		want     []string
	}{
		{"user across roles, without duplicates, sorted", store.Subject{UserID: u.ID}, orders.ID, []string{"Z:upper", "read", "write"}},
		{"user on another resource", store.Subject{UserID: u.ID}, billing.ID, []string{"pay", "read"}},
		{"user without roles", store.Subject{UserID: lonely.ID}, orders.ID, []string{}},
		{"unknown user", store.Subject{UserID: "missing"}, orders.ID, []string{}},
		{"unknown resource", store.Subject{UserID: u.ID}, "missing", []string{}},
		{"application", store.Subject{ApplicationID: app.ID}, orders.ID, []string{"admin", "read"}},
		{"application on another resource", store.Subject{ApplicationID: app.ID}, billing.ID, []string{"pay"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.GrantedScopes(ctx, c.subject, c.resource)
			must(t, err)
			wantEqual(t, "granted scopes", got, c.want)
		})
	}

	t.Run("follows role changes", func(t *testing.T) {
		must(t, s.RemoveUserRole(ctx, u.ID, writer))
		must(t, s.RemoveRoleScope(ctx, reader, billingRead))
		got, err := s.GrantedScopes(ctx, store.Subject{UserID: u.ID}, orders.ID)
		must(t, err)
		wantEqual(t, "orders scopes", got, []string{"read"})
		got, err = s.GrantedScopes(ctx, store.Subject{UserID: u.ID}, billing.ID)
		must(t, err)
		wantEqual(t, "billing scopes", got, []string{"pay"})
	})

	t.Run("empty subject", func(t *testing.T) {
		if _, err := s.GrantedScopes(ctx, store.Subject{}, orders.ID); err == nil {
			t.Fatal("granted scopes to nobody without an error")
		}
	})
}
