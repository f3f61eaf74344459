package pipelines

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/pipeline"
	"github.com/latheml/lathe/internal/spec"
	"github.com/latheml/lathe/internal/store"
)

// runner drives one pipeline job.
type runner struct {
	s     *Service
	j     *lathe.Job
	ws    *lathe.Workspace
	l     *loaded
	run   *pipeline.Run
	rows  map[string]*lathe.PipelineStep
	saved []pipeline.State
	dirty map[string]bool
	done  map[string]pipeline.Upstream
	force map[string]bool
	// canceling is set once the pipeline's cancel has been passed on.
	canceling bool
	recorded  map[string]bool // pipeline outputs recorded
	// seen holds, per active step job, the change channel taken just
	// before the job was last read (or as it was submitted): a change while
	// advance runs wakes the next wait instead of being lost until the
	// poll, and advance reads again only the jobs whose channel has fired,
	// so one step ending costs one read, not one per active step.
	seen map[string]<-chan struct{}
	// full makes the next advance read every active step's job (after the
	// poll interval passed without a change, as a safety net).
	full bool
}

// drive runs a pipeline job until it ends or ctx does.
func (s *Service) drive(ctx context.Context, id string) error {
	j, err := s.o.Store.JobByID(ctx, id)
	if err != nil || lathe.JobTerminal(j.Status) {
		return err
	}
	r := &runner{s: s, j: j, ws: &lathe.Workspace{ID: j.WorkspaceID, Name: j.Workspace}, rows: map[string]*lathe.PipelineStep{},
		dirty: map[string]bool{}, done: map[string]pipeline.Upstream{}, force: map[string]bool{}, recorded: map[string]bool{}, seen: map[string]<-chan struct{}{}, full: true}
	ps, err := s.o.Store.PipelineSpec(ctx, id)
	if err != nil {
		return err
	}
	rows, err := s.o.Store.PipelineSteps(ctx, id)
	if err != nil {
		return err
	}
	pinned := map[string]string{}
	for i := range rows {
		r.rows[rows[i].Step] = &rows[i]
		pinned[rows[i].Step] = rows[i].Component
	}
	if r.l, err = s.load(ctx, j.WorkspaceID, ps, pinned); err != nil {
		return r.end(ctx, lathe.JobFailed, "the pipeline cannot be loaded again: "+lathe.ErrorMessage(err))
	}
	for _, st := range ps.ForceSteps {
		r.force[st] = true
	}
	g := r.l.g
	states := make([]pipeline.State, g.Len())
	for i := 0; i < g.Len(); i++ {
		row := r.rows[g.Name(i)]
		if row == nil {
			return r.end(ctx, lathe.JobFailed, fmt.Sprintf("step %s has no recorded state", g.Name(i)))
		}
		if states[i], err = pipeline.ParseState(row.State); err != nil {
			return err
		}
		if states[i].Succeeded() {
			c, err := s.o.Store.JobByID(ctx, row.JobID)
			if err != nil {
				return err
			}
			r.done[row.Step] = upstreamOf(c)
		}
	}
	r.saved = append([]pipeline.State(nil), states...)
	if r.run, err = pipeline.NewRun(g, pipeline.Options{ContinueOnStepFailure: r.l.p.Settings.ContinueOnStepFailure}, states); err != nil {
		return err
	}
	for {
		if err := r.advance(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.o.Logger.Warn("pipeline step", "pipeline", j.Name, "error", err)
		}
		if r.run.Done() {
			return r.finish(ctx)
		}
		if !r.wait(ctx) {
			return nil
		}
	}
}

