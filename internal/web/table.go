package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Column is one column of a Table.
type Column struct {
	// Key is the column's sort key in ?sort=; "" if it cannot be sorted.
	Key   string
	Label string
	// Numeric right-aligns the column.
	Numeric bool
}

// Cell is one table cell: text, optionally a link, monospaced, a time, a
// status badge, or a button that posts a form.
type Cell struct {
	Text  string
	Href  string
	Title string // the full value, shown on hover (e.g. a whole digest)
	Mono  bool
	// Time, when set, is rendered as a <time> element with Text as its
	// label (fmtTime of Time if Text is empty).
	Time time.Time
	// Badge, when set, renders Text as a status badge of this tone
	// (BadgeTone gives the tone of a status word).
	Badge string
	// Action, when set, renders a button that posts a form.
	Action *Action
	// Check, when set, renders a checkbox (Text is not shown).
	Check *Check
	// Swatch, when set, draws the line style of that chart series (1-based:
	// 1 is the first series) before Text, so a table can be a chart's key.
	Swatch int
	// Class adds CSS classes to the cell's content (e.g. "diff").
	Class string
	// Chips, when set, renders each as a small tag (e.g. key=value)
	// after Text.
	Chips []string
	// Sub, when set, is a second, smaller line under Text (e.g. the value
	// a changed figure had before).
	Sub string
}

// Check is a checkbox in a table cell. It belongs to the form whose id is
// Form (the form attribute), so a table can feed a form placed elsewhere,
// such as the runs to compare.
type Check struct {
	Form, Name, Value string
	// ID is the input's id; Label names it for screen readers.
	ID, Label string
	Checked   bool
}

// Action is a button in a table cell that posts a small form carrying the
// page's CSRF token.
type Action struct {
	URL    string
	Label  string
	Fields map[string]string // hidden fields
	// AriaLabel names the button for screen readers when Label alone is
	// ambiguous in a table ("Revoke" → "Revoke token ci").
	AriaLabel string
	Danger    bool
	// Confirm, when set, asks before posting (with JavaScript).
	Confirm string
}

// Pager links the pages of a table. Empty URLs are not shown.
type Pager struct {
	First, Prev, Next string
	Info              string // e.g. "Rows 51–100 of 230"
}

// Show reports whether the pager has anything to show.
func (p Pager) Show() bool { return p.First != "" || p.Prev != "" || p.Next != "" || p.Info != "" }

// Table is a table with server-side sorting and pagination through query
// parameters (?sort=, ?dir=, ?page= or ?cursor=). Handlers build it with
// NewTable and fill Rows; the "table" template renders it. One sortable
// table per page: the parameters are not namespaced.
type Table struct {
	ID      string
	Caption string
	Columns []Column
	Rows    [][]Cell
	Sort    string // the current sort key
	Desc    bool
	Empty   Empty  // shown instead of the table when Rows is empty
	CSRF    string // carried by Action cells
	Pager   Pager
	Note    string // a line under the table, e.g. a limit that applied
	// RowClasses, when set, gives each row (by index) CSS classes, e.g.
	// "row-diff" for a row whose values differ.
	RowClasses []string
	// Class adds CSS classes to the table, e.g. "table-dense" (no
	// wrapping: the table scrolls sideways instead).
	Class string
	base  url.URL
}

// RowClass returns the CSS classes of row i ("" for none).
func (t *Table) RowClass(i int) string {
	if i < 0 || i >= len(t.RowClasses) {
		return ""
	}
	return t.RowClasses[i]
}

// NewTable returns a table whose links keep the other query parameters of
// u. It reads ?sort= and ?dir= against the sortable columns, falling back
// to def (desc for a descending default).
func NewTable(u *url.URL, id string, cols []Column, def string, desc bool) *Table {
	t := &Table{ID: id, Columns: cols, Sort: def, Desc: desc, base: *u}
	q := u.Query()
	if k := q.Get("sort"); k != "" {
		for _, c := range cols {
			if c.Key != "" && c.Key == k {
				t.Sort = k
				t.Desc = q.Get("dir") == "desc"
			}
		}
	}
	return t
}

// SortURL is the link of a column header: sort by key, flipping the
// direction when it is the current sort. It starts again at the first page.
func (t *Table) SortURL(key string) string {
	dir := "asc"
	if key == t.Sort && !t.Desc {
		dir = "desc"
	}
	return t.link(map[string]string{"sort": key, "dir": dir, "page": "", "cursor": ""})
}

// AriaSort is the aria-sort value of a column header.
func (t *Table) AriaSort(key string) string {
	switch {
	case key == "" || key != t.Sort:
		return "none"
	case t.Desc:
		return "descending"
	default:
		return "ascending"
	}
}

// link returns the table's URL with parameters set ("" removes one).
func (t *Table) link(set map[string]string) string {
	u := t.base
	q := u.Query()
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// CursorPager links a cursor-paginated list: the first page and the next.
func (t *Table) CursorPager(cursor, next string) {
	if cursor != "" {
		t.Pager.First = t.link(map[string]string{"cursor": ""})
	}
	if next != "" {
		t.Pager.Next = t.link(map[string]string{"cursor": next})
	}
}

// Paginate returns the ?page= page of items (size per page, from 1) and
// sets the table's pager.
func Paginate[T any](t *Table, items []T, size int) []T {
	n := len(items)
	pages := max(1, (n+size-1)/size)
	p, err := strconv.Atoi(t.base.Query().Get("page"))
	if err != nil || p < 1 {
		p = 1
	}
	p = min(p, pages)
	lo, hi := (p-1)*size, min(p*size, n)
	if p > 1 {
		t.Pager.Prev = t.link(map[string]string{"page": strconv.Itoa(p - 1)})
		t.Pager.First = t.link(map[string]string{"page": ""})
	}
	if p < pages {
		t.Pager.Next = t.link(map[string]string{"page": strconv.Itoa(p + 1)})
	}
	if pages > 1 {
		t.Pager.Info = fmt.Sprintf("Rows %s–%s of %s", fmtCount(int64(lo+1)), fmtCount(int64(hi)), fmtCount(int64(n)))
	}
	return items[lo:hi]
}

// Sort sorts items by the table's current sort key and direction; compare
// orders two items ascending for a sort key.
func Sort[T any](t *Table, items []T, compare func(sortKey string, a, b T) int) {
	slices.SortStableFunc(items, func(a, b T) int {
		c := compare(t.Sort, a, b)
		if t.Desc {
			return -c
		}
		return c
	})
}

// Empty is an empty state: what will appear here and how to make it
// appear.
type Empty struct {
	Title    string
	Text     string
	Commands []string // CLI or API lines that fill the page
	Link     string   // optional documentation or next-step link
	LinkText string
}

// BadgeTone maps a status word to a badge tone: ok, bad, warn, info or
// neutral. The badge always shows the word too, so colour is never the only
// signal.
func BadgeTone(status string) string {
	switch status {
	case "success", "ok", "succeeded", "completed", "active", "healthy", "running", "owner":
		return "ok"
	case "failure", "failed", "error", "broken", "unhealthy", "revoked", "disabled":
		return "bad"
	case "denied", "warning", "degraded", "expired", "canceled", "cancelled":
		return "warn"
	case "queued", "pending", "starting", "provisioning", "admin", "contributor", "data-scientist":
		return "info"
	default:
		return "neutral"
	}
}
