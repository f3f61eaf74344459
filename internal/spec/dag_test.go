package spec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// pipeline builds a pipeline YAML whose steps each read the outputs of the
// named steps: "c": {"a", "b"} makes c read a.out and b.out.
func pipeline(steps map[string][]string) string {
	var sb strings.Builder
	sb.WriteString("type: pipeline\njobs:\n")
	for _, name := range keys(steps) {
		fmt.Fprintf(&sb, "  %s:\n    command: echo > ${{outputs.out}}", name)
		for _, dep := range steps[name] {
			fmt.Fprintf(&sb, " ${{inputs.from_%s}}", dep)
		}
		sb.WriteString("\n    outputs:\n      out:\n")
		if len(steps[name]) > 0 {
			sb.WriteString("    inputs:\n")
			for _, dep := range steps[name] {
				fmt.Fprintf(&sb, "      from_%s: ${{parent.jobs.%s.outputs.out}}\n", dep, dep)
			}
		}
	}
	return sb.String()
}

func TestStepsOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		steps map[string][]string
		order []string
		deps  map[string][]string
	}{
		{"single", map[string][]string{"a": nil}, []string{"a"}, nil},
		{"independent steps by name", map[string][]string{"b": nil, "a": nil, "c": nil}, []string{"a", "b", "c"}, nil},
		{"chain", map[string][]string{"c": {"b"}, "b": {"a"}, "a": nil}, []string{"a", "b", "c"}, map[string][]string{"c": {"b"}, "b": {"a"}}},
		{"fan-out", map[string][]string{"prep": nil, "x": {"prep"}, "y": {"prep"}, "z": {"prep"}},
			[]string{"prep", "x", "y", "z"}, map[string][]string{"x": {"prep"}, "y": {"prep"}, "z": {"prep"}}},
		{"fan-in", map[string][]string{"z_join": {"a", "b", "c"}, "a": nil, "b": nil, "c": nil},
			[]string{"a", "b", "c", "z_join"}, map[string][]string{"z_join": {"a", "b", "c"}}},
		{"diamond", map[string][]string{"a": nil, "b": {"a"}, "c": {"a"}, "d": {"c", "b"}},
			[]string{"a", "b", "c", "d"}, map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}},
		{"ready steps first, not alphabetical", map[string][]string{"a_last": {"z_first"}, "z_first": nil},
			[]string{"z_first", "a_last"}, map[string][]string{"a_last": {"z_first"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse("p.yml", []byte(pipeline(tc.steps)))
			if err != nil {
				t.Fatal(err)
			}
			steps, err := Steps(doc.(*PipelineJob))
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			for _, s := range steps {
				order = append(order, s.Name)
				if want := tc.deps[s.Name]; len(want)+len(s.Deps) > 0 && !reflect.DeepEqual(s.Deps, want) {
					t.Errorf("%s deps = %v, want %v", s.Name, s.Deps, want)
				}
				if s.Job == nil || s.Job.Name != s.Name {
					t.Errorf("%s job = %+v", s.Name, s.Job)
				}
			}
			if !reflect.DeepEqual(order, tc.order) {
				t.Errorf("order = %v, want %v", order, tc.order)
			}
		})
	}
}

func TestStepsCycles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		steps map[string][]string
		want  string
	}{
		{"two", map[string][]string{"a": {"b"}, "b": {"a"}}, "steps a, b form a cycle: a needs b, b needs a"},
		{"three behind a root", map[string][]string{"root": nil, "a": {"root", "c"}, "b": {"a"}, "c": {"b"}},
			"steps a, c, b form a cycle: a needs c, c needs b, b needs a"},
		{"cycle after a fan-out", map[string][]string{"src": nil, "x": {"src", "y"}, "y": {"x"}, "ok": {"src"}},
			"steps x, y form a cycle: x needs y, y needs x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("p.yml", []byte(pipeline(tc.steps)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "p.yml:") {
				t.Errorf("error has no position: %v", err)
			}
		})
	}
}

