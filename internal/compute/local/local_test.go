package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latheml/lathe/internal/compute"
)

// newShell returns a backend whose "wrapper" is /bin/sh -c script.
func newShell(t *testing.T, dir, script string) *Backend {
	t.Helper()
	b, err := New(Options{Executable: "/bin/sh", Args: []string{"-c", script}, Dir: dir, Env: []string{"PATH=/usr/bin:/bin"}, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStartWaitExitCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		script string
		code   int
		detail string
	}{
		{"success", "exit 0", 0, "exit status 0"},
		{"failure", "exit 3", 3, "exit status 3"},
		{"killed", "kill -9 $$", -1, "killed by signal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newShell(t, t.TempDir(), tc.script)
			ctx := waitCtx(t)
			h, err := b.Start(ctx, compute.Task{JobID: "job" + tc.name, JobName: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			exit, err := b.Wait(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if exit.Code != tc.code || !strings.Contains(exit.Detail, tc.detail) {
				t.Fatalf("exit = %+v, want code %d and detail with %q", exit, tc.code, tc.detail)
			}
			if alive, err := b.Alive(ctx, h); err != nil || alive {
				t.Fatalf("Alive after Wait = %v, %v; want false", alive, err)
			}
		})
	}
}

func TestStartEnvAndLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := New(Options{Executable: "/bin/sh", Args: []string{"-c", `echo "$LATHE_JOB $LATHE_JOB_DIR $LATHE_CACHE_DIR $(pwd)"`},
		Dir: dir, Cache: "/cache", Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t)
	h, err := b.Start(ctx, compute.Task{JobID: "abc", JobName: "brave", Env: map[string]string{"LATHE_JOB": "brave"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Wait(ctx, h); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "abc", "exec.log"))
	if err != nil {
		t.Fatal(err)
	}
	jd := filepath.Join(dir, "abc")
	want := "brave " + jd + " /cache " + jd + "\n"
	if string(got) != want {
		t.Fatalf("exec.log = %q, want %q", got, want)
	}
}

// grandchild starts a task whose shell starts a background sleep, writes
// the sleep's pid to a file and waits; it returns the handle and the pid.
func grandchild(t *testing.T, b *Backend, id string) (compute.Handle, int) {
	t.Helper()
	ctx := waitCtx(t)
	h, err := b.Start(ctx, compute.Task{JobID: id})
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(b.JobDir(id), "sleep.pid")
	deadline := time.Now().Add(10 * time.Second)
	for {
		bs, err := os.ReadFile(pidFile)
		if err == nil && strings.HasSuffix(string(bs), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(bs)))
			if err != nil {
				t.Fatal(err)
			}
			return h, pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task did not write %s", pidFile)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const sleeper = `sleep 300 & echo $! > sleep.pid.tmp && mv sleep.pid.tmp sleep.pid; wait`

// gone waits until pid no longer exists (or is a zombie).
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if _, err := procStart(pid); errors.Is(err, errNoProc) {
			return // a zombie of a reaped group: dead
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d still runs", pid)
}

func TestStopKillsProcessGroup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		other bool // stop and wait through a second backend on the same Dir
		grace time.Duration
	}{
		{"own", false, 5 * time.Second},
		{"own-ignores-term", false, 50 * time.Millisecond},
		{"other-backend", true, 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			script := sleeper
			if tc.name == "own-ignores-term" {
				script = `trap "" TERM; ` + sleeper
			}
			b := newShell(t, dir, script)
			h, sleepPID := grandchild(t, b, "j1")
			ctx := waitCtx(t)
			if err := syscall.Kill(sleepPID, 0); err != nil {
				t.Fatalf("the grandchild sleep is not running: %v", err)
			}
			use := b
			if tc.other {
				use = newShell(t, dir, "exit 9")
			}
			if alive, err := use.Alive(ctx, h); err != nil || !alive {
				t.Fatalf("Alive = %v, %v; want true", alive, err)
			}
			if err := use.Stop(ctx, h, tc.grace); err != nil {
				t.Fatal(err)
			}
			exit, err := use.Wait(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if exit.Code != -1 {
				t.Fatalf("exit of a stopped task = %+v, want code -1", exit)
			}
			if tc.other && !strings.Contains(exit.Detail, "is gone") {
				t.Fatalf("exit detail of a task found again = %q, want it to say the process is gone", exit.Detail)
			}
			gone(t, sleepPID)
			if alive, err := use.Alive(ctx, h); err != nil || alive {
				t.Fatalf("Alive after Stop = %v, %v; want false", alive, err)
			}
			// Stopping again is not an error.
			if err := use.Stop(ctx, h, tc.grace); err != nil {
				t.Fatalf("second Stop: %v", err)
			}
		})
	}
}

func TestWaitOtherBackendPolls(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := newShell(t, dir, "sleep 0.3")
	ctx := waitCtx(t)
	h, err := b.Start(ctx, compute.Task{JobID: "j2"})
	if err != nil {
		t.Fatal(err)
	}
	other := newShell(t, dir, "exit 9")
	exit, err := other.Wait(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if exit.Code != -1 || !strings.Contains(exit.Detail, "is gone") {
		t.Fatalf("exit seen by another backend = %+v", exit)
	}
	// The starting backend still knows the real code.
	if exit, err := b.Wait(ctx, h); err != nil || exit.Code != 0 {
		t.Fatalf("own Wait = %+v, %v; want code 0", exit, err)
	}
}

func TestWaitContextEnds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := newShell(t, dir, "sleep 300")
	ctx := waitCtx(t)
	h, err := b.Start(ctx, compute.Task{JobID: "j3"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Stop(context.Background(), h, 0) })
	for _, use := range []*Backend{b, newShell(t, dir, "exit 0")} {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := use.Wait(short, h)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait with an ended context = %v, want DeadlineExceeded", err)
		}
	}
}

func TestAliveHandles(t *testing.T) {
	t.Parallel()
	b := newShell(t, t.TempDir(), "exit 0")
	ctx := waitCtx(t)
	self := os.Getpid()
	start, err := procStart(self)
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	cases := []struct {
		name string
		h    compute.Handle
		want bool
	}{
		{"this process", compute.Handle("pid:" + strconv.Itoa(self) + ":" + strconv.FormatUint(start, 10)), true},
		{"no start time recorded", compute.Handle("pid:" + strconv.Itoa(self) + ":0"), true},
		{"reused pid", compute.Handle("pid:" + strconv.Itoa(self) + ":" + strconv.FormatUint(start+1, 10)), false},
		{"no such process", "pid:4194000:1", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := b.Alive(ctx, tc.h)
			if err != nil || got != tc.want {
				t.Fatalf("Alive(%s) = %v, %v; want %v", tc.h, got, err, tc.want)
			}
		})
	}
}

func TestParseHandle(t *testing.T) {
	t.Parallel()
	cases := []struct {
		h     compute.Handle
		pid   int
		start uint64
		ok    bool
	}{
		{"pid:123:456", 123, 456, true},
		{"pid:2:0", 2, 0, true},
		{"", 0, 0, false},
		{"pid:123", 0, 0, false},
		{"pid:123:456:7", 0, 0, false},
		{"job:123:456", 0, 0, false},
		{"pid:abc:456", 0, 0, false},
		{"pid:1:456", 0, 0, false}, // init is never a task
		{"pid:0:456", 0, 0, false},
		{"pid:-5:456", 0, 0, false},
		{"pid:123:-1", 0, 0, false},
		{"pid:123:x", 0, 0, false},
	}
	b := newShell(t, t.TempDir(), "exit 0")
	for _, tc := range cases {
		t.Run(string(tc.h), func(t *testing.T) {
			t.Parallel()
			pid, start, err := ParseHandle(tc.h)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseHandle(%q) error = %v, want ok=%v", tc.h, err, tc.ok)
			}
			if !tc.ok {
				ctx := context.Background()
				if _, err := b.Wait(ctx, tc.h); err == nil {
					t.Errorf("Wait(%q) accepted a bad handle", tc.h)
				}
				if err := b.Stop(ctx, tc.h, 0); err == nil {
					t.Errorf("Stop(%q) accepted a bad handle", tc.h)
				}
				if _, err := b.Alive(ctx, tc.h); err == nil {
					t.Errorf("Alive(%q) accepted a bad handle", tc.h)
				}
				return
			}
			if pid != tc.pid || start != tc.start {
				t.Fatalf("ParseHandle(%q) = %d, %d", tc.h, pid, start)
			}
		})
	}
}

