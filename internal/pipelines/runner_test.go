package pipelines

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/store"
	"github.com/latheml/lathe/internal/store/sqlite"
)

// fakeJobs stands in for the jobs service: Submit stores a queued command
// job, Cancel ends it canceled, and the test moves jobs along with
// setStatus and complete.
type fakeJobs struct {
	t  *testing.T
	db *store.DB

	mu       sync.Mutex
	submits  map[string]int // by step (tag lathe.step)
	cancels  []string
	changed  map[string]chan struct{}
	sequence int
}

var _ Jobs = (*fakeJobs)(nil)

func (f *fakeJobs) Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req jobs.SubmitRequest) (*lathe.Job, error) {
	f.mu.Lock()
	f.submits[req.Spec.Tags["lathe.step"]]++
	f.sequence++
	n := f.sequence
	f.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Millisecond)
	name := req.Name
	if name == "" {
		name = "job" + string(rune('a'+n))
	}
	j := &lathe.Job{WorkspaceID: ws.ID, Workspace: ws.Name, ID: lathe.NewID(), Name: name, Type: "command", Status: lathe.JobQueued,
		Compute: "local", Environment: "host", Spec: req.Spec, Attempt: 1, CreatedAt: now, UpdatedAt: now, CreatedBy: p.UserName, CreatedByID: p.UserID}
	if err := f.db.CreateJob(ctx, j, lathe.JobEvent{At: now, Status: lathe.JobQueued, Message: "submitted"}, nil); err != nil {
		return nil, err
	}
	return j, nil
}

func (f *fakeJobs) Cancel(ctx context.Context, ws, name, actor string) (*lathe.Job, error) {
	f.mu.Lock()
	f.cancels = append(f.cancels, name)
	f.mu.Unlock()
	j, err := f.db.Job(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	return f.setStatus(j.ID, lathe.JobCanceled)
}

func (f *fakeJobs) Changed(id string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.changed[id]
	if ch == nil {
		ch = make(chan struct{})
		f.changed[id] = ch
	}
	return ch
}

func (f *fakeJobs) Notify(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch := f.changed[id]; ch != nil {
		close(ch)
		delete(f.changed, id)
	}
}

// setStatus moves a job to a status and tells its watchers.
func (f *fakeJobs) setStatus(id, status string) (*lathe.Job, error) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := store.JobUpdate{From: []string{lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning}, Status: status, At: now}
	if status == lathe.JobRunning {
		u.StartedAt = &now
	}
	if lathe.JobTerminal(status) {
		u.EndedAt = &now
	}
	j, err := f.db.UpdateJob(context.Background(), id, u)
	f.Notify(id)
	return j, err
}

