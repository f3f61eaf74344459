package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/web"
)

// TestRoutesAuthorized walks the route table: every route is public,
// signed-in only (an explicit list) or checked against the policy with an
// action the policy knows; every post records an audit event.
func TestRoutesAuthorized(t *testing.T) {
	t.Parallel()
	w := newWorld(0)
	s, err := w.studio()
	if err != nil {
		t.Fatal(err)
	}
	inWS, adminOnly := policy()
	signedIn := map[string]bool{"POST /ui/signout": true, "GET /ui/{$}": true}
	public := map[string]bool{"GET /{$}": true, "GET /ui/static/{file}": true, "GET /ui/signin": true, "POST /ui/signin": true}
	seen := map[string]bool{}
	for _, rt := range s.Routes() {
		key := rt.Method + " " + rt.Path
		if seen[key] {
			t.Errorf("%s registered twice", key)
		}
		seen[key] = true
		if rt.Summary == "" {
			t.Errorf("%s has no summary", key)
		}
		switch rt.Access {
		case web.Public:
			if !public[key] {
				t.Errorf("%s is public but not in the list of public routes", key)
			}
		case web.SignedIn:
			if !signedIn[key] {
				t.Errorf("%s needs only a session but is not in the list of such routes", key)
			}
		case web.Policy:
			_, okWS := inWS[rt.Action]
			switch {
			case rt.Scope == web.ScopeNone && !adminOnly[rt.Action]:
				t.Errorf("%s checks %q workspace-less, which the policy does not know", key, rt.Action)
			case rt.Scope != web.ScopeNone && !okWS:
				t.Errorf("%s checks %q in a workspace, which the policy does not know", key, rt.Action)
			}
		}
		if rt.Method == "POST" && rt.Event == "" {
			t.Errorf("%s changes something but records no audit event", key)
		}
		if !strings.HasPrefix(rt.Path, "/ui/") && rt.Path != "/{$}" {
			t.Errorf("%s is outside /ui/", key)
		}
	}
	for _, want := range []string{"GET /ui/w/{workspace}/{$}", "GET /ui/w/{workspace}/data", "GET /ui/w/{workspace}/jobs", "GET /ui/w/{workspace}/experiments",
		"GET /ui/w/{workspace}/models", "GET /ui/w/{workspace}/endpoints", "GET /ui/w/{workspace}/monitors", "GET /ui/w/{workspace}/audit", "GET /ui/w/{workspace}/settings",
		"GET /ui/w/{workspace}/experiments/{id}", "GET /ui/w/{workspace}/runs/{run}", "GET /ui/w/{workspace}/runs/{run}/artifact", "GET /ui/w/{workspace}/compare",
		"GET /ui/w/{workspace}/blobs", "GET /ui/w/{workspace}/data/{name}", "GET /ui/w/{workspace}/data/{name}/versions/{version}",
		"GET /ui/w/{workspace}/data/{name}/versions/{version}/file", "GET /ui/w/{workspace}/data/{name}/diff"} {
		if !seen[want] {
			t.Errorf("no route %s", want)
		}
	}
}