// advance looks at the pipeline's cancel and its active steps' jobs,
// starts the steps that are ready, and saves what changed.
func (r *runner) advance(ctx context.Context) error {
	s := r.s
	pj, err := s.o.Store.JobByID(ctx, r.j.ID)
	if err != nil {
		return err
	}
	if (pj.CancelRequested || lathe.JobTerminal(pj.Status)) && !r.canceling {
		r.canceling = true
		r.run.Cancel()
	}
	g := r.l.g
	for i := 0; i < g.Len(); i++ {
		st := r.run.State(i)
		if !st.Active() {
			continue
		}
		row := r.rows[g.Name(i)]
		if row.JobID == "" {
			if r.canceling {
				r.finishStep(i, pipeline.StateCanceled, "the pipeline was canceled before the step was submitted")
				continue
			}
			r.startStep(ctx, i) // taken but never submitted (the server stopped)
			continue
		}
		if ch, ok := r.seen[row.JobID]; ok && !r.full && !r.canceling {
			select {
			case <-ch:
			default:
				continue // not changed since it was last read
			}
		}
		r.seen[row.JobID] = s.o.Jobs.Changed(row.JobID)
		c, err := s.o.Store.JobByID(ctx, row.JobID)
		if err != nil {
			return err
		}
		if lathe.JobTerminal(c.Status) {
			delete(r.seen, row.JobID)
		}
		if r.canceling && !lathe.JobTerminal(c.Status) && !c.CancelRequested {
			if _, err := s.o.Jobs.Cancel(ctx, r.ws.ID, c.Name, "pipeline "+r.j.Name); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
				s.o.Logger.Warn("cancel step job", "job", c.Name, "error", err)
			}
		}
		switch c.Status {
		case lathe.JobPreparing, lathe.JobRunning:
			if st == pipeline.StateQueued {
				_ = r.run.Start(i)
			}
		case lathe.JobCompleted:
			r.done[row.Step] = upstreamOf(c)
			r.finishStep(i, pipeline.StateCompleted, "")
			r.remember(ctx, row, c)
		case lathe.JobFailed:
			r.finishStep(i, pipeline.StateFailed, "job "+c.Name+" failed: "+c.Reason)
		case lathe.JobCanceled:
			r.finishStep(i, pipeline.StateCanceled, "job "+c.Name+" was canceled: "+c.Reason)
		}
	}
	for !r.canceling && !r.run.Stopped() {
		ready := r.run.Take(0)
		if len(ready) == 0 {
			break
		}
		for _, i := range ready {
			r.startStep(ctx, i)
		}
	}
	r.recordOutputs(ctx)
	return r.save(ctx)
}

// finishStep reports a step's end to the run.
func (r *runner) finishStep(i int, end pipeline.State, reason string) {
	row := r.rows[r.l.g.Name(i)]
	if _, err := r.run.Finish(i, end); err != nil {
		r.s.o.Logger.Warn("pipeline step end", "pipeline", r.j.Name, "step", row.Step, "error", err)
		return
	}
	if reason != "" {
		row.Reason = reason
	}
	r.dirty[row.Step] = true
}

// remember records a completed deterministic step's job in the reuse
// cache, when every output was registered.
func (r *runner) remember(ctx context.Context, row *lathe.PipelineStep, c *lathe.Job) {
	if row.CacheKey == "" || !pipeline.StepReuse(r.l.p, row.Step, false).Deterministic {
		return
	}
	for _, o := range c.Spec.Outputs {
		if o.Data == "" {
			return
		}
	}
	e := &lathe.StepCacheEntry{WorkspaceID: r.ws.ID, Key: row.CacheKey, JobID: c.ID, Job: c.Name, Step: row.Step, CreatedAt: r.s.now()}
	if err := r.s.o.Store.PutStepCache(ctx, e); err != nil {
		r.s.o.Logger.Warn("record step cache", "job", c.Name, "error", err)
	}
}

