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
			p, err := flattenNested(c.file, ps, doc.(*spec.PipelineJob))
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
