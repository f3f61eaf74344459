package jobs

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/store"
)

func strp(s string) *string { return &s }

func TestSubmitRefusesBadSpecs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	ctx := context.Background()
	// d:1 is data of the other workspace only.
	if _, err := e.data.CreateVersion(ctx, e.other.ID, "ada", "d", dataSpec()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		spec lathe.JobSpec
		code string
		says string
	}{
		{"undefined input", lathe.JobSpec{Command: "echo ${{inputs.x}}"}, lathe.EINVALID, "no input \"x\""},
		{"undefined output", lathe.JobSpec{Command: "echo ${{outputs.y}}"}, lathe.EINVALID, "no output \"y\""},
		{"unknown compute", lathe.JobSpec{Command: "true", Compute: "azureml:gpu-cluster"}, lathe.ENOTFOUND, "gpu-cluster"},
		{"too many cpus", lathe.JobSpec{Command: "true", Resources: lathe.JobResources{CPU: 8}}, lathe.EINVALID, "asks for 8 CPUs"},
		{"output climbs out", lathe.JobSpec{Command: "true", Outputs: map[string]lathe.JobOutput{"o": {Path: "../escape"}}}, lathe.EINVALID, "o"},
		{"output absolute", lathe.JobSpec{Command: "true", Outputs: map[string]lathe.JobOutput{"o": {Path: "/etc"}}}, lathe.EINVALID, "o"},
		{"output in logs", lathe.JobSpec{Command: "true", Outputs: map[string]lathe.JobOutput{"o": {Path: "logs/x"}}}, lathe.EINVALID, "logs"},
		{"outputs share a folder", lathe.JobSpec{Command: "true", Outputs: map[string]lathe.JobOutput{"a": {Path: "out"}, "b": {Path: "out/b"}}}, lathe.EINVALID, "share"},
		{"data of another workspace by short name", lathe.JobSpec{Command: "cat ${{inputs.d}}",
			Inputs: map[string]lathe.JobInput{"d": {Type: lathe.DataURIFolder, Path: "azureml:d:1"}}}, lathe.ENOTFOUND, "inputs.d"},
		{"data of another workspace by long name", lathe.JobSpec{Command: "cat ${{inputs.d}}",
			Inputs: map[string]lathe.JobInput{"d": {Type: lathe.DataURIFolder, Path: "azureml://workspaces/" + e.other.Name + "/data/d/versions/1"}}}, lathe.EFORBIDDEN, e.other.Name},
		{"local path input", lathe.JobSpec{Command: "cat ${{inputs.d}}",
			Inputs: map[string]lathe.JobInput{"d": {Type: lathe.DataURIFolder, Path: "./data"}}}, lathe.EINVALID, "local path"},
		{"bad literal", lathe.JobSpec{Command: "echo ${{inputs.n}}",
			Inputs: map[string]lathe.JobInput{"n": {Type: lathe.InputInteger, Value: strp("ten")}}}, lathe.EINVALID, "ten"},
		{"image without runtime", lathe.JobSpec{Command: "true", InlineEnvironment: &lathe.EnvironmentSpec{Image: "python:3.12-slim"}}, lathe.EUNSUPPORTED, "no container runtime"},
		{"unknown environment", lathe.JobSpec{Command: "true", Environment: "azureml:nope:1"}, lathe.ENOTFOUND, "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j, err := e.svc.Submit(ctx, e.ws, e.user, SubmitRequest{Spec: tc.spec})
			if err == nil {
				t.Fatalf("Submit accepted the job (%s)", j.Name)
			}
			if lathe.ErrorCode(err) != tc.code || !strings.Contains(lathe.ErrorMessage(err), tc.says) {
				t.Fatalf("Submit error = %s %q, want %s saying %q", lathe.ErrorCode(err), lathe.ErrorMessage(err), tc.code, tc.says)
			}
		})
	}
	t.Cleanup(func() {
		jobs, err := e.db.ListJobs(ctx, e.ws.ID, store.JobQuery{Limit: 100})
		if err != nil || len(jobs) != 0 {
			t.Errorf("refused submits stored %d jobs (%v)", len(jobs), err)
		}
	})
}

