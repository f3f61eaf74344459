package web_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/tracking"
	"github.com/latheml/lathe/internal/web"
)

var (
	_ web.Tracking = (*fakeTracking)(nil)
	_ web.Tracking = (*tracking.Service)(nil)
)

// fakeTracking is an in-memory web.Tracking. Searches use the real filter
// parser, matcher and ordering of internal/search, so filters behave as
// they do against the store.
type fakeTracking struct {
	mu        sync.Mutex
	exps      map[string][]*lathe.Experiment       // workspace ID → experiments
	runs      map[string][]*lathe.Run              // workspace ID → runs
	history   map[string]map[string][]lathe.Metric // run ID → key → values in step order
	artifacts map[string]map[string][]byte         // workspace ID → path → content
	searches  []tracking.SearchRunsRequest         // every SearchRuns call
	views     map[string]search.RunView            // run ID → what filters see, built on first use
	histories int                                  // MetricHistory calls
}

// Run IDs of the fake's mnist-cnn experiment.
const (
	runOwl   = "0a11c0ffee0000000000000000000001" // finished; has artifacts and a long noisy metric
	runFox   = "0a11c0ffee0000000000000000000002" // finished
	runElk   = "0a11c0ffee0000000000000000000003" // failed, its loss turns NaN
	runYak   = "0a11c0ffee0000000000000000000004" // running; one metric logged at step 0 only
	runOther = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b01" // in the vision workspace
)

