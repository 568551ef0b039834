// Package storetest is the conformance suite for store.Store: every backend
// runs Run against fresh databases and must pass it unchanged.
package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Run exercises every method of store.Store. open must return a fresh,
// migrated, empty store and arrange for it to be closed when t ends; Run
// calls it once per group of subtests.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Applications", testApplications},
		{"ApplicationList", testApplicationList},
		{"ApplicationSecrets", testApplicationSecrets},
		{"Users", testUsers},
		{"UserIdentifiers", testUserIdentifiers},
		{"UserList", testUserList},
		{"Resources", testResources},
		{"Scopes", testScopes},
		{"Roles", testRoles},
		{"RoleScopes", testRoleScopes},
		{"RoleAssignments", testRoleAssignments},
		{"GrantedScopes", testGrantedScopes},
		{"SigningKeys", testSigningKeys},
		{"Objects", testObjects},
		{"ConsumeObject", testConsumeObject},
		{"ObjectCleanup", testObjectCleanup},
		{"CountFamily", testCountFamily},
		{"Settings", testSettings},
		{"Transactions", testTransactions},
		{"SchemaVersion", testSchemaVersion},
		{"ResourceQueries", testResourceQueries},
		{"RoleQueries", testRoleQueries},
		{"UserQueries", testUserQueries},
		{"Connectors", testConnectors},
		{"Hooks", testHooks}, {"HookDeliveries", testHookDeliveries}, {"HookClaimRace", testHookClaimRace},
		{"Logs", testLogs}, {"LogRetention", testLogRetention}, {"LogCounts", testLogCounts},
		{"Console", testConsole}, {"ConsoleFirstRace", testConsoleFirstRace},
		{"ConsoleAdministrators", testConsoleAdministrators}, {"ConsoleDeleteRace", testConsoleDeleteRace},
		{"SSO", testSSO},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.test(t, open(t)) })
	}
}

// base is an arbitrary creation time; records made in a test get base+n so
// that their order is known.
const base int64 = 1_700_000_000_000

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("error = %v, want store.ErrNotFound", err)
	}
}

func wantConflict(t *testing.T, err error, field string) {
	t.Helper()
	var c *store.ConflictError
	if !errors.As(err, &c) {
		t.Fatalf("error = %v, want *store.ConflictError on %q", err, field)
	}
	if c.Field != field {
		t.Fatalf("conflict on %q, want %q (error %v)", c.Field, field, err)
	}
}

func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// wantJSON compares two JSON documents by meaning.
func wantJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %q is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: want %q is not JSON: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

// ids extracts the ids of records for order checks.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, item := range items {
		out[i] = id(item)
	}
	return out
}

func newID() string { return id.New(id.RecordLength) }
