package pipelines

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
)

// SubmitRequest submits a pipeline job.
type SubmitRequest struct {
	// Name is the job's name (default: the YAML's name, else a generated
	// one).
	Name string             `json:"name,omitempty" doc:"unique in the workspace; generated when left out"`
	Spec lathe.PipelineSpec `json:"spec"`
	// Tags are added to the pipeline job's (the YAML's tags) and win.
	Tags map[string]string `json:"tags,omitempty" doc:"added to the pipeline's tags (schedules tag their firings)"`
}

// Submit checks a pipeline (its YAML, components, DAG and every step's
// inputs) and starts it: the job is stored running with every step
// pending, and the controller submits the steps as they become ready.
// Schedules call it too.
func (s *Service) Submit(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, req SubmitRequest) (*lathe.Job, error) {
	ps := req.Spec
	// The client maps its local component files; which version a registered
	// reference (azureml:sub@latest) runs is the server's to pin, here.
	if len(ps.Components) > 0 {
		own := make(map[string]string, len(ps.Components))
		for k, v := range ps.Components {
			if !strings.HasPrefix(k, "azureml:") && !strings.HasPrefix(k, "lathe:") {
				own[k] = v
			}
		}
		ps.Components = own
	}
	l, err := s.load(ctx, ws.ID, &ps, nil)
	if err != nil {
		return nil, err
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	for _, st := range ps.ForceSteps {
		if l.p.Jobs[st] == nil {
			return nil, lathe.Errorf(lathe.EINVALID, "force_steps names %q, which is not a step of the pipeline (steps: %s)", st, strings.Join(l.p.StepNames(), ", "))
		}
	}
	name := firstOf(req.Name, l.p.Name)
	if name != "" {
		if err := lathe.ValidateName("job", name); err != nil {
			return nil, err
		}
	}
	now := s.now()
	sp := lathe.JobSpec{Inputs: l.params, Outputs: map[string]lathe.JobOutput{}, Compute: l.p.Settings.DefaultCompute,
		ExperimentName: l.p.ExperimentName, DisplayName: l.p.DisplayName, Description: l.p.Description, Tags: l.p.Tags}
	if len(req.Tags) > 0 {
		sp.Tags = make(map[string]string, len(l.p.Tags)+len(req.Tags))
		for k, v := range l.p.Tags {
			sp.Tags[k] = v
		}
		for k, v := range req.Tags {
			sp.Tags[k] = v
		}
		if len(sp.Tags) > lathe.MaxTags {
			return nil, lathe.Errorf(lathe.EINVALID, "the pipeline has %d tags; the limit is %d", len(sp.Tags), lathe.MaxTags)
		}
	}
	if sp.Compute == "" {
		sp.Compute = l.p.Compute
	}
	for k, o := range l.p.Outputs {
		sp.Outputs[k] = lathe.JobOutput{Type: firstOf(o.Type, lathe.DataURIFolder), Mode: o.Mode, Name: o.AssetName, Version: o.AssetVersion, Description: o.Description}
	}
	j := &lathe.Job{WorkspaceID: ws.ID, Workspace: ws.Name, ID: lathe.NewID(), Name: firstOf(name, jobs.NewJobName()), Type: lathe.JobTypePipeline,
		Status: lathe.JobRunning, Compute: lathe.ComputeName(sp.Compute), Environment: "-", Spec: sp, Attempt: 1,
		CreatedAt: now, UpdatedAt: now, StartedAt: &now, CreatedBy: p.UserName, CreatedByID: p.UserID}
	if s.o.Tracker != nil {
		j.ExperimentID, j.RunID, err = s.o.Tracker.StartRun(ctx, ws.ID, runStart(j))
		if err != nil {
			return nil, fmt.Errorf("create the pipeline's MLflow run: %w", err)
		}
		if err := s.o.Tracker.SetRunStatus(ctx, ws.ID, j.RunID, "RUNNING", nil); err != nil {
			return nil, err
		}
	}
	steps := make([]lathe.PipelineStep, 0, len(l.steps))
	for _, st := range l.steps {
		i, _ := l.g.Index(st.Name)
		ps := lathe.PipelineStep{Step: st.Name, Index: i, State: "pending", Deps: st.Deps, UpdatedAt: now}
		if c := l.comps[st.Name]; c != nil {
			ps.Component = c.Name + ":" + c.Version
		}
		steps = append(steps, ps)
	}
	sort.Slice(steps, func(a, b int) bool { return steps[a].Index < steps[b].Index })
	msg := fmt.Sprintf("pipeline of %d steps submitted by %s", len(steps), p.UserName)
	for try := 0; ; try++ {
		err = s.o.Store.CreatePipelineJob(ctx, j, lathe.JobEvent{At: now, Status: lathe.JobRunning, Message: msg}, &ps, steps)
		if lathe.IsCode(err, lathe.ECONFLICT) && name == "" && try < 3 {
			j.Name = jobs.NewJobName()
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	s.o.Logger.Info("pipeline submitted", "workspace", ws.Name, "job", j.Name, "steps", len(steps), "by", p.UserName)
	s.launch(j.ID)
	return j, nil
}

// runStart describes a pipeline's MLflow run.
func runStart(j *lathe.Job) jobs.RunStart {
	sp := j.Spec
	r := jobs.RunStart{Experiment: sp.ExperimentName, Name: firstOf(sp.DisplayName, j.Name), User: j.CreatedBy, Start: j.CreatedAt}
	r.Tags = []lathe.Tag{{Key: "lathe.job", Value: j.Name}, {Key: "lathe.job_type", Value: lathe.JobTypePipeline}, {Key: "mlflow.user", Value: j.CreatedBy},
		{Key: "mlflow.source.type", Value: "JOB"}, {Key: "mlflow.source.name", Value: j.Name}}
	if sp.Description != "" {
		r.Tags = append(r.Tags, lathe.Tag{Key: "mlflow.note.content", Value: sp.Description})
	}
	for _, k := range sortedKeys(sp.Tags) {
		r.Tags = append(r.Tags, lathe.Tag{Key: k, Value: sp.Tags[k]})
	}
	for _, k := range sortedKeys(sp.Inputs) {
		if in := sp.Inputs[k]; in.IsLiteral() && in.Value != nil {
			r.Params = append(r.Params, lathe.Tag{Key: k, Value: *in.Value})
		}
	}
	return r
}

// Steps returns a pipeline job's steps in run order, with their jobs'
// start and end times.
func (s *Service) Steps(ctx context.Context, ws, name string) (*lathe.Job, []lathe.PipelineStep, error) {
	j, err := s.o.Store.Job(ctx, ws, name)
	if err != nil {
		return nil, nil, err
	}
	if j.Type != lathe.JobTypePipeline {
		return nil, nil, lathe.Errorf(lathe.EINVALID, "job %s is a %s job, not a pipeline; it has no steps", name, j.Type)
	}
	steps, err := s.o.Store.PipelineSteps(ctx, j.ID)
	if err != nil {
		return nil, nil, err
	}
	return j, steps, nil // with the step jobs' times, read in the same query
}

// InvalidateRequest names the cache entries to drop: one key, or every
// entry that points at a job (by name).
type InvalidateRequest struct {
	Key lathe.Digest `json:"key,omitempty" doc:"a step cache key (sha256:...)"`
	Job string       `json:"job,omitempty" doc:"a step job: every entry reusing its outputs goes"`
}

// InvalidateResult says how many cache entries were dropped.
type InvalidateResult struct {
	Deleted int64 `json:"deleted"`
}

// Invalidate drops step cache entries, so the next run of those steps
// runs them again instead of reusing the earlier outputs. A pipeline job
// given as Job invalidates the entries of all its steps' jobs.
func (s *Service) Invalidate(ctx context.Context, ws string, req InvalidateRequest) (*InvalidateResult, error) {
	if (req.Key == "") == (req.Job == "") {
		return nil, lathe.Errorf(lathe.EINVALID, "give either a cache key or a job whose cached outputs to forget, not both or neither")
	}
	if req.Key != "" {
		if err := req.Key.Validate(); err != nil {
			return nil, err
		}
		n, err := s.o.Store.DeleteStepCache(ctx, ws, req.Key, "")
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, lathe.Errorf(lathe.ENOTFOUND, "no step cache entry has the key %s; `lathe job show <pipeline>` shows its steps' keys", req.Key)
		}
		return &InvalidateResult{Deleted: n}, nil
	}
	j, err := s.o.Store.Job(ctx, ws, req.Job)
	if err != nil {
		return nil, err
	}
	ids := []string{j.ID}
	if j.Type == lathe.JobTypePipeline {
		steps, err := s.o.Store.PipelineSteps(ctx, j.ID)
		if err != nil {
			return nil, err
		}
		for _, st := range steps {
			if st.JobID != "" {
				ids = append(ids, st.JobID)
			}
		}
	}
	res := &InvalidateResult{}
	for _, id := range ids {
		n, err := s.o.Store.DeleteStepCache(ctx, ws, "", id)
		if err != nil {
			return nil, err
		}
		res.Deleted += n
	}
	return res, nil
}
