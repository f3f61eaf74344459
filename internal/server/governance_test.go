package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/web"
)

// jsonCall makes a request with a JSON body and decodes a JSON answer.
func (h *harness) jsonCall(method, path, token, body string, out any) *http.Response {
	h.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	resp := h.call(method, path, token, r, "Content-Type", "application/json")
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			h.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp
}

// newUser creates a user with a token and, if role is set, a role in ws.
func (h *harness) newUser(name, ws string, role lathe.Role) string {
	h.t.Helper()
	if resp := h.jsonCall("POST", "/api/v1/users", h.token, `{"name":"`+name+`"}`, nil); resp.StatusCode != 201 {
		h.t.Fatalf("create user %s: %d", name, resp.StatusCode)
	}
	var tok struct{ Token string }
	if resp := h.jsonCall("POST", "/api/v1/users/"+name+"/tokens", h.token, `{"name":"t"}`, &tok); resp.StatusCode != 201 {
		h.t.Fatalf("create token for %s: %d", name, resp.StatusCode)
	}
	if role != "" {
		if resp := h.jsonCall("PUT", "/api/v1/workspaces/"+ws+"/roles/"+name, h.token, `{"role":"`+string(role)+`"}`, nil); resp.StatusCode != 200 {
			h.t.Fatalf("assign %s: %d", name, resp.StatusCode)
		}
	}
	return tok.Token
}

type auditPage struct {
	Items []lathe.AuditEvent `json:"items"`
}

func (h *harness) lastAudit() lathe.AuditEvent {
	h.t.Helper()
	var p auditPage
	h.jsonCall("GET", "/api/v1/audit?limit=1", h.token, "", &p)
	if len(p.Items) != 1 {
		h.t.Fatal("audit log is empty")
	}
	return p.Items[0]
}

func TestReaderWriteIsDeniedAndAudited(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	reader := h.newUser("rita", "default", lathe.RoleReader)
	// Reading works.
	if resp := h.call("GET", "/api/v1/workspaces/default/blobs", reader, nil); resp.StatusCode != 200 {
		t.Fatalf("reader list = %d", resp.StatusCode)
	}
	writes := []struct{ method, path, body string }{
		{"POST", "/api/v1/workspaces/default/blobs", "bytes"},
		{"PUT", "/api/v1/workspaces/default/roles/rita", `{"role":"owner"}`},
		{"DELETE", "/api/v1/workspaces/default", ""},
		{"POST", "/api/v1/workspaces", `{"name":"mine"}`},
		{"POST", "/api/v1/users", `{"name":"eve"}`},
	}
	for _, w := range writes {
		resp := h.call(w.method, w.path, reader, strings.NewReader(w.body))
		wantError(t, resp, 403, lathe.EFORBIDDEN)
		e := h.lastAudit()
		if e.Actor != "rita" || e.Outcome != lathe.OutcomeDenied || e.Status != 403 || e.Target != w.method+" "+w.path || e.RequestID != resp.Header.Get("X-Request-Id") {
			t.Errorf("%s %s: audit row %+v", w.method, w.path, e)
		}
	}
	var blobs struct{ Items []any }
	h.jsonCall("GET", "/api/v1/workspaces/default/blobs", h.token, "", &blobs)
	if len(blobs.Items) != 0 {
		t.Fatal("a denied upload stored something")
	}
}

