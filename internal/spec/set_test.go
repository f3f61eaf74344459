package spec

import (
	"strings"
	"testing"
	"time"
)

const setJob = `command: python t.py --lr ${{inputs.lr}} --epochs ${{inputs.epochs}} --fast ${{inputs.fast}} --name ${{inputs.name}}
inputs:
  lr: 0.01
  epochs: 10
  fast: false
  name: base
limits:
  timeout: 60
`

func TestSet(t *testing.T) {
	t.Parallel()
	base, err := Parse("job.yml", []byte(setJob))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sets []string
		err  string
		test func(*CommandJob) bool
	}{
		{"number", []string{"inputs.lr=0.5"}, "", func(j *CommandJob) bool { return j.Inputs["lr"].Value.Text == "0.5" }},
		{"integer where a number was", []string{"inputs.lr=1"}, "", func(j *CommandJob) bool { return j.Inputs["lr"].Value.Type == TypeInteger }},
		{"several", []string{"inputs.epochs=20", "inputs.fast=true", "display_name=nightly run"}, "", func(j *CommandJob) bool {
			return j.Inputs["epochs"].Value.Text == "20" && j.Inputs["fast"].Value.Text == "true" && j.DisplayName == "nightly run"
		}},
		{"string takes anything", []string{"inputs.name=42"}, "", func(j *CommandJob) bool { return j.Inputs["name"].Value.Text == "42" }},
		{"new mapping", []string{"tags.team=ml", "tags.owner=ada"}, "", func(j *CommandJob) bool { return j.Tags["team"] == "ml" && j.Tags["owner"] == "ada" }},
		{"flow mapping value", []string{"resources={cpu: 2, memory: 1Gi}"}, "", func(j *CommandJob) bool { return j.Resources.CPUMilli == 2000 }},
		{"nested new field", []string{"limits.timeout=120"}, "", func(j *CommandJob) bool { return j.Limits.Timeout == 2*time.Minute }},
		{"empty value", []string{"description="}, "", func(j *CommandJob) bool { return j.Description == "" }},
		{"value with equals", []string{"environment_variables.OPTS=a=b"}, "", func(j *CommandJob) bool { return j.EnvironmentVariables["OPTS"] == "a=b" }},
		{"new input needs a command reference? no: extra inputs are allowed", []string{"inputs.extra=1"}, "", func(j *CommandJob) bool { return j.Inputs["extra"] != nil }},
		{"number refuses text", []string{"inputs.lr=fast"}, `--set inputs.lr=fast: inputs.lr is a number at job.yml:3:7; the new value must be a number too, not "fast"`, nil},
		{"integer refuses a fraction", []string{"inputs.epochs=2.5"}, "inputs.epochs is an integer at job.yml:4:11; the new value must be an integer too, not the number 2.5", nil},
		{"boolean refuses text", []string{"inputs.fast=yes"}, `inputs.fast is true or false at job.yml:5:9; the new value must be true or false too, not "yes"`, nil},
		{"validation applies", []string{"limits.timeout=30m"}, `--set limits.timeout=30m: limits.timeout is an integer at job.yml:8:12; the new value must be an integer too, not "30m"`, nil},
		{"unknown field", []string{"comand=x"}, `--set comand=x: unknown field "comand" in commandJob (did you mean "command"?)`, nil},
		{"through a value", []string{"inputs.lr.path=./x"}, "--set inputs.lr.path=./x: inputs.lr is the number 0.01, not a mapping of fields; set inputs.lr itself", nil},
		{"no equals", []string{"inputs.lr"}, "--set inputs.lr: write key=value", nil},
		{"empty segment", []string{"inputs..lr=1"}, "has an empty field name", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Set(base, tc.sets...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Set(%v) = %v, want error %q", tc.sets, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.test(doc.(*CommandJob)) {
				t.Errorf("Set(%v) gave %+v", tc.sets, doc)
			}
		})
	}
	// Sets accumulate, and the original is unchanged.
	once, err := Set(base, "inputs.lr=0.2")
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Set(once, "inputs.epochs=3")
	if err != nil {
		t.Fatal(err)
	}
	j := twice.(*CommandJob)
	if j.Inputs["lr"].Value.Text != "0.2" || j.Inputs["epochs"].Value.Text != "3" || base.(*CommandJob).Inputs["lr"].Value.Text != "0.01" {
		t.Errorf("accumulated sets: lr %s epochs %s base %s", j.Inputs["lr"].Value.Text, j.Inputs["epochs"].Value.Text, base.(*CommandJob).Inputs["lr"].Value.Text)
	}
}

func TestSetPipelineStep(t *testing.T) {
	t.Parallel()
	base := parseFile(t, "testdata/azure/hello-pipeline-io.yml")
	doc, err := Set(base, "jobs.hello_job.compute=azureml:gpu", "settings.default_compute=cpu", "settings.force_rerun=true")
	if err != nil {
		t.Fatal(err)
	}
	p := doc.(*PipelineJob)
	if p.StepCompute("hello_job") != "gpu" || p.StepCompute("world_job") != "cpu-cluster" || !p.Settings.ForceRerun {
		t.Errorf("pipeline = %+v", p.Settings)
	}
	_, err = Set(base, "jobs.world_job.inputs.world_input=${{parent.jobs.nope.outputs.x}}")
	if err == nil || !strings.Contains(err.Error(), `jobs.world_job.inputs.world_input: ${{parent.jobs.nope.outputs.x}} refers to an undefined step "nope"`) {
		t.Errorf("binding set: %v", err)
	}
	if _, err := Set(parseFile(t, "testdata/good/schedule-inline.yml").(*Schedule).CreateJob.Inline, "x=1"); err == nil {
		t.Error("Set accepted an inline document")
	}
}
