package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// far is a time well after any test runs; GetObject compares expiry with
// the clock.
var far = time.Now().Add(24 * time.Hour).UnixMilli()

func testObjects(t *testing.T, s store.Store) {
	ctx := t.Context()
	code := store.OIDCObject{Kind: store.KindCode, ID: "digest-1", FamilyID: "grant-1",
		Payload: []byte(`{"clientId":"app","scope":"openid profile","nonce":"n-0S6_WzA2Mj"}`), ExpiresAt: far}
	must(t, s.PutObject(ctx, &code))

	t.Run("round trip", func(t *testing.T) {
		got, err := s.GetObject(ctx, code.Kind, code.ID, now())
		must(t, err)
		wantEqual(t, "object", *got, code)
	})

	t.Run("kinds are separate", func(t *testing.T) {
		_, err := s.GetObject(ctx, store.KindRefreshToken, code.ID, now())
		wantNotFound(t, err)
		same := store.OIDCObject{Kind: store.KindRefreshToken, ID: code.ID, Payload: []byte(`{}`), ExpiresAt: far}
		must(t, s.PutObject(ctx, &same))
		got, err := s.GetObject(ctx, store.KindRefreshToken, code.ID, now())
		must(t, err)
		wantEqual(t, "object", *got, same)
		must(t, s.DeleteObject(ctx, same.Kind, same.ID))
	})

	t.Run("put replaces", func(t *testing.T) {
		o := store.OIDCObject{Kind: store.KindSession, ID: "sess-1", FamilyID: "", Payload: []byte(`{"v":1}`), ExpiresAt: far}
		must(t, s.PutObject(ctx, &o))
		o2 := store.OIDCObject{Kind: store.KindSession, ID: "sess-1", FamilyID: "grant-x", Payload: []byte(`{"v":2}`),
			ExpiresAt: far + 1, ConsumedAt: 5}
		must(t, s.PutObject(ctx, &o2))
		got, err := s.GetObject(ctx, o.Kind, o.ID, now())
		must(t, err)
		wantEqual(t, "replaced object", *got, o2)
		must(t, s.DeleteObject(ctx, o.Kind, o.ID))
	})

	t.Run("empty payload", func(t *testing.T) {
		o := store.OIDCObject{Kind: store.KindInteraction, ID: "int-empty", ExpiresAt: far}
		must(t, s.PutObject(ctx, &o))
		got, err := s.GetObject(ctx, o.Kind, o.ID, now())
		must(t, err)
		wantJSON(t, "payload", got.Payload, `{}`)
	})

	t.Run("expired objects are not found", func(t *testing.T) {
		past := store.OIDCObject{Kind: store.KindInteraction, ID: "int-old", Payload: []byte(`{}`),
			ExpiresAt: time.Now().Add(-time.Second).UnixMilli()}
		must(t, s.PutObject(ctx, &past))
		_, err := s.GetObject(ctx, past.Kind, past.ID, now())
		wantNotFound(t, err)
		_, err = s.ConsumeObject(ctx, past.Kind, past.ID, time.Now().UnixMilli())
		wantNotFound(t, err)
	})

	t.Run("update payload", func(t *testing.T) {
		must(t, s.UpdateObjectPayload(ctx, code.Kind, code.ID, []byte(`{"updated":true}`)))
		got, err := s.GetObject(ctx, code.Kind, code.ID, now())
		must(t, err)
		want := code
		want.Payload = []byte(`{"updated":true}`)
		wantEqual(t, "object", *got, want)
		wantNotFound(t, s.UpdateObjectPayload(ctx, code.Kind, "missing", []byte(`{}`)))
	})

	t.Run("not found", func(t *testing.T) {
		_, err := s.GetObject(ctx, store.KindSession, "missing", now())
		wantNotFound(t, err)
		_, err = s.ConsumeObject(ctx, store.KindSession, "missing", base)
		wantNotFound(t, err)
		wantNotFound(t, s.DeleteObject(ctx, store.KindSession, "missing"))
	})

	t.Run("delete", func(t *testing.T) {
		must(t, s.DeleteObject(ctx, code.Kind, code.ID))
		_, err := s.GetObject(ctx, code.Kind, code.ID, now())
		wantNotFound(t, err)
	})
}

