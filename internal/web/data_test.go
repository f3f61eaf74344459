package web_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/web"
)

func TestDataAssetsPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, query string
		status             int
		want, avoid        []string
	}{
		{name: "list", token: tokReader, status: 200,
			want: []string{`href="/ui/w/default/data/customers"`, `href="/ui/w/default/data/customers/versions/2"`, ">customer-churn-labels<", ">images<",
				">uri_file<", ">uri_folder<", `<span class="chip" title="stage=clean">stage=clean</span>`, `href="/ui/w/default/data" aria-current="page"`,
				`href="/ui/w/default/blobs"`, "lathe data create --name customers"},
			avoid: []string{"old-scrape", ">State<"}},
		{name: "search ignores case", token: tokReader, query: "q=CUST", status: 200, want: []string{">customers<", ">customer-churn-labels<", `value="CUST"`}, avoid: []string{">images<"}},
		{name: "search finds nothing", token: tokReader, query: "q=zzz", status: 200, want: []string{"No matching data assets"}},
		{name: "archived too", token: tokReader, query: "archived=1", status: 200,
			want: []string{">old-scrape<", `badge-warn">archived<`, ">State<", `title="every version is archived"`, `id="f-archived" name="archived" value="1" checked`}},
		{name: "a later page", token: tokReader, query: "cursor=customers", status: 200, want: []string{">images<", "First page"}, avoid: []string{">customers<", ">customer-churn-labels<"}},
		{name: "bad page link", token: tokReader, query: "cursor=%21%21", status: 400, want: []string{"page link is not valid"}},
		{name: "search too long", token: tokReader, query: "q=" + strings.Repeat("a", 2100), status: 400, want: []string{"the limit is 2000"}},
		{name: "not a member", token: tokOther, status: 404, want: []string{"Page not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tt.token, "/ui/w/default/data?"+tt.query, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
}

func TestAssetPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path  string
		status      int
		want, avoid []string
	}{
		{name: "versions", path: "/ui/w/default/data/customers", status: 200,
			want: []string{"<h1>customers", `href="/ui/w/default/data/customers/versions/2"`, `href="/ui/w/default/data/customers/versions/1"`,
				`badge-info">latest<`, `action="/ui/w/default/data/customers/diff"`, `<option value="1" selected>1</option>`, `<option value="2" selected>2</option>`,
				"stage=raw", "lathe data show -n customers -w default"},
			avoid: []string{`/versions/3"`}},
		{name: "archived versions too", path: "/ui/w/default/data/customers?archived=1", status: 200,
			want: []string{`href="/ui/w/default/data/customers/versions/3"`, `badge-warn">archived<`}},
		{name: "every version archived", path: "/ui/w/default/data/old-scrape", status: 200, want: []string{"every version is archived", "Include archived versions to see them"}},
		{name: "bad page link", path: "/ui/w/default/data/customers?cursor=%21", status: 400},
		{name: "unknown asset", path: "/ui/w/default/data/nope", status: 404, want: []string{"data asset &#34;nope&#34; not found"}},
		{name: "malformed name", path: "/ui/w/default/data/-x", status: 404, want: []string{"there is no data asset"}},
		{name: "another workspace", path: "/ui/w/secret/data/customers", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tokReader, tt.path, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
}

var cardRE = regexp.MustCompile(`<article class="col-card" id="col-\d+"`)

func TestDataVersionPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path  string
		status      int
		cards       int
		want, avoid []string
	}{
		{name: "table", path: "/ui/w/default/data/customers/versions/2", status: 200, cards: 8,
			want: []string{"customers<span class=\"muted\">:</span><span class=\"mono-h\">2</span>", `badge-info">latest<`, "March export", ">owner=data-team<",
				"azureml://datastores/workspaceblobstore/paths/LocalUpload/", ">2,400<", "comma (,)",
				// problems, with their lines
				"3 rows had more or fewer fields than the header", "2 rows held bytes that are not UTF-8", `id="problems"`,
				// cards: type badges, null bars, histograms, top values, quantiles
				`id="col-1-name" title="age">age</h3>`, `badge-num">int<`, `badge-text">string<`, `badge-time">datetime<`, `badge-bool">bool<`,
				`<svg class="meter"`, `<svg class="bars"`, "Histogram of age", "Most frequent values of segment", "Most frequent values of region",
				`<th scope="col">p50</th>`, ">Earliest<", `categorical</span>`, `title="Every value occurs once">unique<`,
				// files, and the download of a uri_file
				`href="/ui/w/default/data/customers/versions/2/file?path=customers.csv"`, "download=1", `href="/ui/w/default/data/customers/diff?to=2"`},
			avoid: []string{"No profile"}},
		{name: "never-repeating text", path: "/ui/w/default/data/customers/versions/1", status: 200, cards: 8,
			want: []string{"No value occurs twice", "source=crm"}, avoid: []string{"Problems found while reading", `badge-info">latest<`}},
		{name: "latest", path: "/ui/w/default/data/customers/versions/latest", status: 200, cards: 8, want: []string{`<span class="mono-h">2</span>`}},
		{name: "archived", path: "/ui/w/default/data/customers/versions/3", status: 200, cards: 8, want: []string{`badge-warn">archived<`}},
		{name: "find a column", path: "/ui/w/default/data/customers/versions/2?col=INC", status: 200, cards: 1, want: []string{"Histogram of income", `value="INC"`}},
		{name: "no column matches", path: "/ui/w/default/data/customers/versions/2?col=zzz", status: 200, want: []string{"No matching columns"}},
		{name: "not a table", path: "/ui/w/default/data/images/versions/1", status: 200,
			want:  []string{"Only tables are profiled", "130 files", `href="/ui/w/default/data/images/versions/1?files=train%2Fimg-0049.png#files"`, "train/img-0000.png"},
			avoid: []string{"train/img-0050.png", "First page", "Download</a>"}},
		{name: "a later page of files", path: "/ui/w/default/data/images/versions/1?files=train%2Fimg-0049.png", status: 200,
			want: []string{"train/img-0050.png", "train/img-0099.png", "First page", "files=train%2Fimg-0099.png"}, avoid: []string{"train/img-0049.png<"}},
		{name: "bad files link", path: "/ui/w/default/data/images/versions/1?files=..%2Fx", status: 400},
		{name: "unknown version", path: "/ui/w/default/data/customers/versions/9", status: 404, want: []string{"has no version"}},
		{name: "malformed version", path: "/ui/w/default/data/customers/versions/-1", status: 404, want: []string{"there is no version"}},
		{name: "unknown asset", path: "/ui/w/default/data/nope/versions/1", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tokReader, tt.path, tt.status)
			check(t, body, tt.want, tt.avoid)
			if n := len(cardRE.FindAllString(body, -1)); tt.status == 200 && n != tt.cards {
				t.Errorf("%d column cards, want %d", n, tt.cards)
			}
		})
	}
}