func TestSubmitResolvesOwnData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	ctx := context.Background()
	if _, err := e.data.CreateVersion(ctx, e.ws.ID, "ada", "d", dataSpec()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"azureml:d:1", "azureml://workspaces/" + e.ws.Name + "/data/d/versions/1"} {
		j := e.submit(e.ws, lathe.JobSpec{Command: "cat ${{inputs.d}}", Inputs: map[string]lathe.JobInput{"d": {Type: lathe.DataURIFolder, Path: path}}})
		if got := j.Spec.Inputs["d"].Data; got != "d:1" {
			t.Errorf("input %s resolved to %q, want d:1", path, got)
		}
		lin, err := e.db.JobLineage(ctx, j.ID)
		if err != nil || len(lin) != 1 || lin[0].DataName != "d" || lin[0].Direction != "input" {
			t.Errorf("lineage of %s = %+v, %v", path, lin, err)
		}
		if j.Status != lathe.JobQueued || j.RunID == "" {
			t.Errorf("submitted job is %s with run %q", j.Status, j.RunID)
		}
	}
}

func TestLifecycleCompleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	e.run(e.svc)
	ctx := context.Background()
	j := e.submit(e.ws, hostSpec("true"))
	ft := e.b.nextStart(t)
	if ft.task.JobID != j.ID || ft.task.Attempt != 1 || ft.task.Env["LATHE_JOB"] != j.Name || ft.task.Env["LATHE_WORKSPACE"] != e.ws.Name ||
		ft.task.Env["LATHE_URL"] != "http://lathe.test" || ft.task.Env["LATHE_TOKEN"] == "" {
		t.Fatalf("task = %+v", ft.task)
	}
	got := e.waitStatus(j.ID, lathe.JobPreparing)
	if got.Attempt != 1 || got.TokenID == "" {
		t.Fatalf("preparing job has attempt %d token %q", got.Attempt, got.TokenID)
	}
	p := e.wrapper(j.ID)
	// Only the job's own token may act as its wrapper.
	if _, err := e.svc.Started(ctx, e.ws, e.user, j.Name); !lathe.IsCode(err, lathe.EFORBIDDEN) {
		t.Fatalf("Started with a user's principal = %v, want forbidden", err)
	}
	if _, err := e.svc.Started(ctx, e.ws, p, j.Name); err != nil {
		t.Fatal(err)
	}
	if got := e.job(j.ID); got.Status != lathe.JobRunning || got.StartedAt == nil {
		t.Fatalf("after Started the job is %s (started %v)", got.Status, got.StartedAt)
	}
	if _, err := e.svc.Complete(ctx, e.ws, p, j.Name, Completion{ExitCode: intp(0)}); err != nil {
		t.Fatal(err)
	}
	e.b.end(ft.handle, compute.Exit{Code: 0, Detail: "exit status 0"})
	got = e.waitStatus(j.ID, lathe.JobCompleted)
	if got.ExitCode == nil || *got.ExitCode != 0 || got.EndedAt == nil {
		t.Fatalf("completed job: %+v", got)
	}
	if s := e.tracker.waitLast(j.RunID, lathe.RunFinished); s != lathe.RunFinished {
		t.Fatalf("run status = %q, want %s", s, lathe.RunFinished)
	}
	waitFreed(t, e.svc, e.ws.ID)
	// The token of an ended job no longer acts for it.
	if _, err := e.svc.Complete(ctx, e.ws, p, j.Name, Completion{ExitCode: intp(0)}); err == nil {
		t.Fatal("Complete of an ended job succeeded")
	}
}

