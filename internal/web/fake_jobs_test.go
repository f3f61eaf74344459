package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/web"
)

// Jobs of the fake: their names say what a test finds in them.
const (
	jobDone     = "jolly-river-1" // completed; data inputs and outputs, literals, an MLflow run with metrics, git state
	jobUserFail = "brave-fox-2"   // failed by the user's command, exit code 2
	jobTimeout  = "calm-owl-3"    // failed by its timeout
	jobRunning  = "eager-elk-4"   // running; tests append lines to it
	jobQueued   = "quiet-bee-5"   // queued
	jobCanceled = "lone-cat-6"    // canceled while running
	jobLongLog  = "long-log-7"    // completed with more lines than a stream sends before following
	jobSecret   = "hidden-job-1"  // in the secret workspace
	fillerJobs  = 30              // completed batch-NN jobs, older than the rest
	longLogSize = 6200
)

// fakeJobs is an in-memory jobs service: jobs by workspace ID, newest
// first, with their events and logs, and followers woken on change.
type fakeJobs struct {
	mu     sync.Mutex
	now    time.Time
	jobs   map[string][]*lathe.Job     // workspace ID → jobs, newest first
	events map[string][]lathe.JobEvent // job ID → events
	logs   map[string][]lathe.LogLine  // job ID → lines
	waits  map[string]chan struct{}    // job ID → closed on change
	calls  map[string]int              // method → calls
}

var _ web.Jobs = (*fakeJobs)(nil)

func ptr[T any](v T) *T { return &v }

