package storetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
	"github.com/latheml/lathe/internal/store"
)

// This file is the tracking part of the suite: experiments, runs, batch
// logging, metric history, search (checked against the in-memory reference
// search.Filter.Match and search.Less), artifacts and multipart uploads,
// each within workspaces that must not see each other.

// ms0 is a start time, in Unix milliseconds.
const ms0 = 1795687196000

func mkExperiment(t *testing.T, db *store.DB, ws, name string) *lathe.Experiment {
	t.Helper()
	e := &lathe.Experiment{WorkspaceID: ws, Name: name, LifecycleStage: lathe.StageActive, CreationTime: ms0, LastUpdateTime: ms0}
	if err := db.CreateExperiment(t.Context(), e); err != nil {
		t.Fatalf("create experiment %s: %v", name, err)
	}
	return e
}

func mkRun(t *testing.T, db *store.DB, ws, exp string, start int64, tags ...lathe.Tag) *lathe.RunInfo {
	t.Helper()
	id := lathe.NewID()
	r := &lathe.RunInfo{WorkspaceID: ws, RunID: id, ExperimentID: exp, Name: "run-" + id[:6], UserID: "ada", Status: lathe.RunRunning,
		StartTime: start, ArtifactURI: "mlflow-artifacts:/" + exp + "/" + id + "/artifacts", LifecycleStage: lathe.StageActive}
	if err := db.CreateRun(t.Context(), r, tags); err != nil {
		t.Fatalf("create run: %v", err)
	}
	return r
}