// waitFreed waits until the workspace's local compute holds no slots.
func waitFreed(t *testing.T, s *Service, ws string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := s.Compute(context.Background(), ws, lathe.DefaultCompute)
		if err != nil {
			t.Fatal(err)
		}
		if c.Usage.Running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("compute still holds %d running jobs", c.Usage.Running)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestInfrastructureFailuresRetried(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		maxRetries int // Options.MaxRetries (-1: none)
		attempts   int
		viaWrapper bool // the wrapper reports the infrastructure failure
	}{
		{"no retries", -1, 1, false},
		{"default two retries", 0, 3, false},
		{"one retry", 1, 2, false},
		{"reported by the wrapper", 1, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 2, func(o *Options) { o.MaxRetries = tc.maxRetries })
			e.run(e.svc)
			j := e.submit(e.ws, hostSpec("true"))
			for a := 1; a <= tc.attempts; a++ {
				ft := e.b.nextStart(t)
				if ft.task.Attempt != a {
					t.Fatalf("start %d has attempt %d", a, ft.task.Attempt)
				}
				e.waitStatus(j.ID, lathe.JobPreparing)
				if tc.viaWrapper {
					p := e.wrapper(j.ID)
					if _, err := e.svc.Complete(context.Background(), e.ws, p, j.Name, Completion{Failure: lathe.FailureInfrastructure, Reason: "disk full"}); err != nil {
						t.Fatal(err)
					}
				}
				e.b.end(ft.handle, compute.Exit{Code: -1, Detail: "killed by signal killed"})
			}
			got := e.waitStatus(j.ID, lathe.JobFailed)
			if got.Failure != lathe.FailureInfrastructure || got.Attempt != tc.attempts {
				t.Fatalf("job failed %s after %d attempts, want infrastructure after %d", got.Failure, got.Attempt, tc.attempts)
			}
			want := "ended (killed by signal killed) before reporting"
			if tc.viaWrapper {
				want = "disk full"
			}
			if !strings.Contains(got.Reason, want) {
				t.Fatalf("reason %q does not say %q", got.Reason, want)
			}
			if tc.attempts > 1 && !strings.Contains(got.Reason, "after "+strconv.Itoa(tc.attempts)+" attempts") {
				t.Fatalf("reason %q does not count the attempts", got.Reason)
			}
			e.b.noStart(t, 200*time.Millisecond)
		})
	}
}

func TestUserFailureNotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	e.run(e.svc)
	ctx := context.Background()
	j := e.submit(e.ws, hostSpec("exit 2"))
	ft := e.b.nextStart(t)
	e.waitStatus(j.ID, lathe.JobPreparing)
	p := e.wrapper(j.ID)
	if _, err := e.svc.Started(ctx, e.ws, p, j.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Complete(ctx, e.ws, p, j.Name, Completion{ExitCode: intp(2), Failure: lathe.FailureUser, Reason: "the command exited with status 2"}); err != nil {
		t.Fatal(err)
	}
	e.b.end(ft.handle, compute.Exit{Code: 1, Detail: "exit status 1"})
	got := e.waitStatus(j.ID, lathe.JobFailed)
	if got.Failure != lathe.FailureUser || got.Attempt != 1 || got.ExitCode == nil || *got.ExitCode != 2 || !strings.Contains(got.Reason, "status 2") {
		t.Fatalf("failed job: failure %s attempt %d exit %v reason %q", got.Failure, got.Attempt, got.ExitCode, got.Reason)
	}
	if s := e.tracker.waitLast(j.RunID, lathe.RunFailed); s != lathe.RunFailed {
		t.Fatalf("run status = %q", s)
	}
	e.b.noStart(t, 200*time.Millisecond)
}

