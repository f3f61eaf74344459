package jobs

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/auth"
	"github.com/latheml/lathe/internal/compute"
	"github.com/latheml/lathe/internal/store"
)

// pendingJob is a queued job waiting for slots.
type pendingJob struct {
	Pending
}

// slot is a started job holding capacity, from the start of its wrapper
// until the wrapper's process ends.
type slot struct {
	jobID   string
	ws      string
	attempt int
	pool    string
	backend string
	need    Amount
	b       compute.Backend
	// set under s.mu:
	handle   compute.Handle
	timedOut bool
	timer    *time.Timer
}

func slotKey(jobID string, attempt int) string { return jobID + "#" + strconv.Itoa(attempt) }

// enqueue adds a queued job to the controller's queue, once: a job
// submitted while the controller reconciles is found in the store too.
func (s *Service) enqueue(j *lathe.Job, p poolInfo) {
	s.mu.Lock()
	for _, q := range s.pending {
		if q.ID == j.ID {
			s.mu.Unlock()
			return
		}
	}
	s.seq++
	s.pending = append(s.pending, &pendingJob{Pending{ID: j.ID, Workspace: j.WorkspaceID, Pool: poolKey(j.WorkspaceID, j.Compute),
		Machine: machinePool(p.backend), Need: need(j.Spec.Resources), Seq: s.seq}})
	s.mu.Unlock()
	s.wake()
}

// dequeue drops a job from the queue; it reports whether it was there.
func (s *Service) dequeue(jobID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.pending {
		if p.ID == jobID {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return true
		}
	}
	return false
}

// Run is the controller: it reconciles the jobs the store says are
// queued, preparing or running (after a restart), then starts queued jobs
// as slots free up and renews its leases, until ctx ends. Jobs that are
// running when it stops keep running; the next start finds them again.
func (s *Service) Run(ctx context.Context) error {
	if err := s.reconcile(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it could start
		}
		return fmt.Errorf("jobs: reconcile: %w", err)
	}
	renew := time.NewTicker(s.o.LeaseTTL / 3)
	defer renew.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		s.schedule(ctx)
		select {
		case <-ctx.Done():
			s.stopTimers()
			return nil
		case <-s.kick:
		case <-tick.C:
		case <-renew.C:
			s.renew(ctx)
		}
	}
}

func (s *Service) stopTimers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sl := range s.running {
		if sl.timer != nil {
			sl.timer.Stop()
		}
	}
}

// renew extends this controller's leases and takes over jobs whose holder
// stopped renewing.
func (s *Service) renew(ctx context.Context) {
	if _, err := s.o.Store.RenewLeases(ctx, s.o.Holder, s.now().Add(s.o.LeaseTTL)); err != nil {
		s.o.Logger.Warn("renew job leases", "error", err)
	}
	if err := s.adoptExpired(ctx); err != nil {
		s.o.Logger.Warn("take over expired job leases", "error", err)
	}
}

// schedule starts the queued jobs that fit now.
func (s *Service) schedule(ctx context.Context) {
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.mu.Unlock()
		return
	}
	free, lim := s.freeLocked()
	ps := make([]Pending, len(s.pending))
	for i, p := range s.pending {
		ps[i] = p.Pending
	}
	running := map[string]int{}
	for _, sl := range s.running {
		running[sl.ws]++
	}
	picked := Pick(ps, free, lim, running, s.served)
	if len(picked) == 0 {
		s.mu.Unlock()
		return
	}
	var starts []*slot
	take := map[int]bool{}
	for _, i := range picked {
		p := ps[i]
		typ := p.Machine[len("backend:"):]
		sl := &slot{jobID: p.ID, ws: p.Workspace, pool: p.Pool, backend: typ, need: p.Need, b: s.o.Backends[typ]}
		// Reserve under a provisional key until the attempt is known.
		s.running[slotKey(p.ID, 0)] = sl
		starts = append(starts, sl)
		take[i] = true
	}
	kept := s.pending[:0]
	for i, p := range s.pending {
		if !take[i] {
			kept = append(kept, p)
		}
	}
	s.pending = kept
	s.mu.Unlock()
	for _, sl := range starts {
		go s.start(ctx, sl)
	}
}

// release gives a slot's capacity back and wakes the scheduler.
func (s *Service) release(sl *slot) {
	s.mu.Lock()
	for k, x := range s.running {
		if x == sl {
			delete(s.running, k)
		}
	}
	if sl.timer != nil {
		sl.timer.Stop()
	}
	s.mu.Unlock()
	s.wake()
}

// tokenLife is how long a job's token works: its timeout and a margin, or
// the longest a job may run.
func tokenLife(sp lathe.JobSpec) time.Duration {
	if sp.Timeout > 0 {
		return time.Duration(sp.Timeout)*time.Second + time.Hour
	}
	return lathe.MaxJobTimeout + time.Hour
}

