package spec

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestGoodFiles(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/good/*.yml")
	if len(files) == 0 {
		t.Fatal("no good files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			parseFile(t, f)
		})
	}
}

func TestLatheCommandJob(t *testing.T) {
	t.Parallel()
	j := parseFile(t, "testdata/good/lathe-command-job.yml").(*CommandJob)
	if j.Name != "train-iris-1" || j.ExperimentName != "iris" || j.Compute != "local" || !j.Environment.Inline.Host {
		t.Errorf("job = %+v", j.JobInfo)
	}
	if !reflect.DeepEqual(j.Properties, map[string]string{"team": "ml", "stage": "prod"}) || j.Tags["stage"] != "dev" {
		t.Errorf("merge keys: tags %v properties %v", j.Tags, j.Properties)
	}
	if r := j.Resources; r.CPUMilli != 500 || r.Memory != 4<<30 || r.ShmSize != 2<<30 {
		t.Errorf("resources = %+v", r)
	}
	if j.Limits.Timeout != time.Hour {
		t.Errorf("timeout = %v", j.Limits.Timeout)
	}
	in := j.Inputs["training_data"]
	if in.Path.Name != "iris" || in.Path.Version != "1" || in.Mode != ModeDownload {
		t.Errorf("training_data = %+v %+v", in, in.Path)
	}
	if m := j.Inputs["base_model"].Path; m.Label != "champion" {
		t.Errorf("base_model = %+v", m)
	}
	if raw := j.Inputs["raw"]; raw.Datastore != "workspaceblobstore" || raw.Path.Kind != RefLocal {
		t.Errorf("raw = %+v", raw)
	}
	if o := j.Outputs["model"]; o.Type != TypeMLflowModel || o.Mode != ModeUpload || o.Path.Path != "outputs/model" || o.AssetName != "iris-model" || o.AssetVersion != "7" {
		t.Errorf("model output = %+v", o)
	}
	if j.EnvironmentVariables["DATA_DIR"] != "${{inputs.training_data}}" {
		t.Errorf("env = %v", j.EnvironmentVariables)
	}
	if p := j.Command.PosAt(0); p.Line != 22 {
		t.Errorf("folded command position = %v", p)
	}
}

func TestLatheEnvironments(t *testing.T) {
	t.Parallel()
	v := parseFile(t, "testdata/good/venv-environment.yml").(*Environment)
	if v.RequirementsFile.Path != "requirements.txt" || v.Version != "2" || v.Host {
		t.Errorf("venv = %+v", v)
	}
	c := parseFile(t, "testdata/good/conda-inline-environment.yml").(*Environment)
	if c.Conda == nil || c.Conda.Python != "3.12" || !reflect.DeepEqual(c.Conda.Packages, []string{"cudatoolkit=11.8"}) ||
		len(c.Conda.Pip) != 2 || c.Image != "python:3.12-slim" {
		t.Errorf("conda = %+v %+v", c, c.Conda)
	}
}

func TestLatheComputeAndSchedule(t *testing.T) {
	t.Parallel()
	k := parseFile(t, "testdata/good/compute-kubernetes.yml").(*Compute)
	if k.Type != ComputeKubernetes || k.Namespace != "ml-jobs" {
		t.Errorf("k8s = %+v", k)
	}
	if s := parseFile(t, "testdata/good/compute-slurm.yml").(*Compute); s.Type != ComputeSlurm || s.Partition != "gpu" {
		t.Errorf("slurm = %+v", s)
	}
	sc := parseFile(t, "testdata/good/schedule-inline.yml").(*Schedule)
	tr := sc.Trigger
	if tr.Frequency != "week" || tr.Interval != 2 || !reflect.DeepEqual(tr.Pattern.Hours, []int{4}) ||
		!reflect.DeepEqual(tr.Pattern.WeekDays, []string{"monday", "friday"}) || tr.EndTime == "" {
		t.Errorf("trigger = %+v %+v", tr, tr.Pattern)
	}
	job, ok := sc.CreateJob.Inline.(*CommandJob)
	if !ok || job.Inputs["run"].Value.Text != "${{name}}" {
		t.Fatalf("inline job = %+v", sc.CreateJob)
	}
	if got, err := sc.CreateJob.Apply(nil); err != nil || got != Document(job) {
		t.Errorf("Apply(inline) = %v, %v", got, err)
	}
}

func TestLathePipeline(t *testing.T) {
	t.Parallel()
	p := parseFile(t, "testdata/good/pipeline-inline-component.yml").(*PipelineJob)
	if s := p.Settings; s.DefaultCompute != "local" || s.DefaultDatastore != "workspaceblobstore" || !s.ContinueOnStepFailure {
		t.Errorf("settings = %+v", s)
	}
	if p.StepCompute("clean_step") != "big" || p.StepCompute("stats_step") != "local" {
		t.Errorf("compute = %s, %s", p.StepCompute("clean_step"), p.StepCompute("stats_step"))
	}
	c := p.Jobs["clean_step"].Component
	if c == nil || !reflect.DeepEqual(c.OptionalKeys(), map[string]bool{"inputs.limit": true}) {
		t.Errorf("inline component = %+v", c)
	}
	steps, err := Steps(p)
	if err != nil || len(steps) != 2 || steps[1].Name != "stats_step" {
		t.Errorf("steps = %+v, %v", steps, err)
	}
	comp := parseFile(t, "testdata/good/component-detected.yml").(*CommandComponent)
	if comp.IsDeterministic || comp.Version != "2" || comp.Inputs["flag"].Default.Text != "false" {
		t.Errorf("component = %+v", comp)
	}
}
