package storetest

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// testResourceQueries covers the resource queries the Management API needs.
func testResourceQueries(t *testing.T, s store.Store) {}
