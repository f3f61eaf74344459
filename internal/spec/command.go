package spec

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/latheml/lathe"
)

// Command is a command line: a template for Bind.
type Command struct {
	Text   string
	Pos    Pos
	style  byte
	indent int
}

// PosAt maps a byte offset of Text to its place in the file: exactly for
// one-line values and literal (|) blocks, else the value's start.
func (c Command) PosAt(off int) Pos {
	line, col := lineCol(c.Text, off)
	switch {
	case c.Pos.Line == 0:
		return c.Pos
	case c.style == '|':
		return Pos{File: c.Pos.File, Line: c.Pos.Line + line, Col: c.indent + col}
	case line == 1 && (c.style == 0 || c.style == '\''):
		p := c.Pos
		if c.style != 0 {
			p.Col++
		}
		p.Col += col - 1
		return p
	}
	return c.Pos
}

// EnvRef is the environment a job, step or component runs in: a reference
// to a registered or registry environment, or an anonymous one defined in
// place. A nil *EnvRef means the server's default environment.
type EnvRef struct {
	Pos    Pos
	Ref    *Ref
	Inline *Environment
}

// JobInfo holds the fields every kind of job shares.
type JobInfo struct {
	Name           string
	DisplayName    string
	Description    string
	ExperimentName string
	Tags           map[string]string
	Properties     map[string]string
	// Compute is the compute's name (azureml:cpu-cluster gives cpu-cluster);
	// "" means the default.
	Compute    string
	ComputePos Pos
}

var jobInfoFields = []string{"name", "display_name", "description", "experiment_name", "tags", "properties", "compute"}

// serverFields are read-only fields Azure prints and refuses on input.
var serverFields = map[string]string{
	"creation_context": "it is set by the server; remove it",
	"status":           "it is set by the server; remove it",
	"id":               "it is set by the server; remove it",
	"log_files":        "it is set by the server; remove it",
	"parameters":       "it is set by the server; remove it",
	"parent_job_name":  "it is set by the server; remove it",
}

// jobRefused are Azure job fields Lathe refuses, with the reason.
var jobRefused = map[string]string{
	"distribution":     "distributed training (mpi, pytorch, tensorflow, ray) is not supported yet; run one process per job",
	"identity":         "jobs act with the submitting user's Lathe permissions; there are no managed identities",
	"services":         "interactive services (jupyter, ssh, tensorboard, vs code) are not supported",
	"queue_settings":   "there are no job tiers or queues to choose",
	"is_deterministic": "is_deterministic belongs to components",
	"version":          "jobs have no version; register a component to version a command",
	"schedule":         "put the trigger in a schedule YAML (schedule.schema.json) with create_job",
}