func TestTokensStopWorking(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.newUser("ann", "default", lathe.RoleDataScientist)
	var list struct{ Items []lathe.Token }
	h.jsonCall("GET", "/api/v1/users/me/tokens", tok, "", &list)
	if len(list.Items) != 1 {
		t.Fatalf("ann sees %d tokens", len(list.Items))
	}
	// Another user cannot see or revoke ann's tokens.
	other := h.newUser("bob", "", "")
	wantError(t, h.call("GET", "/api/v1/users/ann/tokens", other, nil), 403, lathe.EFORBIDDEN)
	wantError(t, h.call("DELETE", "/api/v1/tokens/"+list.Items[0].ID, other, nil), 404, lathe.ENOTFOUND)
	if resp := h.call("DELETE", "/api/v1/tokens/"+list.Items[0].ID, tok, nil); resp.StatusCode != 204 {
		t.Fatalf("revoke own token = %d", resp.StatusCode)
	}
	eb := wantError(t, h.call("GET", "/api/v1/info", tok, nil), 401, lathe.EUNAUTHORIZED)
	if !strings.Contains(eb.Error.Message, "revoked") {
		t.Errorf("message %q should say revoked", eb.Error.Message)
	}
	// An expiring token works, then does not.
	exp := time.Now().Add(1200 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	var created struct{ Token string }
	h.jsonCall("POST", "/api/v1/users/me/tokens", other, `{"name":"short","expires_at":"`+exp+`"}`, &created)
	if resp := h.call("GET", "/api/v1/info", created.Token, nil); resp.StatusCode != 200 {
		t.Fatalf("fresh token = %d", resp.StatusCode)
	}
	time.Sleep(1300 * time.Millisecond)
	eb = wantError(t, h.call("GET", "/api/v1/info", created.Token, nil), 401, lathe.EUNAUTHORIZED)
	if !strings.Contains(eb.Error.Message, "expired") {
		t.Errorf("message %q should say expired", eb.Error.Message)
	}
	// A disabled user's tokens stop working too.
	if resp := h.jsonCall("PATCH", "/api/v1/users/bob", h.token, `{"disabled":true}`, nil); resp.StatusCode != 200 {
		t.Fatalf("disable = %d", resp.StatusCode)
	}
	wantError(t, h.call("GET", "/api/v1/info", other, nil), 401, lathe.EUNAUTHORIZED)
	wantError(t, h.jsonCall("POST", "/api/v1/users/me/tokens", h.token, `{"expires_at":"2001-01-01T00:00:00Z"}`, nil), 400, lathe.EINVALID)
}

func TestWorkspaceIsolation(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	for _, ws := range []string{"team-a", "team-b"} {
		if resp := h.jsonCall("POST", "/api/v1/workspaces", h.token, `{"name":"`+ws+`"}`, nil); resp.StatusCode != 201 {
			t.Fatalf("create %s = %d", ws, resp.StatusCode)
		}
	}
	ann := h.newUser("ann", "team-a", lathe.RoleOwner)
	// Admin stores the same bytes in team-b only.
	if resp := h.call("POST", "/api/v1/workspaces/team-b/blobs", h.token, strings.NewReader("secret plans")); resp.StatusCode != 201 {
		t.Fatalf("upload = %d", resp.StatusCode)
	}
	d := digestOf([]byte("secret plans"))
	// ann (owner of team-a) cannot tell team-b exists: 404 on every route, the same as a workspace that does not exist.
	for _, path := range []string{"/api/v1/workspaces/team-b", "/api/v1/workspaces/team-b/blobs", "/api/v1/workspaces/team-b/blobs/" + d, "/api/v1/workspaces/team-b/roles"} {
		got := wantError(t, h.call("GET", path, ann, nil), 404, lathe.ENOTFOUND)
		none := wantError(t, h.call("GET", strings.Replace(path, "team-b", "team-z", 1), ann, nil), 404, lathe.ENOTFOUND)
		if got.Error.Message != strings.Replace(none.Error.Message, "team-z", "team-b", 1) {
			t.Errorf("%s: message %q differs from a missing workspace's %q", path, got.Error.Message, none.Error.Message)
		}
	}
	// Knowing the digest does not help from team-a either.
	wantError(t, h.call("GET", "/api/v1/workspaces/team-a/blobs/"+d, ann, nil), 404, lathe.ENOTFOUND)
	var list struct{ Items []lathe.WorkspaceRole }
	h.jsonCall("GET", "/api/v1/workspaces", ann, "", &list)
	if len(list.Items) != 1 || list.Items[0].Name != "team-a" || list.Items[0].Role != lathe.RoleOwner {
		t.Fatalf("ann's workspaces = %+v", list.Items)
	}
}

func TestOwnershipRules(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	h.jsonCall("POST", "/api/v1/workspaces", h.token, `{"name":"lab"}`, nil)
	ann := h.newUser("ann", "lab", lathe.RoleOwner)
	// The admin created lab and is its owner too; remove the admin, leaving ann.
	if resp := h.call("DELETE", "/api/v1/workspaces/lab/roles/admin", ann, nil); resp.StatusCode != 204 {
		t.Fatalf("revoke admin = %d", resp.StatusCode)
	}
	wantError(t, h.call("DELETE", "/api/v1/workspaces/lab/roles/ann", ann, nil), 409, lathe.ECONFLICT)
	wantError(t, h.jsonCall("PUT", "/api/v1/workspaces/lab/roles/ann", ann, `{"role":"reader"}`, nil), 409, lathe.ECONFLICT)
	wantError(t, h.jsonCall("PUT", "/api/v1/workspaces/lab/roles/ann", ann, `{"role":"wizard"}`, nil), 400, lathe.EINVALID)
	wantError(t, h.jsonCall("PUT", "/api/v1/workspaces/lab/roles/nobody", ann, `{"role":"reader"}`, nil), 404, lathe.ENOTFOUND)
	// Non-empty workspaces need force.
	h.call("POST", "/api/v1/workspaces/lab/blobs", ann, strings.NewReader("x"))
	wantError(t, h.call("DELETE", "/api/v1/workspaces/lab", ann, nil), 409, lathe.ECONFLICT)
	if resp := h.call("DELETE", "/api/v1/workspaces/lab?force=true", ann, nil); resp.StatusCode != 204 {
		t.Fatalf("forced delete = %d", resp.StatusCode)
	}
	wantError(t, h.call("GET", "/api/v1/workspaces/lab", h.token, nil), 404, lathe.ENOTFOUND)
	wantError(t, h.jsonCall("POST", "/api/v1/workspaces", h.token, `{"name":"../x"}`, nil), 400, lathe.EINVALID)
	wantError(t, h.jsonCall("POST", "/api/v1/workspaces", h.token, `{"name":"default"}`, nil), 409, lathe.ECONFLICT)
}

func TestAuditListAndVerify(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	for i := 0; i < 5; i++ {
		h.call("POST", "/api/v1/workspaces/default/blobs", h.token, strings.NewReader(fmt.Sprint(i)))
	}
	h.call("GET", "/api/v1/info", "lathe_bogus", nil)
	var p struct {
		Items      []lathe.AuditEvent
		NextCursor string `json:"next_cursor"`
	}
	h.jsonCall("GET", "/api/v1/workspaces/default/audit?action=putBlob&limit=3", h.token, "", &p)
	if len(p.Items) != 3 || p.NextCursor == "" || p.Items[0].Seq <= p.Items[1].Seq {
		t.Fatalf("first page = %+v", p)
	}
	h.jsonCall("GET", "/api/v1/workspaces/default/audit?action=putBlob&cursor="+p.NextCursor, h.token, "", &p)
	if len(p.Items) != 2 {
		t.Fatalf("second page has %d", len(p.Items))
	}
	h.jsonCall("GET", "/api/v1/audit?outcome=denied", h.token, "", &p)
	if len(p.Items) != 1 || p.Items[0].Actor != "anonymous" || p.Items[0].Status != 401 {
		t.Fatalf("denied = %+v", p.Items)
	}
	wantError(t, h.call("GET", "/api/v1/audit?since=yesterday", h.token, nil), 400, lathe.EINVALID)
	wantError(t, h.call("GET", "/api/v1/audit?outcome=maybe", h.token, nil), 400, lathe.EINVALID)
	var v lathe.AuditVerdict
	h.jsonCall("GET", "/api/v1/audit/verify", h.token, "", &v)
	if !v.OK || v.Checked < 6 {
		t.Fatalf("verdict = %+v", v)
	}
}

// TestEveryStudioRouteHasAnAccessRule walks the studio's routes: each one
// that is checked against the policy must name an action the policy knows.
func TestEveryStudioRouteHasAnAccessRule(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	routes := h.srv.StudioRoutes()
	if len(routes) < 10 {
		t.Fatalf("only %d studio routes", len(routes))
	}
	for _, rt := range routes {
		if rt.Access != web.Policy {
			continue
		}
		if _, ok := lathe.PolicyFor(rt.Action); !ok {
			t.Errorf("studio %s %s: action %q has no access rule", rt.Method, rt.Path, rt.Action)
		}
	}
}