// newFakeTracking fills workspace default with the experiments Default
// (no runs), mnist-cnn (four runs) and old-baseline (deleted), and vision
// with one run.
func newFakeTracking(now time.Time) *fakeTracking {
	f := &fakeTracking{exps: map[string][]*lathe.Experiment{}, runs: map[string][]*lathe.Run{},
		history: map[string]map[string][]lathe.Metric{}, artifacts: map[string]map[string][]byte{}}
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	day := 24 * time.Hour
	f.exps["ws-default"] = []*lathe.Experiment{
		{WorkspaceID: "ws-default", ID: "0", Name: "Default", ArtifactLocation: "mlflow-artifacts:/0", LifecycleStage: lathe.StageActive,
			CreationTime: ms(now.Add(-10 * day)), LastUpdateTime: ms(now.Add(-10 * day))},
		{WorkspaceID: "ws-default", ID: "1", Name: "mnist-cnn", ArtifactLocation: "mlflow-artifacts:/1", LifecycleStage: lathe.StageActive,
			CreationTime: ms(now.Add(-3 * day)), LastUpdateTime: ms(now.Add(-2 * time.Hour)),
			Tags: []lathe.Tag{{Key: "mlflow.note.content", Value: "Convolutional nets on MNIST, sweeping the learning rate and dropout."}, {Key: "team", Value: "vision"}}},
		{WorkspaceID: "ws-default", ID: "3", Name: "old-baseline", ArtifactLocation: "mlflow-artifacts:/3", LifecycleStage: lathe.StageDeleted,
			CreationTime: ms(now.Add(-9 * day)), LastUpdateTime: ms(now.Add(-8 * day))},
	}
	f.exps["ws-vision"] = []*lathe.Experiment{
		{WorkspaceID: "ws-vision", ID: "0", Name: "Default", ArtifactLocation: "mlflow-artifacts:/0", LifecycleStage: lathe.StageActive,
			CreationTime: ms(now.Add(-5 * day)), LastUpdateTime: ms(now.Add(-5 * day))},
	}
	type spec struct {
		id, name, status string
		lr, dropout      float64
		optimizer        string
		steps            int
		ago              time.Duration
		diverge          bool
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, sp := range []spec{
		{runOwl, "brave-owl-1", lathe.RunFinished, 0.01, 0.2, "adam", 200, 26 * time.Hour, false},
		{runFox, "calm-fox-2", lathe.RunFinished, 0.001, 0.2, "adam", 200, 20 * time.Hour, false},
		{runElk, "eager-elk-3", lathe.RunFailed, 0.1, 0.5, "sgd", 80, 8 * time.Hour, true},
		{runYak, "quiet-yak-4", lathe.RunRunning, 0.003, 0.3, "adam", 60, 40 * time.Minute, false},
	} {
		start := now.Add(-sp.ago)
		info := lathe.RunInfo{WorkspaceID: "ws-default", RunID: sp.id, ExperimentID: "1", Name: sp.name, UserID: "olivia", Status: sp.status,
			StartTime: ms(start), ArtifactURI: "mlflow-artifacts:/1/" + sp.id + "/artifacts", LifecycleStage: lathe.StageActive}
		if sp.status != lathe.RunRunning {
			end := ms(start.Add(time.Duration(sp.steps) * 1500 * time.Millisecond))
			info.EndTime = &end
		}
		run := &lathe.Run{Info: info,
			Params: []lathe.Tag{{Key: "learning_rate", Value: fmt.Sprint(sp.lr)}, {Key: "dropout", Value: fmt.Sprint(sp.dropout)},
				{Key: "optimizer", Value: sp.optimizer}, {Key: "epochs", Value: "20"}, {Key: "batch_size", Value: "128"}},
			Tags: []lathe.Tag{{Key: "mlflow.runName", Value: sp.name}, {Key: "mlflow.user", Value: "olivia"},
				{Key: "mlflow.source.name", Value: "train.py"}, {Key: "mlflow.source.git.commit", Value: "9f2c4e1b7a0d3c5e8f6a1b2c3d4e5f6a7b8c9d0e"},
				{Key: "model_family", Value: "cnn"}},
		}
		hist := map[string][]lathe.Metric{}
		for step := 0; step < sp.steps; step++ {
			ts := ms(start.Add(time.Duration(step) * 1500 * time.Millisecond))
			rate := 0.02 + sp.lr*3
			loss := 2.3*math.Exp(-rate*float64(step)) + 0.05 + 0.04*rng.Float64()
			if sp.diverge && step > 40 {
				loss = 0.8 * math.Exp(0.06*float64(step-40))
			}
			if sp.diverge && step >= 75 {
				loss = math.NaN()
			}
			val := loss*1.08 + 0.03
			acc := math.Min(0.995, 1-loss/2.5)
			for key, v := range map[string]float64{"loss": loss, "val_loss": val, "accuracy": acc, "val_accuracy": acc - 0.01} {
				hist[key] = append(hist[key], lathe.Metric{Key: key, Value: v, Timestamp: ts, Step: int64(step)})
			}
		}
		if sp.id == runOwl {
			// A long, noisy series: downsampled into buckets with a band.
			for step := 0; step < 8000; step++ {
				v := 1 + 0.3*math.Sin(float64(step)/360) + 0.05*rng.NormFloat64()
				if step%1777 == 0 {
					v += 3 // rare spikes the band must keep
				}
				hist["grad_norm"] = append(hist["grad_norm"], lathe.Metric{Key: "grad_norm", Value: v, Timestamp: ms(start) + int64(step)*37, Step: int64(step)})
			}
		}
		if sp.id == runYak {
			// MLflow's default step is 0: every value at one step.
			for i := range 50 {
				hist["throughput"] = append(hist["throughput"], lathe.Metric{Key: "throughput", Value: 900 + 40*math.Sin(float64(i)/5),
					Timestamp: ms(start) + int64(i)*30000, Step: 0})
			}
		}
		f.addRun("ws-default", run, hist)
	}
	f.addRun("ws-vision", &lathe.Run{Info: lathe.RunInfo{WorkspaceID: "ws-vision", RunID: runOther, ExperimentID: "0", Name: "detector", Status: lathe.RunFinished,
		StartTime: ms(now.Add(-time.Hour)), ArtifactURI: "mlflow-artifacts:/0/" + runOther + "/artifacts", LifecycleStage: lathe.StageActive}},
		map[string][]lathe.Metric{"map": {{Key: "map", Value: 0.5, Timestamp: ms(now), Step: 1}}})

	root := "1/" + runOwl + "/artifacts/"
	var csvb strings.Builder
	csvb.WriteString("epoch,loss,val_loss,accuracy\n")
	for i := range 40 {
		fmt.Fprintf(&csvb, "%d,%.4f,%.4f,%.4f\n", i+1, 2.3*math.Exp(-0.05*float64(i)), 2.4*math.Exp(-0.048*float64(i)), 1-math.Exp(-0.1*float64(i)))
	}
	f.artifacts["ws-default"] = map[string][]byte{
		root + "metrics.csv":           []byte(csvb.String()),
		root + "config.json":           []byte(`{"model":{"layers":[32,64,128],"dropout":0.2,"activation":"relu"},"optimizer":{"name":"adam","learning_rate":0.01},"epochs":20,"note":"<b>not html</b>"}`),
		root + "notes.txt":             []byte("Trained on 60,000 images.\nValidation on 10,000.\n"),
		root + "plots/loss.png":        lossPNG(),
		root + "model/MLmodel":         []byte("artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"),
		root + "model/model.pkl":       {0x80, 0x04, 0x95, 0x00, 0x00, 0x01, 0x02},
		root + "page.html":             []byte(`<script>alert(1)</script><h1>hi</h1>`),
		"1/" + runFox + "/artifacts/x": []byte("fox"),
	}
	return f
}

// addRun stores a run, its history and its latest metrics.
func (f *fakeTracking) addRun(ws string, run *lathe.Run, hist map[string][]lathe.Metric) {
	keys := make([]string, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h := hist[k]
		if !slices.IsSortedFunc(h, func(a, b lathe.Metric) int { return cmp.Compare(a.Step, b.Step) }) {
			sort.SliceStable(h, func(i, j int) bool { return h[i].Step < h[j].Step })
		}
		run.Metrics = append(run.Metrics, h[len(h)-1])
	}
	f.runs[ws] = append(f.runs[ws], run)
	f.history[run.Info.RunID] = hist
}

// addSweep adds experiment 2, "sweep", with n runs of one param and one
// metric, for paging.
func (f *fakeTracking) addSweep(n int, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exps["ws-default"] = append(f.exps["ws-default"], &lathe.Experiment{WorkspaceID: "ws-default", ID: "2", Name: "sweep",
		ArtifactLocation: "mlflow-artifacts:/2", LifecycleStage: lathe.StageActive, CreationTime: now.Add(-time.Hour).UnixMilli(), LastUpdateTime: now.UnixMilli()})
	for i := range n {
		id := fmt.Sprintf("5eed%028x", i)
		f.runs["ws-default"] = append(f.runs["ws-default"], &lathe.Run{
			Info: lathe.RunInfo{WorkspaceID: "ws-default", RunID: id, ExperimentID: "2", Name: fmt.Sprintf("trial-%05d", i), Status: lathe.RunFinished,
				StartTime: now.Add(-time.Duration(n-i) * time.Second).UnixMilli(), ArtifactURI: "mlflow-artifacts:/2/" + id + "/artifacts", LifecycleStage: lathe.StageActive},
			Metrics: []lathe.Metric{{Key: "score", Value: float64(i%1000) / 1000, Step: 0, Timestamp: now.UnixMilli()}},
			Params:  []lathe.Tag{{Key: "seed", Value: fmt.Sprint(i)}},
		})
	}
}

// lossPNG is a small chart image, from testdata.
func lossPNG() []byte {
	b, err := os.ReadFile("testdata/loss.png")
	if err != nil {
		panic("fake tracking: " + err.Error())
	}
	return b
}

// runView is what the search package matches and orders.
func runView(r *lathe.Run) search.RunView {
	v := search.RunView{RunID: r.Info.RunID, RunName: r.Info.Name, UserID: r.Info.UserID, Status: r.Info.Status, ArtifactURI: r.Info.ArtifactURI,
		StartTime: r.Info.StartTime, EndTime: r.Info.EndTime, Metrics: map[string]float64{}, Params: map[string]string{}, Tags: map[string]string{}}
	for _, m := range r.Metrics {
		v.Metrics[m.Key] = m.Value
	}
	for _, p := range r.Params {
		v.Params[p.Key] = p.Value
	}
	for _, t := range r.Tags {
		v.Tags[t.Key] = t.Value
	}
	return v
}

func stagesOf(v tracking.ViewType) []string {
	switch v {
	case tracking.DeletedOnly:
		return []string{lathe.StageDeleted}
	case tracking.All:
		return []string{lathe.StageActive, lathe.StageDeleted}
	}
	return []string{lathe.StageActive}
}

// SearchExperiments implements web.Tracking.
func (f *fakeTracking) SearchExperiments(ctx context.Context, ws, filter string, view tracking.ViewType, max int, orderBy []string, pageToken string) ([]*lathe.Experiment, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	flt, err := search.ParseExperimentFilter(filter)
	if err != nil {
		return nil, "", err
	}
	orders, err := search.ParseOrderBy(orderBy, false)
	if err != nil {
		return nil, "", err
	}
	orders = search.CompleteExperimentOrder(orders)
	off, err := search.DecodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	view2 := func(e *lathe.Experiment) search.ExperimentView {
		ev := search.ExperimentView{ExperimentID: e.ID, Name: e.Name, CreationTime: e.CreationTime, LastUpdateTime: e.LastUpdateTime, Tags: map[string]string{}}
		for _, t := range e.Tags {
			ev.Tags[t.Key] = t.Value
		}
		return ev
	}
	var out []*lathe.Experiment
	for _, e := range f.exps[ws] {
		if slices.Contains(stagesOf(view), e.LifecycleStage) && flt.MatchExperiment(view2(e)) {
			c := *e
			out = append(out, &c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return search.LessExperiment(orders, view2(out[i]), view2(out[j])) })
	return pageOf(out, off, max)
}

// pageOf cuts one page out of a sorted result, with MLflow's next token.
func pageOf[T any](all []T, off, max int) ([]T, string, error) {
	if off > len(all) {
		off = len(all)
	}
	end := min(off+max, len(all))
	next := ""
	if end-off == max {
		next = search.EncodePageToken(end)
	}
	return all[off:end], next, nil
}

// Experiment implements web.Tracking.
func (f *fakeTracking) Experiment(ctx context.Context, ws, id string) (*lathe.Experiment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.exps[ws] {
		if e.ID == id {
			c := *e
			return &c, nil
		}
	}
	return nil, lathe.Errorf(lathe.ENOTFOUND, "No Experiment with id=%s exists", id)
}

// SearchRuns implements web.Tracking, recording each request.
func (f *fakeTracking) SearchRuns(ctx context.Context, ws string, req tracking.SearchRunsRequest) ([]*lathe.Run, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches = append(f.searches, req)
	if req.MaxResults < 1 || req.MaxResults > lathe.MaxSearchResults {
		return nil, "", lathe.Errorf(lathe.EINVALID, "max_results %d", req.MaxResults)
	}
	flt, err := search.ParseRunFilter(req.Filter)
	if err != nil {
		return nil, "", err
	}
	orders, err := search.ParseOrderBy(req.OrderBy, true)
	if err != nil {
		return nil, "", err
	}
	orders = search.CompleteRunOrder(orders)
	off, err := search.DecodePageToken(req.PageToken)
	if err != nil {
		return nil, "", err
	}
	type item struct {
		r *lathe.Run
		v search.RunView
	}
	var hits []item
	for _, r := range f.runs[ws] {
		if len(req.ExperimentIDs) > 0 && !slices.Contains(req.ExperimentIDs, r.Info.ExperimentID) || !slices.Contains(stagesOf(req.View), r.Info.LifecycleStage) {
			continue
		}
		v, ok := f.views[r.Info.RunID]
		if !ok {
			if f.views == nil {
				f.views = map[string]search.RunView{}
			}
			v = runView(r)
			f.views[r.Info.RunID] = v
		}
		if flt.Match(v) {
			hits = append(hits, item{r, v})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return search.Less(orders, hits[i].v, hits[j].v) })
	out := make([]*lathe.Run, 0, len(hits))
	for _, h := range hits {
		out = append(out, h.r)
	}
	return pageOf(out, off, req.MaxResults)
}

// searchCalls returns the SearchRuns requests so far.
func (f *fakeTracking) searchCalls() []tracking.SearchRunsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.searches)
}