func TestPagesRender(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 3)
	c := newClient(t, srv)
	c.signIn(tokOwner)
	tests := []struct {
		path string
		want []string
	}{
		{"/ui/w/default/", []string{"<h1>default</h1>", `class="card-value">3<`, `<svg class="chart"`, "Recent activity", `aria-current="page"`}},
		{"/ui/w/default/data", []string{"Data assets in default", `href="/ui/w/default/data/customers"`, `href="/ui/w/default/blobs"`}},
		{"/ui/w/default/blobs", []string{"Blobs in default", `aria-sort="descending"`, `href="/ui/w/default/blobs" aria-current="page"`}},
		{"/ui/w/default/jobs", []string{"No jobs in this workspace yet", "lathe job create -f job.yml --stream -w default"}},
		{"/ui/w/default/experiments", []string{"MLFLOW_TRACKING_URI=" + srv.URL}},
		{"/ui/w/default/models", []string{"lathe model create"}},
		{"/ui/w/default/endpoints", []string{"lathe online-endpoint create"}},
		{"/ui/w/default/monitors", []string{"lathe schedule create -f monitor.yml"}},
		{"/ui/w/vision/", []string{"<h1>vision</h1>", "No activity yet"}},
		{"/ui/w/vision/data", []string{"No data assets yet", "lathe data create"}},
		{"/ui/w/vision/blobs", []string{"No blobs in this workspace yet", "lathe blob put"}},
	}
	if res, _ := c.get("/ui/w/vision"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/ui/w/vision/" {
		t.Errorf("GET /ui/w/vision: status %d to %q, want a redirect to /ui/w/vision/", res.StatusCode, res.Header.Get("Location"))
	}
	for _, tt := range tests {
		res, body := c.get(tt.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", tt.path, res.StatusCode)
			continue
		}
		common := []string{`<main id="main"`, `<nav class="sidebar" aria-label="Workspace sections">`, `class="skip" href="#main"`,
			`<label for="ws-switch">Workspace</label>`, "Not implemented"}
		for i, want := range append(common, tt.want...) {
			if has := strings.Contains(body, want); has != (i != 4) {
				t.Errorf("GET %s: contains %q = %v", tt.path, want, has)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", tt.path, csp)
		}
	}
}

var labelRE = regexp.MustCompile(`<(input|select)\b[^>]*>`)

// TestFormsLabelled checks every visible input of the main pages has a
// label.
func TestFormsLabelled(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 3)
	c := newClient(t, srv)
	c.signIn(tokAdmin)
	for _, path := range []string{"/ui/w/default/", "/ui/w/default/audit", "/ui/w/default/settings", "/ui/w/default/data", "/ui/w/default/blobs",
		"/ui/w/default/data/customers", "/ui/w/default/data/customers/versions/2", "/ui/w/default/data/customers/diff?from=1&to=2",
		"/ui/w/default/experiments", "/ui/w/default/experiments/1", "/ui/w/default/runs/" + runOwl + "?path=metrics.csv",
		"/ui/w/default/compare?runs=" + runOwl + "," + runFox} {
		_, body := c.get(path)
		for _, tag := range labelRE.FindAllString(body, -1) {
			if strings.Contains(tag, `type="hidden"`) {
				continue
			}
			m := regexp.MustCompile(`id="([^"]+)"`).FindStringSubmatch(tag)
			if m == nil || !strings.Contains(body, `for="`+m[1]+`"`) {
				t.Errorf("%s: %s has no label", path, tag)
			}
		}
	}
}

func TestDataSortAndPage(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 120)
	c := newClient(t, srv)
	c.signIn(tokReader)
	rows := regexp.MustCompile(`<tr><td>`)
	res, body := c.get("/ui/w/default/blobs")
	if res.StatusCode != http.StatusOK || len(rows.FindAllString(body, -1)) != 50 || !strings.Contains(body, `href="/ui/w/default/blobs?cursor=o50"`) {
		t.Fatalf("first page: status %d, %d rows, want 50 and a next link", res.StatusCode, len(rows.FindAllString(body, -1)))
	}
	_, body = c.get("/ui/w/default/blobs?cursor=o100")
	if n := len(rows.FindAllString(body, -1)); n != 20 || strings.Contains(body, "Next →") || !strings.Contains(body, "First page") {
		t.Errorf("last page: %d rows, want 20, no next link and a first-page link", n)
	}
	_, body = c.get("/ui/w/default/blobs?sort=size&dir=asc")
	if !contains(body, `aria-sort="ascending"`, "Rows 1–50 of 120", `href="/ui/w/default/blobs?dir=asc&amp;page=2&amp;sort=size"`) {
		t.Errorf("sorted by size: no ascending header, row count or page link\n%s", body)
	}
	sizes := regexp.MustCompile(`title="([\d,]+) bytes"`).FindAllStringSubmatch(body, -1)
	if len(sizes) != 50 || sizes[0][1] != "1,024" {
		t.Fatalf("sorted by size: %d sizes %v, want 50 starting at 1,024", len(sizes), sizes)
	}
	if res, _ := c.get("/ui/w/default/blobs?cursor=bogus"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad cursor: status %d, want 400", res.StatusCode)
	}
}

func TestAuditPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, query string
		broken             bool
		status             int
		want, avoid        []string
	}{
		{name: "verified", token: tokOwner, status: 200,
			want:  []string{"Audit chain verified", "rows checked", `class="hash"`, "rita=owner", "rita=reader"},
			avoid: []string{"sha256:ffee", `id="f-all"`}},
		{name: "broken", token: tokOwner, broken: true, status: 200, want: []string{"Audit chain broken at row #2", "does not match"}},
		{name: "filter outcome", token: tokOwner, query: "outcome=denied", status: 200, want: []string{"rita=owner", `<option value="denied" selected>`}, avoid: []string{"rita=reader"}},
		{name: "filter action prefix", token: tokOwner, query: "action=blob.*", status: 200, want: []string{"sha256:0a1b"}, avoid: []string{"rita=owner"}},
		{name: "filter actor", token: tokOwner, query: "actor=nobody", status: 200, want: []string{"No matching events"}},
		{name: "since", token: tokOwner, query: "since=2026-03-14", status: 200, want: []string{"rita=owner"}},
		{name: "bad since", token: tokOwner, query: "since=yesterday", status: 400, want: []string{"give a date as YYYY-MM-DD", `value="yesterday"`}},
		{name: "bad outcome", token: tokOwner, query: "outcome=maybe", status: 400, want: []string{"choose success, failure or denied"}},
		{name: "admin sees all", token: tokAdmin, query: "scope=all", status: 200, want: []string{"sha256:ffee", `id="f-all"`, "<th scope=\"col\">Workspace</th>"}},
		{name: "owner may not see all", token: tokOwner, query: "scope=all", status: 403},
		{name: "reader", token: tokReader, status: 403, want: []string{"needs the owner role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, srv := setup(t, 0)
			w.broken = tt.broken
			c := newClient(t, srv)
			c.signIn(tt.token)
			res, body := c.get("/ui/w/default/audit?" + tt.query)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tt.status, body)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("lacks %q", s)
				}
			}
			for _, s := range tt.avoid {
				if strings.Contains(body, s) {
					t.Errorf("has %q", s)
				}
			}
		})
	}
}

func TestSettingsForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, path string
		form              url.Values
		status            int
		want              string
		location          string
		changes           int
		outcome           string
	}{
		{name: "create token", token: tokReader, path: "/settings/tokens", form: url.Values{"name": {"laptop"}, "expires": {"90"}},
			status: 200, want: "shown only this once", changes: 1, outcome: lathe.OutcomeSuccess},
		{name: "token without name", token: tokReader, path: "/settings/tokens", form: url.Values{"name": {""}, "expires": {"90"}},
			status: 400, want: "give the token a name", outcome: lathe.OutcomeFailure},
		{name: "reader may not make tokens for others", token: tokReader, path: "/settings/tokens", form: url.Values{"name": {"x"}, "user": {"olivia"}},
			status: 200, want: "shown only this once", changes: 1, outcome: lathe.OutcomeSuccess},
		{name: "revoke own token", token: tokReader, path: "/settings/tokens/t-rita/revoke", status: 303,
			location: "/ui/w/default/settings?done=token-revoked#tokens", changes: 1, outcome: lathe.OutcomeSuccess},
		{name: "revoke someone else's token", token: tokReader, path: "/settings/tokens/t-olivia/revoke", status: 404, outcome: lathe.OutcomeFailure},
		{name: "assign role", token: tokOwner, path: "/settings/roles", form: url.Values{"user": {"sam"}, "role": {"Data Scientist"}}, status: 303,
			location: "/ui/w/default/settings?done=role-assigned#roles", changes: 1, outcome: lathe.OutcomeSuccess},
		{name: "assign bad role", token: tokOwner, path: "/settings/roles", form: url.Values{"user": {"sam"}, "role": {"king"}}, status: 400,
			want: "use reader, data-scientist, contributor or owner", outcome: lathe.OutcomeFailure},
		{name: "demote the last owner", token: tokOwner, path: "/settings/roles", form: url.Values{"user": {"olivia"}, "role": {"reader"}},
			status: 409, want: "last owner", outcome: lathe.OutcomeFailure},
		{name: "create user as owner", token: tokOwner, path: "/settings/users", form: url.Values{"name": {"eve"}}, status: 403, outcome: lathe.OutcomeDenied},
		{name: "create user as admin", token: tokAdmin, path: "/settings/users", form: url.Values{"name": {"eve"}, "email": {"eve@example.org"}}, status: 303,
			location: "/ui/w/default/settings?done=user-created#users", changes: 1, outcome: lathe.OutcomeSuccess},
		{name: "create existing user", token: tokAdmin, path: "/settings/users", form: url.Values{"name": {"rita"}}, status: 409,
			want: "exists already", outcome: lathe.OutcomeFailure},
		{name: "disable user", token: tokAdmin, path: "/settings/users/rita/disabled", form: url.Values{"disabled": {"true"}}, status: 303,
			location: "/ui/w/default/settings?done=user-disabled#users", changes: 1, outcome: lathe.OutcomeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, srv := setup(t, 0)
			ws := "/ui/w/default"
			if tt.name == "demote the last owner" {
				ws = "/ui/w/vision"
			}
			c := newClient(t, srv)
			c.signIn(tt.token)
			_, page := c.get(ws + "/settings")
			form := url.Values{"csrf": {csrfOf(page)}}
			for k, v := range tt.form {
				form[k] = v
			}
			res, body := c.post(ws+tt.path, form)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tt.status, body)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q\n%s", tt.want, body)
			}
			if loc := res.Header.Get("Location"); loc != tt.location {
				t.Errorf("redirect to %q, want %q", loc, tt.location)
			}
			if got := w.changed(); got != tt.changes {
				t.Errorf("%d changes, want %d", got, tt.changes)
			}
			w.mu.Lock()
			last := *w.events[len(w.events)-1]
			w.mu.Unlock()
			if last.Outcome != tt.outcome || last.Status != tt.status || last.RequestID != res.Header.Get("X-Request-Id") {
				t.Errorf("last audit event %+v, want outcome %s, status %d and the request id", last, tt.outcome, tt.status)
			}
			if strings.Contains(last.Target, "lathe_") {
				t.Errorf("audit target %q holds a token secret", last.Target)
			}
			if tt.location != "" {
				_, after := c.get(tt.location)
				if !strings.Contains(after, `class="alert alert-ok"`) {
					t.Errorf("no confirmation after the redirect")
				}
			}
		})
	}
}

