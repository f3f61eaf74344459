package spec

import (
	"path"
	"strings"

	"github.com/latheml/lathe"
)

// MaxNesting is how deep pipeline components may nest: a pipeline's
// type: pipeline step runs a component whose steps may run components ...
// at most this many levels down.
const MaxNesting = 5

// LocalKey names a step's local file reference (component: ./train.yml,
// code: ./src) relative to the pipeline's own directory: the reference as
// written for the pipeline's own steps (dir ""), else dir joined with it.
// Clients key PipelineSpec.Components and PipelineSpec.Pipelines by it.
func LocalKey(dir string, r *Ref) string {
	if dir == "" || path.IsAbs(r.Path) {
		return r.Raw
	}
	return path.Join(dir, r.Path)
}

// LoadPipeline loads the pipeline component a nested step names: for a
// file, key is its LocalKey (relative to the pipeline's directory); for a
// registered component, the reference as written (azureml:sub:1). It
// returns the parsed component (ParseKind with KindPipelineComponent).
type LoadPipeline func(key string, step *PipelineStep) (*PipelineComponent, error)

// ResolveNested loads the pipeline components of a pipeline's
// type: pipeline steps, and of their steps, down to MaxNesting levels,
// with load; a component that includes itself is an error naming the
// chain. It sets each such step's Pipeline, and each loaded component's
// steps' Dir (their file's directory relative to the pipeline's), and
// rewrites their local data paths to be relative to the pipeline's
// directory. For a registered component (azureml:<name>:<version> or
// @latest) load gets the reference as written as its key; its steps name
// no local files, so their Dir stays "".
func ResolveNested(p *PipelineJob, load LoadPipeline) error {
	return resolveLevel(p.Jobs, "", 1, nil, load)
}

func resolveLevel(jobs map[string]*PipelineStep, dir string, depth int, chain []string, load LoadPipeline) error {
	for _, name := range keys(jobs) {
		s := jobs[name]
		if !s.IsNested() {
			continue
		}
		if depth > MaxNesting {
			return lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: pipeline components nest more than %d levels deep (%s); flatten some of them", s.Pos, name, MaxNesting, strings.Join(chain, " → "))
		}
		sub, link := dir, "jobs."+name
		if s.Pipeline == nil {
			r := s.ComponentRef
			if r == nil {
				return lathe.Errorf(lathe.EINVALID, "%s: jobs.%s has type: pipeline and no component; give component: ./sub_pipeline.yml", s.Pos, name)
			}
			switch r.Kind {
			case RefLocal:
			case RefAsset:
				if err := resolveRegistered(s, name, depth, chain, load); err != nil {
					return err
				}
				continue
			default:
				return lathe.Errorf(lathe.EUNSUPPORTED, "%s: jobs.%s: component %s: registry pipeline components are not supported; give a file (component: ./sub_pipeline.yml) or a registered one (azureml:<name>:<version> or azureml:<name>@latest)", s.Pos, name, r.Raw)
			}
			key := LocalKey(dir, r)
			clean := path.Clean(path.Join(dir, r.Path))
			for i, c := range chain {
				if c == clean {
					loop := append(append([]string{}, chain[i:]...), clean)
					return lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s includes itself: %s; a pipeline component cannot run itself", s.Pos, name, r.Raw, strings.Join(loop, " → "))
				}
			}
			c, err := load(key, s)
			if err != nil {
				return err
			}
			if c == nil {
				return lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s was not loaded", s.Pos, name, r.Raw)
			}
			s.Pipeline = c
			sub, link = path.Dir(clean), clean
			if sub == "." {
				sub = ""
			}
			rebase(c, sub)
		}
		if err := resolveLevel(s.Pipeline.Jobs, sub, depth+1, append(chain, link), load); err != nil {
			return err
		}
	}
	return nil
}

// resolveRegistered loads a registered (azureml:) pipeline component that
// step s (jobs.name) runs: load gets the reference as written (r.Raw) and
// returns the component. A registered component's steps name no local
// files (CheckRegistrable), so its steps keep Dir "" and nothing is
// rebased; the chain link is the reference as written.
func resolveRegistered(s *PipelineStep, name string, depth int, chain []string, load LoadPipeline) error {
	r := s.ComponentRef
	for i, c := range chain {
		if c == r.Raw {
			loop := append(append([]string{}, chain[i:]...), r.Raw)
			return lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s includes itself: %s; a pipeline component cannot run itself", s.Pos, name, r.Raw, strings.Join(loop, " → "))
		}
	}
	c, err := load(r.Raw, s)
	if err != nil {
		return err
	}
	if c == nil {
		return lathe.Errorf(lathe.EINVALID, "%s: jobs.%s: component %s was not loaded", s.Pos, name, r.Raw)
	}
	s.Pipeline = c
	return resolveLevel(c.Jobs, "", depth+1, append(chain, r.Raw), load)
}