func TestHandleRoundTrip(t *testing.T) {
	t.Parallel()
	b := newShell(t, t.TempDir(), "exit 0")
	ctx := waitCtx(t)
	h, err := b.Start(ctx, compute.Task{JobID: "rt"})
	if err != nil {
		t.Fatal(err)
	}
	pid, start, err := ParseHandle(h)
	if err != nil {
		t.Fatal(err)
	}
	if pid <= 1 || start == 0 {
		t.Fatalf("handle %q has pid %d start %d", h, pid, start)
	}
	if _, err := b.Wait(ctx, h); err != nil {
		t.Fatal(err)
	}
}

func TestStartRefusesBadJobID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := newShell(t, dir, "exit 0")
	for _, id := range []string{"", "a/b", "../x", "..", `a\b`, "a.b", "/abs"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			if h, err := b.Start(context.Background(), compute.Task{JobID: id}); err == nil {
				t.Fatalf("Start with job id %q = %q, want an error", id, h)
			}
		})
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("refused starts left %d entries in the jobs folder", len(es))
	}
}

func TestStartMissingExecutable(t *testing.T) {
	t.Parallel()
	b, err := New(Options{Executable: filepath.Join(t.TempDir(), "nope"), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Start(context.Background(), compute.Task{JobID: "x"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Start of a missing binary = %v, want an error naming it", err)
	}
}