func withRefused(extra ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range append([]map[string]string{serverFields}, extra...) {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// jobInfo reads one of the shared job fields; it reports whether c was one.
func (d *dec) jobInfo(c *entry, j *JobInfo, path string) bool {
	p := join(path, c.key)
	switch c.key {
	case "name":
		j.Name = d.name(c, p, "job")
	case "display_name":
		j.DisplayName = d.text(c, p, lathe.MaxNameLen)
	case "description":
		j.Description = d.text(c, p, lathe.MaxDescriptionLen)
	case "experiment_name":
		s := d.text(c, p, lathe.MaxExperimentNameLen)
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
			d.errf(c.val.pos, "%s has control characters; use a plain name", p)
			s = ""
		}
		j.ExperimentName = s
	case "tags":
		j.Tags = d.tags(c, p)
	case "properties":
		j.Properties = d.tags(c, p)
	case "compute":
		j.ComputePos = c.val.pos
		j.Compute = d.compute(c, p)
	default:
		return false
	}
	return true
}

// compute reads a compute reference.
func (d *dec) compute(c *entry, p string) string {
	s := d.reqStr(c, p)
	if s == "" {
		return ""
	}
	name, err := ParseComputeName(s)
	if err != nil {
		d.errf(c.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
		return ""
	}
	return name
}

// CommandJob is Azure's commandJob: one command run in an environment on a
// compute, with inputs and outputs.
type CommandJob struct {
	Meta
	JobInfo
	Pos                  Pos
	Command              Command
	Code                 *Ref // a local folder, relative to the YAML file
	Environment          *EnvRef
	EnvironmentVariables map[string]string
	Inputs               map[string]*Input
	Outputs              map[string]*Output
	Limits               Limits
	Resources            *Resources
}

// Kind implements Document.
func (*CommandJob) Kind() Kind { return KindCommandJob }

var commandJobSchema = schema{
	name: "commandJob",
	fields: append([]string{"$schema", "type", "command", "code", "environment", "environment_variables",
		"inputs", "outputs", "limits", "resources"}, jobInfoFields...),
	rejected: withRefused(jobRefused),
}

// commandFields reads the fields a command job and an inline pipeline step
// share; it reports whether c was one of them.
func (d *dec) commandFields(c *entry, path string, cmd *Command, code **Ref, env **EnvRef, vars *map[string]string, res **Resources, lim *Limits) bool {
	p := join(path, c.key)
	switch c.key {
	case "command":
		*cmd = d.command(c, p)
	case "code":
		*code = d.code(c, p)
	case "environment":
		*env = d.envRef(c, p)
	case "environment_variables":
		*vars = d.envVars(c, p)
	case "resources":
		*res = d.resources(c, p)
	case "limits":
		*lim = d.limits(c, p)
	default:
		return false
	}
	return true
}

func decodeCommandJob(d *dec, root *node, m Meta) *CommandJob {
	j := &CommandJob{Meta: m, Pos: root.pos}
	d.fields(root, &commandJobSchema, "commandJob", func(c *entry) {
		switch {
		case d.jobInfo(c, &j.JobInfo, ""):
		case d.commandFields(c, "", &j.Command, &j.Code, &j.Environment, &j.EnvironmentVariables, &j.Resources, &j.Limits):
		case c.key == "type":
			d.typeField(c, "command")
		case c.key == "inputs":
			j.Inputs = d.inputs(c, "inputs", scopeJob)
		case c.key == "outputs":
			j.Outputs = d.outputs(c, "outputs", scopeJob)
		}
	})
	if root.get("command") == nil {
		d.errf(root.pos, "commandJob has no command; add command: <the command line to run>")
	}
	sc := scopeOf(j.Inputs, nil, j.Outputs)
	d.checkCommand(j.Command, sc, "command")
	d.checkEnvVars(j.EnvironmentVariables, root.get("environment_variables"), sc)
	return j
}

// typeField checks a document's type field.
func (d *dec) typeField(c *entry, want string) {
	if s := d.str(c, "type"); s != want {
		d.errf(c.val.pos, "type is %q here; this document is a %s document, so type is %s (or leave it out)", clip(s, 40), want, want)
	}
}

// command reads a command line.
func (d *dec) command(c *entry, p string) Command {
	s := d.reqStr(c, p)
	if len(s) > MaxCommandLen {
		d.errf(c.val.pos, "%s is %d bytes long; the limit is %d", p, len(s), MaxCommandLen)
		s = ""
	}
	return Command{Text: s, Pos: c.val.pos, style: c.val.style, indent: c.val.indent}
}

// code reads a code folder: a local path.
func (d *dec) code(c *entry, p string) *Ref {
	if c.val.kind == nMap && c.val.get("local_path") != nil {
		d.errf(c.keyPos, "%s: local_path is the old form; write code: %s", p, clip(c.val.get("local_path").val.text, 80))
		return nil
	}
	s := d.reqStr(c, p)
	if s == "" {
		return nil
	}
	r, err := ParseRef(s)
	if err != nil {
		d.errf(c.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
		return nil
	}
	if r.Kind != RefLocal {
		d.errf(c.val.pos, "%s must be a local folder (relative to this file); %s code is not supported", p, r.Kind)
		return nil
	}
	return &r
}

// envRef reads an environment: a reference or an inline definition.
func (d *dec) envRef(c *entry, p string) *EnvRef {
	e := &EnvRef{Pos: c.val.pos}
	if c.val.kind == nMap {
		e.Inline = decodeEnvironment(d, c.val, Meta{}, p)
		return e
	}
	s := d.reqStr(c, p)
	if s == "" {
		return nil
	}
	r, err := parseEnvRef(s)
	if err != nil {
		d.errf(c.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
		return nil
	}
	e.Ref = &r
	return e
}

// parseEnvRef reads an environment reference. As in Azure ML, a string
// without a prefix is a workspace asset name, and a name without a version
// means the latest version.
func parseEnvRef(s string) (Ref, error) {
	in := s
	if !strings.HasPrefix(s, "azureml:") && !strings.HasPrefix(s, "lathe:") && !strings.Contains(s, "://") {
		s = "azureml:" + s
	}
	r, err := ParseRef(s)
	if err != nil {
		return r, err
	}
	r.Raw = in
	switch {
	case r.Kind == RefAsset && r.Label != "" && r.Label != "latest":
		return r, refErr(in, "has the label @%s; environments have @latest only", r.Label)
	case r.Kind == RefRegistry && r.AssetType != "environments":
		return r, refErr(in, "names registry %s, not environments", r.AssetType)
	case r.Kind != RefAsset && r.Kind != RefRegistry:
		return r, refErr(in, "is not an environment; write azureml:<name>:<version>, azureml:<name>@latest, a registry environment, or define it inline with image, conda_file or requirements_file")
	}
	return r, nil
}

// envVars reads environment variables.
func (d *dec) envVars(c *entry, p string) map[string]string {
	m := d.strMap(c, p, MaxEnvVars)
	for i := range c.val.entries {
		k := c.val.entries[i].key
		if !isIdent(k) {
			d.errf(c.val.entries[i].keyPos, "%s: %q is not a valid variable name; use letters, digits and _", p, clip(k, 80))
		}
	}
	return m
}

// cmdScope is what a command may refer to.
type cmdScope struct {
	inputs  map[string]bool // declared inputs; true for optional inputs without a default
	outputs map[string]bool
	search  map[string]bool // sweep variables; nil outside a sweep trial
}

func scopeOf(ins map[string]*Input, params map[string]*Param, outs map[string]*Output) cmdScope {
	sc := cmdScope{inputs: map[string]bool{}, outputs: map[string]bool{}}
	for k := range ins {
		sc.inputs[k] = false
	}
	for k, p := range params {
		sc.inputs[k] = p.Optional && p.Default == nil
	}
	for k := range outs {
		sc.outputs[k] = false
	}
	return sc
}

func names(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkCommand checks a command's grammar and that everything it names is
// declared.
func (d *dec) checkCommand(c Command, sc cmdScope, what string) {
	if c.Text == "" {
		return
	}
	exprs, err := References(c.Text)
	if err != nil {
		if te, ok := templateAt(c.Text); ok {
			d.errf(c.PosAt(te.off), "%s: %s", what, te.msg)
		}
		return
	}
	for _, x := range exprs {
		if msg := sc.check(x); msg != "" {
			d.errf(c.PosAt(x.Offset), "%s: %s %s", what, x, msg)
		}
	}
}

// templateAt returns the first grammar error in s.
func templateAt(s string) (*templateError, bool) {
	_, err := parseTemplate(s)
	te, ok := err.(*templateError)
	return te, ok
}

// check says what is wrong with one expression in a command, or "".
func (sc cmdScope) check(x Expr) string {
	root := x.Path[0]
	var decl map[string]bool
	switch root {
	case "inputs":
		decl = sc.inputs
	case "outputs":
		decl = sc.outputs
	case "search_space":
		if sc.search == nil {
			return "is only allowed in a sweep job's trial"
		}
		decl = sc.search
	case "parent":
		return "is not allowed in a command; bind it to a step input (inputs: {x: " + x.String() + "}) and use ${{inputs.x}}"
	default:
		return "is not an expression Lathe knows; a command uses ${{inputs.<name>}} and ${{outputs.<name>}}"
	}
	if len(x.Path) != 2 {
		return "must name one " + strings.TrimSuffix(root, "s") + ", as ${{" + root + ".<name>}}"
	}
	opt, ok := decl[x.Path[1]]
	if !ok {
		msg := "refers to an undefined " + describeKey(x.Path)
		all := names(decl)
		if s := suggest(x.Path[1], all); s != "" {
			msg += " (did you mean " + strconv.Quote(s) + "?)"
		} else if len(all) == 0 {
			msg += "; none are declared"
		} else {
			msg += "; declared: " + strings.Join(all, ", ")
		}
		return msg
	}
	if opt && !x.Optional {
		return "names an optional input without a default; put the part of the command that uses it in $[[ ... ]] so it is dropped when the input is not given"
	}
	return ""
}

// checkEnvVars checks the expressions in environment variable values,
// which are bound like the command.
func (d *dec) checkEnvVars(vars map[string]string, e *entry, sc cmdScope) {
	if e == nil || e.val.kind != nMap {
		return
	}
	for i := range e.val.entries {
		c := &e.val.entries[i]
		v := vars[c.key]
		if !strings.Contains(v, openExpr) {
			continue
		}
		cmd := Command{Text: v, Pos: c.val.pos, style: c.val.style, indent: c.val.indent}
		d.checkCommand(cmd, sc, "environment_variables."+c.key)
	}
}
