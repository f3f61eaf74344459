package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func TestParseRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h              string
		size           int64
		off, n         int64
		partial, valid bool
	}{
		{"", 10, 0, 10, false, true},
		{"bytes=0-0", 10, 0, 1, true, true},
		{"bytes=2-5", 10, 2, 4, true, true},
		{"bytes=2-", 10, 2, 8, true, true},
		{"bytes=8-100", 10, 8, 2, true, true},
		{"bytes=-3", 10, 7, 3, true, true},
		{"bytes=-30", 10, 0, 10, true, true},
		{"bytes=0-1,4-5", 10, 0, 10, false, true},
		{"bytes=10-", 10, 0, 0, false, false},
		{"bytes=5-2", 10, 0, 0, false, false},
		{"bytes=-0", 10, 0, 0, false, false},
		{"bytes=x-", 10, 0, 0, false, false},
		{"items=0-1", 10, 0, 0, false, false},
		{"bytes=0-", 0, 0, 0, false, false},
	}
	for _, tc := range tests {
		off, n, partial, err := parseRange(tc.h, tc.size)
		if (err == nil) != tc.valid {
			t.Errorf("parseRange(%q, %d) err = %v, want valid=%v", tc.h, tc.size, err, tc.valid)
			continue
		}
		if err != nil {
			if !lathe.IsCode(err, lathe.ERANGE) {
				t.Errorf("parseRange(%q) code = %s, want range", tc.h, lathe.ErrorCode(err))
			}
			continue
		}
		if off != tc.off || n != tc.n || partial != tc.partial {
			t.Errorf("parseRange(%q, %d) = %d,%d,%v; want %d,%d,%v", tc.h, tc.size, off, n, partial, tc.off, tc.n, tc.partial)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	type body struct {
		Digests []string `json:"digests"`
		N       int      `json:"n"`
	}
	tests := []struct {
		name, body, ctype, code, mention string
	}{
		{"ok", `{"digests":["a"],"n":1}`, "application/json", "", ""},
		{"ok without content type", `{"n":1}`, "", "", ""},
		{"empty", ``, "", lathe.EINVALID, "empty"},
		{"syntax", `{"n":}`, "", lathe.EINVALID, "byte"},
		{"truncated", `{"n":1`, "", lathe.EINVALID, ""},
		{"unknown field", `{"n":1,"extra":true}`, "", lathe.EINVALID, `"extra"`},
		{"wrong type", `{"n":"one"}`, "", lathe.EINVALID, `"n"`},
		{"trailing", `{"n":1}{"n":2}`, "", lathe.EINVALID, "after the JSON object"},
		{"too big", `{"digests":["` + strings.Repeat("a", 200) + `"]}`, "", lathe.ETOOLARGE, "100 bytes"},
		{"wrong content type", `{"n":1}`, "text/plain", lathe.EINVALID, "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			var v body
			err := decodeJSON(httptest.NewRecorder(), r, 100, &v)
			if got := lathe.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.code)
			}
			if tc.mention != "" && !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("message %q should mention %q", err, tc.mention)
			}
		})
	}
}

func TestStatusMapping(t *testing.T) {
	t.Parallel()
	tests := map[string]int{
		lathe.EINVALID: 400, lathe.EUNAUTHORIZED: 401, lathe.EFORBIDDEN: 403, lathe.ENOTFOUND: 404,
		lathe.ECONFLICT: 409, lathe.ETOOLARGE: 413, lathe.ERANGE: 416, lathe.EUNSUPPORTED: 422,
		lathe.EINTERNAL: 500, lathe.ECORRUPT: 500, lathe.EUNAVAILABLE: 503,
	}
	for code, want := range tests {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
	if Status("") != http.StatusOK {
		t.Error("Status(\"\") should be 200")
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Request-Id", "client-id_1.2")
	if got := requestID(r); got != "client-id_1.2" {
		t.Errorf("well-formed client id not kept: %q", got)
	}
	r.Header.Set("X-Request-Id", "bad id\n")
	if got := requestID(r); got == "bad id\n" || len(got) != 24 {
		t.Errorf("malformed client id kept or bad replacement: %q", got)
	}
}

// TestEveryRouteHasAnAccessRule walks the route table: a route whose action
// has no rule in the policy would be unreachable (or, worse, unchecked).
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	t.Parallel()
	a := New(Options{})
	if len(a.Routes()) < 10 {
		t.Fatalf("only %d routes", len(a.Routes()))
	}
	for _, rt := range a.Routes() {
		rule, ok := lathe.PolicyFor(rt.Action)
		if rt.Action == "" || !ok {
			t.Errorf("%s %s (%s) has no access rule for action %q", rt.Method, rt.Path, rt.ID, rt.Action)
			continue
		}
		if rule.Need == lathe.NeedRole && !strings.Contains(rt.Path, "{workspace}") {
			t.Errorf("%s %s needs a workspace role but has no {workspace} in its path", rt.Method, rt.Path)
		}
		if rule.Need == lathe.NeedPublic && strings.HasPrefix(rt.Path, "/api/") && rt.Action != lathe.ActSignedUpload {
			t.Errorf("%s %s is public but under /api/: every API route needs a token", rt.Method, rt.Path)
		}
	}
}

func TestPolicyRanks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		have, need lathe.Role
		ok         bool
	}{
		{lathe.RoleOwner, lathe.RoleReader, true},
		{lathe.RoleReader, lathe.RoleDataScientist, false},
		{lathe.RoleDataScientist, lathe.RoleDataScientist, true},
		{lathe.RoleDataScientist, lathe.RoleContributor, false},
		{lathe.RoleContributor, lathe.RoleOwner, false},
		{"", lathe.RoleReader, false},
		{lathe.RoleOwner, "", false},
	}
	for _, tc := range tests {
		if got := tc.have.AtLeast(tc.need); got != tc.ok {
			t.Errorf("%q.AtLeast(%q) = %v", tc.have, tc.need, got)
		}
	}
	for _, in := range []string{"Data Scientist", "data_scientist", "DATA-SCIENTIST", "datascientist"} {
		if r, err := lathe.ParseRole(in); err != nil || r != lathe.RoleDataScientist {
			t.Errorf("ParseRole(%q) = %q, %v", in, r, err)
		}
	}
	if _, err := lathe.ParseRole("admin"); err == nil {
		t.Error("ParseRole(admin) should fail: admin is not a workspace role")
	}
}

func TestUncleanPathsAreRefused(t *testing.T) {
	t.Parallel()
	a := New(Options{})
	tests := []struct {
		path, code string
		status     int
	}{
		{"/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/../../2/other/artifacts/x", `"error_code":"INVALID_PARAMETER_VALUE"`, 400},
		{"/api/v1/workspaces/default/blobs/./x", `"code":"invalid"`, 400},
		{"/api/v1//info", `"code":"invalid"`, 400},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("PUT", "/", strings.NewReader("body"))
		req.URL.Path = tc.path
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.code) || rec.Header().Get("Location") != "" {
			t.Errorf("%s: %d %s (Location %q)", tc.path, rec.Code, rec.Body, rec.Header().Get("Location"))
		}
	}
	for _, p := range []string{"/", "/ui/", "/api/v1/info", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a.txt"} {
		if !isClean(p) {
			t.Errorf("isClean(%q) = false", p)
		}
	}
}
