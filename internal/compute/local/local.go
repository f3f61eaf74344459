// Package local is the local compute backend: each task is a `lathe exec`
// child process of the server, in its own process group, with its output
// in the job's directory. Stopping a task signals the whole group
// (SIGTERM, then SIGKILL after a grace period), so everything the job
// started ends with it. Tasks are found again after a server restart by
// process id and start time, which rules out a reused pid.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
)

// Options configure the backend.
type Options struct {
	// Executable is the lathe binary (default: this process's own).
	Executable string
	// Args are the arguments that start the wrapper (default: exec).
	Args []string
	// Dir holds one directory per job (its work tree, inputs, outputs and
	// logs).
	Dir string
	// Cache is the machine's content cache shared by every job (staged
	// data, downloads, Python environments), passed as LATHE_CACHE_DIR.
	Cache string
	// Capacity is what tasks may reserve; zero fields mean the machine's
	// CPUs and memory.
	Capacity compute.Resources
	// Env is the environment every task starts with (default: this
	// process's); Task.Env is added to it.
	Env    []string
	Logger *slog.Logger
	// Poll is how often a task this process did not start is checked
	// (default 250ms).
	Poll time.Duration
}

// Backend runs tasks as local processes.
type Backend struct {
	o        Options
	mu       sync.Mutex
	children map[compute.Handle]*child
}

// keepExit is how long the exit of a task this backend started is kept
// after it ends, so a Wait that comes late still gets the real exit
// status.
const keepExit = 10 * time.Minute

var _ compute.Backend = (*Backend)(nil)

// child is a task process this backend started.
type child struct {
	done chan struct{}
	exit compute.Exit
}

// New returns the backend; it creates Dir.
func New(o Options) (*Backend, error) {
	if o.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("local compute: find the lathe binary: %w", err)
		}
		o.Executable = exe
	}
	if len(o.Args) == 0 {
		o.Args = []string{"exec"}
	}
	if o.Capacity.CPUMilli <= 0 {
		o.Capacity.CPUMilli = int64(runtime.NumCPU()) * 1000
	}
	if o.Capacity.Memory <= 0 {
		o.Capacity.Memory = machineMemory()
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("local compute: create %s: %w", o.Dir, err)
	}
	return &Backend{o: o, children: map[compute.Handle]*child{}}, nil
}

// Type implements compute.Backend.
func (b *Backend) Type() string { return lathe.ComputeLocal }

// Capacity implements compute.Backend.
func (b *Backend) Capacity() compute.Resources { return b.o.Capacity }

// JobDir is the directory of a job's files on this machine.
func (b *Backend) JobDir(jobID string) string { return filepath.Join(b.o.Dir, jobID) }

// Start implements compute.Backend: it starts the wrapper in a new process
// group, with its own output appended to exec.log in the job's directory.
func (b *Backend) Start(ctx context.Context, t compute.Task) (compute.Handle, error) {
	if strings.ContainsAny(t.JobID, "/\\.") || t.JobID == "" {
		return "", fmt.Errorf("local compute: job id %q cannot name a directory", t.JobID)
	}
	dir := b.JobDir(t.JobID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("local compute: create job directory: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "exec.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("local compute: open exec.log: %w", err)
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(b.o.Executable, b.o.Args...)
	cmd.Dir = dir
	env := append([]string(nil), b.o.Env...)
	keys := make([]string, 0, len(t.Env))
	for k := range t.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+t.Env[k])
	}
	cmd.Env = append(env, "LATHE_JOB_DIR="+dir)
	if b.o.Cache != "" {
		cmd.Env = append(cmd.Env, "LATHE_CACHE_DIR="+b.o.Cache)
	}
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("local compute: start %s: %w", b.o.Executable, err)
	}
	pid := cmd.Process.Pid
	// Read the start time before the child is reaped: until then /proc
	// has it even if the child already ended (a zombie).
	_, start, _ := procStat(pid)
	h := compute.Handle(fmt.Sprintf("pid:%d:%d", pid, start))
	ch := &child{done: make(chan struct{})}
	b.mu.Lock()
	b.children[h] = ch
	b.mu.Unlock()
	go func() {
		err := cmd.Wait()
		ch.exit = exitOf(cmd.ProcessState, err)
		// Whatever the job left behind in its group goes with it.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		close(ch.done)
		time.AfterFunc(keepExit, func() {
			b.mu.Lock()
			if b.children[h] == ch {
				delete(b.children, h)
			}
			b.mu.Unlock()
		})
	}()
	b.o.Logger.Debug("local task started", "job", t.JobName, "pid", pid)
	return h, nil
}

