package pipelines

import (
	"strings"
	"testing"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

const outerYAML = `type: pipeline
jobs:
  fit:
    type: pipeline
    component: ./sub/p.yml
    inputs:
      n: 2
  after:
    command: cat ${{inputs.m}}
    inputs:
      m: ${{parent.jobs.fit.outputs.model}}
`

const subYAML = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
inputs:
  n: {type: integer}
outputs:
  model: {type: uri_folder}
jobs:
  train:
    component: ./train.yml
    inputs:
      epochs: ${{parent.inputs.n}}
    outputs:
      model: ${{parent.outputs.model}}
`

func TestFlattenNested(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		file      string
		pipelines map[string]string
		steps     string // the flat steps, or
		err       string // the error
	}{
		{"sent", "work/outer.yml", map[string]string{"./sub/p.yml": subYAML}, "after,fit_train", ""},
		{"not sent", "outer.yml", nil, "", "outer.yml:3:3: jobs.fit: the pipeline component file ./sub/p.yml was not sent"},
		{"error names the file beside the pipeline", "work/outer.yml",
			map[string]string{"./sub/p.yml": strings.Replace(subYAML, "parent.inputs.n", "parent.inputs.nn", 1)},
			"", `work/sub/p.yml:11:7: jobs.train.inputs.epochs: ${{parent.inputs.nn}} refers to an undefined pipeline input "nn"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			doc, err := spec.Parse(c.file, []byte(outerYAML))
			if err != nil {
				t.Fatal(err)
			}
			ps := &lathe.PipelineSpec{File: c.file, YAML: outerYAML, Pipelines: c.pipelines}
			p, err := flattenNested(c.file, ps, doc.(*spec.PipelineJob), nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.StepNames(), ","); got != c.steps {
				t.Errorf("steps = %s, want %s", got, c.steps)
			}
			train := p.Jobs["fit_train"]
			if k := spec.LocalKey(train.Dir, train.ComponentRef); k != "sub/train.yml" {
				t.Errorf("fit_train's component key = %q, want sub/train.yml", k)
			}
			if b := p.Jobs["after"].Inputs["m"].Binding.String(); b != "${{parent.jobs.fit_train.outputs.model}}" {
				t.Errorf("after.m = %s", b)
			}
		})
	}
}

const regOuterYAML = `type: pipeline
jobs:
  fit:
    type: pipeline
    component: azureml:sub@latest
    inputs:
      n: 2
  after:
    command: cat ${{inputs.m}}
    inputs:
      m: ${{parent.jobs.fit.outputs.model}}
`

func TestFlattenRegistered(t *testing.T) {
	t.Parallel()
	reg := strings.Replace(subYAML, "./train.yml", "azureml:train:1", 1)
	versions := map[string]*lathe.Component{
		"sub:1": {Name: "sub", Version: "1", Spec: lathe.ComponentSpec{File: "sub.yml", YAML: reg}},
		"sub:2": {Name: "sub", Version: "2", Spec: lathe.ComponentSpec{File: "sub.yml", YAML: strings.Replace(reg, "azureml:train:1", "azureml:train2:1", 1)}},
		"cmd:1": {Name: "cmd", Version: "1", Spec: lathe.ComponentSpec{File: "c.yml", YAML: "name: cmd\nversion: 1\ncommand: echo\n"}},
	}
	latest := "sub:2"
	find := func(ref string) (*lathe.Component, error) {
		ref = strings.TrimPrefix(ref, "azureml:")
		if name, ok := strings.CutSuffix(ref, "@latest"); ok && name == "sub" {
			ref = latest
		}
		if c := versions[ref]; c != nil {
			return c, nil
		}
		return nil, lathe.Errorf(lathe.ENOTFOUND, "component %s not found", ref)
	}
	cases := []struct {
		name   string
		yaml   string
		pins   map[string]string
		train  string // fit_train's component, or
		err    string // the error
		pinned string // what the spec pins azureml:sub@latest to
	}{
		{"latest is pinned", regOuterYAML, nil, "azureml:train2:1", "", "sub:2"},
		{"a pin wins over latest", regOuterYAML, map[string]string{"azureml:sub@latest": "sub:1"}, "azureml:train:1", "", "sub:1"},
		{"by version", strings.Replace(regOuterYAML, "sub@latest", "sub:1", 1), nil, "azureml:train:1", "", ""},
		{"missing", strings.Replace(regOuterYAML, "sub@latest", "sub:9", 1), nil, "", "outer.yml:3:3: jobs.fit: component azureml:sub:9: component sub:9 not found", ""},
		{"a command component", strings.Replace(regOuterYAML, "sub@latest", "cmd:1", 1), nil, "", "component cmd:1 is a command component, not a pipeline component", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			doc, err := spec.Parse("outer.yml", []byte(c.yaml))
			if err != nil {
				t.Fatal(err)
			}
			ps := &lathe.PipelineSpec{File: "outer.yml", YAML: c.yaml, Components: c.pins}
			p, err := flattenNested("outer.yml", ps, doc.(*spec.PipelineJob), find)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.StepNames(), ","); got != "after,fit_train" {
				t.Errorf("steps = %s", got)
			}
			if got := p.Jobs["fit_train"].ComponentRef.Raw; got != c.train {
				t.Errorf("fit_train runs %s, want %s", got, c.train)
			}
			if got := ps.Components["azureml:sub@latest"]; got != c.pinned {
				t.Errorf("pin = %q, want %q", got, c.pinned)
			}
		})
	}
}
