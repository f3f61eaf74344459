// Package e2e drives the real lathe binary as a user would: it builds it
// once, starts `lathe up` as a child process and talks to it through the CLI
// and HTTP.
package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lathe-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "lathe")
	build := exec.Command("go", "build", "-o", binary, "../cmd/lathe")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build lathe:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running `lathe up`.
type proc struct {
	cmd    *exec.Cmd
	url    string
	home   string
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingRE = regexp.MustCompile(`serving on (http://\S+)`)

// up starts `lathe up` on a free port with LATHE_HOME=home and waits until it
// prints its URL.
func up(t *testing.T, home string, extra ...string) *proc {
	t.Helper()
	return upEnv(t, home, nil, extra...)
}

// upEnv is up with extra environment variables (KEY=VALUE).
func upEnv(t *testing.T, home string, env []string, extra ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"up", "--addr", "127.0.0.1:0"}, extra...)...)
	cmd.Env = append(append(os.Environ(), "LATHE_HOME="+home), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, home: home, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case p.url = <-urls:
	case err := <-p.done:
		t.Fatalf("lathe up exited early: %v\n%s", err, p.stderr)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("lathe up did not start in 60s\n%s", p.stderr)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) token(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.home, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// cliEnv is the environment a CLI command needs to talk to p as admin,
// with a home and client config of its own (nothing from the user's).
func (p *proc) cliEnv(t *testing.T) []string {
	t.Helper()
	return []string{"LATHE_URL=" + p.url, "LATHE_TOKEN=" + p.token(t), "LATHE_HOME=" + t.TempDir(), "LATHE_CONFIG=" + filepath.Join(t.TempDir(), "none")}
}

// run runs a CLI command with env (KEY=VALUE) and returns stdout, stderr
// and the exit code.
func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run lathe %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// httpGet returns the body of a GET without a token.
func httpGet(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
