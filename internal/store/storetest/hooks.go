package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func testHooks(t *testing.T, s store.Store) {
	ctx := t.Context()

	t.Run("empty", func(t *testing.T) {
		list, total, err := s.ListHooks(ctx, store.Page{})
		must(t, err)
		wantEqual(t, "hooks", list, []store.Hook{})
		wantEqual(t, "total", total, 0)
		_, err = s.GetHook(ctx, "missing")
		wantNotFound(t, err)
		wantNotFound(t, s.DeleteHook(ctx, "missing"))
		wantNotFound(t, s.UpdateHook(ctx, &store.Hook{ID: "missing"}))
	})

	three := 3
	first := store.Hook{ID: newID(), Name: "crm", Events: []string{"User.Created", "PostRegister"},
		Config:           store.HookConfig{URL: "https://crm.example/hook", Headers: map[string]string{"Authorization": "Bearer x"}, Retries: &three},
		SealedSigningKey: "v1:c2VhbGVk", Enabled: true, CreatedAt: base + 2}
	second := store.Hook{ID: newID(), Event: "PostSignIn", Config: store.HookConfig{URL: "http://127.0.0.1:9/x"},
		SealedSigningKey: "plain:a2V5", CreatedAt: base + 1}
	must(t, s.CreateHook(ctx, &first))
	must(t, s.CreateHook(ctx, &second))

	t.Run("round trip in creation order", func(t *testing.T) {
		got, err := s.GetHook(ctx, first.ID)
		must(t, err)
		wantEqual(t, "hook", *got, first)
		got, err = s.GetHook(ctx, second.ID)
		must(t, err)
		want := second
		want.Events = []string{} // nil is stored as []
		wantEqual(t, "hook without events", *got, want)
		list, total, err := s.ListHooks(ctx, store.Page{})
		must(t, err)
		wantEqual(t, "order", ids(list, func(h store.Hook) string { return h.ID }), []string{second.ID, first.ID})
		wantEqual(t, "total", total, 2)
		list, total, err = s.ListHooks(ctx, store.Page{Page: 2, PageSize: 1})
		must(t, err)
		wantEqual(t, "page 2", ids(list, func(h store.Hook) string { return h.ID }), []string{first.ID})
		wantEqual(t, "total", total, 2)
	})

	t.Run("defaults and duplicates", func(t *testing.T) {
		h := store.Hook{Config: store.HookConfig{URL: "https://x.example"}, SealedSigningKey: "plain:eA=="}
		must(t, s.CreateHook(ctx, &h))
		if len(h.ID) != 21 || h.CreatedAt == 0 {
			t.Fatalf("id %q, createdAt %d: want a 21-character id and a creation time", h.ID, h.CreatedAt)
		}
		dup := store.Hook{ID: h.ID, Config: store.HookConfig{URL: "https://y.example"}, SealedSigningKey: "x"}
		wantConflict(t, s.CreateHook(ctx, &dup), "id")
		must(t, s.DeleteHook(ctx, h.ID))
		_, err := s.GetHook(ctx, h.ID)
		wantNotFound(t, err)
	})

	t.Run("update", func(t *testing.T) {
		upd := second
		upd.Name, upd.Event, upd.Events, upd.Enabled = "renamed", "", []string{"Role.Created"}, true
		upd.Config = store.HookConfig{URL: "https://new.example", Headers: map[string]string{"X-A": "1"}}
		upd.SealedSigningKey, upd.CreatedAt = "plain:bmV3", 7
		must(t, s.UpdateHook(ctx, &upd))
		got, err := s.GetHook(ctx, second.ID)
		must(t, err)
		upd.CreatedAt = second.CreatedAt // never changes
		wantEqual(t, "updated hook", *got, upd)
	})

	t.Run("rolled back with its transaction", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx store.Store) error {
			h := store.Hook{Config: store.HookConfig{URL: "https://z.example"}, SealedSigningKey: "x"}
			must(t, tx.CreateHook(ctx, &h))
			must(t, tx.EnqueueHookEvents(ctx, []store.HookDelivery{{HookID: first.ID, Event: "User.Created", Payload: json.RawMessage(`{}`)}}))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		_, total, err := s.ListHooks(ctx, store.Page{})
		must(t, err)
		wantEqual(t, "hooks after rollback", total, 2)
		got, err := s.ClaimDueDeliveries(ctx, base+1_000_000_000_000, 10, base+1_000_000_000_001)
		must(t, err)
		wantEqual(t, "deliveries after rollback", len(got), 0)
	})
}

