// Command pipelines measures pipeline jobs end to end on local compute
// against the speed goal of issue 7: a 200-step fan-out/fan-in DAG of
// `true` steps, orchestration overhead ≤ 20 ms median per step beyond the
// process itself.
//
// Like bench/jobs it builds the real binary (go build ./cmd/lathe), runs
// `lathe up` as a child process on a free port with its own data dir
// (SQLite, files) and talks to it through internal/client.
//
// The DAG: one source step → 196 parallel steps → 2 gather steps → one
// sink, 200 steps. The edges are data edges (each step but the sink has a
// uri_folder output the next level reads), as Azure pipelines define
// them; an empty output is not registered, so those steps run
// `: > ${{outputs.out}}/done` (the shell's builtin `:` with a redirection,
// no process of its own beyond the shell) and the sink runs `true`. The fan-in is split over two gather steps
// because a job takes at most lathe.MaxJobInputs (100) inputs. Each step
// carries an environment variable with a nonce of the run, so no step is
// reused from a warm-up or an earlier round.
//
// Each round measures:
//
//   - pipeline: the DAG submitted as a pipeline job, wall time on the
//     client from the submit call until the job is seen ended (polled
//     every 10 ms), and the same span on the server's clock;
//   - direct: the same 200 `true` command jobs (no inputs or outputs)
//     submitted by the client level by level, each level once the one
//     before has ended (followed over the log stream), the best a client
//     could do by hand;
//   - per-step gap: from the events of the step jobs (server clock), the
//     time from the last of a step's dependencies ending (for the source:
//     the pipeline's creation) until the step's job is created (queued)
//     and until it runs; median and p90 over the 200 steps;
//   - reuse: the same pipeline submitted again; every step is reused, and
//     its wall time is reported.
//
// Orchestration overhead per step = (pipeline wall − direct wall) / 200.
// Local compute runs one job per CPU unless -cpu asks for less, so both
// the pipeline and the direct run have the same parallelism.
//
//	go run ./bench/pipelines              # 3 rounds
//	go run ./bench/pipelines -rounds 1 -keep
//	go run ./bench/pipelines -cpu 0.25    # each step asks for ¼ CPU
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/bench/internal/lathed"
	"github.com/latheml/lathe/internal/client"
)

const ws = lathe.DefaultWorkspace

type opts struct {
	width    int
	rounds   int
	cpu      float64
	keep     bool
	bin      string
	logLevel string
}