// shifted is a clock behind the real one, so a job "started" long ago
// reaches its timeout backstop at once.
func shifted(d time.Duration) envOpt {
	return func(o *Options) { o.Now = func() time.Time { return time.Now().Add(-d) } }
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		viaWrapper bool
	}{
		{"backstop stops the task", false},
		{"wrapper reports it", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The controller's backstop fires timeout + grace + 30s after
			// the start; a clock 40s behind makes that now.
			e := newEnv(t, 2, shifted(40*time.Second))
			e.run(e.svc)
			ctx := context.Background()
			sp := hostSpec("sleep 100")
			sp.Timeout = 1
			j := e.submit(e.ws, sp)
			ft := e.b.nextStart(t)
			e.waitStatus(j.ID, lathe.JobPreparing)
			p := e.wrapper(j.ID)
			if tc.viaWrapper {
				e.b.stopEnds = false
			}
			if _, err := e.svc.Started(ctx, e.ws, p, j.Name); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for ft.stopped.Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the timed-out job's task was not stopped")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if tc.viaWrapper {
				if _, err := e.svc.Complete(ctx, e.ws, p, j.Name, Completion{ExitCode: intp(143), Failure: lathe.FailureInfrastructure, Reason: "lathe exec received terminated"}); err != nil {
					t.Fatal(err)
				}
				e.b.end(ft.handle, compute.Exit{Code: 0})
			}
			got := e.waitStatus(j.ID, lathe.JobFailed)
			if got.Failure != lathe.FailureTimeout || !strings.Contains(got.Reason, "limits.timeout of 1s") {
				t.Fatalf("timed-out job: failure %s reason %q", got.Failure, got.Reason)
			}
			e.b.noStart(t, 200*time.Millisecond)
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	t.Run("queued", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, 1)
		e.run(e.svc)
		ctx := context.Background()
		first := e.submit(e.ws, hostSpec("sleep 100"))
		ft := e.b.nextStart(t)
		queued := e.submit(e.ws, hostSpec("true"))
		got, err := e.svc.Cancel(ctx, e.ws.ID, queued.Name, "ada")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != lathe.JobCanceled || !strings.Contains(got.Reason, "canceled by ada while it was queued") {
			t.Fatalf("canceled queued job: %s %q", got.Status, got.Reason)
		}
		if e.b.stopCount() != 0 {
			t.Fatal("canceling a queued job stopped a task")
		}
		if _, err := e.svc.Cancel(ctx, e.ws.ID, queued.Name, "ada"); !lathe.IsCode(err, lathe.ECONFLICT) {
			t.Fatalf("second cancel = %v, want conflict", err)
		}
		// The slot frees; the canceled job never starts.
		p := e.wrapper(first.ID)
		if _, err := e.svc.Complete(ctx, e.ws, p, first.Name, Completion{ExitCode: intp(0)}); err != nil {
			t.Fatal(err)
		}
		e.b.end(ft.handle, compute.Exit{})
		e.b.noStart(t, 300*time.Millisecond)
	})
	t.Run("running", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, 1)
		e.run(e.svc)
		ctx := context.Background()
		j := e.submit(e.ws, hostSpec("sleep 100"))
		ft := e.b.nextStart(t)
		e.waitStatus(j.ID, lathe.JobPreparing)
		if _, err := e.svc.Started(ctx, e.ws, e.wrapper(j.ID), j.Name); err != nil {
			t.Fatal(err)
		}
		out, err := e.svc.Cancel(ctx, e.ws.ID, j.Name, "ada")
		if err != nil {
			t.Fatal(err)
		}
		if !out.CancelRequested {
			t.Fatal("cancel was not recorded")
		}
		if ft.stopped.Load() == 0 {
			t.Fatal("Cancel did not stop the running task")
		}
		got := e.waitStatus(j.ID, lathe.JobCanceled)
		if !strings.Contains(got.Reason, "canceled by ada") || got.Failure != "" {
			t.Fatalf("canceled job: reason %q failure %q", got.Reason, got.Failure)
		}
		if s := e.tracker.waitLast(j.RunID, lathe.RunKilled); s != lathe.RunKilled {
			t.Fatalf("run status = %q", s)
		}
		waitFreed(t, e.svc, e.ws.ID)
	})
}

