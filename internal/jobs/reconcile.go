package jobs

import (
	"context"
	"fmt"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
	"github.com/latheml/lathe/internal/store"
)

// reconcile rebuilds the controller's state from the store after a
// (re)start: queued jobs go back in the queue, and jobs that were started
// are found again through their leases: a job whose process still runs is
// watched again, one whose process is gone is failed with that reason.
// Nothing stays "running" forever.
func (s *Service) reconcile(ctx context.Context) error {
	jobs, err := s.o.Store.JobsByStatus(ctx, lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning)
	if err != nil {
		return err
	}
	leases, err := s.o.Store.Leases(ctx)
	if err != nil {
		return err
	}
	byJob := map[string]*store.JobLease{}
	for _, l := range leases {
		byJob[l.JobID] = l
	}
	for _, j := range jobs {
		if j.Type == lathe.JobTypePipeline {
			continue // run by the pipeline controller, which reconciles its own
		}
		if j.Status == lathe.JobQueued {
			p, err := s.pool(ctx, j.WorkspaceID, j.Compute)
			if err != nil {
				s.endLogged(ctx, j, lathe.JobFailed, lathe.FailureUser, fmt.Sprintf("compute %s cannot run the job: %v", j.Compute, err), nil)
				continue
			}
			s.enqueue(j, p)
			continue
		}
		s.adopt(ctx, j, byJob[j.ID], true)
	}
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	return nil
}

// adopt takes charge of a started job found in the store. A lease held by
// another controller that is still renewing it is left alone (unless
// force is false and it expired); this server's own leases (same holder
// name, from before a restart) are taken at once.
func (s *Service) adopt(ctx context.Context, j *lathe.Job, l *store.JobLease, restart bool) {
	now := s.now()
	if l == nil {
		s.endLogged(ctx, j, lathe.JobFailed, lathe.FailureInfrastructure,
			"the server stopped while starting the job, before its process was recorded; submit it again", nil)
		return
	}
	if l.Holder != s.o.Holder && l.ExpiresAt.After(now) {
		return // another controller runs it
	}
	if ok, err := s.o.Store.TakeLease(ctx, j.ID, l.Holder, s.o.Holder, now.Add(s.o.LeaseTTL)); err != nil || !ok {
		return
	}
	p, perr := s.pool(ctx, j.WorkspaceID, j.Compute)
	b := s.o.Backends[p.backend]
	if perr != nil || b == nil {
		s.endLogged(ctx, j, lathe.JobFailed, lathe.FailureInfrastructure, fmt.Sprintf("the job's compute %s is not available on this server, so its process cannot be checked", j.Compute), nil)
		return
	}
	h := compute.Handle(l.Handle)
	gone := func(detail string) {
		why := "the server restarted and the job's process " + detail + " was gone"
		if !restart {
			why = fmt.Sprintf("the controller that ran the job (%s) stopped renewing its lease and the job's process %s was gone", l.Holder, detail)
		}
		s.endLogged(ctx, j, lathe.JobFailed, lathe.FailureInfrastructure, why, nil)
	}
	if h == "" {
		gone("(never recorded)")
		return
	}
	alive, err := b.Alive(ctx, h)
	if err != nil || !alive {
		gone(describeHandle(h))
		return
	}
	sl := &slot{jobID: j.ID, ws: j.WorkspaceID, attempt: j.Attempt, pool: poolKey(j.WorkspaceID, j.Compute), backend: p.backend,
		need: need(j.Spec.Resources), b: b, handle: h}
	s.mu.Lock()
	s.running[slotKey(j.ID, j.Attempt)] = sl
	s.mu.Unlock()
	s.o.Logger.Info("job found running after restart", "job", j.Name, "process", describeHandle(h))
	if j.Status == lathe.JobRunning {
		s.armTimeout(j)
	}
	if j.CancelRequested {
		_ = b.Stop(ctx, h, s.o.KillGrace)
	}
	go s.watch(ctx, sl, h)
}

// adoptExpired takes over started jobs whose lease expired (their
// controller stopped).
func (s *Service) adoptExpired(ctx context.Context) error {
	leases, err := s.o.Store.Leases(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, l := range leases {
		if l.Holder == s.o.Holder || l.ExpiresAt.After(now) {
			continue
		}
		j, err := s.o.Store.JobByID(ctx, l.JobID)
		if err != nil || lathe.JobTerminal(j.Status) {
			continue
		}
		s.adopt(ctx, j, l, false)
	}
	return nil
}

// describeHandle names a process for people: "(pid 1234)" for a local one.
func describeHandle(h compute.Handle) string {
	var pid, start uint64
	if n, _ := fmt.Sscanf(string(h), "pid:%d:%d", &pid, &start); n >= 1 {
		return fmt.Sprintf("(pid %d)", pid)
	}
	return "(" + string(h) + ")"
}
