package e2e_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestGovernanceAsChecked follows the issue's own check on a running server:
// a reader's write is refused with 403 and an audit row; a revoked token gets
// 401; an audit row edited directly in the database makes `lathe audit
// verify` fail at that row.
func TestGovernanceAsChecked(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	p := up(t, home)
	admin := []string{"LATHE_URL=" + p.url, "LATHE_TOKEN=" + p.token(t), "LATHE_CONFIG=" + filepath.Join(t.TempDir(), "c")}

	out, stderr, code := run(t, admin, "user", "create", "rita", "--with-token", "-o", "json")
	if code != 0 {
		t.Fatalf("user create: %d %s", code, stderr)
	}
	var rita struct{ Token string }
	if err := json.Unmarshal([]byte(out), &rita); err != nil || !strings.HasPrefix(rita.Token, "lathe_") {
		t.Fatalf("user create output %q", out)
	}
	if _, stderr, code := run(t, admin, "role", "assign", "--user", "rita", "--role", "reader"); code != 0 {
		t.Fatalf("role assign: %s", stderr)
	}
	reader := []string{"LATHE_URL=" + p.url, "LATHE_TOKEN=" + rita.Token, "LATHE_CONFIG=" + filepath.Join(t.TempDir(), "c")}
	if _, stderr, code := run(t, reader, "workspace", "create", "ritas"); code != 1 || !strings.Contains(stderr, "administrator") {
		t.Fatalf("reader creating a workspace: %d %s", code, stderr)
	}
	f := filepath.Join(t.TempDir(), "x.txt")
	_ = os.WriteFile(f, []byte("x"), 0o644)
	if _, stderr, code := run(t, reader, "blob", "put", f); code != 1 || !strings.Contains(stderr, "data-scientist") {
		t.Fatalf("reader upload: %d %s", code, stderr)
	}
	out, _, _ = run(t, admin, "audit", "list", "--outcome", "denied", "-o", "json")
	var denied struct {
		Items []struct{ Actor, Action, Outcome string }
	}
	if err := json.Unmarshal([]byte(out), &denied); err != nil || len(denied.Items) < 1 || denied.Items[0].Actor != "rita" || denied.Items[0].Action != "putBlob" {
		t.Fatalf("denied audit rows: %q", out)
	}

	out, _, _ = run(t, admin, "token", "list", "--user", "rita", "-o", "json")
	var toks []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &toks); err != nil || len(toks) != 1 {
		t.Fatalf("token list: %q", out)
	}
	if _, stderr, code := run(t, admin, "token", "revoke", toks[0].ID); code != 0 {
		t.Fatalf("revoke: %s", stderr)
	}
	if _, stderr, code := run(t, reader, "info"); code != 1 || !strings.Contains(stderr, "revoked") {
		t.Fatalf("revoked token: %d %s", code, stderr)
	}

	if _, stderr, code := run(t, admin, "audit", "verify"); code != 0 {
		t.Fatalf("verify before tampering: %d %s", code, stderr)
	}
	db, err := sql.Open("sqlite", filepath.Join(home, "lathe.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `UPDATE audit_events SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = run(t, admin, "audit", "verify", "-o", "json")
	var v struct {
		OK      bool
		BadSeq  int64 `json:"bad_seq"`
		Problem string
	}
	if code != 3 || json.Unmarshal([]byte(out), &v) != nil || v.OK || v.BadSeq != 2 || !strings.Contains(v.Problem, "edited") {
		t.Fatalf("verify after tampering: exit %d, %q, %s", code, out, stderr)
	}
}