func main() {
	var o opts
	flag.IntVar(&o.width, "width", 196, "parallel steps between the source and the two gather steps (196 makes 200 steps)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; medians are reported")
	flag.Float64Var(&o.cpu, "cpu", 0, "CPUs each step and direct job asks for (0: the default, one CPU)")
	flag.BoolVar(&o.keep, "keep", false, "keep the server's data dir and log")
	flag.StringVar(&o.bin, "bin", "", "use this lathe binary instead of building ./cmd/lathe")
	flag.StringVar(&o.logLevel, "server-log", "info", "the server's log level (its log goes to <dir>/server.log)")
	flag.Parse()
	if o.width < 2 || o.width > 2*lathe.MaxJobInputs {
		fail(fmt.Errorf("-width %d: give 2 to %d", o.width, 2*lathe.MaxJobInputs))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/pipelines:", err)
	os.Exit(1)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// dag is the benchmark's DAG as levels of step names, with each step's
// dependencies.
type dag struct {
	levels [][]string
	deps   map[string][]string
}

func (d *dag) steps() int {
	n := 0
	for _, l := range d.levels {
		n += len(l)
	}
	return n
}

func newDAG(width int) *dag {
	d := &dag{deps: map[string][]string{}}
	mid := make([]string, width)
	for i := range mid {
		mid[i] = fmt.Sprintf("m%03d", i)
		d.deps[mid[i]] = []string{"source"}
	}
	half := (width + 1) / 2
	d.deps["gather0"], d.deps["gather1"] = mid[:half], mid[half:]
	d.deps["sink"] = []string{"gather0", "gather1"}
	d.levels = [][]string{{"source"}, mid, {"gather0", "gather1"}, {"sink"}}
	return d
}

// yaml writes the DAG as a pipelineJob document; nonce keeps its steps'
// cache keys apart from other rounds'.
func (d *dag) yaml(nonce string, cpu float64) string {
	var b strings.Builder
	b.WriteString("type: pipeline\ndisplay_name: bench_fan_out_fan_in\nexperiment_name: bench-pipelines\njobs:\n")
	for _, level := range d.levels {
		for _, s := range level {
			cmd := "true"
			if s != "sink" {
				cmd = ": > ${{outputs.out}}/done"
			}
			fmt.Fprintf(&b, "  %s:\n    command: %q\n    environment_variables:\n      BENCH_RUN: %q\n", s, cmd, nonce)
			if cpu > 0 {
				fmt.Fprintf(&b, "    resources:\n      cpu: %g\n", cpu)
			}
			if deps := d.deps[s]; len(deps) > 0 {
				b.WriteString("    inputs:\n")
				for i, dep := range deps {
					fmt.Fprintf(&b, "      in%03d: ${{parent.jobs.%s.outputs.out}}\n", i, dep)
				}
			}
			if s != "sink" {
				b.WriteString("    outputs:\n      out:\n        type: uri_folder\n")
			}
		}
	}
	return b.String()
}

// result is one round's figures.
type result struct {
	pipeWall, pipeServer, directWall, reuseWall time.Duration
	queueGaps, runGaps                          []time.Duration
	// critQueue and critRun are the gaps of the steps on the critical
	// path that start as soon as they are ready: the source, the gather
	// step ready last (the other one is ready while half of the fan-out
	// still waits for a CPU, and waits behind it) and the sink. burst is
	// the time per step to queue the fan-out level (last queued − first
	// queued) / (width − 1).
	critQueue, critRun []time.Duration
	burst              time.Duration
	// pipeJob and directJob are the median created → ended of a step's
	// job and of a direct job (server clock); cpu is the server's CPU
	// time (its own and its reaped children's: wrappers and shells) over
	// the pipeline and over the direct run.
	pipeJob, directJob time.Duration
	pipeCPU, directCPU lathed.CPU
}

func run(ctx context.Context, o opts) error {
	srv, err := lathed.Launch(ctx, lathed.Config{Name: "pipelines", Bin: o.bin, Keep: o.keep, LogLevel: o.logLevel})
	if err != nil {
		return err
	}
	defer srv.Stop()
	c := srv.Client()
	d := newDAG(o.width)
	logf("server %s (pid %d); warming up with a 4-wide pipeline and direct jobs", srv.URL(), srv.PID())
	warm := newDAG(4)
	if _, err := pipelineRun(ctx, c, srv, "warm", warm, nonce(), o.cpu); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if _, _, err := direct(ctx, c, warm, o.cpu); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	var rs []result
	for i := range o.rounds {
		var r result
		n := nonce()
		name := fmt.Sprintf("fan%d", i+1)
		logf("round %d: pipeline of %d steps", i+1, d.steps())
		pr, err := pipelineRun(ctx, c, srv, name, d, n, o.cpu)
		if err != nil {
			return err
		}
		r.pipeWall, r.pipeServer = pr.wall, pr.server
		r.pipeCPU = pr.cpu
		if err := gaps(ctx, c, name, d, pr.created, &r); err != nil {
			return err
		}
		logf("round %d: the same pipeline again (reuse)", i+1)
		rr, err := pipelineRun(ctx, c, srv, name+"r", d, n, o.cpu)
		if err != nil {
			return err
		}
		if rr.reused != d.steps() {
			return fmt.Errorf("the second submission reused %d of %d steps", rr.reused, d.steps())
		}
		r.reuseWall = rr.wall
		logf("round %d: %d direct command jobs level by level", i+1, d.steps())
		c0, _ := srv.CPU()
		if r.directWall, r.directJob, err = direct(ctx, c, d, o.cpu); err != nil {
			return err
		}
		c1, _ := srv.CPU()
		r.directCPU = c1.Sub(c0)
		logf("round %d: pipeline %s, direct %s, reuse %s", i+1, r.pipeWall.Round(time.Millisecond), r.directWall.Round(time.Millisecond), r.reuseWall.Round(time.Millisecond))
		rs = append(rs, r)
	}
	report(os.Stdout, o, d, rs)
	return nil
}

func nonce() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// pipeRun is one pipeline submission's figures.
type pipeRun struct {
	wall, server time.Duration
	created      time.Time
	reused       int
	cpu          lathed.CPU
}

// pipelineRun submits the DAG as a pipeline and waits for it to end.
func pipelineRun(ctx context.Context, c *client.Client, srv *lathed.Server, name string, d *dag, n string, cpuReq float64) (*pipeRun, error) {
	c0, _ := srv.CPU()
	t0 := time.Now()
	j, err := c.CreatePipelineJob(ctx, ws, client.PipelineRequest{Name: name, Spec: lathe.PipelineSpec{File: "bench.yml", YAML: d.yaml(n, cpuReq)}})
	if err != nil {
		return nil, fmt.Errorf("submit pipeline %s: %w", name, err)
	}
	for {
		pj, err := c.Job(ctx, ws, name)
		if err != nil {
			return nil, err
		}
		if lathe.JobTerminal(pj.Status) {
			if pj.Status != lathe.JobCompleted {
				return nil, fmt.Errorf("pipeline %s ended %s: %s", name, pj.Status, pj.Reason)
			}
			r := &pipeRun{wall: time.Since(t0), created: j.CreatedAt}
			c1, _ := srv.CPU()
			r.cpu = c1.Sub(c0)
			if pj.EndedAt != nil {
				r.server = pj.EndedAt.Sub(j.CreatedAt)
			}
			st, err := c.PipelineSteps(ctx, ws, name)
			if err != nil {
				return nil, err
			}
			for _, s := range st.Items {
				if s.Reused {
					r.reused++
				}
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// span is a job's created, running and ended times (server clock).
type span struct{ created, running, ended time.Time }

func events(ctx context.Context, c *client.Client, job string) (span, error) {
	var s span
	evs, err := c.JobEvents(ctx, ws, job)
	if err != nil {
		return s, fmt.Errorf("events of job %s: %w", job, err)
	}
	for _, e := range evs {
		switch {
		case e.Status == lathe.JobQueued && s.created.IsZero():
			s.created = e.At
		case e.Status == lathe.JobRunning:
			s.running = e.At
		case lathe.JobTerminal(e.Status):
			s.ended = e.At
		}
	}
	if s.created.IsZero() || s.running.IsZero() || s.ended.IsZero() {
		return s, fmt.Errorf("job %s: missing lifecycle events (got %d)", job, len(evs))
	}
	return s, nil
}

// gaps fills in a round's per-step gaps from the events of the
// pipeline's step jobs: for every step, the time from its dependencies'
// end (the pipeline's creation for the source) to its job's creation and
// to its running.
func gaps(ctx context.Context, c *client.Client, name string, d *dag, created time.Time, r *result) error {
	st, err := c.PipelineSteps(ctx, ws, name)
	if err != nil {
		return err
	}
	spans := map[string]span{}
	var durs []time.Duration
	for _, s := range st.Items {
		if s.Job == "" || s.Reused {
			return fmt.Errorf("step %s of %s has no job of its own (%+v)", s.Step, name, s)
		}
		sp, err := events(ctx, c, s.Job)
		if err != nil {
			return err
		}
		spans[s.Step] = sp
		durs = append(durs, sp.ended.Sub(sp.created))
	}
	r.pipeJob = lathed.Median(durs)
	for li, level := range d.levels {
		var first, last, latest time.Time
		var crit [2]time.Duration
		for _, s := range level {
			ready := created
			for _, dep := range d.deps[s] {
				if e := spans[dep].ended; e.After(ready) {
					ready = e
				}
			}
			q, run := spans[s].created.Sub(ready), spans[s].running.Sub(ready)
			r.queueGaps, r.runGaps = append(r.queueGaps, q), append(r.runGaps, run)
			if li != 1 && !ready.Before(latest) {
				latest, crit = ready, [2]time.Duration{q, run}
			}
			if first.IsZero() || spans[s].created.Before(first) {
				first = spans[s].created
			}
			if spans[s].created.After(last) {
				last = spans[s].created
			}
		}
		if li == 1 {
			r.burst = last.Sub(first) / time.Duration(len(level)-1)
		} else {
			r.critQueue, r.critRun = append(r.critQueue, crit[0]), append(r.critRun, crit[1])
		}
	}
	return nil
}

// direct submits the DAG's steps as plain `true` command jobs, level by
// level, and returns the wall time.
func direct(ctx context.Context, c *client.Client, d *dag, cpuReq float64) (time.Duration, time.Duration, error) {
	t0 := time.Now()
	var mu sync.Mutex
	var durs []time.Duration
	for _, level := range d.levels {
		var wg sync.WaitGroup
		errs := make([]error, len(level))
		for i := range level {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sp := lathe.JobSpec{Command: "true", Resources: lathe.JobResources{CPU: cpuReq}}
				j, err := c.CreateJob(ctx, ws, client.SubmitRequest{Spec: sp})
				if err != nil {
					errs[i] = err
					return
				}
				end, err := c.FollowJobLogs(ctx, ws, j.Name, 0, nil, nil)
				if err == nil && end.Status != lathe.JobCompleted {
					err = fmt.Errorf("job %s ended %s: %s", j.Name, end.Status, end.Reason)
				}
				if err == nil && end.EndedAt != nil {
					mu.Lock()
					durs = append(durs, end.EndedAt.Sub(end.CreatedAt))
					mu.Unlock()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return 0, 0, err
		}
	}
	return time.Since(t0), lathed.Median(durs), nil
}

// report prints the medians of the rounds as a Markdown table.
func report(w *os.File, o opts, d *dag, rs []result) {
	n := d.steps()
	var pipe, srvT, dir, reuse, over []time.Duration
	var q, rn []time.Duration
	for _, r := range rs {
		pipe, srvT, dir, reuse = append(pipe, r.pipeWall), append(srvT, r.pipeServer), append(dir, r.directWall), append(reuse, r.reuseWall)
		over = append(over, (r.pipeWall-r.directWall)/time.Duration(n))
		q, rn = append(q, r.queueGaps...), append(rn, r.runGaps...)
	}
	perStep := "1 (default)"
	if o.cpu > 0 {
		perStep = fmt.Sprintf("%g", o.cpu)
	}
	fmt.Fprintf(w, "Machine: %s. DAG: 1 → %d → 2 → 1 = %d `true` steps, CPU per step %s, %d rounds (medians; per-step gaps over all steps of all rounds).\n\n",
		lathed.Machine(), o.width, n, perStep, len(rs))
	fmt.Fprintln(w, "| measure | value | goal | |")
	fmt.Fprintln(w, "|---|---:|---|---|")
	row := func(label string, v time.Duration, goal string, ok bool) {
		verdict := ""
		if goal != "" {
			verdict = "missed"
			if ok {
				verdict = "met"
			}
		}
		fmt.Fprintf(w, "| %s | %.1f ms | %s | %s |\n", label, ms(v), goal, verdict)
	}
	ov := lathed.Median(over)
	qg := lathed.Median(q)
	row(fmt.Sprintf("pipeline of %d steps: wall (client)", n), lathed.Median(pipe), "", false)
	row("· created → ended (server clock)", lathed.Median(srvT), "", false)
	row(fmt.Sprintf("same %d `true` jobs submitted directly, level by level: wall", n), lathed.Median(dir), "", false)
	row("orchestration overhead per step: (pipeline − direct) / steps", ov, "≤ 20 ms", ov <= 20*time.Millisecond)
	row("per-step gap: dependencies ended → step job queued, median", qg, "≤ 20 ms", qg <= 20*time.Millisecond)
	row("· the same, p90", lathed.Percentile(q, 90), "", false)
	row("per-step gap: dependencies ended → step job running, median", lathed.Median(rn), "", false)
	row("· the same, p90", lathed.Percentile(rn, 90), "", false)
	var cq, cr, burst, pj, dj []time.Duration
	var pcpu, dcpu []lathed.CPU
	for _, r := range rs {
		cq, cr = append(cq, r.critQueue...), append(cr, r.critRun...)
		burst, pj, dj = append(burst, r.burst), append(pj, r.pipeJob), append(dj, r.directJob)
		pcpu, dcpu = append(pcpu, r.pipeCPU), append(dcpu, r.directCPU)
	}
	row("critical path (source, last gather, sink): dependencies ended → job queued, median", lathed.Median(cq), "", false)
	row("critical path (source, last gather, sink): dependencies ended → job running, median", lathed.Median(cr), "", false)
	row(fmt.Sprintf("fan-out: time per step to queue the %d ready steps", o.width), lathed.Median(burst), "", false)
	row("a step's job: created → ended, median", lathed.Median(pj), "", false)
	row("a direct job: created → ended, median", lathed.Median(dj), "", false)
	row("server CPU (own + wrappers and shells) per step, pipeline", cpuPer(pcpu, n), "", false)
	row("server CPU (own + wrappers and shells) per job, direct", cpuPer(dcpu, n), "", false)
	row(fmt.Sprintf("second submission, all %d steps reused: wall", n), lathed.Median(reuse), "", false)
	fmt.Fprintln(w)
	for i, r := range rs {
		fmt.Fprintf(w, "round %d: pipeline %.0f ms, direct %.0f ms, reuse %.0f ms, queue gap median %.1f ms; source, last gather, sink: queued after %v, running after %v\n", i+1,
			ms(r.pipeWall), ms(r.directWall), ms(r.reuseWall), ms(lathed.Median(r.queueGaps)), r.critQueue, r.critRun)
	}
}

// cpuPer is the median over rounds of a run's CPU time (own and
// children's) per step.
func cpuPer(cs []lathed.CPU, n int) time.Duration {
	var d []time.Duration
	for _, c := range cs {
		d = append(d, (c.Self+c.Children)/time.Duration(n))
	}
	return lathed.Median(d)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
