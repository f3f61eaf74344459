package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func parseFile(t *testing.T, path string) Document {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(path, src)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return doc
}

// TestAzureConformance parses every YAML copied from Azure/azureml-examples.
func TestAzureConformance(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/azure/*.yml")
	more, _ := filepath.Glob("testdata/azure/*/*.yml")
	files = append(files, more...)
	if len(files) < 20 {
		t.Fatalf("found %d conformance files", len(files))
	}
	for _, f := range files {
		if strings.Contains(f, "/refused/") || strings.Contains(f, "/conda-yamls/") {
			continue
		}
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			parseFile(t, f)
		})
	}
}

func TestAzureKinds(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]Kind{
		"hello-iris-file.yml":                  KindCommandJob,
		"hello-pipeline-io.yml":                KindPipelineJob,
		"train.yml":                            KindCommandComponent,
		"hello-sweep.yml":                      KindSweepJob,
		"endpoint.yml":                         KindOnlineEndpoint,
		"blue-deployment.yml":                  KindOnlineDeployment,
		"cron-job-schedule.yml":                KindSchedule,
		"docker-image.yml":                     KindEnvironment,
		"cloud-file.yml":                       KindData,
		"1a_e2e_local_components/pipeline.yml": KindPipelineJob,
	} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			if got := parseFile(t, "testdata/azure/"+file).Kind(); got != want {
				t.Errorf("kind = %s, want %s", got, want)
			}
		})
	}
}

