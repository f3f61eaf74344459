package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// jobsClient starts a server in a fresh home and returns a client for it.
func jobsClient(t *testing.T) (*proc, *client.Client) {
	t.Helper()
	p := up(t, t.TempDir())
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

// submit creates a job from a spec and fails the test on error.
func submit(t *testing.T, c *client.Client, sp lathe.JobSpec) *lathe.Job {
	t.Helper()
	j, err := c.CreateJob(context.Background(), lathe.DefaultWorkspace, client.SubmitRequest{Spec: sp})
	if err != nil {
		t.Fatalf("submit %q: %v", sp.Command, err)
	}
	return j
}

// waitJob polls a job until pred holds or the deadline passes.
func waitJob(t *testing.T, c *client.Client, name string, within time.Duration, pred func(*lathe.Job) bool) *lathe.Job {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		j, err := c.Job(context.Background(), lathe.DefaultWorkspace, name)
		if err == nil && pred(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: condition not reached in %s; last: %+v (err %v)", name, within, j, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ended(j *lathe.Job) bool { return lathe.JobTerminal(j.Status) }

// logText returns a job's whole log.
func logText(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	page, err := c.JobLogs(context.Background(), lathe.DefaultWorkspace, name, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, l := range page.Items {
		sb.WriteString(l.Text + "\n")
	}
	return sb.String()
}

func str(s string) *string { return &s }

// TestJobLifecycle runs command jobs through the real binary on local
// compute: literal inputs and optional fragments, a script that logs
// metrics through the MLflow REST API with curl, a timeout, a cancel that
// kills the whole process tree, and specs the server must refuse.
func TestJobLifecycle(t *testing.T) {
	t.Parallel()
	p, c := jobsClient(t)
	ctx := context.Background()

	t.Run("optional fragment set and unset", func(t *testing.T) {
		t.Parallel()
		cmd := "echo run $[[--opt ${{inputs.opt}}]] --n ${{inputs.n}}"
		with := submit(t, c, lathe.JobSpec{Command: cmd, Inputs: map[string]lathe.JobInput{
			"n": {Type: lathe.InputInteger, Value: str("3")}, "opt": {Type: lathe.InputString, Value: str("fast"), Optional: true}}})
		without := submit(t, c, lathe.JobSpec{Command: cmd, Inputs: map[string]lathe.JobInput{
			"n": {Type: lathe.InputInteger, Value: str("3")}, "opt": {Type: lathe.InputString, Optional: true}}})
		for _, tc := range []struct {
			job  *lathe.Job
			want string
		}{{with, "run --opt fast --n 3"}, {without, "run --n 3"}} {
			j := waitJob(t, c, tc.job.Name, time.Minute, ended)
			if j.Status != lathe.JobCompleted {
				t.Fatalf("%s ended %s: %s\n%s", j.Name, j.Status, j.Reason, logText(t, c, j.Name))
			}
			if log := logText(t, c, j.Name); !strings.Contains(log, "\n"+tc.want+"\n") {
				t.Errorf("%s printed:\n%s\nwant the line %q", j.Name, log, tc.want)
			}
		}
	})

	t.Run("mlflow metrics from curl land on the job's run", func(t *testing.T) {
		t.Parallel()
		script := `for i in 0 1 2; do
  curl -sf -X POST -H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" -H 'Content-Type: application/json' \
    "$MLFLOW_TRACKING_URI/api/2.0/mlflow/runs/log-metric" \
    -d "{\"run_id\":\"$MLFLOW_RUN_ID\",\"key\":\"loss\",\"value\":0.${i}5,\"timestamp\":$(date +%s)000,\"step\":$i}" || exit 7
done
echo logged`
		j := submit(t, c, lathe.JobSpec{Command: script, ExperimentName: "curl-metrics",
			Inputs: map[string]lathe.JobInput{"lr": {Type: lathe.InputNumber, Value: str("0.1")}}})
		j = waitJob(t, c, j.Name, time.Minute, ended)
		if j.Status != lathe.JobCompleted {
			t.Fatalf("job ended %s (%s):\n%s", j.Status, j.Reason, logText(t, c, j.Name))
		}
		var run struct {
			Run struct {
				Info struct {
					Status       string `json:"status"`
					ExperimentID string `json:"experiment_id"`
				} `json:"info"`
				Data struct {
					Metrics []struct {
						Key   string  `json:"key"`
						Value float64 `json:"value"`
						Step  int64   `json:"step"`
					} `json:"metrics"`
					Params []struct{ Key, Value string } `json:"params"`
				} `json:"data"`
			} `json:"run"`
		}
		// The run is ended just after the job's status is stored.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			mlflowGet(t, p.url, p.token(t), "/api/2.0/mlflow/runs/get?run_id="+j.RunID, &run)
			if run.Run.Info.Status == "FINISHED" || time.Now().After(deadline) {
				break
			}
		}
		if run.Run.Info.Status != "FINISHED" {
			t.Errorf("the job's run is %s, want FINISHED", run.Run.Info.Status)
		}
		if len(run.Run.Data.Metrics) != 1 || run.Run.Data.Metrics[0].Key != "loss" || run.Run.Data.Metrics[0].Step != 2 || run.Run.Data.Metrics[0].Value != 0.25 {
			t.Errorf("the run's latest metrics are %+v, want loss=0.25 at step 2", run.Run.Data.Metrics)
		}
		if len(run.Run.Data.Params) != 1 || run.Run.Data.Params[0].Key != "lr" || run.Run.Data.Params[0].Value != "0.1" {
			t.Errorf("the run's params are %+v, want the literal input lr=0.1", run.Run.Data.Params)
		}
		var hist struct {
			Metrics []struct{ Step int64 } `json:"metrics"`
		}
		mlflowGet(t, p.url, p.token(t), "/api/2.0/mlflow/metrics/get-history?run_id="+j.RunID+"&metric_key=loss", &hist)
		if len(hist.Metrics) != 3 {
			t.Errorf("loss history has %d points, want 3", len(hist.Metrics))
		}
		if run.Run.Info.ExperimentID != j.ExperimentID || j.ExperimentID == "0" {
			t.Errorf("run experiment %s, job experiment %s: want the curl-metrics experiment", run.Run.Info.ExperimentID, j.ExperimentID)
		}
	})

	t.Run("url input downloaded once into the cache", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			fmt.Fprint(w, "a,b\n1,2\n3,4\n")
		}))
		defer srv.Close()
		for i := 0; i < 2; i++ {
			j := submit(t, c, lathe.JobSpec{Command: "echo rows=$(wc -l < ${{inputs.table}})",
				Inputs: map[string]lathe.JobInput{"table": {Type: lathe.DataURIFile, Path: srv.URL + "/table.csv"}}})
			j = waitJob(t, c, j.Name, time.Minute, ended)
			if j.Status != lathe.JobCompleted {
				t.Fatalf("job %d ended %s (%s):\n%s", i, j.Status, j.Reason, logText(t, c, j.Name))
			}
			if log := logText(t, c, j.Name); !strings.Contains(log, "rows=3") {
				t.Errorf("job %d did not read the downloaded file:\n%s", i, log)
			}
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("the URL was fetched %d times for two jobs, want once (the download cache)", n)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		j := submit(t, c, lathe.JobSpec{Command: "echo start; sleep 60", Timeout: 1})
		j = waitJob(t, c, j.Name, 30*time.Second, ended)
		if j.Status != lathe.JobFailed || j.Failure != lathe.FailureTimeout {
			t.Fatalf("job ended %s/%s (%s), want failed/timeout", j.Status, j.Failure, j.Reason)
		}
		if !strings.Contains(j.Reason, "1s") && !strings.Contains(j.Reason, "timeout") {
			t.Errorf("reason %q does not say the timeout was reached", j.Reason)
		}
		if d := j.EndedAt.Sub(j.CreatedAt); d > 20*time.Second {
			t.Errorf("a 1s timeout ended the job after %s", d)
		}
	})

	t.Run("cancel kills the process tree", func(t *testing.T) {
		t.Parallel()
		pidFile := filepath.Join(t.TempDir(), "child.pid")
		j := submit(t, c, lathe.JobSpec{Command: fmt.Sprintf("sleep 300 & echo $! > %s; echo started; wait", pidFile)})
		waitJob(t, c, j.Name, 30*time.Second, func(j *lathe.Job) bool { return j.Status == lathe.JobRunning })
		deadline := time.Now().Add(20 * time.Second)
		var pid int
		for pid == 0 && time.Now().Before(deadline) {
			if b, err := os.ReadFile(pidFile); err == nil {
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if pid == 0 {
			t.Fatal("the job never wrote its child's pid")
		}
		if _, err := c.CancelJob(ctx, lathe.DefaultWorkspace, j.Name); err != nil {
			t.Fatal(err)
		}
		j = waitJob(t, c, j.Name, 30*time.Second, ended)
		if j.Status != lathe.JobCanceled {
			t.Fatalf("job ended %s (%s), want canceled", j.Status, j.Reason)
		}
		gone := false
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if syscall.Kill(pid, 0) != nil {
				gone = true
				break
			}
		}
		if !gone {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("the job's child process %d outlived the cancel", pid)
		}
		evs, err := c.JobEvents(ctx, lathe.DefaultWorkspace, j.Name)
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for i, e := range evs {
			statuses = append(statuses, e.Status)
			if i > 0 && e.At.Before(evs[i-1].At) {
				t.Errorf("event %d at %s is before the one before it", e.Seq, e.At)
			}
		}
		if got := strings.Join(statuses, ","); !strings.HasPrefix(got, "queued,preparing,running") || !strings.HasSuffix(got, "canceled") {
			t.Errorf("events %s, want queued → preparing → running → … → canceled", got)
		}
	})

	t.Run("failing command", func(t *testing.T) {
		t.Parallel()
		j := submit(t, c, lathe.JobSpec{Command: "echo oops >&2; exit 3"})
		j = waitJob(t, c, j.Name, 30*time.Second, ended)
		if j.Status != lathe.JobFailed || j.ExitCode == nil || *j.ExitCode != 3 || j.Failure != lathe.FailureUser {
			t.Fatalf("job ended %s/%s exit %v, want failed/user exit 3", j.Status, j.Failure, j.ExitCode)
		}
		if !strings.Contains(j.Reason, "3") {
			t.Errorf("reason %q does not give the exit status", j.Reason)
		}
		if log := logText(t, c, j.Name); !strings.Contains(log, "oops") {
			t.Errorf("stderr is not in the log:\n%s", log)
		}
	})

	t.Run("bad input is refused before anything runs", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name string
			sp   lathe.JobSpec
			code string
			want string
		}{
			{"undefined input", lathe.JobSpec{Command: "echo ${{inputs.missing}}"}, lathe.EINVALID, "missing"},
			{"undefined output", lathe.JobSpec{Command: "ls ${{outputs.model}}"}, lathe.EINVALID, "model"},
			{"missing data", lathe.JobSpec{Command: "cat ${{inputs.d}}", Inputs: map[string]lathe.JobInput{"d": {Type: lathe.DataURIFile, Path: "azureml:nope:1"}}}, lathe.ENOTFOUND, "nope"},
			{"output escapes", lathe.JobSpec{Command: "ls ${{outputs.o}}", Outputs: map[string]lathe.JobOutput{"o": {Path: "../../etc"}}}, lathe.EINVALID, "o"},
			{"no such compute", lathe.JobSpec{Command: "true", Compute: "gpu-cluster"}, lathe.ENOTFOUND, "gpu-cluster"},
			{"too large", lathe.JobSpec{Command: strings.Repeat("x", lathe.MaxCommandLen+1)}, lathe.ETOOLARGE, "limit"},
		} {
			_, err := c.CreateJob(ctx, lathe.DefaultWorkspace, client.SubmitRequest{Spec: tc.sp})
			if err == nil || !lathe.IsCode(err, tc.code) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err = %v, want %s naming %q", tc.name, err, tc.code, tc.want)
			}
		}
		page, _, err := c.Jobs(ctx, lathe.DefaultWorkspace, []string{lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning}, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range page {
			if strings.Contains(j.Spec.Command, "gpu-cluster") || j.Spec.Compute == "gpu-cluster" {
				t.Errorf("a refused job was queued: %s", j.Name)
			}
		}
	})
}