func TestReconcileAfterRestart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		alive bool
	}{
		{"process gone", false},
		{"process still runs", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 2)
			e.run(e.svc)
			ctx := context.Background()
			j := e.submit(e.ws, hostSpec("sleep 100"))
			ft := e.b.nextStart(t)
			e.waitStatus(j.ID, lathe.JobPreparing)
			p := e.wrapper(j.ID)
			if _, err := e.svc.Started(ctx, e.ws, p, j.Name); err != nil {
				t.Fatal(err)
			}
			waitHandle(t, e, j.ID, string(ft.handle))
			queued := e.submit(e.ws, lathe.JobSpec{Command: "true", Resources: lathe.JobResources{CPU: 2}})
			e.stop() // the server stops; the job's process may live on

			b2 := newFakeBackend(2)
			b2.alive = func(h compute.Handle) bool { return tc.alive && h == ft.handle }
			s2 := e.service(b2)
			e.svc = s2
			e.run(s2)
			if !tc.alive {
				got := e.waitStatus(j.ID, lathe.JobFailed)
				if got.Failure != lathe.FailureInfrastructure || !strings.Contains(got.Reason, "restarted") || !strings.Contains(got.Reason, "was gone") {
					t.Fatalf("job whose process is gone: %s %q", got.Failure, got.Reason)
				}
				// The queued job is found again and starts.
				if st := b2.nextStart(t); st.task.JobID != queued.ID {
					t.Fatalf("started %s, want the queued job", st.task.JobName)
				}
				return
			}
			// Adopted: it keeps its slot (the 2-CPU job cannot start) and
			// ends when its wrapper reports and its process ends.
			b2.noStart(t, 300*time.Millisecond)
			if got := e.job(j.ID); got.Status != lathe.JobRunning {
				t.Fatalf("adopted job is %s (%s)", got.Status, got.Reason)
			}
			if _, err := s2.Complete(ctx, e.ws, p, j.Name, Completion{ExitCode: intp(0)}); err != nil {
				t.Fatal(err)
			}
			b2.end(ft.handle, compute.Exit{Code: -1, Detail: "process is gone"})
			e.waitStatus(j.ID, lathe.JobCompleted)
			if st := b2.nextStart(t); st.task.JobID != queued.ID {
				t.Fatalf("started %s, want the queued job", st.task.JobName)
			}
		})
	}
}

// waitHandle waits until the job's lease records the handle.
func waitHandle(t *testing.T, e *env, jobID, h string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ls, err := e.db.Leases(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.JobID == jobID && l.Handle == h {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease of job %s does not record handle %s", jobID, h)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFairAcrossWorkspaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	const per = 4
	// All of the first workspace's jobs are queued before the other's.
	wss := map[string]*lathe.Workspace{e.ws.ID: e.ws, e.other.ID: e.other}
	for _, ws := range []*lathe.Workspace{e.ws, e.other} {
		for range per {
			e.submit(ws, hostSpec("true"))
		}
	}
	e.run(e.svc)
	ctx := context.Background()
	var order []string
	var running []*fakeTask // in start order
	for len(order) < 2*per {
		ft := e.b.nextStart(t)
		j := e.job(ft.task.JobID)
		order = append(order, j.Workspace)
		running = append(running, ft)
		if len(running) < 2 && len(order) < 2*per {
			continue
		}
		// End the job that started first.
		first := e.waitStatus(running[0].task.JobID, lathe.JobPreparing)
		if _, err := e.svc.Complete(ctx, wss[first.WorkspaceID], e.wrapper(first.ID), first.Name, Completion{ExitCode: intp(0)}); err != nil {
			t.Fatal(err)
		}
		e.b.end(running[0].handle, compute.Exit{})
		running = running[1:]
	}
	for i := 1; i < len(order); i++ {
		if order[i] == order[i-1] {
			t.Fatalf("start order %v: workspace %s started twice in a row at %d", order, order[i], i)
		}
	}
	e.b.noStart(t, 200*time.Millisecond)
}

func dataSpec() data.VersionSpec { return data.VersionSpec{Version: "1", Type: lathe.DataURIFolder} }

func TestQueuedJobsCountedOnceAfterReconcile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	// Submitted before the controller reconciles the store: each job must
	// still be queued once.
	for range 3 {
		e.submit(e.ws, hostSpec("true"))
	}
	e.run(e.svc)
	e.b.nextStart(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := e.svc.Compute(context.Background(), e.ws.ID, lathe.DefaultCompute)
		if err != nil {
			t.Fatal(err)
		}
		if c.Usage.Running == 1 && c.Usage.Queued == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("compute usage: %d running, %d queued; want 1 and 2", c.Usage.Running, c.Usage.Queued)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.b.noStart(t, 200*time.Millisecond)
}
