package exec

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/latheml/lathe"
)

// runEnv is how the command is started in its environment.
type runEnv struct {
	label  string
	prefix []string // argv before the shell (a container runtime's run)
	shell  string   // the shell inside: /bin/sh on the host, sh in an image
	vars   []string // variables the environment adds (VIRTUAL_ENV)
	// path is put first on the command's PATH (a virtual environment's bin).
	path string
	// pass lists variables to hand through to a container.
	pass bool
	// stop stops the environment's side of the command (a container).
	stop func(grace time.Duration)
}

// pipTimeout bounds one environment build.
const pipTimeout = 30 * time.Minute

// environment finds or builds the environment the command runs in.
func (w *wrapper) environment(ctx context.Context) (*runEnv, error) {
	spec := w.plan.Environment
	switch spec.Kind() {
	case lathe.EnvPython:
		dir, err := w.pythonEnv(ctx, spec)
		if err != nil {
			return nil, err
		}
		return &runEnv{label: "python " + spec.Digest().Hex()[:12], shell: "/bin/sh",
			path: filepath.Join(dir, "bin"), vars: []string{"VIRTUAL_ENV=" + dir}}, nil
	case lathe.EnvImage:
		return w.imageEnv(spec)
	}
	return &runEnv{label: "host", shell: "/bin/sh"}, nil
}

// pythonEnv returns the virtual environment of the spec's digest, building
// it first if this machine has none: python3 -m venv, then pip install of
// the packages. Concurrent jobs wait for one build (a file lock).
func (w *wrapper) pythonEnv(ctx context.Context, spec lathe.EnvironmentSpec) (string, error) {
	root := filepath.Join(w.o.Cache, "envs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", infraFail("environment cache: %w", err)
	}
	key := spec.Digest().Hex()[:24]
	dir := filepath.Join(root, key)
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", infraFail("environment cache: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		w.system("waiting for another job that builds the same python environment")
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			return "", infraFail("environment cache lock: %w", err)
		}
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	ready := filepath.Join(dir, ".lathe-ready")
	if _, err := os.Stat(ready); err == nil {
		w.system("python environment %s from the cache (%d packages)", key[:12], len(spec.Packages))
		return dir, nil
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return "", userFail("the environment is a python virtual environment, but the compute has no python3 on its PATH; install python3 there or run the job on host")
	}
	w.checkPython(ctx, python, spec.Python)
	_ = removeAll(dir)
	start := time.Now()
	w.system("building python environment %s: %d packages", key[:12], len(spec.Packages))
	fail := func(err error) (string, error) {
		_ = removeAll(dir)
		return "", err
	}
	bctx, cancel := context.WithTimeout(ctx, pipTimeout)
	defer cancel()
	if _, err := w.tool(bctx, python, "-m", "venv", "--without-pip", dir); err != nil {
		return fail(userFail("python3 -m venv failed: %v", err))
	}
	if len(spec.Packages) > 0 {
		req := filepath.Join(dir, "lathe-requirements.txt")
		if err := os.WriteFile(req, []byte(strings.Join(spec.Packages, "\n")+"\n"), 0o644); err != nil {
			return fail(infraFail("write requirements: %w", err))
		}
		tail, err := w.tool(bctx, python, "-m", "pip", "--python", filepath.Join(dir, "bin", "python"), "install",
			"--no-input", "--disable-pip-version-check", "-r", req)
		if err != nil {
			return fail(w.pipFailure(ctx, spec, tail, err))
		}
	}
	if err := os.WriteFile(ready, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return fail(infraFail("environment cache: %w", err))
	}
	w.system("python environment %s built in %s", key[:12], time.Since(start).Round(time.Millisecond))
	return dir, nil
}

// checkPython notes in the log when the compute's python3 is not the
// version the environment asks for.
func (w *wrapper) checkPython(ctx context.Context, python, want string) {
	if want == "" {
		return
	}
	out, err := exec.CommandContext(ctx, python, "-c", `import sys; print("%d.%d.%d" % sys.version_info[:3])`).Output()
	if err != nil {
		return
	}
	have := strings.TrimSpace(string(out))
	if have != want && !strings.HasPrefix(have, strings.TrimSuffix(want, ".*")+".") {
		w.system("the environment asks for python %s; the compute's python3 is %s and is used", want, have)
	}
}

