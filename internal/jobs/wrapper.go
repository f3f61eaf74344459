package jobs

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/store"
)

// This file is the side of the service a job's wrapper (lathe exec) talks
// to, always with the job's own token.

// wrapperJob returns the job if p is its wrapper: the principal's token
// must be the job's current token.
func (s *Service) wrapperJob(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string) (*lathe.Job, error) {
	j, err := s.o.Store.Job(ctx, ws.ID, name)
	if err != nil {
		return nil, err
	}
	if p.TokenID == "" || p.TokenID != j.TokenID {
		return nil, lathe.Errorf(lathe.EFORBIDDEN, "only job %s's own token (given to its lathe exec) may do this; this token is not it, or belongs to an earlier attempt", j.Name)
	}
	return j, nil
}

// Plan returns what the job's wrapper needs to run the current attempt.
func (s *Service) Plan(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string) (*lathe.JobPlan, error) {
	j, err := s.wrapperJob(ctx, ws, p, name)
	if err != nil {
		return nil, err
	}
	if j.Status != lathe.JobPreparing && j.Status != lathe.JobRunning {
		return nil, lathe.Errorf(lathe.ECONFLICT, "job %s is %s; there is nothing to run", j.Name, j.Status)
	}
	env, err := s.resolveEnvironment(ctx, ws.ID, j.Spec.Environment, j.Spec.InlineEnvironment)
	if err != nil {
		return nil, fmt.Errorf("environment of job %s: %w", j.Name, err)
	}
	return &lathe.JobPlan{Job: *j, Environment: env.spec, ContainerRuntime: s.o.ContainerRuntime, KillGrace: s.o.KillGrace.Milliseconds()}, nil
}

// Started records that the job's command is running.
func (s *Service) Started(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string) (*lathe.Job, error) {
	j, err := s.wrapperJob(ctx, ws, p, name)
	if err != nil {
		return nil, err
	}
	if j.Status == lathe.JobRunning {
		return j, nil
	}
	now := s.now()
	out, err := s.o.Store.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobPreparing}, Status: lathe.JobRunning, At: now, StartedAt: &now})
	if err != nil {
		return nil, err
	}
	if s.o.Tracker != nil && j.RunID != "" {
		if err := s.o.Tracker.SetRunStatus(ctx, j.WorkspaceID, j.RunID, lathe.RunRunning, nil); err != nil {
			s.o.Logger.Warn("mark the job's MLflow run running", "job", j.Name, "error", err)
		}
	}
	s.armTimeout(out)
	s.hub.notify(j.ID)
	return out, nil
}

// MaxLogAppend bounds the lines of one log append.
const MaxLogAppend = store.MaxLogChunkLines

// AppendLogs stores lines of the job's output. Lines are cut to
// lathe.MaxJobLogLineLen and made valid UTF-8.
func (s *Service) AppendLogs(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string, lines []lathe.LogLine) (store.LogAppend, error) {
	j, err := s.wrapperJob(ctx, ws, p, name)
	if err != nil {
		return store.LogAppend{}, err
	}
	if len(lines) > MaxLogAppend {
		return store.LogAppend{}, lathe.Errorf(lathe.ETOOLARGE, "%d lines in one append; send at most %d", len(lines), MaxLogAppend)
	}
	for i := range lines {
		l := &lines[i]
		if len(l.Text) > lathe.MaxJobLogLineLen {
			l.Text = l.Text[:lathe.MaxJobLogLineLen]
		}
		if !utf8.ValidString(l.Text) {
			l.Text = strings.ToValidUTF8(l.Text, "\uFFFD")
		}
		switch l.Stream {
		case lathe.StreamStdout, lathe.StreamStderr, lathe.StreamSystem:
		default:
			l.Stream = lathe.StreamStdout
		}
	}
	res, err := s.o.Store.AppendJobLogs(ctx, j.ID, lines, s.o.MaxLogBytes)
	if err != nil {
		return res, err
	}
	s.hub.notify(j.ID)
	return res, nil
}

// OutputRequest registers what a job wrote to one output.
type OutputRequest struct {
	Manifest []lathe.ManifestEntry `json:"manifest" doc:"the files uploaded to the workspace's blobs"`
}

