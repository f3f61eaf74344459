package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

// planOf writes a job YAML into a folder and converts it as job create
// does.
func planOf(t *testing.T, yml string, files map[string]string, sets ...string) (*jobPlan, string, error) {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, files)
	p := filepath.Join(dir, "job.yml")
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := readJobFile(p, sets)
	if err != nil {
		return nil, dir, err
	}
	plan, err := jobSpecOf(j, dir, readSpecFile)
	return plan, dir, err
}

func str(s string) *string { return &s }

func TestJobSpecOf(t *testing.T) {
	t.Parallel()
	const base = `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
name: train1
command: python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} $[[--opt ${{inputs.opt}}]] --out ${{outputs.model}}
code: ./src
inputs:
  data:
    type: uri_file
    path: ./data.csv
    mode: download
  lr: 0.1
  opt: ""
outputs:
  model:
    type: uri_folder
    name: my-model
    version: "3"
    description: the model
environment: azureml:sk@latest
environment_variables:
  A: b
experiment_name: exp
display_name: Train
description: trains
tags: {team: ml}
compute: azureml:small
limits:
  timeout: 600
resources:
  cpu: 500m
  memory: 1Gi
`
	for _, tc := range []struct {
		name  string
		yml   string
		files map[string]string
		sets  []string
		check func(t *testing.T, p *jobPlan, dir string)
	}{
		{
			name: "every field", yml: base,
			check: func(t *testing.T, p *jobPlan, dir string) {
				s := p.Spec
				if p.Name != "train1" || s.Compute != "small" || s.Environment != "azureml:sk@latest" || s.ExperimentName != "exp" ||
					s.DisplayName != "Train" || s.Description != "trains" || s.Tags["team"] != "ml" || s.EnvironmentVariables["A"] != "b" {
					t.Errorf("fields = %+v", s)
				}
				if s.Timeout != 600 || s.Resources.CPU != 0.5 || s.Resources.Memory != 1<<30 {
					t.Errorf("limits/resources = %d %+v", s.Timeout, s.Resources)
				}
				if p.CodeDir != filepath.Join(dir, "src") {
					t.Errorf("code dir = %q", p.CodeDir)
				}
				if want := []localInput{{Input: "data", Path: filepath.Join(dir, "data.csv"), Type: lathe.DataURIFile}}; !reflect.DeepEqual(p.Locals, want) {
					t.Errorf("locals = %+v, want %+v", p.Locals, want)
				}
				if in := s.Inputs["data"]; in.Type != lathe.DataURIFile || in.Mode != lathe.ModeDownload || in.Path != "" {
					t.Errorf("data input = %+v", in)
				}
				if in := s.Inputs["lr"]; in.Type != lathe.InputNumber || in.Value == nil || *in.Value != "0.1" {
					t.Errorf("lr input = %+v", in)
				}
				if in := s.Inputs["opt"]; in.Value != nil || !in.Optional {
					t.Errorf("empty opt used only in $[[ ]] should be unset: %+v", in)
				}
				want := lathe.JobOutput{Type: lathe.DataURIFolder, Name: "my-model", Version: "3", Description: "the model"}
				if o := s.Outputs["model"]; o != want {
					t.Errorf("output = %+v, want %+v", o, want)
				}
			},
		},
		{
			name: "--set changes inputs, compute and timeout", yml: base,
			sets: []string{"inputs.lr=0.01", "inputs.opt=7", "compute=azureml:big", "limits.timeout=60"},
			check: func(t *testing.T, p *jobPlan, _ string) {
				s := p.Spec
				if *s.Inputs["lr"].Value != "0.01" || s.Compute != "big" || s.Timeout != 60 {
					t.Errorf("after --set: lr %q compute %q timeout %d", *s.Inputs["lr"].Value, s.Compute, s.Timeout)
				}
				if in := s.Inputs["opt"]; in.Value == nil || *in.Value != "7" || in.Type != lathe.InputInteger || in.Optional {
					t.Errorf("opt = %+v", in)
				}
			},
		},
		{
			name: "references pass through",
			yml: `command: echo ${{inputs.a}} ${{inputs.b}} ${{inputs.c}} ${{inputs.d}} ${{inputs.e}} ${{inputs.f}}
inputs:
  a: {type: uri_folder, path: "azureml:bank:2"}
  b: {type: uri_file, path: "azureml:bank@latest"}
  c: {type: uri_folder, path: "azureml://datastores/lake/paths/raw/2024"}
  d: {type: uri_folder, path: "azureml://jobs/prep_1/outputs/clean"}
  e: {type: uri_file, path: "https://example.com/iris.csv"}
  f: "hello"
`,
			check: func(t *testing.T, p *jobPlan, _ string) {
				want := map[string]string{"a": "azureml:bank:2", "b": "azureml:bank@latest", "c": "azureml://datastores/lake/paths/raw/2024",
					"d": "azureml://jobs/prep_1/outputs/clean", "e": "https://example.com/iris.csv"}
				for k, w := range want {
					if got := p.Spec.Inputs[k].Path; got != w {
						t.Errorf("inputs.%s path = %q, want %q", k, got, w)
					}
				}
				if in := p.Spec.Inputs["f"]; in.Type != lathe.InputString || *in.Value != "hello" {
					t.Errorf("f = %+v", in)
				}
				if len(p.Locals) != 0 || p.CodeDir != "" || p.Spec.Environment != "" {
					t.Errorf("locals %v code %q env %q", p.Locals, p.CodeDir, p.Spec.Environment)
				}
			},
		},
		{
			name: "an empty input used outside $[[ ]] stays an empty string",
			yml:  "command: echo \"${{inputs.x}}\"\ninputs:\n  x: \"\"\n",
			check: func(t *testing.T, p *jobPlan, _ string) {
				if in := p.Spec.Inputs["x"]; in.Value == nil || *in.Value != "" || in.Optional {
					t.Errorf("x = %+v", in)
				}
			},
		},
		{
			name:  "inline environment with a conda file next to the YAML",
			yml:   "command: echo hi\nenvironment:\n  image: python:3.12-slim\n  conda_file: env/conda.yml\n",
			files: map[string]string{"env/conda.yml": "dependencies:\n  - python=3.11\n  - numpy=1.26\n  - pip:\n    - requests==2.31\n"},
			check: func(t *testing.T, p *jobPlan, _ string) {
				e := p.Spec.InlineEnvironment
				if e == nil || e.Image != "python:3.12-slim" || e.Python != "3.11" || !reflect.DeepEqual(e.Packages, []string{"numpy==1.26", "requests==2.31"}) {
					t.Errorf("inline environment = %+v", e)
				}
			},
		},
		{
			name: "inline conda mapping",
			yml:  "command: echo hi\nenvironment:\n  conda_file:\n    dependencies:\n      - python=3.10\n      - pip:\n        - scikit-learn==1.5\n",
			check: func(t *testing.T, p *jobPlan, _ string) {
				e := p.Spec.InlineEnvironment
				if e == nil || e.Python != "3.10" || !reflect.DeepEqual(e.Packages, []string{"scikit-learn==1.5"}) {
					t.Errorf("inline environment = %+v", e)
				}
			},
		},
		{
			name: "host environment",
			yml:  "command: echo hi\nenvironment:\n  host: true\n",
			check: func(t *testing.T, p *jobPlan, _ string) {
				if p.Spec.Environment != lathe.HostEnvironment || p.Spec.InlineEnvironment != nil {
					t.Errorf("environment = %q %+v", p.Spec.Environment, p.Spec.InlineEnvironment)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, dir, err := planOf(t, tc.yml, tc.files, tc.sets...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p, dir)
			if len(p.Locals) == 0 && p.CodeDir == "" {
				if err := p.Spec.Validate(); err != nil {
					t.Errorf("the spec does not validate: %v", err)
				}
			}
		})
	}
}

func TestReadJobFileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		yml  string
		sets []string
		code string
		want []string
	}{
		{"misspelt field", "command: echo hi\nexperimnt_name: x\n", nil, lathe.EINVALID, []string{"job.yml:2:", "experimnt_name", "experiment_name"}},
		{"undeclared input", "command: echo ${{inputs.nope}}\n", nil, lathe.EINVALID, []string{"job.yml:1:", "nope"}},
		{"pipeline", "type: pipeline\njobs:\n  a:\n    type: command\n    command: echo\n", nil, lathe.EINVALID, []string{"is a pipeline job, not a command job", "lathe job create -f"}},
		{"not a job", "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\nname: e\nimage: x\n", nil, lathe.EINVALID, []string{"not a command job"}},
		{"bad --set type", "command: echo ${{inputs.n}}\ninputs:\n  n: 3\n", []string{"inputs.n=abc"}, lathe.EINVALID, []string{"--set inputs.n=abc", "integer"}},
		{"a version makes it look like a component", "command: echo hi\nversion: 2\n", nil, lathe.EINVALID, []string{"job.yml:2:", "jobs have no version"}},
		{"too large", "command: echo hi\n#" + strings.Repeat("x", lathe.MaxJobSpecSize) + "\n", nil, lathe.ETOOLARGE, []string{"bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := planOf(t, tc.yml, nil, tc.sets...)
			if err == nil {
				t.Fatal("no error")
			}
			if got := lathe.ErrorCode(err); got != tc.code {
				t.Errorf("code = %s, want %s (%v)", got, tc.code, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFragmentOnlyInputs(t *testing.T) {
	t.Parallel()
	got := fragmentOnlyInputs("run ${{inputs.a}} $[[--b ${{inputs.b}}]] $[[--a ${{inputs.a}}]] ${{outputs.o}}",
		map[string]string{"C": "$[[x ${{inputs.c}}]]", "D": "${{inputs.d}}"})
	if want := map[string]bool{"b": true, "c": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("fragmentOnlyInputs = %v, want %v", got, want)
	}
}

func TestAnonDataName(t *testing.T) {
	t.Parallel()
	d := lathe.ManifestDigest([]lathe.ManifestEntry{{Path: "a", Digest: lathe.Digest("sha256:" + strings.Repeat("ab", 32)), Size: 1, Mode: 0o644}})
	n := anonDataName(d)
	if n != "azureml_anon_"+d.Hex()[:12] {
		t.Errorf("anonDataName = %q", n)
	}
	if err := lathe.ValidateName("data asset", n); err != nil {
		t.Error(err)
	}
}