// newFakeJobs fills the default workspace with the jobs above and the
// secret workspace with one.
func newFakeJobs(t0 time.Time) *fakeJobs {
	f := &fakeJobs{now: t0, jobs: map[string][]*lathe.Job{}, events: map[string][]lathe.JobEvent{}, logs: map[string][]lathe.LogLine{},
		waits: map[string]chan struct{}{}, calls: map[string]int{}}
	add := func(ws string, j *lathe.Job, lines ...lathe.LogLine) {
		j.WorkspaceID, j.ID, j.Type = ws, "job-"+j.Name, "command"
		j.Workspace = ws[len("ws-"):]
		if j.Compute == "" {
			j.Compute = lathe.DefaultCompute
		}
		if j.Attempt == 0 {
			j.Attempt = 1
		}
		ev := []lathe.JobEvent{{Seq: 1, At: j.CreatedAt, Status: lathe.JobQueued, Message: "submitted by " + j.CreatedBy}}
		if j.StartedAt != nil {
			ev = append(ev, lathe.JobEvent{Seq: 2, At: j.StartedAt.Add(-4 * time.Second), Status: lathe.JobPreparing, Message: "staging 1 input on local"},
				lathe.JobEvent{Seq: 3, At: *j.StartedAt, Status: lathe.JobRunning, Message: "command started"})
		}
		if j.EndedAt != nil {
			msg := j.Reason
			if msg == "" {
				msg = "the command exited with code 0"
			}
			ev = append(ev, lathe.JobEvent{Seq: int64(len(ev) + 1), At: *j.EndedAt, Status: j.Status, Message: msg})
		}
		f.events[j.ID] = ev
		for i := range lines {
			lines[i].N = int64(i + 1)
		}
		f.logs[j.ID] = lines
		j.LogLines = int64(len(lines))
		f.jobs[ws] = append(f.jobs[ws], j)
	}
	at := func(d time.Duration) *time.Time { return ptr(t0.Add(d)) }
	ms := func(d time.Duration) int64 { return t0.Add(d).UnixMilli() }
	line := func(stream, text string, d time.Duration) lathe.LogLine {
		return lathe.LogLine{Stream: stream, Text: text, Time: ms(d)}
	}
	// Newest first.
	add("ws-default", &lathe.Job{Name: jobQueued, Status: lathe.JobQueued, CreatedAt: t0.Add(-1 * time.Minute), CreatedBy: "rita",
		Spec: lathe.JobSpec{Command: "python evaluate.py", DisplayName: "evaluate", ExperimentName: "mnist-cnn"}})
	add("ws-default", &lathe.Job{Name: jobRunning, Status: lathe.JobRunning, CreatedAt: t0.Add(-4 * time.Minute), CreatedBy: "olivia",
		StartedAt: at(-3 * time.Minute), ExperimentID: "1",
		Spec: lathe.JobSpec{Command: "python train.py --epochs ${{inputs.epochs}}", DisplayName: "long training", ExperimentName: "mnist-cnn",
			Inputs: map[string]lathe.JobInput{"epochs": {Type: lathe.InputInteger, Value: ptr("5")}}}},
		line(lathe.StreamSystem, "environment: host", -3*time.Minute),
		line(lathe.StreamSystem, "command: python train.py --epochs 5", -3*time.Minute),
		line(lathe.StreamStdout, "loading data", -170*time.Second),
		line(lathe.StreamStderr, "warning: no GPU found, training on the CPU", -160*time.Second),
		line(lathe.StreamStdout, "epoch 1/5 loss=0.91", -100*time.Second))
	add("ws-default", &lathe.Job{Name: jobCanceled, Status: lathe.JobCanceled, CreatedAt: t0.Add(-30 * time.Minute), CreatedBy: "olivia",
		StartedAt: at(-29 * time.Minute), EndedAt: at(-25 * time.Minute), Reason: "canceled by olivia", ExitCode: ptr(143),
		Spec: lathe.JobSpec{Command: "sleep 3600"}},
		line(lathe.StreamSystem, "stopping: canceled by olivia", -25*time.Minute))
	add("ws-default", &lathe.Job{Name: jobTimeout, Status: lathe.JobFailed, Failure: lathe.FailureTimeout, CreatedAt: t0.Add(-2 * time.Hour), CreatedBy: "olivia",
		StartedAt: at(-119 * time.Minute), EndedAt: at(-89 * time.Minute), Reason: "limits.timeout of 30m was reached; the command was stopped",
		Spec: lathe.JobSpec{Command: "python sweep.py", Timeout: 1800}},
		line(lathe.StreamStdout, "trial 1", -118*time.Minute), line(lathe.StreamSystem, "timeout: stopping the command", -89*time.Minute))
	add("ws-default", &lathe.Job{Name: jobUserFail, Status: lathe.JobFailed, Failure: lathe.FailureUser, CreatedAt: t0.Add(-3 * time.Hour), CreatedBy: "rita",
		StartedAt: at(-179 * time.Minute), EndedAt: at(-179*time.Minute + 3*time.Second), ExitCode: ptr(2),
		Reason: "the command exited with code 2; the last lines of its log say why",
		Spec:   lathe.JobSpec{Command: "python trian.py", DisplayName: "typo"}},
		line(lathe.StreamSystem, "command: python trian.py", -179*time.Minute),
		line(lathe.StreamStderr, "python: can't open file '/job/code/trian.py': [Errno 2] No such file or directory", -179*time.Minute))
	doneLines := []lathe.LogLine{line(lathe.StreamSystem, "staging input training_data: customers:2 (1 file)", -6*time.Hour),
		line(lathe.StreamSystem, "command: python train.py --data /job/inputs/training_data --lr 0.01 --model /job/outputs/model", -6*time.Hour)}
	for i := 1; i <= 40; i++ {
		stream := lathe.StreamStdout
		if i%10 == 0 {
			stream = lathe.StreamStderr
		}
		doneLines = append(doneLines, line(stream, fmt.Sprintf("epoch %d/40 loss=%.3f", i, 1/float64(i)), -6*time.Hour+time.Duration(i)*time.Minute))
	}
	add("ws-default", &lathe.Job{Name: jobDone, Status: lathe.JobCompleted, CreatedAt: t0.Add(-6*time.Hour - time.Minute), CreatedBy: "olivia",
		StartedAt: at(-6 * time.Hour), EndedAt: at(-5*time.Hour + 20*time.Minute), ExitCode: ptr(0), ExperimentID: "1", RunID: runOwl,
		Environment: "sklearn:3",
		Spec: lathe.JobSpec{
			Command:     "python train.py --data ${{inputs.training_data}} --lr ${{inputs.lr}} --model ${{outputs.model}}",
			DisplayName: "train cnn", Description: "Trains the CNN on the March customers.", ExperimentName: "mnist-cnn", Environment: "azureml:sklearn:3",
			Compute: "azureml:local", Timeout: 7200, Resources: lathe.JobResources{CPU: 2, Memory: 4 << 30},
			Tags:                 map[string]string{"team": "vision", "stage": "dev"},
			EnvironmentVariables: map[string]string{"OMP_NUM_THREADS": "2"},
			Code:                 &lathe.CodeSnapshot{Digest: "sha256:c0de", Files: 12, Size: 48 << 10, GitCommit: "4f2a9c1e0b7d6a5c4b3a29180716253443526170", GitDirty: true, GitBranch: "main"},
			Inputs: map[string]lathe.JobInput{
				"training_data": {Type: lathe.DataURIFile, Path: "azureml:customers:2", Data: "customers:2"},
				"lr":            {Type: lathe.InputNumber, Value: ptr("0.01")},
			},
			Outputs: map[string]lathe.JobOutput{
				"model":   {Type: lathe.ModelCustom, Data: "azureml_jolly-river-1_output_model:1"},
				"scratch": {},
			},
		}}, doneLines...)
	long := make([]lathe.LogLine, longLogSize)
	for i := range long {
		long[i] = line(lathe.StreamStdout, fmt.Sprintf("row %d", i+1), -7*time.Hour)
	}
	add("ws-default", &lathe.Job{Name: jobLongLog, Status: lathe.JobCompleted, CreatedAt: t0.Add(-7 * time.Hour), CreatedBy: "olivia",
		StartedAt: at(-7 * time.Hour), EndedAt: at(-6*time.Hour - 30*time.Minute), ExitCode: ptr(0), Spec: lathe.JobSpec{Command: "python dump.py"}}, long...)
	for i := range fillerJobs {
		add("ws-default", &lathe.Job{Name: fmt.Sprintf("batch-%02d", i), Status: lathe.JobCompleted, CreatedAt: t0.Add(-time.Duration(24+i) * time.Hour), CreatedBy: "rita",
			StartedAt: at(-time.Duration(24+i) * time.Hour), EndedAt: at(-time.Duration(24+i)*time.Hour + 90*time.Second), ExitCode: ptr(0),
			Spec: lathe.JobSpec{Command: "python batch.py"}})
	}
	add("ws-secret", &lathe.Job{Name: jobSecret, Status: lathe.JobCompleted, CreatedAt: t0.Add(-time.Hour), CreatedBy: "sam", Spec: lathe.JobSpec{Command: "true"}})
	return f
}

