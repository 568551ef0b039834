package storetest

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// testRoleQueries covers the role queries the Management API needs.
func testRoleQueries(t *testing.T, s store.Store) {}