// start moves a queued job to preparing (with a fresh token and a lease)
// and starts its wrapper on the compute.
func (s *Service) start(ctx context.Context, sl *slot) {
	j, err := s.o.Store.JobByID(ctx, sl.jobID)
	if err != nil || j.Status != lathe.JobQueued {
		s.release(sl)
		return
	}
	if sl.b == nil {
		s.release(sl)
		s.endLogged(ctx, j, lathe.JobFailed, lathe.FailureInfrastructure, fmt.Sprintf("compute %s has no backend on this server", j.Compute), nil)
		return
	}
	now := s.now()
	secret := auth.NewSecret()
	exp := now.Add(tokenLife(j.Spec))
	tok := &lathe.Token{ID: lathe.NewID(), UserID: j.CreatedByID, Name: "job:" + j.ID, Prefix: secret[:len(auth.TokenPrefix)+4],
		Hash: s.o.Tokens.Hash(secret), CreatedAt: now, ExpiresAt: &exp}
	attempt := j.Attempt + 1
	msg := "starting on compute " + j.Compute
	if attempt > 1 {
		msg += fmt.Sprintf(" (attempt %d)", attempt)
	}
	j, err = s.o.Store.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobQueued}, Status: lathe.JobPreparing, At: now, Message: msg,
		Attempt: &attempt, RevokeToken: true, Token: tok,
		Lease: &store.JobLease{Holder: s.o.Holder, Compute: j.Compute, AcquiredAt: now, ExpiresAt: now.Add(s.o.LeaseTTL)}})
	if err != nil {
		if !lathe.IsCode(err, lathe.ECONFLICT) {
			s.o.Logger.Error("start job", "job", sl.jobID, "error", err)
		}
		s.release(sl)
		return
	}
	s.mu.Lock()
	delete(s.running, slotKey(j.ID, 0))
	sl.attempt = attempt
	s.running[slotKey(j.ID, attempt)] = sl
	s.mu.Unlock()
	s.hub.notify(j.ID)

	task := compute.Task{JobID: j.ID, Workspace: j.Workspace, JobName: j.Name, Attempt: attempt,
		Resources: compute.Resources{CPUMilli: sl.need.CPU, Memory: sl.need.Memory},
		Env:       map[string]string{"LATHE_URL": s.o.ServerURL, "LATHE_TOKEN": secret, "LATHE_WORKSPACE": j.Workspace, "LATHE_JOB": j.Name}}
	h, err := sl.b.Start(ctx, task)
	if err != nil {
		s.release(sl)
		s.failInfra(ctx, j, fmt.Sprintf("could not start the job's wrapper on compute %s: %v", j.Compute, err))
		return
	}
	s.mu.Lock()
	sl.handle = h
	s.mu.Unlock()
	if err := s.o.Store.SetLeaseHandle(ctx, j.ID, s.o.Holder, string(h)); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		s.o.Logger.Warn("record the job's process", "job", j.Name, "error", err)
	}
	// A cancel that came while the wrapper started is applied now.
	if cur, err := s.o.Store.JobByID(ctx, j.ID); err == nil && cur.CancelRequested && !lathe.JobTerminal(cur.Status) {
		_ = sl.b.Stop(ctx, h, s.o.KillGrace)
	}
	go s.watch(ctx, sl, h)
}

// watch waits for a wrapper's process to end and settles the job if the
// wrapper did not report.
func (s *Service) watch(ctx context.Context, sl *slot, h compute.Handle) {
	exit, err := sl.b.Wait(ctx, h)
	if err != nil {
		if ctx.Err() == nil {
			s.o.Logger.Error("wait for job", "job", sl.jobID, "error", err)
			s.release(sl)
		}
		return // shutting down: the job is found again at the next start
	}
	s.settle(context.WithoutCancel(ctx), sl, exit)
	s.release(sl)
}

// settle decides a job whose wrapper ended without reporting: canceled if
// a cancel was asked for, failed by its timeout, and otherwise an
// infrastructure failure (retried while attempts remain).
func (s *Service) settle(ctx context.Context, sl *slot, exit compute.Exit) {
	j, err := s.o.Store.JobByID(ctx, sl.jobID)
	if err != nil {
		return
	}
	s.mu.Lock()
	timedOut := sl.timedOut
	s.mu.Unlock()
	if j.Attempt != sl.attempt || (j.Status != lathe.JobPreparing && j.Status != lathe.JobRunning) {
		return
	}
	switch {
	case j.CancelRequested:
		s.endLogged(ctx, j, lathe.JobCanceled, "", j.Reason, nil)
	case timedOut:
		s.endLogged(ctx, j, lathe.JobFailed, lathe.FailureTimeout, timeoutReason(j.Spec.Timeout), nil)
	default:
		s.failInfra(ctx, j, fmt.Sprintf("the job's wrapper (lathe exec) ended (%s) before reporting how the job went; the compute keeps its own log in the job's exec.log", exit.Detail))
	}
}