func TestAzureCommandJob(t *testing.T) {
	t.Parallel()
	j := parseFile(t, "testdata/azure/hello-iris-file.yml").(*CommandJob)
	in := j.Inputs["iris_csv"]
	if in.Type != TypeURIFile || in.Path.Kind != RefURL || in.EffectiveMode() != ModeROMount {
		t.Errorf("iris_csv = %+v (path %+v)", in, in.Path)
	}
	if j.Code.Kind != RefLocal || j.Code.Path != "src" {
		t.Errorf("code = %+v", j.Code)
	}
	env := j.Environment.Ref
	if env.Kind != RefRegistry || env.Registry != "azureml" || env.AssetType != "environments" || env.Name != "sklearn-1.5" || env.Label != "latest" {
		t.Errorf("environment = %+v", env)
	}
	got, err := Bind(j.Command.Text, map[string]string{"inputs.iris_csv": "/in/iris.csv"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "echo \"--iris-csv: /in/iris.csv\"\npython hello-iris.py --iris-csv /in/iris.csv\n"
	if got != want {
		t.Errorf("bound command = %q, want %q", got, want)
	}

	full := parseFile(t, "testdata/azure/hello-world-full.yml").(*CommandJob)
	if full.Environment.Inline == nil || full.Environment.Inline.Image != "python:latest" || full.Compute != "cpu-cluster" ||
		full.EnvironmentVariables["hello_str"] != "hello world" || full.Tags["hello"] != "world" || full.DisplayName != "hello-world-example" {
		t.Errorf("hello-world-full = %+v", full)
	}
	ds := parseFile(t, "testdata/azure/hello-iris-datastore-file.yml").(*CommandJob)
	if p := ds.Inputs["iris_csv"].Path; p.Kind != RefDatastore || p.Datastore != "workspaceblobstore" || p.Path != "example-data/iris.csv" {
		t.Errorf("datastore input = %+v", p)
	}
	if e := ds.Environment.Ref; e.Kind != RefAsset || e.Name != "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu" || e.Version != "3" {
		t.Errorf("environment = %+v", e)
	}
	in2 := parseFile(t, "testdata/azure/hello-world-input.yml").(*CommandJob).Inputs
	if in2["hello_number"].Value.Type != TypeInteger || in2["hello_number"].Value.Text != "42" || in2["hello_string"].Value.Text != "hello world" {
		t.Errorf("literal inputs = %+v %+v", in2["hello_number"].Value, in2["hello_string"].Value)
	}
	out := parseFile(t, "testdata/azure/hello-world-output-data.yml").(*CommandJob).Outputs["hello_output"]
	if out.Type != TypeURIFolder || out.EffectiveMode() != ModeRWMount {
		t.Errorf("output = %+v", out)
	}
}

func TestAzureComponentBinding(t *testing.T) {
	t.Parallel()
	c := parseFile(t, "testdata/azure/train.yml").(*CommandComponent)
	if c.Name != "train_data_component_cli" || !c.IsDeterministic || c.Tags["author"] != "azureml-sdk-team" {
		t.Errorf("component = %+v", c)
	}
	if !reflect.DeepEqual(c.OptionalKeys(), map[string]bool{"inputs.max_epocs": true}) {
		t.Errorf("OptionalKeys = %v", c.OptionalKeys())
	}
	if d := c.Inputs["learning_rate"].Default; d == nil || d.Text != "0.01" || d.Type != TypeNumber {
		t.Errorf("learning_rate default = %+v", d)
	}
	values := map[string]string{
		"inputs.training_data":          "/in/data",
		"inputs.learning_rate":          "0.01",
		"inputs.learning_rate_schedule": "time-based",
		"outputs.model_output":          "/out/model",
	}
	got, err := Bind(c.Command.Text, values, c.OptionalKeys())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "max_epocs") || !strings.Contains(got, "--learning_rate 0.01") || strings.Contains(got, "$[[") {
		t.Errorf("unset optional: %q", got)
	}
	values["inputs.max_epocs"] = "5"
	got, _ = Bind(c.Command.Text, values, c.OptionalKeys())
	if !strings.Contains(got, "--max_epocs 5") {
		t.Errorf("set optional: %q", got)
	}
}

func TestAzurePipeline(t *testing.T) {
	t.Parallel()
	p := parseFile(t, "testdata/azure/hello-pipeline-io.yml").(*PipelineJob)
	steps, err := Steps(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Name != "hello_job" || steps[1].Name != "world_job" || !reflect.DeepEqual(steps[1].Deps, []string{"hello_job"}) {
		t.Errorf("steps = %+v", steps)
	}
	if p.DisplayName != "hello_pipeline_io" || p.StepCompute("hello_job") != "cpu-cluster" {
		t.Errorf("pipeline = %+v", p)
	}
	b := p.Jobs["world_job"].Inputs["world_input"].Binding
	if b.Key() != "parent.jobs.hello_job.outputs.world_output" {
		t.Errorf("binding = %s", b)
	}

	out := parseFile(t, "testdata/azure/hello-pipeline-customize-output-file.yml").(*PipelineJob).Outputs["output"]
	if out.Path != nil || out.PathTemplate != "azureml://datastores/workspaceblobstore/paths/${{name}}/hello_world.txt" {
		t.Errorf("templated output = %+v", out)
	}
}

// TestAzurePipelineComponents loads the 1a pipeline's components as a
// caller would and checks the DAG and the type checks through bindings.
func TestAzurePipelineComponents(t *testing.T) {
	t.Parallel()
	p := parseFile(t, "testdata/azure/1a_e2e_local_components/pipeline.yml").(*PipelineJob)
	components := map[string]string{
		"./score.yml": "inputs:\n  model_input: {type: uri_folder}\n  test_data: {type: uri_folder}\noutputs:\n  score_output: {type: uri_folder}\ncommand: python score.py ${{inputs.model_input}} ${{inputs.test_data}} ${{outputs.score_output}}\n",
		"./eval.yml":  "inputs:\n  scoring_result: {type: uri_folder}\noutputs:\n  eval_output: {type: uri_folder}\ncommand: python eval.py ${{inputs.scoring_result}} ${{outputs.eval_output}}\n",
	}
	for _, name := range p.StepNames() {
		s := p.Jobs[name]
		if s.ComponentRef == nil || s.ComponentRef.Kind != RefLocal {
			t.Fatalf("%s: component ref = %+v", name, s.ComponentRef)
		}
		var src []byte
		file := s.ComponentRef.Path
		if file == "./train.yml" {
			src, _ = os.ReadFile("testdata/azure/1a_e2e_local_components/train.yml")
		} else {
			src = []byte(components[file])
		}
		doc, err := ParseKind(KindCommandComponent, file, src)
		if err != nil {
			t.Fatal(err)
		}
		s.Component = doc.(*CommandComponent)
	}
	steps, err := Steps(p)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range steps {
		order = append(order, s.Name)
	}
	if !reflect.DeepEqual(order, []string{"train_job", "score_job", "evaluate_job"}) {
		t.Errorf("order = %v", order)
	}

	// A literal that does not fit the component's integer input is caught
	// through the pipeline input it is bound to.
	p.Inputs["pipeline_job_training_max_epocs"].Value.Text = "twenty"
	p.Inputs["pipeline_job_training_max_epocs"].Value.Type = TypeString
	_, err = Steps(p)
	if err == nil || !strings.Contains(err.Error(), `pipeline.yml:27:7: jobs.train_job.inputs.max_epocs (bound to ${{parent.inputs.pipeline_job_training_max_epocs}}) must be an integer, not "twenty"`) {
		t.Errorf("type check through binding: %v", err)
	}
}

func TestAzureSweepUnsupported(t *testing.T) {
	t.Parallel()
	s := parseFile(t, "testdata/azure/hello-sweep.yml").(*SweepJob)
	if s.SearchSpace["B"].Type != "choice" || len(s.SearchSpace["B"].Values) != 3 || s.SearchSpace["C"].Max != 1.0 ||
		s.Objective.PrimaryMetric != "random_metric" || s.Limits.MaxTotalTrials != 4 || s.Limits.Timeout.Seconds() != 3600 ||
		s.Trial.Environment.Ref.Name != "AzureML-sklearn-1.5" || !s.Trial.Environment.Ref.IsLatest() {
		t.Errorf("sweep = %+v", s)
	}
	err := CheckSupported(s)
	if !lathe.IsCode(err, lathe.EUNSUPPORTED) || !strings.Contains(err.Error(), "sweep jobs are not supported yet") {
		t.Errorf("CheckSupported = %v", err)
	}
	if err := CheckSupported(parseFile(t, "testdata/azure/hello-iris-file.yml")); err != nil {
		t.Errorf("CheckSupported(command job) = %v", err)
	}
}

func TestAzureEndpoint(t *testing.T) {
	t.Parallel()
	ep := parseFile(t, "testdata/azure/endpoint.yml").(*OnlineEndpoint)
	if ep.Name != "my-endpoint" || ep.AuthMode != "key" {
		t.Errorf("endpoint = %+v", ep)
	}
	dp := parseFile(t, "testdata/azure/blue-deployment.yml").(*OnlineDeployment)
	if dp.Name != "blue" || dp.EndpointName != "my-endpoint" || dp.ModelInline == nil || dp.ModelInline.Path.Path != "../../model-1/model/" ||
		dp.ScoringScript != "score.py" || dp.Environment.Inline.CondaFile.Path != "../../model-1/environment/conda.yaml" ||
		dp.InstanceType != "Standard_DS3_v2" || dp.InstanceCount != 1 {
		t.Errorf("deployment = %+v", dp)
	}
}

func TestAzureScheduleApply(t *testing.T) {
	t.Parallel()
	s := parseFile(t, "testdata/azure/cron-with-settings-job-schedule.yml").(*Schedule)
	if s.Trigger.Type != TriggerCron || s.Trigger.Expression != "0 * * * *" || s.Trigger.TimeZone != "Pacific Standard Time" {
		t.Errorf("trigger = %+v", s.Trigger)
	}
	if s.CreateJob.File == nil || s.CreateJob.File.Path != "./simple-pipeline-job.yml" {
		t.Fatalf("create_job = %+v", s.CreateJob)
	}
	base := parseFile(t, "testdata/azure/simple-pipeline-job.yml")
	doc, err := s.CreateJob.Apply(base)
	if err != nil {
		t.Fatal(err)
	}
	p := doc.(*PipelineJob)
	if !p.Settings.ContinueOnStepFailure || p.Tags["schedule"] != "cron_with_settings_schedule" ||
		p.Inputs["hello_string_top_level_input"].Value.Text != "${{name}}" || len(p.Jobs) != 3 {
		t.Errorf("applied = settings %+v tags %v input %+v", p.Settings, p.Tags, p.Inputs["hello_string_top_level_input"].Value)
	}
	r := parseFile(t, "testdata/azure/recurrence-job-schedule.yml").(*Schedule)
	if r.Trigger.Frequency != "day" || r.Trigger.Interval != 1 || !reflect.DeepEqual(r.Trigger.Pattern.Hours, []int{4, 5, 10, 11, 12}) ||
		!reflect.DeepEqual(r.Trigger.Pattern.Minutes, []int{0, 30}) {
		t.Errorf("recurrence = %+v %+v", r.Trigger, r.Trigger.Pattern)
	}
}

func TestAzureEnvironmentAndData(t *testing.T) {
	t.Parallel()
	env := parseFile(t, "testdata/azure/docker-image-plus-conda.yml").(*Environment)
	if env.Image == "" || env.CondaFile == nil || env.CondaFile.Path != "conda-yamls/pydata.yml" {
		t.Errorf("environment = %+v", env)
	}
	src, _ := os.ReadFile("testdata/azure/conda-yamls/pydata.yml")
	conda, err := ParseConda("pydata.yml", src)
	if err != nil {
		t.Fatal(err)
	}
	if conda.Python != "3.8" || len(conda.Pip) != 17 || conda.Pip[0] != "numpy==1.21.2" || len(conda.Packages) != 0 {
		t.Errorf("conda = %+v", conda)
	}
	if v := parseFile(t, "testdata/azure/docker-image.yml").(*Environment).Version; v != "1" {
		t.Errorf("version = %q", v)
	}
	d := parseFile(t, "testdata/azure/cloud-file.yml").(*Data)
	if d.Name != "cloud-file-example" || d.Type != TypeURIFile || d.Path.Kind != RefDatastore {
		t.Errorf("data = %+v", d)
	}
	if d := parseFile(t, "testdata/azure/local-mltable.yml").(*Data); d.Type != TypeMLTable || d.Path.Kind != RefLocal {
		t.Errorf("data = %+v", d)
	}
}

// TestAzureRefused checks that the Azure files Lathe refuses on purpose say
// why.
func TestAzureRefused(t *testing.T) {
	t.Parallel()
	for file, want := range map[string][]string{
		"cluster-basic.yml": {
			`cluster-basic.yml:3:7: type "amlcompute" is not supported: it is an Azure cluster of VMs; use type local, kubernetes or slurm`,
			`cluster-basic.yml:5:1: field "min_instances" in compute is not supported: it has no meaning here`,
			`cluster-basic.yml:6:1: field "max_instances" in compute is not supported`,
		},
		"hello-iris-literal.yml":      {`hello-iris-literal.yml:5:1: code: local_path is the old form; write code: src`},
		"hello-pipeline-settings.yml": {`hello-pipeline-settings.yml:5:3: field "environment" in settings is not supported`},
	} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			path := "testdata/azure/refused/" + file
			src, _ := os.ReadFile(path)
			_, err := Parse(path, src)
			for _, w := range want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v\nlacks %s", err, w)
				}
			}
		})
	}
}
