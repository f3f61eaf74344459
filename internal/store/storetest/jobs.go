package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

func mkJob(ws *lathe.Workspace, name string, at time.Time) *lathe.Job {
	lr := "0.1"
	return &lathe.Job{WorkspaceID: ws.ID, Workspace: ws.Name, ID: lathe.NewID(), Name: name, Type: "command", Status: lathe.JobQueued, Compute: "local",
		Environment: "host", Attempt: 1, CreatedAt: at, UpdatedAt: at, CreatedBy: "ann", CreatedByID: "u1",
		Spec: lathe.JobSpec{Command: "echo ${{inputs.lr}}", Inputs: map[string]lathe.JobInput{"lr": {Type: "number", Value: &lr}},
			Outputs: map[string]lathe.JobOutput{"model": {Type: lathe.DataURIFolder}}, Tags: map[string]string{"team": "risk"}}}
}

func testJobs(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w, other := mkWorkspace(t, db, "ws"), mkWorkspace(t, db, "other")
	j := mkJob(w, "job-1", t0)
	in := []lathe.JobLineage{{Direction: "input", Port: "train", DataName: "bank", DataVersion: "3"}}
	if err := db.CreateJob(ctx, j, lathe.JobEvent{At: t0, Status: lathe.JobQueued, Message: "submitted"}, in); err != nil {
		t.Fatal(err)
	}
	got, err := db.Job(ctx, w.ID, "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Fatalf("Job = %+v\nwant %+v", got, j)
	}
	if byID, err := db.JobByID(ctx, j.ID); err != nil || byID.Name != "job-1" {
		t.Fatalf("JobByID = %v, %v", byID, err)
	}
	wantCode(t, db.CreateJob(ctx, mkJob(w, "job-1", t0), lathe.JobEvent{At: t0, Status: lathe.JobQueued}, nil), lathe.ECONFLICT)
	if err := db.CreateJob(ctx, mkJob(other, "job-1", t0), lathe.JobEvent{At: t0, Status: lathe.JobQueued}, nil); err != nil {
		t.Fatalf("the same name in another workspace: %v", err)
	}
	_, err = db.Job(ctx, w.ID, "nope")
	wantCode(t, err, lathe.ENOTFOUND)

	// A start: status, token, lease and event in one step.
	at := t0.Add(time.Second)
	exp := at.Add(time.Hour)
	tok := &lathe.Token{ID: lathe.NewID(), UserID: "u1", Name: "job:" + j.ID, Prefix: "lathe_ab", Hash: "job-hash", CreatedAt: at, ExpiresAt: &exp}
	if err := db.CreateUser(ctx, &lathe.User{ID: "u1", Name: "ann", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	attempt := 1
	started, err := db.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobQueued}, Status: lathe.JobPreparing, At: at, Message: "on local",
		Attempt: &attempt, Token: tok, Lease: &store.JobLease{Holder: "h1", Compute: "local", AcquiredAt: at, ExpiresAt: at.Add(30 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	if started.Status != lathe.JobPreparing || started.TokenID != tok.ID || !started.UpdatedAt.Equal(at) {
		t.Fatalf("after start: %+v", started)
	}
	if gt, _, err := db.TokenByHash(ctx, "job-hash"); err != nil || gt.Name != "job:"+j.ID {
		t.Fatalf("job token = %+v, %v", gt, err)
	}
	// A transition from the wrong status changes nothing.
	_, err = db.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobQueued}, Status: lathe.JobCanceled, At: at})
	wantCode(t, err, lathe.ECONFLICT)
	if err := db.SetLeaseHandle(ctx, j.ID, "h1", "pid:42"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.SetLeaseHandle(ctx, j.ID, "h2", "pid:43"), lathe.ECONFLICT)
	if n, err := db.RenewLeases(ctx, "h1", at.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("RenewLeases = %d, %v", n, err)
	}
	l, err := db.Lease(ctx, j.ID)
	if err != nil || l.Handle != "pid:42" || !l.ExpiresAt.Equal(at.Add(time.Minute)) || l.Holder != "h1" {
		t.Fatalf("Lease = %+v, %v", l, err)
	}
	if ok, err := db.TakeLease(ctx, j.ID, "h9", "h2", at); err != nil || ok {
		t.Fatalf("TakeLease from a holder that does not hold it = %v, %v", ok, err)
	}
	if ok, err := db.TakeLease(ctx, j.ID, "h1", "h2", at.Add(2*time.Minute)); err != nil || !ok {
		t.Fatalf("TakeLease = %v, %v", ok, err)
	}
	if ls, err := db.Leases(ctx); err != nil || len(ls) != 1 || ls[0].Holder != "h2" {
		t.Fatalf("Leases = %v, %v", ls, err)
	}

	run := at.Add(time.Second)
	if _, err := db.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobPreparing}, Status: lathe.JobRunning, At: run, StartedAt: &run}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordJobOutput(ctx, j.ID, "model", lathe.DefaultOutputName("job-1", "model"), "1", run); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.RecordJobOutput(ctx, j.ID, "model", "x", "2", run), lathe.ECONFLICT)
	wantCode(t, db.RecordJobOutput(ctx, j.ID, "nope", "x", "2", run), lathe.ENOTFOUND)
	end := run.Add(time.Second)
	code, reason, failure := 0, "", ""
	done, err := db.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobRunning}, Status: lathe.JobCompleted, At: end, EndedAt: &end,
		ExitCode: &code, Reason: &reason, Failure: &failure, RevokeToken: true, DropLease: true})
	if err != nil {
		t.Fatal(err)
	}
	if done.ExitCode == nil || *done.ExitCode != 0 || done.EndedAt == nil || !done.StartedAt.Equal(run) ||
		done.Spec.Outputs["model"].Data != "azureml_job-1_output_model:1" {
		t.Fatalf("completed job = %+v", done)
	}
	if gt, _, _ := db.TokenByHash(ctx, "job-hash"); gt == nil || gt.RevokedAt == nil {
		t.Fatalf("the job token was not revoked: %+v", gt)
	}
	_, err = db.Lease(ctx, j.ID)
	wantCode(t, err, lathe.ENOTFOUND)

	evs, err := db.JobEvents(ctx, j.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		statuses = append(statuses, e.Status)
	}
	if fmt.Sprint(statuses) != "[queued preparing running completed]" || evs[0].Message != "submitted" || evs[1].Message != "on local" {
		t.Fatalf("events = %+v", evs)
	}
	if page, _ := db.JobEvents(ctx, j.ID, 2, 1); len(page) != 1 || page[0].Seq != 3 {
		t.Fatalf("events after 2 = %+v", page)
	}
	lin, err := db.JobLineage(ctx, j.ID)
	if err != nil || len(lin) != 2 || lin[0].Direction != "input" || lin[0].DataName != "bank" || lin[1].Direction != "output" || lin[1].Job != "job-1" {
		t.Fatalf("JobLineage = %+v, %v", lin, err)
	}
	if dl, err := db.DataLineage(ctx, w.ID, "bank", "3"); err != nil || len(dl) != 1 || dl[0].Job != "job-1" {
		t.Fatalf("DataLineage = %+v, %v", dl, err)
	}
	if dl, _ := db.DataLineage(ctx, other.ID, "bank", "3"); len(dl) != 0 {
		t.Fatalf("another workspace sees lineage: %+v", dl)
	}
}

