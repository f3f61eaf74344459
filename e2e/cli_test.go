package e2e_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCLIWorkflow(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	cfgPath := filepath.Join(t.TempDir(), "client.yaml")
	env := []string{"LATHE_CONFIG=" + cfgPath, "LATHE_HOME=" + t.TempDir(), "LATHE_URL=", "LATHE_TOKEN="}

	// Without login, a client command says how to log in.
	_, stderr, code := run(t, []string{"LATHE_CONFIG=" + cfgPath, "LATHE_HOME=" + t.TempDir(), "LATHE_URL=" + p.url}, "info")
	if code != 1 || !strings.Contains(stderr, "lathe login") {
		t.Fatalf("info before login: code %d, %q", code, stderr)
	}
	out, stderr, code := run(t, env, "login", "--url", p.url, "--token", p.token(t), "-o", "json")
	if code != 0 {
		t.Fatalf("login: %d %s", code, stderr)
	}
	if fi, err := os.Stat(cfgPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("client config mode: %v %v", fi, err)
	}
	var login struct{ User string }
	if err := json.Unmarshal([]byte(out), &login); err != nil || login.User != "admin" {
		t.Fatalf("login output %q: %v", out, err)
	}
	_, _, code = run(t, env, "login", "--url", p.url, "--token", "lathe_wrong")
	if code != 1 {
		t.Fatalf("login with a bad token exited %d, want 1", code)
	}

	data := make([]byte, 3<<20)
	_, _ = rand.Read(data)
	file := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("sha256:%x", sha256.Sum256(data))
	out, stderr, code = run(t, env, "blob", "put", file, "-o", "json")
	if code != 0 {
		t.Fatalf("blob put: %d %s", code, stderr)
	}
	var put []struct {
		Digest  string
		Size    int64
		Present bool `json:"already_present"`
	}
	if err := json.Unmarshal([]byte(out), &put); err != nil || len(put) != 1 || put[0].Digest != want || put[0].Present {
		t.Fatalf("blob put output %q: %v", out, err)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress bar drawn although stderr is not a terminal: %q", stderr)
	}
	out, _, _ = run(t, env, "blob", "put", file, "-o", "json")
	if err := json.Unmarshal([]byte(out), &put); err != nil || !put[0].Present {
		t.Fatalf("second put should find the bytes present: %q", out)
	}
	got := filepath.Join(t.TempDir(), "got.bin")
	if _, stderr, code = run(t, env, "blob", "get", want, "--file", got); code != 0 {
		t.Fatalf("blob get: %d %s", code, stderr)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, data) {
		t.Fatal("downloaded bytes differ")
	}
	out, _, code = run(t, env, "blob", "list", "-o", "yaml")
	if code != 0 || !strings.Contains(out, "digest: "+want) {
		t.Fatalf("blob list yaml: %d %q", code, out)
	}
	out, _, _ = run(t, env, "blob", "exists", want, strings.Repeat("0", 64), "-o", "json")
	var ex []struct {
		Exists bool
	}
	if err := json.Unmarshal([]byte(out), &ex); err != nil || len(ex) != 2 || !ex[0].Exists || ex[1].Exists {
		t.Fatalf("blob exists: %q", out)
	}

	exits := []struct {
		name string
		args []string
		code int
	}{
		{"unknown command", []string{"frobnicate"}, 2},
		{"unknown flag", []string{"blob", "list", "--frob"}, 2},
		{"missing argument", []string{"blob", "get"}, 2},
		{"bad output format", []string{"version", "-o", "xml"}, 2},
		{"bad digest", []string{"blob", "get", "nope"}, 2},
		{"missing blob", []string{"blob", "get", strings.Repeat("0", 64), "--file", filepath.Join(t.TempDir(), "x")}, 1},
		{"unknown workspace", []string{"blob", "list", "-w", "nope"}, 1},
		{"version", []string{"version", "-o", "json"}, 0},
		{"help", []string{"blob", "put", "--help"}, 0},
	}
	for _, tc := range exits {
		if _, stderr, code := run(t, env, tc.args...); code != tc.code {
			t.Errorf("%s: exit %d, want %d (%s)", tc.name, code, tc.code, stderr)
		}
	}
	// A failed download leaves no file behind.
	if _, err := os.Stat(filepath.Join(t.TempDir(), "x")); !os.IsNotExist(err) {
		t.Error("a failed download left a file")
	}

	// SIGTERM stops the server gracefully, with exit code 0.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, p.stderr)
		}
		p.done <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("no exit 20s after SIGTERM")
	}
	if !strings.Contains(p.stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", p.stderr)
	}
}

func TestJSONLogs(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir(), "--log-format", "json")
	resp, err := http.Get(p.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.stderr.String(), `"route":"health"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no JSON request log:\n%s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestDemoExits(t *testing.T) {
	t.Parallel()
	out, stderr, code := run(t, []string{"LATHE_HOME=" + t.TempDir()}, "demo", "--exit", "--addr", "127.0.0.1:0")
	if code != 0 {
		t.Fatalf("demo --exit: code %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"demo: server at http://127.0.0.1:", "[1/", "governance:", "/ui/signin?code=", "data:", "digest verified", "training:", "pipeline ", "reused from", "test ROC AUC"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