// complete ends a job completed with every output registered.
func (f *fakeJobs) complete(id string) {
	f.t.Helper()
	j, err := f.db.JobByID(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	sp := j.Spec
	for k, o := range sp.Outputs {
		o.Data = "out_" + j.Name + "_" + k + ":1"
		sp.Outputs[k] = o
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := f.db.UpdateJob(context.Background(), id, store.JobUpdate{Spec: &sp, At: now}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.setStatus(id, lathe.JobCompleted); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeJobs) submitted() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.submits {
		out[k] = v
	}
	return out
}

type env struct {
	t    *testing.T
	db   *store.DB
	jobs *fakeJobs
	ws   *lathe.Workspace
	user lathe.Principal
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lathe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	u := &lathe.User{ID: lathe.NewID(), Name: "ada", CreatedAt: now}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	ws := &lathe.Workspace{ID: lathe.NewID(), Name: "team", CreatedAt: now}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, ws: ws, user: lathe.Principal{UserID: u.ID, UserName: u.Name},
		jobs: &fakeJobs{t: t, db: db, submits: map[string]int{}, changed: map[string]chan struct{}{}}}
}

// start runs a pipelines service on e's store until the returned stop is
// called (or the test ends).
func (e *env) start() (*Service, func()) {
	e.t.Helper()
	s := New(Options{Store: e.db, Jobs: e.jobs, Poll: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	for {
		s.mu.Lock()
		started := s.ctx != nil
		s.mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(stop)
	return s, stop
}

// step waits until a pipeline's step satisfies pred.
func (e *env) step(pipelineID, name string, pred func(lathe.PipelineStep) bool) lathe.PipelineStep {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		steps, err := e.db.PipelineSteps(context.Background(), pipelineID)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, s := range steps {
			if s.Step == name && pred(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("step %s: condition not reached in 5s; steps %+v", name, steps)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ended waits for a job to end.
func (e *env) ended(id string) *lathe.Job {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		j, err := e.db.JobByID(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if lathe.JobTerminal(j.Status) {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s still %s after 5s", j.Name, j.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const chain = `type: pipeline
jobs:
  one:
    command: echo 1 > ${{outputs.out}}/n
    outputs:
      out:
        type: uri_folder
  two:
    command: cat ${{inputs.in}}/n > ${{outputs.out}}/n
    inputs:
      in: ${{parent.jobs.one.outputs.out}}
    outputs:
      out:
        type: uri_folder
  three:
    command: cat ${{inputs.in}}/n
    inputs:
      in: ${{parent.jobs.two.outputs.out}}
`

func hasJob(s lathe.PipelineStep) bool { return s.JobID != "" }

func TestCancelCascades(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, _ := e.start()
	p, err := s.Submit(context.Background(), e.ws, e.user, SubmitRequest{Name: "chain", Spec: lathe.PipelineSpec{File: "chain.yml", YAML: chain}})
	if err != nil {
		t.Fatal(err)
	}
	one := e.step(p.ID, "one", hasJob)
	if _, err := e.jobs.setStatus(one.JobID, lathe.JobRunning); err != nil {
		t.Fatal(err)
	}
	e.step(p.ID, "one", func(s lathe.PipelineStep) bool { return s.State == "running" })

	// What jobs' Cancel does to a running pipeline job.
	yes := true
	if _, err := e.db.UpdateJob(context.Background(), p.ID, store.JobUpdate{At: time.Now().UTC(), Message: "cancel requested", CancelRequested: &yes}); err != nil {
		t.Fatal(err)
	}
	e.jobs.Notify(p.ID)

	if j := e.ended(p.ID); j.Status != lathe.JobCanceled {
		t.Errorf("pipeline ended %s (%s), want canceled", j.Status, j.Reason)
	}
	if j := e.ended(one.JobID); j.Status != lathe.JobCanceled {
		t.Errorf("step one's job ended %s, want canceled", j.Status)
	}
	if got := e.step(p.ID, "one", func(lathe.PipelineStep) bool { return true }); got.State != "canceled" {
		t.Errorf("step one = %+v, want canceled", got)
	}
	for _, name := range []string{"two", "three"} {
		if got := e.step(p.ID, name, func(lathe.PipelineStep) bool { return true }); got.State != "canceled" || got.JobID != "" {
			t.Errorf("step %s = %+v, want canceled without a job", name, got)
		}
	}
	if got := e.jobs.submitted(); len(got) != 1 || got["one"] != 1 {
		t.Errorf("submitted %v, want only step one, once", got)
	}
}

func TestResumesAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, stop := e.start()
	p, err := s.Submit(context.Background(), e.ws, e.user, SubmitRequest{Name: "chain", Spec: lathe.PipelineSpec{File: "chain.yml", YAML: chain}})
	if err != nil {
		t.Fatal(err)
	}
	one := e.step(p.ID, "one", hasJob)
	if _, err := e.jobs.setStatus(one.JobID, lathe.JobRunning); err != nil {
		t.Fatal(err)
	}
	e.step(p.ID, "one", func(s lathe.PipelineStep) bool { return s.State == "running" })
	stop()
	// Step one's job ends while no controller runs.
	e.jobs.complete(one.JobID)

	e.start()
	two := e.step(p.ID, "two", hasJob)
	// Step two's job is recorded as it is submitted, step one's end with
	// the rest of the pass.
	if got := e.step(p.ID, "one", func(s lathe.PipelineStep) bool { return s.State != "running" }); got.State != "completed" || got.JobID != one.JobID {
		t.Errorf("step one after the restart = %+v, want completed by %s", got, one.Job)
	}
	e.jobs.complete(two.JobID)
	three := e.step(p.ID, "three", hasJob)
	e.jobs.complete(three.JobID)
	if j := e.ended(p.ID); j.Status != lathe.JobCompleted {
		t.Errorf("pipeline ended %s (%s), want completed", j.Status, j.Reason)
	}
	want := map[string]int{"one": 1, "two": 1, "three": 1}
	got := e.jobs.submitted()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("submitted %v, want each step once", got)
			break
		}
	}
}

// TestRestartAdoptsAStepSubmittedButNotRecorded: a server that stopped
// between submitting a step's job and recording it must adopt the job it
// finds by name, not submit a second one.
func TestRestartAdoptsAStepSubmittedButNotRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, stop := e.start()
	p, err := s.Submit(context.Background(), e.ws, e.user, SubmitRequest{Name: "chain", Spec: lathe.PipelineSpec{File: "chain.yml", YAML: chain}})
	if err != nil {
		t.Fatal(err)
	}
	one := e.step(p.ID, "one", hasJob)
	stop()
	// Forget the recorded job, as if the server stopped before writing it.
	steps, err := e.db.PipelineSteps(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		if steps[i].Step == "one" {
			steps[i].JobID, steps[i].Job = "", ""
			if err := e.db.PutPipelineSteps(context.Background(), p.ID, e.ws.ID, steps[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.start()
	again := e.step(p.ID, "one", hasJob)
	if again.JobID != one.JobID {
		t.Errorf("after the restart step one has job %s, want the one submitted before (%s)", again.Job, one.Job)
	}
	if got := e.jobs.submitted()["one"]; got != 2 {
		// The second Submit is refused as a duplicate name by the store
		// and the runner adopts the existing job.
		t.Logf("step one's Submit was called %d times", got)
	}
	e.jobs.complete(again.JobID)
	e.jobs.complete(e.step(p.ID, "two", hasJob).JobID)
	e.jobs.complete(e.step(p.ID, "three", hasJob).JobID)
	if j := e.ended(p.ID); j.Status != lathe.JobCompleted {
		t.Errorf("pipeline ended %s (%s), want completed", j.Status, j.Reason)
	}
}