// startStep reuses an earlier run of a ready step or submits its job.
func (r *runner) startStep(ctx context.Context, i int) {
	s, l := r.s, r.l
	name := l.g.Name(i)
	row, st := r.rows[name], l.p.Jobs[name]
	r.dirty[name] = true
	ins, err := pipeline.StepInputs(l.p, name, l.params, r.done)
	if err == nil {
		err = r.stepData(ctx, name, st, ins)
	}
	var sp lathe.JobSpec
	if err == nil {
		sp, err = r.jobSpec(name, st, ins)
	}
	if err != nil {
		r.finishStep(i, pipeline.StateFailed, "the step cannot start: "+lathe.ErrorMessage(err))
		return
	}
	row.CacheKey = r.cacheKey(ctx, name, sp)
	reuse := pipeline.StepReuse(l.p, name, l.ps.ForceRerun)
	reuse.ForceStep = reuse.ForceStep || r.force[name]
	if pipeline.Reusable(reuse) {
		if old := r.cached(ctx, row.CacheKey); old != nil {
			row.JobID, row.Job, row.Reused, row.Reason = old.ID, old.Name, true, "reused from "+old.Name
			r.done[name] = upstreamOf(old)
			r.finishStep(i, pipeline.StateReused, "")
			return
		}
	}
	childName := r.j.Name + "-" + name
	if len(childName) > lathe.MaxNameLen {
		childName = ""
	}
	p := lathe.Principal{UserID: r.j.CreatedByID, UserName: r.j.CreatedBy}
	c, err := s.o.Jobs.Submit(ctx, r.ws, p, jobs.SubmitRequest{Name: childName, Spec: sp})
	if lathe.IsCode(err, lathe.ECONFLICT) && childName != "" {
		// Submitted before the server stopped, and not yet recorded.
		if prev, gerr := s.o.Store.Job(ctx, r.ws.ID, childName); gerr == nil && prev.Spec.Tags["lathe.pipeline"] == r.j.Name {
			c, err = prev, nil
		}
	}
	if err != nil {
		r.finishStep(i, pipeline.StateFailed, "the step's job could not be submitted: "+lathe.ErrorMessage(err))
		return
	}
	row.JobID, row.Job, row.Reused, row.Reason = c.ID, c.Name, false, ""
	r.seen[c.ID] = s.o.Jobs.Changed(c.ID)
	// Record the job at once: a restart must find it, not submit another.
	row.State = pipeline.StateQueued.String()
	row.UpdatedAt = s.now()
	if err := s.o.Store.PutPipelineSteps(ctx, r.j.ID, r.ws.ID, []lathe.PipelineStep{*row}); err != nil {
		s.o.Logger.Warn("record step job", "pipeline", r.j.Name, "step", name, "error", err)
	}
	s.o.Jobs.Notify(r.j.ID)
}

// cached returns the completed job a cache key points at, if its outputs
// are all there.
func (r *runner) cached(ctx context.Context, key lathe.Digest) *lathe.Job {
	e, err := r.s.o.Store.StepCache(ctx, r.ws.ID, key)
	if err != nil {
		return nil
	}
	old, err := r.s.o.Store.JobByID(ctx, e.JobID)
	if err != nil || old.Status != lathe.JobCompleted {
		return nil
	}
	for _, o := range old.Spec.Outputs {
		if o.Data == "" {
			return nil
		}
	}
	return old
}

// stepData substitutes uploads for a step's local data inputs and pins
// its azureml: data references to versions.
func (r *runner) stepData(ctx context.Context, name string, st *spec.PipelineStep, ins map[string]lathe.JobInput) error {
	for k, in := range st.Inputs {
		v, ok := ins[k]
		if !ok || in.Path == nil {
			continue
		}
		if in.Path.Kind == spec.RefLocal {
			up := r.l.ps.Uploads["jobs."+name+".inputs."+k]
			if up == "" {
				return lathe.Errorf(lathe.EINVALID, "%s: inputs.%s is the local path %s, which was not uploaded", in.Pos, k, in.Path.Raw)
			}
			v.Path = up
		}
		if v.Data == "" {
			if err := r.s.pin(ctx, r.ws.ID, &v); err != nil {
				return fmt.Errorf("%s: inputs.%s: %w", in.Pos, k, err)
			}
		}
		ins[k] = v
	}
	return nil
}