func testJobList(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	const n = 13
	for i := 0; i < n; i++ {
		j := mkJob(w, fmt.Sprintf("job-%02d", i), t0.Add(time.Duration(i/2)*time.Second)) // pairs share a time
		if i%3 == 0 {
			j.Status = lathe.JobRunning
		}
		if err := db.CreateJob(ctx, j, lathe.JobEvent{At: j.CreatedAt, Status: j.Status}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	q := store.JobQuery{Limit: 4}
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("pagination does not end")
		}
		page, err := db.ListJobs(ctx, w.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range page {
			seen = append(seen, j.Name)
		}
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.AfterTime, q.AfterName = &last.CreatedAt, last.Name
	}
	if len(seen) != n || seen[0] != "job-12" || seen[1] != "job-11" || seen[n-1] != "job-00" {
		t.Fatalf("paged names = %v", seen)
	}
	running, err := db.ListJobs(ctx, w.ID, store.JobQuery{Statuses: []string{lathe.JobRunning}, Limit: 100})
	if err != nil || len(running) != 5 {
		t.Fatalf("running jobs = %d, %v", len(running), err)
	}
	all, err := db.JobsByStatus(ctx, lathe.JobQueued, lathe.JobRunning)
	if err != nil || len(all) != n || all[0].Name != "job-00" && all[0].Name != "job-01" {
		t.Fatalf("JobsByStatus = %d, %v", len(all), err)
	}
	counts, err := db.CountJobs(ctx, w.ID)
	if err != nil || counts[lathe.JobRunning] != 5 || counts[lathe.JobQueued] != 8 {
		t.Fatalf("CountJobs = %v, %v", counts, err)
	}
}

func testJobLogs(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	j := mkJob(w, "chatty", t0)
	if err := db.CreateJob(ctx, j, lathe.JobEvent{At: t0, Status: lathe.JobQueued}, nil); err != nil {
		t.Fatal(err)
	}
	const max = 1000
	var sent []lathe.LogLine
	for c := 0; c < 5; c++ {
		var lines []lathe.LogLine
		for i := 0; i < 7; i++ {
			s := lathe.StreamStdout
			if i%3 == 1 {
				s = lathe.StreamStderr
			}
			lines = append(lines, lathe.LogLine{Stream: s, Time: int64(c*100 + i), Text: fmt.Sprintf("chunk %d line %d", c, i)})
		}
		res, err := db.AppendJobLogs(ctx, j.ID, lines, max)
		if err != nil {
			t.Fatal(err)
		}
		if res.First != int64(c*7+1) || res.Stored != 7 || res.Truncated {
			t.Fatalf("append %d = %+v", c, res)
		}
		for i := range lines {
			lines[i].N = int64(c*7 + i + 1)
		}
		sent = append(sent, lines...)
	}
	all, err := db.JobLogs(ctx, j.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, sent) {
		t.Fatalf("JobLogs = %+v\nwant %+v", all, sent)
	}
	// Pages that start and end inside chunks.
	var paged []lathe.LogLine
	for after := int64(0); ; {
		page, err := db.JobLogs(ctx, j.ID, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if len(page) < 4 {
			break
		}
		after = page[len(page)-1].N
	}
	if !reflect.DeepEqual(paged, sent) {
		t.Fatalf("paged logs differ: %d lines, want %d", len(paged), len(sent))
	}
	// The cap: a long line past the limit is replaced by one system line,
	// and later appends store nothing.
	res, err := db.AppendJobLogs(ctx, j.ID, []lathe.LogLine{{Stream: lathe.StreamStdout, Text: "fits"}, {Stream: lathe.StreamStdout, Text: strings.Repeat("x", max)}}, max)
	if err != nil || res.Stored != 2 || !res.Truncated {
		t.Fatalf("append over the cap = %+v, %v", res, err)
	}
	res, err = db.AppendJobLogs(ctx, j.ID, []lathe.LogLine{{Stream: lathe.StreamStdout, Text: "dropped"}}, max)
	if err != nil || res.Stored != 0 || !res.Truncated {
		t.Fatalf("append after the cap = %+v, %v", res, err)
	}
	tail, _ := db.JobLogs(ctx, j.ID, 35, 10)
	if len(tail) != 2 || tail[0].Text != "fits" || tail[1].Stream != lathe.StreamSystem || !strings.Contains(tail[1].Text, "limit") {
		t.Fatalf("tail = %+v", tail)
	}
	if got, _ := db.Job(ctx, w.ID, "chatty"); got.LogLines != 37 || got.LogBytes != max {
		t.Fatalf("counters = %d lines, %d bytes", got.LogLines, got.LogBytes)
	}
	_, err = db.AppendJobLogs(ctx, j.ID, make([]lathe.LogLine, store.MaxLogChunkLines+1), max)
	wantCode(t, err, lathe.ETOOLARGE)
}

func testEnvironmentsAndComputes(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w, other := mkWorkspace(t, db, "ws"), mkWorkspace(t, db, "other")
	mk := func(name, version string, at time.Time, pkgs ...string) *lathe.Environment {
		spec := lathe.EnvironmentSpec{Packages: pkgs}
		return &lathe.Environment{WorkspaceID: w.ID, Name: name, Version: version, Kind: spec.Kind(), Spec: spec, Digest: spec.Digest(),
			Tags: map[string]string{"a": "b"}, CreatedAt: at, CreatedBy: "ann"}
	}
	if n, err := db.NextEnvironmentVersion(ctx, w.ID, "sk"); err != nil || n != 1 {
		t.Fatalf("NextEnvironmentVersion = %d, %v", n, err)
	}
	e1 := mk("sk", "1", t0, "scikit-learn==1.5.0")
	for _, e := range []*lathe.Environment{e1, mk("sk", "2", t0.Add(time.Second), "scikit-learn==1.5.1"), mk("base", "1", t0)} {
		if err := db.CreateEnvironment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, db.CreateEnvironment(ctx, mk("sk", "1", t0)), lathe.ECONFLICT)
	if got, err := db.Environment(ctx, w.ID, "sk", "1"); err != nil || !reflect.DeepEqual(got, e1) {
		t.Fatalf("Environment = %+v, %v\nwant %+v", got, err, e1)
	}
	if l, err := db.LatestEnvironment(ctx, w.ID, "sk"); err != nil || l.Version != "2" || l.Kind != lathe.EnvPython {
		t.Fatalf("LatestEnvironment = %+v, %v", l, err)
	}
	_, err := db.LatestEnvironment(ctx, other.ID, "sk")
	wantCode(t, err, lathe.ENOTFOUND)
	if n, _ := db.NextEnvironmentVersion(ctx, w.ID, "sk"); n != 3 {
		t.Fatalf("NextEnvironmentVersion = %d", n)
	}
	list, err := db.ListEnvironments(ctx, w.ID, "", 10)
	if err != nil || len(list) != 2 || list[0].Name != "base" || list[1].Name != "sk" || list[1].Version != "2" {
		t.Fatalf("ListEnvironments = %+v, %v", list, err)
	}
	if list, _ := db.ListEnvironments(ctx, w.ID, "base", 10); len(list) != 1 {
		t.Fatalf("ListEnvironments after base = %d", len(list))
	}
	if vs, err := db.ListEnvironmentVersions(ctx, w.ID, "sk", 1, 10); err != nil || len(vs) != 1 || vs[0].Version != "1" {
		t.Fatalf("ListEnvironmentVersions = %+v, %v", vs, err)
	}

	c := &lathe.Compute{WorkspaceID: w.ID, Name: "small", Type: lathe.ComputeLocal, CPU: 1.5, Memory: 1 << 30, CreatedAt: t0, CreatedBy: "ann",
		Tags: map[string]string{"tier": "dev"}}
	if err := db.CreateCompute(ctx, c); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateCompute(ctx, c), lathe.ECONFLICT)
	if got, err := db.Compute(ctx, w.ID, "small"); err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("Compute = %+v, %v\nwant %+v", got, err, c)
	}
	if cs, err := db.ListComputes(ctx, other.ID); err != nil || len(cs) != 0 {
		t.Fatalf("another workspace lists %d computes, %v", len(cs), err)
	}
	j := mkJob(w, "busy", t0)
	j.Compute = "small"
	if err := db.CreateJob(ctx, j, lathe.JobEvent{At: t0, Status: lathe.JobQueued}, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteCompute(ctx, w.ID, "small"), lathe.ECONFLICT)
	if _, err := db.UpdateJob(ctx, j.ID, store.JobUpdate{Status: lathe.JobCanceled, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCompute(ctx, w.ID, "small"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteCompute(ctx, w.ID, "small"), lathe.ENOTFOUND)

	// Deleting the workspace takes its jobs, environments and computes.
	wantCode(t, db.DeleteWorkspace(ctx, w.ID, "ws", false), lathe.ECONFLICT)
	if _, err := db.AppendJobLogs(ctx, j.ID, []lathe.LogLine{{Stream: lathe.StreamStdout, Text: "x"}}, 100); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteWorkspace(ctx, w.ID, "ws", true); err != nil {
		t.Fatal(err)
	}
	_, err = db.JobByID(ctx, j.ID)
	wantCode(t, err, lathe.ENOTFOUND)
	if lines, _ := db.JobLogs(ctx, j.ID, 0, 10); len(lines) != 0 {
		t.Fatalf("logs survive their workspace: %v", lines)
	}
}
