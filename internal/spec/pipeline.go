package spec

import (
	"sort"

	"github.com/latheml/lathe"
)

// PipelineJob is Azure's pipelineJob: steps (jobs:) joined by bindings.
type PipelineJob struct {
	Meta
	JobInfo
	Pos      Pos
	Settings PipelineSettings
	Inputs   map[string]*Input
	Outputs  map[string]*Output
	Jobs     map[string]*PipelineStep
}

// Kind implements Document.
func (*PipelineJob) Kind() Kind { return KindPipelineJob }

// PipelineSettings are a pipeline's settings.
type PipelineSettings struct {
	Pos                   Pos
	DefaultCompute        string
	DefaultDatastore      string
	ContinueOnStepFailure bool
	// ForceRerun runs every step even when an earlier run could be reused.
	ForceRerun bool
}

// PipelineStep is one step of a pipeline: an inline command (Command,
// Code, Environment ...) or a component (ComponentRef or Component) given
// inputs and outputs.
type PipelineStep struct {
	Name string
	Pos  Pos
	// ComponentRef names the step's component as written: a YAML file
	// relative to the pipeline's file (RefLocal) or a registered component
	// (RefAsset, RefRegistry). The caller loads it (ParseKind with
	// KindCommandComponent) and sets Component, then calls Steps.
	ComponentRef *Ref
	// Component is the step's component: defined inline under component:,
	// or set by the caller from ComponentRef. It is nil for an inline
	// command step and for a component not loaded yet.
	Component *CommandComponent
	// Type is "pipeline" for a step that runs a pipeline component
	// (type: pipeline), "" otherwise.
	Type string
	// Pipeline is a type: pipeline step's component: written inline under
	// component:, or set from ComponentRef by ResolveNested. Flatten
	// replaces the step by the component's steps.
	Pipeline *PipelineComponent
	// Dir is, for a step written in a pipeline component file, that
	// file's directory relative to the pipeline's ("" for the pipeline's
	// own steps); the step's local component: and code: are relative to
	// it (LocalKey). ResolveNested sets it.
	Dir string
	// Command, Code and Environment define an inline command step.
	// Environment may also override a component's.
	Command              Command
	Code                 *Ref
	Environment          *EnvRef
	EnvironmentVariables map[string]string
	Compute              string
	ComputePos           Pos
	Inputs               map[string]*Input
	Outputs              map[string]*Output
	Limits               Limits
	Resources            *Resources
	DisplayName          string
	Description          string
	Tags                 map[string]string
	Properties           map[string]string
	// ForceRerun runs the step even when an earlier run could be reused
	// (Lathe's: Azure has it only in the pipeline's settings).
	ForceRerun bool
}

// IsInline reports whether the step is an inline command rather than a
// component.
func (s *PipelineStep) IsInline() bool {
	return s.ComponentRef == nil && s.Component == nil && s.Pipeline == nil && s.Type != StepTypePipeline
}

// IsNested reports whether the step runs a pipeline component.
func (s *PipelineStep) IsNested() bool { return s.Type == StepTypePipeline }

// StepTypePipeline is the type of a step that runs a pipeline component.
const StepTypePipeline = "pipeline"

// StepCompute returns the compute a step runs on: its own, else the
// pipeline's settings.default_compute, else the pipeline's compute ("" for
// the server's default).
func (p *PipelineJob) StepCompute(step string) string {
	if s := p.Jobs[step]; s != nil && s.Compute != "" {
		return s.Compute
	}
	if p.Settings.DefaultCompute != "" {
		return p.Settings.DefaultCompute
	}
	return p.Compute
}