// RegisterOutput registers an output's files as a data version (the
// output's name and version, or azureml_<job>_output_<name> version 1) and
// records the lineage. Registering the same files again is not an error.
func (s *Service) RegisterOutput(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name, port string, req OutputRequest) (*lathe.DataVersion, error) {
	j, err := s.wrapperJob(ctx, ws, p, name)
	if err != nil {
		return nil, err
	}
	o, ok := j.Spec.Outputs[port]
	if !ok {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "job %s has no output %q", j.Name, port)
	}
	if s.o.Data == nil {
		return nil, lathe.Errorf(lathe.EUNAVAILABLE, "the data service is not available")
	}
	asset, version := o.Name, o.Version
	if asset == "" {
		asset, version = lathe.DefaultOutputName(j.Name, port), "1"
	}
	if o.Data != "" {
		ref, err := lathe.ParseAssetRef(o.Data, false)
		if err == nil {
			return s.o.Data.Version(ctx, ws.ID, ref)
		}
	}
	tags := map[string]string{"lathe.job": j.Name, "lathe.output": port}
	if o.Type == lathe.ModelMLflow || o.Type == lathe.ModelCustom {
		tags["lathe.model_type"] = o.Type
	}
	desc := o.Description
	if desc == "" {
		desc = fmt.Sprintf("output %s of job %s", port, j.Name)
	}
	v, err := s.o.Data.CreateVersion(ctx, ws.ID, j.CreatedBy, asset, data.VersionSpec{Version: version, Type: dataType(o.Type),
		Description: desc, Tags: tags, Manifest: req.Manifest})
	if lathe.IsCode(err, lathe.ECONFLICT) && version != "" {
		// A retried request: the version is there if it holds these files.
		if prev, perr := s.o.Data.Version(ctx, ws.ID, lathe.AssetRef{Name: asset, Version: version}); perr == nil &&
			prev.Tags["lathe.job"] == j.Name {
			v, err = prev, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("register output %s: %w", port, err)
	}
	if err := s.o.Store.RecordJobOutput(ctx, j.ID, port, v.Name, v.Version, s.now()); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		return nil, err
	}
	s.hub.notify(j.ID)
	return v, nil
}

// Completion is how the job's wrapper says the attempt ended.
type Completion struct {
	ExitCode *int `json:"exit_code,omitempty" doc:"the command's exit status; absent if it never ran"`
	// Failure is "" for success, or user, infrastructure or timeout.
	Failure string `json:"failure,omitempty" doc:"empty for success; user, infrastructure or timeout"`
	Reason  string `json:"reason,omitempty" doc:"why it failed, in words a person can act on"`
}

// Complete ends the attempt as the wrapper reports: completed, failed (an
// infrastructure failure is retried while attempts remain) or, if a cancel
// was asked for, canceled.
func (s *Service) Complete(ctx context.Context, ws *lathe.Workspace, p lathe.Principal, name string, c Completion) (*lathe.Job, error) {
	j, err := s.wrapperJob(ctx, ws, p, name)
	if err != nil {
		return nil, err
	}
	if j.Status != lathe.JobPreparing && j.Status != lathe.JobRunning {
		return j, lathe.Errorf(lathe.ECONFLICT, "job %s is %s already", j.Name, j.Status)
	}
	if len(c.Reason) > 4000 {
		c.Reason = c.Reason[:4000] + "…"
	}
	s.mu.Lock()
	timedOut := false
	if sl := s.running[slotKey(j.ID, j.Attempt)]; sl != nil {
		timedOut = sl.timedOut
	}
	s.mu.Unlock()
	switch {
	case j.CancelRequested:
		return s.end(ctx, j, lathe.JobCanceled, "", j.Reason, c.ExitCode)
	case timedOut && c.Failure != "":
		return s.end(ctx, j, lathe.JobFailed, lathe.FailureTimeout, timeoutReason(j.Spec.Timeout), c.ExitCode)
	case c.Failure == "" && c.ExitCode != nil && *c.ExitCode == 0:
		return s.end(ctx, j, lathe.JobCompleted, "", "", c.ExitCode)
	case c.Failure == lathe.FailureInfrastructure:
		s.failInfra(ctx, j, c.Reason)
		return s.o.Store.JobByID(ctx, j.ID)
	}
	failure, reason := c.Failure, c.Reason
	if failure != lathe.FailureTimeout {
		failure = lathe.FailureUser
	}
	if reason == "" {
		reason = "the job failed"
		if c.ExitCode != nil {
			reason = fmt.Sprintf("the command exited with status %d; its output is in the job's log (lathe job stream -n %s)", *c.ExitCode, j.Name)
		}
	}
	return s.end(ctx, j, lathe.JobFailed, failure, reason, c.ExitCode)
}
