package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/web"
)

// setup starts the studio over a fresh fake world.
func setup(t *testing.T, blobs int) (*world, *httptest.Server) {
	t.Helper()
	w := newWorld(blobs)
	s, err := w.studio()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return w, srv
}

// client is a browser without JavaScript: a cookie jar, no redirects
// followed.
type client struct {
	t   *testing.T
	srv *httptest.Server
	hc  *http.Client
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, srv: srv, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// signIn signs the client in with a token through the form.
func (c *client) signIn(token string) {
	c.t.Helper()
	_, body := c.get("/ui/signin")
	res, body := c.post("/ui/signin", url.Values{"csrf": {csrfOf(body)}, "token": {token}, "next": {"/ui/"}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in: status %d, want 303\n%s", res.StatusCode, body)
	}
}

// cookie returns the client's cookie of that name for path.
func (c *client) cookie(path, name string) *http.Cookie {
	u, _ := url.Parse(c.srv.URL + path)
	for _, k := range c.hc.Jar.Cookies(u) {
		if k.Name == name {
			return k
		}
	}
	return nil
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the first CSRF field of a page.
func csrfOf(body string) string {
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		token      string
		noCSRF     bool
		origin     string
		wantStatus int
		wantBody   string
		wantEvent  string // outcome of the session.create event
	}{
		{name: "good token", token: tokOwner, wantStatus: http.StatusSeeOther, wantEvent: lathe.OutcomeSuccess},
		{name: "bad token", token: "lathe_nope", wantStatus: http.StatusUnauthorized, wantBody: "That token was not accepted", wantEvent: lathe.OutcomeDenied},
		{name: "empty token", token: "  ", wantStatus: http.StatusBadRequest, wantBody: "Enter an API token", wantEvent: lathe.OutcomeFailure},
		{name: "no double-submit token", token: tokOwner, noCSRF: true, wantStatus: http.StatusForbidden, wantBody: "expired or was sent from another site", wantEvent: lathe.OutcomeDenied},
		{name: "cross-site origin", token: tokOwner, origin: "http://evil.example", wantStatus: http.StatusForbidden, wantBody: "sent from another site", wantEvent: lathe.OutcomeDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, srv := setup(t, 0)
			c := newClient(t, srv)
			res, body := c.get("/ui/signin")
			if res.StatusCode != http.StatusOK || !contains(body, `<label for="token">API token</label>`, `name="csrf"`) {
				t.Fatalf("sign-in form: status %d\n%s", res.StatusCode, body)
			}
			form := url.Values{"token": {tt.token}, "next": {"/ui/w/vision/data"}}
			if !tt.noCSRF {
				form.Set("csrf", csrfOf(body))
			}
			var hdr []string
			if tt.origin != "" {
				hdr = []string{"Origin", tt.origin}
			}
			res, body = c.post("/ui/signin", form, hdr...)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tt.wantStatus, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body lacks %q\n%s", tt.wantBody, body)
			}
			sess := c.cookie("/ui/", web.SessionCookie)
			if tt.wantStatus == http.StatusSeeOther {
				if sess == nil {
					t.Fatal("no session cookie after signing in")
				}
				if loc := res.Header.Get("Location"); loc != "/ui/w/vision/data" {
					t.Errorf("redirect to %q, want the next page", loc)
				}
				raw := res.Header.Get("Set-Cookie")
				for _, k := range res.Cookies() {
					if k.Name == web.SessionCookie && (!k.HttpOnly || k.SameSite != http.SameSiteLaxMode || k.Path != "/ui" || k.Secure) {
						t.Errorf("session cookie attributes: %s", raw)
					}
				}
				res, _ = c.get("/ui/w/vision/data")
				if res.StatusCode != http.StatusOK {
					t.Errorf("signed-in page: status %d", res.StatusCode)
				}
			} else if sess != nil {
				t.Errorf("session cookie set after a refused sign-in")
			}
			evs := w.eventsWith("session.create")
			if len(evs) != 1 || evs[0].Outcome != tt.wantEvent || evs[0].Status != tt.wantStatus {
				t.Fatalf("session.create events %+v, want one %s with status %d", evs, tt.wantEvent, tt.wantStatus)
			}
			if tt.wantEvent == lathe.OutcomeSuccess && evs[0].Actor != "olivia" {
				t.Errorf("actor %q, want olivia", evs[0].Actor)
			}
		})
	}
}