// TestJobSurvivesServerRestart kills the server with SIGKILL while a job
// runs and starts it again on the same data dir: the job's wrapper keeps
// running in its own process group, the restarted controller takes the job
// back, and the job completes with its whole log; a job whose process is
// gone by then is failed with that reason, not left running.
func TestJobSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	p := up(t, home)
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	survivor := submit(t, c, lathe.JobSpec{Command: "echo before; sleep 4; echo after"})
	waitJob(t, c, survivor.Name, 30*time.Second, func(j *lathe.Job) bool { return j.Status == lathe.JobRunning })
	pidFile := filepath.Join(t.TempDir(), "wrapper.pid")
	victim := submit(t, c, lathe.JobSpec{Command: fmt.Sprintf("echo $PPID > %s; sleep 300", pidFile)})
	waitJob(t, c, victim.Name, 30*time.Second, func(j *lathe.Job) bool { return j.Status == lathe.JobRunning })
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.done <- <-p.done // wait for the exit, and leave it for the cleanup
	// The victim's whole process group dies while the server is down.
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	shellPid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	pgid, err := syscall.Getpgid(shellPid)
	if err != nil {
		t.Fatalf("find the victim's process group: %v", err)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)

	addr := strings.TrimPrefix(p.url, "http://")
	p2 := upAt(t, home, addr)
	c2, err := client.New(p2.url, p2.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c2, survivor.Name, time.Minute, ended)
	if j.Status != lathe.JobCompleted {
		t.Errorf("the surviving job ended %s (%s)\n%s", j.Status, j.Reason, logText(t, c2, j.Name))
	} else if log := logText(t, c2, j.Name); !strings.Contains(log, "before") || !strings.Contains(log, "after") {
		t.Errorf("the surviving job's log lost lines:\n%s", log)
	}
	v := waitJob(t, c2, victim.Name, time.Minute, ended)
	if v.Status != lathe.JobFailed || v.Reason == "" {
		t.Errorf("the job whose process died with the server ended %s (%q), want failed with a reason", v.Status, v.Reason)
	}
}