func exitOf(ps *os.ProcessState, err error) compute.Exit {
	if ps == nil {
		return compute.Exit{Code: -1, Detail: fmt.Sprint(err)}
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return compute.Exit{Code: -1, Detail: "killed by signal " + ws.Signal().String()}
	}
	return compute.Exit{Code: ps.ExitCode(), Detail: ps.String()}
}

// ParseHandle splits a local handle into its pid and start time.
func ParseHandle(h compute.Handle) (pid int, start uint64, err error) {
	parts := strings.Split(string(h), ":")
	if len(parts) != 3 || parts[0] != "pid" {
		return 0, 0, fmt.Errorf("local compute: handle %q is not pid:<pid>:<start>", h)
	}
	pid, err = strconv.Atoi(parts[1])
	if err != nil || pid <= 1 {
		return 0, 0, fmt.Errorf("local compute: handle %q has a bad pid", h)
	}
	start, err = strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("local compute: handle %q has a bad start time", h)
	}
	return pid, start, nil
}

// Wait implements compute.Backend.
func (b *Backend) Wait(ctx context.Context, h compute.Handle) (compute.Exit, error) {
	pid, _, err := ParseHandle(h)
	if err != nil {
		return compute.Exit{}, err
	}
	b.mu.Lock()
	ch := b.children[h]
	b.mu.Unlock()
	if ch != nil {
		select {
		case <-ch.done:
			return ch.exit, nil
		case <-ctx.Done():
			return compute.Exit{}, ctx.Err()
		}
	}
	// Not our child (found again after a restart): poll until it is gone.
	t := time.NewTicker(b.o.Poll)
	defer t.Stop()
	for {
		alive, err := b.Alive(ctx, h)
		if err != nil {
			return compute.Exit{}, err
		}
		if !alive {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			return compute.Exit{Code: -1, Detail: fmt.Sprintf("process %d is gone", pid)}, nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return compute.Exit{}, ctx.Err()
		}
	}
}

// Stop implements compute.Backend: SIGTERM to the task's process group now,
// SIGKILL after grace if it still runs.
func (b *Backend) Stop(ctx context.Context, h compute.Handle, grace time.Duration) error {
	pid, _, err := ParseHandle(h)
	if err != nil {
		return err
	}
	alive, err := b.Alive(ctx, h)
	if err != nil || !alive {
		return err
	}
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("local compute: stop process group %d: %w", pid, err)
	}
	time.AfterFunc(grace, func() {
		// The group id stays reserved while any member lives, so this
		// cannot hit an unrelated process.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	})
	return nil
}

// Alive implements compute.Backend: the process exists, is not a zombie,
// and started when the handle says (so a reused pid is not mistaken for
// the task).
func (b *Backend) Alive(_ context.Context, h compute.Handle) (bool, error) {
	pid, start, err := ParseHandle(h)
	if err != nil {
		return false, err
	}
	b.mu.Lock()
	ch := b.children[h]
	b.mu.Unlock()
	if ch != nil {
		select {
		case <-ch.done:
			return false, nil
		default:
			return true, nil
		}
	}
	got, err := procStart(pid)
	if errors.Is(err, errNoProc) {
		return false, nil
	}
	if err != nil {
		// No /proc (not Linux): fall back to signal 0.
		return syscall.Kill(pid, 0) == nil, nil
	}
	return start == 0 || got == start, nil
}

var errNoProc = errors.New("no such process")

// procStart reads a process's start time (clock ticks since boot) from
// /proc; a zombie counts as gone.
func procStart(pid int) (uint64, error) {
	state, start, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	if state == "Z" || state == "X" {
		return 0, errNoProc
	}
	return start, nil
}

// procStat reads a process's state and start time from /proc.
func procStat(pid int) (state string, start uint64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if os.IsNotExist(err) {
		if _, serr := os.Stat("/proc/self/stat"); serr == nil {
			return "", 0, errNoProc
		}
		return "", 0, err
	}
	if err != nil {
		return "", 0, err
	}
	// The command name is in parentheses and may hold spaces; fields
	// after it are space-separated: state is the first, starttime the 20th.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return f[0], start, err
}

// machineMemory returns the machine's memory from /proc/meminfo, or 0 when
// it cannot be read (no memory limit is applied then).
func machineMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