// TestColumnPages checks a wide profile's cards are paged, keeping the
// files page and the column search.
func TestColumnPages(t *testing.T) {
	t.Parallel()
	w := newWorld(0)
	w.data.init()
	w.data.addWide(60)
	s, err := w.studio()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	c.signIn(tokReader)
	_, body := c.get("/ui/w/default/data/wide/versions/1")
	if n := len(cardRE.FindAllString(body, -1)); n != 24 || !contains(body, "Columns 1–24 of 60", `href="/ui/w/default/data/wide/versions/1?cpage=2#profile"`) {
		t.Errorf("first page: %d cards, want 24 and a link to the next page", n)
	}
	_, body = c.get("/ui/w/default/data/wide/versions/1?cpage=3&col=c")
	if n := len(cardRE.FindAllString(body, -1)); n != 12 || !contains(body, "Columns 49–60 of 60", `id="col-59"`, "First page", `cpage=2`) || strings.Contains(body, "Next →") {
		t.Errorf("last page: %d cards, want 12 ending at col-59 with links back", n)
	}
	_, body = c.get("/ui/w/default/data/wide/versions/1?cpage=99")
	if !strings.Contains(body, "Columns 49–60 of 60") {
		t.Error("a page past the end does not show the last one")
	}
}

func TestDataDiffPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, query string
		asset       string
		status      int
		want, avoid []string
	}{
		{name: "tables", asset: "customers", query: "from=1&to=2", status: 200,
			want: []string{"Compare", ">customers:1<", ">customers:2<", "2,000 → 2,400 (&#43;400, &#43;20.0%)",
				// schema
				">region<", `badge-ok">added<`, ">notes<", `badge-bad">removed<`, ">zip<", `badge-warn">retyped<`, "int → string",
				// statistics, changed rows marked
				`id="column-stats"`, `<tr class="row-diff"><td><span class="mono">age</span>`, "Only columns that changed",
				// files
				`href="#files-changed"`, ">Files changed<", "customers.csv", `<option value="1" selected>1 · `, `<option value="2" selected>2 · `,
				`href="/ui/w/default/data/customers/diff?from=2&amp;to=1"`},
			avoid: []string{"identical files", "Rows, columns and statistics are compared when"}},
		{name: "defaults to the latest and the one before", asset: "customers", status: 200, want: []string{">customers:1<", ">customers:2<"}},
		{name: "the one before a version", asset: "customers", query: "to=3", status: 200, want: []string{">customers:2<", ">customers:3<", "identical files", "(archived)"}},
		{name: "only changed columns", asset: "customers", query: "from=1&to=2&changed=1", status: 200,
			want: []string{`id="f-changed" name="changed" value="1" checked`, "common columns changed"}, avoid: []string{`<span class="mono">churned</span>`}},
		{name: "folders", asset: "images", query: "from=1&to=2", status: 200,
			want: []string{"Rows, columns and statistics are compared when", `id="files-added"`, `id="files-removed"`, `id="files-changed"`,
				"Added <span class=\"muted\">(15)</span>", "Removed <span class=\"muted\">(10)</span>", "Changed <span class=\"muted\">(5)</span>",
				`href="/ui/w/default/data/images/versions/1/file?path=train%2Fimg-0000.png"`, "&#43;1 B"}},
		{name: "the oldest has nothing before it", asset: "customers", query: "to=1", status: 400, want: []string{"oldest version"}},
		{name: "malformed version", asset: "customers", query: "from=a%20b&to=2", status: 400, want: []string{"is not a version label"}},
		{name: "unknown version", asset: "customers", query: "from=7&to=2", status: 404},
		{name: "unknown asset", asset: "nope", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, body := getAs(t, tokReader, "/ui/w/default/data/"+tt.asset+"/diff?"+tt.query, tt.status)
			check(t, body, tt.want, tt.avoid)
		})
	}
}

