package throttle_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse-auth/gatehouse/internal/throttle"
)

// TestSharedAcrossProcesses stands two limiters (two server processes) on
// one PostgreSQL database: failures counted by one block on the other.
func TestSharedAcrossProcesses(t *testing.T) {
	st, _ := sqltest.Postgres(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	a, b := throttle.NewShared(st, 3, time.Minute), throttle.NewShared(st, 3, time.Minute)
	a.Now = func() time.Time { return now }
	b.Now = a.Now
	for i := 0; i < 2; i++ {
		if err := a.Fail(ctx, "id:ann", "ip:192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	b.Fail(ctx, "id:ann")
	wait, blocked, err := a.Blocked(ctx, "id:ann", "ip:192.0.2.1")
	if err != nil || !blocked || wait != time.Minute {
		t.Fatalf("after 3 failures on two nodes: %v %v %v", wait, blocked, err)
	}
	if _, blocked, _ := b.Blocked(ctx, "ip:192.0.2.1"); blocked {
		t.Fatal("the IP is blocked after 2 failures")
	}
	now = now.Add(61 * time.Second)
	if _, blocked, _ := b.Blocked(ctx, "id:ann"); blocked {
		t.Fatal("still blocked after the window")
	}
	a.Fail(ctx, "id:bob")
	a.Fail(ctx, "id:bob")
	a.Fail(ctx, "id:bob")
	if err := b.Reset(ctx, "id:bob"); err != nil {
		t.Fatal(err)
	}
	if _, blocked, _ := a.Blocked(ctx, "id:bob"); blocked {
		t.Fatal("Reset on one node did not clear the other's view")
	}
}
