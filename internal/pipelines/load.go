package pipelines

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/pipeline"
	"github.com/latheml/lathe/internal/spec"
)

// loaded is a pipeline spec parsed, with its components loaded and its
// DAG built.
type loaded struct {
	ps    *lathe.PipelineSpec
	p     *spec.PipelineJob
	steps []spec.Step
	g     *pipeline.Graph
	// comps holds each component step's component (nil for inline
	// commands and components written inline in the YAML).
	comps map[string]*lathe.Component
	// params are the pipeline's inputs as resolved at submit.
	params map[string]lathe.JobInput
}

// load parses a pipeline spec and loads its steps' components. pinned,
// when not nil, gives the component each step was submitted with
// (name:version), so a pipeline taken up after a restart runs what it
// was submitted with even if @latest moved.
func (s *Service) load(ctx context.Context, ws string, ps *lathe.PipelineSpec, pinned map[string]string) (*loaded, error) {
	if err := ps.Validate(); err != nil {
		return nil, err
	}
	file := ps.File
	if file == "" {
		file = "pipeline.yml"
	}
	doc, err := spec.Parse(file, []byte(ps.YAML))
	if err != nil {
		return nil, err
	}
	if err := spec.CheckSupported(doc); err != nil {
		return nil, err
	}
	if len(ps.Set) > 0 {
		if doc, err = spec.Set(doc, ps.Set...); err != nil {
			return nil, err
		}
	}
	p, ok := doc.(*spec.PipelineJob)
	if !ok {
		return nil, lathe.Errorf(lathe.EINVALID, "%s is a %s document, not a pipeline job; a pipeline has type: pipeline and jobs:", file, doc.Kind())
	}
	if p, err = flattenNested(file, ps, p, s.pipelineFinder(ctx, ws)); err != nil {
		return nil, err
	}
	if len(p.Jobs) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "%s: the pipeline has no steps; add them under jobs:", p.Pos)
	}
	if len(p.Jobs) > lathe.MaxPipelineSteps {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s: the pipeline has %d steps; the limit is %d", p.Pos, len(p.Jobs), lathe.MaxPipelineSteps)
	}
	l := &loaded{ps: ps, p: p, comps: map[string]*lathe.Component{}}
	for _, name := range p.StepNames() {
		st := p.Jobs[name]
		if st.ComponentRef == nil || st.Component != nil {
			continue
		}
		c, err := s.stepComponent(ctx, ws, ps, st, pinned[name])
		if err != nil {
			return nil, err
		}
		cc, err := parseComponent(c.Spec)
		if err != nil {
			return nil, fmt.Errorf("%s: component %s: %w", st.Pos, st.ComponentRef.Raw, err)
		}
		st.Component, l.comps[name] = cc, c
	}
	if l.steps, err = spec.Steps(p); err != nil {
		return nil, err
	}
	if l.g, err = pipeline.FromSteps(l.steps); err != nil {
		return nil, err
	}
	if l.params, err = s.params(ctx, ws, ps, p); err != nil {
		return nil, err
	}
	return l, nil
}

