package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
)

// TestPipelineSchedules schedules pipeline jobs: a cron schedule whose
// create_job is a pipeline file, and a data trigger that starts the
// pipeline when a new version of a data asset is created, passing it as
// the pipeline's input.
func TestPipelineSchedules(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	mustJSON := func(out any, args ...string) {
		t.Helper()
		stdout, stderr, code := run(t, env, append(args, "-o", "json")...)
		if code != 0 {
			t.Fatalf("lathe %v: exit %d\n%s", args, code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			t.Fatalf("lathe %v: %v\n%s", args, err, stdout)
		}
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"count.yml": `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
inputs:
  rows:
    type: uri_folder
    path: azureml:sales@latest
jobs:
  count:
    command: wc -l < ${{inputs.rows}}/rows.csv > ${{outputs.n}}/n.txt
    inputs:
      rows: ${{parent.inputs.rows}}
    outputs:
      n: {type: uri_folder}
  show:
    command: echo rows=$(cat ${{inputs.n}}/n.txt)
    inputs:
      n: ${{parent.jobs.count.outputs.n}}
`,
		"nightly.yml": `name: nightly-count
trigger:
  type: cron
  expression: "0 3 * * *"
  time_zone: UTC
create_job: ./count.yml
`,
		"v1/rows.csv": "a\nb\n",
		"v2/rows.csv": "a\nb\nc\nd\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var v lathe.DataVersion
	mustJSON(&v, "data", "create", "--name", "sales", "--type", "uri_folder", "--path", filepath.Join(dir, "v1"))

	var cron lathe.Schedule
	mustJSON(&cron, "schedule", "create", "-f", filepath.Join(dir, "nightly.yml"))
	if cron.Kind != lathe.SchedulePipeline || cron.NextFireAt == nil || cron.NextFireAt.UTC().Hour() != 3 {
		t.Fatalf("the cron schedule of a pipeline file: kind %q, next %v", cron.Kind, cron.NextFireAt)
	}

	var onData lathe.Schedule
	mustJSON(&onData, "schedule", "create", "--name", "on-sales", "--on-data", "sales", "--input", "rows", "--job", filepath.Join(dir, "count.yml"))
	if onData.Kind != lathe.SchedulePipeline {
		t.Fatalf("data trigger kind %q, want pipeline", onData.Kind)
	}
	if _, stderr, code := run(t, env, "schedule", "create", "--name", "bad", "--on-data", "sales", "--input", "nope", "--job", filepath.Join(dir, "count.yml")); code == 0 || !strings.Contains(stderr, `"nope" is not an input of the pipeline`) {
		t.Fatalf("a data trigger naming no pipeline input: exit %d\n%s", code, stderr)
	}
	mustJSON(&v, "data", "create", "--name", "sales", "--type", "uri_folder", "--path", filepath.Join(dir, "v2"))
	deadline := time.Now().Add(40 * time.Second)
	for onData.LastJob == "" && onData.LastError == "" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		mustJSON(&onData, "schedule", "show", "on-sales")
	}
	if onData.LastJob == "" {
		t.Fatalf("no pipeline within 40s of the new version: %+v\n%s", onData, p.stderr)
	}
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, onData.LastJob, time.Minute, ended)
	if j.Status != lathe.JobCompleted || j.Type != "pipeline" || j.Spec.Tags["lathe.schedule"] != "on-sales" {
		t.Fatalf("the triggered pipeline %s ended %s (%s), type %s, tags %v", j.Name, j.Status, j.Reason, j.Type, j.Spec.Tags)
	}
	log := logText(t, c, j.Name+"-show")
	if !strings.Contains(log, "rows=4") {
		t.Errorf("the pipeline did not read version 2 (4 rows):\n%s", log)
	}
}