func timeoutReason(sec int64) string {
	return fmt.Sprintf("the job ran longer than its limits.timeout of %s and was stopped; raise limits.timeout or make the job faster", time.Duration(sec)*time.Second)
}

// mlflowStatus maps a job status to its run's.
func mlflowStatus(status string) string {
	switch status {
	case lathe.JobCompleted:
		return lathe.RunFinished
	case lathe.JobFailed:
		return lathe.RunFailed
	case lathe.JobCanceled:
		return lathe.RunKilled
	case lathe.JobRunning, lathe.JobPreparing:
		return lathe.RunRunning
	}
	return lathe.RunScheduled
}

// end moves a job to a terminal status: its token is revoked, its lease
// dropped and its MLflow run ended, all recorded in one event.
func (s *Service) end(ctx context.Context, j *lathe.Job, status, failure, reason string, exit *int) (*lathe.Job, error) {
	now := s.now()
	from := []string{lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning}
	u := store.JobUpdate{From: from, Status: status, At: now, Message: reason, Reason: &reason, Failure: &failure, ExitCode: exit,
		EndedAt: &now, RevokeToken: true, DropLease: true}
	out, err := s.o.Store.UpdateJob(ctx, j.ID, u)
	if err != nil {
		return nil, err
	}
	s.o.Logger.Info("job ended", "workspace", j.Workspace, "job", j.Name, "status", status, "reason", reason)
	if s.o.Tracker != nil && j.RunID != "" {
		if err := s.o.Tracker.SetRunStatus(ctx, j.WorkspaceID, j.RunID, mlflowStatus(status), &now); err != nil {
			s.o.Logger.Warn("end the job's MLflow run", "job", j.Name, "error", err)
		}
	}
	s.hub.notify(j.ID)
	return out, nil
}

// endLogged is end for callers that can only log a failure.
func (s *Service) endLogged(ctx context.Context, j *lathe.Job, status, failure, reason string, exit *int) {
	if _, err := s.end(ctx, j, status, failure, reason, exit); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		s.o.Logger.Error("end job", "job", j.Name, "status", status, "error", err)
	}
}

// failInfra handles an infrastructure failure: the job goes back to the
// queue while it has retries left, and fails otherwise.
func (s *Service) failInfra(ctx context.Context, j *lathe.Job, reason string) {
	if j.Attempt > s.o.MaxRetries {
		if s.o.MaxRetries > 0 {
			reason += fmt.Sprintf(" (after %d attempts)", j.Attempt)
		}
		s.endLogged(ctx, j, lathe.JobFailed, lathe.FailureInfrastructure, reason, nil)
		return
	}
	now := s.now()
	msg := fmt.Sprintf("retrying after an infrastructure failure (attempt %d of %d failed): %s", j.Attempt, s.o.MaxRetries+1, reason)
	empty := ""
	out, err := s.o.Store.UpdateJob(ctx, j.ID, store.JobUpdate{From: []string{lathe.JobPreparing, lathe.JobRunning}, Status: lathe.JobQueued,
		At: now, Message: msg, Reason: &empty, ClearStarted: true, ClearExitCode: true, RevokeToken: true, DropLease: true})
	if err != nil {
		if !lathe.IsCode(err, lathe.ECONFLICT) {
			s.o.Logger.Error("requeue job", "job", j.Name, "error", err)
		}
		return
	}
	s.o.Logger.Warn("job retried", "job", j.Name, "reason", reason)
	s.hub.notify(j.ID)
	p, err := s.pool(ctx, out.WorkspaceID, out.Compute)
	if err != nil {
		s.endLogged(ctx, out, lathe.JobFailed, lathe.FailureInfrastructure, fmt.Sprintf("cannot retry on compute %s: %v", out.Compute, err), nil)
		return
	}
	s.enqueue(out, p)
}

// armTimeout makes the controller stop a running job that outlives its
// limits.timeout (the wrapper stops it itself on time; this is the
// backstop for a wrapper that cannot).
func (s *Service) armTimeout(j *lathe.Job) {
	if j.Spec.Timeout <= 0 || j.StartedAt == nil {
		return
	}
	deadline := j.StartedAt.Add(time.Duration(j.Spec.Timeout)*time.Second + s.o.KillGrace + 30*time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.running[slotKey(j.ID, j.Attempt)]
	if sl == nil || sl.timer != nil {
		return
	}
	sl.timer = time.AfterFunc(time.Until(deadline), func() {
		s.mu.Lock()
		sl.timedOut = true
		h := sl.handle
		s.mu.Unlock()
		if h != "" {
			_ = sl.b.Stop(context.Background(), h, s.o.KillGrace)
		}
	})
}
