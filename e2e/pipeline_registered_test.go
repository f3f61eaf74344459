package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/client"
)

const regInnerYAML = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: e2e_reg_fit
version: "1"
inputs:
  epochs:
    type: integer
outputs:
  model:
    type: uri_folder
command: echo "fit for ${{inputs.epochs}} epochs" > ${{outputs.model}}/model.txt
`

const regSubYAML = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: e2e_reg_sub
inputs:
  epochs:
    type: integer
    default: 2
outputs:
  model:
    type: uri_folder
jobs:
  fit:
    component: azureml:e2e_reg_fit@latest
    inputs:
      epochs: ${{parent.inputs.epochs}}
    outputs:
      model: ${{parent.outputs.model}}
  check:
    command: cat ${{inputs.model}}/model.txt
    inputs:
      model: ${{parent.jobs.fit.outputs.model}}
`

const regOuterYAML = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
experiment_name: e2e-registered
settings:
  default_compute: azureml:local
jobs:
  nest:
    type: pipeline
    component: azureml:e2e_reg_sub@latest
    inputs:
      epochs: 3
  after:
    command: echo "after read $(cat ${{inputs.m}}/model.txt)"
    inputs:
      m: ${{parent.jobs.nest.outputs.model}}
`

// TestPipelineRegisteredComponent registers a command component and a
// pipeline component whose steps run it (by azureml:...@latest) and an
// inline command, then submits a pipeline whose step runs the registered
// pipeline component (type: pipeline, azureml:e2e_reg_sub@latest)
// through the real binary: its steps run as nest_<inner> jobs with the
// registered inner component pinned, data flows to the pipeline's own
// step, and a second submission reuses every step. Registering a pipeline
// component that names a local component file is refused with its
// file:line.
func TestPipelineRegisteredComponent(t *testing.T) {
	t.Parallel()
	p := up(t, t.TempDir())
	env := p.cliEnv(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	c, err := client.New(p.url, p.token(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, errOut, code := run(t, env, args...)
		if code != 0 {
			t.Fatalf("lathe %v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		return out
	}
	mustRun("component", "create", "-f", write("inner.yml", regInnerYAML))
	mustRun("component", "create", "-f", write("sub.yml", regSubYAML))
	if out := mustRun("component", "show", "-n", "e2e_reg_sub"); !strings.Contains(out, "pipeline") || !strings.Contains(out, "e2e_reg_sub") {
		t.Errorf("component show of the pipeline component does not say its kind:\n%s", out)
	}
	outer := write("outer.yml", regOuterYAML)
	all := []string{"nest_fit", "nest_check", "after"}

	mustRun("job", "create", "-f", outer, "--name", "reg1", "--stream")
	s1 := stepsByName(t, c, "reg1")
	if len(s1) != len(all) {
		t.Fatalf("steps = %+v; want %v", s1, all)
	}
	for _, k := range all {
		if s1[k].State != "completed" || s1[k].Reused || s1[k].Job != "reg1-"+k {
			t.Fatalf("reg1 step %s = %+v; want completed as job reg1-%s", k, s1[k], k)
		}
	}
	if got := s1["nest_fit"].Component; got != "e2e_reg_fit:1" {
		t.Errorf("nest_fit ran component %q; want e2e_reg_fit:1", got)
	}
	if log := logText(t, c, s1["after"].Job); !strings.Contains(log, "after read fit for 3 epochs") {
		t.Errorf("after did not read the registered pipeline component's output:\n%s", log)
	}

	// The same submission again reuses every step.
	out := mustRun("job", "create", "-f", outer, "--name", "reg2", "--stream")
	s2 := stepsByName(t, c, "reg2")
	for _, k := range all {
		if s2[k].State != "reused" || s2[k].Job != s1[k].Job {
			t.Errorf("reg2 step %s = %+v; want reused from %s\n%s", k, s2[k], s1[k].Job, out)
		}
	}

	// A pipeline component naming a local component file cannot be
	// registered: its YAML would not be self-contained.
	bad := write("badsub.yml", strings.Replace(strings.Replace(regSubYAML, "azureml:e2e_reg_fit@latest", "./inner.yml", 1), "e2e_reg_sub", "e2e_reg_bad", 1))
	_, errOut, code := run(t, env, "component", "create", "-f", bad)
	if want := "badsub.yml:12:3: jobs.fit: component ./inner.yml is a local file"; code == 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "register it first") {
		t.Errorf("lathe component create -f badsub.yml: exit %d\n%s\nwant %q", code, errOut, want)
	}
}