func testHookDeliveries(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := store.Hook{ID: newID(), Events: []string{"User.Created"}, Config: store.HookConfig{URL: "https://h.example"},
		SealedSigningKey: "plain:eA==", Enabled: true, CreatedAt: base}
	other := store.Hook{ID: newID(), Config: store.HookConfig{URL: "https://o.example"}, SealedSigningKey: "plain:eA==", CreatedAt: base + 1}
	must(t, s.CreateHook(ctx, &hook))
	must(t, s.CreateHook(ctx, &other))

	t.Run("enqueue fills in and validates", func(t *testing.T) {
		d := []store.HookDelivery{{HookID: hook.ID, Event: "User.Created", Payload: json.RawMessage(`{"a":1}`), CreatedAt: base + 10}}
		must(t, s.EnqueueHookEvents(ctx, d))
		if len(d[0].ID) != 21 || d[0].NextAttemptAt != base+10 || d[0].State != store.DeliveryPending {
			t.Fatalf("filled in %+v", d[0])
		}
		// Not due before its time.
		got, err := s.ClaimDueDeliveries(ctx, base+9, 10, base+100)
		must(t, err)
		wantEqual(t, "claimed early", len(got), 0)
		got, err = s.ClaimDueDeliveries(ctx, base+10, 10, base+100)
		must(t, err)
		wantEqual(t, "claimed", ids(got, func(d store.HookDelivery) string { return d.ID }), []string{d[0].ID})
		wantJSON(t, "payload", got[0].Payload, `{"a":1}`)
		wantEqual(t, "lease", got[0].LeaseUntil, base+100)
		wantEqual(t, "hook", got[0].HookID, hook.ID)
		// Leased: nobody else gets it until the lease ends...
		got, err = s.ClaimDueDeliveries(ctx, base+99, 10, base+200)
		must(t, err)
		wantEqual(t, "claimed while leased", len(got), 0)
		// ...and then it can be claimed again (its worker died).
		got, err = s.ClaimDueDeliveries(ctx, base+100, 10, base+300)
		must(t, err)
		wantEqual(t, "reclaimed", len(got), 1)
		must(t, s.CompleteDelivery(ctx, d[0].ID, &store.HookAttempt{Attempt: 1, Success: true, StatusCode: 200,
			DurationMs: 12, ResponseBody: "ok", CreatedAt: base + 150}))
		got, err = s.ClaimDueDeliveries(ctx, base+1_000_000, 10, base+2_000_000)
		must(t, err)
		wantEqual(t, "claimed after delivery", len(got), 0)

		bad := []store.HookDelivery{{HookID: hook.ID, Event: "x", Payload: json.RawMessage(`{`)}}
		if err := s.EnqueueHookEvents(ctx, bad); err == nil {
			t.Fatal("enqueued a payload that is not JSON")
		}
		missing := []store.HookDelivery{{HookID: "missing", Event: "x", Payload: json.RawMessage(`{}`)}}
		wantNotFound(t, s.EnqueueHookEvents(ctx, missing))
		wantNotFound(t, s.CompleteDelivery(ctx, "missing", nil))
		wantNotFound(t, s.FailDelivery(ctx, "missing", nil, base))
	})

	t.Run("failures reschedule, then give up", func(t *testing.T) {
		d := []store.HookDelivery{{HookID: other.ID, Event: "PostSignIn", Payload: json.RawMessage(`{"b":2}`), CreatedAt: base + 20}}
		must(t, s.EnqueueHookEvents(ctx, d))
		got, err := s.ClaimDueDeliveries(ctx, base+20, 10, base+50)
		must(t, err)
		wantEqual(t, "claimed", len(got), 1)
		must(t, s.FailDelivery(ctx, d[0].ID, &store.HookAttempt{Attempt: 1, StatusCode: 500, Error: "status 500",
			DurationMs: 3, ResponseBody: "oops", CreatedAt: base + 21}, base+1000))
		// The lease is released with the failure, and the retry waits for its time.
		got, err = s.ClaimDueDeliveries(ctx, base+999, 10, base+5000)
		must(t, err)
		wantEqual(t, "claimed before retry time", len(got), 0)
		got, err = s.ClaimDueDeliveries(ctx, base+1000, 10, base+5000)
		must(t, err)
		wantEqual(t, "retry claimed", len(got), 1)
		wantEqual(t, "attempts", got[0].Attempts, 1)
		must(t, s.FailDelivery(ctx, d[0].ID, &store.HookAttempt{Attempt: 2, Error: "connection refused", CreatedAt: base + 1001}, 0))
		got, err = s.ClaimDueDeliveries(ctx, base+1_000_000_000, 10, base+1_000_000_001)
		must(t, err)
		wantEqual(t, "claimed after giving up", len(got), 0)

		list, total, err := s.ListHookAttempts(ctx, other.ID, store.HookAttemptFilter{}, store.Page{})
		must(t, err)
		wantEqual(t, "total", total, 2)
		wantEqual(t, "newest first", []int{list[0].Attempt, list[1].Attempt}, []int{2, 1})
		a := list[1]
		wantEqual(t, "attempt", [4]any{a.HookID, a.DeliveryID, a.Event, a.StatusCode}, [4]any{other.ID, d[0].ID, "PostSignIn", 500})
		wantEqual(t, "attempt text", [3]any{a.Error, a.ResponseBody, a.DurationMs}, [3]any{"status 500", "oops", int64(3)})
		wantJSON(t, "request", a.Request, `{"b":2}`)
		if a.Success || len(a.ID) != 21 {
			t.Fatalf("attempt %+v", a)
		}
	})

	t.Run("attempt queries and stats", func(t *testing.T) {
		list, total, err := s.ListHookAttempts(ctx, hook.ID, store.HookAttemptFilter{}, store.Page{})
		must(t, err)
		wantEqual(t, "hook attempts", total, 1)
		if !list[0].Success || list[0].ResponseBody != "ok" {
			t.Fatalf("attempt %+v", list[0])
		}
		for _, c := range []struct {
			f    store.HookAttemptFilter
			want int
		}{
			{store.HookAttemptFilter{Event: "PostSignIn"}, 2},
			{store.HookAttemptFilter{Event: "User.Created"}, 0},
			{store.HookAttemptFilter{Since: base + 22}, 1},
			{store.HookAttemptFilter{Until: base + 21}, 1},
			{store.HookAttemptFilter{Since: base + 21, Until: base + 1001}, 2},
			{store.HookAttemptFilter{Since: base + 2000}, 0},
		} {
			_, total, err := s.ListHookAttempts(ctx, other.ID, c.f, store.Page{})
			must(t, err)
			wantEqual(t, fmt.Sprintf("count for %+v", c.f), total, c.want)
		}
		page, total, err := s.ListHookAttempts(ctx, other.ID, store.HookAttemptFilter{}, store.Page{Page: 2, PageSize: 1})
		must(t, err)
		wantEqual(t, "paged total", total, 2)
		wantEqual(t, "page 2", page[0].Attempt, 1)
		page, _, err = s.ListHookAttempts(ctx, other.ID, store.HookAttemptFilter{}, store.Page{Page: 3, PageSize: 1})
		must(t, err)
		wantEqual(t, "past the end", len(page), 0)
		none, total, err := s.ListHookAttempts(ctx, "missing", store.HookAttemptFilter{}, store.Page{})
		must(t, err)
		wantEqual(t, "unknown hook", [2]int{len(none), total}, [2]int{0, 0})

		stats, err := s.HookStats(ctx, base)
		must(t, err)
		wantEqual(t, "stats", stats, map[string]store.HookStats{
			hook.ID:  {RequestCount: 1, SuccessCount: 1},
			other.ID: {RequestCount: 2, SuccessCount: 0},
		})
		stats, err = s.HookStats(ctx, base+1000)
		must(t, err)
		wantEqual(t, "recent stats", stats, map[string]store.HookStats{other.ID: {RequestCount: 1}})
	})

	t.Run("delete and prune", func(t *testing.T) {
		pending := []store.HookDelivery{{HookID: other.ID, Event: "PostSignIn", Payload: json.RawMessage(`{}`), CreatedAt: base + 30}}
		must(t, s.EnqueueHookEvents(ctx, pending))
		// Finished deliveries before the cut go with their attempts;
		// pending ones stay whatever their age.
		n, err := s.PruneHookDeliveries(ctx, base+1_000_000)
		must(t, err)
		wantEqual(t, "pruned", n, 2)
		_, total, err := s.ListHookAttempts(ctx, other.ID, store.HookAttemptFilter{}, store.Page{})
		must(t, err)
		wantEqual(t, "attempts after prune", total, 0)
		// Deleting a hook takes its pending deliveries.
		must(t, s.DeleteHook(ctx, other.ID))
		got, err := s.ClaimDueDeliveries(ctx, base+1_000_000, 10, base+2_000_000)
		must(t, err)
		wantEqual(t, "deliveries of a deleted hook", len(got), 0)
	})
}

// testHookClaimRace has two claimers drain one outbox at once: every
// delivery is claimed exactly once.
func testHookClaimRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	hook := store.Hook{ID: newID(), Config: store.HookConfig{URL: "https://h.example"}, SealedSigningKey: "plain:eA==", Enabled: true, CreatedAt: base}
	must(t, s.CreateHook(ctx, &hook))
	const n = 200
	batch := make([]store.HookDelivery, n)
	for i := range batch {
		batch[i] = store.HookDelivery{HookID: hook.ID, Event: "User.Created", Payload: json.RawMessage(`{}`), CreatedAt: base + int64(i%7)}
	}
	must(t, s.EnqueueHookEvents(ctx, batch))
	now, lease := base+100, base+1_000_000
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := range errs {
		wg.Go(func() {
			for {
				got, err := s.ClaimDueDeliveries(ctx, now, 7, lease)
				if err != nil {
					errs[w] = err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	if len(seen) != n {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), n)
	}
	for deliveryID, times := range seen {
		if times != 1 {
			t.Fatalf("delivery %s claimed %d times", deliveryID, times)
		}
	}
}