// stepComponent finds the component a step names.
func (s *Service) stepComponent(ctx context.Context, ws string, ps *lathe.PipelineSpec, st *spec.PipelineStep, pin string) (*lathe.Component, error) {
	ref := st.ComponentRef
	if pin != "" {
		if strings.HasPrefix(pin, lathe.AnonymousComponent+":") {
			name, ver, _ := strings.Cut(pin, ":")
			return s.o.Store.Component(ctx, ws, name, ver)
		}
		return s.Component(ctx, ws, pin)
	}
	switch ref.Kind {
	case spec.RefLocal:
		reg := ps.Components[spec.LocalKey(st.Dir, ref)]
		if reg == "" && st.Dir == "" {
			reg = ps.Components[ref.Path]
		}
		if reg == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "%s: component %s is a local file that was not uploaded with the pipeline; submit it with `lathe job create -f`, which registers component files", st.Pos, ref.Raw)
		}
		name, ver, ok := strings.Cut(reg, ":")
		if !ok {
			return nil, lathe.Errorf(lathe.EINVALID, "components[%q] = %q: give the registered component as name:version", ref.Raw, reg)
		}
		c, err := s.o.Store.Component(ctx, ws, name, ver)
		if err != nil {
			return nil, fmt.Errorf("%s: component %s: %w", st.Pos, ref.Raw, err)
		}
		return c, nil
	case spec.RefAsset:
		r := ref.Raw
		if ref.Version == "" && ref.Label == "" {
			r = "azureml:" + ref.Name + "@latest"
		}
		c, err := s.Component(ctx, ws, r)
		if err != nil {
			return nil, fmt.Errorf("%s: component %s: %w", st.Pos, ref.Raw, err)
		}
		return c, nil
	}
	return nil, lathe.Errorf(lathe.EUNSUPPORTED, "%s: component %s: use a file (component: ./train.yml), a registered component (azureml:<name>:<version> or azureml:<name>@latest) or a built-in one (azureml:lathe.train_tabular@latest); registry components are not supported", st.Pos, ref.Raw)
}

// params resolves the pipeline's inputs: literals as written, data paths
// with uploads substituted and azureml: references pinned to a version.
func (s *Service) params(ctx context.Context, ws string, ps *lathe.PipelineSpec, p *spec.PipelineJob) (map[string]lathe.JobInput, error) {
	out := map[string]lathe.JobInput{}
	for _, k := range sortedKeys(p.Inputs) {
		in := p.Inputs[k]
		switch {
		case in.Value != nil:
			v := in.Value.Text
			t := in.Value.Type
			if in.Type != "" && !in.IsData() {
				t = in.Type
			}
			out[k] = lathe.JobInput{Type: t, Value: &v}
		case in.Path != nil:
			ji := lathe.JobInput{Type: in.Type, Path: in.Path.String(), Mode: in.Mode}
			if in.Path.Kind == spec.RefLocal {
				up := ps.Uploads["inputs."+k]
				if up == "" {
					return nil, lathe.Errorf(lathe.EINVALID, "%s: inputs.%s is the local path %s, which was not uploaded; submit with `lathe job create -f`, which uploads local inputs", in.Pos, k, in.Path.Raw)
				}
				ji.Path = up
			}
			if err := s.pin(ctx, ws, &ji); err != nil {
				return nil, fmt.Errorf("%s: inputs.%s: %w", in.Pos, k, err)
			}
			out[k] = ji
		}
	}
	return out, nil
}

// pin resolves an azureml:<name>:<version> or @latest data path to its
// version, so every step reads the same data.
func (s *Service) pin(ctx context.Context, ws string, in *lathe.JobInput) error {
	if s.o.Data == nil || !(strings.HasPrefix(in.Path, "azureml:") || strings.HasPrefix(in.Path, "lathe:")) || strings.Contains(in.Path, "://") {
		return nil
	}
	r, err := lathe.ParseAssetRef(in.Path, true)
	if err != nil {
		return err
	}
	v, err := s.o.Data.Version(ctx, ws, r)
	if err != nil {
		return err
	}
	in.Path, in.Data = "azureml:"+v.Name+":"+v.Version, v.Name+":"+v.Version
	return nil
}

