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

// CheckRegistrable checks that a pipeline component can be registered on
// its own: its steps (at any depth of inline pipeline components) name
// registered or built-in components (azureml:...) or run inline commands,
// and no local files: no component: ./x.yml, no code: ./src, no local data
// paths. Registered, the component's YAML is all there is, so such files
// are registered first and named by reference. It reports every such step
// with its file:line.
func CheckRegistrable(c *PipelineComponent) error {
	d := &dec{p: &problems{}}
	checkRegistrable(d, c, "")
	return d.p.err()
}

func checkRegistrable(d *dec, c *PipelineComponent, prefix string) {
	for _, k := range keys(c.Inputs) {
		prm := c.Inputs[k]
		if prm.Default == nil || isLiteralType(prm.Type) {
			continue
		}
		if r, err := ParseRef(prm.Default.Text); err == nil && r.Kind == RefLocal {
			d.errf(prm.Default.Pos, "%sinputs.%s: the default is the local path %s; a registered pipeline component cannot carry local data: register it (lathe data create) and give azureml:<name>:<version>", prefix, k, r.Raw)
		}
	}
	for _, name := range keys(c.Jobs) {
		s := c.Jobs[name]
		at := prefix + "jobs." + name
		if r := s.ComponentRef; r != nil && r.Kind == RefLocal {
			how := "lathe component create -f " + r.Path
			d.errf(s.Pos, "%s: component %s is a local file; a registered pipeline component names only registered components: register it first (%s) and give component: azureml:<name>:<version> or azureml:<name>@latest", at, r.Raw, how)
		}
		if s.Code != nil && s.Code.Kind == RefLocal {
			d.errf(s.Pos, "%s: code %s is a local folder; a registered pipeline component cannot carry code: put the command in a command component with that code, register it (lathe component create -f) and run it by azureml:<name>:<version>", at, s.Code.Raw)
		}
		if cc := s.Component; cc != nil && s.ComponentRef == nil && cc.Code != nil && cc.Code.Kind == RefLocal {
			d.errf(s.Pos, "%s: its inline component has code %s, a local folder; register the component first (lathe component create -f) and give component: azureml:<name>:<version>", at, cc.Code.Raw)
		}
		for _, k := range keys(s.Inputs) {
			if in := s.Inputs[k]; in.Path != nil && in.Path.Kind == RefLocal {
				d.errf(in.Pos, "%s.inputs.%s: %s is a local path; a registered pipeline component cannot carry local data: register it (lathe data create) and give azureml:<name>:<version>, or bind it to an input of the component", at, k, in.Path.Raw)
			}
		}
		if s.Pipeline != nil && s.ComponentRef == nil {
			checkRegistrable(d, s.Pipeline, at+".component.")
		}
	}
}

// ComponentKind tells which kind of component a component YAML is, as
// `lathe component create -f` needs (a pipeline component and a pipeline
// job look alike): KindPipelineComponent when its $schema names
// pipelineComponent or, without $schema, it has type: pipeline;
// KindCommandComponent otherwise. It does not check the document; parse
// it with ParseKind and that kind.
func ComponentKind(filename string, src []byte) Kind {
	if len(src) > MaxFileSize {
		return KindCommandComponent
	}
	root := load(filename, src, &problems{})
	if root == nil || root.kind != nMap {
		return KindCommandComponent
	}
	if e := root.get("$schema"); e != nil {
		s, _ := e.val.scalarString()
		if name, ok := schemaName(s); ok && schemaKinds[name] == KindPipelineComponent {
			return KindPipelineComponent
		}
		return KindCommandComponent
	}
	if e := root.get("type"); e != nil {
		if t, _ := e.val.scalarString(); t == StepTypePipeline {
			return KindPipelineComponent
		}
	}
	return KindCommandComponent
}
