// Command jobs measures command jobs on local compute against the speed
// goals of issue 6: submit → command running and end to end for `true`,
// median ≤ 100 ms; 200 jobs queued at once drain with ≤ 10 ms of
// controller overhead per job, compared with running the same commands
// from a shell loop (the limit).
//
// Local compute starts `<lathe binary> exec` for every job, so the
// benchmark builds the real binary (go build ./cmd/lathe) and runs
// `lathe up` as a child process on a free port with its own data dir
// (SQLite, files), then talks to it through internal/client as the CLI
// does:
//
//   - latency: -n jobs with command `true`, one after another. For each,
//     the client notes the wall clock before CreateJob, then follows the
//     job's log stream (Server-Sent Events) until its `end` event. The
//     job's lifecycle events (server clock, millisecond resolution) give
//     submit → running (the `running` event minus the client's submit
//     start; client and server share the machine's clock) and the phases
//     queued → preparing (controller), preparing → running (wrapper start:
//     fork/exec of lathe exec, plan fetch, staging) and running → completed
//     (the command, log shipping and the completion report). Baselines in
//     the same run: `sh -c true` started from Go, and `lathe version`
//     (the Go binary's own start-up, a floor for the wrapper).
//   - drain: -drain jobs (default 200) submitted at once from 8
//     goroutines; the wall time from the first submit until the client
//     sees none queued, preparing or running (polled every 25 ms), and the
//     same span on the server's clock (first created_at to last ended_at).
//     The baseline is `sh -c 'for i in $(seq 200); do sh -c true; done'`,
//     timed just before each drain round. Controller overhead per job =
//     (drain wall − shell loop wall) / jobs; -rounds rounds (default 3),
//     medians reported. The server's CPU time (its own,
//     and its reaped children's: the wrappers and their shells) is read
//     from /proc/<pid>/stat around the drain.
//
// Local compute runs up to one job per CPU at once (a job reserves one
// CPU unless it asks otherwise), so on this 2-core machine the drain
// overlaps wrappers two at a time while the shell loop runs one command
// after another.
//
//	go run ./bench/jobs -quick          # < 30 s
//	go run ./bench/jobs                 # 50 sequential jobs, drain of 200
//	go run ./bench/jobs -o json
//	go run ./bench/jobs -drain-cpu 0.25 # drain jobs ask for ¼ CPU: 4 per CPU at once
//	go run ./bench/jobs -keep           # keep the data dir and server.log
//	go run ./bench/jobs -bin /tmp/lathe # a lathe binary built before
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/bench/internal/lathed"
	"github.com/latheml/lathe/internal/client"
)

// opts are the command-line settings.
type opts struct {
	quick      bool
	n          int
	drain      int
	submitters int
	rounds     int
	drainCPU   float64
	out        string
	keep       bool
	logLevel   string
	bin        string
	workspace  string
}

func main() {
	var o opts
	flag.BoolVar(&o.quick, "quick", false, "15 sequential jobs and one shell-loop baseline, to finish in under 30 s")
	flag.IntVar(&o.n, "n", 50, "sequential `true` jobs for the latency figures")
	flag.IntVar(&o.drain, "drain", 200, "jobs submitted at once for the drain figure (0 skips it)")
	flag.Float64Var(&o.drainCPU, "drain-cpu", 0, "CPUs each drain job asks for (0: the default, one CPU, so one job per CPU at once)")
	flag.IntVar(&o.submitters, "submitters", 8, "goroutines submitting the drain's jobs")
	flag.IntVar(&o.rounds, "rounds", 3, "drain rounds, each with its own shell-loop baseline (medians reported)")
	flag.StringVar(&o.out, "o", "table", "output: table or json")
	flag.BoolVar(&o.keep, "keep", false, "keep the server's data dir and log")
	flag.StringVar(&o.bin, "bin", "", "use this lathe binary instead of building ./cmd/lathe")
	flag.StringVar(&o.logLevel, "server-log", "info", "the server's log level (its log goes to <dir>/server.log)")
	flag.Parse()
	o.workspace = lathe.DefaultWorkspace
	if o.quick {
		setDefault("n", func() { o.n = 15 })
		setDefault("rounds", func() { o.rounds = 1 })
	}
	if o.out != "table" && o.out != "json" {
		fail(fmt.Errorf("-o %s: use table or json", o.out))
	}
	if o.n < 1 {
		fail(fmt.Errorf("-n %d: run at least one job", o.n))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/jobs:", err)
	os.Exit(1)
}

// setDefault applies a -quick size unless the flag was given explicitly.
func setDefault(name string, apply func()) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	if !given {
		apply()
	}
}

// logf prints progress to stderr, so -o json stays clean.
func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func run(ctx context.Context, o opts) error {
	srv, err := lathed.Launch(ctx, lathed.Config{Name: "jobs", Bin: o.bin, Keep: o.keep, LogLevel: o.logLevel})
	if err != nil {
		return err
	}
	defer srv.Stop()
	c := srv.Client()
	r := &report{Machine: machine(), Settings: map[string]float64{"n": float64(o.n), "drain": float64(o.drain), "submitters": float64(o.submitters),
		"rounds": float64(o.rounds), "drain_cpu": o.drainCPU}}
	logf("server %s (pid %d); warming up", srv.URL(), srv.PID())
	for range 3 {
		if _, err := oneJob(ctx, c, o.workspace); err != nil {
			return fmt.Errorf("warm-up job: %w", err)
		}
	}
	if err := latency(ctx, o, c, srv.Bin(), r); err != nil {
		return err
	}
	if o.drain > 0 {
		if err := drain(ctx, o, c, srv, r); err != nil {
			return err
		}
	}
	if o.out == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	r.print(os.Stdout)
	return nil
}