func testTrackingExperiments(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	a, b := mkWorkspace(t, db, "a"), mkWorkspace(t, db, "b")
	def := &lathe.Experiment{WorkspaceID: a.ID, ID: "0", Name: "Default", LifecycleStage: lathe.StageActive, CreationTime: 1, LastUpdateTime: 1}
	if err := db.CreateExperiment(ctx, def); err != nil {
		t.Fatal(err)
	}
	e1 := mkExperiment(t, db, a.ID, "first")
	e2 := &lathe.Experiment{WorkspaceID: a.ID, Name: "second", LifecycleStage: lathe.StageActive, CreationTime: ms0, LastUpdateTime: ms0,
		Tags: []lathe.Tag{{Key: "team", Value: "x"}, {Key: "a", Value: "1"}}}
	if err := db.CreateExperiment(ctx, e2); err != nil {
		t.Fatal(err)
	}
	eb := mkExperiment(t, db, b.ID, "first") // the same name in another workspace
	if e1.ID != "1" || e2.ID != "2" || eb.ID != "1" {
		t.Fatalf("ids = %s, %s in a and %s in b; want 1, 2 and 1 (per workspace, after the Default 0)", e1.ID, e2.ID, eb.ID)
	}
	if e2.ArtifactLocation != "mlflow-artifacts:/2" {
		t.Fatalf("artifact location %q", e2.ArtifactLocation)
	}
	err := db.CreateExperiment(ctx, &lathe.Experiment{WorkspaceID: a.ID, Name: "first", LifecycleStage: lathe.StageActive})
	wantCode(t, err, lathe.ECONFLICT)
	got, err := db.Experiment(ctx, a.ID, "2")
	if err != nil || got.Name != "second" || fmt.Sprint(got.Tags) != "[{a 1} {team x}]" || got.CreationTime != ms0 {
		t.Fatalf("Experiment = %+v, %v", got, err)
	}
	if got, err := db.ExperimentByName(ctx, b.ID, "first"); err != nil || got.ID != "1" || got.WorkspaceID != b.ID {
		t.Fatalf("ExperimentByName in b = %+v, %v", got, err)
	}
	for _, id := range []string{"9", "x"} {
		_, err = db.Experiment(ctx, a.ID, id)
		wantCode(t, err, lathe.ENOTFOUND)
	}
	_, err = db.ExperimentByName(ctx, b.ID, "second")
	wantCode(t, err, lathe.ENOTFOUND)

	// Rename, tags.
	if err := db.UpdateExperiment(ctx, a.ID, "1", "renamed", ms0+5); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.UpdateExperiment(ctx, a.ID, "1", "second", ms0+6), lathe.ECONFLICT)
	wantCode(t, db.UpdateExperiment(ctx, b.ID, "2", "x", ms0), lathe.ENOTFOUND)
	if got, _ := db.Experiment(ctx, a.ID, "1"); got.Name != "renamed" || got.LastUpdateTime != ms0+5 {
		t.Fatalf("after rename: %+v", got)
	}
	if err := db.SetExperimentTag(ctx, a.ID, "2", lathe.Tag{Key: "team", Value: "y"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteExperimentTag(ctx, a.ID, "2", "a"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteExperimentTag(ctx, a.ID, "2", "a"), lathe.ENOTFOUND)
	if got, _ := db.Experiment(ctx, a.ID, "2"); fmt.Sprint(got.Tags) != "[{team y}]" {
		t.Fatalf("tags = %v", got.Tags)
	}

	// Deleting cascades to the runs; restoring brings them back.
	r1, r2 := mkRun(t, db, a.ID, "2", ms0), mkRun(t, db, a.ID, "2", ms0)
	other := mkRun(t, db, a.ID, "1", ms0)
	if err := db.SetRunStage(ctx, a.ID, r2.RunID, lathe.StageDeleted, ms0+1); err != nil {
		t.Fatal(err)
	}
	if err := db.SetExperimentStage(ctx, a.ID, "2", lathe.StageDeleted, ms0+10); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{r1.RunID, r2.RunID} {
		if got, _ := db.RunInfo(ctx, a.ID, id); got.LifecycleStage != lathe.StageDeleted || got.DeletedTime == nil {
			t.Fatalf("run %s after experiment delete: %+v", id, got)
		}
	}
	if got, _ := db.RunInfo(ctx, a.ID, other.RunID); got.LifecycleStage != lathe.StageActive {
		t.Fatalf("a run of another experiment was deleted")
	}
	if err := db.SetExperimentStage(ctx, a.ID, "2", lathe.StageActive, ms0+20); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{r1.RunID, r2.RunID} {
		if got, _ := db.RunInfo(ctx, a.ID, id); got.LifecycleStage != lathe.StageActive || got.DeletedTime != nil {
			t.Fatalf("run %s after experiment restore: %+v", id, got)
		}
	}
	wantCode(t, db.SetExperimentStage(ctx, b.ID, "2", lathe.StageDeleted, ms0), lathe.ENOTFOUND)
	list, err := db.SearchExperiments(ctx, b.ID, store.ExperimentQuery{Stages: []string{lathe.StageActive}, Limit: 10})
	if err != nil || len(list) != 1 || list[0].Name != "first" {
		t.Fatalf("workspace b sees %d experiments, %v", len(list), err)
	}
}

func testTrackingRuns(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	a, b := mkWorkspace(t, db, "a"), mkWorkspace(t, db, "b")
	e := mkExperiment(t, db, a.ID, "e")
	r := mkRun(t, db, a.ID, e.ID, ms0, lathe.Tag{Key: "mlflow.runName", Value: "alpha"}, lathe.Tag{Key: "team", Value: "x"})
	dup := *r
	wantCode(t, db.CreateRun(ctx, &dup, nil), lathe.ECONFLICT)
	got, err := db.Run(ctx, a.ID, r.RunID)
	if err != nil || got.Info.ExperimentID != e.ID || got.Info.Status != lathe.RunRunning || got.Info.EndTime != nil || len(got.Tags) != 2 {
		t.Fatalf("Run = %+v, %v", got, err)
	}
	end := int64(ms0 + 100)
	if err := db.UpdateRun(ctx, a.ID, r.RunID, lathe.RunFinished, &end, "beta"); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Run(ctx, a.ID, r.RunID)
	if got.Info.Status != lathe.RunFinished || got.Info.EndTime == nil || *got.Info.EndTime != end || got.Info.Name != "beta" || !slices.Contains(got.Tags, lathe.Tag{Key: "mlflow.runName", Value: "beta"}) {
		t.Fatalf("after update: %+v", got)
	}
	// Setting the mlflow.runName tag renames the run too.
	if err := db.LogBatch(ctx, a.ID, r.RunID, nil, nil, []lathe.Tag{{Key: "mlflow.runName", Value: "gamma"}}); err != nil {
		t.Fatal(err)
	}
	if info, _ := db.RunInfo(ctx, a.ID, r.RunID); info.Name != "gamma" {
		t.Fatalf("name after tag = %q", info.Name)
	}
	// Stages.
	if err := db.SetRunStage(ctx, a.ID, r.RunID, lathe.StageDeleted, ms0+200); err != nil {
		t.Fatal(err)
	}
	if info, _ := db.RunInfo(ctx, a.ID, r.RunID); info.LifecycleStage != lathe.StageDeleted || info.DeletedTime == nil || *info.DeletedTime != ms0+200 {
		t.Fatalf("deleted run: %+v", info)
	}
	wantCode(t, db.UpdateRun(ctx, a.ID, r.RunID, lathe.RunFailed, nil, ""), lathe.EINVALID)
	wantCode(t, db.LogBatch(ctx, a.ID, r.RunID, nil, []lathe.Tag{{Key: "p", Value: "v"}}, nil), lathe.EINVALID)
	wantCode(t, db.DeleteRunTag(ctx, a.ID, r.RunID, "team"), lathe.EINVALID)
	if err := db.SetRunStage(ctx, a.ID, r.RunID, lathe.StageActive, ms0+300); err != nil {
		t.Fatal(err)
	}
	// Another workspace sees none of it.
	_, err = db.RunInfo(ctx, b.ID, r.RunID)
	wantCode(t, err, lathe.ENOTFOUND)
	_, err = db.Run(ctx, b.ID, r.RunID)
	wantCode(t, err, lathe.ENOTFOUND)
	wantCode(t, db.SetRunStage(ctx, b.ID, r.RunID, lathe.StageDeleted, ms0), lathe.ENOTFOUND)
	wantCode(t, db.UpdateRun(ctx, b.ID, r.RunID, lathe.RunKilled, nil, ""), lathe.ENOTFOUND)
	wantCode(t, db.LogBatch(ctx, b.ID, r.RunID, []lathe.Metric{{Key: "m", Value: 1}}, nil, nil), lathe.ENOTFOUND)
	wantCode(t, db.DeleteRunTag(ctx, b.ID, r.RunID, "team"), lathe.ENOTFOUND)
	wantCode(t, db.LogInputs(ctx, b.ID, r.RunID, nil), lathe.ENOTFOUND)
	_, err = history(ctx, db, b.ID, r.RunID, "m", 10)
	wantCode(t, err, lathe.ENOTFOUND)
	runs, err := db.SearchRuns(ctx, b.ID, store.RunQuery{ExperimentIDs: []string{e.ID}, Stages: []string{lathe.StageActive}, Limit: 10})
	if err != nil || len(runs) != 0 {
		t.Fatalf("workspace b finds %d runs, %v", len(runs), err)
	}
	// Dataset inputs: the same dataset twice is kept once, with its latest tags.
	in := lathe.DatasetInput{Name: "train", Digest: "d1", SourceType: "local", Source: "{}", Tags: []lathe.Tag{{Key: "mlflow.data.context", Value: "training"}}}
	if err := db.LogInputs(ctx, a.ID, r.RunID, []lathe.DatasetInput{in, in}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Run(ctx, a.ID, r.RunID)
	if len(got.Inputs) != 1 || got.Inputs[0].Digest != "d1" || len(got.Inputs[0].Tags) != 1 {
		t.Fatalf("inputs = %+v", got.Inputs)
	}
}

func testTrackingLogBatch(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	e := mkExperiment(t, db, w.ID, "e")
	r := mkRun(t, db, w.ID, e.ID, ms0)
	if err := db.LogBatch(ctx, w.ID, r.RunID, nil, []lathe.Tag{{Key: "alpha", Value: "0.5"}}, []lathe.Tag{{Key: "t", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	// Params are write-once: the same value is fine, another value fails
	// and nothing of its batch is kept.
	if err := db.LogBatch(ctx, w.ID, r.RunID, nil, []lathe.Tag{{Key: "alpha", Value: "0.5"}}, nil); err != nil {
		t.Fatalf("same value again: %v", err)
	}
	err := db.LogBatch(ctx, w.ID, r.RunID, []lathe.Metric{{Key: "lost", Value: 1, Timestamp: 1}}, []lathe.Tag{{Key: "beta", Value: "1"}, {Key: "alpha", Value: "0.7"}}, []lathe.Tag{{Key: "t", Value: "lost"}})
	wantCode(t, err, lathe.EINVALID)
	if !strings.HasPrefix(lathe.ErrorMessage(err), "Changing param values is not allowed.") {
		t.Fatalf("message %q", lathe.ErrorMessage(err))
	}
	got, _ := db.Run(ctx, w.ID, r.RunID)
	if len(got.Metrics) != 0 || fmt.Sprint(got.Params) != "[{alpha 0.5}]" || fmt.Sprint(got.Tags) != "[{t 1}]" {
		t.Fatalf("a failed batch left something: %+v", got)
	}
	// The latest value is the largest (step, timestamp, value), across
	// batches and within one.
	batches := [][]lathe.Metric{
		{{Key: "m", Value: 1, Timestamp: 5, Step: 1}, {Key: "m", Value: 100, Timestamp: 9, Step: 0}},
		{{Key: "m", Value: 3, Timestamp: 5, Step: 1}, {Key: "m", Value: 50, Timestamp: 4, Step: 1}, {Key: "m", Value: 2, Timestamp: 5, Step: 1}},
		{{Key: "nan", Value: math.NaN(), Timestamp: 1}, {Key: "inf", Value: math.Inf(1), Timestamp: 1}, {Key: "-inf", Value: math.Inf(-1), Timestamp: 1}},
		{{Key: "m", Value: 7, Timestamp: 6, Step: 2}, {Key: "m", Value: 7, Timestamp: 6, Step: 2}}, // twice in a batch: kept once
	}
	for i, ms := range batches {
		if err := db.LogBatch(ctx, w.ID, r.RunID, ms, nil, nil); err != nil {
			t.Fatal(err)
		}
		if i != 1 {
			continue
		}
		got, _ = db.Run(ctx, w.ID, r.RunID)
		if len(got.Metrics) != 1 || got.Metrics[0].Value != 3 || got.Metrics[0].Step != 1 || got.Metrics[0].Timestamp != 5 {
			t.Fatalf("latest m = %+v, want value 3 at step 1, timestamp 5 (step, then timestamp, then value)", got.Metrics)
		}
	}
	got, _ = db.Run(ctx, w.ID, r.RunID)
	latest := map[string]lathe.Metric{}
	for _, m := range got.Metrics {
		latest[m.Key] = m
	}
	if m := latest["m"]; m.Value != 7 || m.Step != 2 || m.Timestamp != 6 {
		t.Fatalf("latest m = %+v, want value 7 at step 2, timestamp 6", m)
	}
	if !math.IsNaN(latest["nan"].Value) || !math.IsInf(latest["inf"].Value, 1) || !math.IsInf(latest["-inf"].Value, -1) {
		t.Fatalf("NaN and infinities did not round-trip: %+v", got.Metrics)
	}
	hist, err := history(ctx, db, w.ID, r.RunID, "m", 100)
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	for _, m := range hist {
		vals = append(vals, m.Value)
	}
	if fmt.Sprint(vals) != "[100 50 1 2 3 7]" {
		t.Fatalf("history of m = %v, want [100 50 1 2 3 7] (by step, timestamp, value; a duplicate once)", vals)
	}
	for _, k := range []string{"nan", "inf", "-inf"} {
		h, err := history(ctx, db, w.ID, r.RunID, k, 10)
		if want := latest[k].Value; err != nil || len(h) != 1 || !(h[0].Value == want || math.IsNaN(want) && math.IsNaN(h[0].Value)) {
			t.Fatalf("history of %s = %+v, %v", k, h, err)
		}
	}
	// Tags are overwritten and can be deleted once.
	if err := db.LogBatch(ctx, w.ID, r.RunID, nil, nil, []lathe.Tag{{Key: "t", Value: "2"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRunTag(ctx, w.ID, r.RunID, "t"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteRunTag(ctx, w.ID, r.RunID, "t"), lathe.ENOTFOUND)
	wantCode(t, db.LogBatch(ctx, w.ID, lathe.NewID(), []lathe.Metric{{Key: "m"}}, nil, nil), lathe.ENOTFOUND)
	// Concurrent read-modify-writes of one tag (the log-model history)
	// lose nothing.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			err := db.UpdateRunTag(ctx, w.ID, r.RunID, "hist", func(old string, ok bool) (string, error) { return old + "x", nil })
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ = db.Run(ctx, w.ID, r.RunID)
	if !slices.Contains(got.Tags, lathe.Tag{Key: "hist", Value: "xxxxxxxx"}) {
		t.Fatalf("after 8 concurrent appends: %v", got.Tags)
	}
	wantCode(t, db.UpdateRunTag(ctx, w.ID, lathe.NewID(), "hist", nil), lathe.ENOTFOUND)
}

func testTrackingHistory(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	e := mkExperiment(t, db, w.ID, "e")
	r := mkRun(t, db, w.ID, e.ID, ms0)
	const n = 1250
	var ms []lathe.Metric
	for i := n - 1; i >= 0; i-- { // logged backwards: the store orders
		ms = append(ms, lathe.Metric{Key: "loss", Value: 1 / float64(i+1), Timestamp: 1700000000000 + int64(i%7), Step: int64(i / 2)})
		if len(ms) == 1000 {
			if err := db.LogBatch(ctx, w.ID, r.RunID, ms, nil, nil); err != nil {
				t.Fatal(err)
			}
			ms = nil
		}
	}
	if err := db.LogBatch(ctx, w.ID, r.RunID, ms, nil, nil); err != nil {
		t.Fatal(err)
	}
	var all []lathe.Metric
	var cur *store.HistoryCursor
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("history paging does not end")
		}
		page, next, err := db.MetricHistory(ctx, w.ID, r.RunID, "loss", cur, 300)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 300 {
			break
		}
		cur = next
	}
	if len(all) != n {
		t.Fatalf("pages hold %d values, want %d", len(all), n)
	}
	for i := 1; i < len(all); i++ {
		p, c := all[i-1], all[i]
		if p.Step > c.Step || p.Step == c.Step && (p.Timestamp > c.Timestamp || p.Timestamp == c.Timestamp && p.Value > c.Value) {
			t.Fatalf("history out of order at %d: %+v then %+v", i, p, c)
		}
	}
	if h, err := history(ctx, db, w.ID, r.RunID, "other", 10); err != nil || len(h) != 0 {
		t.Fatalf("unknown key: %v, %v", h, err)
	}
	buckets, err := db.MetricBuckets(ctx, w.ID, r.RunID, "loss", nil, nil, 10)
	if err != nil || len(buckets) == 0 || len(buckets) > 10 || buckets[0].FirstStep != 0 || buckets[len(buckets)-1].LastStep != (n-1)/2 {
		t.Fatalf("buckets = %+v, %v", buckets, err)
	}
}

func testTrackingArtifacts(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	a, b := mkWorkspace(t, db, "a"), mkWorkspace(t, db, "b")
	files := map[string]int64{"1/r/artifacts/a.txt": 1, "1/r/artifacts/sub/b.txt": 2, "1/r/artifacts/sub/deep/c.txt": 3,
		"1/r/artifacts/100%_x/d.txt": 4, "1/r/artifacts/1000_x/e.txt": 5, "1/r2/artifacts/f.txt": 6}
	for p, size := range files {
		if err := db.PutArtifact(ctx, a.ID, store.Artifact{Path: p, Digest: digest(int(size)), Size: size, CreatedAt: ms0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutArtifact(ctx, a.ID, store.Artifact{Path: "1/r/artifacts/a.txt", Digest: digest(9), Size: 9, CreatedAt: ms0 + 1}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Artifact(ctx, a.ID, "1/r/artifacts/a.txt")
	if err != nil || got.Digest != digest(9) || got.Size != 9 {
		t.Fatalf("replaced artifact = %+v, %v", got, err)
	}
	list, err := db.ListArtifacts(ctx, a.ID, "1/r/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, e := range list {
		shown = append(shown, fmt.Sprintf("%s:%v:%d", e.Path, e.IsDir, e.Size))
	}
	want := "[1/r/artifacts/100%_x:true:0 1/r/artifacts/1000_x:true:0 1/r/artifacts/a.txt:false:9 1/r/artifacts/sub:true:0]"
	if fmt.Sprint(shown) != want {
		t.Fatalf("listing = %v\nwant      %s", shown, want)
	}
	// LIKE wildcards in a directory name match only themselves.
	if l, _ := db.ListArtifacts(ctx, a.ID, "1/r/artifacts/100%_x"); len(l) != 1 || l[0].Path != "1/r/artifacts/100%_x/d.txt" {
		t.Fatalf("listing of a wildcard-named dir = %+v", l)
	}
	if l, _ := db.ListArtifacts(ctx, a.ID, ""); len(l) != 1 || l[0].Path != "1" || !l[0].IsDir {
		t.Fatalf("root listing = %+v", l)
	}
	if l, _ := db.ListArtifacts(ctx, b.ID, ""); len(l) != 0 {
		t.Fatalf("workspace b sees %+v", l)
	}
	_, err = db.Artifact(ctx, b.ID, "1/r/artifacts/a.txt")
	wantCode(t, err, lathe.ENOTFOUND)
	if n, err := db.DeleteArtifacts(ctx, b.ID, "1/r"); err != nil || n != 0 {
		t.Fatalf("delete from b removed %d, %v", n, err)
	}
	if n, err := db.DeleteArtifacts(ctx, a.ID, "1/r/artifacts/sub"); err != nil || n != 2 {
		t.Fatalf("delete dir removed %d, %v; want 2", n, err)
	}
	if n, err := db.DeleteArtifacts(ctx, a.ID, "1/r/artifacts/a.txt"); err != nil || n != 1 {
		t.Fatalf("delete file removed %d, %v", n, err)
	}
	if l, _ := db.ListArtifacts(ctx, a.ID, "1"); len(l) != 2 {
		t.Fatalf("after deletes: %+v", l)
	}

	// Multipart uploads: parts recorded (and replaced), joined on finish in
	// the same transaction that removes the upload; abort removes it.
	if err := db.CreateUpload(ctx, a.ID, "up1", "1/r/artifacts/big.bin", 3, ms0); err != nil {
		t.Fatal(err)
	}
	if p, n, err := db.Upload(ctx, a.ID, "up1"); err != nil || p != "1/r/artifacts/big.bin" || n != 3 {
		t.Fatalf("Upload = %q %d %v", p, n, err)
	}
	_, _, err = db.Upload(ctx, b.ID, "up1")
	wantCode(t, err, lathe.ENOTFOUND)
	for _, part := range []int{3, 1, 2, 1} {
		if err := db.PutUploadPart(ctx, "up1", part, digest(100+part), int64(part)); err != nil {
			t.Fatal(err)
		}
	}
	parts, err := db.UploadParts(ctx, "up1")
	if err != nil || len(parts) != 3 || parts[0].Path != "1" || parts[2].Path != "3" || parts[0].Digest != digest(101) {
		t.Fatalf("parts = %+v, %v", parts, err)
	}
	wantCode(t, db.FinishUpload(ctx, b.ID, "up1", nil), lathe.ENOTFOUND)
	final := &store.Artifact{Path: "1/r/artifacts/big.bin", Digest: digest(200), Size: 6, CreatedAt: ms0}
	if err := db.FinishUpload(ctx, a.ID, "up1", final); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Artifact(ctx, a.ID, final.Path); err != nil || got.Digest != digest(200) {
		t.Fatalf("completed artifact = %+v, %v", got, err)
	}
	if parts, _ := db.UploadParts(ctx, "up1"); len(parts) != 0 {
		t.Fatalf("parts left after finish: %d", len(parts))
	}
	wantCode(t, db.FinishUpload(ctx, a.ID, "up1", final), lathe.ENOTFOUND)
	if err := db.CreateUpload(ctx, a.ID, "up2", "1/r/artifacts/aborted.bin", 2, ms0); err != nil {
		t.Fatal(err)
	}
	if err := db.PutUploadPart(ctx, "up2", 1, digest(301), 1); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishUpload(ctx, a.ID, "up2", nil); err != nil {
		t.Fatal(err)
	}
	_, err = db.Artifact(ctx, a.ID, "1/r/artifacts/aborted.bin")
	wantCode(t, err, lathe.ENOTFOUND)
	_, _, err = db.Upload(ctx, a.ID, "up2")
	wantCode(t, err, lathe.ENOTFOUND)
}

// Pools the random search worlds and queries draw from. Strings mix case,
// LIKE wildcards, a backslash and a non-ASCII letter; patterns are ASCII
// (SQLite folds only ASCII case for ILIKE).
var (
	strPool     = []string{"a", "A", "ab", "abc", "b_c", "b%c", `x\y`, "naïve", "", "lbfgs", "LBFGS"}
	patternPool = []string{"a%", "%b%", "_b%", "A%", "%", `b\%c`, `x\%`, "%c", "na%", "a_c", "%_%", "lbfgs", "LB%"}
	numPool     = []float64{-1, 0, 0.5, 1, 2.5, 1e10, math.NaN(), math.Inf(1), math.Inf(-1)}
	cmpPool     = []float64{-1, 0, 0.5, 1, 2.5, 1e10, 3}
	timePool    = []float64{ms0 - 1, ms0, ms0 + 1, ms0 + 1.5, ms0 + 2, ms0 + 5, ms0 + 7, ms0 + 10}
	numOps      = []search.Op{search.OpEq, search.OpNe, search.OpLt, search.OpLe, search.OpGt, search.OpGe}
	strOps      = []search.Op{search.OpEq, search.OpNe, search.OpLike, search.OpILike}
	listOps     = []search.Op{search.OpEq, search.OpNe, search.OpLike, search.OpILike, search.OpIn, search.OpNotIn}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// searchRun is a run of the random world: where it lives and what the
// reference sees of it.
type searchRun struct {
	exp, stage string
	view       search.RunView
}

// buildSearchWorld stores n random runs in two experiments of ws.
func buildSearchWorld(t *testing.T, db *store.DB, rng *rand.Rand, ws string, exps []string, n int) []searchRun {
	t.Helper()
	ctx := t.Context()
	var world []searchRun
	for i := 0; i < n; i++ {
		id := lathe.NewID()
		info := &lathe.RunInfo{WorkspaceID: ws, RunID: id, ExperimentID: pick(rng, exps), Name: pick(rng, strPool), UserID: pick(rng, []string{"ada", "Ada", "bob"}),
			Status:    pick(rng, []string{lathe.RunRunning, lathe.RunFinished, lathe.RunFailed, lathe.RunKilled, lathe.RunScheduled}),
			StartTime: ms0 + int64(pick(rng, []int{0, 1, 2, 5})), LifecycleStage: lathe.StageActive}
		info.ArtifactURI = "mlflow-artifacts:/" + info.ExperimentID + "/" + id + "/artifacts"
		if rng.IntN(3) > 0 {
			end := ms0 + int64(pick(rng, []int{3, 7, 10}))
			info.EndTime = &end
		}
		v := search.RunView{RunID: id, RunName: info.Name, UserID: info.UserID, Status: info.Status, ArtifactURI: info.ArtifactURI,
			StartTime: info.StartTime, EndTime: info.EndTime, Metrics: map[string]float64{}, Params: map[string]string{}, Tags: map[string]string{}}
		var tags []lathe.Tag
		for _, k := range []string{"t1", "t.2"} {
			if rng.IntN(3) > 0 {
				v.Tags[k] = pick(rng, strPool)
				tags = append(tags, lathe.Tag{Key: k, Value: v.Tags[k]})
			}
		}
		if err := db.CreateRun(ctx, info, tags); err != nil {
			t.Fatal(err)
		}
		var metrics []lathe.Metric
		var params []lathe.Tag
		for _, k := range []string{"m1", "m2", "m 3"} {
			if rng.IntN(5) < 3 {
				if rng.IntN(3) == 0 { // an older value the latest must win over
					metrics = append(metrics, lathe.Metric{Key: k, Value: pick(rng, numPool), Timestamp: 2, Step: 0})
				}
				v.Metrics[k] = pick(rng, numPool)
				metrics = append(metrics, lathe.Metric{Key: k, Value: v.Metrics[k], Timestamp: 1, Step: 1})
			}
		}
		for _, k := range []string{"p1", "p2"} {
			if rng.IntN(3) > 0 {
				v.Params[k] = pick(rng, strPool)
				params = append(params, lathe.Tag{Key: k, Value: v.Params[k]})
			}
		}
		if err := db.LogBatch(ctx, ws, id, metrics, params, nil); err != nil {
			t.Fatal(err)
		}
		var inputs []lathe.DatasetInput
		for j := rng.IntN(3); j > 0; j-- {
			d := search.DatasetView{Name: pick(rng, []string{"train", "Train", "test"}), Digest: pick(rng, []string{"d1", "d2"}), Context: pick(rng, []string{"", "training", "eval"})}
			if slices.ContainsFunc(v.Datasets, func(o search.DatasetView) bool { return o.Name == d.Name && o.Digest == d.Digest }) {
				continue
			}
			v.Datasets = append(v.Datasets, d)
			in := lathe.DatasetInput{Name: d.Name, Digest: d.Digest, SourceType: "local", Source: "{}"}
			if d.Context != "" {
				in.Tags = []lathe.Tag{{Key: "mlflow.data.context", Value: d.Context}}
			}
			inputs = append(inputs, in)
		}
		if err := db.LogInputs(ctx, ws, id, inputs); err != nil {
			t.Fatal(err)
		}
		stage := lathe.StageActive
		if rng.IntN(5) == 0 {
			stage = lathe.StageDeleted
			if err := db.SetRunStage(ctx, ws, id, stage, ms0); err != nil {
				t.Fatal(err)
			}
		}
		world = append(world, searchRun{exp: info.ExperimentID, stage: stage, view: v})
	}
	return world
}

// randomComparison draws one comparison of any kind with a comparator
// and a value that kind accepts.
func randomComparison(rng *rand.Rand, world []searchRun) search.Comparison {
	strValue := func(op search.Op, pool []string) any {
		switch op {
		case search.OpLike, search.OpILike:
			return pick(rng, patternPool)
		case search.OpIn, search.OpNotIn:
			list := make([]string, 1+rng.IntN(3))
			for i := range list {
				list[i] = pick(rng, pool)
			}
			return list
		}
		return pick(rng, pool)
	}
	switch rng.IntN(6) {
	case 0:
		return search.Comparison{Kind: search.Metric, Key: pick(rng, []string{"m1", "m2", "m 3", "absent"}), Op: pick(rng, numOps), Value: pick(rng, cmpPool)}
	case 1, 2:
		c := search.Comparison{Kind: search.Param, Key: pick(rng, []string{"p1", "p2", "absent"})}
		if rng.IntN(2) == 0 {
			c.Kind, c.Key = search.Tag, pick(rng, []string{"t1", "t.2", "absent"})
		}
		if rng.IntN(6) == 0 {
			c.Op = pick(rng, []search.Op{search.OpIsNull, search.OpIsNotNull})
			return c
		}
		c.Op = pick(rng, strOps)
		c.Value = strValue(c.Op, strPool)
		return c
	case 3:
		key := pick(rng, []string{search.AttrRunID, search.AttrRunName, search.AttrUserID, search.AttrStatus, search.AttrArtifactURI})
		pool := map[string][]string{search.AttrRunName: strPool, search.AttrUserID: {"ada", "Ada", "bob", "x"},
			search.AttrStatus: {lathe.RunRunning, lathe.RunFinished, "finished"}, search.AttrArtifactURI: {"mlflow-artifacts:/1/x/artifacts"}}[key]
		if key == search.AttrRunID {
			pool = []string{pick(rng, world).view.RunID, pick(rng, world).view.RunID, "nope"}
		}
		c := search.Comparison{Kind: search.Attribute, Key: key, Op: pick(rng, listOps)}
		c.Value = strValue(c.Op, pool)
		if key == search.AttrArtifactURI && (c.Op == search.OpLike || c.Op == search.OpILike) {
			c.Value = pick(rng, []string{"mlflow-artifacts:/1/%", "%/ARTIFACTS", "%2/%"})
		}
		return c
	case 4:
		return search.Comparison{Kind: search.Attribute, Key: pick(rng, []string{search.AttrStartTime, search.AttrEndTime}), Op: pick(rng, numOps), Value: pick(rng, timePool)}
	}
	key := pick(rng, []string{search.DatasetName, search.DatasetDigest, search.DatasetContext})
	c := search.Comparison{Kind: search.Dataset, Key: key, Op: pick(rng, listOps)}
	c.Value = strValue(c.Op, map[string][]string{search.DatasetName: {"train", "Train", "x"}, search.DatasetDigest: {"d1", "d2"}, search.DatasetContext: {"training", "eval", ""}}[key])
	return c
}

// randomOrders draws up to two order_by clauses on distinct fields.
func randomOrders(rng *rand.Rand) []search.Order {
	fields := []search.Order{{Kind: search.Metric, Key: "m1"}, {Kind: search.Metric, Key: "m 3"}, {Kind: search.Metric, Key: "absent"},
		{Kind: search.Param, Key: "p1"}, {Kind: search.Tag, Key: "t.2"}, {Kind: search.Attribute, Key: search.AttrRunName},
		{Kind: search.Attribute, Key: search.AttrStatus}, {Kind: search.Attribute, Key: search.AttrUserID}, {Kind: search.Attribute, Key: search.AttrStartTime},
		{Kind: search.Attribute, Key: search.AttrEndTime}, {Kind: search.Attribute, Key: search.AttrRunID}}
	rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	out := fields[:rng.IntN(3)]
	for i := range out {
		out[i].Desc = rng.IntN(2) == 0
	}
	return out
}

// testTrackingSearch is a property test: for random filters, orders,
// views and pages over a random set of runs, the store's SQL returns
// exactly the runs search.Filter.Match accepts, in search.Less's order.
func testTrackingSearch(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	a, b := mkWorkspace(t, db, "a"), mkWorkspace(t, db, "b")
	const seed = 20261126
	rng := rand.New(rand.NewPCG(seed, 7))
	exps := []string{mkExperiment(t, db, a.ID, "e1").ID, mkExperiment(t, db, a.ID, "e2").ID}
	world := buildSearchWorld(t, db, rng, a.ID, exps, 80)
	// The same experiment ids in another workspace, with runs that must
	// never be found from a.
	buildSearchWorld(t, db, rng, b.ID, []string{mkExperiment(t, db, b.ID, "e1").ID, mkExperiment(t, db, b.ID, "e2").ID}, 15)
	views := [][]string{{lathe.StageActive}, {lathe.StageDeleted}, {lathe.StageActive, lathe.StageDeleted}}
	found := 0 // queries with at least two runs in the answer
	for q := 0; q < 300; q++ {
		var f search.Filter
		for i := rng.IntN(4); i > 0; i-- {
			f.Comparisons = append(f.Comparisons, randomComparison(rng, world))
		}
		parsed, err := search.ParseRunFilter(f.String())
		if err != nil {
			t.Fatalf("query %d: generated filter %q does not parse: %v", q, f.String(), err)
		}
		orders := randomOrders(rng)
		stages := pick(rng, views)
		ids := exps
		if rng.IntN(3) == 0 {
			ids = []string{pick(rng, exps)}
		}
		var want []search.RunView
		for _, r := range world {
			if slices.Contains(stages, r.stage) && slices.Contains(ids, r.exp) && parsed.Match(r.view) {
				want = append(want, r.view)
			}
		}
		full := search.CompleteRunOrder(orders)
		slices.SortFunc(want, func(x, y search.RunView) int {
			switch {
			case search.Less(full, x, y):
				return -1
			case search.Less(full, y, x):
				return 1
			}
			return 0
		})
		offset, limit := rng.IntN(5), 1+rng.IntN(90)
		want = want[min(offset, len(want)):min(offset+limit, len(want))]
		if len(want) > 1 {
			found++
		}
		got, err := db.SearchRuns(ctx, a.ID, store.RunQuery{ExperimentIDs: ids, Filter: parsed, Order: orders, Stages: stages, Offset: offset, Limit: limit})
		if err != nil {
			t.Fatalf("query %d (%q): %v", q, parsed.String(), err)
		}
		gotIDs := make([]string, len(got))
		for i, r := range got {
			gotIDs[i] = r.Info.RunID[:6]
		}
		wantIDs := make([]string, len(want))
		for i, r := range want {
			wantIDs[i] = r.RunID[:6]
		}
		if !slices.Equal(gotIDs, wantIDs) {
			t.Fatalf("seed %d, query %d: filter %q, order %v, stages %v, experiments %v, offset %d, limit %d\n got  %v\n want %v",
				seed, q, parsed.String(), orders, stages, ids, offset, limit, gotIDs, wantIDs)
		}
	}
	if found < 60 {
		t.Fatalf("only %d of 300 random queries found two runs or more; the property is not being exercised", found)
	}
	t.Logf("%d of 300 random queries found two runs or more", found)
}

// testTrackingSearchExperiments is the same property for experiments:
// SQL results equal search.Filter.MatchExperiment in
// search.LessExperiment's order.
func testTrackingSearchExperiments(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	rng := rand.New(rand.NewPCG(11, 12))
	var world []search.ExperimentView
	stageOf := map[string]string{}
	for i := 0; i < 30; i++ {
		e := &lathe.Experiment{WorkspaceID: w.ID, Name: fmt.Sprintf("%s-%d", pick(rng, strPool), i), LifecycleStage: lathe.StageActive,
			CreationTime: ms0 + int64(rng.IntN(4)), LastUpdateTime: ms0 + int64(rng.IntN(8))}
		v := search.ExperimentView{Name: e.Name, CreationTime: e.CreationTime, LastUpdateTime: e.LastUpdateTime, Tags: map[string]string{}}
		if rng.IntN(2) == 0 {
			v.Tags["team"] = pick(rng, strPool)
			e.Tags = []lathe.Tag{{Key: "team", Value: v.Tags["team"]}}
		}
		if err := db.CreateExperiment(ctx, e); err != nil {
			t.Fatal(err)
		}
		v.ExperimentID = e.ID
		stageOf[e.ID] = lathe.StageActive
		if rng.IntN(4) == 0 {
			if err := db.SetExperimentStage(ctx, w.ID, e.ID, lathe.StageDeleted, e.LastUpdateTime); err != nil {
				t.Fatal(err)
			}
			stageOf[e.ID] = lathe.StageDeleted
		}
		world = append(world, v)
	}
	orderFields := []string{search.AttrName, search.AttrExperimentID, search.AttrCreationTime, search.AttrLastUpdateTime}
	found := 0
	for q := 0; q < 150; q++ {
		var f search.Filter
		for i := rng.IntN(3); i > 0; i-- {
			var c search.Comparison
			switch rng.IntN(3) {
			case 0:
				c = search.Comparison{Kind: search.Attribute, Key: search.AttrName, Op: pick(rng, strOps)}
				c.Value = pick(rng, append(append([]string{}, patternPool...), "a-1", "LBFGS-3"))
			case 1:
				c = search.Comparison{Kind: search.Attribute, Key: pick(rng, []string{search.AttrCreationTime, search.AttrLastUpdateTime}), Op: pick(rng, numOps), Value: pick(rng, timePool)}
			default:
				c = search.Comparison{Kind: search.Tag, Key: pick(rng, []string{"team", "absent"}), Op: pick(rng, append(append([]search.Op{}, strOps...), search.OpIsNull))}
				if c.Op != search.OpIsNull {
					c.Value = pick(rng, patternPool)
				}
			}
			f.Comparisons = append(f.Comparisons, c)
		}
		parsed, err := search.ParseExperimentFilter(f.String())
		if err != nil {
			t.Fatalf("query %d: generated filter %q does not parse: %v", q, f.String(), err)
		}
		var orders []search.Order
		for _, k := range orderFields[:rng.IntN(3)] {
			orders = append(orders, search.Order{Kind: search.Attribute, Key: k, Desc: rng.IntN(2) == 0})
		}
		rng.Shuffle(len(orders), func(i, j int) { orders[i], orders[j] = orders[j], orders[i] })
		stages := [][]string{{lathe.StageActive}, {lathe.StageDeleted}, {lathe.StageActive, lathe.StageDeleted}}[rng.IntN(3)]
		var want []search.ExperimentView
		for _, e := range world {
			if slices.Contains(stages, stageOf[e.ExperimentID]) && parsed.MatchExperiment(e) {
				want = append(want, e)
			}
		}
		full := search.CompleteExperimentOrder(orders)
		slices.SortFunc(want, func(x, y search.ExperimentView) int {
			switch {
			case search.LessExperiment(full, x, y):
				return -1
			case search.LessExperiment(full, y, x):
				return 1
			}
			return 0
		})
		if len(want) > 1 {
			found++
		}
		got, err := db.SearchExperiments(ctx, w.ID, store.ExperimentQuery{Filter: parsed, Order: orders, Stages: stages, Limit: 100})
		if err != nil {
			t.Fatalf("query %d (%q): %v", q, parsed.String(), err)
		}
		var gotIDs, wantIDs []string
		for _, e := range got {
			gotIDs = append(gotIDs, e.ID)
		}
		for _, e := range want {
			wantIDs = append(wantIDs, e.ExperimentID)
		}
		if !slices.Equal(gotIDs, wantIDs) {
			t.Fatalf("query %d: filter %q, order %v, stages %v\n got  %v\n want %v", q, parsed.String(), orders, stages, gotIDs, wantIDs)
		}
	}
	if found < 30 {
		t.Fatalf("only %d of 150 random queries found two experiments or more", found)
	}
}

// history returns the first n values of a metric's history.
func history(ctx context.Context, db *store.DB, ws, run, key string, n int) ([]lathe.Metric, error) {
	h, _, err := db.MetricHistory(ctx, ws, run, key, nil, n)
	return h, err
}

// testTrackingHistoryTies pages through a history whose values repeat
// across page boundaries: paging by key must neither skip nor repeat one.
func testTrackingHistoryTies(t *testing.T, open Opener) {
	ctx := t.Context()
	db := mustOpen(t, open)
	w := mkWorkspace(t, db, "ws")
	e := &lathe.Experiment{WorkspaceID: w.ID, Name: "e", LifecycleStage: lathe.StageActive}
	if err := db.CreateExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	r := &lathe.RunInfo{WorkspaceID: w.ID, RunID: lathe.NewID(), ExperimentID: e.ID, Name: "r", Status: lathe.RunRunning, LifecycleStage: lathe.StageActive}
	if err := db.CreateRun(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	// Seven identical values sent in separate requests (so all are kept),
	// between distinct ones, and a NaN at the same step.
	var want []float64
	for i := 0; i < 7; i++ {
		if err := db.LogBatch(ctx, w.ID, r.RunID, []lathe.Metric{{Key: "m", Value: 0.5, Timestamp: 10, Step: 1}}, nil, nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, 0.5)
	}
	batch := []lathe.Metric{{Key: "m", Value: 0.1, Timestamp: 1, Step: 0}, {Key: "m", Value: 0.9, Timestamp: 20, Step: 1}, {Key: "m", Value: math.NaN(), Timestamp: 20, Step: 1}, {Key: "m", Value: 2, Timestamp: 1, Step: 5}}
	if err := db.LogBatch(ctx, w.ID, r.RunID, batch, nil, nil); err != nil {
		t.Fatal(err)
	}
	want = append([]float64{0.1}, append(want, 0.9, math.NaN(), 2)...)
	for _, size := range []int{1, 2, 3, 4, 100} {
		var got []float64
		var cur *store.HistoryCursor
		for pages := 0; pages < 50; pages++ {
			page, next, err := db.MetricHistory(ctx, w.ID, r.RunID, "m", cur, size)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page {
				got = append(got, m.Value)
			}
			if len(page) < size {
				break
			}
			cur = next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages of %d: %v, want %v", size, got, want)
		}
	}
}
