// Package lathed runs a real `lathe up` server as a child process for the
// end-to-end benchmarks (bench/jobs, bench/pipelines): it builds the
// binary, starts it on a free loopback port with its own data dir, waits
// until it is ready, and stops it. Launch does all of that in a fresh
// temporary directory; Build and Start are its steps. Server.CPU, Median,
// Percentile and Machine are the figures the benchmarks report alike.
//
// Everything lives under one directory:
//
//	<dir>/lathe       the binary Build writes
//	<dir>/home        the server's data dir and LATHE_HOME (SQLite, files, admin.token)
//	<dir>/server.log  the server's stdout and stderr
package lathed

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/latheml/lathe/internal/client"
)

// readyWithin is how long Start waits for /readyz and the admin token.
const readyWithin = 30 * time.Second

// stopWithin is how long Stop waits after SIGTERM before it kills.
const stopWithin = 20 * time.Second

// Config says how Launch runs a server; the benchmarks fill it from their
// -bin, -keep and -server-log flags.
type Config struct {
	Name     string // names the temporary directory: lathe-bench-<Name>-*
	Bin      string // a lathe binary built before; "" builds ./cmd/lathe
	Keep     bool   // leave the directory (data dir, server.log) after Stop
	LogLevel string // the server's --log-level; "" is info
}

// Launch makes a temporary directory, builds the binary into it unless
// cfg.Bin names one, and starts the server there. Stop also removes the
// directory unless cfg.Keep; with it, where the directory is goes to
// stderr first.
func Launch(ctx context.Context, cfg Config) (_ *Server, err error) {
	dir, err := os.MkdirTemp("", "lathe-bench-"+cfg.Name+"-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if cfg.Keep {
		fmt.Fprintf(os.Stderr, "data dir and server.log kept in %s\n", dir)
		cleanup = func() {}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	bin := cfg.Bin
	if bin == "" {
		if bin, err = Build(ctx, dir); err != nil {
			return nil, err
		}
	}
	var opts []Option
	if cfg.LogLevel != "" {
		opts = append(opts, LogLevel(cfg.LogLevel))
	}
	s, err := Start(ctx, bin, dir, opts...)
	if err != nil {
		return nil, err
	}
	s.cleanup = cleanup
	return s, nil
}

// Build compiles ./cmd/lathe into <dir>/lathe and returns its path. It must
// run from the repository root; it notes what it builds on stderr, where
// the compiler's output also goes.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "lathe")
	fmt.Fprintf(os.Stderr, "building %s\n", bin)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/lathe")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/lathe (run from the repository root, or pass -bin): %w", err)
	}
	return bin, nil
}

// Option changes how Start runs the server.
type Option func(*settings)

type settings struct{ logLevel string }

// LogLevel sets the server's --log-level (default info).
func LogLevel(level string) Option { return func(s *settings) { s.logLevel = level } }

// Server is a running `lathe up` child process.
type Server struct {
	cmd     *exec.Cmd
	url     string
	token   string
	log     string
	client  *client.Client
	done    chan struct{}
	cleanup func() // set by Launch: removes its directory
}

// Start runs `bin up` on a free 127.0.0.1 port with <dir>/home as its data
// dir, logging to <dir>/server.log, and returns once /readyz answers 200
// and the admin token is written (at most 30 s), with a client signed in
// as the admin. The child gets this process's environment without any
// LATHE_ variable, so the caller's settings do not leak in. The child
// outlives ctx; ctx only bounds the wait. Call Stop when done.
func Start(ctx context.Context, bin, dir string, opts ...Option) (*Server, error) {
	set := settings{logLevel: "info"}
	for _, o := range opts {
		o(&set)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	home := filepath.Join(dir, "home")
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "up", "--addr", addr, "--data-dir", home, "--log-level", set.logLevel)
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
	s := &Server{cmd: cmd, url: "http://" + addr, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(s.done) }()
	deadline := time.Now().Add(readyWithin)
	for {
		tok, _ := os.ReadFile(filepath.Join(home, "admin.token"))
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		if err == nil && resp.StatusCode == http.StatusOK && len(tok) > 0 {
			s.token = strings.TrimSpace(string(tok))
			if s.client, err = client.New(s.url, s.token, nil); err != nil {
				s.Stop()
				return nil, err
			}
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("lathe up exited at start (log %s):\n%s", logPath, Tail(logPath, 5))
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("lathe up was not ready in %s; see %s", readyWithin, logPath)
		}
	}
}

// URL is the server's base URL, http://127.0.0.1:<port>.
func (s *Server) URL() string { return s.url }

// Token is the server's admin token.
func (s *Server) Token() string { return s.token }

// Bin is the path of the lathe binary the server runs.
func (s *Server) Bin() string { return s.cmd.Path }

// Client is a client of the server, signed in as its admin.
func (s *Server) Client() *client.Client { return s.client }

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Log is the path of the server's log file.
func (s *Server) Log() string { return s.log }

// Done is closed once the server process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop ends the server gracefully (SIGTERM), and kills it if it has not
// exited 20 s later. It returns once the process is gone and, for a
// server from Launch, its directory removed (unless kept); calling it
// again does nothing.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopWithin):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	if s.cleanup != nil {
		s.cleanup()
		s.cleanup = nil
	}
}

// CPU is the server's CPU time so far: its own, and its reaped children's
// (on local compute: the job wrappers and their commands).
func (s *Server) CPU() (CPU, error) { return cpuOf(s.PID()) }

// Tail returns the last n lines of the file at path ("" if it cannot be
// read).
func Tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
