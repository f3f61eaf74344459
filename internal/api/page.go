package api

import (
	"net/http"
	"strconv"

	"github.com/latheml/lathe"
)

// Page is one page of a list, with the cursor of the next page ("" on the
// last one).
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"pass as ?cursor= to get the next page; absent on the last page"`
}

// pageArgs reads ?limit= and ?cursor= with their bounds.
func pageArgs(r *http.Request) (limit int, cursor string, err error) {
	limit = DefaultPageSize
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			return 0, "", lathe.Errorf(lathe.EINVALID, "limit %q must be a whole number from 1 to %d", s, MaxPageSize)
		}
		limit = n
	}
	cursor = r.URL.Query().Get("cursor")
	if len(cursor) > 512 {
		return 0, "", lathe.Errorf(lathe.EINVALID, "cursor is %d characters; cursors this server issues are shorter, start again without one", len(cursor))
	}
	return limit, cursor, nil
}