// jobSpec builds the command job of a step from its component (or inline
// command) and its concrete inputs.
func (r *runner) jobSpec(name string, st *spec.PipelineStep, ins map[string]lathe.JobInput) (lathe.JobSpec, error) {
	l := r.l
	sp := lathe.JobSpec{Inputs: ins, Outputs: stepOutputs(l.p, st), Compute: l.p.StepCompute(name), ExperimentName: l.p.ExperimentName,
		DisplayName: firstOf(st.DisplayName, name), Description: st.Description, EnvironmentVariables: st.EnvironmentVariables,
		Timeout: int64(st.Limits.Timeout / time.Second)}
	if sp.ExperimentName == "" {
		sp.ExperimentName = r.j.Spec.ExperimentName
	}
	sp.Tags = map[string]string{}
	for k, v := range st.Tags {
		sp.Tags[k] = v
	}
	sp.Tags["lathe.pipeline"], sp.Tags["lathe.step"] = r.j.Name, name
	if r.j.RunID != "" {
		sp.Tags["mlflow.parentRunId"] = r.j.RunID
	}
	env, res := st.Environment, st.Resources
	if cc := st.Component; cc != nil {
		sp.Command = cc.Command.Text
		if env == nil {
			env = cc.Environment
		}
		if res == nil {
			res = cc.Resources
		}
		if c := l.comps[name]; c != nil && c.Spec.Code != nil {
			code := *c.Spec.Code
			sp.Code = &code
		} else if cc.Code != nil && c == nil {
			return sp, lathe.Errorf(lathe.EUNSUPPORTED, "%s: a component written inline in the pipeline cannot have a code folder; put it in a component file (component: ./train.yml)", cc.Pos)
		}
		for k, prm := range cc.Inputs {
			if _, ok := ins[k]; !ok {
				ins[k] = lathe.JobInput{Type: prm.Type, Optional: true}
			}
		}
	} else {
		sp.Command = st.Command.Text
		if st.Code != nil {
			code, ok := l.ps.Code[name]
			if !ok {
				return sp, lathe.Errorf(lathe.EINVALID, "%s: the step's code folder %s was not uploaded; submit with `lathe job create -f`", st.Pos, st.Code.Raw)
			}
			sp.Code = &code
		}
	}
	if res != nil {
		sp.Resources = lathe.JobResources{CPU: float64(res.CPUMilli) / 1000, Memory: res.Memory}
	}
	if env != nil {
		switch {
		case env.Ref != nil:
			sp.Environment = env.Ref.Raw
		case env.Inline != nil && env.Inline.Host:
			sp.Environment = lathe.HostEnvironment
		case env.Inline != nil && env.Inline.CondaFile == nil && env.Inline.Conda == nil && env.Inline.RequirementsFile == nil:
			es, err := jobs.EnvironmentSpecOf(env.Inline.Image, "", "")
			if err != nil {
				return sp, fmt.Errorf("%s: environment: %w", env.Pos, err)
			}
			sp.InlineEnvironment = &es
		default:
			return sp, lathe.Errorf(lathe.EUNSUPPORTED, "%s: a pipeline step's inline environment can name an image only; register the environment (lathe environment create) and refer to it as azureml:<name>@latest", env.Pos)
		}
	}
	// Inputs the command names that have no value are declared unset, so
	// their $[[...]] fragments are dropped.
	texts := []string{sp.Command}
	for _, v := range sp.EnvironmentVariables {
		texts = append(texts, v)
	}
	for _, t := range texts {
		for _, ref := range lathe.CommandReferences(t) {
			if k, ok := strings.CutPrefix(ref, "inputs."); ok {
				if _, have := ins[k]; !have {
					ins[k] = lathe.JobInput{Type: lathe.InputString, Optional: true}
				}
			}
		}
	}
	return sp, nil
}

// cacheKey computes a step's cache key from its job spec.
func (r *runner) cacheKey(ctx context.Context, name string, sp lathe.JobSpec) lathe.Digest {
	kp := pipeline.KeyParts{Command: sp.Command, EnvironmentVariables: sp.EnvironmentVariables,
		Inputs: map[string]pipeline.KeyInput{}, Outputs: map[string]string{}, Deterministic: pipeline.StepReuse(r.l.p, name, false).Deterministic}
	if c := r.l.comps[name]; c != nil {
		kp.Component, kp.ComponentDigest = c.Name+":"+c.Version, c.Digest
	}
	if sp.Code != nil {
		kp.Code = sp.Code.Digest
	}
	env, _ := json.Marshal(struct {
		Ref    string
		Inline *lathe.EnvironmentSpec
	}{sp.Environment, sp.InlineEnvironment})
	sum := sha256.Sum256(env)
	kp.Environment = lathe.NewDigest(sum[:])
	if r.s.o.Environments != nil {
		if d, err := r.s.o.Environments.EnvironmentDigest(ctx, r.ws.ID, sp.Environment, sp.InlineEnvironment); err == nil {
			kp.Environment = d
		}
	}
	for k, in := range sp.Inputs {
		ki := pipeline.KeyInput{Type: in.Type}
		switch {
		case in.IsLiteral():
			if in.Value != nil {
				ki.Value = *in.Value
			}
		case in.Data != "":
			ki.Value = in.Data
			if ref, err := lathe.ParseAssetRef(in.Data, false); err == nil && r.s.o.Data != nil {
				if v, err := r.s.o.Data.Version(ctx, r.ws.ID, ref); err == nil {
					ki.Data, ki.Value = v.Digest, ""
				}
			}
		default:
			ki.Value = in.Path
		}
		kp.Inputs[k] = ki
	}
	for k, o := range sp.Outputs {
		kp.Outputs[k] = o.Type
	}
	return pipeline.CacheKey(kp)
}

