package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/audit"
)

type countDelta struct {
	Count int `json:"count"`
	Delta int `json:"delta"`
}

// signInCount is the number of successful sign-ins in a window, or a
// lower bound when there were more than the dashboard reads.
type signInCount struct {
	Count int
	More  bool
}

// maxSignInPages bounds the audit log pages read per window: the API
// counts entries, not successes, so the dashboard reads them.
const maxSignInPages = 20

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	var d struct {
		Total struct {
			TotalUserCount int `json:"totalUserCount"`
		}
		New struct {
			Today     countDelta `json:"today"`
			Last7Days countDelta `json:"last7Days"`
		}
		Active struct {
			DAU countDelta `json:"dau"`
			WAU countDelta `json:"wau"`
			MAU countDelta `json:"mau"`
		}
		SignIns24h, SignIns7d signInCount
	}
	for path, out := range map[string]any{"/api/dashboard/users/total": &d.Total, "/api/dashboard/users/new": &d.New, "/api/dashboard/users/active": &d.Active} {
		if _, err := c.call(r, s, http.MethodGet, path, nil, out); err != nil {
			c.fail(w, r, s, err)
			return
		}
	}
	now := c.now()
	var err error
	if d.SignIns24h, err = c.countSignIns(r, s, now.Add(-24*time.Hour)); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if d.SignIns7d, err = c.countSignIns(r, s, now.Add(-7*24*time.Hour)); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "dashboard", view{Title: "Dashboard", Section: "dashboard", Data: d})
}

// countSignIns counts the successful sign-in submissions since since.
func (c *Console) countSignIns(r *http.Request, s *session, since time.Time) (signInCount, error) {
	var n signInCount
	for page := 1; page <= maxSignInPages; page++ {
		q := url.Values{"logKey": {audit.SignInSubmit}, "start_time": {strconv.FormatInt(since.UnixMilli(), 10)},
			"page": {strconv.Itoa(page)}, "page_size": {"100"}}
		var list []struct {
			Payload struct {
				Result string `json:"result"`
			} `json:"payload"`
		}
		h, err := c.call(r, s, http.MethodGet, "/api/logs?"+q.Encode(), nil, &list)
		if err != nil {
			return n, err
		}
		for _, e := range list {
			if e.Payload.Result == string(audit.Success) {
				n.Count++
			}
		}
		total, _ := strconv.Atoi(h.Get("Total-Number"))
		if page*100 >= total {
			return n, nil
		}
	}
	n.More = true
	return n, nil
}

type logRow struct {
	ID        string          `json:"id"`
	Key       string          `json:"key"`
	CreatedAt int64           `json:"createdAt"`
	Payload   json.RawMessage `json:"payload"`
	Result    string
	UserID    string
	IP        string
	AppID     string
}

func (c *Console) logRoutes(mux *http.ServeMux) {
	mux.Handle("GET /logs", c.get(c.listLogs))
}

// listLogs shows the audit log, newest first; the search box filters by
// log key (for example Interaction.SignIn.Submit).
func (c *Console) listLogs(w http.ResponseWriter, r *http.Request, s *session) {
	// The API has no free-text search: the console's q is the log key.
	q := r.URL.Query()
	extra := url.Values{}
	if k := q.Get("q"); k != "" {
		extra.Set("logKey", k)
	}
	rr := r.Clone(r.Context())
	qq := rr.URL.Query()
	qq.Del("q")
	rr.URL.RawQuery = qq.Encode()
	var list []logRow
	l, err := c.list(rr, s, "/api/logs", extra, &list)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	l.Q = q.Get("q")
	for _, link := range []*string{&l.PrevURL, &l.NextURL} {
		if *link != "" && l.Q != "" {
			*link += "&q=" + url.QueryEscape(l.Q)
		}
	}
	for i := range list {
		var p struct {
			Result        string `json:"result"`
			UserID        string `json:"userId"`
			IP            string `json:"ip"`
			ApplicationID string `json:"applicationId"`
		}
		json.Unmarshal(list[i].Payload, &p)
		list[i].Result, list[i].UserID, list[i].IP, list[i].AppID = p.Result, p.UserID, p.IP, p.ApplicationID
	}
	c.render(w, r, s, http.StatusOK, "logs", view{Title: "Audit log", Section: "logs", Data: struct {
		List    []logRow
		Listing listing
	}{list, l}})
}
