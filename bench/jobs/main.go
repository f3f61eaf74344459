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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/latheml/lathe"
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
	dir, err := os.MkdirTemp("", "lathe-bench-jobs-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("data dir and server.log kept in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "lathe")
		logf("building %s", bin)
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/lathe")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/lathe (run from the repository root, or pass -bin): %w", err)
		}
	}
	srv, err := startServer(ctx, bin, dir, o.logLevel)
	if err != nil {
		return err
	}
	defer srv.stop()
	c, err := client.New(srv.url, srv.token, nil)
	if err != nil {
		return err
	}
	r := &report{Machine: machine(), Settings: map[string]float64{"n": float64(o.n), "drain": float64(o.drain), "submitters": float64(o.submitters),
		"rounds": float64(o.rounds), "drain_cpu": o.drainCPU}}
	logf("server %s (pid %d); warming up", srv.url, srv.cmd.Process.Pid)
	for range 3 {
		if _, err := oneJob(ctx, c, o.workspace); err != nil {
			return fmt.Errorf("warm-up job: %w", err)
		}
	}
	if err := latency(ctx, o, c, bin, r); err != nil {
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

// server is the `lathe up` child process.
type server struct {
	cmd   *exec.Cmd
	url   string
	token string
	done  chan struct{}
}

func startServer(ctx context.Context, bin, dir, logLevel string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	home := filepath.Join(dir, "home")
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "up", "--addr", addr, "--data-dir", home, "--log-level", logLevel)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATHE_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LATHE_HOME="+home)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start lathe up: %w", err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tok, _ := os.ReadFile(filepath.Join(home, "admin.token"))
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		if err == nil && resp.StatusCode == http.StatusOK && len(tok) > 0 {
			s.token = strings.TrimSpace(string(tok))
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("lathe up exited at start:\n%s", tail(filepath.Join(dir, "server.log"), 5))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("lathe up was not ready in 30 s; see %s", filepath.Join(dir, "server.log"))
		}
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// stop ends the server gracefully (SIGTERM), then for good.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// cpu is a process's CPU time: its own and its reaped children's.
type cpu struct{ self, children time.Duration }

// cpuOf reads /proc/<pid>/stat (utime, stime, cutime, cstime in clock
// ticks of 1/100 s, the Linux USER_HZ).
func cpuOf(pid int) (cpu, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpu{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return cpu{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return cpu{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var t [4]int64
	for k := range t {
		if t[k], err = strconv.ParseInt(f[11+k], 10, 64); err != nil {
			return cpu{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	tick := 10 * time.Millisecond
	return cpu{self: time.Duration(t[0]+t[1]) * tick, children: time.Duration(t[2]+t[3]) * tick}, nil
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
	r.add("lat_subrun", "submit → running, median", ms(median(subRun)), "ms", "≤ 100", metMax(ms(median(subRun)), 100))
	r.add("lat_subrun_p90", "submit → running, p90", ms(pct(subRun, 90)), "ms", "", "")
	r.add("lat_e2e", "end to end for `true` (client), median", ms(median(e2e)), "ms", "≤ 100", metMax(ms(median(e2e)), 100))
	r.add("lat_e2e_p90", "end to end for `true` (client), p90", ms(pct(e2e, 90)), "ms", "", "")
	r.add("lat_call", "· submit call (POST /jobs), median", ms(median(call)), "ms", "", "")
	r.add("lat_queue", "· queued → preparing (controller), median", ms(median(queue)), "ms", "", "")
	r.add("lat_prep", "· preparing → running (wrapper start, plan, staging), median", ms(median(prep)), "ms", "", "")
	r.add("lat_cmd", "· running → completed (command, logs, report), median", ms(median(cmd)), "ms", "", "")
	r.add("lat_srv", "· created → completed (server clock), median", ms(median(srvE2E)), "ms", "", "")
	r.add("lat_notify", "· completed → client sees the end, median", ms(median(notify)), "ms", "", "")
	r.add("base_sh", "baseline: `sh -c true` from Go, median", ms(median(sh)), "ms", "", "")
	r.add("base_lathe", "baseline: `lathe version` from Go, median", ms(median(lv)), "ms", "", "")
	r.add("lat_ratio", "end to end / `sh -c true`", float64(median(e2e))/float64(median(sh)), "×", "", "")
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

func median(d []time.Duration) time.Duration { return pct(d, 50) }

// pct is the p-th percentile (nearest rank).
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := (p*len(s) + 99) / 100
	return s[min(max(k-1, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func metMax(v, goal float64) string {
	if v <= goal {
		return "met"
	}
	return "missed"
}

// machine describes where the benchmark ran.
func machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d CPUs, %s%s", model, runtime.NumCPU(), runtime.Version(), load)
}