// upstreamOf is what a finished step job offers the steps after it.
func upstreamOf(c *lathe.Job) pipeline.Upstream {
	return pipeline.Upstream{Inputs: c.Spec.Inputs, Outputs: c.Spec.Outputs}
}

// recordOutputs registers the pipeline's outputs as their steps finish.
func (r *runner) recordOutputs(ctx context.Context) {
	for k, o := range pipeline.PipelineOutputs(r.l.p, r.done) {
		if r.recorded[k] || o.Data == "" {
			continue
		}
		if _, ok := r.j.Spec.Outputs[k]; !ok {
			continue
		}
		name, ver, _ := strings.Cut(o.Data, ":")
		if err := r.s.o.Store.RecordJobOutput(ctx, r.j.ID, k, name, ver, r.s.now()); err != nil {
			r.s.o.Logger.Warn("record pipeline output", "pipeline", r.j.Name, "output", k, "error", err)
			continue
		}
		r.recorded[k] = true
	}
}

// save writes the steps whose state or fields changed.
func (r *runner) save(ctx context.Context) error {
	var out []lathe.PipelineStep
	now := r.s.now()
	for i, st := range r.run.States() {
		name := r.l.g.Name(i)
		if st == r.saved[i] && !r.dirty[name] {
			continue
		}
		row := r.rows[name]
		row.State, row.UpdatedAt = st.String(), now
		if st == pipeline.StateSkipped && row.Reason == "" {
			row.Reason = "a step it depends on failed"
		}
		if st == pipeline.StateCanceled && row.Reason == "" && row.JobID == "" {
			row.Reason = "the pipeline stopped before the step started"
		}
		out = append(out, *row)
	}
	if len(out) == 0 {
		return nil
	}
	if err := r.s.o.Store.PutPipelineSteps(ctx, r.j.ID, r.ws.ID, out); err != nil {
		return err
	}
	r.saved = r.run.States()
	r.dirty = map[string]bool{}
	r.s.o.Jobs.Notify(r.j.ID)
	return nil
}

// finish ends the pipeline job with its steps' rolled-up status.
func (r *runner) finish(ctx context.Context) error {
	status := r.run.Status()
	reason := ""
	if r.canceling {
		status, reason = lathe.JobCanceled, "canceled"
		if pj, err := r.s.o.Store.JobByID(ctx, r.j.ID); err == nil && pj.Reason != "" {
			reason = pj.Reason
		}
	}
	if status == lathe.JobFailed {
		var failed []string
		for i := 0; i < r.l.g.Len(); i++ {
			if r.run.State(i) == pipeline.StateFailed {
				row := r.rows[r.l.g.Name(i)]
				failed = append(failed, "step "+row.Step+": "+row.Reason)
			}
		}
		reason = strings.Join(failed, "; ")
	}
	return r.end(ctx, status, reason)
}

// end ends the pipeline job and its MLflow run.
func (r *runner) end(ctx context.Context, status, reason string) error {
	now := r.s.now()
	u := store.JobUpdate{From: []string{lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning}, Status: status, At: now, EndedAt: &now,
		Message: reason, Reason: &reason}
	if status == lathe.JobFailed {
		f := lathe.FailureUser
		u.Failure = &f
	}
	_, err := r.s.o.Store.UpdateJob(ctx, r.j.ID, u)
	if err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		return err
	}
	if t := r.s.o.Tracker; t != nil && r.j.RunID != "" {
		ml := map[string]string{lathe.JobCompleted: "FINISHED", lathe.JobFailed: "FAILED", lathe.JobCanceled: "KILLED"}[status]
		if err := t.SetRunStatus(ctx, r.ws.ID, r.j.RunID, ml, &now); err != nil {
			r.s.o.Logger.Warn("end pipeline run", "pipeline", r.j.Name, "error", err)
		}
	}
	r.s.o.Jobs.Notify(r.j.ID)
	r.s.o.Logger.Info("pipeline ended", "pipeline", r.j.Name, "status", status)
	return nil
}

// wait blocks until the pipeline job or one of the watched step jobs
// changes, the poll interval passes, or ctx ends (false).
func (r *runner) wait(ctx context.Context) bool {
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(r.s.o.Jobs.Changed(r.j.ID))},
	}
	for _, ch := range r.seen {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
	}
	t := time.NewTimer(r.s.o.Poll)
	defer t.Stop()
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(t.C)})
	chosen, _, _ := reflect.Select(cases)
	r.full = chosen == len(cases)-1 // the poll: read every active step again
	return chosen != 0
}