func TestSignInLink(t *testing.T) {
	t.Parallel()
	w, srv := setup(t, 0)
	c := newClient(t, srv)
	code := w.addLink("rita")
	res, body := c.get("/ui/signin?code=" + url.QueryEscape(code))
	if res.StatusCode != http.StatusOK || !contains(body, "Continue signing in", `name="code" value="`+code+`"`) {
		t.Fatalf("link page: status %d\n%s", res.StatusCode, body)
	}
	if c.cookie("/ui/", web.SessionCookie) != nil {
		t.Fatal("the GET of a sign-in link signed in; only the form post may")
	}
	form := url.Values{"csrf": {csrfOf(body)}, "code": {code}}
	if res, body = c.post("/ui/signin", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("redeem: status %d\n%s", res.StatusCode, body)
	}
	if c.cookie("/ui/", web.SessionCookie) == nil {
		t.Fatal("no session after redeeming the link")
	}
	c2 := newClient(t, srv)
	_, body = c2.get("/ui/signin?code=" + url.QueryEscape(code))
	form.Set("csrf", csrfOf(body))
	if res, body = c2.post("/ui/signin", form); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "already used or has expired") {
		t.Fatalf("reused link: status %d\n%s", res.StatusCode, body)
	}
}

func TestSignedOutRedirects(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 0)
	c := newClient(t, srv)
	for _, tt := range []struct{ path, want string }{
		{"/", "/ui/"},
		{"/ui/", "/ui/signin"},
		{"/ui/w/default/audit?actor=rita", "/ui/signin?next=%2Fui%2Fw%2Fdefault%2Faudit%3Factor%3Drita"},
	} {
		res, _ := c.get(tt.path)
		if res.StatusCode/100 != 3 || res.Header.Get("Location") != tt.want {
			t.Errorf("GET %s: status %d to %q, want a redirect to %q", tt.path, res.StatusCode, res.Header.Get("Location"), tt.want)
		}
	}
}

// TestCSRFRefused posts every mutating form without a CSRF token and with
// a wrong one: each is refused with 403, changes nothing, keeps the session
// and is recorded as denied.
func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	posts := []struct {
		path  string
		event string
		form  url.Values
	}{
		{"/ui/signout", "session.delete", url.Values{}},
		{"/ui/w/default/settings/tokens", "token.create", url.Values{"name": {"ci"}, "expires": {"30"}}},
		{"/ui/w/default/settings/tokens/t-admin/revoke", "token.revoke", url.Values{}},
		{"/ui/w/default/settings/roles", "role.assign", url.Values{"user": {"rita"}, "role": {"owner"}}},
		{"/ui/w/default/settings/roles/rita/revoke", "role.revoke", url.Values{}},
		{"/ui/w/default/settings/users", "user.create", url.Values{"name": {"mallory"}}},
		{"/ui/w/default/settings/users/rita/disabled", "user.disable", url.Values{"disabled": {"true"}}},
	}
	for _, p := range posts {
		for _, csrf := range []string{"", "forged-token"} {
			t.Run(p.event+"/"+map[string]string{"": "missing", "forged-token": "wrong"}[csrf], func(t *testing.T) {
				t.Parallel()
				w, srv := setup(t, 0)
				c := newClient(t, srv)
				c.signIn(tokAdmin)
				before := w.changed()
				form := url.Values{}
				for k, v := range p.form {
					form[k] = v
				}
				if csrf != "" {
					form.Set("csrf", csrf)
				}
				res, body := c.post(p.path, form)
				if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF token is missing or wrong") {
					t.Fatalf("status %d, want 403 with the CSRF message\n%s", res.StatusCode, body)
				}
				if got := w.changed(); got != before {
					t.Errorf("%d changes made by a refused post", got-before)
				}
				if res, _ := c.get("/ui/w/default/"); res.StatusCode != http.StatusOK {
					t.Errorf("session gone after a refused post: status %d", res.StatusCode)
				}
				var evs []lathe.AuditEvent
				for _, e := range w.eventsWith(p.event) {
					if e.Actor == "admin" {
						evs = append(evs, e)
					}
				}
				if len(evs) != 1 || evs[0].Outcome != lathe.OutcomeDenied || evs[0].Status != http.StatusForbidden || evs[0].Actor != "admin" {
					t.Errorf("audit events %+v, want one denied 403 by admin", evs)
				}
			})
		}
	}
}

