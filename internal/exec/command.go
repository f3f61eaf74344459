package exec

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/spec"
)

// result is how the command went.
type result struct {
	comp client.Completion
}

// commandEnv is the command's environment: the wrapper's own, the
// MLflow and Lathe variables that tie the command to its job and run, the
// environment's additions, and the job's environment_variables last (they
// win).
func (w *wrapper) commandEnv(env *runEnv, values map[string]string) ([]string, []string) {
	j := &w.plan.Job
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, kv := range w.o.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	base := len(order)
	if _, ok := vars["PYTHONUNBUFFERED"]; !ok {
		set("PYTHONUNBUFFERED", "1")
	}
	set("MLFLOW_TRACKING_URI", strings.TrimRight(w.o.ServerURL, "/")+"/w/"+j.Workspace)
	set("MLFLOW_TRACKING_TOKEN", w.o.Token)
	set("MLFLOW_RUN_ID", j.RunID)
	set("MLFLOW_EXPERIMENT_ID", j.ExperimentID)
	set("LATHE_URL", w.o.ServerURL)
	set("LATHE_TOKEN", w.o.Token)
	set("LATHE_WORKSPACE", j.Workspace)
	set("LATHE_JOB", j.Name)
	set("LATHE_JOB_ID", j.ID)
	set("LATHE_JOB_DIR", w.o.Dir)
	set("LATHE_ATTEMPT", strconv.Itoa(j.Attempt))
	set("LATHE_RUN_ID", j.RunID)
	set("TMPDIR", filepath.Join(w.o.Dir, "tmp"))
	// The environment's bin (a virtual environment) comes first, then this
	// binary's folder, so `lathe` in a command (the built-in components) is
	// this binary.
	for _, dir := range []string{w.o.BinDir, env.path} {
		if dir == "" {
			continue
		}
		p := dir
		if old := vars["PATH"]; old != "" {
			p += string(filepath.ListSeparator) + old
		}
		set("PATH", p)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind, name, _ := strings.Cut(k, ".")
		if kind == "inputs" {
			set("AZURE_ML_INPUT_"+name, values[k])
			set("LATHE_INPUT_"+name, values[k])
		} else {
			set("AZURE_ML_OUTPUT_"+name, values[k])
			set("LATHE_OUTPUT_"+name, values[k])
		}
	}
	for _, kv := range env.vars {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	uk := make([]string, 0, len(j.Spec.EnvironmentVariables))
	for k := range j.Spec.EnvironmentVariables {
		uk = append(uk, k)
	}
	sort.Strings(uk)
	for _, k := range uk {
		set(k, j.Spec.EnvironmentVariables[k])
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	// What a container gets: everything the job set (not the wrapper's own).
	return out, order[base:]
}

// command runs the bound command in its environment, in the wrapper's
// process group (so stopping the job's group stops it), ships its output
// and enforces the timeout.
func (w *wrapper) command(ctx context.Context, env *runEnv, values map[string]string, optional map[string]bool) result {
	j := &w.plan.Job
	bound, err := spec.Bind(j.Spec.Command, values, optional)
	if err != nil {
		w.system("command: %v", lathe.ErrorMessage(err))
		return result{client.Completion{Failure: lathe.FailureUser, Reason: "command: " + lathe.ErrorMessage(err)}}
	}
	shown := bound
	if len(shown) > 2000 {
		shown = shown[:2000] + "…"
	}
	w.system("environment: %s", env.label)
	w.system("command: %s", shown)
	vars, jobVars := w.commandEnv(env, values)
	argv := append([]string(nil), env.prefix...)
	if env.pass {
		for _, k := range jobVars {
			argv = append(argv, "-e", k)
		}
		argv = append(argv, w.plan.Environment.Image)
		if len(w.plan.Environment.Packages) > 0 {
			req := filepath.Join(w.o.Dir, "tmp", "requirements.txt")
			_ = os.WriteFile(req, []byte(strings.Join(w.plan.Environment.Packages, "\n")+"\n"), 0o644)
			bound = "pip install --no-input -q -r " + req + " && " + bound
		}
	}
	argv = append(argv, env.shell, "-c", bound)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = filepath.Join(w.o.Dir, "wd")
	cmd.Env = vars
	outR, outW, err := os.Pipe()
	if err != nil {
		return result{client.Completion{Failure: lathe.FailureInfrastructure, Reason: "create a pipe: " + err.Error()}}
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return result{client.Completion{Failure: lathe.FailureInfrastructure, Reason: "create a pipe: " + err.Error()}}
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		outW.Close()
		errW.Close()
		outR.Close()
		errR.Close()
		w.system("could not start the command: %v", err)
		return result{client.Completion{Failure: lathe.FailureInfrastructure, Reason: "could not start the command: " + err.Error()}}
	}
	outW.Close()
	errW.Close()
	started := make(chan struct{})
	go func() {
		defer close(started)
		err := w.retry(ctx, "report the command started", func() error {
			_, err := w.o.Client.JobStarted(ctx, w.o.Workspace, w.o.Job)
			return err
		})
		if err != nil {
			w.o.Logger.Warn("report started", "error", err)
		}
	}()
	tail := &tail{max: 5}
	var wg sync.WaitGroup
	wg.Go(func() { w.scan(outR, lathe.StreamStdout, tail) })
	wg.Go(func() { w.scan(errR, lathe.StreamStderr, tail) })
	waitDone := make(chan error, 1)
	go func() { waitDone <- cmd.Wait() }()

	grace := time.Duration(w.plan.KillGrace) * time.Millisecond
	if grace <= 0 {
		grace = 10 * time.Second
	}
	var timeout <-chan time.Time
	if j.Spec.Timeout > 0 {
		t := time.NewTimer(time.Duration(j.Spec.Timeout) * time.Second)
		defer t.Stop()
		timeout = t.C
	}
	var killAt <-chan time.Time
	var timedOut bool
	var stopSig os.Signal
	selfSent := 0
	stop := func() {
		if env.stop != nil {
			go env.stop(grace)
		}
		selfSent++
		_ = syscall.Kill(-syscall.Getpgrp(), syscall.SIGTERM)
		killAt = time.After(grace)
	}
	var werr error
wait:
	for {
		select {
		case werr = <-waitDone:
			break wait
		case <-timeout:
			timedOut = true
			timeout = nil
			w.system("the command ran longer than limits.timeout (%s); stopping it", time.Duration(j.Spec.Timeout)*time.Second)
			stop()
		case s := <-sigs:
			if s == syscall.SIGTERM && selfSent > 0 {
				selfSent--
				continue
			}
			if stopSig == nil {
				stopSig = s
				w.system("lathe exec received %s: stopping the command", s)
				stop()
			}
		case <-killAt:
			killAt = nil
			w.system("the command did not stop within %s; killing it", grace)
			killGroup()
		}
	}
	elapsed := time.Since(start)
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(2 * time.Second):
		// Something the command left behind holds its output open.
		outR.Close()
		errR.Close()
		<-drained
	}
	<-started
	ps := cmd.ProcessState
	if ps == nil {
		return result{client.Completion{Failure: lathe.FailureInfrastructure, Reason: fmt.Sprintf("the command could not be waited for: %v", werr)}}
	}
	code := ps.ExitCode()
	detail := fmt.Sprintf("status %d", code)
	if st, ok := ps.Sys().(syscall.WaitStatus); ok && st.Signaled() {
		code = 128 + int(st.Signal())
		detail = "signal " + st.Signal().String()
	}
	w.system("the command ended (%s) after %s", detail, elapsed.Round(time.Millisecond))
	comp := client.Completion{ExitCode: &code}
	switch {
	case timedOut:
		comp.Failure = lathe.FailureTimeout
		comp.Reason = fmt.Sprintf("the job ran longer than its limits.timeout of %s and was stopped; raise limits.timeout or make the job faster", time.Duration(j.Spec.Timeout)*time.Second)
	case stopSig != nil:
		comp.Failure = lathe.FailureInfrastructure
		comp.Reason = fmt.Sprintf("lathe exec received %s: the job was canceled, or its machine is stopping", stopSig)
	case code != 0:
		comp.Failure = lathe.FailureUser
		comp.Reason = fmt.Sprintf("the command exited with %s after %s", detail, elapsed.Round(time.Millisecond))
		if t := tail.String(); t != "" {
			comp.Reason += "; its last output: " + t
		}
	}
	return result{comp}
}

// scan ships a stream line by line.
func (w *wrapper) scan(r io.ReadCloser, stream string, t *tail) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			w.logs.add(stream, line)
			t.add(line)
		}
		if err != nil {
			return
		}
	}
}

// tail keeps the last lines of the command's output for the failure
// reason.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	t.mu.Lock()
	t.lines = append(t.lines, s)
	if len(t.lines) > t.max {
		t.lines = t.lines[1:]
	}
	t.mu.Unlock()
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " / ")
}

// leadGroup makes the wrapper the leader of its own process group (the
// local compute starts it as one; by hand it may not be), so stopping the
// group stops the job and nothing else.
func leadGroup() {
	if syscall.Getpgrp() != os.Getpid() {
		_ = syscall.Setpgid(0, 0)
	}
}

// killGroup SIGKILLs every other process of the wrapper's group: the
// command and whatever it started. Without /proc it kills the whole group,
// the wrapper too.
func killGroup() {
	self, pgid := os.Getpid(), syscall.Getpgrp()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		// state ppid pgrp ...
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
