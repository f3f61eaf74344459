package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/web"
)

// getAs signs in with token and fetches path, checking the status.
func getAs(t *testing.T, token, path string, status int) (*http.Response, string) {
	t.Helper()
	_, srv := setup(t, 0)
	c := newClient(t, srv)
	c.signIn(token)
	res, body := c.get(path)
	if res.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, res.StatusCode, status, body)
	}
	return res, body
}

// check reports parts of body that should or should not be there.
func check(t *testing.T, body string, want, avoid []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("lacks %q", s)
		}
	}
	for _, s := range avoid {
		if strings.Contains(body, s) {
			t.Errorf("has %q", s)
		}
	}
}

func TestExperimentsPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, query string
		status             int
		want, avoid        []string
	}{
		{name: "list", token: tokReader, status: 200,
			want:  []string{`href="/ui/w/default/experiments/1"`, ">mnist-cnn<", ">Default<", "sweeping the learning rate", "MLFLOW_TRACKING_URI=", "/w/default"},
			avoid: []string{"old-baseline", `id="f-deleted" name="deleted" value="1" checked`}},
		{name: "search by name", token: tokReader, query: "q=MNIST", status: 200, want: []string{">mnist-cnn<", `value="MNIST"`}, avoid: []string{">Default<"}},
		{name: "search finds nothing", token: tokReader, query: "q=zzz", status: 200, want: []string{"No matching experiments"}},
		{name: "a quote in the search", token: tokReader, query: "q=" + url.QueryEscape("it's"), status: 200, want: []string{"No matching experiments"}},
		{name: "deleted too", token: tokReader, query: "deleted=1", status: 200, want: []string{"old-baseline", `badge-warn">deleted<`, ">State<"}},
		{name: "sorted by name", token: tokReader, query: "sort=name&dir=asc", status: 200, want: []string{`aria-sort="ascending"`}},
		{name: "bad page link", token: tokReader, query: "cursor=%21%21", status: 400, want: []string{"page link is not valid"}},
		{name: "other workspace", token: tokOwner, status: 200},
		{name: "not a member", token: tokOther, status: 404, want: []string{"Page not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tt.token, "/ui/w/default/experiments?"+tt.query, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
	t.Run("order", func(t *testing.T) {
		t.Parallel()
		_, body := getAs(t, tokReader, "/ui/w/default/experiments?sort=name&dir=asc", 200)
		if i, j := strings.Index(body, ">Default<"), strings.Index(body, ">mnist-cnn<"); i < 0 || j < i {
			t.Errorf("sorted by name, Default (%d) is not before mnist-cnn (%d)", i, j)
		}
	})
}

var runRowRE = regexp.MustCompile(`<tr><td><input type="checkbox" class="row-check"`)

func TestExperimentRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path  string
		status      int
		want, avoid []string
		order       string // the order_by the search was asked for
		rows        int
	}{
		{name: "runs", path: "/ui/w/default/experiments/1", status: 200, rows: 4, order: "attributes.start_time DESC",
			want: []string{"<h1>mnist-cnn", "brave-owl-1", "eager-elk-3", `href="/ui/w/default/runs/` + runOwl + `"`, `badge-bad">failed<`, `badge-info">running<`,
				">accuracy<", ">val_loss<", ">learning_rate<", ">optimizer<", `form="compare-form" name="runs" value="` + runOwl + `"`, `action="/ui/w/default/compare"`},
			avoid: []string{">grad_norm</a>", ">throughput</a>"}},
		{name: "filter", path: "/ui/w/default/experiments/1?filter=" + url.QueryEscape("metrics.val_loss < 1 and params.optimizer = 'adam'"), status: 200, rows: 3,
			want: []string{"brave-owl-1", "calm-fox-2", "quiet-yak-4", `value="metrics.val_loss &lt; 1 and params.optimizer = &#39;adam&#39;"`}, avoid: []string{"eager-elk-3"}},
		{name: "filter matches nothing", path: "/ui/w/default/experiments/1?filter=" + url.QueryEscape("params.optimizer = 'rmsprop'"), status: 200, rows: 0,
			want: []string{"No matching runs"}},
		{name: "filter syntax error", path: "/ui/w/default/experiments/1?filter=" + url.QueryEscape("metrics.loss < 0.5 and params.x = "), status: 400, rows: 0,
			want: []string{`aria-invalid="true"`, `id="f-filter-error"`, "at position", "metrics.loss &lt; 0.5 and params.x =<mark> </mark>", `class="caret"`}},
		{name: "filter error mid-way", path: "/ui/w/default/experiments/1?filter=" + url.QueryEscape("metrics.loss <> 1"), status: 400,
			want: []string{"metrics.loss <mark>&lt;</mark>&gt; 1"}},
		{name: "unknown entity", path: "/ui/w/default/experiments/1?filter=" + url.QueryEscape("bogus.x = 1"), status: 400, want: []string{`role="alert"`}},
		{name: "chosen columns", path: "/ui/w/default/experiments/1?cols=1&m=grad_norm&p=optimizer", status: 200, rows: 4,
			want: []string{">grad_norm<", ">optimizer<", `value="grad_norm" checked`}, avoid: []string{">val_loss<span", ">learning_rate<span"}},
		{name: "a column no run on the page has", path: "/ui/w/default/experiments/1?cols=1&m=f1", status: 200, rows: 4, want: []string{">f1<", `value="f1" checked`}},
		{name: "sort by a metric", path: "/ui/w/default/experiments/1?sort=metrics.loss&dir=asc", status: 200, rows: 4, order: "metrics.loss ASC",
			want: []string{`aria-sort="ascending"`}},
		{name: "sort by a key with a space", path: "/ui/w/default/experiments/1?sort=" + url.QueryEscape("metrics.`val loss`") + "&dir=desc", status: 200, rows: 4, order: "metrics.`val loss` DESC"},
		{name: "bad sort falls back", path: "/ui/w/default/experiments/1?sort=" + url.QueryEscape("drop table"), status: 200, rows: 4, order: "attributes.start_time DESC"},
		{name: "deleted runs", path: "/ui/w/default/experiments/1?deleted=1", status: 200, rows: 4, want: []string{`id="f-deleted" name="deleted" value="1" checked`}},
		{name: "no runs", path: "/ui/w/default/experiments/0", status: 200, want: []string{"No runs yet", "mlflow.set_experiment"}},
		{name: "unknown experiment", path: "/ui/w/default/experiments/99", status: 404},
		{name: "not a number", path: "/ui/w/default/experiments/abc", status: 404},
		{name: "another workspace's", path: "/ui/w/secret/experiments/1", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, srv := setup(t, 0)
			c := newClient(t, srv)
			c.signIn(tokReader)
			res, body := c.get(tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tt.status, body)
			}
			check(t, body, tt.want, tt.avoid)
			if n := len(runRowRE.FindAllString(body, -1)); tt.status != 404 && n != tt.rows {
				t.Errorf("%d runs listed, want %d", n, tt.rows)
			}
			if tt.order != "" {
				calls := w.trk.searchCalls()
				if len(calls) != 1 || len(calls[0].OrderBy) != 1 || calls[0].OrderBy[0] != tt.order {
					t.Errorf("searches %+v, want one ordered by %q", calls, tt.order)
				}
			}
		})
	}
}

