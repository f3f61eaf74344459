// Package storetest is the conformance suite every metadata store backend
// passes: the same calls, the same results, the same errors, on SQLite and
// PostgreSQL alike.
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

// Opener opens the same fresh database each time it is called. The backend's
// test gives Run a function that makes a new, empty database and returns its
// Opener; the suite closes what it opens.
type Opener func(ctx context.Context) (*store.DB, error)

// Run runs the whole suite. fresh makes a new empty database per subtest.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Workspaces", testWorkspaces},
		{"UsersAndTokens", testUsersAndTokens},
		{"Blobs", testBlobs},
		{"BlobIsolation", testBlobIsolation},
		{"BlobPagination", testBlobPagination},
		{"ConcurrentReadWrite", testConcurrent},
		{"Reopen", testReopen},
		{"NewerSchemaRefused", testNewerSchema},
		{"Roles", testRoles},
		{"WorkspaceDelete", testWorkspaceDelete},
		{"Accounts", testAccounts},
		{"Sessions", testSessions},
		{"AuditChain", testAuditChain},
		{"AuditConcurrent", testAuditConcurrent},
		{"TrackingExperiments", testTrackingExperiments},
		{"TrackingRuns", testTrackingRuns},
		{"TrackingLogBatch", testTrackingLogBatch},
		{"TrackingHistory", testTrackingHistory},
		{"TrackingHistoryTies", testTrackingHistoryTies},
		{"MetricBuckets", testMetricBuckets},
		{"TrackingSearch", testTrackingSearch},
		{"TrackingSearchExperiments", testTrackingSearchExperiments},
		{"TrackingArtifacts", testTrackingArtifacts},
		{"FailuresStayApart", testFailuresStayApart},
		{"DataVersions", testDataVersions},
		{"Datastores", testDatastores},
		{"Jobs", testJobs},
		{"JobList", testJobList},
		{"JobLogs", testJobLogs},
		{"EnvironmentsAndComputes", testEnvironmentsAndComputes},
		{"Components", testComponents},
		{"PipelineRuns", testPipelineRuns},
		{"Schedules", testSchedules},
	}
	for i, tc := range tamperCases {
		tests = append(tests, struct {
			name string
			fn   func(t *testing.T, open Opener)
		}{"AuditTamper/" + tc.name, testAuditTamper(i)})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, fresh(t))
		})
	}
}

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func mustOpen(t *testing.T, open Opener) *store.DB {
	t.Helper()
	db, err := open(t.Context())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := lathe.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func mkWorkspace(t *testing.T, db *store.DB, name string) *lathe.Workspace {
	t.Helper()
	w := &lathe.Workspace{ID: lathe.NewID(), Name: name, CreatedAt: t0}
	if err := db.CreateWorkspace(t.Context(), w); err != nil {
		t.Fatalf("create workspace %s: %v", name, err)
	}
	return w
}

func digest(i int) lathe.Digest {
	return lathe.Digest(fmt.Sprintf("sha256:%064x", i))
}

func testWorkspaces(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := &lathe.Workspace{ID: lathe.NewID(), Name: "team-a", Description: "first", CreatedAt: t0.Add(123 * time.Millisecond), CreatedBy: "u1"}
	if err := db.CreateWorkspace(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, err := db.WorkspaceByName(ctx, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if *got != *w {
		t.Fatalf("WorkspaceByName = %+v, want %+v", got, w)
	}
	dup := &lathe.Workspace{ID: lathe.NewID(), Name: "team-a", CreatedAt: t0}
	wantCode(t, db.CreateWorkspace(ctx, dup), lathe.ECONFLICT)
	_, err = db.WorkspaceByName(ctx, "nope")
	wantCode(t, err, lathe.ENOTFOUND)

	again, err := db.EnsureWorkspace(ctx, &lathe.Workspace{ID: lathe.NewID(), Name: "team-a", CreatedAt: t0})
	if err != nil || again.ID != w.ID {
		t.Fatalf("EnsureWorkspace on existing = %+v, %v; want the first one", again, err)
	}
	for _, n := range []string{"b", "c", "d"} {
		mkWorkspace(t, db, n)
	}
	page, err := db.ListWorkspaces(ctx, "", 2)
	if err != nil || len(page) != 2 || page[0].Name != "b" || page[1].Name != "c" {
		t.Fatalf("first page = %v, %v", names(page), err)
	}
	page, err = db.ListWorkspaces(ctx, "c", 10)
	if err != nil || len(page) != 2 || page[0].Name != "d" || page[1].Name != "team-a" {
		t.Fatalf("second page = %v, %v", names(page), err)
	}
}

func names(ws []*lathe.Workspace) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out
}

func testUsersAndTokens(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	u := &lathe.User{ID: lathe.NewID(), Name: "ada", Email: "ada@example.org", Admin: true, CreatedAt: t0}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateUser(ctx, &lathe.User{ID: lathe.NewID(), Name: "ada", CreatedAt: t0}), lathe.ECONFLICT)
	got, err := db.UserByName(ctx, "ada")
	if err != nil || *got != *u {
		t.Fatalf("UserByName = %+v, %v; want %+v", got, err, u)
	}
	exp := t0.Add(time.Hour)
	tok := &lathe.Token{ID: lathe.NewID(), UserID: u.ID, Name: "ci", Prefix: "lathe_ab", Hash: "h1", CreatedAt: t0, ExpiresAt: &exp}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateToken(ctx, &lathe.Token{ID: lathe.NewID(), UserID: u.ID, Prefix: "x", Hash: "h1", CreatedAt: t0}), lathe.ECONFLICT)
	gt, gu, err := db.TokenByHash(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if gu.ID != u.ID || gt.ID != tok.ID || gt.ExpiresAt == nil || !gt.ExpiresAt.Equal(exp) || gt.LastUsedAt != nil {
		t.Fatalf("TokenByHash = %+v / %+v", gt, gu)
	}
	used := t0.Add(time.Minute)
	if err := db.TouchToken(ctx, tok.ID, used); err != nil {
		t.Fatal(err)
	}
	gt, _, _ = db.TokenByHash(ctx, "h1")
	if gt.LastUsedAt == nil || !gt.LastUsedAt.Equal(used) {
		t.Fatalf("LastUsedAt = %v, want %v", gt.LastUsedAt, used)
	}
	_, _, err = db.TokenByHash(ctx, "nope")
	wantCode(t, err, lathe.ENOTFOUND)
}

func testBlobs(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	b := &lathe.Blob{WorkspaceID: w.ID, Digest: digest(1), Size: 42, CreatedAt: t0, CreatedBy: "ada"}
	if err := db.PutBlob(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Idempotent: a second record keeps the first.
	if err := db.PutBlob(ctx, &lathe.Blob{WorkspaceID: w.ID, Digest: digest(1), Size: 42, CreatedAt: t0.Add(time.Hour), CreatedBy: "bob"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Blob(ctx, w.ID, digest(1))
	if err != nil || *got != *b {
		t.Fatalf("Blob = %+v, %v; want %+v", got, err, b)
	}
	_, err = db.Blob(ctx, w.ID, digest(2))
	wantCode(t, err, lathe.ENOTFOUND)
	ex, err := db.BlobsExist(ctx, w.ID, []lathe.Digest{digest(2), digest(1), digest(1)})
	if err != nil || fmt.Sprint(ex) != "[false true true]" {
		t.Fatalf("BlobsExist = %v, %v", ex, err)
	}
	ex, err = db.BlobsExist(ctx, w.ID, nil)
	if err != nil || len(ex) != 0 {
		t.Fatalf("BlobsExist(nil) = %v, %v", ex, err)
	}
	_, err = db.BlobsExist(ctx, w.ID, make([]lathe.Digest, store.MaxBatch+1))
	wantCode(t, err, lathe.ETOOLARGE)
	// A record for a workspace that does not exist violates the foreign key.
	if err := db.PutBlob(ctx, &lathe.Blob{WorkspaceID: "missing", Digest: digest(3), CreatedAt: t0}); err == nil {
		t.Fatal("PutBlob into a missing workspace succeeded")
	}
}

func testBlobIsolation(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	a, b := mkWorkspace(t, db, "a"), mkWorkspace(t, db, "b")
	if err := db.PutBlob(ctx, &lathe.Blob{WorkspaceID: a.ID, Digest: digest(7), Size: 1, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	_, err := db.Blob(ctx, b.ID, digest(7))
	wantCode(t, err, lathe.ENOTFOUND)
	ex, err := db.BlobsExist(ctx, b.ID, []lathe.Digest{digest(7)})
	if err != nil || ex[0] {
		t.Fatalf("workspace b sees a's blob: %v, %v", ex, err)
	}
	list, err := db.ListBlobs(ctx, b.ID, nil, 10)
	if err != nil || len(list) != 0 {
		t.Fatalf("workspace b lists %d blobs, %v", len(list), err)
	}
}

func testBlobPagination(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	const n = 25
	for i := 0; i < n; i++ {
		// Pairs share a timestamp so the digest breaks ties.
		b := &lathe.Blob{WorkspaceID: w.ID, Digest: digest(i), Size: int64(i), CreatedAt: t0.Add(time.Duration(i/2) * time.Second)}
		if err := db.PutBlob(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var seen []lathe.Digest
	var cur *lathe.Blob
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("pagination does not end")
		}
		page, err := db.ListBlobs(ctx, w.ID, cur, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page {
			seen = append(seen, b.Digest)
		}
		if len(page) < 4 {
			break
		}
		cur = page[len(page)-1]
	}
	if len(seen) != n {
		t.Fatalf("saw %d blobs over all pages, want %d", len(seen), n)
	}
	for i, d := range seen {
		if want := digest(n - 1 - i); d != want {
			t.Fatalf("position %d: %s, want %s (newest first, digest descending on ties)", i, d, want)
		}
	}
}

// testConcurrent runs writers and readers at once; none may see an error
// (in particular SQLite's "database is locked").
func testConcurrent(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	const writers, readers, each = 8, 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	for g := 0; g < writers; g++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				b := &lathe.Blob{WorkspaceID: w.ID, Digest: digest(g*1000 + i), Size: 1, CreatedAt: t0}
				if err := db.PutBlob(ctx, b); err != nil {
					errs <- fmt.Errorf("writer %d: %w", g, err)
					return
				}
			}
		})
	}
	for g := 0; g < readers; g++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				if _, err := db.ListBlobs(ctx, w.ID, nil, 50); err != nil {
					errs <- fmt.Errorf("reader %d: %w", g, err)
					return
				}
				if _, err := db.BlobsExist(ctx, w.ID, []lathe.Digest{digest(i), digest(1000 + i)}); err != nil {
					errs <- fmt.Errorf("reader %d: %w", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var total int
	var cur *lathe.Blob
	for {
		page, err := db.ListBlobs(ctx, w.ID, cur, 100)
		if err != nil {
			t.Fatal(err)
		}
		total += len(page)
		if len(page) < 100 {
			break
		}
		cur = page[len(page)-1]
	}
	if total != writers*each {
		t.Fatalf("stored %d blobs, want %d", total, writers*each)
	}
}

func testReopen(t *testing.T, open Opener) {
	ctx := t.Context()
	db, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mkWorkspace(t, db, "kept")
	v := db.SchemaVersion()
	if v != store.LatestSchema(db.Dialect()) || v < 1 {
		t.Fatalf("SchemaVersion = %d, want %d", v, store.LatestSchema(db.Dialect()))
	}
	_ = db.Close()
	db2 := mustOpen(t, open)
	if _, err := db2.WorkspaceByName(ctx, "kept"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if db2.SchemaVersion() != v {
		t.Fatalf("reopened at version %d, want %d", db2.SchemaVersion(), v)
	}
}

func testNewerSchema(t *testing.T, open Opener) {
	ctx := t.Context()
	db, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0)`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	_, err = open(ctx)
	wantCode(t, err, lathe.EUNSUPPORTED)
	if msg := lathe.ErrorMessage(err); !contains(msg, "999") || !contains(msg, "newer lathe") {
		t.Fatalf("message %q should name the version and what to do", msg)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
