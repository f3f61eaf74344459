package pipeline

import (
	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// Upstream is what a completed (or reused) step offers the steps that read
// from it: its concrete inputs and its outputs, each output's Data set to
// the data version (name:version) it was registered as.
type Upstream struct {
	Inputs  map[string]lathe.JobInput
	Outputs map[string]lathe.JobOutput
}

// StepInputs returns the concrete inputs of step name of pipeline p:
// literals and paths as written, ${{parent.inputs.x}} replaced by params[x]
// (the pipeline's inputs as resolved at submit), and
// ${{parent.jobs.s.outputs.y}} by the data version step s's output y was
// registered as (done[s], which must be there: s has succeeded). An input
// bound to a pipeline input or upstream input that has no value is left
// out when the component declares it optional, takes the component's
// default when it has one, and is an error otherwise; a component's inputs
// the step does not give take their defaults the same way.
//
// Types are checked where the binding is resolved: data cannot feed a
// literal input or the reverse, and data types must match, except that a
// uri_folder input accepts any folder (mltable, mlflow_model,
// custom_model). A mismatch is an EINVALID error naming the step and input.
func StepInputs(p *spec.PipelineJob, name string, params map[string]lathe.JobInput, done map[string]Upstream) (map[string]lathe.JobInput, error) {
	s := p.Jobs[name]
	if s == nil {
		return nil, lathe.Errorf(lathe.EINVALID, "the pipeline has no step %q", name)
	}
	out := make(map[string]lathe.JobInput, len(s.Inputs))
	for _, k := range sortedKeys(s.Inputs) {
		in := s.Inputs[k]
		want := declaredType(s, in)
		var v lathe.JobInput
		switch {
		case in.Value != nil:
			text := in.Value.Text
			v = lathe.JobInput{Type: in.Value.Type, Value: &text}
			if want != "" && isLiteral(want) {
				v.Type = want
			}
		case in.Path != nil:
			v = lathe.JobInput{Type: in.Type, Path: in.Path.String(), Mode: in.Mode}
			if want != "" {
				v.Type = want
			}
		case in.Binding != nil:
			got, from, ok, err := resolve(in.Binding, params, done, name)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue // filled from the component's declaration below, or refused
			}
			if !compatible(inputType(got), want) {
				return nil, lathe.Errorf(lathe.EINVALID,
					"step %q input %q is %s %s input, but %s is %s %s; declare the input as %s or bind it to %s %s",
					name, k, article(want), want, from, article(inputType(got)), inputType(got), inputType(got), article(want), want)
			}
			v = got
			if want != "" {
				v.Type = want
			}
			if in.Mode != "" {
				v.Mode = in.Mode
			}
		default:
			continue
		}
		out[k] = v
	}
	for _, k := range sortedKeys(s.Inputs) {
		if _, ok := out[k]; !ok && s.Inputs[k].Binding != nil && !declared(s, k) {
			return nil, lathe.Errorf(lathe.EINVALID, "step %q input %q is bound to %s, which has no value; give the pipeline that input", name, k, s.Inputs[k].Binding)
		}
	}
	if s.Component != nil {
		for _, k := range sortedKeys(s.Component.Inputs) {
			prm := s.Component.Inputs[k]
			if _, ok := out[k]; ok {
				continue
			}
			switch {
			case prm.Default != nil:
				text := prm.Default.Text
				if isLiteral(prm.Type) {
					out[k] = lathe.JobInput{Type: prm.Type, Value: &text}
				} else {
					out[k] = lathe.JobInput{Type: prm.Type, Path: text, Mode: prm.Mode}
				}
			case prm.Optional:
			default:
				how := "add it under the step's inputs:"
				if in := s.Inputs[k]; in != nil && in.Binding != nil {
					how = in.Binding.String() + " has no value; give the pipeline that input"
				}
				return nil, lathe.Errorf(lathe.EINVALID, "step %q input %q is required by its component and has no value; %s", name, k, how)
			}
		}
	}
	return out, nil
}

