package pipelines

import (
	"context"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func TestCreatePipelineComponent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := New(Options{Store: e.db, Jobs: e.jobs})
	ctx := context.Background()
	create := func(file, yaml string) (*lathe.Component, error) {
		return s.CreateComponent(ctx, e.ws.ID, "ada", ComponentRequest{Spec: lathe.ComponentSpec{File: file, YAML: yaml}})
	}
	inner, err := create("fit.yml", "name: fit\nversion: \"1\"\ntype: command\noutputs:\n  model: {type: uri_folder}\ncommand: echo\n")
	if err != nil {
		t.Fatal(err)
	}
	if k := ComponentKind(inner); k != "command" {
		t.Errorf("kind of fit = %s, want command", k)
	}
	head := "type: pipeline\nname: sub\noutputs:\n  m: {type: uri_folder}\njobs:\n  a:\n"
	cases := []struct {
		name string
		step string // the step's fields
		err  string // "" when it registers
	}{
		{"registered", "    component: azureml:fit@latest\n    outputs: {model: '${{parent.outputs.m}}'}\n", ""},
		{"local file", "    component: ./fit.yml\n    outputs: {model: '${{parent.outputs.m}}'}\n", "sub.yml:6:3: jobs.a: component ./fit.yml is a local file"},
		{"missing", "    component: azureml:nope:1\n    outputs: {model: '${{parent.outputs.m}}'}\n", "sub.yml:6:3: jobs.a: component azureml:nope:1"},
		{"command as pipeline", "    type: pipeline\n    component: azureml:fit:1\n    outputs: {m: '${{parent.outputs.m}}'}\n", "component azureml:fit:1 is a command component"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := create("sub.yml", head+c.step)
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if k := ComponentKind(got); k != "pipeline" || got.Name != "sub" {
					t.Errorf("registered %s as %s, want sub as pipeline", got.Ref(), k)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want %q", err, c.err)
			}
		})
	}
	// A plain step cannot run a pipeline component.
	_, err = create("outer.yml", "type: pipeline\nname: outer\njobs:\n  b:\n    component: azureml:sub@latest\n")
	if err == nil || !strings.Contains(err.Error(), "component azureml:sub@latest is a pipeline component") {
		t.Errorf("plain step running a pipeline component: %v", err)
	}
}

// TestSubmitPinsRegisteredPipelines submits a pipeline running a registered
// pipeline component by @latest with a pin of the client's own in the
// request: the server ignores it and pins the version @latest names now.
func TestSubmitPinsRegisteredPipelines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := New(Options{Store: e.db, Jobs: e.jobs})
	ctx := context.Background()
	create := func(file, yaml string) {
		t.Helper()
		if _, err := s.CreateComponent(ctx, e.ws.ID, "ada", ComponentRequest{Spec: lathe.ComponentSpec{File: file, YAML: yaml}}); err != nil {
			t.Fatal(err)
		}
	}
	create("fit.yml", "name: fit\nversion: \"1\"\ntype: command\noutputs:\n  model: {type: uri_folder}\ncommand: echo\n")
	sub := "type: pipeline\nname: sub\noutputs:\n  m: {type: uri_folder}\njobs:\n  a:\n    component: azureml:fit@latest\n    outputs: {model: '${{parent.outputs.m}}'}\n"
	create("sub.yml", sub)
	create("sub.yml", sub) // sub:2
	outer := "type: pipeline\njobs:\n  fit:\n    type: pipeline\n    component: azureml:sub@latest\n"
	j, err := s.Submit(ctx, e.ws, e.user, SubmitRequest{Name: "pinned", Spec: lathe.PipelineSpec{File: "outer.yml", YAML: outer,
		Components: map[string]string{"azureml:sub@latest": "sub:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := e.db.PipelineSpec(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := ps.Components["azureml:sub@latest"]; got != "sub:2" {
		t.Errorf("azureml:sub@latest pinned to %q, want sub:2 (the client's sub:1 ignored)", got)
	}
}