func (f *fakeJobs) find(ws, name string) (*lathe.Job, error) {
	for _, j := range f.jobs[ws] {
		if j.Name == name {
			return j, nil
		}
	}
	return nil, lathe.Errorf(lathe.ENOTFOUND, "job %q not found", name)
}

// Jobs implements web.Jobs; the cursor is the name of the last job of the
// page before.
func (f *fakeJobs) Jobs(ctx context.Context, ws string, statuses []string, cursor string, limit int) (*jobs.JobPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Jobs"]++
	list := f.jobs[ws]
	if cursor != "" {
		i := slices.IndexFunc(list, func(j *lathe.Job) bool { return j.Name == cursor })
		if i < 0 {
			return nil, lathe.Errorf(lathe.EINVALID, "cursor %q is not one this server issued", cursor)
		}
		list = list[i+1:]
	}
	page := &jobs.JobPage{}
	for _, j := range list {
		if len(statuses) > 0 && !slices.Contains(statuses, j.Status) {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = page.Items[limit-1].Name
			break
		}
		c := *j
		page.Items = append(page.Items, &c)
	}
	return page, nil
}

// Job implements web.Jobs.
func (f *fakeJobs) Job(ctx context.Context, ws, name string) (*lathe.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.find(ws, name)
	if err != nil {
		return nil, err
	}
	c := *j
	return &c, nil
}

