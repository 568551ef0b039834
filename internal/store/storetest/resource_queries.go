package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// testResourceQueries covers the resource queries the Management API needs.
func testResourceQueries(t *testing.T, s store.Store) {
	ctx := t.Context()
	resources := []store.Resource{
		{ID: "res-c", Name: "Billing", Indicator: "https://billing.example/api", AccessTokenTTL: 60, CreatedAt: base + 3},
		{ID: "res-a", Name: "Orders API", Indicator: "https://orders.example", AccessTokenTTL: 3600, CreatedAt: base + 1},
		{ID: "res-b", Name: "Kitchen 100%", Indicator: "urn:kitchen_display", AccessTokenTTL: 3600, IsDefault: true, CreatedAt: base + 2},
		{ID: "res-d", Name: "Staff", Indicator: "https://staff.example/ORDERS", AccessTokenTTL: 3600, CreatedAt: base + 4},
	}
	for i := range resources {
		must(t, s.CreateResource(ctx, &resources[i]))
	}
	scopes := []store.Scope{
		{ID: "sc-2", ResourceID: "res-a", Name: "write:orders", Description: "Place ORDERS", CreatedAt: base + 2},
		{ID: "sc-1", ResourceID: "res-a", Name: "read:orders", Description: "See orders", CreatedAt: base + 1},
		{ID: "sc-3", ResourceID: "res-a", Name: "read:menus", Description: "100% of the menu", CreatedAt: base + 3},
		{ID: "sc-4", ResourceID: "res-b", Name: "read:tickets", CreatedAt: base},
		{ID: "sc-5", ResourceID: "res-c", Name: "pay", Description: "orders too", CreatedAt: base + 5},
	}
	for i := range scopes {
		must(t, s.CreateScope(ctx, &scopes[i]))
	}
	resID := func(r store.Resource) string { return r.ID }
	scopeID := func(sc store.Scope) string { return sc.ID }

	t.Run("search resources", func(t *testing.T) {
		cases := []struct {
			search string
			page   store.Page
			want   []string
			total  int
		}{
			{"", store.Page{}, []string{"res-a", "res-b", "res-c", "res-d"}, 4},
			{"orders", store.Page{}, []string{"res-a", "res-d"}, 2}, // name or indicator, any case
			{"BILLING.example", store.Page{}, []string{"res-c"}, 1}, // indicator
			{"100%", store.Page{}, []string{"res-b"}, 1},            // % is a plain character
			{"_", store.Page{}, []string{"res-b"}, 1},               // so is _
			{"", store.Page{Page: 2, PageSize: 3}, []string{"res-d"}, 4},
			{"example", store.Page{Page: 1, PageSize: 2}, []string{"res-a", "res-c"}, 3},
			{"example", store.Page{Page: 5, PageSize: 2}, []string{}, 3},
			{"nothing", store.Page{}, []string{}, 0},
		}
		for _, c := range cases {
			got, total, err := s.SearchResources(ctx, c.search, c.page)
			must(t, err)
			wantEqual(t, fmt.Sprintf("search %q %+v", c.search, c.page), ids(got, resID), c.want)
			wantEqual(t, fmt.Sprintf("total of %q %+v", c.search, c.page), total, c.total)
		}
		got, _, err := s.SearchResources(ctx, "kitchen", store.Page{})
		must(t, err)
		wantEqual(t, "found resource", got[0], resources[2])
	})

	t.Run("search scopes", func(t *testing.T) {
		cases := []struct {
			resource, search string
			page             store.Page
			want             []string
			total            int
		}{
			{"res-a", "", store.Page{}, []string{"sc-1", "sc-2", "sc-3"}, 3},
			{"res-a", "orders", store.Page{}, []string{"sc-1", "sc-2"}, 2}, // name or description, any case
			{"res-a", "MENU", store.Page{}, []string{"sc-3"}, 1},
			{"res-a", "100%", store.Page{}, []string{"sc-3"}, 1},
			{"res-a", "_", store.Page{}, []string{}, 0},
			{"res-a", "", store.Page{Page: 2, PageSize: 2}, []string{"sc-3"}, 3},
			{"res-a", "", store.Page{Page: 3, PageSize: 2}, []string{}, 3},
			{"res-c", "orders", store.Page{}, []string{"sc-5"}, 1}, // only the resource's own scopes
			{"res-d", "", store.Page{}, []string{}, 0},
			{"missing", "", store.Page{}, []string{}, 0},
		}
		for _, c := range cases {
			got, total, err := s.SearchScopes(ctx, c.resource, c.search, c.page)
			must(t, err)
			wantEqual(t, fmt.Sprintf("scopes of %s %q %+v", c.resource, c.search, c.page), ids(got, scopeID), c.want)
			wantEqual(t, fmt.Sprintf("total of %s %q %+v", c.resource, c.search, c.page), total, c.total)
		}
		got, _, err := s.SearchScopes(ctx, "res-a", "place", store.Page{})
		must(t, err)
		wantEqual(t, "found scope", got, []store.Scope{scopes[0]})
	})

	t.Run("scopes of several resources", func(t *testing.T) {
		got, err := s.ListScopesOfResources(ctx, []string{"res-c", "res-a", "res-d", "missing"})
		must(t, err)
		wantEqual(t, "scopes", ids(got, scopeID), []string{"sc-1", "sc-2", "sc-3", "sc-5"})
		wantEqual(t, "first scope", got[0], scopes[1])
		got, err = s.ListScopesOfResources(ctx, nil)
		must(t, err)
		wantEqual(t, "scopes of no resources", got, []store.Scope{})
		// More ids than one query binds.
		many := make([]string, 0, 1203)
		for i := range 1200 {
			many = append(many, fmt.Sprintf("missing-%d", i))
		}
		many = append(many, "res-b", "res-c", "res-a")
		got, err = s.ListScopesOfResources(ctx, many)
		must(t, err)
		wantEqual(t, "scopes of many resources", ids(got, scopeID), []string{"sc-4", "sc-1", "sc-2", "sc-3", "sc-5"})
	})

	defaults := func(t *testing.T) []string {
		t.Helper()
		all, _, err := s.ListResources(ctx, store.Page{})
		must(t, err)
		var out []string
		for _, r := range all {
			if r.IsDefault {
				out = append(out, r.ID)
			}
		}
		return out
	}

	t.Run("set the default resource", func(t *testing.T) {
		wantEqual(t, "defaults before", defaults(t), []string{"res-b"})
		got, err := s.SetDefaultResource(ctx, "res-a", true)
		must(t, err)
		want := resources[1]
		want.IsDefault = true
		wantEqual(t, "new default", *got, want)
		wantEqual(t, "defaults after", defaults(t), []string{"res-a"})
		// Setting it again changes nothing.
		_, err = s.SetDefaultResource(ctx, "res-a", true)
		must(t, err)
		wantEqual(t, "defaults after again", defaults(t), []string{"res-a"})
		// Clearing a resource that is not the default leaves the default alone.
		got, err = s.SetDefaultResource(ctx, "res-c", false)
		must(t, err)
		wantEqual(t, "cleared", got.IsDefault, false)
		wantEqual(t, "defaults after clearing another", defaults(t), []string{"res-a"})
		got, err = s.SetDefaultResource(ctx, "res-a", false)
		must(t, err)
		wantEqual(t, "cleared default", got.IsDefault, false)
		wantEqual(t, "defaults after clearing", defaults(t), []string(nil))
		_, err = s.SetDefaultResource(ctx, "res-b", true)
		must(t, err)
	})

	t.Run("a missing resource changes nothing", func(t *testing.T) {
		_, err := s.SetDefaultResource(ctx, "missing", true)
		wantNotFound(t, err)
		_, err = s.SetDefaultResource(ctx, "missing", false)
		wantNotFound(t, err)
		wantEqual(t, "defaults", defaults(t), []string{"res-b"})
	})

	t.Run("inside a transaction", func(t *testing.T) {
		// A failing transaction takes the change back.
		err := s.InTx(ctx, func(tx store.Store) error {
			if _, err := tx.SetDefaultResource(ctx, "res-d", true); err != nil {
				return err
			}
			return errUndoDefault
		})
		if !errors.Is(err, errUndoDefault) {
			t.Fatalf("transaction: %v", err)
		}
		wantEqual(t, "defaults after rollback", defaults(t), []string{"res-b"})
		must(t, s.InTx(ctx, func(tx store.Store) error {
			_, err := tx.SetDefaultResource(ctx, "res-d", true)
			return err
		}))
		wantEqual(t, "defaults after commit", defaults(t), []string{"res-d"})
	})

	t.Run("at most one default", func(t *testing.T) {
		// Two defaults cannot be written behind SetDefaultResource's back.
		second := resources[0]
		second.IsDefault = true
		if err := s.UpdateResource(ctx, &second); !store.IsConflict(err) {
			t.Fatalf("a second default resource: %v, want a conflict", err)
		}
		extra := store.Resource{ID: "res-e", Name: "E", Indicator: "urn:e", IsDefault: true, CreatedAt: base + 9}
		if err := s.CreateResource(ctx, &extra); !store.IsConflict(err) {
			t.Fatalf("creating a second default resource: %v, want a conflict", err)
		}
		wantEqual(t, "defaults", defaults(t), []string{"res-d"})
	})

	t.Run("concurrent defaults", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.SetDefaultResource(ctx, resources[i%len(resources)].ID, true)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		if got := defaults(t); len(got) != 1 {
			t.Fatalf("defaults after concurrent changes = %v, want exactly one", got)
		}
	})
}

var errUndoDefault = errors.New("undo the default resource")