// resolve returns the value a binding names, a description of it for
// messages, and false when it names an input that has no value.
func resolve(b *spec.Expr, params map[string]lathe.JobInput, done map[string]Upstream, step string) (lathe.JobInput, string, bool, error) {
	from := b.String()
	if len(b.Path) == 3 && b.Path[1] == "inputs" {
		v, ok := params[b.Path[2]]
		return v, from, ok, nil
	}
	if len(b.Path) != 5 || b.Path[1] != "jobs" {
		return lathe.JobInput{}, from, false, lathe.Errorf(lathe.EINVALID, "step %q: %s is not an input binding; use ${{parent.inputs.x}} or ${{parent.jobs.<step>.outputs.y}}", step, from)
	}
	up, ok := done[b.Path[2]]
	if !ok {
		return lathe.JobInput{}, from, false, lathe.Errorf(lathe.ECONFLICT, "step %q reads %s, but step %q has not completed", step, from, b.Path[2])
	}
	if b.Path[3] == "inputs" {
		v, ok := up.Inputs[b.Path[4]]
		return v, from, ok, nil
	}
	o, ok := up.Outputs[b.Path[4]]
	if !ok || o.Data == "" {
		return lathe.JobInput{}, from, false, lathe.Errorf(lathe.ECONFLICT, "step %q reads %s, but step %q recorded no data version for output %q", step, from, b.Path[2], b.Path[4])
	}
	typ := o.Type
	if typ == "" {
		typ = spec.TypeURIFolder
	}
	return lathe.JobInput{Type: typ, Path: "azureml:" + o.Data, Data: o.Data}, from, true, nil
}

// declaredType is the type the step declares for an input: its
// component's, else the type written on the step ("" for a bare binding).
func declaredType(s *spec.PipelineStep, in *spec.Input) string {
	if s.Component != nil {
		if prm := s.Component.Inputs[in.Name]; prm != nil {
			return prm.Type
		}
	}
	if in.Value != nil {
		return ""
	}
	return in.Type
}

// declared reports whether the step's component declares input k.
func declared(s *spec.PipelineStep, k string) bool {
	return s.Component != nil && s.Component.Inputs[k] != nil
}

// inputType is a concrete input's type, with literals typed string when
// they carry no type and data uri_folder.
func inputType(v lathe.JobInput) string {
	switch {
	case v.Type != "":
		return v.Type
	case v.IsLiteral():
		return spec.TypeString
	}
	return spec.TypeURIFolder
}

func isLiteral(t string) bool {
	return t == spec.TypeString || t == spec.TypeInteger || t == spec.TypeNumber || t == spec.TypeBoolean
}

// compatible reports whether a value of type from can feed an input of
// type to ("" accepts anything).
func compatible(from, to string) bool {
	switch {
	case to == "" || from == to:
		return true
	case isLiteral(from) != isLiteral(to):
		return false
	case isLiteral(to):
		return to == spec.TypeString || to == spec.TypeNumber && from == spec.TypeInteger
	}
	// A folder input takes any folder-shaped data, and a single file (it
	// is staged as a folder holding that file).
	return to == spec.TypeURIFolder && (from == spec.TypeURIFile || from == spec.TypeMLTable || from == spec.TypeMLflowModel || from == spec.TypeCustomModel)
}

func article(t string) string {
	if t != "" && (t[0] == 'a' || t[0] == 'e' || t[0] == 'i' || t[0] == 'o' || t[0] == 'm') {
		return "an"
	}
	return "a"
}

// PipelineOutputs returns the pipeline's outputs (outputs: bound from steps
// with ${{parent.outputs.z}}) as the data versions of the step outputs
// bound to them, for the steps in done.
func PipelineOutputs(p *spec.PipelineJob, done map[string]Upstream) map[string]lathe.JobOutput {
	out := map[string]lathe.JobOutput{}
	for _, name := range sortedKeys(p.Jobs) {
		up, ok := done[name]
		if !ok {
			continue
		}
		for _, k := range sortedKeys(p.Jobs[name].Outputs) {
			o := p.Jobs[name].Outputs[k]
			if o.Binding == nil || len(o.Binding.Path) != 3 {
				continue
			}
			if v, ok := up.Outputs[k]; ok && v.Data != "" {
				out[o.Binding.Path[2]] = v
			}
		}
	}
	return out
}