// Run implements web.Tracking.
func (f *fakeTracking) Run(ctx context.Context, ws, id string) (*lathe.Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.runs[ws] {
		if r.Info.RunID == id {
			c := *r
			return &c, nil
		}
	}
	return nil, lathe.Errorf(lathe.ENOTFOUND, "Run '%s' not found", id)
}

// MetricHistory implements web.Tracking.
func (f *fakeTracking) MetricHistory(ctx context.Context, ws, id, key string, max int, pageToken string) ([]lathe.Metric, string, error) {
	if _, err := f.Run(ctx, ws, id); err != nil {
		return nil, "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.histories++
	off, err := search.DecodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	return pageOf(slices.Clone(f.history[id][key]), off, max)
}

// Downsample implements web.Tracking as the store does: equal step ranges,
// NaN left out, the values at each bucket's ends.
func (f *fakeTracking) Downsample(ctx context.Context, ws, id, key string, start, end *int64, points int) ([]store.MetricBucket, error) {
	if _, err := f.Run(ctx, ws, id); err != nil {
		return nil, err
	}
	if points < 1 || points > 10000 {
		return nil, lathe.Errorf(lathe.EINVALID, "points must be from 1 to 10000, got %d", points)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var vals []lathe.Metric
	for _, m := range f.history[id][key] {
		if !math.IsNaN(m.Value) && (start == nil || m.Step >= *start) && (end == nil || m.Step <= *end) {
			vals = append(vals, m)
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	lo, hi := vals[0].Step, vals[len(vals)-1].Step
	width := max((hi-lo+int64(points))/int64(points), 1)
	var out []store.MetricBucket
	for _, m := range vals {
		i := (m.Step - lo) / width
		if len(out) == 0 || (out[len(out)-1].FirstStep-lo)/width != i {
			out = append(out, store.MetricBucket{FirstStep: m.Step, Min: m.Value, Max: m.Value, First: m})
		}
		b := &out[len(out)-1]
		b.LastStep, b.Last = m.Step, m
		if b.First.Step == m.Step {
			b.First = m // the latest timestamp of a step wins
		}
		b.Min, b.Max = math.Min(b.Min, m.Value), math.Max(b.Max, m.Value)
		b.Mean = (b.Mean*float64(b.Count) + m.Value) / float64(b.Count+1)
		b.Count++
	}
	return out, nil
}

// ListArtifacts implements web.Tracking.
func (f *fakeTracking) ListArtifacts(ctx context.Context, ws, dir string) ([]store.ArtifactEntry, error) {
	dir, err := tracking.CleanArtifactPath(dir, true)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	seen := map[string]store.ArtifactEntry{}
	for p, b := range f.artifacts[ws] {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if child, _, deeper := strings.Cut(rest, "/"); deeper {
			seen[child] = store.ArtifactEntry{Path: prefix + child, IsDir: true}
		} else {
			seen[rest] = store.ArtifactEntry{Path: p, Size: int64(len(b))}
		}
	}
	out := make([]store.ArtifactEntry, 0, len(seen))
	for _, e := range seen {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// OpenArtifact implements web.Tracking.
func (f *fakeTracking) OpenArtifact(ctx context.Context, ws, path string) (io.ReadCloser, *store.Artifact, error) {
	p, err := tracking.CleanArtifactPath(path, false)
	if err != nil {
		return nil, nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.artifacts[ws][p]
	if !ok {
		return nil, nil, lathe.Errorf(lathe.ENOTFOUND, "No such file or directory: '%s'", p)
	}
	sum := sha256.Sum256(b)
	return io.NopCloser(bytes.NewReader(b)), &store.Artifact{Path: p, Digest: lathe.Digest("sha256:" + hex.EncodeToString(sum[:])), Size: int64(len(b))}, nil
}