// TestTokenForOtherUser checks a non-admin's token form ignores a user
// field: the token is always their own.
func TestTokenForOtherUser(t *testing.T) {
	t.Parallel()
	w, srv := setup(t, 0)
	c := newClient(t, srv)
	c.signIn(tokReader)
	_, page := c.get("/ui/w/default/settings")
	c.post("/ui/w/default/settings/tokens", url.Values{"csrf": {csrfOf(page)}, "name": {"sneaky"}, "user": {"olivia"}})
	toks, _ := w.ListTokens(context.Background(), w.principal("olivia"), "olivia")
	for _, tok := range toks {
		if tok.Name == "sneaky" {
			t.Fatal("a reader created a token for another user")
		}
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	w, srv := setup(t, 0)
	c := newClient(t, srv)
	c.signIn(tokOwner)
	_, page := c.get("/ui/w/default/")
	res, _ := c.post("/ui/signout", url.Values{"csrf": {csrfOf(page)}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/signin" {
		t.Fatalf("sign out: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := c.get("/ui/w/default/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("still signed in after signing out: status %d", res.StatusCode)
	}
	if evs := w.eventsWith("session.delete"); len(evs) != 1 || evs[0].Outcome != lathe.OutcomeSuccess || evs[0].Actor != "olivia" {
		t.Errorf("session.delete events %+v", evs)
	}
}

// failing wraps the world with an Overview that fails unexpectedly.
type failing struct{ *world }

func (f failing) Overview(ctx context.Context, p lathe.Principal, ws string) (*lathe.Overview, error) {
	return nil, errors.New("database on fire")
}

func TestInternalErrorPage(t *testing.T) {
	t.Parallel()
	w := newWorld(0)
	s, err := web.New(web.Options{Sessions: w, Authorizer: w, Workspaces: failing{w}, Accounts: w, Roles: w, Audit: w, Data: w, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	c.signIn(tokOwner)
	req, _ := http.NewRequest("GET", srv.URL+"/ui/w/default/", nil)
	req.Header.Set("X-Request-Id", "req-from-proxy-1")
	res, body := c.do(req)
	if res.StatusCode != http.StatusInternalServerError || !contains(body, "Something went wrong", "req-from-proxy-1") || strings.Contains(body, "on fire") {
		t.Fatalf("status %d; want 500 with the request id and without the internal message\n%s", res.StatusCode, body)
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 0)
	c := newClient(t, srv)
	_, page := c.get("/ui/signin")
	css := regexp.MustCompile(`href="(/ui/static/studio\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatal("sign-in page links no stylesheet")
	}
	res, body := c.get(css[1])
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, ":focus-visible") {
		t.Errorf("stylesheet: status %d, type %q, cache %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if res, _ := c.get("/ui/static/nope.js"); res.StatusCode != 404 {
		t.Errorf("missing static file: status %d", res.StatusCode)
	}
}

func TestNextIsKeptOnSite(t *testing.T) {
	t.Parallel()
	for _, next := range []string{"https://evil.example/", "//evil.example/ui/", "/ui//evil", "/ui/\\evil", "javascript:alert(1)"} {
		_, srv := setup(t, 0)
		c := newClient(t, srv)
		_, page := c.get("/ui/signin")
		res, _ := c.post("/ui/signin", url.Values{"csrf": {csrfOf(page)}, "token": {tokOwner}, "next": {next}})
		if loc := res.Header.Get("Location"); loc != "/ui/" {
			t.Errorf("next %q: redirect to %q, want /ui/", next, loc)
		}
	}
}

// TestNoWorkspace shows a user who is in no workspace what to do.
func TestNoWorkspace(t *testing.T) {
	t.Parallel()
	w, srv := setup(t, 0)
	w.mu.Lock()
	w.users["nemo"] = &lathe.User{ID: "u-nemo", Name: "nemo"}
	w.tokens["lathe_nemo_token"] = &lathe.Token{ID: "t-nemo", UserID: "u-nemo", Name: "first"}
	w.mu.Unlock()
	c := newClient(t, srv)
	c.signIn("lathe_nemo_token")
	res, body := c.get("/ui/")
	if res.StatusCode != http.StatusOK || !contains(body, "You are not a member of any workspace", "Sign out") || strings.Contains(body, `id="ws-switch"`) {
		t.Fatalf("status %d\n%s", res.StatusCode, body)
	}
}

func TestNewNeedsServices(t *testing.T) {
	t.Parallel()
	w := newWorld(0)
	if _, err := web.New(web.Options{Sessions: w, Authorizer: w, Workspaces: w, Accounts: w, Roles: w, Data: w}); err == nil || !strings.Contains(err.Error(), "Audit") {
		t.Fatalf("New without Audit: %v, want an error naming it", err)
	}
}
