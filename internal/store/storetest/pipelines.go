package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/store"
)

func mkComponent(ws *lathe.Workspace, name, version string, at time.Time) *lathe.Component {
	sp := lathe.ComponentSpec{File: "train.yml", YAML: "name: " + name + "\nversion: " + version + "\ncommand: echo hi\n"}
	return &lathe.Component{WorkspaceID: ws.ID, Name: name, Version: version, IsDeterministic: true, Digest: sp.Digest(),
		Description: "trains", Tags: map[string]string{"team": "risk"}, Spec: sp, CreatedAt: at, CreatedBy: "ann"}
}

func testComponents(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w, other := mkWorkspace(t, db, "ws"), mkWorkspace(t, db, "other")
	c1 := mkComponent(w, "train", "1", t0)
	if err := db.CreateComponent(ctx, c1); err != nil {
		t.Fatal(err)
	}
	got, err := db.Component(ctx, w.ID, "train", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c1) {
		t.Fatalf("Component = %+v\nwant %+v", got, c1)
	}
	wantCode(t, db.CreateComponent(ctx, mkComponent(w, "train", "1", t0)), lathe.ECONFLICT)
	if err := db.CreateComponent(ctx, mkComponent(other, "train", "1", t0)); err != nil {
		t.Fatalf("the same version in another workspace: %v", err)
	}
	next, err := db.NextComponentVersion(ctx, w.ID, "train")
	if err != nil || next != 2 {
		t.Fatalf("NextComponentVersion = %d, %v; want 2", next, err)
	}
	if err := db.CreateComponent(ctx, mkComponent(w, "train", "2", t0.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	anon := mkComponent(w, lathe.AnonymousComponent, "abc", t0)
	anon.Anonymous = true
	if err := db.CreateComponent(ctx, anon); err != nil {
		t.Fatal(err)
	}
	latest, err := db.LatestComponent(ctx, w.ID, "train")
	if err != nil || latest.Version != "2" {
		t.Fatalf("LatestComponent = %v, %v; want version 2", latest, err)
	}
	// Archiving the newest makes the one before it latest.
	if a, err := db.ArchiveComponent(ctx, w.ID, "train", "2", true); err != nil || !a.Archived {
		t.Fatalf("ArchiveComponent = %v, %v", a, err)
	}
	if latest, err = db.LatestComponent(ctx, w.ID, "train"); err != nil || latest.Version != "1" {
		t.Fatalf("LatestComponent after archive = %v, %v; want version 1", latest, err)
	}
	_, err = db.ArchiveComponent(ctx, w.ID, "train", "9", true)
	wantCode(t, err, lathe.ENOTFOUND)
	list, err := db.ListComponents(ctx, w.ID, false, "", 10)
	if err != nil || len(list) != 1 || list[0].Name != "train" || list[0].Version != "1" {
		t.Fatalf("ListComponents = %v, %v; want train:1 only (anonymous ones are not listed)", list, err)
	}
	if list, err = db.ListComponents(ctx, w.ID, true, "", 10); err != nil || len(list) != 1 || list[0].Version != "2" {
		t.Fatalf("ListComponents with archived = %v, %v; want train:2", list, err)
	}
	vers, err := db.ListComponentVersions(ctx, w.ID, "train", 0, 10)
	if err != nil || len(vers) != 2 || vers[0].Version != "2" {
		t.Fatalf("ListComponentVersions = %v, %v", vers, err)
	}
	_, err = db.Component(ctx, w.ID, "nope", "1")
	wantCode(t, err, lathe.ENOTFOUND)
	_, err = db.LatestComponent(ctx, other.ID, "nope")
	wantCode(t, err, lathe.ENOTFOUND)
}

func testPipelineRuns(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	p := mkJob(w, "pipe-1", t0)
	p.Type, p.Status = lathe.JobTypePipeline, lathe.JobRunning
	ps := &lathe.PipelineSpec{File: "p.yml", YAML: "jobs: {}\n", Components: map[string]string{"./a.yml": "azureml_anonymous:ab"}, ForceRerun: true}
	steps := []lathe.PipelineStep{
		{Step: "prep", Index: 0, State: "pending", UpdatedAt: t0},
		{Step: "train", Index: 1, State: "pending", Deps: []string{"prep"}, Component: "train:1", UpdatedAt: t0},
	}
	if err := db.CreatePipelineJob(ctx, p, lathe.JobEvent{At: t0, Status: lathe.JobRunning, Message: "submitted"}, ps, steps); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreatePipelineJob(ctx, mkJob(w, "pipe-1", t0), lathe.JobEvent{At: t0, Status: lathe.JobRunning}, ps, nil), lathe.ECONFLICT)
	gotSpec, err := db.PipelineSpec(ctx, p.ID)
	if err != nil || !reflect.DeepEqual(gotSpec, ps) {
		t.Fatalf("PipelineSpec = %+v, %v\nwant %+v", gotSpec, err, ps)
	}
	got, err := db.PipelineSteps(ctx, p.ID)
	if err != nil || !reflect.DeepEqual(got, steps) {
		t.Fatalf("PipelineSteps = %+v, %v\nwant %+v", got, err, steps)
	}
	child := mkJob(w, "pipe-1-prep", t0)
	if err := db.CreateJob(ctx, child, lathe.JobEvent{At: t0, Status: lathe.JobQueued}, nil); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Second)
	upd := []lathe.PipelineStep{{Step: "prep", Index: 0, State: "completed", JobID: child.ID, Job: child.Name, CacheKey: "sha256:aa", UpdatedAt: at},
		{Step: "train", Index: 1, State: "reused", JobID: "old", Job: "old-job", Reused: true, Deps: []string{"prep"}, Component: "train:1", Reason: "reused", UpdatedAt: at}}
	if err := db.PutPipelineSteps(ctx, p.ID, w.ID, upd); err != nil {
		t.Fatal(err)
	}
	if got, err = db.PipelineSteps(ctx, p.ID); err != nil || !reflect.DeepEqual(got, upd) {
		t.Fatalf("PipelineSteps after update = %+v, %v\nwant %+v", got, err, upd)
	}
	// A step's times are its own job's, read with the steps; a reused
	// step's job ran elsewhere and lends none.
	started, ended := at.Add(time.Second), at.Add(3*time.Second)
	if _, err := db.UpdateJob(ctx, child.ID, store.JobUpdate{Status: lathe.JobCompleted, At: ended, StartedAt: &started, EndedAt: &ended}); err != nil {
		t.Fatal(err)
	}
	if got, err = db.PipelineSteps(ctx, p.ID); err != nil || got[0].StartedAt == nil || !got[0].StartedAt.Equal(started) ||
		got[0].EndedAt == nil || !got[0].EndedAt.Equal(ended) || got[1].StartedAt != nil {
		t.Fatalf("PipelineSteps after the step job ran = %+v, %v; want prep's times %s–%s and none for the reused step", got, err, started, ended)
	}
	if pid, step, err := db.PipelineOf(ctx, child.ID); err != nil || pid != p.ID || step != "prep" {
		t.Fatalf("PipelineOf = %s, %s, %v", pid, step, err)
	}
	_, _, err = db.PipelineOf(ctx, "old")
	wantCode(t, err, lathe.ENOTFOUND)
	_, err = db.PipelineSpec(ctx, child.ID)
	wantCode(t, err, lathe.ENOTFOUND)

	// The reuse cache: put, replace, look up, invalidate by key and by job.
	e := &lathe.StepCacheEntry{WorkspaceID: w.ID, Key: "sha256:k1", JobID: "j1", Job: "job-1", Step: "prep", CreatedAt: t0}
	if err := db.PutStepCache(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.JobID, e.Job, e.CreatedAt = child.ID, child.Name, at
	if err := db.PutStepCache(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := db.PutStepCache(ctx, &lathe.StepCacheEntry{WorkspaceID: w.ID, Key: "sha256:k2", JobID: child.ID, Job: child.Name, Step: "prep", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutStepCache(ctx, &lathe.StepCacheEntry{WorkspaceID: w.ID, Key: "sha256:k3", JobID: "j3", Job: "job-3", Step: "x", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	ge, err := db.StepCache(ctx, w.ID, "sha256:k1")
	if err != nil || !reflect.DeepEqual(ge, e) {
		t.Fatalf("StepCache = %+v, %v\nwant %+v", ge, err, e)
	}
	_, err = db.StepCache(ctx, "other-ws", "sha256:k1")
	wantCode(t, err, lathe.ENOTFOUND)
	byJob, err := db.StepCacheByJob(ctx, w.ID, child.ID)
	if err != nil || len(byJob) != 2 {
		t.Fatalf("StepCacheByJob = %v, %v; want 2 entries", byJob, err)
	}
	if n, err := db.DeleteStepCache(ctx, w.ID, "sha256:k3", ""); err != nil || n != 1 {
		t.Fatalf("DeleteStepCache by key = %d, %v", n, err)
	}
	if n, err := db.DeleteStepCache(ctx, w.ID, "", child.ID); err != nil || n != 2 {
		t.Fatalf("DeleteStepCache by job = %d, %v", n, err)
	}
	_, err = db.StepCache(ctx, w.ID, "sha256:k1")
	wantCode(t, err, lathe.ENOTFOUND)

	// The workspace's pipeline rows go with it.
	if err := db.DeleteWorkspace(ctx, w.ID, w.Name, true); err != nil {
		t.Fatal(err)
	}
	if got, err = db.PipelineSteps(ctx, p.ID); err != nil || len(got) != 0 {
		t.Fatalf("steps after workspace delete = %v, %v", got, err)
	}
}