// jobTimes is one job's timeline.
type jobTimes struct {
	name                               string
	submit                             time.Time // client clock, before CreateJob
	submitted                          time.Time // client clock, CreateJob returned
	seenEnd                            time.Time // client clock, end of the job seen
	created, preparing, running, ended time.Time // server clock
	status                             string
}

// oneJob submits `true` and follows the job until it ends.
func oneJob(ctx context.Context, c *client.Client, ws string) (*jobTimes, error) {
	t := &jobTimes{submit: time.Now()}
	j, err := c.CreateJob(ctx, ws, client.SubmitRequest{Spec: lathe.JobSpec{Command: "true"}})
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	t.submitted = time.Now()
	t.name = j.Name
	end, err := c.FollowJobLogs(ctx, ws, j.Name, 0, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("follow job %s: %w", j.Name, err)
	}
	t.seenEnd = time.Now()
	if end.Status != lathe.JobCompleted {
		return nil, fmt.Errorf("job %s ended %s: %s", j.Name, end.Status, end.Reason)
	}
	return t, timeline(ctx, c, ws, t)
}

// timeline fills a job's server-side times from its events.
func timeline(ctx context.Context, c *client.Client, ws string, t *jobTimes) error {
	evs, err := c.JobEvents(ctx, ws, t.name)
	if err != nil {
		return fmt.Errorf("events of job %s: %w", t.name, err)
	}
	for _, e := range evs {
		switch e.Status {
		case lathe.JobQueued:
			if t.created.IsZero() {
				t.created = e.At
			}
		case lathe.JobPreparing:
			t.preparing = e.At
		case lathe.JobRunning:
			t.running = e.At
		default:
			if lathe.JobTerminal(e.Status) {
				t.ended, t.status = e.At, e.Status
			}
		}
	}
	if t.created.IsZero() || t.preparing.IsZero() || t.running.IsZero() || t.ended.IsZero() {
		return fmt.Errorf("job %s: missing lifecycle events (got %d)", t.name, len(evs))
	}
	return nil
}

// latency runs the sequential jobs and the per-process baselines.
func latency(ctx context.Context, o opts, c *client.Client, bin string, r *report) error {
	logf("latency: %d sequential `true` jobs", o.n)
	var subRun, e2e, call, queue, prep, cmd, notify, srvE2E []time.Duration
	for range o.n {
		t, err := oneJob(ctx, c, o.workspace)
		if err != nil {
			return err
		}
		subRun = append(subRun, t.running.Sub(t.submit))
		e2e = append(e2e, t.seenEnd.Sub(t.submit))
		call = append(call, t.submitted.Sub(t.submit))
		queue = append(queue, t.preparing.Sub(t.created))
		prep = append(prep, t.running.Sub(t.preparing))
		cmd = append(cmd, t.ended.Sub(t.running))
		srvE2E = append(srvE2E, t.ended.Sub(t.created))
		notify = append(notify, t.seenEnd.Sub(t.ended))
	}
	sh, err := timeProcs(ctx, o.n, "sh", "-c", "true")
	if err != nil {
		return err
	}
	lv, err := timeProcs(ctx, o.n, bin, "version")
	if err != nil {
		return err
	}
	r.add("lat_subrun", "submit → running, median", ms(lathed.Median(subRun)), "ms", "≤ 100", metMax(ms(lathed.Median(subRun)), 100))
	r.add("lat_subrun_p90", "submit → running, p90", ms(lathed.Percentile(subRun, 90)), "ms", "", "")
	r.add("lat_e2e", "end to end for `true` (client), median", ms(lathed.Median(e2e)), "ms", "≤ 100", metMax(ms(lathed.Median(e2e)), 100))
	r.add("lat_e2e_p90", "end to end for `true` (client), p90", ms(lathed.Percentile(e2e, 90)), "ms", "", "")
	r.add("lat_call", "· submit call (POST /jobs), median", ms(lathed.Median(call)), "ms", "", "")
	r.add("lat_queue", "· queued → preparing (controller), median", ms(lathed.Median(queue)), "ms", "", "")
	r.add("lat_prep", "· preparing → running (wrapper start, plan, staging), median", ms(lathed.Median(prep)), "ms", "", "")
	r.add("lat_cmd", "· running → completed (command, logs, report), median", ms(lathed.Median(cmd)), "ms", "", "")
	r.add("lat_srv", "· created → completed (server clock), median", ms(lathed.Median(srvE2E)), "ms", "", "")
	r.add("lat_notify", "· completed → client sees the end, median", ms(lathed.Median(notify)), "ms", "", "")
	r.add("base_sh", "baseline: `sh -c true` from Go, median", ms(lathed.Median(sh)), "ms", "", "")
	r.add("base_lathe", "baseline: `lathe version` from Go, median", ms(lathed.Median(lv)), "ms", "", "")
	r.add("lat_ratio", "end to end / `sh -c true`", float64(lathed.Median(e2e))/float64(lathed.Median(sh)), "×", "", "")
	return nil
}

// timeProcs starts a command n times, one after another.
func timeProcs(ctx context.Context, n int, name string, args ...string) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		t0 := time.Now()
		if err := exec.CommandContext(ctx, name, args...).Run(); err != nil {
			return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func metMax(v, goal float64) string {
	if v <= goal {
		return "met"
	}
	return "missed"
}

// machine describes where the benchmark ran, with the load average.
func machine() string {
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return lathed.Machine() + load
}
