package storetest

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// testUserQueries covers the user queries the Management API needs.
func testUserQueries(t *testing.T, s store.Store) {}
