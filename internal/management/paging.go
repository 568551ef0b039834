package management

import (
	"net/http"
	"strconv"

	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// Logto's pagination defaults.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// readPage parses page (from 1) and page_size. With optional, a request
// that names neither gets every record (Logto's optional pagination);
// otherwise the default page size applies.
func readPage(r *http.Request, optional bool) (store.Page, bool, error) {
	q := r.URL.Query()
	ps, pss := q.Get("page"), q.Get("page_size")
	if optional && ps == "" && pss == "" {
		return store.Page{}, false, nil
	}
	page, size := 1, defaultPageSize
	var err error
	if ps != "" {
		if page, err = strconv.Atoi(ps); err != nil || page < 1 {
			return store.Page{}, false, &Error{Status: http.StatusBadRequest, Code: "guard.invalid_pagination", Message: "page must be a positive integer."}
		}
	}
	if pss != "" {
		if size, err = strconv.Atoi(pss); err != nil || size < 1 || size > maxPageSize {
			return store.Page{}, false, &Error{Status: http.StatusBadRequest, Code: "guard.invalid_pagination",
				Message: "page_size must be an integer from 1 to " + strconv.Itoa(maxPageSize) + "."}
		}
	}
	return store.Page{Page: page, PageSize: size}, true, nil
}

// writeList answers a list, with the Total-Number header when paginated.
func writeList(w http.ResponseWriter, items any, total int, paged bool) error {
	if paged {
		w.Header().Set("Total-Number", strconv.Itoa(total))
	}
	writeJSON(w, http.StatusOK, items)
	return nil
}
