package throttle

import (
	"testing"
	"time"
)

func TestLimiterLocksAndRecovers(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(3, time.Minute)
	l.Now = func() time.Time { return now }
	for i := 0; i < 2; i++ {
		l.Fail("user:a", "ip:1")
	}
	if _, blocked := l.Blocked("user:a"); blocked {
		t.Fatal("blocked after 2 of 3 failures")
	}
	l.Fail("user:a")
	wait, blocked := l.Blocked("user:b", "user:a")
	if !blocked || wait != time.Minute {
		t.Fatalf("Blocked = %v, %v; want 1m, true", wait, blocked)
	}
	if _, blocked := l.Blocked("ip:1"); blocked {
		t.Fatal("ip blocked after 2 failures")
	}
	now = now.Add(61 * time.Second)
	if _, blocked := l.Blocked("user:a"); blocked {
		t.Fatal("still blocked after the window")
	}
	l.Fail("user:a")
	l.Reset("user:a")
	if len(l.keys["user:a"]) != 0 {
		t.Fatal("Reset kept failures")
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	l := New(3, time.Minute)
	l.maxKeys = 100
	for i := 0; i < 1000; i++ {
		l.Fail(string(rune('a'+i%26)) + string(rune(i)))
	}
	if len(l.keys) > 100 {
		t.Fatalf("%d keys kept, bound is 100", len(l.keys))
	}
}