func TestStepsBindings(t *testing.T) {
	t.Parallel()
	const head = "type: pipeline\ninputs:\n  lr: 0.1\n  data: {type: uri_folder, path: ./d}\noutputs:\n  model:\njobs:\n"
	for _, tc := range []struct {
		name, jobs, want string
	}{
		{"self reference", "  a:\n    command: echo ${{inputs.x}} ${{outputs.o}}\n    inputs:\n      x: ${{parent.jobs.a.outputs.o}}\n    outputs:\n      o: ${{parent.outputs.model}}\n",
			"p.yml:11:7: jobs.a.inputs.x: ${{parent.jobs.a.outputs.o}}: a step cannot read its own outputs"},
		{"unknown input of another step", "  a:\n    command: echo ${{outputs.o}}\n    outputs:\n      o: ${{parent.outputs.model}}\n  b:\n    command: echo ${{inputs.x}}\n    inputs:\n      x: ${{parent.jobs.a.inputs.zz}}\n",
			`jobs.b.inputs.x: ${{parent.jobs.a.inputs.zz}} refers to an undefined input of step a "zz"; there are none`},
		{"output bound twice", "  a:\n    command: echo ${{outputs.o}}\n    outputs:\n      o: ${{parent.outputs.model}}\n  b:\n    command: echo ${{outputs.o}}\n    outputs:\n      o: ${{parent.outputs.model}}\n",
			"outputs.model is bound by 2 step outputs; bind it from one step only"},
		{"binding with text", "  a:\n    command: echo ${{inputs.x}} ${{outputs.o}}\n    inputs:\n      x: pre-${{parent.inputs.lr}}\n    outputs:\n      o: ${{parent.outputs.model}}\n",
			`a binding must be the whole value`},
		{"output binding to an input", "  a:\n    command: echo ${{outputs.o}}\n    outputs:\n      o: ${{parent.inputs.lr}}\n",
			"cannot bind an output; a step output binds to ${{parent.outputs.<name>}}"},
		{"data path binding", "  a:\n    command: echo ${{inputs.x}} ${{outputs.o}}\n    inputs:\n      x:\n        type: uri_folder\n        path: ${{parent.inputs.data}}\n        mode: download\n    outputs:\n      o: ${{parent.outputs.model}}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse("p.yml", []byte(head+tc.jobs))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				in := doc.(*PipelineJob).Jobs["a"].Inputs["x"]
				if in.Binding == nil || in.Binding.Key() != "parent.inputs.data" || in.Mode != ModeDownload || in.Type != TypeURIFolder {
					t.Errorf("input = %+v", in)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStepsComponents(t *testing.T) {
	t.Parallel()
	const comp = "inputs:\n  data: {type: uri_folder}\n  epochs: {type: integer, min: 1, max: 100}\n  mode: {type: string, enum: [fast, slow], default: fast}\n  seed: {type: integer, optional: true}\noutputs:\n  model: {type: mlflow_model}\ncommand: train ${{inputs.data}} ${{inputs.epochs}} ${{inputs.mode}} $[[--seed ${{inputs.seed}}]] ${{outputs.model}}\n"
	c, err := ParseKind(KindCommandComponent, "train.yml", []byte(comp))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, step, want string
	}{
		{"ok", "    inputs:\n      data: {type: uri_folder, path: ./d}\n      epochs: 10\n", ""},
		{"missing required", "    inputs:\n      epochs: 10\n", `jobs.t: the component's input "data" is required and not given`},
		{"out of range", "    inputs:\n      data: {path: ./d}\n      epochs: 1000\n", `jobs.t.inputs.epochs "1000" is above the maximum 100`},
		{"not in enum", "    inputs:\n      data: {path: ./d}\n      epochs: 5\n      mode: medium\n", `jobs.t.inputs.mode "medium" is not one of the allowed values "fast", "slow"`},
		{"unknown input", "    inputs:\n      data: {path: ./d}\n      epochs: 5\n      epoch: 5\n", `jobs.t.inputs.epoch refers to an undefined component input "epoch" (did you mean "epochs"?)`},
		{"literal for data", "    inputs:\n      data: ./d\n      epochs: 5\n", `jobs.t.inputs.data is a uri_folder input; give type and path, not the literal "./d"`},
		{"data for literal", "    inputs:\n      data: {path: ./d}\n      epochs: {type: uri_file, path: ./e}\n", `jobs.t.inputs.epochs is an integer input; give a literal value, not data`},
		{"unknown output", "    inputs:\n      data: {path: ./d}\n      epochs: 5\n    outputs:\n      modl:\n", `jobs.t.outputs.modl refers to an undefined component output "modl" (did you mean "model"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Parse("p.yml", []byte("type: pipeline\njobs:\n  t:\n    component: ./train.yml\n"+tc.step))
			if err != nil {
				t.Fatal(err)
			}
			p := doc.(*PipelineJob)
			// Without the component, only what the file shows is checked.
			if _, err := Steps(p); err != nil {
				t.Fatalf("Steps before loading the component: %v", err)
			}
			p.Jobs["t"].Component = c.(*CommandComponent)
			_, err = Steps(p)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
