package management

import (
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func (a *API) registerLogs() {
	a.handle("GET", "/api/logs", "ListLogs", 200, "List audit logs", a.listLogs)
	a.handle("GET", "/api/logs/{id}", "GetLog", 200, "Get an audit log", a.getLog)
	a.handle("GET", "/api/dashboard/users/total", "GetTotalUserCount", 200, "Count all users", a.totalUserCount)
	a.handle("GET", "/api/dashboard/users/new", "GetNewUserCounts", 200, "Count new users", a.newUserCounts)
	a.handle("GET", "/api/dashboard/users/active", "GetActiveUserCounts", 200, "Count active users", a.activeUserCounts)
}

// logJSON is Logto's Log.
type logJSON struct {
	TenantID  string          `json:"tenantId"`
	ID        string          `json:"id"`
	Key       string          `json:"key"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt int64           `json:"createdAt"`
}

func toLogJSON(e *store.LogEntry) logJSON {
	return logJSON{TenantID: tenantID, ID: e.ID, Key: e.Key, Payload: e.Payload, CreatedAt: e.CreatedAt}
}

// logCountCap is Logto's saturation of Total-Number under enableCap: a
// total above 10,000 is reported as 10,001.
const logCountCap = 10_001

// timeParam reads an optional Unix-millisecond bound; round turns a
// fractional value into whole milliseconds on the inclusive side.
func timeParam(r *http.Request, name string, round func(float64) float64) (int64, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<53 {
		return 0, false, invalid(name, "must be a time in Unix milliseconds")
	}
	return int64(round(f)), true, nil
}

func (a *API) listLogs(w http.ResponseWriter, r *http.Request) error {
	page, _, err := readPage(r, false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.LogFilter{Key: q.Get("logKey"), UserID: q.Get("userId"), ApplicationID: q.Get("applicationId"),
		KeyPrefixes: audit.ListedPrefixes}
	start, hasStart, err := timeParam(r, "start_time", math.Ceil)
	if err != nil {
		return err
	}
	end, hasEnd, err := timeParam(r, "end_time", math.Floor)
	if err != nil {
		return err
	}
	if hasStart && hasEnd && start > end {
		return invalid("start_time", "must not be after end_time")
	}
	if hasStart {
		// 0 means unbounded to the store; the earliest possible entry is 1.
		f.Since = max(start, 1)
	}
	if hasEnd {
		if end < 1 {
			return writeLogs(w, r, []logJSON{}, 0, page, false)
		}
		f.Until = end
	}
	capped := truthy(q.Get("enableCap"))
	if capped {
		f.CountCap = logCountCap
	}
	list, total, err := a.store.ListLogs(r.Context(), f, page)
	if err != nil {
		return err
	}
	out := make([]logJSON, len(list))
	for i := range list {
		out[i] = toLogJSON(&list[i])
	}
	return writeLogs(w, r, out, total, page, capped && total >= logCountCap)
}

// writeLogs answers a page of logs with Logto's pagination headers:
// Total-Number, Total-Number-Is-Capped when the count saturated, and an
// RFC 8288 Link header (without next and last when capped, since the
// real total is unknown).
func writeLogs(w http.ResponseWriter, r *http.Request, out []logJSON, total int, page store.Page, capped bool) error {
	h := w.Header()
	if capped {
		h.Set("Total-Number-Is-Capped", "true")
	}
	link := func(n int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("page_size", strconv.Itoa(page.PageSize))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		return "<" + u.String() + `>; rel="` + rel + `"`
	}
	last := max(1, (total+page.PageSize-1)/page.PageSize)
	links := []string{link(1, "first")}
	if page.Page > 1 {
		links = append(links, link(min(page.Page-1, last), "prev"))
	}
	if !capped {
		if page.Page < last {
			links = append(links, link(page.Page+1, "next"))
		}
		links = append(links, link(last, "last"))
	} else {
		links = append(links, link(page.Page+1, "next"))
	}
	h.Set("Link", strings.Join(links, ", "))
	return writeList(w, out, total, true)
}

func (a *API) getLog(w http.ResponseWriter, r *http.Request) error {
	logID := r.PathValue("id")
	e, err := a.store.GetLog(r.Context(), logID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("log", logID)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toLogJSON(e))
	return nil
}

// The dashboard counts by calendar day in the server's time zone, as
// Logto does.

// dayStart is the start of the day offset days after t's day.
func dayStart(t time.Time, offset int) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d+offset, 0, 0, 0, 0, t.Location()).UnixMilli()
}

// dayBounds returns the starts of the days from first to last+1 days
// after t's day: the bounds of the windows of days first..last.
func dayBounds(t time.Time, first, last int) []int64 {
	out := make([]int64, 0, last-first+2)
	for i := first; i <= last+1; i++ {
		out = append(out, dayStart(t, i))
	}
	return out
}

type countDelta struct {
	Count int `json:"count"`
	Delta int `json:"delta"`
}

func sumCounts(counts []int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func (a *API) totalUserCount(w http.ResponseWriter, r *http.Request) error {
	n, err := a.store.CountUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"totalUserCount": n})
	return nil
}

// newUserCounts answers today's new users against yesterday's, and the
// last 7 days' against the 7 before.
func (a *API) newUserCounts(w http.ResponseWriter, r *http.Request) error {
	now := a.now()
	counts, err := a.store.CountNewUsers(r.Context(), dayBounds(now, -13, 0)) // 14 days, today last
	if err != nil {
		return err
	}
	today, yesterday := counts[13], counts[12]
	last7, previous7 := sumCounts(counts[7:]), sumCounts(counts[:7])
	writeJSON(w, http.StatusOK, map[string]countDelta{
		"today":     {Count: today, Delta: today - yesterday},
		"last7Days": {Count: last7, Delta: last7 - previous7},
	})
	return nil
}

// dateParam is Logto's date format for the dashboard: YYYY-MM-DD.
var dateParam = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

type dauPoint struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}

// activeUserCounts answers the daily active users of the 30 days up to
// the target date, and the active users of its day, week and month with
// their change from the period before. A user is active on a day when a
// token was issued for them (a successful ExchangeTokenBy entry, as Logto
// counts) or they signed in or registered.
func (a *API) activeUserCounts(w http.ResponseWriter, r *http.Request) error {
	target := a.now()
	if v := r.URL.Query().Get("date"); v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, target.Location())
		if !dateParam.MatchString(v) || err != nil {
			return invalid("date", "must be a date as YYYY-MM-DD")
		}
		target = d
	}
	ctx := r.Context()
	daily, err := a.store.CountActiveUsers(ctx, audit.ActivePrefixes, dayBounds(target, -29, 0))
	if err != nil {
		return err
	}
	weeks, err := a.store.CountActiveUsers(ctx, audit.ActivePrefixes, []int64{dayStart(target, -13), dayStart(target, -6), dayStart(target, 1)})
	if err != nil {
		return err
	}
	months, err := a.store.CountActiveUsers(ctx, audit.ActivePrefixes, []int64{dayStart(target, -59), dayStart(target, -29), dayStart(target, 1)})
	if err != nil {
		return err
	}
	curve := make([]dauPoint, len(daily))
	for i, n := range daily {
		y, m, d := target.Date()
		curve[i] = dauPoint{Date: time.Date(y, m, d-29+i, 12, 0, 0, 0, target.Location()).Format("2006-01-02"), Count: n}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"dauCurve": curve,
		"dau":      countDelta{Count: daily[29], Delta: daily[29] - daily[28]},
		"wau":      countDelta{Count: weeks[1], Delta: weeks[1] - weeks[0]},
		"mau":      countDelta{Count: months[1], Delta: months[1] - months[0]},
	})
	return nil
}

// audited wraps the handler of a write so that its success is recorded
// in the audit log as ManagementApi.Write: who (the token's client and
// subject), from where, which route and path, and the status. Request
// bodies are never recorded.
func (a *API) audited(rt Route) handlerFunc {
	if rt.Method == http.MethodGet || rt.Method == http.MethodHead || publicPaths[rt.Path] || a.audit == nil {
		return rt.handler
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		rec := &auditStatusWriter{ResponseWriter: w}
		if err := rt.handler(rec, r); err != nil {
			return err
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		e := audit.Entry{Key: audit.ManagementAPIWrite, IP: a.clientIP(r), UserAgent: r.UserAgent(), At: a.now(),
			Params: map[string]any{"method": r.Method, "path": r.URL.Path, "route": rt.Path, "status": status}}
		if c := caller(r); c != nil {
			e.ApplicationID = c.ClientID
			if c.Subject != "" && c.Subject != c.ClientID {
				e.UserID = c.Subject
			}
		}
		a.audit.Log(e)
		return nil
	}
}

// clientIP is the request's source address as the server trusts it.
func (a *API) clientIP(r *http.Request) string {
	if a.events.ClientIP != nil {
		return a.events.ClientIP(r)
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// auditStatusWriter remembers the status a handler answered with.
type auditStatusWriter struct {
	http.ResponseWriter
	status int
}

func (s *auditStatusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *auditStatusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *auditStatusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