// rebase sets the Dir of a component file's steps and makes its local data
// paths (step inputs and input defaults) relative to the pipeline's
// directory.
func rebase(c *PipelineComponent, dir string) {
	if dir == "" {
		return
	}
	for _, s := range c.Jobs {
		s.Dir = dir
		for k, in := range s.Inputs {
			if in.Path != nil && in.Path.Kind == RefLocal && !path.IsAbs(in.Path.Path) {
				cp, r := *in, *in.Path
				r.Path = path.Join(dir, r.Path)
				cp.Path = &r
				s.Inputs[k] = &cp
			}
		}
		if s.Pipeline != nil && s.ComponentRef == nil {
			rebase(s.Pipeline, dir) // an inline component lives in the same file
		}
	}
	for _, prm := range c.Inputs {
		if prm.Default == nil || isLiteralType(prm.Type) {
			continue
		}
		if r, err := ParseRef(prm.Default.Text); err == nil && r.Kind == RefLocal && !path.IsAbs(r.Path) {
			lit := *prm.Default
			lit.Text = path.Join(dir, r.Path)
			prm.Default = &lit
		}
	}
}

// Flatten returns the pipeline with every type: pipeline step replaced by
// its pipeline component's steps (which must be set, see ResolveNested),
// at any depth. The step outer's inner step s becomes outer_s. Inside the
// component, ${{parent.inputs.x}} becomes what the outer step gives its
// input x (or the input's default; an optional input given nothing is
// dropped), ${{parent.jobs.s...}} becomes ${{parent.jobs.outer_s...}} and
// ${{parent.outputs.y}} becomes what the outer step does with its output y.
// In the pipeline, ${{parent.jobs.outer.outputs.y}} becomes the inner
// step output bound to the component's output y. A pipeline without
// nested steps is returned as it is; otherwise p is not changed. Errors
// (a renamed step colliding with another, inputs the component does not
// declare, required inputs not given, too deep nesting) carry file:line.
func Flatten(p *PipelineJob) (*PipelineJob, error) {
	nested := false
	for _, s := range p.Jobs {
		nested = nested || s.IsNested()
	}
	if !nested {
		return p, nil
	}
	d := &dec{p: &problems{}}
	out := *p
	out.Jobs = flattenLevel(d, p, 1, nil)
	if err := d.p.err(); err != nil {
		return nil, err
	}
	if len(out.Jobs) > MaxSteps {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s: with its pipeline components inlined, the pipeline has %d steps; the limit is %d", p.Pos, len(out.Jobs), MaxSteps)
	}
	return &out, nil
}

// flattenLevel flattens the steps of one pipeline (or component, given as
// a pipeline by asPipeline); bindings to its own parent are kept.
func flattenLevel(d *dec, p *PipelineJob, depth int, seen []*PipelineComponent) map[string]*PipelineStep {
	inner := map[string]map[string]*PipelineStep{} // nested step → its flat steps
	outs := map[string]map[string]*Expr{}          // nested step → output → inner binding
	for _, name := range keys(p.Jobs) {
		s := p.Jobs[name]
		if !s.IsNested() {
			continue
		}
		c := s.Pipeline
		switch {
		case c == nil:
			d.errf(s.Pos, "jobs.%s: its pipeline component is not loaded; load it (ResolveNested) before flattening", name)
			continue
		case depth > MaxNesting:
			d.errf(s.Pos, "jobs.%s: pipeline components nest more than %d levels deep; flatten some of them", name, MaxNesting)
			continue
		}
		cyclic := false
		for _, x := range seen {
			cyclic = cyclic || x == c
		}
		if cyclic {
			d.errf(s.Pos, "jobs.%s: its pipeline component includes itself; a pipeline component cannot run itself", name)
			continue
		}
		checkComponentStep(d, p, s, "jobs."+name)
		flat := flattenLevel(d, c.asPipeline(), depth+1, append(seen, c))
		inner[name], outs[name] = flat, map[string]*Expr{}
		for _, k := range keys(flat) {
			for _, on := range keys(flat[k].Outputs) {
				if b := flat[k].Outputs[on].Binding; b != nil {
					outs[name][b.Path[2]] = &Expr{Path: []string{"parent", "jobs", name + "_" + k, "outputs", on}}
				}
			}
		}
		for _, y := range keys(c.Outputs) {
			if outs[name][y] == nil {
				d.errf(c.Outputs[y].Pos, "outputs.%s of the pipeline component run by jobs.%s is not bound to any of its steps; bind a step output to it with ${{parent.outputs.%s}}", y, name, y)
			}
		}
	}
	f := &flattener{d: d, p: p, outs: outs}
	out := map[string]*PipelineStep{}
	from := map[string]Pos{}
	for _, name := range keys(p.Jobs) {
		if s := p.Jobs[name]; !s.IsNested() {
			out[name], from[name] = f.step(s, name, f.outer), s.Pos
		}
	}
	for _, name := range keys(inner) {
		outer := p.Jobs[name]
		for _, k := range keys(inner[name]) {
			s := inner[name][k]
			flat := name + "_" + k
			if at, taken := from[flat]; taken {
				d.errf(s.Pos, "step %s of the pipeline component run by jobs.%s becomes %s, which is also the step at %s; rename one of them", k, name, flat, at)
				continue
			}
			n := f.step(s, flat, func(in *Input) *Input { return f.inner(outer, inner[name], in) })
			n.Outputs = f.innerOutputs(outer, s.Outputs)
			if n.Compute == "" && outer.Compute != "" {
				n.Compute, n.ComputePos = outer.Compute, outer.ComputePos
			}
			out[flat], from[flat] = n, s.Pos
		}
	}
	return out
}

