package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/web"
)

// Pipeline jobs of the fake, added in front of the jobs fake's (newest).
const (
	pipeRunning = "sturdy-pipe-8" // running: prep completed, features reused from jobDone, train running, evaluate and report pending
	pipeWide    = "wide-pipe-9"   // completed: split, wideShards parallel shards, merge
	wideShards  = 14
)

// fakePipelines is an in-memory pipelines service over a jobs fake: the
// steps of each pipeline job, with their jobs' times read from the jobs.
type fakePipelines struct {
	mu    sync.Mutex
	jobs  *fakeJobs
	steps map[string][]lathe.PipelineStep // pipeline job ID → steps
}

var _ web.Pipelines = (*fakePipelines)(nil)

// addPipelines puts the pipeline jobs above and their steps' jobs at the
// top of the jobs fake's default workspace.
func addPipelines(f *fakeJobs) *fakePipelines {
	p := &fakePipelines{jobs: f, steps: map[string][]lathe.PipelineStep{}}
	t0 := f.now
	at := func(d time.Duration) *time.Time { return ptr(t0.Add(d)) }
	var added []*lathe.Job // oldest first
	add := func(j *lathe.Job) {
		j.WorkspaceID, j.Workspace, j.ID = "ws-default", "default", "job-"+j.Name
		if j.Type == "" {
			j.Type = lathe.JobTypeCommand
		}
		j.Compute, j.Attempt = lathe.DefaultCompute, 1
		f.events[j.ID] = []lathe.JobEvent{{Seq: 1, At: j.CreatedAt, Status: lathe.JobQueued, Message: "submitted by olivia"}}
		added = append(added, j)
	}
	child := func(pipe, step, status string, created time.Duration, started, ended *time.Time) string {
		name := pipe + "-" + step
		add(&lathe.Job{Name: name, Status: status, CreatedAt: t0.Add(created), CreatedBy: "olivia", StartedAt: started, EndedAt: ended,
			Spec: lathe.JobSpec{Command: "python " + step + ".py", Tags: map[string]string{"lathe.pipeline": pipe, "lathe.step": step}}})
		return name
	}

	// The wide one, older.
	add(&lathe.Job{Name: pipeWide, Type: lathe.JobTypePipeline, Status: lathe.JobCompleted, CreatedAt: t0.Add(-50 * time.Second), CreatedBy: "olivia",
		StartedAt: at(-50 * time.Second), EndedAt: at(-32 * time.Second), Spec: lathe.JobSpec{DisplayName: "sharded scoring"}})
	wide := []lathe.PipelineStep{{Step: "split", State: "completed", Job: child(pipeWide, "split", lathe.JobCompleted, -49*time.Second, at(-49*time.Second), at(-46*time.Second))}}
	merge := lathe.PipelineStep{Step: "merge", State: "completed"}
	for i := range wideShards {
		s := fmt.Sprintf("shard-%02d", i)
		wide = append(wide, lathe.PipelineStep{Step: s, State: "completed", Deps: []string{"split"},
			Job: child(pipeWide, s, lathe.JobCompleted, -45*time.Second, at(-45*time.Second), at(-38*time.Second))})
		merge.Deps = append(merge.Deps, s)
	}
	merge.Job = child(pipeWide, "merge", lathe.JobCompleted, -36*time.Second, at(-36*time.Second), at(-32*time.Second))
	wide = append(wide, merge)
	p.steps["job-"+pipeWide] = wide

	// The running one.
	add(&lathe.Job{Name: pipeRunning, Type: lathe.JobTypePipeline, Status: lathe.JobRunning, CreatedAt: t0.Add(-30 * time.Second), CreatedBy: "olivia",
		StartedAt: at(-30 * time.Second), Spec: lathe.JobSpec{DisplayName: "train and evaluate"}})
	p.steps["job-"+pipeRunning] = []lathe.PipelineStep{
		{Step: "prep", State: "completed", Component: "prep_data:3",
			Job: child(pipeRunning, "prep", lathe.JobCompleted, -29*time.Second, at(-28*time.Second), at(-16*time.Second))},
		{Step: "features", State: "reused", Reused: true, Job: jobDone, Reason: "same cache key as " + jobDone},
		{Step: "train", State: "running", Deps: []string{"prep", "features"}, Component: "train_model:7",
			Job: child(pipeRunning, "train", lathe.JobRunning, -15*time.Second, at(-12*time.Second), nil)},
		{Step: "evaluate", State: "pending", Deps: []string{"train", "prep"}},
		{Step: "report", State: "pending", Deps: []string{"evaluate"}},
	}
	for i := range p.steps["job-"+pipeRunning] {
		p.steps["job-"+pipeRunning][i].Index = i
	}
	// Newest first, in front of the others.
	front := make([]*lathe.Job, 0, len(added))
	for i := len(added) - 1; i >= 0; i-- {
		front = append(front, added[i])
	}
	f.jobs["ws-default"] = append(sortNewest(front), f.jobs["ws-default"]...)
	return p
}

// sortNewest orders jobs newest first (stable for equal times).
func sortNewest(list []*lathe.Job) []*lathe.Job {
	for i := 1; i < len(list); i++ {
		for k := i; k > 0 && list[k].CreatedAt.After(list[k-1].CreatedAt); k-- {
			list[k], list[k-1] = list[k-1], list[k]
		}
	}
	return list
}

