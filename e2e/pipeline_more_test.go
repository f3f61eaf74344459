package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// submitPipeline submits pipeline YAML text through the client.
func submitPipeline(t *testing.T, c *client.Client, name, file, yaml string) *lathe.Job {
	t.Helper()
	j, err := c.CreatePipelineJob(context.Background(), lathe.DefaultWorkspace, client.PipelineRequest{Name: name, Spec: lathe.PipelineSpec{File: file, YAML: yaml}})
	if err != nil {
		t.Fatalf("submit pipeline %s: %v", name, err)
	}
	return j
}

// pipelineSteps returns a pipeline's steps by name.
func pipelineSteps(t *testing.T, c *client.Client, name string) map[string]lathe.PipelineStep {
	t.Helper()
	ps, err := c.PipelineSteps(context.Background(), lathe.DefaultWorkspace, name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]lathe.PipelineStep{}
	for _, s := range ps.Items {
		out[s.Step] = s
	}
	return out
}

// waitStep polls a pipeline's steps until pred holds for the named step.
func waitStep(t *testing.T, c *client.Client, pipeline, step string, within time.Duration, pred func(lathe.PipelineStep) bool) lathe.PipelineStep {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ps, err := c.PipelineSteps(context.Background(), lathe.DefaultWorkspace, pipeline)
		if err == nil {
			for _, s := range ps.Items {
				if s.Step == step && pred(s) {
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pipeline %s step %s: condition not reached in %s (err %v)", pipeline, step, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readPid waits for a file holding a process ID.
func readPid(t *testing.T, path string, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		b, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process ID in %s after %s", path, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether a process exists (a zombie counts as gone only
// once reaped, so it is waited for a little).
func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// TestPipelineCancelCascade cancels a pipeline whose first step sleeps:
// the step's job ends canceled with its process gone, the step after it
// never gets a job, and the pipeline ends canceled within seconds.
func TestPipelineCancelCascade(t *testing.T) {
	t.Parallel()
	_, c := jobsClient(t)
	pidFile := filepath.Join(t.TempDir(), "sleeper.pid")
	yaml := fmt.Sprintf(`type: pipeline
jobs:
  sleeper:
    command: echo $$ > %s && sleep 30 && echo done > ${{outputs.out}}/x.txt
    outputs:
      out:
        type: uri_folder
  after:
    command: cat ${{inputs.in}}/x.txt
    inputs:
      in: ${{parent.jobs.sleeper.outputs.out}}
`, pidFile)
	submitPipeline(t, c, "cascade", "cascade.yml", yaml)
	sl := waitStep(t, c, "cascade", "sleeper", 30*time.Second, func(s lathe.PipelineStep) bool { return s.State == "running" })
	pid := readPid(t, pidFile, 10*time.Second)
	if !alive(pid) {
		t.Fatalf("the sleeper's shell %d is not running before the cancel", pid)
	}

	start := time.Now()
	if _, err := c.CancelJob(context.Background(), lathe.DefaultWorkspace, "cascade"); err != nil {
		t.Fatal(err)
	}
	pj := waitJob(t, c, "cascade", 15*time.Second, ended)
	took := time.Since(start)
	if pj.Status != lathe.JobCanceled {
		t.Fatalf("pipeline ended %s (%s), want canceled", pj.Status, pj.Reason)
	}
	if took > 10*time.Second {
		t.Errorf("the pipeline took %s to end after the cancel; want a few seconds at most", took)
	}
	sj := waitJob(t, c, sl.Job, 10*time.Second, ended)
	if sj.Status != lathe.JobCanceled {
		t.Errorf("the sleeper's job %s ended %s (%s), want canceled", sj.Name, sj.Status, sj.Reason)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		t.Errorf("the sleeper's shell %d still runs after the pipeline was canceled", pid)
	}
	st := pipelineSteps(t, c, "cascade")
	if st["sleeper"].State != "canceled" {
		t.Errorf("sleeper step = %+v, want canceled", st["sleeper"])
	}
	if a := st["after"]; a.State != "canceled" || a.Job != "" {
		t.Errorf("after step = %+v, want canceled without a job", a)
	}
	// The dependant's job was never created.
	if _, err := c.Job(context.Background(), lathe.DefaultWorkspace, "cascade-after"); !lathe.IsCode(err, lathe.ENOTFOUND) {
		t.Errorf("job cascade-after: err = %v, want not found (the step must never start)", err)
	}
}

// TestPipelineResumesAfterRestart kills the server with SIGKILL while the
// first step of a three-step chain runs and starts it again on the same
// data dir and address: the step's wrapper keeps running, the restarted
// pipeline controller re-attaches to it, the next two steps run, and no
// step runs twice (each appends one line to a marker file).
func TestPipelineResumesAfterRestart(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	p := up(t, home)
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	marks := filepath.Join(t.TempDir(), "marks.txt")
	yaml := fmt.Sprintf(`type: pipeline
jobs:
  one:
    command: echo one >> %[1]s && sleep 3 && echo 1 > ${{outputs.out}}/n.txt
    outputs:
      out:
        type: uri_folder
  two:
    command: echo two >> %[1]s && cat ${{inputs.in}}/n.txt && echo 2 > ${{outputs.out}}/n.txt
    inputs:
      in: ${{parent.jobs.one.outputs.out}}
    outputs:
      out:
        type: uri_folder
  three:
    command: echo three >> %[1]s && cat ${{inputs.in}}/n.txt
    inputs:
      in: ${{parent.jobs.two.outputs.out}}
`, marks)
	submitPipeline(t, c, "resume", "resume.yml", yaml)
	waitStep(t, c, "resume", "one", 30*time.Second, func(s lathe.PipelineStep) bool { return s.State == "running" })
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.done <- <-p.done // wait for the exit, and leave it for the cleanup

	p2 := upAt(t, home, strings.TrimPrefix(p.url, "http://"))
	c2, err := client.New(p2.url, p2.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	pj := waitJob(t, c2, "resume", time.Minute, ended)
	st := pipelineSteps(t, c2, "resume")
	if pj.Status != lathe.JobCompleted {
		t.Fatalf("pipeline ended %s (%s) after the restart, want completed; steps %+v\nserver log:\n%s", pj.Status, pj.Reason, st, p2.stderr)
	}
	for _, k := range []string{"one", "two", "three"} {
		s := st[k]
		if s.State != "completed" || s.Reused || s.Job == "" {
			t.Errorf("step %s = %+v, want completed by its own job", k, s)
			continue
		}
		j, err := c2.Job(context.Background(), lathe.DefaultWorkspace, s.Job)
		if err != nil || j.Status != lathe.JobCompleted || j.Attempt != 1 {
			t.Errorf("step %s's job = %+v, %v; want completed at its first attempt", k, j, err)
		}
	}
	if log := logText(t, c2, st["three"].Job); !strings.Contains(log, "2") {
		t.Errorf("step three did not read step two's output:\n%s", log)
	}
	b, err := os.ReadFile(marks)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	sort.Strings(lines)
	if strings.Join(lines, ",") != "one,three,two" {
		t.Errorf("the steps ran %q; want each of one, two, three exactly once", lines)
	}
	// Exactly three step jobs belong to the pipeline.
	all, _, err := c2.Jobs(context.Background(), lathe.DefaultWorkspace, nil, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range all {
		if j.Spec.Tags["lathe.pipeline"] == "resume" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d step jobs are tagged with the pipeline, want 3", n)
	}
}

// TestPipelineStepsRunInParallel runs four independent `sleep 1` steps
// that each ask for a quarter of a CPU: all four run at the same time, so
// the pipeline takes little more than one second, not four.
func TestPipelineStepsRunInParallel(t *testing.T) {
	t.Parallel()
	_, c := jobsClient(t)
	var sb strings.Builder
	sb.WriteString("type: pipeline\njobs:\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&sb, "  s%d:\n    command: sleep 1\n    resources:\n      cpu: 0.25\n", i)
	}
	start := time.Now()
	submitPipeline(t, c, "fanout", "fanout.yml", sb.String())
	pj := waitJob(t, c, "fanout", time.Minute, ended)
	wall := time.Since(start)
	if pj.Status != lathe.JobCompleted {
		t.Fatalf("pipeline ended %s (%s)", pj.Status, pj.Reason)
	}
	st := pipelineSteps(t, c, "fanout")
	var lastStart, firstEnd time.Time
	for k, s := range st {
		if s.State != "completed" || s.StartedAt == nil || s.EndedAt == nil {
			t.Fatalf("step %s = %+v, want completed with its times", k, s)
		}
		if s.StartedAt.After(lastStart) {
			lastStart = *s.StartedAt
		}
		if firstEnd.IsZero() || s.EndedAt.Before(firstEnd) {
			firstEnd = *s.EndedAt
		}
	}
	if !lastStart.Before(firstEnd) {
		t.Errorf("the last step started at %s, after the first one ended at %s: the steps did not all run at once",
			lastStart.Format(time.StampMilli), firstEnd.Format(time.StampMilli))
	}
	if wall > 3500*time.Millisecond {
		t.Errorf("four parallel 1 s steps took %s wall; want well under 4 s", wall)
	}
	t.Logf("four parallel sleep 1 steps: %s wall", wall.Round(time.Millisecond))
}

// TestPipelineNestedComponentRefused submits a pipeline with a nested
// pipeline step (type: pipeline) that cannot run: through the API without
// its component file (the refusal names the step's file:line and says the
// file was not sent), and through the CLI with a component file that has
// no input the step gives (the refusal names the input's file:line).
// TestPipelineNested runs nested pipelines that can.
func TestPipelineNestedComponentRefused(t *testing.T) {
	t.Parallel()
	p, c := jobsClient(t)
	yaml := `type: pipeline
jobs:
  prep:
    command: echo prep > ${{outputs.out}}/x.txt
    outputs:
      out:
        type: uri_folder
  inner:
    type: pipeline
    component: ./inner.yml
    inputs:
      in: ${{parent.jobs.prep.outputs.out}}
`
	_, err := c.CreatePipelineJob(context.Background(), lathe.DefaultWorkspace, client.PipelineRequest{Name: "nested", Spec: lathe.PipelineSpec{File: "outer.yml", YAML: yaml}})
	if err == nil {
		t.Fatal("a nested pipeline step was accepted")
	}
	if msg := err.Error(); !lathe.IsCode(err, lathe.EUNSUPPORTED) && !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(msg, "outer.yml:8:") || !strings.Contains(msg, "./inner.yml was not sent with the pipeline") {
		t.Errorf("refusal = %v (code %s); want outer.yml:8: and that ./inner.yml was not sent", err, lathe.ErrorCode(err))
	}
	if _, err := c.Job(context.Background(), lathe.DefaultWorkspace, "nested"); !lathe.IsCode(err, lathe.ENOTFOUND) {
		t.Errorf("job nested after the refusal: %v, want not found", err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "outer.yml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	inner := "type: pipeline\njobs:\n  a:\n    command: echo a\n"
	if err := os.WriteFile(filepath.Join(dir, "inner.yml"), []byte(inner), 0o644); err != nil {
		t.Fatal(err)
	}
	env := p.cliEnv(t)
	_, errOut, code := run(t, env, "job", "create", "-f", filepath.Join(dir, "outer.yml"))
	if code == 0 || !strings.Contains(errOut, "outer.yml:12:") || !strings.Contains(errOut, `undefined component input "in"`) {
		t.Errorf("lathe job create -f outer.yml: exit %d\n%s", code, errOut)
	}
}

// TestPipelineStepForceRerun submits a two-step pipeline twice: the
// second time the step without force_rerun is reused and the one with it
// runs again.
func TestPipelineStepForceRerun(t *testing.T) {
	t.Parallel()
	_, c := jobsClient(t)
	const yml = `type: pipeline
jobs:
  make:
    command: echo made > ${{outputs.o}}/f.txt
    outputs:
      o: {type: uri_folder}
  use:
    command: cat ${{inputs.i}}/f.txt
    force_rerun: true
    inputs:
      i: ${{parent.jobs.make.outputs.o}}
`
	for _, name := range []string{"forced-1", "forced-2"} {
		submitPipeline(t, c, name, "forced.yml", yml)
		if pj := waitJob(t, c, name, time.Minute, ended); pj.Status != lathe.JobCompleted {
			t.Fatalf("%s ended %s (%s)", name, pj.Status, pj.Reason)
		}
	}
	st := pipelineSteps(t, c, "forced-2")
	if !st["make"].Reused || st["use"].Reused || st["use"].State != "completed" {
		t.Fatalf("second submission: make %+v, use %+v; want make reused and use run again", st["make"], st["use"])
	}
}
