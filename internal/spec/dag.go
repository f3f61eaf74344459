package spec

import (
	"sort"
	"strconv"
	"strings"
)

// Step is one step of a pipeline in run order.
type Step struct {
	Name string
	Job  *PipelineStep
	// Deps names the steps whose outputs or inputs this step reads, sorted.
	Deps []string
}

// Steps checks a pipeline's bindings and returns its steps in an order in
// which each comes after the steps it reads from (ties by name). Every
// binding must name a declared pipeline input or output and an existing
// step and, where the step's interface is known (inline steps, inline
// components, and components the caller has set in PipelineStep.Component),
// an existing input or output of it; component inputs are checked against
// their declared types, and required ones must be given. A cycle is
// reported with the steps on it. Errors carry file:line:col.
func Steps(p *PipelineJob) ([]Step, error) {
	pr := &problems{}
	d := &dec{p: pr}
	checkPipeline(d, p)
	steps := order(d, p)
	if err := pr.err(); err != nil {
		return nil, err
	}
	return steps, nil
}

// stepPorts returns the names of a step's inputs and outputs, and whether
// they are known (false for a component the caller has not loaded).
func stepPorts(s *PipelineStep) (ins, outs map[string]bool, known bool) {
	ins, outs = map[string]bool{}, map[string]bool{}
	switch {
	case s.Component != nil || s.Pipeline != nil:
		decl, declOuts := s.declared()
		for k := range decl {
			ins[k] = true
		}
		for k := range declOuts {
			outs[k] = true
		}
	case s.ComponentRef == nil && !s.IsNested():
		for k := range s.Inputs {
			ins[k] = true
		}
		for k := range s.Outputs {
			outs[k] = true
		}
	default:
		return nil, nil, false
	}
	return ins, outs, true
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// article returns "a" or "an" for a type name as it is spoken.
func article(typ string) string {
	if typ != "" && strings.ContainsRune("aeiom", rune(typ[0])) {
		return "an"
	}
	return "a"
}

// unknown formats "undefined X "name" (did you mean ...?)".
func unknown(what, name string, known []string) string {
	msg := "refers to an undefined " + what + " " + `"` + clip(name, 80) + `"`
	if s := suggest(name, known); s != "" {
		return msg + " (did you mean " + strconv.Quote(s) + "?)"
	}
	if len(known) == 0 {
		return msg + "; there are none"
	}
	return msg + "; there are " + strings.Join(known, ", ")
}

// checkPipeline checks every binding of a pipeline's steps.
func checkPipeline(d *dec, p *PipelineJob) {
	boundOutputs := map[string][]Pos{}
	steps := keys(p.Jobs)
	for _, name := range steps {
		s := p.Jobs[name]
		where := "jobs." + name
		for _, in := range sortedInputs(s.Inputs) {
			if in.Binding != nil {
				checkInputBinding(d, p, s, in, where)
			}
		}
		if s.Component != nil || s.Pipeline != nil {
			checkComponentStep(d, p, s, where)
		}
		for _, on := range keys(s.Outputs) {
			o := s.Outputs[on]
			if o.Binding == nil {
				continue
			}
			z := o.Binding.Path[2]
			if _, ok := p.Outputs[z]; !ok {
				d.errf(o.Pos, "%s.outputs.%s: %s %s", where, on, o.Binding, unknown("pipeline output", z, keys(p.Outputs)))
				continue
			}
			boundOutputs[z] = append(boundOutputs[z], o.Pos)
		}
	}
	for _, z := range keys(p.Outputs) {
		switch n := len(boundOutputs[z]); {
		case n == 0:
			d.errf(p.Outputs[z].Pos, "outputs.%s is not bound to any step; bind a step output to it with ${{parent.outputs.%s}}", z, z)
		case n > 1:
			d.errf(boundOutputs[z][1], "outputs.%s is bound by %d step outputs; bind it from one step only", z, n)
		}
	}
}

func sortedInputs(m map[string]*Input) []*Input {
	out := make([]*Input, 0, len(m))
	for _, k := range keys(m) {
		out = append(out, m[k])
	}
	return out
}

// checkInputBinding checks that what a step input binds to exists.
func checkInputBinding(d *dec, p *PipelineJob, s *PipelineStep, in *Input, where string) {
	b := in.Binding
	at := where + ".inputs." + in.Name
	if b.Path[1] == "inputs" {
		if _, ok := p.Inputs[b.Path[2]]; !ok {
			d.errf(in.Pos, "%s: %s %s", at, b, unknown("pipeline input", b.Path[2], keys(p.Inputs)))
		}
		return
	}
	other := b.Path[2]
	up, ok := p.Jobs[other]
	if !ok {
		d.errf(in.Pos, "%s: %s %s", at, b, unknown("step", other, keys(p.Jobs)))
		return
	}
	if other == s.Name {
		d.errf(in.Pos, "%s: %s: a step cannot read its own %s", at, b, b.Path[3])
		return
	}
	ins, outs, known := stepPorts(up)
	if !known {
		return
	}
	ports, what := outs, "output of step "+other
	if b.Path[3] == "inputs" {
		ports, what = ins, "input of step "+other
	}
	if !ports[b.Path[4]] {
		d.errf(in.Pos, "%s: %s %s", at, b, unknown(what, b.Path[4], keys(ports)))
	}
}

// checkComponentStep checks a component step's inputs and outputs against
// the component's declarations.
func checkComponentStep(d *dec, p *PipelineJob, s *PipelineStep, where string) {
	var c struct {
		Inputs  map[string]*Param
		Outputs map[string]*Output
	}
	c.Inputs, c.Outputs = s.declared()
	for _, in := range sortedInputs(s.Inputs) {
		at := where + ".inputs." + in.Name
		prm, ok := c.Inputs[in.Name]
		if !ok {
			d.errf(in.Pos, "%s %s", at, unknown("component input", in.Name, keys(c.Inputs)))
			continue
		}
		literal := isLiteralType(prm.Type)
		switch {
		case in.Value != nil && literal:
			lit := *in.Value
			if msg := prm.check(&lit); msg != "" {
				d.errf(in.Pos, "%s %s", at, msg)
			}
		case in.Value != nil:
			d.errf(in.Pos, "%s is %s %s input; give type and path, not the literal %q", at, article(prm.Type), prm.Type, clip(in.Value.Text, 60))
		case in.Path != nil && literal:
			d.errf(in.Pos, "%s is %s %s input; give a literal value, not data", at, article(prm.Type), prm.Type)
		case in.Binding != nil && in.Binding.Path[1] == "inputs":
			up := p.Inputs[in.Binding.Path[2]]
			if up == nil {
				break
			}
			if up.Value != nil && literal {
				lit := *up.Value
				if msg := prm.check(&lit); msg != "" {
					d.errf(in.Pos, "%s (bound to %s) %s", at, in.Binding, msg)
				}
			} else if up.Value != nil && !literal {
				d.errf(in.Pos, "%s is %s %s input, but %s is the literal %q", at, article(prm.Type), prm.Type, in.Binding, clip(up.Value.Text, 60))
			} else if up.Path != nil && literal {
				d.errf(in.Pos, "%s is %s %s input, but %s is data", at, article(prm.Type), prm.Type, in.Binding)
			}
		case in.Binding != nil && in.Binding.Path[3] == "outputs" && literal:
			d.errf(in.Pos, "%s is %s %s input; it cannot take a step's output (%s)", at, article(prm.Type), prm.Type, in.Binding)
		}
	}
	for _, name := range keys(c.Inputs) {
		prm := c.Inputs[name]
		if _, given := s.Inputs[name]; !given && !prm.Optional && prm.Default == nil {
			d.errf(s.Pos, "%s: the component's input %q is required and not given; add it under inputs:", where, name)
		}
	}
	for _, name := range keys(s.Outputs) {
		if _, ok := c.Outputs[name]; !ok {
			d.errf(s.Outputs[name].Pos, "%s.outputs.%s %s", where, name, unknown("component output", name, keys(c.Outputs)))
		}
	}
}

// declared returns the inputs and outputs a component step's component
// declares: its command component's or its pipeline component's.
func (s *PipelineStep) declared() (map[string]*Param, map[string]*Output) {
	if s.Pipeline != nil {
		return s.Pipeline.Inputs, s.Pipeline.Outputs
	}
	if s.Component != nil {
		return s.Component.Inputs, s.Component.Outputs
	}
	return nil, nil
}

// order sorts the steps topologically and reports a cycle.
func order(d *dec, p *PipelineJob) []Step {
	deps := map[string]map[string]Pos{}
	for _, name := range keys(p.Jobs) {
		deps[name] = map[string]Pos{}
		for _, in := range sortedInputs(p.Jobs[name].Inputs) {
			if b := in.Binding; b != nil && b.Path[1] == "jobs" {
				if _, ok := p.Jobs[b.Path[2]]; ok && b.Path[2] != name {
					if _, seen := deps[name][b.Path[2]]; !seen {
						deps[name][b.Path[2]] = in.Pos
					}
				}
			}
		}
	}
	done := map[string]bool{}
	var out []Step
	for len(out) < len(deps) {
		progress := false
		for _, name := range keys(deps) {
			if done[name] {
				continue
			}
			ready := true
			for dep := range deps[name] {
				ready = ready && done[dep]
			}
			if ready {
				done[name] = true
				out = append(out, Step{Name: name, Job: p.Jobs[name], Deps: keys(deps[name])})
				progress = true
			}
		}
		if !progress {
			reportCycle(d, deps, done)
			return nil
		}
	}
	return out
}

// reportCycle finds a cycle among the steps not done and reports it.
func reportCycle(d *dec, deps map[string]map[string]Pos, done map[string]bool) {
	var start string
	for _, name := range keys(deps) {
		if !done[name] {
			start = name
			break
		}
	}
	seen := map[string]int{}
	var path []string
	cur := start
	for {
		if i, ok := seen[cur]; ok {
			path = path[i:]
			break
		}
		seen[cur] = len(path)
		path = append(path, cur)
		for _, dep := range keys(deps[cur]) {
			if !done[dep] {
				cur = dep
				break
			}
		}
	}
	parts := make([]string, len(path))
	for i, name := range path {
		parts[i] = name + " needs " + path[(i+1)%len(path)]
	}
	first := path[0]
	d.errf(deps[first][path[1%len(path)]], "steps %s form a cycle: %s; a step can only read from steps that do not read from it", strings.Join(path, ", "), strings.Join(parts, ", "))
}