// flattener rewrites the bindings of one level's steps.
type flattener struct {
	d    *dec
	p    *PipelineJob
	outs map[string]map[string]*Expr
}

// step copies a step with its inputs rewritten by rw (nil drops one).
func (f *flattener) step(s *PipelineStep, name string, rw func(*Input) *Input) *PipelineStep {
	n := *s
	n.Name = name
	n.Inputs = map[string]*Input{}
	for _, k := range keys(s.Inputs) {
		if in := rw(s.Inputs[k]); in != nil {
			n.Inputs[k] = in
		}
	}
	return &n
}

// outer rewrites an input of this level's steps that reads from a nested
// step: its outputs come from the inner steps, its inputs are what it was
// given.
func (f *flattener) outer(in *Input) *Input {
	for hop := 0; hop <= MaxNesting; hop++ {
		b := in.Binding
		if b == nil || b.Path[1] != "jobs" {
			return in
		}
		s := f.p.Jobs[b.Path[2]]
		if s == nil || !s.IsNested() || s.Pipeline == nil {
			return in
		}
		if b.Path[3] == "outputs" {
			x := f.outs[b.Path[2]][b.Path[4]]
			if x == nil {
				f.d.errf(in.Pos, "%s: %s", b, unknown("output of the pipeline component run by step "+b.Path[2], b.Path[4], keys(s.Pipeline.Outputs)))
				return in
			}
			return rebind(in, x)
		}
		given := s.Inputs[b.Path[4]]
		if given == nil {
			return valueOf(in, s.Pipeline.Inputs[b.Path[4]])
		}
		in = renamed(given, in)
	}
	return in
}

// inner rewrites an input of a nested step's inner step.
func (f *flattener) inner(outer *PipelineStep, flat map[string]*PipelineStep, in *Input) *Input {
	b := in.Binding
	switch {
	case b == nil:
		return in
	case b.Path[1] == "inputs":
		given := outer.Inputs[b.Path[2]]
		if given == nil {
			return valueOf(in, outer.Pipeline.Inputs[b.Path[2]])
		}
		return f.outer(renamed(given, in))
	case b.Path[1] == "jobs" && flat[b.Path[2]] != nil:
		x := *b
		x.Path = append([]string{}, b.Path...)
		x.Path[2] = outer.Name + "_" + b.Path[2]
		return rebind(in, &x)
	}
	return in
}

// innerOutputs rewrites an inner step's outputs bound to the component's
// outputs: to the pipeline output the outer step binds it to, with the
// settings the outer step gives it, or to nothing.
func (f *flattener) innerOutputs(outer *PipelineStep, outs map[string]*Output) map[string]*Output {
	res := map[string]*Output{}
	for _, k := range keys(outs) {
		o := *outs[k]
		if o.Binding != nil {
			w := outer.Outputs[o.Binding.Path[2]]
			o.Binding = nil
			if w != nil {
				o.Binding = w.Binding
				if w.Mode != "" {
					o.Mode = w.Mode
				}
				if w.Path != nil || w.PathTemplate != "" {
					o.Path, o.PathTemplate = w.Path, w.PathTemplate
				}
				if w.AssetName != "" {
					o.AssetName, o.AssetVersion = w.AssetName, w.AssetVersion
				}
				if w.Description != "" {
					o.Description = w.Description
				}
			}
		}
		res[k] = &o
	}
	return res
}

// rebind copies an input with another binding.
func rebind(in *Input, b *Expr) *Input {
	cp := *in
	cp.Binding = b
	return &cp
}

// renamed is the value given (by an outer step) under the name and, for
// a binding, the position of the input it replaces.
func renamed(given, in *Input) *Input {
	cp := *given
	cp.Name = in.Name
	if cp.Mode == "" {
		cp.Mode = in.Mode
	}
	return &cp
}

// valueOf is an input bound to a component input the outer step did not
// give: its default, or nothing (nil) when it has none.
func valueOf(in *Input, prm *Param) *Input {
	if prm == nil || prm.Default == nil {
		return nil
	}
	cp := &Input{Name: in.Name, Pos: prm.Default.Pos, Mode: in.Mode}
	if isLiteralType(prm.Type) {
		lit := *prm.Default
		cp.Value, cp.Type = &lit, lit.Type
		return cp
	}
	r, err := ParseRef(prm.Default.Text)
	if err != nil {
		return nil // reported when the component was parsed
	}
	cp.Type, cp.Path = prm.Type, &r
	if cp.Mode == "" {
		cp.Mode = prm.Mode
	}
	return cp
}
