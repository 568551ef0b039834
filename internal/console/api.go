package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/management"
)

// apiError is an error answer of the Management API.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Field is the request field the API named, if any.
	Field string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("management API answered %d %s: %s", e.Status, e.Code, e.Message)
}

// recorder is the response writer of an in-process API call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// call runs one Management API request in-process as the session's
// administrator: it builds the request and calls the API handler's
// ServeHTTP, so nothing goes over the network. body, when not nil, is
// sent as JSON; a 2xx answer is decoded into out (when not nil). The
// source address and user agent of the console request are passed on so
// that the audit log shows where the administrator was.
func (c *Console) call(r *http.Request, s *session, method, path string, body, out any) (http.Header, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding the body of %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(management.AsAdministrator(r.Context(), s.admin.ID), method, path, rd)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, path, err)
	}
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	for _, h := range []string{"User-Agent", "X-Forwarded-For"} {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 400 {
		var e struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Data    json.RawMessage `json:"data"`
		}
		json.Unmarshal(rec.body.Bytes(), &e)
		// data is {"field": ...} when the API names the field; other
		// errors carry other data (a list of domains), or none.
		var data struct {
			Field string `json:"field"`
		}
		json.Unmarshal(e.Data, &data)
		return rec.header, &apiError{Status: rec.status, Code: e.Code, Message: e.Message, Field: data.Field}
	}
	if out != nil && rec.status != http.StatusNoContent {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return rec.header, fmt.Errorf("decoding the answer of %s %s: %w", method, path, err)
		}
	}
	return rec.header, nil
}

// pageSize is the length of every list page.
const pageSize = 20

// listing is one page of a list and the list's search.
type listing struct {
	Q       string
	Page    int
	Pages   int
	Total   int
	PrevURL string
	NextURL string
}

// list fetches one page of an API list, with the page and search term of
// the console request (?page=, ?q=) and extra query parameters, and
// returns the pager to show under it.
func (c *Console) list(r *http.Request, s *session, path string, extra url.Values, out any) (listing, error) {
	q := r.URL.Query()
	l := listing{Q: strings.TrimSpace(q.Get("q")), Page: 1}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		l.Page = n
	}
	params := url.Values{}
	for k, v := range extra {
		params[k] = v
	}
	params.Set("page", strconv.Itoa(l.Page))
	params.Set("page_size", strconv.Itoa(pageSize))
	if l.Q != "" {
		params.Set("search", "%"+l.Q+"%")
	}
	h, err := c.call(r, s, http.MethodGet, path+"?"+params.Encode(), nil, out)
	if err != nil {
		return l, err
	}
	l.Total, _ = strconv.Atoi(h.Get("Total-Number"))
	l.Pages = max(1, (l.Total+pageSize-1)/pageSize)
	link := func(page int) string {
		v := url.Values{}
		if l.Q != "" {
			v.Set("q", l.Q)
		}
		v.Set("page", strconv.Itoa(page))
		return r.URL.Path + "?" + v.Encode()
	}
	if l.Page > 1 {
		l.PrevURL = link(min(l.Page-1, l.Pages))
	}
	if l.Page < l.Pages {
		l.NextURL = link(l.Page + 1)
	}
	return l, nil
}

// pathEscape escapes one path segment of an API path.
func pathEscape(s string) string { return url.PathEscape(s) }
