package exec

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// fakeServer answers the API calls of one job's wrapper.
type fakeServer struct {
	plan lathe.JobPlan

	mu      sync.Mutex
	batches [][]lathe.LogLine
	started int
	comp    *client.Completion
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix := "/api/v1/workspaces/" + f.plan.Job.Workspace + "/jobs/" + f.plan.Job.Name + "/"
	what, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.Error(w, `{"error":{"code":"not_found","message":"no such path"}}`, http.StatusNotFound)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch what {
	case "plan":
		_ = json.NewEncoder(w).Encode(f.plan)
		return
	case "started":
		f.started++
	case "logs":
		var in struct {
			Lines []lathe.LogLine `json:"lines"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.batches = append(f.batches, in.Lines)
	case "complete":
		var c client.Completion
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.comp = &c
	default:
		http.Error(w, `{"error":{"code":"not_found","message":"no such call"}}`, http.StatusNotFound)
		return
	}
	_, _ = w.Write([]byte("{}"))
}

// lines returns every shipped line's text of a stream ("" for all).
func (f *fakeServer) lines(stream string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.batches {
		for _, l := range b {
			if stream == "" || l.Stream == stream {
				out = append(out, l.Text)
			}
		}
	}
	return out
}

func testPlan(command string) lathe.JobPlan {
	return lathe.JobPlan{Job: lathe.Job{ID: lathe.NewID(), Name: "brave_lamp", Workspace: "team", RunID: "run123", ExperimentID: "7", Attempt: 2,
		Spec: lathe.JobSpec{Command: command}}, KillGrace: 2000}
}

// runJob runs the wrapper against a fake server and returns the server
// and the job's directory.
func runJob(t *testing.T, plan lathe.JobPlan, environ []string) (*fakeServer, string) {
	t.Helper()
	f := &fakeServer{plan: plan}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "job-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "job")
	if environ == nil {
		environ = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/nonexistent"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = Run(ctx, Options{Client: c, Workspace: plan.Job.Workspace, Job: plan.Job.Name, ServerURL: srv.URL + "/", Token: "job-token",
		Dir: dir, Cache: filepath.Join(t.TempDir(), "cache"), Environ: environ, Retry: time.Second})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if f.comp == nil {
		t.Fatal("the wrapper did not report the job's end")
	}
	return f, dir
}

func TestRunCommandEnvironment(t *testing.T) {
	t.Parallel()
	plan := testPlan(`for v in MLFLOW_TRACKING_URI MLFLOW_RUN_ID MLFLOW_EXPERIMENT_ID MLFLOW_TRACKING_TOKEN LATHE_WORKSPACE LATHE_JOB LATHE_JOB_ID LATHE_ATTEMPT LATHE_RUN_ID AZURE_ML_INPUT_lr LATHE_INPUT_lr MINE; do eval "echo $v=\$$v"; done; echo PWD=$(pwd); echo err >&2`)
	plan.Job.Spec.Inputs = map[string]lathe.JobInput{"lr": {Type: lathe.InputNumber, Value: strp("0.1")}}
	plan.Job.Spec.EnvironmentVariables = map[string]string{"MINE": "mine", "LATHE_RUN_ID": "overridden"}
	f, dir := runJob(t, plan, nil)
	if f.comp.Failure != "" || f.comp.ExitCode == nil || *f.comp.ExitCode != 0 {
		t.Fatalf("completion = %+v", f.comp)
	}
	out := f.lines(lathe.StreamStdout)
	want := map[string]string{
		"MLFLOW_RUN_ID": "run123", "MLFLOW_EXPERIMENT_ID": "7", "MLFLOW_TRACKING_TOKEN": "job-token",
		"LATHE_WORKSPACE": "team", "LATHE_JOB": "brave_lamp", "LATHE_JOB_ID": plan.Job.ID, "LATHE_ATTEMPT": "2",
		"LATHE_RUN_ID": "overridden", "AZURE_ML_INPUT_lr": "0.1", "LATHE_INPUT_lr": "0.1", "MINE": "mine",
		"PWD": filepath.Join(dir, "wd"),
	}
	got := map[string]string{}
	for _, l := range out {
		if k, v, ok := strings.Cut(l, "="); ok {
			got[k] = v
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if u := got["MLFLOW_TRACKING_URI"]; !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, "/w/team") || strings.Contains(u, "//w/") {
		t.Errorf("MLFLOW_TRACKING_URI = %q, want <server>/w/team", u)
	}
	if e := f.lines(lathe.StreamStderr); len(e) != 1 || e[0] != "err" {
		t.Errorf("stderr lines = %q", e)
	}
	if f.started != 1 {
		t.Errorf("started reported %d times", f.started)
	}
	// The log stays on the machine; staged folders are removed.
	b, err := os.ReadFile(filepath.Join(dir, "logs", "std_log.txt"))
	if err != nil || !strings.Contains(string(b), "MLFLOW_RUN_ID=run123") {
		t.Errorf("std_log.txt: %v %q", err, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "wd")); !os.IsNotExist(err) {
		t.Errorf("wd was not removed: %v", err)
	}
}

func strp(s string) *string { return &s }

func TestCommandEnv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		environ []string
		bin     string
		envVars []string
		jobVars map[string]string
		want    map[string]string
		absent  []string
	}{
		{"plain", []string{"PATH=/usr/bin", "HOME=/h"}, "", nil, nil,
			map[string]string{"PATH": "/usr/bin", "HOME": "/h", "PYTHONUNBUFFERED": "1", "MLFLOW_TRACKING_URI": "http://srv:8080/w/team",
				"TMPDIR": "/jobs/x/tmp", "LATHE_JOB_DIR": "/jobs/x", "AZURE_ML_OUTPUT_model": "/jobs/x/outputs/model"}, nil},
		{"bin first on PATH", []string{"PATH=/usr/bin:/bin"}, "/opt/lathe", nil, nil,
			map[string]string{"PATH": "/opt/lathe:/usr/bin:/bin"}, nil},
		{"bin without PATH", nil, "/opt/lathe", nil, nil, map[string]string{"PATH": "/opt/lathe"}, nil},
		{"python unbuffered kept", []string{"PYTHONUNBUFFERED=0"}, "", nil, nil, map[string]string{"PYTHONUNBUFFERED": "0"}, nil},
		{"environment adds", []string{"PATH=/usr/bin"}, "/opt/lathe", []string{"VIRTUAL_ENV=/venv"}, nil,
			map[string]string{"PATH": "/venv/bin:/opt/lathe:/usr/bin", "VIRTUAL_ENV": "/venv"}, nil},
		{"job variables win", []string{"PATH=/usr/bin"}, "", []string{"VIRTUAL_ENV=/venv"},
			map[string]string{"MLFLOW_TRACKING_URI": "http://elsewhere", "VIRTUAL_ENV": "/mine", "PATH": "/only"},
			map[string]string{"MLFLOW_TRACKING_URI": "http://elsewhere", "VIRTUAL_ENV": "/mine", "PATH": "/only"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := testPlan("true")
			plan.Job.Spec.EnvironmentVariables = tc.jobVars
			w := &wrapper{o: Options{ServerURL: "http://srv:8080/", Token: "tok", Dir: "/jobs/x", Environ: tc.environ, BinDir: tc.bin}, plan: &plan}
			re := &runEnv{vars: tc.envVars}
			if contains(tc.envVars, "VIRTUAL_ENV=/venv") {
				re.path = "/venv/bin"
			}
			vars, jobVars := w.commandEnv(re, map[string]string{"inputs.a": "1", "outputs.model": "/jobs/x/outputs/model"})
			got := map[string]string{}
			for _, kv := range vars {
				k, v, _ := strings.Cut(kv, "=")
				if _, dup := got[k]; dup {
					t.Errorf("%s is set twice", k)
				}
				got[k] = v
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			// What a container is handed: the job's variables, not the
			// wrapper's own environment.
			for _, k := range jobVars {
				for _, kv := range tc.environ {
					if strings.HasPrefix(kv, k+"=") && tc.jobVars[k] == "" && k != "PATH" {
						t.Errorf("container would get the wrapper's own %s", k)
					}
				}
			}
			if !contains(jobVars, "MLFLOW_RUN_ID") || !contains(jobVars, "AZURE_ML_INPUT_a") {
				t.Errorf("container variables %v miss the job's", jobVars)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRunBindsCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		command string
		inputs  map[string]lathe.JobInput
		out     string // the command's output
		failure string
		reason  string
	}{
		{"literal", "echo n=${{inputs.n}}", map[string]lathe.JobInput{"n": {Type: lathe.InputInteger, Value: strp("3")}}, "n=3", "", ""},
		{"optional set", "echo a $[[--opt ${{inputs.o}}]] b", map[string]lathe.JobInput{"o": {Type: lathe.InputString, Value: strp("x"), Optional: true}}, "a --opt x b", "", ""},
		{"optional unset", "echo a $[[--opt ${{inputs.o}}]] b", map[string]lathe.JobInput{"o": {Type: lathe.InputString, Optional: true}}, "a b", "", ""},
		{"optional data unset", "echo a $[[--d ${{inputs.d}}]] b", map[string]lathe.JobInput{"d": {Type: lathe.DataURIFolder, Optional: true}}, "a b", "", ""},
		{"required unset", "echo ${{inputs.o}}", map[string]lathe.JobInput{"o": {Type: lathe.InputString}}, "", lathe.FailureUser, "command:"},
		{"output folder", "test -d ${{outputs.m}} && echo ok", nil, "ok", "", ""},
		{"failing command", "echo boom; exit 3", nil, "boom", lathe.FailureUser, "status 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := testPlan(tc.command)
			plan.Job.Spec.Inputs = tc.inputs
			if strings.Contains(tc.command, "outputs.m") {
				plan.Job.Spec.Outputs = map[string]lathe.JobOutput{"m": {Type: lathe.DataURIFolder}}
			}
			f, _ := runJob(t, plan, nil)
			if f.comp.Failure != tc.failure || !strings.Contains(f.comp.Reason, tc.reason) {
				t.Fatalf("completion = %+v, want failure %q with %q", f.comp, tc.failure, tc.reason)
			}
			out := strings.Join(f.lines(lathe.StreamStdout), "\n")
			if out != tc.out {
				t.Fatalf("output %q, want %q", out, tc.out)
			}
		})
	}
}

func TestImageEnvironmentWithoutRuntime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		runtime string
		says    string
	}{
		{"none configured", "", "no container runtime configured"},
		{"not installed", "lathe-no-such-runtime", "lathe-no-such-runtime, which is not on the compute's PATH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := testPlan("echo should-not-run")
			plan.Environment = lathe.EnvironmentSpec{Image: "python:3.12-slim"}
			plan.ContainerRuntime = tc.runtime
			f, _ := runJob(t, plan, nil)
			if f.comp.Failure != lathe.FailureUser || !strings.Contains(f.comp.Reason, tc.says) || !strings.Contains(f.comp.Reason, "python:3.12-slim") {
				t.Fatalf("completion = %+v, want a user failure saying %q", f.comp, tc.says)
			}
			if f.comp.ExitCode != nil || len(f.lines(lathe.StreamStdout)) != 0 {
				t.Fatalf("the command ran: %+v %q", f.comp, f.lines(lathe.StreamStdout))
			}
		})
	}
}

func TestPythonEnvironmentUnreachableIndex(t *testing.T) {
	t.Parallel()
	if err := exec.Command("python3", "-m", "venv", "--help").Run(); err != nil {
		t.Skipf("python3 -m venv is not available here: %v", err)
	}
	if err := exec.Command("python3", "-m", "pip", "--version").Run(); err != nil {
		t.Skipf("python3 -m pip is not available here: %v", err)
	}
	const index = "http://127.0.0.1:1/simple"
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PIP_RETRIES=0", "PIP_TIMEOUT=2", "PIP_NO_CACHE_DIR=1"}
	cases := []struct {
		name     string
		packages []string
		environ  []string
	}{
		{"PIP_INDEX_URL of the job's environment", []string{"lathe-no-such-package==1.0"}, append(append([]string(nil), base...), "PIP_INDEX_URL="+index)},
		{"--index-url line", []string{"--index-url " + index, "lathe-no-such-package==1.0"}, base},
		{"-i line", []string{"-i " + index, "lathe-no-such-package==1.0"}, base},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := testPlan("echo should-not-run")
			plan.Environment = lathe.EnvironmentSpec{Packages: tc.packages}
			f, _ := runJob(t, plan, tc.environ)
			if f.comp.Failure != lathe.FailureUser || !strings.Contains(f.comp.Reason, "package index "+index) ||
				!strings.Contains(f.comp.Reason, "cannot be reached") || !strings.Contains(f.comp.Reason, "lathe-no-such-package") {
				t.Fatalf("completion = %+v, want a user failure naming the index %s", f.comp, index)
			}
			if f.comp.ExitCode != nil {
				t.Fatalf("the command ran: %+v", f.comp)
			}
		})
	}
}
