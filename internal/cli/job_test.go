package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/config"
	"github.com/latheml/lathe/internal/server"
)

// TestMain lets the test binary stand in for the lathe binary: the local
// compute backend starts os.Executable() with "exec" for every job, which
// here is this binary, so jobs of the in-process server really run.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		err := Run(context.Background(), os.Args[1:], IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "lathe:", err)
		}
		os.Exit(ExitCode(err))
	}
	os.Exit(m.Run())
}

// cliServer is an in-process server and a way to run CLI commands at it.
type cliServer struct {
	t   *testing.T
	env map[string]string
}

func startServer(t *testing.T) *cliServer {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default(filepath.Join(dir, "server"))
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &cliServer{t: t, env: map[string]string{
		"LATHE_URL": srv.URL(), "LATHE_TOKEN": srv.AdminToken(), "LATHE_HOME": filepath.Join(dir, "client"),
	}}
}

// run runs the CLI and returns stdout, stderr and the exit code.
func (s *cliServer) run(args ...string) (string, string, int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := Run(ctx, args, IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) string { return s.env[k] }})
	if err != nil {
		fmt.Fprintln(&errb, "lathe:", err)
	}
	return out.String(), errb.String(), ExitCode(err)
}

// ok runs the CLI and fails the test if the command failed.
func (s *cliServer) ok(args ...string) string {
	s.t.Helper()
	out, errs, code := s.run(args...)
	if code != 0 {
		s.t.Fatalf("lathe %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

const jobYAML = `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: >-
  sh run.sh ${{inputs.data}} ${{outputs.model}} ${{inputs.lr}} $[[--opt ${{inputs.opt}}]]
code: ./src
inputs:
  data:
    type: uri_file
    path: ./data.csv
  lr: 0.1
  opt: ""
outputs:
  model:
    type: uri_folder
experiment_name: cli-test
environment_variables:
  GREETING: hello
`

const runScript = `set -e
data=$1 out=$2
shift 2
echo "args: $*"
echo "greeting: $GREETING"
echo "run: $MLFLOW_RUN_ID"
test -n "$MLFLOW_TRACKING_URI"
if [ -e secret.txt ]; then echo "secret staged"; exit 3; fi
cp "$data" "$out/copy.csv"
echo trained > "$out/model.txt"
`

func writeJob(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"job.yml":         jobYAML,
		"data.csv":        "a,b\n1,2\n",
		"src/run.sh":      runScript,
		"src/secret.txt":  "do not upload",
		"src/.amlignore":  "secret.txt\n",
		"src/notes/a.txt": "kept",
	})
	return dir
}

func TestJobCLIRunsAJob(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := writeJob(t)
	job := filepath.Join(dir, "job.yml")

	// opt unset: its fragment is dropped; the log streams; exit 0.
	out, errs, code := s.run("job", "create", "-f", job, "--stream", "--name", "unset")
	if code != 0 {
		t.Fatalf("job create --stream: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"args: 0.1\n", "greeting: hello", "run: "} {
		if !strings.Contains(out, want) {
			t.Errorf("streamed log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--opt") || strings.Contains(out, "secret staged") {
		t.Errorf("streamed log:\n%s", out)
	}
	if !strings.Contains(errs, "completed") {
		t.Errorf("stderr does not say the job completed:\n%s", errs)
	}

	// --set fills in opt and changes lr.
	out = s.ok("job", "create", "-f", job, "--stream", "--name", "set", "--set", "inputs.opt=5", "--set", "inputs.lr=0.5")
	if !strings.Contains(out, "args: 0.5 --opt 5") {
		t.Errorf("with --set the command was not bound as expected:\n%s", out)
	}

	// --stream -o json: the log on stderr, the ended job on stdout.
	out, errs, code = s.run("job", "create", "-f", job, "--stream", "--name", "json", "-o", "json")
	if j := decode[lathe.Job](t, out); code != 0 || j.Name != "json" || j.Status != lathe.JobCompleted || !strings.Contains(errs, "args: 0.1") {
		t.Errorf("--stream -o json: exit %d, job %+v, stderr %s", code, j, errs)
	}

	// show: the input was uploaded as an anonymous data version, the
	// output registered; the events are listed.
	d := decode[JobDetail](t, s.ok("job", "show", "set", "-o", "json"))
	if d.Status != lathe.JobCompleted || d.ExitCode == nil || *d.ExitCode != 0 || d.RunID == "" {
		t.Errorf("job = %+v", d.Job)
	}
	if in := d.Spec.Inputs["data"]; !strings.HasPrefix(in.Path, "azureml:azureml_anon_") || in.Data == "" {
		t.Errorf("data input = %+v", in)
	}
	if o := d.Spec.Outputs["model"]; o.Data != lathe.DefaultOutputName("set", "model")+":1" {
		t.Errorf("model output = %+v", o)
	}
	if len(d.Events) < 3 || d.Spec.Code == nil || d.Spec.Code.Files != 3 {
		t.Errorf("events %v, code %+v", d.Events, d.Spec.Code)
	}
	if !strings.Contains(s.ok("job", "show", "set"), "outputs.model") {
		t.Error("the table form of show lacks the output")
	}

	// The same input is uploaded once: both jobs use one data version.
	first := decode[JobDetail](t, s.ok("job", "show", "unset", "-o", "json"))
	if first.Spec.Inputs["data"].Path != d.Spec.Inputs["data"].Path {
		t.Errorf("same file, two data versions: %s and %s", first.Spec.Inputs["data"].Path, d.Spec.Inputs["data"].Path)
	}

	// download: the output and the log.
	to := filepath.Join(t.TempDir(), "dl")
	s.ok("job", "download", "set", "--to", to)
	for p, want := range map[string]string{"named-outputs/model/copy.csv": "a,b\n1,2\n", "named-outputs/model/model.txt": "trained\n"} {
		b, err := os.ReadFile(filepath.Join(to, p))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", p, b, err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(to, "logs", "std_log.txt")); err != nil || !strings.Contains(string(b), "args: 0.5 --opt 5") {
		t.Errorf("log = %q, %v", b, err)
	}
	only := filepath.Join(t.TempDir(), "only")
	s.ok("job", "download", "set", "--output-name", "model", "--to", only)
	if _, err := os.Stat(filepath.Join(only, "logs")); !os.IsNotExist(err) {
		t.Errorf("--output-name also wrote the log: %v", err)
	}
	if _, _, code := s.run("job", "download", "set", "--output-name", "nope"); code != ExitError {
		t.Errorf("download of a missing output: exit %d", code)
	}

	// list with a status filter.
	jobs := decode[[]lathe.Job](t, s.ok("job", "list", "--status", "completed", "-o", "json"))
	if len(jobs) != 3 {
		t.Errorf("completed jobs = %d, want 3", len(jobs))
	}
	if jobs := decode[[]lathe.Job](t, s.ok("job", "list", "--status", "failed", "-o", "json")); len(jobs) != 0 {
		t.Errorf("failed jobs = %v", jobs)
	}
	if _, _, code := s.run("job", "list", "--status", "bogus"); code != ExitUsage {
		t.Errorf("--status bogus: exit %d, want %d", code, ExitUsage)
	}
}

func TestJobCLIFailuresAndErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"fail.yml": "command: echo about to fail; exit 7\n",
		"bad.yml":  "command: echo hi\nexperimnt_name: x\n",
		"pipe.yml": "type: pipeline\njobs:\n  a:\n    type: command\n    command: echo\n",
		"slow.yml": "command: sleep 30\n",
	})

	out, errs, code := s.run("job", "create", "-f", filepath.Join(dir, "fail.yml"), "--stream")
	if code != ExitError || !strings.Contains(out, "about to fail") || !strings.Contains(errs, "failed") || !strings.Contains(errs, "exit code 7") {
		t.Errorf("failing job: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}

	_, errs, code = s.run("job", "create", "-f", filepath.Join(dir, "bad.yml"))
	if code != ExitError || !strings.Contains(errs, "bad.yml:2:") || !strings.Contains(errs, `"experiment_name"`) {
		t.Errorf("misspelt field: exit %d, stderr %s", code, errs)
	}
	pout, errs, code := s.run("job", "create", "-f", filepath.Join(dir, "pipe.yml"))
	if code != 0 || !strings.Contains(pout, "pipeline") {
		t.Errorf("pipeline: exit %d, stdout %s, stderr %s", code, pout, errs)
	}
	if _, _, code = s.run("job", "create"); code != ExitUsage {
		t.Errorf("no -f: exit %d", code)
	}

	j := decode[SubmitResult](t, s.ok("job", "create", "-f", filepath.Join(dir, "slow.yml"), "-o", "json"))
	if j.Name == "" || !strings.HasSuffix(j.URL, "/ui/w/default/jobs/"+j.Name) {
		t.Errorf("created = %+v", j)
	}
	s.ok("job", "cancel", j.Name)
	_, errs, code = s.run("job", "stream", j.Name)
	if code != ExitError || !strings.Contains(errs, "canceled") {
		t.Errorf("stream of a canceled job: exit %d, stderr %s", code, errs)
	}
	if _, _, code = s.run("job", "show", "no-such-job"); code != ExitError {
		t.Errorf("show of a missing job: exit %d", code)
	}
}

func TestEnvironmentAndComputeCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"env/env.yml":    "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\nname: sk\nconda_file: conda.yml\ndescription: d\n",
		"env/conda.yml":  "dependencies:\n  - python=3.11\n  - pip:\n    - requests==2.31.0\n",
		"req.txt":        "pandas==2.2 # data frames\n",
		"compute.yml":    "name: small\ntype: local\ndescription: two cpus\n",
		"scaled.yml":     "name: big\ntype: local\nmin_instances: 0\n",
		"env/typo.yml":   "name: sk\nimage: python:3.12\ndescriptoin: x\n",
		"env/relenv.yml": "name: rel\nrequirements_file: ../req.txt\n",
	})

	e := decode[lathe.Environment](t, s.ok("environment", "create", "-f", filepath.Join(dir, "env", "env.yml"), "-o", "json"))
	if e.Name != "sk" || e.Version != "1" || e.Kind != lathe.EnvPython || e.Spec.Python != "3.11" || len(e.Spec.Packages) != 1 {
		t.Errorf("environment = %+v", e)
	}
	e = decode[lathe.Environment](t, s.ok("environment", "create", "-f", filepath.Join(dir, "env", "relenv.yml"), "-o", "json"))
	if len(e.Spec.Packages) != 1 || e.Spec.Packages[0] != "pandas==2.2" {
		t.Errorf("requirements environment = %+v", e)
	}
	s.ok("environment", "create", "--name", "sk", "--image", "python:3.12-slim")
	if e := decode[lathe.Environment](t, s.ok("environment", "show", "sk@latest", "-o", "json")); e.Version != "2" || e.Spec.Image != "python:3.12-slim" {
		t.Errorf("sk@latest = %+v", e)
	}
	if e := decode[lathe.Environment](t, s.ok("environment", "show", "azureml:sk:1", "-o", "json")); e.Version != "1" {
		t.Errorf("sk:1 = %+v", e)
	}
	if all := decode[[]lathe.Environment](t, s.ok("environment", "list", "sk", "-o", "json")); len(all) != 2 {
		t.Errorf("versions of sk = %d, want 2", len(all))
	}
	if _, errs, code := s.run("environment", "create", "-f", filepath.Join(dir, "env", "typo.yml")); code != ExitError || !strings.Contains(errs, "typo.yml:3:") {
		t.Errorf("typo: exit %d, %s", code, errs)
	}
	if _, _, code := s.run("environment", "create", "--name", "empty"); code != ExitUsage {
		t.Errorf("empty environment: exit %d", code)
	}

	c := decode[lathe.Compute](t, s.ok("compute", "create", "-f", filepath.Join(dir, "compute.yml"), "--cpus", "1", "--memory", "512Mi", "-o", "json"))
	if c.Name != "small" || c.CPU != 1 || c.Memory != 512<<20 || c.Description != "two cpus" {
		t.Errorf("compute = %+v", c)
	}
	if _, errs, code := s.run("compute", "create", "-f", filepath.Join(dir, "scaled.yml")); code != ExitError || !strings.Contains(errs, "min_instances") {
		t.Errorf("min_instances: exit %d, %s", code, errs)
	}
	if !strings.Contains(s.ok("compute", "list"), "small") {
		t.Error("compute list lacks small")
	}
	if !strings.Contains(s.ok("compute", "show", "azureml:small"), "512.0 MiB") {
		t.Error("compute show lacks the memory cap")
	}

	// A job on the new compute, in the host environment.
	writeTree(t, dir, map[string]string{"onsmall.yml": "command: echo on small\ncompute: azureml:small\nresources:\n  cpu: 1\n"})
	out := s.ok("job", "create", "-f", filepath.Join(dir, "onsmall.yml"), "--stream")
	if !strings.Contains(out, "on small") {
		t.Errorf("job on small:\n%s", out)
	}
}
