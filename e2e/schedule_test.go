package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
)

// TestScheduleCLI drives `lathe schedule` against the real binary: a cron
// schedule from Azure YAML whose create_job is a job file with a code
// folder and an override, listed and shown with its next five fire times,
// disabled, enabled and deleted; an inline recurrence job; a file error
// with its line; and a data trigger whose job runs, within seconds of a new
// data version, with that version as its input.
func TestScheduleCLI(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		return run(t, env, args...)
	}
	mustJSON := func(out any, args ...string) {
		t.Helper()
		stdout, stderr, code := cli(append(args, "-o", "json")...)
		if code != 0 {
			t.Fatalf("lathe %v: exit %d\n%s", args, code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			t.Fatalf("lathe %v: %v\n%s", args, err, stdout)
		}
	}

	dir := t.TempDir()
	files := map[string]string{
		"nightly.yml": `$schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
name: nightly
display_name: Nightly retrain
trigger:
  type: cron
  expression: "0 2 * * MON-FRI"
  time_zone: Pacific Standard Time
create_job:
  job: ./jobs/train.yml
  inputs:
    lr: 0.5
`,
		"jobs/train.yml": `command: sh train.sh ${{inputs.lr}}
code: src
inputs:
  lr: 0.1
`,
		"jobs/src/train.sh": "echo lr=$1\n",
		"weekly.yml": `name: weekly
trigger:
  type: recurrence
  frequency: week
  interval: 1
  schedule:
    week_days: [monday, thursday]
    hours: [6]
    minutes: [30]
create_job:
  type: command
  command: echo weekly
`,
		"bad.yml": `name: bad
trigger:
  type: cron
  expression: "0 25 * * *"
create_job: ./jobs/train.yml
`,
		"on-data.yml": `command: wc -l < ${{inputs.rows}}/rows.csv
inputs:
  rows:
    type: uri_folder
    path: azureml:bank:1
`,
		"bank/rows.csv":  "a\nb\n",
		"bank2/rows.csv": "a\nb\nc\n",
	}
	for name, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var nightly lathe.Schedule
	mustJSON(&nightly, "schedule", "create", "-f", filepath.Join(dir, "nightly.yml"))
	if !nightly.Enabled || nightly.NextFireAt == nil || len(nightly.Upcoming) != 5 {
		t.Fatalf("created: %+v", nightly)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	for _, u := range nightly.Upcoming {
		if l := u.In(la); l.Hour() != 2 || l.Minute() != 0 || l.Weekday() == time.Saturday || l.Weekday() == time.Sunday {
			t.Fatalf("fire time %s is %s in Los Angeles, not 02:00 on a weekday", u, l)
		}
	}
	spec, _ := json.Marshal(nightly.Spec)
	if !strings.Contains(string(spec), `"manifest"`) || !strings.Contains(string(spec), `"value":"0.5"`) {
		t.Fatalf("the job was not resolved (code uploaded, override applied): %s", spec)
	}

	var weekly lathe.Schedule
	mustJSON(&weekly, "schedule", "create", "-f", filepath.Join(dir, "weekly.yml"), "--disabled")
	if weekly.Enabled || weekly.NextFireAt != nil {
		t.Fatalf("created disabled: %+v", weekly)
	}

	if _, stderr, code := cli("schedule", "create", "-f", filepath.Join(dir, "bad.yml")); code == 0 || !strings.Contains(stderr, "bad.yml:4") {
		t.Fatalf("bad cron: exit %d, stderr %s", code, stderr)
	}

	out, _, code := cli("schedule", "list")
	if code != 0 || !strings.Contains(out, "nightly") || !strings.Contains(out, "cron 0 2 * * MON-FRI (Pacific Standard Time)") || !strings.Contains(out, "every 1 week on monday,thursday") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	out, _, code = cli("schedule", "show", "nightly")
	if code != 0 || strings.Count(out, "PST") < 5 || !strings.Contains(out, "sh train.sh") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}

	var sc lathe.Schedule
	mustJSON(&sc, "schedule", "enable", "weekly")
	if !sc.Enabled || len(sc.Upcoming) != 5 || sc.Upcoming[0].Weekday() != time.Monday && sc.Upcoming[0].Weekday() != time.Thursday {
		t.Fatalf("enabled: %+v", sc)
	}
	var off lathe.Schedule
	mustJSON(&off, "schedule", "disable", "nightly")
	if off.Enabled || off.NextFireAt != nil || len(off.Upcoming) != 0 {
		t.Fatalf("disabled: %+v", off)
	}
	if _, _, code := cli("schedule", "delete", "weekly"); code != 0 {
		t.Fatalf("delete: exit %d", code)
	}
	if _, stderr, code := cli("schedule", "show", "weekly"); code == 0 || !strings.Contains(stderr, "not found") {
		t.Fatalf("show after delete: exit %d %s", code, stderr)
	}

	// A data trigger: version 1 exists when it is created and does not fire;
	// version 2 fires a job that reads it.
	var v lathe.DataVersion
	mustJSON(&v, "data", "create", "--name", "bank", "--type", "uri_folder", "--path", filepath.Join(dir, "bank"))
	var onData lathe.Schedule
	mustJSON(&onData, "schedule", "create", "--name", "on-bank", "--on-data", "bank", "--input", "rows", "--job", filepath.Join(dir, "on-data.yml"))
	if onData.LastDataVersion != "1" {
		t.Fatalf("data trigger baseline = %q, want 1", onData.LastDataVersion)
	}
	mustJSON(&v, "data", "create", "--name", "bank", "--type", "uri_folder", "--path", filepath.Join(dir, "bank2"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		onData = lathe.Schedule{}
		mustJSON(&onData, "schedule", "show", "on-bank")
		if onData.LastJob != "" || onData.LastError != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if onData.LastJob == "" || onData.LastDataVersion != "2" {
		t.Fatalf("no job within 30s of the new version: %+v\n%s", onData, p.stderr)
	}
	var job lathe.Job
	for {
		mustJSON(&job, "job", "show", onData.LastJob)
		if lathe.JobTerminal(job.Status) || time.Now().After(deadline.Add(30*time.Second)) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if job.Status != lathe.JobCompleted || job.Spec.Inputs["rows"].Path != "azureml:bank:2" || job.Spec.Tags["lathe.schedule"] != "on-bank" {
		t.Fatalf("the triggered job: status %s reason %q input %+v tags %v", job.Status, job.Reason, job.Spec.Inputs["rows"], job.Spec.Tags)
	}
	logs, _, _ := cli("job", "stream", onData.LastJob)
	if !strings.Contains("\n"+logs+"\n", "\n3\n") {
		t.Fatalf("the job did not read version 2 (3 rows):\n%s", logs)
	}
}