// upAt starts `lathe up` on a given address (the one a killed server had,
// so its jobs' wrappers find the new one).
func upAt(t *testing.T, home, addr string) *proc {
	t.Helper()
	for i := 0; i < 50; i++ {
		// The port may linger for a moment after the kill.
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return up(t, home, "--addr", addr)
}

// mlflowGet calls the MLflow REST API of the default workspace with the
// token.
func mlflowGet(t *testing.T, base, token, path string, out any) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestJobDataReferences runs jobs whose inputs name data the three ways
// Azure YAML does: a data asset (name@latest and name:version), a datastore
// path, and another job's output (azureml://jobs/<job>/outputs/<o>), and
// checks each job's lineage.
func TestJobDataReferences(t *testing.T) {
	t.Parallel()
	p, c := jobsClient(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rows.csv"), []byte("x\n1\n2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := p.cliEnv(t)
	stdout, stderr, code := run(t, env, "data", "create", "--name", "rows", "--type", "uri_folder", "--path", dir, "-o", "json")
	if code != 0 {
		t.Fatalf("data create: exit %d\n%s", code, stderr)
	}
	var v lathe.DataVersion
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	producer := submit(t, c, lathe.JobSpec{Command: "cat ${{inputs.rows}}/rows.csv | tail -n +2 > ${{outputs.nums}}/nums.txt",
		Inputs:  map[string]lathe.JobInput{"rows": {Type: lathe.DataURIFolder, Path: "azureml:rows@latest"}},
		Outputs: map[string]lathe.JobOutput{"nums": {Type: lathe.DataURIFolder}}})
	producer = waitJob(t, c, producer.Name, time.Minute, ended)
	if producer.Status != lathe.JobCompleted {
		t.Fatalf("producer ended %s (%s)\n%s", producer.Status, producer.Reason, logText(t, c, producer.Name))
	}
	consumer := submit(t, c, lathe.JobSpec{Command: "echo sum=$(( $(paste -sd+ ${{inputs.nums}}/nums.txt) )); echo lines=$(wc -l < ${{inputs.raw}}/rows.csv)",
		Inputs: map[string]lathe.JobInput{
			"nums": {Type: lathe.DataURIFolder, Path: lathe.JobOutputURI(producer.Name, "nums")},
			"raw":  {Type: lathe.DataURIFolder, Path: v.Path},
		}})
	consumer = waitJob(t, c, consumer.Name, time.Minute, ended)
	if consumer.Status != lathe.JobCompleted {
		t.Fatalf("consumer ended %s (%s)\n%s", consumer.Status, consumer.Reason, logText(t, c, consumer.Name))
	}
	if log := logText(t, c, consumer.Name); !strings.Contains(log, "sum=6") || !strings.Contains(log, "lines=4") {
		t.Errorf("the consumer read:\n%s", log)
	}
	lin, err := c.JobLineage(ctx, lathe.DefaultWorkspace, consumer.Name)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range lin {
		got[l.Direction+" "+l.Port] = l.DataName + ":" + l.DataVersion
	}
	if got["input nums"] != lathe.DefaultOutputName(producer.Name, "nums")+":1" || got["input raw"] == "" {
		t.Errorf("consumer lineage %v: want nums from %s's output and raw from the datastore path", got, producer.Name)
	}
	// A data version the workspace does not have is refused at submit.
	_, err = c.CreateJob(ctx, lathe.DefaultWorkspace, client.SubmitRequest{Spec: lathe.JobSpec{Command: "ls ${{inputs.d}}",
		Inputs: map[string]lathe.JobInput{"d": {Type: lathe.DataURIFolder, Path: "azureml:rows:9"}}}})
	if !lathe.IsCode(err, lathe.ENOTFOUND) {
		t.Errorf("rows:9: err = %v, want not found", err)
	}
}