// check binds every step's inputs in run order, with placeholder data
// versions for upstream outputs, and checks each value against its
// component's declaration: type, enum, min and max, and that required
// inputs have values. It reports the first problem with its file:line.
func (l *loaded) check() error {
	done := map[string]pipeline.Upstream{}
	for _, st := range l.steps {
		ins, err := pipeline.StepInputs(l.p, st.Name, l.params, done)
		if err != nil {
			return fmt.Errorf("%s: %w", st.Job.Pos, err)
		}
		if cc := st.Job.Component; cc != nil {
			for _, k := range sortedKeys(ins) {
				prm := cc.Inputs[k]
				if prm == nil {
					continue
				}
				if msg := checkValue(prm, ins[k]); msg != "" {
					pos := st.Job.Pos
					if in := st.Job.Inputs[k]; in != nil {
						pos = in.Pos
					}
					return lathe.Errorf(lathe.EINVALID, "%s: step %s input %s %s", pos, st.Name, k, msg)
				}
			}
		}
		up := pipeline.Upstream{Inputs: ins, Outputs: map[string]lathe.JobOutput{}}
		for k, o := range stepOutputs(l.p, st.Job) {
			o.Data = "pending_" + st.Name + "_" + k + ":1"
			up.Outputs[k] = o
		}
		done[st.Name] = up
	}
	return nil
}

// checkValue checks a literal value against a component input's type,
// enum and bounds; it returns what is wrong, or "".
func checkValue(prm *spec.Param, in lathe.JobInput) string {
	if in.Value == nil {
		return ""
	}
	v := strings.TrimSpace(*in.Value)
	switch prm.Type {
	case spec.TypeInteger:
		if _, err := strconv.ParseInt(v, 0, 64); err != nil {
			return "must be an integer, not " + strconv.Quote(v)
		}
	case spec.TypeNumber:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "must be a number, not " + strconv.Quote(v)
		}
	case spec.TypeBoolean:
		if l := strings.ToLower(v); l != "true" && l != "false" {
			return "must be true or false, not " + strconv.Quote(v)
		}
		return ""
	case spec.TypeString:
		if len(prm.Enum) > 0 {
			for _, e := range prm.Enum {
				if e == *in.Value {
					return ""
				}
			}
			return fmt.Sprintf("is %q, which is not one of the allowed values %s", *in.Value, strings.Join(prm.Enum, ", "))
		}
		return ""
	default:
		return ""
	}
	f, _ := strconv.ParseFloat(v, 64)
	if n, err := strconv.ParseInt(v, 0, 64); err == nil {
		f = float64(n)
	}
	if prm.Min != nil && f < *prm.Min {
		return fmt.Sprintf("is %s, below the minimum %g", v, *prm.Min)
	}
	if prm.Max != nil && f > *prm.Max {
		return fmt.Sprintf("is %s, above the maximum %g", v, *prm.Max)
	}
	return ""
}

// stepOutputs returns a step's outputs: its component's (with the step's
// settings applied) or, for an inline command, its own. An output bound to
// a pipeline output (${{parent.outputs.z}}) that names an asset is
// registered under that name.
func stepOutputs(p *spec.PipelineJob, st *spec.PipelineStep) map[string]lathe.JobOutput {
	out := map[string]lathe.JobOutput{}
	if cc := st.Component; cc != nil {
		for k, o := range cc.Outputs {
			out[k] = lathe.JobOutput{Type: o.Type, Mode: o.Mode, Description: o.Description}
		}
	}
	for k, o := range st.Outputs {
		jo := out[k]
		if o.Type != "" {
			jo.Type = o.Type
		}
		if o.Mode != "" {
			jo.Mode = o.Mode
		}
		if b := o.Binding; b != nil && len(b.Path) == 3 && b.Path[0] == "parent" && b.Path[1] == "outputs" {
			if po := p.Outputs[b.Path[2]]; po != nil && po.AssetName != "" {
				jo.Name, jo.Version = po.AssetName, po.AssetVersion
				if po.Description != "" {
					jo.Description = po.Description
				}
			}
		}
		if o.AssetName != "" {
			jo.Name, jo.Version = o.AssetName, o.AssetVersion
		}
		if o.Description != "" {
			jo.Description = o.Description
		}
		out[k] = jo
	}
	for k, o := range out {
		if o.Type == "" {
			o.Type = lathe.DataURIFolder
		}
		out[k] = o
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
