package spec

// PipelineComponent is Azure's pipelineComponent: steps (jobs:) like a
// pipeline job's, with typed inputs and outputs of its own, run as one
// step (type: pipeline) of a pipeline. Its steps bind
// ${{parent.inputs.x}} to the component's inputs and give their outputs to
// the component's with ${{parent.outputs.y}}. Flatten inlines it.
type PipelineComponent struct {
	Meta
	Pos         Pos
	Name        string // "" for an anonymous (inline or file) component
	Version     string
	DisplayName string
	Description string
	Tags        map[string]string
	Inputs      map[string]*Param
	Outputs     map[string]*Output
	Jobs        map[string]*PipelineStep
}

// Kind implements Document.
func (*PipelineComponent) Kind() Kind { return KindPipelineComponent }

var pipelineComponentSchema = schema{
	name:   "pipelineComponent",
	fields: []string{"$schema", "type", "name", "version", "display_name", "description", "tags", "inputs", "outputs", "jobs"},
	rejected: withRefused(map[string]string{
		"settings":         "settings belong to the pipeline job that runs the component",
		"compute":          "set compute on the step that runs the component, or on its own steps",
		"experiment_name":  "components are not runs; set experiment_name on the pipeline job",
		"is_deterministic": "set is_deterministic on the command components its steps run",
		"command":          "a pipeline component runs steps; put the command in a step under jobs:",
		"code":             "code belongs to the command components (or inline commands) of its steps",
		"environment":      "set the environment on each step under jobs:",
		"latest_version":   "it is set by the server; remove it",
	}),
}

// decodePipelineComponent reads a pipeline component; where names it in
// messages ("pipelineComponent", or "jobs.x.component" when inline).
func decodePipelineComponent(d *dec, root *node, m Meta, where string) *PipelineComponent {
	c := &PipelineComponent{Meta: m, Pos: root.pos}
	prefix := ""
	if where != "pipelineComponent" {
		prefix = where
	}
	d.fields(root, &pipelineComponentSchema, where, func(e *entry) {
		p := join(prefix, e.key)
		switch e.key {
		case "type":
			d.typeField(e, StepTypePipeline)
		case "name", "version", "display_name", "description", "tags":
			d.componentMeta(e, p, &c.Name, &c.Version, &c.DisplayName, &c.Description, &c.Tags)
		case "inputs":
			c.Inputs = d.params(e, p)
		case "outputs":
			c.Outputs = d.ports(e, p)
		case "jobs":
			c.Jobs = d.steps(e)
		}
	})
	if root.kind != nMap {
		return c
	}
	if root.get("jobs") == nil {
		d.errf(root.pos, "%s has no jobs; list its steps under jobs:", where)
	}
	if d.p.empty() {
		scope := c.asPipeline()
		checkPipeline(d, scope)
		order(d, scope)
	}
	return c
}

// asPipeline returns the component as a pipeline job whose inputs are the
// component's declared inputs (typed, with no values), so that its steps'
// bindings can be checked like a pipeline's.
func (c *PipelineComponent) asPipeline() *PipelineJob {
	p := &PipelineJob{Meta: c.Meta, Pos: c.Pos, Inputs: map[string]*Input{}, Outputs: c.Outputs, Jobs: c.Jobs}
	for k, prm := range c.Inputs {
		p.Inputs[k] = &Input{Name: k, Pos: prm.Pos, Type: prm.Type}
	}
	return p
}