// Events implements web.Jobs.
func (f *fakeJobs) Events(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.JobEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.find(ws, name)
	if err != nil {
		return nil, nil, err
	}
	var out []lathe.JobEvent
	for _, e := range f.events[j.ID] {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	c := *j
	return &c, out, nil
}

// Logs implements web.Jobs.
func (f *fakeJobs) Logs(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.LogLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Logs"]++
	if limit <= 0 || limit > 10_000 {
		return nil, nil, fmt.Errorf("fake: Logs limit %d is out of bounds", limit)
	}
	j, err := f.find(ws, name)
	if err != nil {
		return nil, nil, err
	}
	c := *j
	all := f.logs[j.ID]
	if after >= int64(len(all)) {
		return &c, nil, nil
	}
	return &c, slices.Clone(all[after:min(int64(len(all)), after+int64(limit))]), nil
}

// Changed implements web.Jobs.
func (f *fakeJobs) Changed(jobID string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.waits[jobID]
	if ch == nil {
		ch = make(chan struct{})
		f.waits[jobID] = ch
	}
	return ch
}

// Wait implements web.Jobs.
func (f *fakeJobs) Wait(ctx context.Context, jobID string, ch <-chan struct{}, poll time.Duration) bool {
	t := time.NewTimer(poll)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return true
}

// notify wakes the job's followers; f.mu is held.
func (f *fakeJobs) notify(jobID string) {
	if ch := f.waits[jobID]; ch != nil {
		close(ch)
		delete(f.waits, jobID)
	}
}

// appendLog adds lines to a job's log, as its wrapper would.
func (f *fakeJobs) appendLog(ws, name, stream string, texts ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.find(ws, name)
	if err != nil {
		panic(err)
	}
	for _, t := range texts {
		n := int64(len(f.logs[j.ID]) + 1)
		f.logs[j.ID] = append(f.logs[j.ID], lathe.LogLine{N: n, Stream: stream, Text: t, Time: f.now.UnixMilli()})
	}
	j.LogLines = int64(len(f.logs[j.ID]))
	f.notify(j.ID)
}

// finish ends a job with a status.
func (f *fakeJobs) finish(ws, name, status string, exit int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.find(ws, name)
	if err != nil {
		panic(err)
	}
	j.Status, j.EndedAt, j.ExitCode = status, ptr(f.now), ptr(exit)
	f.events[j.ID] = append(f.events[j.ID], lathe.JobEvent{Seq: int64(len(f.events[j.ID]) + 1), At: f.now, Status: status})
	f.notify(j.ID)
}

// studioWithJobs builds the studio over the world and a jobs fake.
func (w *world) studioWithJobs(j *fakeJobs) (*web.Studio, error) {
	return web.New(web.Options{Sessions: w, Authorizer: w, Workspaces: w, Accounts: w, Roles: w, Audit: w, Data: w,
		Tracking: w.trk, DataAssets: w.data, Jobs: j, Now: w.clock})
}

// jobsServer serves the studio over w and a new jobs fake, for the
// browser flows that need jobs; it returns the server's URL.
func jobsServer(t *testing.T, w *world) (string, *fakeJobs) {
	t.Helper()
	j := newFakeJobs(w.now)
	s, err := w.studioWithJobs(j)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL, j
}