// TestRunsPaging pages through 10,000 runs: each page is one search for
// one page and a row more, never a count.
func TestRunsPaging(t *testing.T) {
	t.Parallel()
	w, srv := setup(t, 0)
	w.trk.addSweep(10000, w.now)
	c := newClient(t, srv)
	c.signIn(tokReader)
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`)
	path := "/ui/w/default/experiments/2?sort=params.seed&dir=asc&cols=1&p=seed&m=score"
	for pageNo := 1; pageNo <= 3; pageNo++ {
		before := len(w.trk.searchCalls())
		res, body := c.get(path)
		if res.StatusCode != 200 {
			t.Fatalf("page %d: status %d", pageNo, res.StatusCode)
		}
		calls := w.trk.searchCalls()[before:]
		if len(calls) != 1 || calls[0].MaxResults != 51 {
			t.Fatalf("page %d made searches %+v, want one for 51 runs", pageNo, calls)
		}
		if n := len(runRowRE.FindAllString(body, -1)); n != 50 {
			t.Fatalf("page %d lists %d runs", pageNo, n)
		}
		lo := (pageNo-1)*50 + 1
		if want := "Runs " + fmtInt(lo) + "–" + fmtInt(lo+49); !strings.Contains(body, want) {
			t.Errorf("page %d lacks %q", pageNo, want)
		}
		if pageNo > 1 && !strings.Contains(body, `rel="prev"`) {
			t.Errorf("page %d has no previous link", pageNo)
		}
		m := next.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("page %d has no next link", pageNo)
		}
		path = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	// The last page.
	q := url.Values{"cursor": {"eyJvZmZzZXQiOiA5OTUwfQ=="}, "cols": {"1"}, "m": {"score"}} // offset 9950
	res, body := c.get("/ui/w/default/experiments/2?" + q.Encode())
	if res.StatusCode != 200 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, "Runs 9,951–10,000") {
		t.Errorf("last page: status %d, want rows 9,951–10,000 and no next link", res.StatusCode)
	}
}

// fmtInt writes n with thousands separators, as the pager does.
func fmtInt(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func TestRunPage(t *testing.T) {
	t.Parallel()
	run := "/ui/w/default/runs/" + runOwl
	tests := []struct {
		name, path  string
		status      int
		want, avoid []string
	}{
		{name: "overview", path: run, status: 200,
			want: []string{"<h1>brave-owl-1", `href="/ui/w/default/experiments/1">mnist-cnn</a>`, runOwl, "train.py", "9f2c4e1b7a0d…",
				`id="metrics-h"`, `<svg class="chart"`, `data-zoom="x"`, `class="chart-band"`, "8,000 values in", ">learning_rate<", ">model_family<",
				"System tags (4)", "mlflow.source.git.commit", `id="artifacts"`, ">metrics.csv<", ">plots/<"},
			avoid: []string{"<script>alert"}},
		{name: "time axis", path: run + "?x=time", status: 200, want: []string{"Time (UTC)", `id="cc-x-time" name="x" value="time" checked`}, avoid: []string{`data-zoom="x"`}},
		{name: "relative time axis", path: run + "?x=relative", status: 200, want: []string{"Time since the run started", ">0s<"}},
		{name: "log scale", path: run + "?log=1", status: 200, want: []string{"The Y axis is logarithmic", `id="cc-log" name="log" value="1" checked`}},
		{name: "zoom", path: run + "?from=50&to=100", status: 200, want: []string{`data-x-min="50"`, `data-x-max="100"`, "Reset zoom", `value="50"`}},
		{name: "zoom to nothing", path: run + "?from=500000&to=600000", status: 200, want: []string{"No values in this step range"}},
		{name: "backwards zoom", path: run + "?from=100&to=50", status: 400, want: []string{"is backwards", `<svg class="chart"`}},
		{name: "bad step", path: run + "?from=ten", status: 400, want: []string{"not a whole number"}},
		{name: "bad axis", path: run + "?x=sideways", status: 400, want: []string{"choose step, relative or time"}},
		{name: "chosen charts", path: run + "?charts=1&m=loss", status: 200, want: []string{`id="metric-0-box"`, `value="loss" id="chart-loss-2" checked`}, avoid: []string{`id="metric-1-box"`}},
		{name: "no charts", path: run + "?charts=1", status: 200, want: []string{"No metric is charted"}, avoid: []string{`<svg class="chart"`}},
		{name: "metric logged at one step", path: "/ui/w/default/runs/" + runYak, status: 200,
			want: []string{"All 50 values were logged at step 0, so they are drawn against time."}},
		{name: "NaN metric", path: "/ui/w/default/runs/" + runElk, status: 200, want: []string{"<h1>eager-elk-3", ">NaN<"}},
		{name: "unknown run", path: "/ui/w/default/runs/ffffffffffffffffffffffffffffffff", status: 404},
		{name: "malformed run id", path: "/ui/w/default/runs/..%2f..", status: 404},
		{name: "another workspace's run", path: "/ui/w/default/runs/" + runOther, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tokReader, tt.path, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
	t.Run("downsampled", func(t *testing.T) {
		t.Parallel()
		_, body := getAs(t, tokReader, run+"?charts=1&m=grad_norm", 200)
		d := regexp.MustCompile(`<path d="(M[^"]+)" fill="none"`).FindStringSubmatch(body)
		if d == nil {
			t.Fatal("no line in the grad_norm chart")
		}
		if n := strings.Count(d[1], "L") + 1; n > 320 {
			t.Errorf("the 8,000-step line has %d points, want at most 320", n)
		}
	})
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	run := "/ui/w/default/runs/" + runOwl
	tests := []struct {
		name, path  string
		status      int
		want, avoid []string
	}{
		{name: "csv head", path: run + "?path=metrics.csv", status: 200,
			want: []string{`id="csv-preview"`, "<th scope=\"col\">val_loss</th>", "<td>20</td>", "The header and the first 20 rows.", `aria-current="true"`,
				`href="/ui/w/default/runs/` + runOwl + `/artifact?path=metrics.csv&amp;download=1"`},
			avoid: []string{"<td>21</td>"}},
		{name: "json pretty", path: run + "?path=config.json", status: 200,
			want: []string{"{\n  &#34;model&#34;: {\n    &#34;layers&#34;: [", "&lt;b&gt;not html&lt;/b&gt;"}, avoid: []string{"<b>not html"}},
		{name: "text", path: run + "?path=notes.txt", status: 200, want: []string{"Trained on 60,000 images."}},
		{name: "html shown as text", path: run + "?path=page.html", status: 200, want: []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, avoid: []string{"<script>alert"}},
		{name: "image", path: run + "?path=plots/loss.png", status: 200,
			want: []string{`<img src="/ui/w/default/runs/` + runOwl + `/artifact?path=plots%2Floss.png"`, ">plots<", ">loss.png<"}},
		{name: "directory", path: run + "?path=model", status: 200, want: []string{">MLmodel<", ">model.pkl<", "Choose a file to preview it"}},
		{name: "binary", path: run + "?path=model/model.pkl", status: 200, want: []string{"There is no preview for this kind of file"}},
		{name: "extensionless text", path: run + "?path=model/MLmodel", status: 200, want: []string{"loader_module: mlflow.sklearn"}},
		{name: "missing", path: run + "?path=nope.txt", status: 404, want: []string{"There is no artifact nope.txt", ">metrics.csv<"}},
		{name: "traversal", path: run + "?path=" + url.QueryEscape("../../"+runFox+"/artifacts/x"), status: 400, want: []string{`class="alert alert-bad" role="alert"`, "segments"}, avoid: []string{">x<"}},
		{name: "no artifacts", path: "/ui/w/default/runs/" + runElk, status: 200, want: []string{"No artifacts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tokReader, tt.path, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
}

func TestArtifactFile(t *testing.T) {
	t.Parallel()
	base := "/ui/w/default/runs/" + runOwl + "/artifact?path="
	tests := []struct {
		name, path, ctype, disposition string
		status                         int
	}{
		{name: "image", path: "plots/loss.png", ctype: "image/png", disposition: `inline; filename=loss.png`, status: 200},
		{name: "download", path: "plots/loss.png&download=1", ctype: "image/png", disposition: `attachment; filename=loss.png`, status: 200},
		{name: "html is text", path: "page.html", ctype: "text/plain; charset=utf-8", disposition: "inline; filename=page.html", status: 200},
		{name: "binary", path: "model/model.pkl", ctype: "application/octet-stream", disposition: "attachment; filename=model.pkl", status: 200},
		{name: "missing", path: "nope.png", status: 404},
		{name: "traversal", path: url.QueryEscape("../../" + runFox + "/artifacts/x"), status: 400},
		{name: "no path", path: "", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := getAs(t, tokReader, base+tt.path, tt.status)
			if tt.status != 200 {
				return
			}
			h := res.Header
			if h.Get("Content-Type") != tt.ctype || h.Get("Content-Disposition") != tt.disposition {
				t.Errorf("Content-Type %q, Content-Disposition %q; want %q, %q", h.Get("Content-Type"), h.Get("Content-Disposition"), tt.ctype, tt.disposition)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") || strings.Contains(csp, "script-src") {
				t.Errorf("CSP %q, want a sandbox with no script", csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("ETag") == "" {
				t.Errorf("nosniff %q, ETag %q", h.Get("X-Content-Type-Options"), h.Get("ETag"))
			}
			if tt.name == "image" && !strings.HasPrefix(body, "\x89PNG") {
				t.Error("the body is not the PNG")
			}
		})
	}
	t.Run("not a member", func(t *testing.T) {
		t.Parallel()
		getAs(t, tokOther, base+"plots/loss.png", 404)
	})
}

func TestCompare(t *testing.T) {
	t.Parallel()
	cmp := "/ui/w/default/compare?runs="
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = strings.Repeat("a", 31) + string(rune('a'+i))
	}
	tests := []struct {
		name, path  string
		status      int
		want, avoid []string
	}{
		{name: "two runs", path: cmp + runOwl + "," + runFox, status: 200,
			want: []string{"Compare 2 runs", `data-series="brave-owl-1"`, `data-series="calm-fox-2"`, `class="swatch"`, `href="/ui/w/default/experiments/1">mnist-cnn</a>`,
				`<tr class="row-diff"><td><span class="mono">learning_rate</span>`, `badge-warn">differs<`, "1 parameter differs", ">calm-fox-2<"}},
		{name: "from checkboxes", path: "/ui/w/default/compare?runs=" + runOwl + "&runs=" + runElk, status: 200,
			want: []string{"Compare 2 runs", "3 parameters differ", `<tr><td><span class="mono">batch_size</span>`}},
		{name: "only differences", path: cmp + runOwl + "," + runElk + "&diff=1", status: 200,
			want: []string{">dropout<", `id="f-diff" name="diff" value="1" checked`}, avoid: []string{">batch_size<"}},
		{name: "a metric one run lacks", path: cmp + runOwl + "," + runFox + "&charts=1&m=grad_norm", status: 200,
			want: []string{`data-series="brave-owl-1"`}, avoid: []string{`data-series="calm-fox-2"`}},
		{name: "log and time", path: cmp + runOwl + "," + runFox + "&log=1&x=relative", status: 200, want: []string{"logarithmic", "Time since the run started"}},
		{name: "duplicates collapse", path: cmp + runOwl + "," + runOwl, status: 200, want: []string{"Compare 1 runs"}},
		{name: "none", path: cmp, status: 400, want: []string{"choose the runs to compare"}},
		{name: "too many", path: cmp + strings.Join(eleven, ","), status: 400, want: []string{"compare at most 10"}},
		{name: "malformed", path: cmp + url.QueryEscape("../x"), status: 400, want: []string{"is not a run ID"}},
		{name: "unknown run", path: cmp + runOwl + ",ffffffffffffffffffffffffffffffff", status: 404},
		{name: "another workspace's run", path: cmp + runOwl + "," + runOther, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tokReader, tt.path, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
}

// TestTrackingDisabled checks a studio without tracking: the Experiments
// page explains how to log runs, and the run pages do not exist.
func TestTrackingDisabled(t *testing.T) {
	t.Parallel()
	w := newWorld(0)
	s, err := web.New(web.Options{Sessions: w, Authorizer: w, Workspaces: w, Accounts: w, Roles: w, Audit: w, Data: w, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	c.signIn(tokReader)
	if res, body := c.get("/ui/w/default/experiments"); res.StatusCode != 200 || !strings.Contains(body, "No experiments yet") {
		t.Errorf("experiments: status %d\n%s", res.StatusCode, body)
	}
	for _, p := range []string{"/ui/w/default/experiments/1", "/ui/w/default/runs/" + runOwl, "/ui/w/default/compare?runs=" + runOwl} {
		if res, _ := c.get(p); res.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
	}
}