func testConsumeObject(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now().UnixMilli()

	t.Run("once", func(t *testing.T) {
		o := store.OIDCObject{Kind: store.KindCode, ID: "code-once", FamilyID: "g", Payload: []byte(`{"a":1}`), ExpiresAt: far}
		must(t, s.PutObject(ctx, &o))
		got, err := s.ConsumeObject(ctx, o.Kind, o.ID, now)
		must(t, err)
		want := o
		want.ConsumedAt = now
		wantEqual(t, "consumed object", *got, want)

		again, err := s.ConsumeObject(ctx, o.Kind, o.ID, now+1)
		if !errors.Is(err, store.ErrConsumed) {
			t.Fatalf("second consume: error %v, want store.ErrConsumed", err)
		}
		if again == nil {
			t.Fatal("second consume returned no object")
		}
		wantEqual(t, "object on second consume", *again, want)

		read, err := s.GetObject(ctx, o.Kind, o.ID, now)
		must(t, err)
		wantEqual(t, "consumed object read back", *read, want)
	})

	t.Run("expiry is judged at the given time", func(t *testing.T) {
		o := store.OIDCObject{Kind: store.KindCode, ID: "code-late", Payload: []byte(`{}`), ExpiresAt: base + 1000}
		must(t, s.PutObject(ctx, &o))
		_, err := s.ConsumeObject(ctx, o.Kind, o.ID, base+1000)
		wantNotFound(t, err)
		got, err := s.ConsumeObject(ctx, o.Kind, o.ID, base+999)
		must(t, err)
		wantEqual(t, "consumed at", got.ConsumedAt, base+999)
		// Consumed and, by now, expired: gone rather than consumed.
		_, err = s.ConsumeObject(ctx, o.Kind, o.ID, base+2000)
		wantNotFound(t, err)
	})

	t.Run("exactly one of many concurrent callers wins", func(t *testing.T) {
		const callers = 20
		o := store.OIDCObject{Kind: store.KindRefreshToken, ID: "rt-race", FamilyID: "g-race", Payload: []byte(`{}`), ExpiresAt: far}
		must(t, s.PutObject(ctx, &o))
		var wg sync.WaitGroup
		errs := make([]error, callers)
		objs := make([]*store.OIDCObject, callers)
		start := make(chan struct{})
		for i := range callers {
			wg.Go(func() {
				<-start
				objs[i], errs[i] = s.ConsumeObject(ctx, o.Kind, o.ID, now+int64(i))
			})
		}
		close(start)
		wg.Wait()
		winners, losers := 0, 0
		var winner int64
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				winner = objs[i].ConsumedAt
			case errors.Is(err, store.ErrConsumed):
				losers++
				if objs[i] == nil || objs[i].ConsumedAt == 0 {
					t.Errorf("caller %d lost without seeing the consumed object: %+v", i, objs[i])
				}
			default:
				t.Errorf("caller %d: %v", i, err)
			}
		}
		if winners != 1 || losers != callers-1 {
			t.Fatalf("%d winners and %d losers, want 1 and %d", winners, losers, callers-1)
		}
		got, err := s.GetObject(ctx, o.Kind, o.ID, now)
		must(t, err)
		wantEqual(t, "recorded consumption time", got.ConsumedAt, winner)
	})
}

func testObjectCleanup(t *testing.T, s store.Store) {
	ctx := t.Context()
	put := func(kind store.ObjectKind, id, family string, expires int64) {
		o := store.OIDCObject{Kind: kind, ID: id, FamilyID: family, Payload: []byte(`{}`), ExpiresAt: expires}
		must(t, s.PutObject(ctx, &o))
	}
	put(store.KindCode, "c1", "fam-1", far)
	put(store.KindRefreshToken, "r1", "fam-1", far)
	put(store.KindAccessToken, "a1", "fam-1", base) // expired, still in the family
	put(store.KindRefreshToken, "r2", "fam-2", far)
	put(store.KindSession, "s1", "", far)
	put(store.KindInteraction, "i1", "", base+10)
	put(store.KindInteraction, "i2", "", base+20)

	exists := func(kind store.ObjectKind, id string) bool {
		_, err := s.GetObject(ctx, kind, id, now())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	t.Run("revoke family", func(t *testing.T) {
		n, err := s.RevokeFamily(ctx, "fam-1")
		must(t, err)
		wantEqual(t, "revoked", n, 3)
		if exists(store.KindCode, "c1") || exists(store.KindRefreshToken, "r1") {
			t.Fatal("revoked objects are still there")
		}
		if !exists(store.KindRefreshToken, "r2") || !exists(store.KindSession, "s1") {
			t.Fatal("revoking one family removed others")
		}
		n, err = s.RevokeFamily(ctx, "fam-1")
		must(t, err)
		wantEqual(t, "revoked again", n, 0)
	})

	t.Run("the empty family is never revoked", func(t *testing.T) {
		n, err := s.RevokeFamily(ctx, "")
		must(t, err)
		wantEqual(t, "revoked", n, 0)
		if !exists(store.KindSession, "s1") {
			t.Fatal("revoking the empty family removed an object without a family")
		}
	})

	t.Run("delete expired", func(t *testing.T) {
		n, err := s.DeleteExpiredObjects(ctx, base+15)
		must(t, err)
		wantEqual(t, "deleted before base+15", n, 1) // i1
		n, err = s.DeleteExpiredObjects(ctx, base+20)
		must(t, err)
		wantEqual(t, "deleted before base+20", n, 0) // i2 expires at, not before
		n, err = s.DeleteExpiredObjects(ctx, time.Now().UnixMilli())
		must(t, err)
		wantEqual(t, "deleted before now", n, 1) // i2
		if !exists(store.KindRefreshToken, "r2") || !exists(store.KindSession, "s1") {
			t.Fatal("deleting expired objects removed live ones")
		}
		// An expired object is gone even for UpdateObjectPayload.
		wantNotFound(t, s.UpdateObjectPayload(ctx, store.KindInteraction, "i2", []byte(`{}`)))
	})
}

// now is the time the suite reads objects at.
func now() int64 { return time.Now().UnixMilli() }

// testCountFamily is registered with the object tests: it counts live
// objects of one kind in a family.
func testCountFamily(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := now()
	for _, exp := range []int64{at + 5000, at + 1000, at - 1} {
		must(t, s.PutObject(ctx, &store.OIDCObject{Kind: "Failure", ID: newID(), FamilyID: "fam", ExpiresAt: exp}))
	}
	must(t, s.PutObject(ctx, &store.OIDCObject{Kind: store.KindSession, ID: newID(), FamilyID: "fam", ExpiresAt: at + 9000}))
	n, first, err := s.CountFamily(ctx, "Failure", "fam", at)
	must(t, err)
	wantEqual(t, "live failures", n, 2)
	wantEqual(t, "earliest expiry", first, at+1000)
	n, first, err = s.CountFamily(ctx, "Failure", "other", at)
	must(t, err)
	wantEqual(t, "empty family", n, 0)
	wantEqual(t, "empty family expiry", first, int64(0))
}