// StepNames returns the steps' names, sorted.
func (p *PipelineJob) StepNames() []string {
	out := make([]string, 0, len(p.Jobs))
	for k := range p.Jobs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var pipelineSchema = schema{
	name:   "pipelineJob",
	fields: append([]string{"$schema", "type", "settings", "inputs", "outputs", "jobs"}, jobInfoFields...),
	rejected: withRefused(jobRefused, map[string]string{
		"command":     "a pipeline runs steps; put the command in a step under jobs:",
		"environment": "set the environment on each step under jobs:",
	}),
}

var settingsSchema = schema{
	name:   "settings",
	fields: []string{"default_compute", "default_datastore", "continue_on_step_failure", "force_rerun"},
	rejected: map[string]string{
		"on_init":     "init and finalize steps are not supported",
		"on_finalize": "init and finalize steps are not supported",
		"environment": "set the environment on each step",
	},
}

var stepSchema = schema{
	name: "pipeline step",
	fields: []string{"type", "component", "command", "code", "environment", "environment_variables", "compute",
		"inputs", "outputs", "limits", "resources", "display_name", "description", "tags", "properties", "force_rerun"},
	rejected: withRefused(map[string]string{
		"distribution":     "distributed training is not supported yet",
		"identity":         "steps act with the submitting user's Lathe permissions",
		"services":         "interactive services are not supported",
		"queue_settings":   "there are no job tiers or queues",
		"trial":            "sweep steps are not supported yet",
		"search_space":     "sweep steps are not supported yet",
		"is_deterministic": "is_deterministic belongs to the component",
		"experiment_name":  "set experiment_name on the pipeline",
		"name":             "a step is named by its key under jobs:",
	}),
}

var refusedStepTypes = map[string]string{
	"sweep":         "sweep steps are not supported yet",
	"parallel":      "parallel steps are not supported; use command steps",
	"spark":         "Spark is not supported",
	"automl":        "AutoML is not supported",
	"data_transfer": "data transfer steps are not supported",
	"import":        "data import steps are not supported",
}

func decodePipelineJob(d *dec, root *node, m Meta) *PipelineJob {
	p := &PipelineJob{Meta: m, Pos: root.pos}
	d.fields(root, &pipelineSchema, "pipelineJob", func(c *entry) {
		switch {
		case d.jobInfo(c, &p.JobInfo, ""):
		case c.key == "type":
			d.typeField(c, "pipeline")
		case c.key == "settings":
			p.Settings = d.settings(c)
		case c.key == "inputs":
			p.Inputs = d.inputs(c, "inputs", scopeJob)
		case c.key == "outputs":
			p.Outputs = d.outputs(c, "outputs", scopeJob)
		case c.key == "jobs":
			p.Jobs = d.steps(c)
		}
	})
	if root.get("jobs") == nil {
		d.errf(root.pos, "pipelineJob has no jobs; list its steps under jobs:")
	}
	for name, o := range p.Outputs {
		if o.Binding != nil {
			d.errf(o.Pos, "outputs.%s: a pipeline output is bound from a step (outputs: {y: ${{parent.outputs.%s}}} in the step), not here", name, name)
		}
	}
	if d.p.empty() {
		checkPipeline(d, p)
		order(d, p)
	}
	return p
}

func (d *dec) settings(e *entry) PipelineSettings {
	s := PipelineSettings{Pos: e.keyPos}
	d.fields(e.val, &settingsSchema, "settings", func(c *entry) {
		p := join("settings", c.key)
		switch c.key {
		case "default_compute":
			s.DefaultCompute = d.compute(c, p)
		case "default_datastore":
			s.DefaultDatastore = d.datastoreName(c, p)
		case "continue_on_step_failure":
			s.ContinueOnStepFailure = d.boolean(c, p)
		case "force_rerun":
			s.ForceRerun = d.boolean(c, p)
		}
	})
	return s
}

// isStepName is Azure's rule for step names: a Python identifier in
// lowercase.
func isStepName(s string) bool {
	if !isIdent(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

func (d *dec) steps(e *entry) map[string]*PipelineStep {
	if e.val.kind != nMap {
		d.errf(e.keyPos, "jobs must be a mapping of step names to steps, not %s", describe(e.val))
		return nil
	}
	if len(e.val.entries) == 0 {
		d.errf(e.keyPos, "jobs is empty; a pipeline has at least one step")
	}
	if len(e.val.entries) > MaxSteps {
		d.errf(e.keyPos, "jobs has %d steps; the limit is %d", len(e.val.entries), MaxSteps)
		return nil
	}
	out := map[string]*PipelineStep{}
	for i := range e.val.entries {
		c := &e.val.entries[i]
		if !isStepName(c.key) {
			d.errf(c.keyPos, "step name %q: use lowercase letters, digits and _, starting with a letter or _", clip(c.key, 80))
			continue
		}
		if s := d.step(c); s != nil {
			out[c.key] = s
		}
	}
	return out
}

func (d *dec) step(e *entry) *PipelineStep {
	s := &PipelineStep{Name: e.key, Pos: e.keyPos}
	path := "jobs." + e.key
	if e.val.kind != nMap {
		d.errf(e.keyPos, "%s must be a mapping (command or component, inputs, outputs ...), not %s", path, describe(e.val))
		return nil
	}
	if t := e.val.get("type"); t != nil && t.val.kind == nScalar && t.val.text == StepTypePipeline {
		s.Type = StepTypePipeline
	}
	d.fields(e.val, &stepSchema, path, func(c *entry) {
		p := join(path, c.key)
		switch {
		case d.commandFields(c, path, &s.Command, &s.Code, &s.Environment, &s.EnvironmentVariables, &s.Resources, &s.Limits):
		case c.key == "type":
			d.oneOf(c, p, []string{"command", StepTypePipeline}, refusedStepTypes)
		case c.key == "component":
			if c.val.kind == nMap && s.IsNested() {
				s.Pipeline = decodePipelineComponent(d, c.val, Meta{}, p)
				return
			}
			if c.val.kind == nMap {
				s.Component = decodeComponent(d, c.val, Meta{}, p)
				return
			}
			if str := d.reqStr(c, p); str != "" {
				r, err := ParseRef(str)
				switch {
				case err != nil:
					d.errf(c.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
				case r.Kind == RefRegistry && r.AssetType != "components":
					d.errf(c.val.pos, "%s names registry %s, not components", p, r.AssetType)
				case r.Kind == RefAsset && r.Label != "" && r.Label != "latest":
					d.errf(c.val.pos, "%s: components have the label @latest only", p)
				case r.Kind == RefAsset || r.Kind == RefRegistry || r.Kind == RefLocal:
					s.ComponentRef = &r
				default:
					d.errf(c.val.pos, "%s must be a component file (./train.yml) or azureml:<name>:<version>, not a %s reference", p, r.Kind)
				}
			}
		case c.key == "compute":
			s.ComputePos = c.val.pos
			s.Compute = d.compute(c, p)
		case c.key == "inputs":
			s.Inputs = d.inputs(c, join(path, "inputs"), scopeStep)
		case c.key == "outputs":
			s.Outputs = d.outputs(c, join(path, "outputs"), scopeStep)
		case c.key == "display_name":
			s.DisplayName = d.text(c, p, lathe.MaxNameLen)
		case c.key == "description":
			s.Description = d.text(c, p, lathe.MaxDescriptionLen)
		case c.key == "tags":
			s.Tags = d.tags(c, p)
		case c.key == "properties":
			s.Properties = d.tags(c, p)
		case c.key == "force_rerun":
			s.ForceRerun = d.boolean(c, p)
		}
	})
	hasComponent := e.val.get("component") != nil
	hasCommand := e.val.get("command") != nil
	switch {
	case hasComponent && hasCommand:
		d.errf(e.keyPos, "%s has both component and command; a step runs one or the other", path)
	case !hasComponent && !hasCommand:
		d.errf(e.keyPos, "%s has neither command nor component; give command: <line> or component: ./file.yml", path)
	case hasComponent && e.val.get("code") != nil:
		d.errf(e.val.get("code").keyPos, "%s: code belongs to the component, not the step that runs it", path)
	case s.IsNested() && hasCommand:
		d.errf(e.keyPos, "%s has type: pipeline and a command; a pipeline step runs a pipeline component (component: ./sub_pipeline.yml)", path)
	case s.IsNested():
		for _, k := range []string{"environment", "environment_variables", "resources", "limits"} {
			if f := e.val.get(k); f != nil {
				d.errf(f.keyPos, "%s: %s is set on the steps of the pipeline component, not on the step that runs it", path, k)
			}
		}
	case hasCommand:
		sc := scopeOf(s.Inputs, nil, s.Outputs)
		d.checkCommand(s.Command, sc, join(path, "command"))
		d.checkEnvVars(s.EnvironmentVariables, e.val.get("environment_variables"), sc)
	}
	return s
}
