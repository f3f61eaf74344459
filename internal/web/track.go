package web

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
)

// Limits of the tracking pages.
const (
	experimentPageSize = 25
	runPageSize        = 50
	maxColumnChoices   = 20   // metric or param columns a runs table shows
	maxKeysOffered     = 100  // metric or param keys offered as columns
	maxCompareRuns     = 10   // runs one comparison shows
	maxCharts          = 12   // metric charts on a run page
	maxCompareCharts   = 8    // metric charts on a compare page
	chartPoints        = 320  // buckets a run chart asks for
	compareChartPoints = 200  // buckets per run in a comparison chart
	maxHistoryFallback = 5000 // values read when a metric has a single step
	maxQueryValue      = 2000 // a filter and other free-text query values
)

// tracker returns the tracking service, or "not found" when the server
// runs without one.
func (s *Studio) tracker() (Tracking, error) {
	if s.opts.Tracking == nil {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "experiment tracking is not enabled on this server")
	}
	return s.opts.Tracking, nil
}

// trackingCommands are the lines that point an MLflow client at a
// workspace of this server.
func trackingCommands(base, ws string) []string {
	return []string{
		"export MLFLOW_TRACKING_URI=" + base + "/w/" + url.PathEscape(ws),
		"export MLFLOW_TRACKING_TOKEN=<a token from Settings>",
		"python train.py   # mlflow.start_run(), mlflow.log_param(), mlflow.log_metric()",
	}
}

// expURL, runURL and compareURL are the addresses of the tracking pages.
func expURL(ws, id string) string { return wsURL(ws, "experiments/"+url.PathEscape(id)) }
func runURL(ws, id string) string { return wsURL(ws, "runs/"+url.PathEscape(id)) }

func compareURL(ws string, ids []string) string {
	return wsURL(ws, "compare") + "?runs=" + url.QueryEscape(strings.Join(ids, ","))
}

// artifactURL is the address that serves one artifact file of a run.
func artifactURL(ws, run, path string, download bool) string {
	u := runURL(ws, run) + "/artifact?path=" + url.QueryEscape(path)
	if download {
		u += "&download=1"
	}
	return u
}

// withQuery returns u's path and query with the parameters in set
// replaced (an empty list removes one).
func withQuery(u *url.URL, set url.Values) string {
	q := u.Query()
	for k, vs := range set {
		q.Del(k)
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	out := url.URL{Path: u.Path, RawQuery: q.Encode()}
	return out.RequestURI()
}

// experimentIDRE is the form of experiment IDs: decimal numbers.
var experimentIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,19}$`) })

// runIDRE is MLflow's run ID rule; anything else names no run.
var runIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][\w\-]{0,255}$`) })

// queryText returns a free-text query value, trimmed, refusing one that is
// too long.
func queryText(q url.Values, key, what string) (string, error) {
	v := strings.TrimSpace(q.Get(key))
	if len(v) > maxQueryValue {
		return "", lathe.Errorf(lathe.EINVALID, "the %s is %d bytes long; the limit is %d", what, len(v), maxQueryValue)
	}
	return v, nil
}

// tokenPager pages a search with MLflow's offset page tokens, asking for
// one row more than a page to learn whether there is a next one, so a page
// costs one bounded query and nothing is counted.
type tokenPager struct {
	token  string
	offset int
	size   int
}

// newTokenPager reads ?cursor=.
func newTokenPager(q url.Values, size int) (*tokenPager, error) {
	tok := q.Get("cursor")
	off, err := search.DecodePageToken(tok)
	if err != nil {
		return nil, lathe.Errorf(lathe.EINVALID, "the page link is not valid (%s); start again from the first page", lathe.ErrorMessage(err))
	}
	return &tokenPager{token: tok, offset: off, size: size}, nil
}

// finish trims the extra row off a result and links the pages around it;
// noun names the rows ("Runs 51–100").
func finish[T any](p *tokenPager, t *Table, rows []T, noun string) []T {
	more := len(rows) > p.size
	if more {
		rows = rows[:p.size]
		t.Pager.Next = t.link(map[string]string{"cursor": search.EncodePageToken(p.offset + p.size)})
	}
	if p.offset > 0 {
		t.Pager.First = t.link(map[string]string{"cursor": ""})
		if prev := p.offset - p.size; prev > 0 {
			t.Pager.Prev = t.link(map[string]string{"cursor": search.EncodePageToken(prev)})
		} else {
			t.Pager.Prev = t.Pager.First
			t.Pager.First = ""
		}
	}
	if len(rows) > 0 && (more || p.offset > 0) {
		t.Pager.Info = fmt.Sprintf("%s %s–%s", noun, fmtCount(int64(p.offset+1)), fmtCount(int64(p.offset+len(rows))))
	}
	return rows
}

// msTime turns Unix milliseconds into a time.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// fmtDuration shows a duration roughly, to the second.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return durationLabel(d.Seconds())
}

// runDuration is how long a run took, or has been running.
func runDuration(info lathe.RunInfo, now time.Time) string {
	if info.EndTime != nil {
		return fmtDuration(time.Duration(*info.EndTime-info.StartTime) * time.Millisecond)
	}
	if info.Status == lathe.RunRunning {
		return fmtDuration(now.Sub(msTime(info.StartTime)).Truncate(time.Second)) + " so far"
	}
	return "—"
}

// fmtValue shows a metric value with up to six significant digits.
func fmtValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// fmtShort shows a metric value with four significant digits, for
// tables.
func fmtShort(v float64) string {
	if !finite(v) {
		return fmtValue(v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// runTone is the badge tone of a run status.
func runTone(status string) string {
	switch status {
	case lathe.RunFinished:
		return "ok"
	case lathe.RunFailed:
		return "bad"
	case lathe.RunKilled:
		return "warn"
	case lathe.RunRunning:
		return "info"
	}
	return "neutral"
}

// statusCell shows a run status as a badge, in lower case.
func statusCell(status string) Cell {
	return Cell{Text: strings.ToLower(status), Badge: runTone(status)}
}

// runName is a run's name, or its ID when it has none.
func runName(r *lathe.Run) string {
	if r.Info.Name != "" {
		return r.Info.Name
	}
	return r.Info.RunID
}

// tagValue returns the value of a tag, or "".
func tagValue(tags []lathe.Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// orderKey is the identifier an order_by clause uses for a field, e.g.
// metrics.`val loss`; it is also the field's ?sort= key.
func orderKey(kind search.Kind, key string) string {
	return strings.TrimSuffix(search.Order{Kind: kind, Key: key}.String(), " ASC")
}

// swatch draws the line style of chart series i (1-based) as a small
// legend key, hidden from screen readers.
func swatch(i int) template.HTML {
	color, dash := SeriesStyle(i - 1)
	d := ""
	if dash != "" {
		d = ` stroke-dasharray="` + dash + `"`
	}
	return template.HTML(`<svg class="swatch" viewBox="0 0 24 10" width="24" height="10" aria-hidden="true" focusable="false"><line x1="1" y1="5" x2="23" y2="5" stroke="` +
		color + `" stroke-width="2.5"` + d + `/></svg>`)
}

// uniqueKeys returns the distinct non-empty values, in order, at most n.
func uniqueKeys(vals []string, n int) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vals {
		if v == "" || seen[v] || len(out) == n {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

// keepQuery copies the named parameters of a query, for the hidden fields
// of a form that changes the others.
func keepQuery(q url.Values, keys ...string) url.Values {
	out := url.Values{}
	for _, k := range keys {
		if vs := q[k]; len(vs) > 0 {
			out[k] = vs
		}
	}
	return out
}