// Steps implements web.Pipelines.
func (p *fakePipelines) Steps(ctx context.Context, ws, name string) (*lathe.Job, []lathe.PipelineStep, error) {
	j, err := p.jobs.Job(ctx, ws, name)
	if err != nil {
		return nil, nil, err
	}
	if j.Type != lathe.JobTypePipeline {
		return nil, nil, lathe.Errorf(lathe.EINVALID, "job %s is a %s job, not a pipeline; it has no steps", name, j.Type)
	}
	p.mu.Lock()
	steps := append([]lathe.PipelineStep(nil), p.steps[j.ID]...)
	p.mu.Unlock()
	for i := range steps {
		if steps[i].Job == "" || steps[i].Reused {
			continue
		}
		if c, err := p.jobs.Job(ctx, ws, steps[i].Job); err == nil {
			steps[i].StartedAt, steps[i].EndedAt = c.StartedAt, c.EndedAt
		}
	}
	return j, steps, nil
}

// advance moves the running pipeline on: train completes and evaluate
// starts as a job of its own.
func (p *fakePipelines) advance() {
	f := p.jobs
	f.mu.Lock()
	now := f.now
	ev := &lathe.Job{Name: pipeRunning + "-evaluate", Type: lathe.JobTypeCommand, Status: lathe.JobRunning, CreatedAt: now, CreatedBy: "olivia",
		StartedAt: ptr(now), WorkspaceID: "ws-default", Workspace: "default", ID: "job-" + pipeRunning + "-evaluate", Compute: lathe.DefaultCompute, Attempt: 1,
		Spec: lathe.JobSpec{Command: "python evaluate.py", Tags: map[string]string{"lathe.pipeline": pipeRunning, "lathe.step": "evaluate"}}}
	f.jobs["ws-default"] = append([]*lathe.Job{ev}, f.jobs["ws-default"]...)
	if tr, err := f.find("ws-default", pipeRunning+"-train"); err == nil {
		tr.Status, tr.EndedAt = lathe.JobCompleted, ptr(now)
	}
	f.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	steps := p.steps["job-"+pipeRunning]
	steps[2].State = "completed"
	steps[3].State, steps[3].Job = "running", ev.Name
}

// finishAll ends the running pipeline: every step completed.
func (p *fakePipelines) finishAll() {
	f := p.jobs
	f.mu.Lock()
	now := f.now
	for _, n := range []string{pipeRunning + "-evaluate", pipeRunning} {
		if j, err := f.find("ws-default", n); err == nil {
			j.Status, j.EndedAt = lathe.JobCompleted, ptr(now)
		}
	}
	f.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	steps := p.steps["job-"+pipeRunning]
	steps[3].State = "completed"
	steps[4].State, steps[4].Reused, steps[4].Job = "reused", true, jobDone
}

// pipelineServer serves the studio over w with the jobs fake, its
// pipelines and schedules (nil: none).
func pipelineServer(t *testing.T, w *world, sch web.Schedules) (*httptest.Server, *fakeJobs, *fakePipelines) {
	t.Helper()
	j := newFakeJobs(w.now)
	p := addPipelines(j)
	opts := web.Options{Sessions: w, Authorizer: w, Workspaces: w, Accounts: w, Roles: w, Audit: w, Data: w,
		Tracking: w.trk, DataAssets: w.data, Jobs: j, Pipelines: p, Now: w.clock}
	if sch != nil {
		opts.Schedules = sch
	}
	s, err := web.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, j, p
}

// fakeSchedules lists fixed schedules by workspace ID.
type fakeSchedules map[string][]*lathe.Schedule

// List implements web.Schedules.
func (f fakeSchedules) List(ctx context.Context, ws string) ([]*lathe.Schedule, error) {
	return f[ws], nil
}

// newFakeSchedules has a nightly cron schedule that submitted jobDone, a
// disabled recurrence and a data trigger in the default workspace.
func newFakeSchedules(t0 time.Time) fakeSchedules {
	day := func(d int) time.Time { return time.Date(2026, 3, 15+d, 3, 0, 0, 0, time.UTC) }
	return fakeSchedules{"ws-default": {
		{Name: "nightly-train", DisplayName: "Nightly training", Kind: lathe.ScheduleCommand, Enabled: true,
			Trigger:    lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "0 3 * * *"},
			NextFireAt: ptr(day(0)), Upcoming: []time.Time{day(0), day(1), day(2), day(3), day(4)},
			LastJob: jobDone, LastFiredAt: ptr(day(-1))},
		{Name: "weekly-report", Kind: lathe.ScheduleCommand, Enabled: false,
			Trigger: lathe.ScheduleTrigger{Type: lathe.TriggerRecurrence, Frequency: "week", Interval: 2, WeekDays: []string{"monday"}, Hours: []int{9}, Minutes: []int{30}, TimeZone: "Europe/Paris"}},
		{Name: "on-new-customers", Kind: lathe.ScheduleCommand, Enabled: true,
			Trigger:   lathe.ScheduleTrigger{Type: lathe.TriggerData, Data: "customers", Input: "training_data"},
			LastError: "the job was refused: compute gpu does not exist"},
	}}
}
