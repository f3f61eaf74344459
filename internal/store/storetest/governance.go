package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

func mkUser(t *testing.T, db *store.DB, name string) *lathe.User {
	t.Helper()
	u := &lathe.User{ID: lathe.NewID(), Name: name, CreatedAt: t0}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func assign(t *testing.T, db *store.DB, w *lathe.Workspace, u *lathe.User, r lathe.Role) error {
	t.Helper()
	return db.AssignRole(t.Context(), &lathe.RoleAssignment{WorkspaceID: w.ID, Workspace: w.Name, UserID: u.ID, Role: r, CreatedAt: t0, CreatedBy: "test"})
}

func testRoles(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w, other := mkWorkspace(t, db, "ws"), mkWorkspace(t, db, "other")
	ann, bob := mkUser(t, db, "ann"), mkUser(t, db, "bob")
	if err := assign(t, db, w, ann, lathe.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := assign(t, db, w, bob, lathe.RoleReader); err != nil {
		t.Fatal(err)
	}
	if err := assign(t, db, other, bob, lathe.RoleContributor); err != nil {
		t.Fatal(err)
	}
	// The last owner can be neither demoted nor removed.
	wantCode(t, assign(t, db, w, ann, lathe.RoleReader), lathe.ECONFLICT)
	wantCode(t, db.RevokeRole(ctx, w.ID, w.Name, ann.ID), lathe.ECONFLICT)
	// With a second owner, the first can go.
	if err := assign(t, db, w, bob, lathe.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := assign(t, db, w, ann, lathe.RoleDataScientist); err != nil {
		t.Fatalf("demote with another owner present: %v", err)
	}
	r, err := db.Role(ctx, w.ID, ann.ID)
	if err != nil || r.Role != lathe.RoleDataScientist || r.User != "ann" || r.Workspace != "ws" {
		t.Fatalf("Role = %+v, %v", r, err)
	}
	list, err := db.ListRoles(ctx, w.ID)
	if err != nil || len(list) != 2 || list[0].User != "ann" || list[1].Role != lathe.RoleOwner {
		t.Fatalf("ListRoles = %v, %v", list, err)
	}
	mine, err := db.ListUserRoles(ctx, bob.ID)
	if err != nil || len(mine) != 2 || mine[0].Workspace != "other" || mine[0].Role != lathe.RoleContributor {
		t.Fatalf("ListUserRoles = %v, %v", mine, err)
	}
	if err := db.RevokeRole(ctx, w.ID, w.Name, ann.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.Role(ctx, w.ID, ann.ID)
	wantCode(t, err, lathe.ENOTFOUND)
	wantCode(t, db.RevokeRole(ctx, w.ID, w.Name, ann.ID), lathe.ENOTFOUND)
	if n, err := db.CountMembers(ctx, w.ID); err != nil || n != 1 {
		t.Fatalf("CountMembers = %d, %v", n, err)
	}
}

func testWorkspaceDelete(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "doomed")
	u := mkUser(t, db, "ann")
	if err := assign(t, db, w, u, lathe.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := db.PutBlob(ctx, &lathe.Blob{WorkspaceID: w.ID, Digest: digest(1), Size: 10, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	usage, err := db.WorkspaceUsage(ctx, w.ID)
	if err != nil || usage["blobs"] != 1 {
		t.Fatalf("usage = %v, %v", usage, err)
	}
	if n, b, err := db.CountBlobs(ctx, w.ID); err != nil || n != 1 || b != 10 {
		t.Fatalf("CountBlobs = %d, %d, %v", n, b, err)
	}
	err = db.DeleteWorkspace(ctx, w.ID, w.Name, false)
	wantCode(t, err, lathe.ECONFLICT)
	if _, err := db.WorkspaceByName(ctx, "doomed"); err != nil {
		t.Fatalf("refused delete changed something: %v", err)
	}
	if err := db.DeleteWorkspace(ctx, w.ID, w.Name, true); err != nil {
		t.Fatal(err)
	}
	_, err = db.WorkspaceByName(ctx, "doomed")
	wantCode(t, err, lathe.ENOTFOUND)
	if roles, _ := db.ListUserRoles(ctx, u.ID); len(roles) != 0 {
		t.Fatalf("roles survived the workspace: %v", roles)
	}
	wantCode(t, db.DeleteWorkspace(ctx, w.ID, w.Name, true), lathe.ENOTFOUND)
	// The name can be used again, and the new workspace starts empty.
	w2 := mkWorkspace(t, db, "doomed")
	if ex, _ := db.BlobsExist(ctx, w2.ID, []lathe.Digest{digest(1)}); ex[0] {
		t.Fatal("a recreated workspace sees the old one's blobs")
	}
}

func testAccounts(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	bob, ann := mkUser(t, db, "bob"), mkUser(t, db, "ann")
	users, err := db.ListUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Name != "ann" {
		t.Fatalf("ListUsers = %v, %v", users, err)
	}
	if err := db.SetUserDisabled(ctx, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	if u, _ := db.UserByID(ctx, bob.ID); !u.Disabled {
		t.Fatal("disable did not stick")
	}
	wantCode(t, db.SetUserDisabled(ctx, "nobody", true), lathe.ENOTFOUND)
	for i, name := range []string{"first", "second"} {
		tok := &lathe.Token{ID: fmt.Sprint("tok-", i), UserID: ann.ID, Name: name, Prefix: "p", Hash: fmt.Sprint("hash-", i), CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := db.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	toks, err := db.ListTokens(ctx, ann.ID)
	if err != nil || len(toks) != 2 || toks[0].Name != "second" {
		t.Fatalf("ListTokens = %v, %v", toks, err)
	}
	at := t0.Add(time.Hour)
	if err := db.RevokeToken(ctx, "tok-0", at); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, "tok-0", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	tok, err := db.Token(ctx, "tok-0")
	if err != nil || tok.RevokedAt == nil || !tok.RevokedAt.Equal(at) {
		t.Fatalf("revoked token = %+v, %v (revoking twice must keep the first time)", tok, err)
	}
	wantCode(t, db.RevokeToken(ctx, "nope", at), lathe.ENOTFOUND)
}

func testSessions(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	u := mkUser(t, db, "ann")
	s := &lathe.Session{ID: lathe.NewID(), UserID: u.ID, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := db.CreateSession(ctx, s, "sh"); err != nil {
		t.Fatal(err)
	}
	got, gu, err := db.SessionByHash(ctx, "sh")
	if err != nil || *got != *s || gu.Name != "ann" {
		t.Fatalf("SessionByHash = %+v %+v %v", got, gu, err)
	}
	if err := db.CreateSignInLink(ctx, "lh", u.ID, t0, t0.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UseSignInLink(ctx, "lh", t0.Add(20*time.Minute)); !lathe.IsCode(err, lathe.EUNAUTHORIZED) {
		t.Fatalf("expired link: %v", err)
	}
	if err := db.CreateSignInLink(ctx, "lh2", u.ID, t0, t0.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	lu, err := db.UseSignInLink(ctx, "lh2", t0.Add(time.Minute))
	if err != nil || lu.ID != u.ID {
		t.Fatalf("UseSignInLink = %v, %v", lu, err)
	}
	_, err = db.UseSignInLink(ctx, "lh2", t0.Add(2*time.Minute))
	wantCode(t, err, lathe.EUNAUTHORIZED)
	n, err := db.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 3 (1 session + 2 links)", n, err)
	}
	if err := db.DeleteSession(ctx, "sh"); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.SessionByHash(ctx, "sh")
	wantCode(t, err, lathe.ENOTFOUND)
}

func event(i int, ws *lathe.Workspace, actor, action string) *lathe.AuditEvent {
	e := &lathe.AuditEvent{Time: t0.Add(time.Duration(i) * time.Minute), Actor: actor, Action: action, Target: fmt.Sprint("/t/", i),
		Outcome: lathe.OutcomeSuccess, Status: 200, RequestID: fmt.Sprint("r", i)}
	if ws != nil {
		e.WorkspaceID, e.Workspace = ws.ID, ws.Name
	}
	return e
}

func testAuditChain(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	for i := 0; i < 10; i++ {
		actor, action := "ann", "putBlob"
		if i%3 == 0 {
			actor, action = "bob", "assignRole"
		}
		var ws *lathe.Workspace
		if i%2 == 0 {
			ws = w
		}
		e := event(i, ws, actor, action)
		if err := db.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i+1) || e.Hash == "" || e.Hash != e.ComputeHash() {
			t.Fatalf("append %d: seq %d hash %q", i, e.Seq, e.Hash)
		}
	}
	v, err := db.VerifyAudit(ctx)
	if err != nil || !v.OK || v.Checked != 10 || v.LastSeq != 10 {
		t.Fatalf("VerifyAudit = %+v, %v", v, err)
	}
	tests := []struct {
		name string
		f    lathe.AuditFilter
		want []int64
	}{
		{"all newest first", lathe.AuditFilter{Limit: 3}, []int64{10, 9, 8}},
		{"by actor", lathe.AuditFilter{Actor: "bob"}, []int64{10, 7, 4, 1}},
		{"by workspace", lathe.AuditFilter{WorkspaceID: w.ID, Limit: 2}, []int64{9, 7}},
		{"by action prefix", lathe.AuditFilter{Action: "assign*"}, []int64{10, 7, 4, 1}},
		{"prefix is not a pattern", lathe.AuditFilter{Action: "put_*"}, nil},
		{"since", lathe.AuditFilter{Since: t0.Add(8 * time.Minute)}, []int64{10, 9}},
		{"page", lathe.AuditFilter{BeforeSeq: 3}, []int64{2, 1}},
	}
	for _, tc := range tests {
		got, err := db.ListAudit(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		if fmt.Sprint(seqs) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, seqs, tc.want)
		}
	}
	if n, err := db.CountAudit(ctx, w.ID, t0.Add(5*time.Minute)); err != nil || n != 2 {
		t.Errorf("CountAudit = %d, %v", n, err)
	}
}

// tamperCases edit, delete and reorder audit rows behind the store's back;
// verification must name the first row touched.
var tamperCases = []struct {
	name    string
	tamper  []string
	bad     int64
	mention string
}{
	{"edit", []string{`UPDATE audit_events SET actor = 'mallory' WHERE seq = 4`}, 4, "edited"},
	{"delete", []string{`DELETE FROM audit_events WHERE seq = 3`}, 4, "missing"},
	{"reorder", []string{
		`UPDATE audit_events SET seq = 100 WHERE seq = 5`,
		`UPDATE audit_events SET seq = 5 WHERE seq = 6`,
		`UPDATE audit_events SET seq = 6 WHERE seq = 100`,
	}, 5, "does not link"},
	{"rewrite with a fresh hash", []string{`UPDATE audit_events SET hash = 'x', actor = 'mallory' WHERE seq = 7`}, 7, "edited"},
}

// testAuditTamper runs tamper case i on its own database.
func testAuditTamper(i int) func(t *testing.T, open Opener) {
	return func(t *testing.T, open Opener) {
		tc := tamperCases[i]
		ctx := t.Context()
		db := mustOpen(t, open)
		for i := 0; i < 8; i++ {
			if err := db.AppendAudit(ctx, event(i, nil, "ann", "x")); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range tc.tamper {
			if _, err := db.SQL().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		v, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.OK || v.BadSeq != tc.bad || !strings.Contains(v.Problem, tc.mention) {
			t.Fatalf("verdict = %+v; want a break at row %d mentioning %q", v, tc.bad, tc.mention)
		}
	}
}

// testAuditConcurrent appends from many goroutines: the chain must come out
// whole, with no gaps or forks.
func testAuditConcurrent(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 15; i++ {
				if err := db.AppendAudit(context.WithoutCancel(ctx), event(i, nil, fmt.Sprint("w", g), "x")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v, err := db.VerifyAudit(ctx)
	if err != nil || !v.OK || v.Checked != 120 {
		t.Fatalf("after concurrent appends: %+v, %v", v, err)
	}
}

// testFailuresStayApart runs many writes at once where some fail: with group
// commit they share transactions, yet each failure must undo only itself.
func testFailuresStayApart(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	var wg sync.WaitGroup
	var mu sync.Mutex
	dupOK, uniqueOK := 0, 0
	for g := 0; g < 24; g++ {
		wg.Go(func() {
			name := fmt.Sprint("unique-", g)
			if g%2 == 1 {
				name = "dup"
			}
			err := db.CreateWorkspace(ctx, &lathe.Workspace{ID: lathe.NewID(), Name: name, CreatedAt: t0})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && name == "dup":
				dupOK++
			case err == nil:
				uniqueOK++
			case !lathe.IsCode(err, lathe.ECONFLICT):
				t.Errorf("create %s: %v", name, err)
			}
		})
	}
	wg.Wait()
	if dupOK != 1 || uniqueOK != 12 {
		t.Fatalf("%d creations of the duplicate name succeeded (want 1), %d unique ones (want 12)", dupOK, uniqueOK)
	}
	list, err := db.ListWorkspaces(ctx, "", 100)
	if err != nil || len(list) != 13 {
		t.Fatalf("%d workspaces stored (want 13): %v", len(list), err)
	}
}
