package spec

import (
	"strings"
	"testing"
)

func TestCheckRegistrable(t *testing.T) {
	t.Parallel()
	head := "type: pipeline\ninputs:\n  d: {type: uri_folder}\noutputs:\n  m: {type: uri_folder}\njobs:\n"
	cases := []struct {
		name string
		jobs string
		want []string // substrings of the error; none when registrable
	}{
		{"registered and built-in", "  a:\n    component: azureml:train:1\n    inputs: {data: '${{parent.inputs.d}}'}\n    outputs: {model: '${{parent.outputs.m}}'}\n  b:\n    component: azureml:lathe.evaluate@latest\n", nil},
		{"inline command without code", "  a:\n    command: echo hi > ${{outputs.model}}/x\n    environment: azureml:python@latest\n    outputs: {model: '${{parent.outputs.m}}'}\n", nil},
		{"local component", "  a:\n    component: ./train.yml\n    outputs: {model: '${{parent.outputs.m}}'}\n",
			[]string{"sub.yml:7:3: jobs.a: component ./train.yml is a local file", "lathe component create -f ./train.yml"}},
		{"local code and data", "  a:\n    command: python x.py\n    code: ./src\n    environment: azureml:python@latest\n    inputs: {data: {type: uri_folder, path: ./data}}\n    outputs: {model: '${{parent.outputs.m}}'}\n",
			[]string{"sub.yml:7:3: jobs.a: code ./src is a local folder", "jobs.a.inputs.data: ./data is a local path"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			doc, err := ParseKind(KindPipelineComponent, "sub.yml", []byte(head+c.jobs))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckRegistrable(doc.(*PipelineComponent))
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}
