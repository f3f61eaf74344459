package pipeline

import (
	"maps"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func digestOf(s string) lathe.Digest {
	return lathe.Digest(lathe.DigestPrefix + strings.Repeat(s, 64)[:64])
}

func baseParts() KeyParts {
	return KeyParts{
		Component:            "train:3",
		ComponentDigest:      digestOf("c"),
		Command:              "python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --out ${{outputs.model}}",
		Code:                 digestOf("a"),
		Environment:          digestOf("e"),
		EnvironmentVariables: map[string]string{"SEED": "1", "MODE": "fast"},
		Inputs: map[string]KeyInput{
			"data": {Type: "uri_folder", Data: digestOf("d")},
			"lr":   {Type: "number", Value: "0.01"},
		},
		Outputs:       map[string]string{"model": "mlflow_model", "metrics": "uri_file"},
		Deterministic: true,
	}
}

// clone copies p's maps so a case can change one without touching others.
func clone(p KeyParts) KeyParts {
	p.EnvironmentVariables = maps.Clone(p.EnvironmentVariables)
	p.Inputs = maps.Clone(p.Inputs)
	p.Outputs = maps.Clone(p.Outputs)
	return p
}

func TestCacheKeyChangesWithEveryPart(t *testing.T) {
	t.Parallel()
	base := CacheKey(baseParts())
	for _, tc := range []struct {
		name   string
		change func(p *KeyParts)
	}{
		{"component", func(p *KeyParts) { p.Component = "train:4" }},
		{"inline instead of component", func(p *KeyParts) { p.Component = "" }},
		{"component digest", func(p *KeyParts) { p.ComponentDigest = digestOf("f") }},
		{"command", func(p *KeyParts) { p.Command += " --verbose" }},
		{"code", func(p *KeyParts) { p.Code = digestOf("b") }},
		{"no code", func(p *KeyParts) { p.Code = "" }},
		{"environment", func(p *KeyParts) { p.Environment = digestOf("9") }},
		{"env var value", func(p *KeyParts) { p.EnvironmentVariables["SEED"] = "2" }},
		{"env var added", func(p *KeyParts) { p.EnvironmentVariables["X"] = "" }},
		{"env var removed", func(p *KeyParts) { delete(p.EnvironmentVariables, "MODE") }},
		{"input data version", func(p *KeyParts) { p.Inputs["data"] = KeyInput{Type: "uri_folder", Data: digestOf("0")} }},
		{"input data type", func(p *KeyParts) { p.Inputs["data"] = KeyInput{Type: "mltable", Data: digestOf("d")} }},
		{"literal value", func(p *KeyParts) { p.Inputs["lr"] = KeyInput{Type: "number", Value: "0.02"} }},
		{"literal type", func(p *KeyParts) { p.Inputs["lr"] = KeyInput{Type: "string", Value: "0.01"} }},
		{"input renamed", func(p *KeyParts) { p.Inputs["rate"] = p.Inputs["lr"]; delete(p.Inputs, "lr") }},
		{"optional input left out", func(p *KeyParts) { delete(p.Inputs, "lr") }},
		{"output type", func(p *KeyParts) { p.Outputs["model"] = "custom_model" }},
		{"output renamed", func(p *KeyParts) { p.Outputs["scores"] = p.Outputs["metrics"]; delete(p.Outputs, "metrics") }},
		{"output added", func(p *KeyParts) { p.Outputs["extra"] = "uri_folder" }},
		{"deterministic", func(p *KeyParts) { p.Deterministic = false }},
		// Boundaries between fields cannot shift without changing the key.
		{"text moved between fields", func(p *KeyParts) { p.Component, p.Command = "train:3 python", p.Command[len("python "):] }},
		{"env var name and value swapped", func(p *KeyParts) {
			p.EnvironmentVariables = map[string]string{"1": "SEED", "MODE": "fast"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := clone(baseParts())
			tc.change(&p)
			if got := CacheKey(p); got == base {
				t.Errorf("key unchanged: %s", got)
			}
		})
	}
}

func TestCacheKeyEqualParts(t *testing.T) {
	t.Parallel()
	a := baseParts()
	// Build the same parts with maps filled in another order.
	b := baseParts()
	b.EnvironmentVariables = map[string]string{}
	b.EnvironmentVariables["MODE"] = "fast"
	b.EnvironmentVariables["SEED"] = "1"
	b.Inputs = map[string]KeyInput{"lr": a.Inputs["lr"], "data": a.Inputs["data"]}
	if CacheKey(a) != CacheKey(b) {
		t.Error("equal parts gave different keys")
	}
	for i := range 20 {
		if CacheKey(baseParts()) != CacheKey(a) {
			t.Fatalf("key changed between calls (call %d)", i)
		}
	}
	if nilMaps, empty := CacheKey(KeyParts{}), CacheKey(KeyParts{Inputs: map[string]KeyInput{}, Outputs: map[string]string{}}); nilMaps != empty {
		t.Error("nil and empty maps gave different keys")
	}
	if _, err := lathe.ParseDigest(string(CacheKey(a))); err != nil {
		t.Errorf("key is not a digest: %v", err)
	}
}

func TestReusable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    Reuse
		want bool
	}{
		{Reuse{Deterministic: true}, true},
		{Reuse{}, false},
		{Reuse{Deterministic: true, ForceStep: true}, false},
		{Reuse{Deterministic: true, ForcePipeline: true}, false},
		{Reuse{Deterministic: true, ForceSubmit: true}, false},
	} {
		if got := Reusable(tc.r); got != tc.want {
			t.Errorf("Reusable(%+v) = %v, want %v", tc.r, got, tc.want)
		}
	}
}

func TestStepReuse(t *testing.T) {
	t.Parallel()
	const src = `type: pipeline
settings:
  force_rerun: %s
jobs:
  inline:
    command: echo hi
  det:
    component:
      command: echo det
  nondet:
    component:
      is_deterministic: false
      command: echo nondet
  unloaded:
    component: ./train.yml
  forced:
    command: echo again
    force_rerun: true
`
	for _, tc := range []struct {
		force       string
		submit      bool
		step        string
		want        bool
		description string
	}{
		{"false", false, "inline", true, "inline steps are deterministic"},
		{"false", false, "det", true, "components default to deterministic"},
		{"false", false, "nondet", false, "is_deterministic: false"},
		{"false", false, "unloaded", false, "a component not loaded is never reused"},
		{"true", false, "det", false, "settings.force_rerun"},
		{"false", true, "det", false, "--force-rerun"},
		{"false", false, "forced", false, "the step's force_rerun"},
	} {
		t.Run(tc.description, func(t *testing.T) {
			t.Parallel()
			p := parsePipeline(t, strings.Replace(src, "%s", tc.force, 1))
			if got := Reusable(StepReuse(p, tc.step, tc.submit)); got != tc.want {
				t.Errorf("Reusable = %v, want %v", got, tc.want)
			}
		})
	}
}