// tool runs a build step, copying its output into the job's log as system
// lines, and returns its last lines.
func (w *wrapper) tool(ctx context.Context, name string, args ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(append([]string(nil), w.o.Environ...), "PYTHONUNBUFFERED=1")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var tail []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			w.logs.add(lathe.StreamSystem, "[lathe] | "+line)
			tail = append(tail, line)
			if len(tail) > 8 {
				tail = tail[1:]
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	return tail, err
}

// pipFailure explains a failed pip install: a package index that cannot
// be reached is named as such, with what to do.
func (w *wrapper) pipFailure(ctx context.Context, spec lathe.EnvironmentSpec, tail []string, err error) error {
	index, pkgList := pipIndex(spec.Packages, w.o.Environ)
	pkgs := strings.Join(pkgList, ", ")
	if len(pkgs) > 300 {
		pkgs = pkgs[:300] + "…"
	}
	if perr := probe(ctx, index); perr != nil {
		return userFail("could not build the python environment: the package index %s cannot be reached from the compute (%v). "+
			"The environment needs %s. Give the compute access to the index or a mirror (PIP_INDEX_URL), install the packages into the host environment and run the job on host, or remove them from the environment",
			index, perr, pkgs)
	}
	return userFail("could not build the python environment: pip install failed (%v) for %s: %s", err, pkgs, strings.Join(tail, " / "))
}

// pipIndex returns the package index pip used: an --index-url (-i) line
// of the requirements, else PIP_INDEX_URL of the build's environment,
// else PyPI; and the requirement lines that name packages.
func pipIndex(lines, environ []string) (index string, pkgs []string) {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PIP_INDEX_URL="); ok && v != "" {
			index = v
		}
	}
	var fromLines string
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case (f[0] == "--index-url" || f[0] == "-i") && len(f) > 1:
			fromLines = f[1]
		case strings.HasPrefix(f[0], "--index-url="):
			fromLines = strings.TrimPrefix(f[0], "--index-url=")
		case strings.HasPrefix(f[0], "-i") && len(f[0]) > 2 && !strings.HasPrefix(f[0], "--"):
			fromLines = f[0][2:]
		case strings.HasPrefix(f[0], "-"):
		default:
			pkgs = append(pkgs, l)
		}
	}
	return firstOf(fromLines, firstOf(index, "https://pypi.org/simple/")), pkgs
}

// probe checks that a package index answers.
func probe(ctx context.Context, index string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", index, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("it answered %s", resp.Status)
	}
	return nil
}

// imageEnv runs the command in a container of the image through the
// configured runtime, with the job's directory mounted at the same path.
func (w *wrapper) imageEnv(spec lathe.EnvironmentSpec) (*runEnv, error) {
	rt := w.plan.ContainerRuntime
	if rt == "" {
		return nil, userFail("the environment runs in the image %s, but this compute has no container runtime configured (podman or docker); run the job on host or in a python environment", spec.Image)
	}
	bin, err := exec.LookPath(rt)
	if err != nil {
		return nil, userFail("the environment runs in the image %s through %s, which is not on the compute's PATH", spec.Image, rt)
	}
	j := &w.plan.Job
	name := fmt.Sprintf("lathe-%s-%d", j.ID[:12], j.Attempt)
	prefix := []string{bin, "run", "--rm", "--name", name, "--network", "host", "-v", w.o.Dir + ":" + w.o.Dir,
		"-w", filepath.Join(w.o.Dir, "wd")}
	return &runEnv{label: "image " + spec.Image, prefix: prefix, shell: "sh", pass: true,
		stop: func(grace time.Duration) {
			_ = exec.Command(bin, "stop", "-t", fmt.Sprint(int(grace.Seconds())), name).Run()
		}}, nil
}
