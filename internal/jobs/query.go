package jobs

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
	"github.com/latheml/lathe/internal/store"
)

// Job returns a job by name.
func (s *Service) Job(ctx context.Context, ws, name string) (*lathe.Job, error) {
	return s.o.Store.Job(ctx, ws, name)
}

// JobPage is one page of jobs.
type JobPage struct {
	Items      []*lathe.Job
	NextCursor string
}

// Jobs lists a workspace's jobs, newest first, optionally only those in
// some statuses.
func (s *Service) Jobs(ctx context.Context, ws string, statuses []string, cursor string, limit int) (*JobPage, error) {
	for _, st := range statuses {
		if !lathe.ValidJobStatus(st) {
			return nil, lathe.Errorf(lathe.EINVALID, "status %q: use %s", st, strings.Join(lathe.JobStatuses, ", "))
		}
	}
	q := store.JobQuery{Statuses: statuses, Limit: limit + 1}
	if cursor != "" {
		t, name, err := decodeCursor(cursor)
		if err != nil {
			return nil, err
		}
		q.AfterTime, q.AfterName = &t, name
	}
	list, err := s.o.Store.ListJobs(ctx, ws, q)
	if err != nil {
		return nil, err
	}
	page := &JobPage{Items: list}
	if len(list) > limit {
		page.Items = list[:limit]
		last := list[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.Name)
	}
	return page, nil
}

func encodeCursor(t time.Time, name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + name))
}

func decodeCursor(c string) (time.Time, string, error) {
	bad := lathe.Errorf(lathe.EINVALID, "cursor %q is not one this server issued; start again without it", c)
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, name, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, "", bad
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", bad
	}
	return t, name, nil
}

// Events returns a job's lifecycle events after seq.
func (s *Service) Events(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.JobEvent, error) {
	j, err := s.o.Store.Job(ctx, ws, name)
	if err != nil {
		return nil, nil, err
	}
	evs, err := s.o.Store.JobEvents(ctx, j.ID, after, limit)
	return j, evs, err
}

// Logs returns lines of a job's log after line number after.
func (s *Service) Logs(ctx context.Context, ws, name string, after int64, limit int) (*lathe.Job, []lathe.LogLine, error) {
	j, err := s.o.Store.Job(ctx, ws, name)
	if err != nil {
		return nil, nil, err
	}
	lines, err := s.o.Store.JobLogs(ctx, j.ID, after, limit)
	return j, lines, err
}

// JobByID returns a job by ID (for followers that hold one).
func (s *Service) JobByID(ctx context.Context, id string) (*lathe.Job, error) {
	return s.o.Store.JobByID(ctx, id)
}

// LogsByID returns lines of a job's log by job ID.
func (s *Service) LogsByID(ctx context.Context, id string, after int64, limit int) ([]lathe.LogLine, error) {
	return s.o.Store.JobLogs(ctx, id, after, limit)
}

// Lineage returns the data versions a job read and wrote.
func (s *Service) Lineage(ctx context.Context, ws, name string) ([]lathe.JobLineage, error) {
	j, err := s.o.Store.Job(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	return s.o.Store.JobLineage(ctx, j.ID)
}

// Output returns the data version an output was registered as:
// azureml://jobs/<job>/outputs/<name>.
func (s *Service) Output(ctx context.Context, ws, name, port string) (*lathe.DataVersion, error) {
	j, err := s.o.Store.Job(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	o, ok := j.Spec.Outputs[port]
	if !ok {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "job %s has no output %q (its outputs: %s)", name, port, strings.Join(keys(j.Spec.Outputs), ", "))
	}
	if o.Data == "" {
		if lathe.JobTerminal(j.Status) {
			return nil, lathe.Errorf(lathe.ENOTFOUND, "job %s %s without registering output %s (an output is registered when the job completes and wrote at least one file to it)", name, j.Status, port)
		}
		return nil, lathe.Errorf(lathe.ECONFLICT, "job %s is %s; output %s is registered when it completes", name, j.Status, port)
	}
	ref, err := lathe.ParseAssetRef(o.Data, false)
	if err != nil {
		return nil, err
	}
	return s.o.Data.Version(ctx, ws, ref)
}

// Cancel cancels a job: a queued one at once, a started one by stopping
// its process tree (SIGTERM, then SIGKILL after the grace period); it ends
// canceled when its process has ended.
func (s *Service) Cancel(ctx context.Context, ws, name, actor string) (*lathe.Job, error) {
	j, err := s.o.Store.Job(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	reason := "canceled by " + actor
	if lathe.JobTerminal(j.Status) {
		return nil, lathe.Errorf(lathe.ECONFLICT, "job %s has already ended (%s); there is nothing to cancel", name, j.Status)
	}
	if j.Status == lathe.JobQueued {
		s.dequeue(j.ID)
		out, err := s.end(ctx, j, lathe.JobCanceled, "", reason+" while it was queued", nil)
		if !lathe.IsCode(err, lathe.ECONFLICT) {
			return out, err
		}
		// It started meanwhile: stop it like a running job.
		if j, err = s.o.Store.Job(ctx, ws, name); err != nil {
			return nil, err
		}
	}
	yes := true
	out, err := s.o.Store.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobPreparing, lathe.JobRunning}, At: s.now(),
		Message: "cancel requested by " + actor, CancelRequested: &yes, Reason: &reason})
	if err != nil {
		return nil, err
	}
	s.hub.notify(j.ID)
	s.mu.Lock()
	sl := s.running[slotKey(out.ID, out.Attempt)]
	h := ""
	if sl != nil {
		h = string(sl.handle)
	}
	s.mu.Unlock()
	if sl != nil && h != "" {
		if err := sl.b.Stop(ctx, compute.Handle(h), s.o.KillGrace); err != nil {
			s.o.Logger.Warn("stop job", "job", name, "error", err)
		}
	}
	return out, nil
}