func TestDataFile(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 0)
	c := newClient(t, srv)
	c.signIn(tokReader)
	base := "/ui/w/default/data/"
	tests := []struct {
		name, path        string
		status            int
		ctype, disp, body string
	}{
		{name: "csv as text", path: base + "customers/versions/1/file?path=customers.csv", status: 200, ctype: "text/plain; charset=utf-8", disp: "inline", body: "id,age,income"},
		{name: "csv download", path: base + "customers/versions/1/file?path=customers.csv&download=1", status: 200, disp: "attachment"},
		{name: "image inline", path: base + "images/versions/2/file?path=val%2Fimg-0003.png", status: 200, ctype: "image/png", disp: "inline"},
		{name: "latest", path: base + "customers/versions/latest/file?path=customers.csv", status: 200, body: "id,age,income,segment,signup,churned,zip,region"},
		{name: "no path", path: base + "customers/versions/1/file", status: 400},
		{name: "climbing out", path: base + "customers/versions/1/file?path=..%2Fsecret", status: 400},
		{name: "no such file", path: base + "customers/versions/1/file?path=other.csv", status: 404},
		{name: "no such version", path: base + "customers/versions/8/file?path=customers.csv", status: 404},
	}
	for _, tt := range tests {
		res, body := c.get(tt.path)
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		h := res.Header
		if !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: served without the sandbox: %v", tt.name, h)
		}
		if tt.ctype != "" && h.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tt.name, h.Get("Content-Type"), tt.ctype)
		}
		if tt.disp != "" && !strings.HasPrefix(h.Get("Content-Disposition"), tt.disp) {
			t.Errorf("%s: Content-Disposition %q, want %s", tt.name, h.Get("Content-Disposition"), tt.disp)
		}
		if !strings.HasPrefix(body, tt.body) {
			t.Errorf("%s: body starts %q", tt.name, body[:min(len(body), 60)])
		}
	}
	res, _ := c.get(base + "customers/versions/1/file?path=customers.csv")
	req, _ := http.NewRequest("GET", srv.URL+base+"customers/versions/1/file?path=customers.csv", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res, _ := c.do(req); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the digest: status %d, want 304", res.StatusCode)
	}
}

// TestDataAssetsDisabled checks a studio without data assets: the Data
// page lists the blobs, as it did before, and the asset pages do not
// exist.
func TestDataAssetsDisabled(t *testing.T) {
	t.Parallel()
	w := newWorld(3)
	s, err := web.New(web.Options{Sessions: w, Authorizer: w, Workspaces: w, Accounts: w, Roles: w, Audit: w, Data: w, Tracking: w.trk, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	c.signIn(tokReader)
	if res, body := c.get("/ui/w/default/data"); res.StatusCode != 200 || !strings.Contains(body, "Blobs in default") || strings.Contains(body, `href="/ui/w/default/blobs"`) {
		t.Errorf("data: status %d, want the blobs without tabs\n%s", res.StatusCode, body)
	}
	for _, p := range []string{"/ui/w/default/data/customers", "/ui/w/default/data/customers/versions/1", "/ui/w/default/data/customers/diff",
		"/ui/w/default/data/customers/versions/1/file?path=customers.csv"} {
		if res, body := c.get(p); res.StatusCode != 404 || !strings.Contains(body, "not enabled on this server") {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
	}
	if w.data.callsOf("Assets") != 0 {
		t.Error("the fake was asked although the studio has no data assets")
	}
}
