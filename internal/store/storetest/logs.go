package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func logEntry(key, result, userID, appID string, at int64) store.LogEntry {
	payload, _ := json.Marshal(map[string]any{"key": key, "result": result, "userId": userID, "applicationId": appID, "ip": "192.0.2.1"})
	return store.LogEntry{ID: newID(), Key: key, Result: result, UserID: userID, ApplicationID: appID, Payload: payload, CreatedAt: at}
}

func logIDs(list []store.LogEntry) []string {
	return ids(list, func(e store.LogEntry) string { return e.ID })
}

func testLogs(t *testing.T, s store.Store) {
	ctx := t.Context()

	t.Run("empty", func(t *testing.T) {
		list, total, err := s.ListLogs(ctx, store.LogFilter{}, store.Page{Page: 1, PageSize: 20})
		must(t, err)
		wantEqual(t, "logs", list, []store.LogEntry{})
		wantEqual(t, "total", total, 0)
		_, err = s.GetLog(ctx, "missing")
		wantNotFound(t, err)
		n, err := s.DeleteLogsBefore(ctx, base)
		must(t, err)
		wantEqual(t, "deleted", n, 0)
	})

	signIn := logEntry("Interaction.SignIn.Submit", "Success", "u1", "app1", base+1)
	failed := logEntry("Interaction.SignIn.Submit", "Error", "", "app1", base+2)
	code := logEntry("ExchangeTokenBy.AuthorizationCode", "Success", "u1", "app1", base+3)
	refresh := logEntry("ExchangeTokenBy.RefreshToken", "Success", "u2", "app2", base+4)
	m2m := logEntry("ExchangeTokenBy.ClientCredentials", "Success", "", "m2m", base+4)
	hook := logEntry("TriggerHook.PostSignIn", "Success", "", "", base+5)
	all := []store.LogEntry{signIn, failed, code, refresh, m2m, hook}
	must(t, s.InsertLogs(ctx, append([]store.LogEntry(nil), all...)))
	// Equal times come newest id first.
	sameTime := []string{refresh.ID, m2m.ID}
	if m2m.ID > refresh.ID {
		sameTime = []string{m2m.ID, refresh.ID}
	}
	newestFirst := append(append([]string{hook.ID}, sameTime...), code.ID, failed.ID, signIn.ID)

	t.Run("round trip", func(t *testing.T) {
		got, err := s.GetLog(ctx, code.ID)
		must(t, err)
		wantJSON(t, "payload", got.Payload, string(code.Payload))
		got.Payload = code.Payload
		wantEqual(t, "entry", *got, code)
	})

	t.Run("list newest first with paging", func(t *testing.T) {
		list, total, err := s.ListLogs(ctx, store.LogFilter{}, store.Page{})
		must(t, err)
		wantEqual(t, "order", logIDs(list), newestFirst)
		wantEqual(t, "total", total, 6)
		list, total, err = s.ListLogs(ctx, store.LogFilter{}, store.Page{Page: 2, PageSize: 4})
		must(t, err)
		wantEqual(t, "page 2", logIDs(list), newestFirst[4:])
		wantEqual(t, "total", total, 6)
		list, total, err = s.ListLogs(ctx, store.LogFilter{}, store.Page{Page: 3, PageSize: 4})
		must(t, err)
		wantEqual(t, "past the end", logIDs(list), []string{})
		wantEqual(t, "total", total, 6)
	})

	t.Run("filters", func(t *testing.T) {
		for _, c := range []struct {
			name string
			f    store.LogFilter
			want []string
		}{
			{"key", store.LogFilter{Key: "Interaction.SignIn.Submit"}, []string{failed.ID, signIn.ID}},
			{"key is exact", store.LogFilter{Key: "Interaction.SignIn"}, []string{}},
			{"prefixes", store.LogFilter{KeyPrefixes: []string{"Interaction.", "ExchangeTokenBy.Auth"}}, []string{code.ID, failed.ID, signIn.ID}},
			{"prefix and key", store.LogFilter{KeyPrefixes: []string{"Interaction."}, Key: "ExchangeTokenBy.RefreshToken"}, []string{}},
			{"user", store.LogFilter{UserID: "u1"}, []string{code.ID, signIn.ID}},
			{"application", store.LogFilter{ApplicationID: "app1"}, []string{code.ID, failed.ID, signIn.ID}},
			{"user and application", store.LogFilter{UserID: "u2", ApplicationID: "app1"}, []string{}},
			{"window", store.LogFilter{Since: base + 2, Until: base + 3}, []string{code.ID, failed.ID}},
			{"since", store.LogFilter{Since: base + 5}, []string{hook.ID}},
			{"until", store.LogFilter{Until: base + 1}, []string{signIn.ID}},
		} {
			t.Run(c.name, func(t *testing.T) {
				list, total, err := s.ListLogs(ctx, c.f, store.Page{})
				must(t, err)
				wantEqual(t, "ids", logIDs(list), c.want)
				wantEqual(t, "total", total, len(c.want))
			})
		}
	})

	t.Run("capped count", func(t *testing.T) {
		list, total, err := s.ListLogs(ctx, store.LogFilter{CountCap: 3}, store.Page{Page: 1, PageSize: 2})
		must(t, err)
		wantEqual(t, "page", logIDs(list), newestFirst[:2])
		wantEqual(t, "capped total", total, 3)
		// Past the capped total the page is still read.
		list, _, err = s.ListLogs(ctx, store.LogFilter{CountCap: 3}, store.Page{Page: 3, PageSize: 2})
		must(t, err)
		wantEqual(t, "page 3", logIDs(list), newestFirst[4:])
		_, total, err = s.ListLogs(ctx, store.LogFilter{CountCap: 100}, store.Page{Page: 1, PageSize: 2})
		must(t, err)
		wantEqual(t, "total under the cap", total, 6)
	})

	t.Run("defaults and bad payloads", func(t *testing.T) {
		e := store.LogEntry{Key: "Unknown", Result: "Success", Payload: json.RawMessage(`{"key":"Unknown","result":"Success"}`)}
		batch := []store.LogEntry{e}
		must(t, s.InsertLogs(ctx, batch))
		if len(batch[0].ID) != 21 || batch[0].CreatedAt == 0 {
			t.Fatalf("id %q, createdAt %d: want a 21-character id and a creation time", batch[0].ID, batch[0].CreatedAt)
		}
		got, err := s.GetLog(ctx, batch[0].ID)
		must(t, err)
		wantEqual(t, "user", got.UserID, "")
		// One bad payload refuses the whole batch.
		good := logEntry("Unknown", "Success", "", "", base)
		bad := store.LogEntry{ID: newID(), Key: "Unknown", Result: "Error", Payload: json.RawMessage(`{not json`)}
		if err := s.InsertLogs(ctx, []store.LogEntry{good, bad}); err == nil {
			t.Fatal("a batch with a bad payload was stored")
		}
		_, err = s.GetLog(ctx, good.ID)
		wantNotFound(t, err)
		// A duplicate id fails the batch and stores none of it.
		again := logEntry("Unknown", "Success", "", "", base)
		if err := s.InsertLogs(ctx, []store.LogEntry{again, signIn}); err == nil {
			t.Fatal("a duplicate id was stored")
		}
		_, err = s.GetLog(ctx, again.ID)
		wantNotFound(t, err)
		must(t, s.InsertLogs(ctx, nil))
	})
}

func testLogRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	// More entries than one statement inserts and one batch deletes.
	const old = 5100
	batch := make([]store.LogEntry, 0, old+3)
	for i := range old {
		batch = append(batch, logEntry("ExchangeTokenBy.ClientCredentials", "Success", "", "m2m", base+int64(i%100)))
	}
	keep := []store.LogEntry{
		logEntry("Interaction.SignIn.Submit", "Success", "u1", "app", base+100),
		logEntry("Interaction.SignIn.Submit", "Success", "u1", "app", base+200),
	}
	batch = append(batch, keep...)
	must(t, s.InsertLogs(ctx, batch))
	_, total, err := s.ListLogs(ctx, store.LogFilter{}, store.Page{Page: 1, PageSize: 1})
	must(t, err)
	wantEqual(t, "stored", total, old+2)

	n, err := s.DeleteLogsBefore(ctx, base+100)
	must(t, err)
	wantEqual(t, "deleted", n, old)
	list, total, err := s.ListLogs(ctx, store.LogFilter{}, store.Page{})
	must(t, err)
	wantEqual(t, "left", logIDs(list), []string{keep[1].ID, keep[0].ID})
	wantEqual(t, "total", total, 2)
	n, err = s.DeleteLogsBefore(ctx, base+100)
	must(t, err)
	wantEqual(t, "deleted again", n, 0)
}

func testLogCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	const day = int64(24 * 60 * 60 * 1000)

	t.Run("users", func(t *testing.T) {
		n, err := s.CountUsers(ctx)
		must(t, err)
		wantEqual(t, "no users", n, 0)
		for i, at := range []int64{base - 1, base, base + 1, base + day - 1, base + day, base + 3*day} {
			u := store.User{ID: id.New(id.UserLength), Username: fmt.Sprintf("count_%d", i), CreatedAt: at}
			must(t, s.CreateUser(ctx, &u))
		}
		n, err = s.CountUsers(ctx)
		must(t, err)
		wantEqual(t, "users", n, 6)
		counts, err := s.CountNewUsers(ctx, []int64{base, base + day, base + 2*day, base + 3*day, base + 4*day})
		must(t, err)
		wantEqual(t, "new per day", counts, []int{3, 1, 0, 1})
		counts, err = s.CountNewUsers(ctx, []int64{base - day, base + 10*day})
		must(t, err)
		wantEqual(t, "one window", counts, []int{6})
		counts, err = s.CountNewUsers(ctx, []int64{base})
		must(t, err)
		wantEqual(t, "no window", counts, []int{})
		if _, err := s.CountNewUsers(ctx, []int64{base + day, base}); err == nil {
			t.Fatal("descending bounds were accepted")
		}
	})

	t.Run("active users", func(t *testing.T) {
		must(t, s.InsertLogs(ctx, []store.LogEntry{
			logEntry("ExchangeTokenBy.AuthorizationCode", "Success", "a", "app", base),
			logEntry("ExchangeTokenBy.RefreshToken", "Success", "a", "app", base+10), // same user, same day
			logEntry("ExchangeTokenBy.RefreshToken", "Success", "b", "app", base+day-1),
			logEntry("ExchangeTokenBy.RefreshToken", "Error", "c", "app", base+5), // failures do not count
			logEntry("ExchangeTokenBy.ClientCredentials", "Success", "", "m2m", base+5),
			logEntry("Interaction.SignIn.Submit", "Success", "d", "app", base+6), // other keys do not count
			logEntry("ExchangeTokenBy.RefreshToken", "Success", "a", "app", base+day),
			logEntry("ExchangeTokenBy.RefreshToken", "Success", "e", "app", base+2*day+1),
		}))
		prefixes := []string{"ExchangeTokenBy."}
		counts, err := s.CountActiveUsers(ctx, prefixes, []int64{base, base + day, base + 2*day, base + 3*day})
		must(t, err)
		wantEqual(t, "daily", counts, []int{2, 1, 1})
		counts, err = s.CountActiveUsers(ctx, prefixes, []int64{base, base + 3*day})
		must(t, err)
		wantEqual(t, "distinct over the whole window", counts, []int{3})
		counts, err = s.CountActiveUsers(ctx, []string{"ExchangeTokenBy.", "Interaction.SignIn.Submit"}, []int64{base, base + day})
		must(t, err)
		wantEqual(t, "with sign-ins", counts, []int{3})
	})
}