func TestSettingsWriteControls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		token        string
		wantRoleForm bool
		wantUsers    bool
	}{
		{tokReader, false, false},
		{tokOwner, true, false},
		{tokAdmin, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			t.Parallel()
			_, srv := setup(t, 0)
			c := newClient(t, srv)
			c.signIn(tt.token)
			res, body := c.get("/ui/w/default/settings")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", res.StatusCode, body)
			}
			if !contains(body, "Roles in default", ">olivia<", ">rita<", "Your API tokens", `id="token-form"`) {
				t.Errorf("settings page lacks the role list or the token form\n%s", body)
			}
			controls := []string{`id="role-form"`, `action="/ui/w/default/settings/roles/rita/revoke"`, `action="/ui/w/default/settings/roles"`}
			for _, ctl := range controls {
				if strings.Contains(body, ctl) != tt.wantRoleForm {
					t.Errorf("role write control %s shown = %v, want %v", ctl, !tt.wantRoleForm, tt.wantRoleForm)
				}
			}
			if strings.Contains(body, "Only owners of default can assign") == tt.wantRoleForm {
				t.Errorf("read-only note shown = %v, want %v", tt.wantRoleForm, !tt.wantRoleForm)
			}
			for _, ctl := range []string{`id="user-form"`, `/settings/users/rita/disabled`} {
				if strings.Contains(body, ctl) != tt.wantUsers {
					t.Errorf("user control %s shown = %v, want %v", ctl, !tt.wantUsers, tt.wantUsers)
				}
			}
		})
	}
}

// TestReaderPostRefused sends a reader's well-formed role assignment: the
// policy refuses it, nothing changes, and the refusal is recorded.
func TestReaderPostRefused(t *testing.T) {
	t.Parallel()
	w, srv := setup(t, 0)
	c := newClient(t, srv)
	c.signIn(tokReader)
	_, body := c.get("/ui/w/default/settings")
	res, body := c.post("/ui/w/default/settings/roles", url.Values{"csrf": {csrfOf(body)}, "user": {"rita"}, "role": {"owner"}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "needs the owner role") {
		t.Fatalf("status %d, want 403\n%s", res.StatusCode, body)
	}
	if w.changed() != 0 {
		t.Error("a refused assignment changed something")
	}
	evs := w.eventsWith("role.assign")
	last := evs[len(evs)-1]
	if last.Outcome != lathe.OutcomeDenied || last.Actor != "rita" || last.WorkspaceID != "ws-default" || last.Target != "rita" {
		t.Errorf("last role.assign event %+v, want rita's denied attempt in default", last)
	}
}

func TestNotMemberNotFound(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 0)
	c := newClient(t, srv)
	c.signIn(tokReader)
	for _, path := range []string{"/ui/w/secret/", "/ui/w/secret/settings", "/ui/w/nowhere/", "/ui/w/nowhere/audit", "/ui/switch?workspace=secret", "/ui/nothing-here"} {
		res, body := c.get(path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
			continue
		}
		if rid := res.Header.Get("X-Request-Id"); rid == "" || !contains(body, "Page not found", rid) {
			t.Errorf("GET %s: the 404 page lacks its title or the request id %q\n%s", path, rid, body)
		}
	}
	res, _ := c.get("/ui/w/default/audit")
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("reader on the audit page: status %d, want 403", res.StatusCode)
	}
}

func TestSwitchWorkspace(t *testing.T) {
	t.Parallel()
	_, srv := setup(t, 0)
	c := newClient(t, srv)
	c.signIn(tokOwner)
	for _, tt := range []struct{ query, want string }{
		{"workspace=vision&section=data", "/ui/w/vision/data"},
		{"workspace=vision&section=home", "/ui/w/vision/"},
		{"workspace=default&section=audit", "/ui/w/default/audit"},
		{"workspace=vision&section=../../x", "/ui/w/vision/"},
	} {
		res, _ := c.get("/ui/switch?" + tt.query)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tt.want {
			t.Errorf("switch %s: status %d to %q, want %q", tt.query, res.StatusCode, res.Header.Get("Location"), tt.want)
		}
	}
	_, body := c.get("/ui/w/vision/")
	if !contains(body, `<option value="vision" selected>`, `<option value="default">`) {
		t.Errorf("switcher does not show vision as current\n%s", body)
	}
}
